//! The windowed, order-independent correlator (DESIGN.md §1, §4).

use crate::alert::{
    Alert, Branch, DnsEvidence, ExecEvidence, NetEvidence, Suppression, WriteEvidence,
};
use crate::lolbin::{follow_on_executor, names_dll, sta_clsid, NameMatch};
use crate::state::{CertFact, Held, HostState, PendingLoad, HOST_OVERHEAD};
use crate::tuning::Candidate;
use crate::{score, trigger, Config, DestinationClass};
use dllhound_model::{Event, EventKind, ProcessKey, ProcessStart, Timestamp};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Counters a run reports.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub events: BTreeMap<&'static str, u64>,
    /// Image loads that met the trigger.
    pub triggers: u64,
    /// Triggers suppressed, by source (`default_tuning`, `allowlist`, `baseline`).
    pub suppressed: BTreeMap<&'static str, u64>,
    /// Triggers with at least one corroborator (after suppression).
    pub corroborated: u64,
    /// Image loads of a process's own executable (ignored).
    pub main_module_loads: u64,
    /// Triggers dropped because the module was the executable of a child the loader started.
    pub child_image_loads: u64,
    /// Events that arrived later than the allowed lateness behind their host's newest event.
    pub late_events: u64,
    /// Records dropped because a per-host cap was reached.
    pub forced_evictions: u64,
    /// Records dropped because the correlator's memory budget ([`Config::max_state_bytes`]) was
    /// reached, oldest first.
    pub memory_evictions: u64,
    /// Trigger loads decided before their window closed, because the memory budget was reached.
    pub decided_early: u64,
    /// Events whose time jumped more than a day ahead of their host's clock and that no later event
    /// confirmed: they were matched, but did not move the host's clock (a forged far-future record
    /// cannot blind the host).
    pub clock_outliers: u64,
    pub hosts: u64,
}

/// What a finished run yields.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Alerts, ordered by time, host and id.
    pub alerts: Vec<Alert>,
    /// Uncorroborated triggers (only when [`Config::signals`] is on).
    pub signals: Vec<Alert>,
    /// Suppressed triggers (only when [`Config::keep_suppressed`] is on).
    pub suppressed: Vec<Alert>,
    /// With [`Config::emit_early`]: what the end of input still released (see
    /// [`Correlator::take_emissions`]); `alerts` is then empty.
    pub emissions: Vec<Emission>,
    pub stats: Stats,
}

/// An alert released while streaming ([`Config::emit_early`]).
#[derive(Debug, Clone)]
pub struct Emission {
    pub alert: Alert,
    /// False the first time an id is released (as soon as its first corroborator is in); true when
    /// the window closed with more evidence than was released then: the same id, fuller content.
    pub update: bool,
}

/// What was released for one (process, DLL) of a host.
struct Released {
    id: String,
    /// Evidence items released so far.
    evidence: usize,
    /// Event time of the load, for forgetting it.
    time: i64,
    /// The decided findings merged so far (none until the window closes).
    builder: Option<Builder>,
}

/// What one host released, by (loading process, DLL match key).
type HostReleased = HashMap<(ProcessKey, Box<str>), Released>;

/// Pending triggers of a host above which early release is skipped (each event would re-match
/// them all); they are still released when their window closes.
const EARLY_LIMIT: usize = 64;

/// How close a child's start must be to its image being mapped in the parent.
const CHILD_IMAGE_WINDOW_MS: i64 = 10_000;

type AlertKey = (Arc<str>, ProcessKey, Box<str>);

/// Accumulates one (host, process, DLL) finding until the run ends.
#[derive(Clone)]
struct Builder {
    first: Held<dllhound_model::ImageLoad>,
    trigger: trigger::Trigger,
    loads: u32,
    loader: Option<Held<ProcessStart>>,
    writes: Vec<WriteEvidence>,
    execs: Vec<ExecEvidence>,
    nets: Vec<NetEvidence>,
    dns: Vec<DnsEvidence>,
    /// The host's name as shown (its fullest spelling) when the finding was decided.
    shown: Arc<str>,
    suppressed_by: Option<Suppression>,
    /// Broad tuning entries that matched but were voided by an unexpected fresh write.
    tuning_not_applied: Vec<Suppression>,
}

/// Feeds on events in any order; see the crate docs.
pub struct Correlator {
    cfg: Config,
    hosts: HashMap<Arc<str>, HostState>,
    alerts: HashMap<AlertKey, Builder>,
    signals: HashMap<AlertKey, Builder>,
    suppressed: HashMap<AlertKey, Builder>,
    stats: Stats,
    seq: u64,
    /// Estimated bytes of held state (see [`crate::state`]).
    held: usize,
    /// Streaming: alerts released and not yet taken.
    emissions: Vec<Emission>,
    /// Streaming: what each host released, by (process, DLL match key).
    released: HashMap<Arc<str>, HostReleased>,
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

impl Correlator {
    pub fn new(cfg: Config) -> Correlator {
        Correlator {
            cfg,
            hosts: HashMap::new(),
            alerts: HashMap::new(),
            signals: HashMap::new(),
            suppressed: HashMap::new(),
            stats: Stats::default(),
            seq: 0,
            held: 0,
            emissions: Vec::new(),
            released: HashMap::new(),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Event time of the oldest trigger still waiting for its window, if any (a stream's offsets
    /// must not be committed past what rebuilding it needs).
    pub fn oldest_pending(&self) -> Option<i64> {
        self.hosts
            .values()
            .filter_map(|st| st.pending.keys().next().map(|k| k.0))
            .min()
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Takes one event.
    pub fn push(&mut self, ev: Event) {
        self.seq += 1;
        *self.stats.events.entry(ev.kind_name()).or_default() += 1;
        let t = ev.time.millis();
        // One host under its FQDN and its short name is one host (dllhound_model::host).
        let id = dllhound_model::host::identity(&ev.host);
        let host: Arc<str> = match self.hosts.get_key_value(id) {
            Some((k, _)) => k.clone(),
            None => {
                let key: Arc<str> = if id.len() == ev.host.len() {
                    ev.host.clone()
                } else {
                    Arc::from(id)
                };
                self.held += HOST_OVERHEAD;
                self.hosts
                    .insert(key.clone(), HostState::new(ev.host.clone()));
                key
            }
        };
        let Some(st) = self.hosts.get_mut(&host) else {
            return;
        };
        if !Arc::ptr_eq(&st.shown, &ev.host)
            && dllhound_model::host::preferred(&st.shown, &ev.host) != &*st.shown
        {
            st.shown = ev.host.clone();
        }
        let before = st.bytes;
        if st.max_time != i64::MIN && t < st.max_time.saturating_sub(self.cfg.lateness_ms) {
            self.stats.late_events += 1;
        }
        advance_clock(st, t, &mut self.stats);
        let prov = ev.provenance;
        // Whether this event may complete a pending trigger (streaming releases alerts at once).
        let mut may_complete = !matches!(ev.kind, EventKind::Certificate(_));
        match ev.kind {
            EventKind::ImageLoad(load) => {
                let trigger = trigger::evaluate(&load, &self.cfg.path_classes);
                may_complete = false;
                if load.is_main_module() {
                    self.stats.main_module_loads += 1;
                } else if trigger.is_some() || needs_signer(&load) {
                    // A load whose signer comes in a separate certificate row (MDE) waits like a
                    // trigger; it is decided once the certificate had time to arrive.
                    let trigger = trigger.unwrap_or(trigger::Trigger {
                        classes: Vec::new(),
                        by_signature: false,
                    });
                    if !trigger.is_pending_signer() {
                        self.stats.triggers += 1;
                        // Suppressed by the load alone (no writer criterion): decided now, so the
                        // fleet's thousands of NGEN and Defender loads are never held in state.
                        if !self.cfg.keep_suppressed {
                            if let Some(s) = suppression_by_load(&self.cfg, &load) {
                                *self.stats.suppressed.entry(s).or_default() += 1;
                                self.advance(&host, Advance::Normal);
                                return;
                            }
                        }
                    }
                    may_complete = true;
                    if let Some(st) = self.hosts.get_mut(&host) {
                        let held = Held {
                            time: t,
                            ev: load,
                            prov,
                        };
                        st.add_pending(
                            (t, self.seq),
                            PendingLoad {
                                load: held,
                                trigger,
                            },
                        );
                    }
                }
            }
            EventKind::FileWrite(w) => {
                st.add_write(
                    crate::fresh_write::index_key(w.target.match_key()).0.into(),
                    Held {
                        time: t,
                        ev: w,
                        prov,
                    },
                );
            }
            EventKind::ProcessStart(p) => {
                if p.command_line.as_deref().is_some_and(|cl| {
                    follow_on_executor(&p.image, p.original_file_name.as_deref(), cl).is_some()
                }) {
                    st.add_exec(Held {
                        time: t,
                        ev: p.clone(),
                        prov: prov.clone(),
                    });
                }
                if let Some(parent) = p.parent.as_ref().filter(|k| k.is_known()) {
                    let image: Box<str> = p.image.match_key().into();
                    st.add_spawned(
                        parent.clone(),
                        Held {
                            time: t,
                            ev: image,
                            prov: prov.clone(),
                        },
                    );
                }
                st.add_proc(Held {
                    time: t,
                    ev: p,
                    prov,
                });
            }
            EventKind::Network(mut n) => {
                if n.initiated == Some(true) && n.process.is_known() {
                    // Held per process: the image is the loader's and is not needed again.
                    n.image = dllhound_model::WinPath::new("");
                    st.add_net(Held {
                        time: t,
                        ev: n,
                        prov,
                    });
                }
            }
            EventKind::Certificate(c) => {
                st.add_cert(
                    c.sha1,
                    CertFact {
                        time: t,
                        signature: c.signature,
                    },
                );
            }
            EventKind::ComServer(c) => {
                st.add_com(Held {
                    time: t,
                    ev: c,
                    prov,
                });
            }
            EventKind::Dns(mut d) => {
                if d.process.is_known() {
                    d.image = dllhound_model::WinPath::new("");
                    st.add_dns(Held {
                        time: t,
                        ev: d,
                        prov,
                    });
                }
            }
        }
        if let Some(st) = self.hosts.get(&host) {
            self.held += st.bytes.saturating_sub(before);
        }
        if self.cfg.emit_early && may_complete {
            self.release_early(&host);
        }
        self.advance(&host, Advance::Normal);
        if self.held > self.cfg.max_state_bytes {
            self.shed();
        }
    }

    /// Estimated bytes of state held now (records, pending triggers, hosts).
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// Brings held state back under three fifths of the memory budget (a deep cut: frequent small
    /// cuts fragment the heap, and resident memory drifts above the estimate): the oldest records go
    /// first (across hosts), pending triggers among them are decided now with what is known, and
    /// hosts left empty are forgotten. Every record dropped is counted in
    /// [`Stats::memory_evictions`].
    fn shed(&mut self) {
        let target = self.cfg.max_state_bytes / 5 * 3;
        let mut times = Vec::new();
        for st in self.hosts.values() {
            st.times(&mut times);
        }
        if times.is_empty() {
            return;
        }
        // Drop the oldest share of records in proportion to the excess (records are similar in size).
        // One record alone over the budget (a huge line at many threads) goes whole: `k` can only
        // range over 1..len-1 when there are two or more.
        let excess = self.held.saturating_sub(target) as f64 / self.held.max(1) as f64;
        let cutoff = match times.len() {
            1 => i64::MAX,
            n => {
                let k = ((n as f64 * excess).ceil() as usize).clamp(1, n - 1);
                *times.select_nth_unstable(k).1
            }
        };
        let hosts: Vec<Arc<str>> = self.hosts.keys().cloned().collect();
        for h in &hosts {
            self.advance(h, Advance::DecideBefore(cutoff));
            let Some(st) = self.hosts.get_mut(h) else {
                continue;
            };
            let before = st.bytes;
            let n = st.sweep(cutoff, cutoff) + st.sweep_certs(cutoff);
            st.shrink();
            self.stats.memory_evictions += n;
            self.held = self.held.saturating_sub(before - st.bytes);
            if st.is_empty() {
                if st.jump_candidate.is_some() {
                    self.stats.clock_outliers += 1;
                }
                self.hosts.remove(h);
                self.held = self.held.saturating_sub(HOST_OVERHEAD);
            }
        }
        if self.hosts.len() < self.hosts.capacity() / 4 {
            self.hosts.shrink_to_fit();
        }
    }

    /// Finalises the host's triggers whose window closed; sweeps old state now and then.
    fn advance(&mut self, host: &Arc<str>, how: Advance) {
        let flush = how == Advance::Flush;
        let w = self.cfg.max_window_ms();
        let Some(st) = self.hosts.get_mut(host) else {
            return;
        };
        let bytes_before = st.bytes;
        let watermark = st.max_time.saturating_sub(self.cfg.lateness_ms);
        let mut ready = Vec::new();
        loop {
            let over_cap = st.pending.len() > self.cfg.max_records_per_host;
            let Some((&(t, _), _)) = st.pending.first_key_value() else {
                break;
            };
            let early = matches!(how, Advance::DecideBefore(c) if t < c);
            if !(flush || t.saturating_add(w) < watermark || over_cap || early) {
                break;
            }
            if over_cap && !flush {
                self.stats.forced_evictions += 1;
            } else if early && t.saturating_add(w) >= watermark {
                self.stats.decided_early += 1;
            }
            if let Some(p) = st.pop_pending() {
                ready.push(p);
            }
        }
        self.held = self.held.saturating_sub(bytes_before - st.bytes);
        for mut p in ready {
            let st = &self.hosts[host];
            let was_waiting = p.trigger.is_pending_signer();
            if !join_signer(&self.cfg, st, &mut p) || p.trigger.is_pending_signer() {
                continue;
            }
            if was_waiting {
                self.stats.triggers += 1;
            }
            let l = &p.load;
            if st.is_child_image(
                &l.ev.process,
                l.ev.dll.match_key(),
                l.time,
                CHILD_IMAGE_WINDOW_MS,
            ) {
                self.stats.child_image_loads += 1;
                continue;
            }
            let mut b = match_pending(&self.cfg, st, p);
            let key: AlertKey = (
                host.clone(),
                b.first.ev.process.clone(),
                b.first.ev.dll.match_key().into(),
            );
            let (s, not_applied) = suppression(&self.cfg, &b);
            b.tuning_not_applied = not_applied;
            if let Some(s) = s {
                *self.stats.suppressed.entry(s.source).or_default() += 1;
                if self.cfg.keep_suppressed {
                    b.suppressed_by = Some(s);
                    merge(&mut self.suppressed, key, b);
                }
                continue;
            }
            let corroborated = !(b.writes.is_empty() && b.execs.is_empty() && b.nets.is_empty());
            let key: AlertKey = (
                host.clone(),
                b.first.ev.process.clone(),
                b.first.ev.dll.match_key().into(),
            );
            if corroborated {
                self.stats.corroborated += 1;
                if self.cfg.emit_early {
                    self.release_final(key, b);
                } else {
                    merge(&mut self.alerts, key, b);
                }
            } else if self.cfg.signals {
                merge(&mut self.signals, key, b);
            }
        }
        let Some(st) = self.hosts.get_mut(host) else {
            return;
        };
        // Sweeping every quarter window keeps held state near the two windows it must cover.
        if !flush && watermark.saturating_sub(st.last_sweep) > w / 4 {
            let before = st.bytes;
            st.last_sweep = watermark;
            let keep_from = watermark.saturating_sub(2 * w + 1);
            let procs_from = watermark.saturating_sub(self.cfg.process_retention_ms);
            st.sweep(keep_from, procs_from);
            self.stats.forced_evictions += st.enforce_cap(self.cfg.max_records_per_host);
            self.held = self.held.saturating_sub(before - st.bytes);
            if let Some(r) = self.released.get_mut(host) {
                r.retain(|_, e| e.time >= procs_from);
            }
        }
    }

    /// Streaming: releases every pending trigger of `host` that is now corroborated (and not
    /// suppressed) and was not released before. Its id is final; later evidence comes as an update.
    fn release_early(&mut self, host: &Arc<str>) {
        let Some(st) = self.hosts.get(host) else {
            return;
        };
        if st.pending.is_empty() || st.pending.len() > EARLY_LIMIT {
            return;
        }
        let released = self.released.entry(host.clone()).or_default();
        for p in st.pending.values() {
            if p.trigger.is_pending_signer() {
                continue;
            }
            let l = &p.load;
            let ek: (ProcessKey, Box<str>) = (l.ev.process.clone(), l.ev.dll.match_key().into());
            if released.contains_key(&ek)
                || st.is_child_image(&ek.0, &ek.1, l.time, CHILD_IMAGE_WINDOW_MS)
            {
                continue;
            }
            let b = match_pending(&self.cfg, st, (**p).clone());
            if (b.writes.is_empty() && b.execs.is_empty() && b.nets.is_empty())
                || suppression(&self.cfg, &b).0.is_some()
            {
                continue;
            }
            let time = l.time;
            let alert = build((host.clone(), ek.0.clone(), ek.1.clone()), b, false);
            released.insert(
                ek,
                Released {
                    id: alert.id.clone(),
                    evidence: evidence_count(&alert),
                    time,
                    builder: None,
                },
            );
            self.emissions.push(Emission {
                alert,
                update: false,
            });
        }
    }

    /// Streaming: a trigger decided as an alert when its window closed. Released now if it was not
    /// released early, or as an update (same id) if it carries more evidence than was released.
    fn release_final(&mut self, key: AlertKey, b: Builder) {
        let time = b.first.time;
        let released = self.released.entry(key.0.clone()).or_default();
        let e = released
            .entry((key.1.clone(), key.2.clone()))
            .or_insert_with(|| Released {
                id: String::new(),
                evidence: 0,
                time,
                builder: None,
            });
        match &mut e.builder {
            Some(a) => merge_into(a, b),
            None => e.builder = Some(b),
        }
        let Some(merged) = e.builder.clone() else {
            return;
        };
        let mut alert = build(key, merged, false);
        let update = !e.id.is_empty();
        if update {
            alert.id = e.id.clone();
        }
        let n = evidence_count(&alert);
        if !update || n > e.evidence {
            e.id = alert.id.clone();
            e.evidence = n;
            self.emissions.push(Emission { alert, update });
        }
    }

    /// Streaming: the alerts released since the last call, in release order.
    pub fn take_emissions(&mut self) -> Vec<Emission> {
        std::mem::take(&mut self.emissions)
    }

    /// Streaming: decides every pending trigger now (end of input, or a partition given up) and
    /// returns what that released.
    pub fn flush(&mut self) -> Vec<Emission> {
        let hosts: Vec<Arc<str>> = self.hosts.keys().cloned().collect();
        for h in &hosts {
            self.advance(h, Advance::Flush);
        }
        self.take_emissions()
    }

    /// Ends the run: every pending trigger is decided, alerts are built and scored.
    pub fn finish(mut self) -> Outcome {
        let hosts: Vec<Arc<str>> = self.hosts.keys().cloned().collect();
        for h in &hosts {
            self.advance(h, Advance::Flush);
        }
        self.stats.clock_outliers += self
            .hosts
            .values()
            .filter(|st| st.jump_candidate.is_some())
            .count() as u64;
        self.stats.hosts = hosts.len() as u64;
        // A host's fullest spelling may have arrived after a finding was decided.
        let hosts_now = &self.hosts;
        let finish_one = |(k, mut b): (AlertKey, Builder), signal: bool| {
            if let Some(st) = hosts_now.get(&k.0) {
                if dllhound_model::host::preferred(&st.shown, &b.shown) != &*b.shown {
                    b.shown = st.shown.clone();
                }
            }
            build(k, b, signal)
        };
        let mut alerts: Vec<Alert> = std::mem::take(&mut self.alerts)
            .into_iter()
            .map(|kb| finish_one(kb, false))
            .collect();
        let mut signals: Vec<Alert> = std::mem::take(&mut self.signals)
            .into_iter()
            .map(|kb| finish_one(kb, true))
            .collect();
        let mut suppressed: Vec<Alert> = std::mem::take(&mut self.suppressed)
            .into_iter()
            .map(|kb| finish_one(kb, false))
            .collect();
        for v in [&mut alerts, &mut signals, &mut suppressed] {
            v.sort_by(|a, b| (a.time, &a.host, &a.id).cmp(&(b.time, &b.host, &b.id)));
        }
        Outcome {
            alerts,
            signals,
            suppressed,
            emissions: self.emissions,
            stats: self.stats,
        }
    }
}

/// How far [`Correlator::advance`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Advance {
    /// Decide the triggers whose window closed behind the watermark.
    Normal,
    /// Also decide those loaded before this time (memory pressure).
    DecideBefore(i64),
    /// Decide everything (end of input).
    Flush,
}

/// A host's clock may jump this far on one event; further needs the next event to confirm it.
const MAX_CLOCK_JUMP_MS: i64 = 24 * 3600 * 1000;

/// Moves a host's clock for an event at `t`. A jump of more than a day, ahead or back, is held as a
/// candidate until the host's next event lands within a day of it: a real change of era (a host off
/// for a week, two recordings of one host read one after the other) confirms itself at once, while a
/// single forged far-future or far-past record would otherwise push the watermark past every pending
/// trigger and blind the host. An unconfirmed candidate is counted in [`Stats::clock_outliers`].
fn advance_clock(st: &mut HostState, t: i64, stats: &mut Stats) {
    let near = |a: i64, b: i64| a.abs_diff(b) <= MAX_CLOCK_JUMP_MS as u64;
    if st.max_time == i64::MIN || near(t, st.max_time) {
        if st.jump_candidate.take().is_some() {
            stats.clock_outliers += 1;
        }
        st.max_time = st.max_time.max(t);
        return;
    }
    match st.jump_candidate.take() {
        Some(c) if near(t, c) => st.max_time = t.max(c),
        Some(_) => {
            stats.clock_outliers += 1;
            st.jump_candidate = Some(t);
        }
        None => st.jump_candidate = Some(t),
    }
}

/// True for a load whose signer comes in certificate rows (`ImageLoad::signer_by_sha1`) and is not
/// known yet.
fn needs_signer(load: &dllhound_model::ImageLoad) -> bool {
    load.signature.state == dllhound_model::SignatureState::Unknown
        && load.sha1.is_some()
        && load.signer_by_sha1
}

/// Takes the signer from a certificate row when the load has none, and re-decides the trigger.
/// Returns false when the load turns out not to be a trigger after all.
fn join_signer(cfg: &Config, st: &HostState, p: &mut PendingLoad) -> bool {
    let load = &mut p.load.ev;
    if load.signature.state != dllhound_model::SignatureState::Unknown {
        return true;
    }
    if let Some(sig) = load.sha1.as_deref().and_then(|h| st.certs.get(h)) {
        load.signature = sig.signature.clone();
        match trigger::evaluate(load, &cfg.path_classes) {
            Some(t) => p.trigger = t,
            None => return false,
        }
    }
    true
}

/// Looks for the three corroborators of one trigger in the host's state.
fn match_pending(cfg: &Config, st: &HostState, p: PendingLoad) -> Builder {
    let t = p.load.time;
    let load = &p.load.ev;
    let writes = crate::fresh_write::matching(st, load, t, cfg.window_fresh_write_ms);
    let execs = st
        .execs
        .iter()
        .filter(|e| (e.time - t).abs() <= cfg.window_follow_on_ms)
        .filter_map(|e| {
            let cl = e.ev.command_line.as_deref()?;
            let (matched, registry) = match names_dll(cl, &load.dll) {
                Some(m) => (m, None),
                None => (
                    NameMatch::ComClsid,
                    Some(com_registration(
                        st,
                        cl,
                        &load.dll,
                        t,
                        cfg.window_follow_on_ms,
                    )?),
                ),
            };
            let executor = follow_on_executor(&e.ev.image, e.ev.original_file_name.as_deref(), cl)?;
            Some(ExecEvidence {
                time: Timestamp(e.time),
                delta_seconds: secs(e.time - t),
                process_executable: e.ev.image.clone(),
                process_entity_id: e.ev.process.clone(),
                original_file_name: e.ev.original_file_name.clone(),
                command_line: cl.into(),
                matched,
                executor,
                registry,
                is_loader: e.ev.process == load.process,
                provenance: e.prov.clone(),
            })
        })
        .collect();
    let nets = st
        .nets
        .get(&load.process)
        .into_iter()
        .flatten()
        .filter(|n| n.time >= t && n.time - t <= cfg.window_network_ms)
        .filter_map(|n| {
            let ip = n.ev.destination_ip?;
            let class = DestinationClass::of(ip);
            (class != DestinationClass::NotOutbound).then(|| NetEvidence {
                time: Timestamp(n.time),
                delta_seconds: secs(n.time - t),
                destination_ip: ip,
                destination_port: n.ev.destination_port,
                destination_domain: n.ev.destination_host.clone(),
                protocol: n.ev.protocol.clone(),
                destination_class: class,
                provenance: n.prov.clone(),
            })
        })
        .collect();
    let dns = st
        .dns
        .get(&load.process)
        .into_iter()
        .flatten()
        .filter(|d| (d.time - t).abs() <= cfg.window_network_ms)
        .map(|d| DnsEvidence {
            time: Timestamp(d.time),
            delta_seconds: secs(d.time - t),
            query: d.ev.query.clone(),
            results: d.ev.results.clone(),
            provenance: d.prov.clone(),
        })
        .collect();
    let loader = loader_start(st, &load.process, t);
    Builder {
        first: p.load,
        trigger: p.trigger,
        loads: 1,
        loader,
        writes,
        execs,
        nets,
        dns,
        shown: st.shown.clone(),
        suppressed_by: None,
        tuning_not_applied: Vec::new(),
    }
}

/// For `rundll32 -sta {CLSID}`: the latest registration of that class whose server is `dll`, set
/// no later than `window_ms` after the load at `t`.
fn com_registration(
    st: &HostState,
    command_line: &str,
    dll: &dllhound_model::WinPath,
    t: i64,
    window_ms: i64,
) -> Option<crate::RegistryEvidence> {
    let clsid = sta_clsid(command_line)?;
    let d = dll.match_key();
    st.coms
        .get(clsid.as_str())?
        .iter()
        .filter(|r| r.time <= t.saturating_add(window_ms))
        .filter(|r| {
            let s = r.ev.server.match_key();
            s == d || dllhound_model::short_name::aliases(s, d)
        })
        .max_by_key(|r| (r.time, &r.prov))
        .map(|r| crate::RegistryEvidence {
            time: Timestamp(r.time),
            key: r.ev.key.clone(),
            clsid: r.ev.clsid.clone(),
            server: r.ev.server.clone(),
            process_executable: r.ev.image.clone(),
            provenance: r.prov.clone(),
        })
}

/// The source that suppresses a trigger on the load alone (entries without a writer criterion, the
/// baseline), if any. Entries with a writer criterion wait for the corroborators.
fn suppression_by_load(cfg: &Config, load: &dllhound_model::ImageLoad) -> Option<&'static str> {
    let candidate = Candidate { load, writes: &[] };
    if let Some(e) = cfg
        .tuning
        .entries()
        .iter()
        .find(|e| !e.needs_writes() && e.matches(&candidate))
    {
        return Some(e.source.as_str());
    }
    cfg.baseline
        .as_ref()?
        .suppressing_row(load)
        .map(|_| "baseline")
}

/// The allowlist entry or baseline row that suppresses this trigger, if any, and the broad entries
/// that matched but did not apply (with the reason they did not).
fn suppression(cfg: &Config, b: &Builder) -> (Option<Suppression>, Vec<Suppression>) {
    let candidate = Candidate {
        load: &b.first.ev,
        writes: &b.writes,
    };
    let d = cfg.tuning.decide(&candidate);
    let not_applied = d
        .not_applied
        .iter()
        .map(|(e, why)| Suppression {
            source: e.source.as_str(),
            id: e.id.clone(),
            reason: why.clone(),
        })
        .collect();
    if let Some(e) = d.applied {
        let s = Suppression {
            source: e.source.as_str(),
            id: e.id.clone(),
            reason: e.reason.clone(),
        };
        return (Some(s), not_applied);
    }
    (baseline_suppression(cfg, &b.first.ev), not_applied)
}

/// The baseline row that suppresses this load, if any.
fn baseline_suppression(cfg: &Config, load: &dllhound_model::ImageLoad) -> Option<Suppression> {
    let policy = cfg.baseline.as_ref()?;
    let row = policy.suppressing_row(load)?;
    Some(Suppression {
        source: "baseline",
        id: format!("{} | {} | {}", row.loader, row.dll, row.signer),
        reason: format!(
            "seen on {} host(s) and {} day(s) in the baseline (thresholds: {} hosts or {} days)",
            row.hosts, row.days, policy.min_hosts, policy.min_days
        ),
    })
}

/// The loading process's start record: the latest one at or before the load (PIDs are reused),
/// else the earliest after it (a start can be logged with a later time than its first load).
fn loader_start(st: &HostState, key: &ProcessKey, t: i64) -> Option<Held<ProcessStart>> {
    if !key.is_known() {
        return None;
    }
    let starts = st.procs.get(key)?;
    let before = starts
        .iter()
        .filter(|s| s.time <= t)
        .max_by_key(|s| (s.time, &s.prov));
    before
        .or_else(|| starts.iter().min_by_key(|s| (s.time, &s.prov)))
        .cloned()
}

fn merge(map: &mut HashMap<AlertKey, Builder>, key: AlertKey, b: Builder) {
    match map.get_mut(&key) {
        None => {
            map.insert(key, b);
        }
        Some(a) => merge_into(a, b),
    }
}

/// Adds a later finding for the same (host, process, DLL) to an earlier one.
fn merge_into(a: &mut Builder, b: Builder) {
    a.loads += b.loads;
    if (b.first.time, &b.first.prov) < (a.first.time, &a.first.prov) {
        a.first = b.first;
        a.trigger = b.trigger;
    }
    if a.loader.is_none() {
        a.loader = b.loader;
    }
    if dllhound_model::host::preferred(&a.shown, &b.shown) != &*a.shown {
        a.shown = b.shown;
    }
    for n in b.tuning_not_applied {
        if !a.tuning_not_applied.iter().any(|x| x.id == n.id) {
            a.tuning_not_applied.push(n);
        }
    }
    if a.suppressed_by.is_none() {
        a.suppressed_by = b.suppressed_by;
    }
    a.writes.extend(b.writes);
    a.execs.extend(b.execs);
    a.nets.extend(b.nets);
    a.dns.extend(b.dns);
}

/// Evidence items of an alert (what an update must add to).
fn evidence_count(a: &Alert) -> usize {
    a.fresh_write.len() + a.follow_on_exec.len() + a.outbound_network.len() + a.dns.len()
}

/// Sorts by (time, provenance) and keeps the first of each content key: duplicates logged by the
/// same source (or seen through two loads of one DLL) count once.
fn dedupe<T, K: PartialEq>(
    v: &mut Vec<T>,
    order: impl Fn(&T) -> (Timestamp, dllhound_model::Provenance),
    key: impl Fn(&T) -> K,
) {
    v.sort_by_key(|x| order(x));
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    for x in v.drain(..) {
        if !out.iter().any(|o| key(o) == key(&x)) {
            out.push(x);
        }
    }
    *v = out;
}

fn alert_id(host: &str, process: &ProcessKey, dll_key: &str, t: Timestamp) -> String {
    let mut h = Sha256::new();
    for part in [host, &process.to_string(), dll_key, &t.millis().to_string()] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Builds the alert of one finding. `key.0` is the host's identity, which the id hashes (so the id
/// does not depend on which spelling of the host arrived first, and `stream` releasing early agrees
/// with `scan`); the alert shows the host's fullest spelling.
fn build((host_id, process, dll_key): AlertKey, mut b: Builder, signal: bool) -> Alert {
    let host = b.shown.clone();
    dedupe(
        &mut b.writes,
        |w| (w.time, w.provenance.clone()),
        |w| {
            (
                w.time,
                w.how,
                w.process_entity_id.clone(),
                w.path.match_key().to_string(),
            )
        },
    );
    dedupe(
        &mut b.execs,
        |e| (e.time, e.provenance.clone()),
        |e| (e.time, e.process_entity_id.clone()),
    );
    dedupe(
        &mut b.nets,
        |n| (n.time, n.provenance.clone()),
        |n| (n.time, n.destination_ip, n.destination_port),
    );
    dedupe(
        &mut b.dns,
        |d| (d.time, d.provenance.clone()),
        |d| (d.time, d.query.clone()),
    );
    let mut branches = Vec::new();
    for (has, br) in [
        (!b.writes.is_empty(), Branch::FreshWrite),
        (!b.execs.is_empty(), Branch::FollowOnExec),
        (!b.nets.is_empty(), Branch::OutboundNetwork),
    ] {
        if has {
            branches.push(br);
        }
    }
    let load = b.first.ev;
    let time = Timestamp(b.first.time);
    let suppressed_by = b.suppressed_by.take();
    let loader = b.loader.as_ref().map(|l| &l.ev);
    let mut alert = Alert {
        id: alert_id(&host_id, &process, &dll_key, time),
        signal,
        suppressed_by,
        tuning_not_applied: std::mem::take(&mut b.tuning_not_applied),
        time,
        host,
        process,
        pid: load.pid.or(loader.and_then(|l| l.pid)),
        executable: if load.image.is_empty() {
            loader
                .map(|l| l.image.clone())
                .unwrap_or(load.image.clone())
        } else {
            load.image.clone()
        },
        command_line: loader.and_then(|l| l.command_line.clone()),
        parent_executable: loader.and_then(|l| l.parent_image.clone()),
        user: load.user.clone().or(loader.and_then(|l| l.user.clone())),
        dll: load.dll.clone(),
        dll_sha256: load.sha256.clone(),
        classes: b.trigger.classes.clone(),
        signature: load.signature.clone(),
        load_count: b.loads,
        branches,
        fresh_write: b.writes,
        follow_on_exec: b.execs,
        outbound_network: b.nets,
        dns: b.dns,
        timeline: Vec::new(),
        score: 0,
        severity: crate::Severity::Low,
        reasons: Vec::new(),
    };
    alert.timeline = crate::timeline::build(&alert, b.loader.as_ref(), &b.first.prov);
    score::apply(&mut alert);
    alert
}
