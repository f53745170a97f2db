//! Per-host state held by the correlator, with time- and cap-based eviction.

use crate::trigger::Trigger;
use dllhound_model::{
    DnsQuery, FileWrite, ImageLoad, NetworkConnect, ProcessKey, ProcessStart, Provenance,
};
use std::collections::{BTreeMap, HashMap};

/// A record held in state: event time, the decoded event, where it came from.
#[derive(Debug, Clone)]
pub struct Held<T> {
    pub time: i64,
    pub ev: T,
    pub prov: Provenance,
}

/// A trigger load waiting for its window to close.
#[derive(Debug, Clone)]
pub struct PendingLoad {
    pub load: Held<ImageLoad>,
    pub trigger: Trigger,
}

/// Everything one host needs remembered.
#[derive(Debug)]
pub struct HostState {
    /// Newest event time seen on this host.
    pub max_time: i64,
    /// Event time of the last sweep.
    pub last_sweep: i64,
    /// Trigger loads by (time, arrival sequence).
    pub pending: BTreeMap<(i64, u64), PendingLoad>,
    /// File writes by the target's match key.
    pub writes: HashMap<Box<str>, Vec<Held<FileWrite>>>,
    /// rundll32 / regsvr32 starts.
    pub execs: Vec<Held<ProcessStart>>,
    /// Every process start, for enrichment (kept longer).
    pub procs: HashMap<ProcessKey, Vec<Held<ProcessStart>>>,
    /// Executables of processes each process started (its children's main images), by parent.
    pub spawned: HashMap<ProcessKey, Vec<Held<Box<str>>>>,
    /// Initiated connections by process.
    pub nets: HashMap<ProcessKey, Vec<Held<NetworkConnect>>>,
    /// Signer facts by SHA-1 (MDE certificate rows), kept for the run.
    pub certs: HashMap<Box<str>, dllhound_model::Signature>,
    /// DNS queries by process.
    pub dns: HashMap<ProcessKey, Vec<Held<DnsQuery>>>,
}

impl HostState {
    pub fn new() -> HostState {
        HostState {
            max_time: i64::MIN,
            last_sweep: i64::MIN,
            pending: BTreeMap::new(),
            writes: HashMap::new(),
            execs: Vec::new(),
            procs: HashMap::new(),
            spawned: HashMap::new(),
            nets: HashMap::new(),
            dns: HashMap::new(),
            certs: HashMap::new(),
        }
    }

    /// Drops records older than `keep_from` (and process starts older than `procs_from`). Returns how
    /// many records went.
    pub fn sweep(&mut self, keep_from: i64, procs_from: i64) -> u64 {
        let mut n = 0u64;
        n += retain_map(&mut self.writes, |h| h.time >= keep_from);
        n += retain_map(&mut self.nets, |h| h.time >= keep_from);
        n += retain_map(&mut self.dns, |h| h.time >= keep_from);
        n += retain_map(&mut self.procs, |h| h.time >= procs_from);
        n += retain_map(&mut self.spawned, |h| h.time >= keep_from);
        let before = self.execs.len();
        self.execs.retain(|h| h.time >= keep_from);
        n += (before - self.execs.len()) as u64;
        n
    }

    /// Enforces `cap` records per kind by dropping the oldest. Returns how many were dropped.
    /// True when `module` is the executable of a child that `loader` started within `window_ms` of
    /// `t`: a parent mapping its child's image during process creation, not a DLL load.
    pub fn is_child_image(
        &self,
        loader: &ProcessKey,
        module_key: &str,
        t: i64,
        window_ms: i64,
    ) -> bool {
        loader.is_known()
            && self.spawned.get(loader).is_some_and(|v| {
                v.iter()
                    .any(|h| &*h.ev == module_key && (h.time - t).abs() <= window_ms)
            })
    }

    pub fn enforce_cap(&mut self, cap: usize) -> u64 {
        let mut n = 0;
        n += cap_map(&mut self.writes, cap);
        n += cap_map(&mut self.nets, cap);
        n += cap_map(&mut self.dns, cap);
        n += cap_map(&mut self.procs, cap);
        n += cap_map(&mut self.spawned, cap);
        if self.execs.len() > cap {
            self.execs.sort_by_key(|h| h.time);
            let drop = self.execs.len() - cap;
            self.execs.drain(..drop);
            n += drop as u64;
        }
        n
    }
}

fn retain_map<K: std::hash::Hash + Eq, T>(
    m: &mut HashMap<K, Vec<Held<T>>>,
    keep: impl Fn(&Held<T>) -> bool,
) -> u64 {
    let mut n = 0u64;
    m.retain(|_, v| {
        let before = v.len();
        v.retain(&keep);
        n += (before - v.len()) as u64;
        !v.is_empty()
    });
    n
}

fn cap_map<K: std::hash::Hash + Eq, T>(m: &mut HashMap<K, Vec<Held<T>>>, cap: usize) -> u64 {
    let total: usize = m.values().map(Vec::len).sum();
    if total <= cap {
        return 0;
    }
    let mut times: Vec<i64> = m.values().flat_map(|v| v.iter().map(|h| h.time)).collect();
    let drop = total - cap;
    let (_, cutoff, _) = times.select_nth_unstable(drop);
    let cutoff = *cutoff;
    retain_map(m, |h| h.time >= cutoff)
}
