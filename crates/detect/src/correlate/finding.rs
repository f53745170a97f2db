//! One finding: the evidence of a (host, process, DLL), merged over its loads, built into an alert.

use super::AlertKey;
use crate::alert::{Alert, Suppression};
use crate::branches::EvidenceSet;
use crate::context::children::{children, sort_dedupe, Child};
use crate::context::lineage::{lineage, Lineage};
use crate::context::unc::{self, Unc};
use crate::state::{Held, HostState, PendingLoad};
use crate::{score, trigger, Config};
use dllhound_model::{ProcessKey, ProcessStart, Timestamp};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// Accumulates one (host, process, DLL) finding until the run ends.
#[derive(Clone)]
pub(super) struct Builder {
    pub first: Held<dllhound_model::ImageLoad>,
    pub trigger: trigger::Trigger,
    pub loads: u32,
    pub loader: Option<Held<ProcessStart>>,
    pub evidence: EvidenceSet,
    /// What the loader started within the window after each load ([`crate::context::children`]).
    pub children: Vec<Child>,
    pub lineage: Lineage,
    /// Server, share and connections of a DLL on a network path ([`crate::context::unc`]).
    pub unc: Option<Unc>,
    /// The host's name as shown (its fullest spelling) when the finding was decided.
    pub shown: Arc<str>,
    pub suppressed_by: Option<Suppression>,
    /// Broad tuning entries that matched but were voided by an unexpected fresh write.
    pub tuning_not_applied: Vec<Suppression>,
}

/// Looks for every branch's evidence for one trigger in the host's state.
pub(super) fn match_pending(cfg: &Config, st: &HostState, p: PendingLoad) -> Builder {
    let t = p.load.time;
    let evidence = st.branches.find(cfg, st, &p.load.ev, t);
    let loader = loader_start(st, &p.load.ev.process, t);
    let children = children(cfg, st, &p.load.ev.process, t);
    let lineage = lineage(st, loader.as_ref());
    Builder {
        first: p.load,
        trigger: p.trigger,
        loads: 1,
        loader,
        evidence,
        children,
        lineage,
        unc: None,
        shown: st.shown.clone(),
        suppressed_by: None,
        tuning_not_applied: Vec::new(),
    }
}

/// Adds the network-share context (a scan of the host's held connections and lookups), once a
/// finding is kept: not on every early-release probe of a pending trigger.
pub(super) fn add_share_context(cfg: &Config, st: &HostState, b: &mut Builder) {
    if b.unc.is_none() {
        b.unc = unc::context(cfg, st, &b.first.ev.dll, b.first.time);
    }
}

/// The loading process's start record: the latest one at or before the load (PIDs are reused),
/// else the earliest after it (a start can be logged with a later time than its first load).
pub(crate) fn loader_start(st: &HostState, key: &ProcessKey, t: i64) -> Option<Held<ProcessStart>> {
    if !key.is_known() {
        return None;
    }
    let starts = st.procs.get(key);
    let before = starts
        .iter()
        .filter(|s| s.time <= t)
        .max_by_key(|s| (s.time, &s.prov));
    before
        .or_else(|| starts.iter().min_by_key(|s| (s.time, &s.prov)))
        .cloned()
}

pub(super) fn merge(map: &mut HashMap<AlertKey, Builder>, key: AlertKey, b: Builder) {
    match map.get_mut(&key) {
        None => {
            map.insert(key, b);
        }
        Some(a) => merge_into(a, b),
    }
}

/// Adds a later finding for the same (host, process, DLL) to an earlier one.
pub(super) fn merge_into(a: &mut Builder, b: Builder) {
    a.loads += b.loads;
    if (b.first.time, &b.first.prov) < (a.first.time, &a.first.prov) {
        a.first = b.first;
        a.trigger = b.trigger;
    }
    if a.loader.is_none() {
        a.loader = b.loader;
    }
    if a.lineage.executable.is_none() && a.lineage.entity_id.is_none() {
        a.lineage = b.lineage;
    }
    a.children.extend(b.children);
    sort_dedupe(&mut a.children);
    match (&mut a.unc, b.unc) {
        (Some(x), Some(y)) => unc::merge(x, y),
        (None, y) => a.unc = y,
        (Some(_), None) => {}
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
    a.evidence.extend(b.evidence);
}

pub(super) fn alert_id(host: &str, process: &ProcessKey, dll_key: &str, t: Timestamp) -> String {
    hash_id(&[host, &process.to_string(), dll_key, &t.millis().to_string()])
}

/// A deterministic id: the first 16 bytes of the SHA-256 of `parts` (each ended by a zero byte),
/// in hex.
pub(crate) fn hash_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
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
pub(super) fn build((host_id, process, dll_key): AlertKey, mut b: Builder, signal: bool) -> Alert {
    let host = b.shown.clone();
    b.evidence.dedupe();
    let branches = b.evidence.branches();
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
        parent: std::mem::take(&mut b.lineage),
        children: std::mem::take(&mut b.children),
        unc: b.unc.take(),
        user: load.user.clone().or(loader.and_then(|l| l.user.clone())),
        dll: load.dll.clone(),
        dll_sha256: load.sha256.clone(),
        file_history: Vec::new(),
        file_first_seen: None,
        prevalence: None,
        incident: None,
        classes: b.trigger.classes.clone(),
        signature: load.signature.clone(),
        load_count: b.loads,
        branches,
        evidence: b.evidence,
        timeline: Vec::new(),
        score: 0,
        severity: crate::Severity::Low,
        reasons: Vec::new(),
    };
    alert.timeline = crate::timeline::build(&alert, b.loader.as_ref(), &b.first.prov);
    score::apply(&mut alert);
    alert
}
