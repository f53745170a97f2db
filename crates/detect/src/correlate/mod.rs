//! The windowed, order-independent correlator (DESIGN.md §1, §4).
//!
//! Split by job: [`finding`] (a finding's evidence, merged and built into an alert), [`suppress`]
//! (tuning and baseline), [`release`] (streaming), [`clock`] (a host's clock), [`signer`] (loads
//! whose signer arrives later). What each branch holds and matches is in [`crate::branches`].

mod clock;
mod finding;
mod release;
mod signer;
mod suppress;

use crate::alert::Alert;
use crate::context::children::Spawn;
use crate::context::prevalence::PrevalenceIndex;
use crate::state::{CertFact, Held, HostState, PendingLoad, HOST_OVERHEAD};
use crate::{trigger, Config};
use clock::advance_clock;
use dllhound_model::{Event, EventKind, ProcessKey};
use finding::{add_share_context, build, match_pending, merge, Builder};
pub(crate) use finding::{hash_id, loader_start as process_start};
use signer::{join_signer, needs_signer};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use suppress::{suppression, suppression_by_load};

/// How many clock outliers a run keeps by name and record.
pub const MAX_OUTLIER_SAMPLES: usize = 20;

/// An event whose time was far from its host's clock and never confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockOutlier {
    pub host: Arc<str>,
    pub time: dllhound_model::Timestamp,
    pub provenance: dllhound_model::Provenance,
}

impl Stats {
    /// Counts an outlier and keeps its record while fewer than [`MAX_OUTLIER_SAMPLES`] are kept.
    pub(crate) fn outlier(
        &mut self,
        host: &Arc<str>,
        candidate: (i64, dllhound_model::Provenance),
    ) {
        self.clock_outliers += 1;
        if self.outlier_samples.len() < MAX_OUTLIER_SAMPLES {
            self.outlier_samples.push(ClockOutlier {
                host: host.clone(),
                time: dllhound_model::Timestamp(candidate.0),
                provenance: candidate.1,
            });
        }
    }
}

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
    /// Triggers with no corroborator (after suppression): signals when those are asked for.
    pub uncorroborated: u64,
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
    /// The first [`MAX_OUTLIER_SAMPLES`] of those, with where they are (`--verbose` lists them).
    pub outlier_samples: Vec<ClockOutlier>,
    /// File-history entries dropped by the per-host caps ([`crate::context::history`]).
    pub history_evictions: u64,
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
    /// Trigger loads by DLL over the run's hosts ([`crate::context::prevalence`]).
    pub prevalence: PrevalenceIndex,
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
pub(super) struct Released {
    id: String,
    /// Evidence items, children and file-history entries released so far.
    evidence: usize,
    /// Event time of the load, for forgetting it.
    time: i64,
    /// The decided findings merged so far (none until the window closes).
    builder: Option<Builder>,
}

/// What one host released, by (loading process, DLL match key).
type HostReleased = HashMap<(ProcessKey, Box<str>), Released>;

/// Change in held bytes after which a correlator sharing a budget reports to the shared total.
const REPORT_STEP: usize = 64 << 10;

/// Pending triggers of a host above which early release is skipped (each event would re-match
/// them all); they are still released when their window closes.
pub(super) const EARLY_LIMIT: usize = 64;

/// How close a child's start must be to its image being mapped in the parent.
pub(super) const CHILD_IMAGE_WINDOW_MS: i64 = 10_000;

type AlertKey = (Arc<str>, ProcessKey, Box<str>);

/// Feeds on events in any order; see the crate docs.
pub struct Correlator {
    cfg: Config,
    hosts: HashMap<Arc<str>, HostState>,
    alerts: HashMap<AlertKey, Builder>,
    signals: HashMap<AlertKey, Builder>,
    suppressed: HashMap<AlertKey, Builder>,
    stats: Stats,
    seq: u64,
    /// Host names to identities ([`dllhound_model::host`]).
    identities: dllhound_model::host::Identities,
    /// Estimated bytes of held state (see [`crate::state`]).
    held: usize,
    /// What was last added to the shared budget's total ([`Config::shared_budget`]).
    reported: usize,
    /// Streaming: alerts released and not yet taken.
    emissions: Vec<Emission>,
    /// Streaming: what each host released, by (process, DLL match key).
    released: HashMap<Arc<str>, HostReleased>,
    /// Trigger loads by DLL ([`crate::context::prevalence`]).
    prevalence: PrevalenceIndex,
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
            identities: Default::default(),
            held: 0,
            reported: 0,
            emissions: Vec::new(),
            released: HashMap::new(),
            prevalence: PrevalenceIndex::default(),
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
    pub fn push(&mut self, mut ev: Event) {
        self.seq += 1;
        *self.stats.events.entry(ev.kind_name()).or_default() += 1;
        let t = ev.time.millis();
        // One host under its FQDN and its short name is one host (dllhound_model::host).
        let id = self.identities.of(&ev.host);
        let host: Arc<str> = match self.hosts.get_key_value(&*id) {
            Some((k, _)) => k.clone(),
            None => {
                let key = id;
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
        advance_clock(st, t, &ev.provenance, &mut self.stats);
        // The file history reads the event before the branches move fields out of it.
        st.add_history(&ev);
        // Each branch takes what it needs of the event (crate::branches); the rest is context.
        st.hold(&mut ev);
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
                        self.prevalence.record(&st.shown, &load, t);
                        // Suppressed by the load alone (no writer criterion): decided now, so the
                        // fleet's thousands of NGEN and Defender loads are never held in state.
                        if !self.cfg.keep_suppressed {
                            if let Some(s) = suppression_by_load(&self.cfg, &load) {
                                *self.stats.suppressed.entry(s).or_default() += 1;
                                let before = st.bytes;
                                st.forget_history(&load.dll);
                                self.held = self.held.saturating_sub(before - st.bytes);
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
            EventKind::ProcessStart(p) => {
                if let Some(parent) = p.parent.as_ref().filter(|k| k.is_known()) {
                    let spawn = Spawn {
                        child: p.process.clone(),
                        image_key: p.image.match_key().into(),
                    };
                    st.add_spawned(
                        parent.clone(),
                        Held {
                            time: t,
                            ev: spawn,
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
            EventKind::FileWrite(_) | EventKind::Network(_) | EventKind::Dns(_) => {}
        }
        if let Some(st) = self.hosts.get(&host) {
            // Signed: the file history can free an entry to make room for another.
            self.held = (self.held + st.bytes).saturating_sub(before);
        }
        if self.cfg.emit_early && may_complete {
            self.release_early(&host);
        }
        self.advance(&host, Advance::Normal);
        if let Some(target) = self.over_budget() {
            self.shed(target);
            self.report();
        }
    }

    /// When held state is over the budget, the bytes this correlator should shed down to.
    ///
    /// Alone, the budget is its own: over it, it sheds to three fifths of it. Sharing a budget
    /// ([`Config::shared_budget`]), it reports its held bytes to the shared total (in steps of
    /// [`REPORT_STEP`], so threads do not contend on every event); when the total is over the
    /// budget, a correlator holding more than an equal share sheds the whole excess over three
    /// fifths of the budget (some correlator always holds more than an equal share then, and it is
    /// the one to cut: a busy shard may use what idle shards leave).
    fn over_budget(&mut self) -> Option<usize> {
        let budget = self.cfg.max_state_bytes;
        if self.cfg.shared_budget.is_none() {
            return (self.held > budget).then_some(budget / 5 * 3);
        }
        if self.held.abs_diff(self.reported) < REPORT_STEP && self.held <= budget {
            return None;
        }
        let total = self.report()?;
        let shards = self.cfg.shared_budget.as_ref()?.shards();
        if total <= budget || self.held <= budget / shards {
            return None;
        }
        Some(self.held.saturating_sub(total - budget / 5 * 3))
    }

    /// Brings the shared budget's total up to date with what this correlator holds; returns the
    /// total (`None` when the budget is not shared).
    fn report(&mut self) -> Option<usize> {
        let shared = self.cfg.shared_budget.as_ref()?;
        let total = shared.update(
            self.held.saturating_sub(self.reported),
            self.reported.saturating_sub(self.held),
        );
        self.reported = self.held;
        Some(total)
    }

    /// Estimated bytes of state held now (records, pending triggers, hosts).
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// Brings held state back down to `target` bytes, three fifths of the budget or less (a deep
    /// cut: frequent small cuts fragment the heap, and resident memory drifts above the
    /// estimate; see [`Correlator::over_budget`]): the oldest records go
    /// first (across hosts), pending triggers among them are decided now with what is known, and
    /// hosts left empty are forgotten. Every record dropped is counted in
    /// [`Stats::memory_evictions`].
    fn shed(&mut self, target: usize) {
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
            let n = st.sweep(cutoff, cutoff) + st.sweep_certs(cutoff) + st.sweep_history(cutoff);
            st.shrink();
            self.stats.memory_evictions += n;
            self.held = self.held.saturating_sub(before - st.bytes);
            if st.is_empty() {
                if let Some(c) = st.jump_candidate.take() {
                    self.stats.outlier(&st.shown, c);
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
        let mut forget = Vec::new();
        for mut p in ready {
            let st = &self.hosts[host];
            let was_waiting = p.trigger.is_pending_signer();
            if !join_signer(&self.cfg, st, &mut p) || p.trigger.is_pending_signer() {
                continue;
            }
            if was_waiting {
                self.stats.triggers += 1;
                self.prevalence.record(&st.shown, &p.load.ev, p.load.time);
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
            if s.is_none() || self.cfg.keep_suppressed {
                add_share_context(&self.cfg, st, &mut b);
            }
            if let Some(s) = s {
                *self.stats.suppressed.entry(s.source).or_default() += 1;
                if !self.cfg.keep_suppressed {
                    forget.push(b.first.ev.dll.clone());
                }
                if self.cfg.keep_suppressed {
                    b.suppressed_by = Some(s);
                    merge(&mut self.suppressed, key, b);
                }
                continue;
            }
            let corroborated = b.evidence.corroborated();
            if corroborated {
                self.stats.corroborated += 1;
                if self.cfg.emit_early {
                    self.release_final(key, b);
                } else {
                    merge(&mut self.alerts, key, b);
                }
            } else {
                self.stats.uncorroborated += 1;
                if self.cfg.signals {
                    merge(&mut self.signals, key, b);
                }
            }
        }
        let Some(st) = self.hosts.get_mut(host) else {
            return;
        };
        if !forget.is_empty() {
            let before = st.bytes;
            for dll in &forget {
                st.forget_history(dll);
            }
            self.held = self.held.saturating_sub(before - st.bytes);
        }
        // Sweeping every quarter window keeps held state near the two windows it must cover.
        if !flush && watermark.saturating_sub(st.last_sweep) > w / 4 {
            let before = st.bytes;
            st.last_sweep = watermark;
            let keep_from = watermark.saturating_sub(2 * w + 1);
            let procs_from = watermark.saturating_sub(self.cfg.process_retention_ms);
            st.sweep(keep_from, procs_from);
            // Certificate rows sign loads for one reach after they were seen (signer.rs); the
            // oldest load still undecided is at most lateness + window behind the clock.
            st.sweep_certs(
                watermark
                    .saturating_sub(w)
                    .saturating_sub(signer::reach_ms(&self.cfg)),
            );
            self.stats.forced_evictions += st.enforce_cap(self.cfg.max_records_per_host);
            self.held = self.held.saturating_sub(before - st.bytes);
            if let Some(r) = self.released.get_mut(host) {
                r.retain(|_, e| e.time >= procs_from);
            }
        }
    }

    /// Ends the run: every pending trigger is decided, alerts are built and scored.
    pub fn finish(mut self) -> Outcome {
        // What this correlator held no longer counts against a shared budget.
        if let Some(shared) = &self.cfg.shared_budget {
            shared.update(0, std::mem::take(&mut self.reported));
        }
        let hosts: Vec<Arc<str>> = self.hosts.keys().cloned().collect();
        for h in &hosts {
            self.advance(h, Advance::Flush);
        }
        for st in self.hosts.values_mut() {
            if let Some(c) = st.jump_candidate.take() {
                self.stats.outlier(&st.shown, c);
            }
        }
        self.stats.hosts = hosts.len() as u64;
        // A host's fullest spelling may have arrived after a finding was decided.
        let hosts_now = &self.hosts;
        self.stats.history_evictions += hosts_now
            .values()
            .map(|st| st.history.evictions)
            .sum::<u64>();
        let finish_one = |(k, mut b): (AlertKey, Builder), signal: bool| {
            let st = hosts_now.get(&k.0);
            if let Some(st) = st {
                if dllhound_model::host::preferred(&st.shown, &b.shown) != &*b.shown {
                    b.shown = st.shown.clone();
                }
            }
            let mut a = build(k, b, signal);
            if let Some(st) = st {
                crate::context::attach_history(&mut a, st);
            }
            a
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
        let mut out = Outcome {
            alerts,
            signals,
            suppressed,
            emissions: self.emissions,
            stats: self.stats,
            prevalence: self.prevalence,
        };
        crate::context::finalize(&mut out);
        out
    }
}

/// How far [`Correlator::advance`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Advance {
    /// Decide the triggers whose window closed behind the watermark.
    Normal,
    /// Also decide those loaded before this time (memory pressure).
    DecideBefore(i64),
    /// Decide everything (end of input).
    Flush,
}
