//! Per-host state held by the correlator, with time-, count- and memory-based eviction.
//!
//! Every record held is counted in [`HostState::bytes`] (an estimate from
//! [`dllhound_model::Footprint`]), so the correlator can keep the sum over its hosts under a budget.

use crate::trigger::Trigger;
use dllhound_model::{
    ComServer, DnsQuery, FileWrite, Footprint, ImageLoad, NetworkConnect, ProcessKey, ProcessStart,
    Provenance, Signature,
};
use std::collections::{BTreeMap, HashMap};

/// A record held in state: event time, the decoded event, where it came from.
#[derive(Debug, Clone)]
pub struct Held<T> {
    pub time: i64,
    pub ev: T,
    pub prov: Provenance,
}

/// Bytes a held record costs beyond its event: the slot's own fields and a share of the
/// collection's bookkeeping. Sized for the worst case, a new key per record (a hostile flood of
/// distinct ProcessGuids): the hash-map bucket (key and vector header, at the tables' load factor
/// and doubling slack), the key's own string and the vector's allocation rounding. Measured on
/// `dllhound simulate --flood` against peak RSS; common keys make it an overestimate.
const SLOT_OVERHEAD: usize = 176;

impl<T: Footprint> Held<T> {
    /// Estimated bytes this record keeps alive.
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() - std::mem::size_of::<T>() + self.ev.footprint() + SLOT_OVERHEAD
    }
}

/// A trigger load waiting for its window to close.
#[derive(Debug, Clone)]
pub struct PendingLoad {
    pub load: Held<ImageLoad>,
    pub trigger: Trigger,
}

impl PendingLoad {
    /// Estimated bytes this pending trigger keeps alive.
    pub fn bytes(&self) -> usize {
        // The box, the tree slot (key and pointer) and the tree's spare slots.
        self.load.bytes() + std::mem::size_of::<Trigger>() + 16 * self.trigger.classes.len() + 64
    }
}

/// A signer fact (MDE certificate row) and when it was last seen.
#[derive(Debug, Clone)]
pub struct CertFact {
    pub time: i64,
    pub signature: Signature,
}

/// Estimated bytes of one certificate entry keyed by `sha1`.
fn cert_bytes(sha1: &str, f: &CertFact) -> usize {
    std::mem::size_of::<(Box<str>, CertFact)>()
        + dllhound_model::heap(sha1.len())
        + f.signature
            .subject
            .as_deref()
            .map_or(0, |s| dllhound_model::heap(s.len()))
        + SLOT_OVERHEAD
}

/// Everything one host needs remembered.
#[derive(Debug)]
pub struct HostState {
    /// The host's name to show: its fullest spelling seen ([`dllhound_model::host::preferred`]).
    pub shown: std::sync::Arc<str>,
    /// Newest event time accepted as this host's clock.
    pub max_time: i64,
    /// A jump of the clock far ahead, waiting for a second event to confirm it (see the correlator).
    pub jump_candidate: Option<i64>,
    /// Event time of the last sweep.
    pub last_sweep: i64,
    /// Estimated bytes held by this host's records (not counting this struct).
    pub bytes: usize,
    /// Trigger loads by (time, arrival sequence).
    /// Boxed: a B-tree allocates leaves of eleven slots, and most hosts hold one or two.
    pub pending: BTreeMap<(i64, u64), Box<PendingLoad>>,
    /// File writes by the target's index key ([`crate::fresh_write::index_key`]).
    pub writes: HashMap<Box<str>, Vec<Held<FileWrite>>>,
    /// Set once a write whose key has a `~` was held: only then do loads look for 8.3 aliases.
    pub tilde_writes: bool,
    /// rundll32 / regsvr32 starts.
    pub execs: Vec<Held<ProcessStart>>,
    /// Every process start, for enrichment (kept longer).
    pub procs: HashMap<ProcessKey, Vec<Held<ProcessStart>>>,
    /// Executables of processes each process started (its children's main images), by parent.
    pub spawned: HashMap<ProcessKey, Vec<Held<Box<str>>>>,
    /// Initiated connections by process.
    pub nets: HashMap<ProcessKey, Vec<Held<NetworkConnect>>>,
    /// Signer facts by SHA-1 (MDE certificate rows), kept for the run unless memory runs short.
    pub certs: HashMap<Box<str>, CertFact>,
    /// DNS queries by process.
    pub dns: HashMap<ProcessKey, Vec<Held<DnsQuery>>>,
    /// COM in-process server registrations by class id (kept as long as process starts).
    pub coms: HashMap<Box<str>, Vec<Held<ComServer>>>,
}

/// Bytes a host costs before it holds anything: this struct, its map entry and name, and the
/// smallest tables of the maps it fills (a hash map allocates room for several entries at once;
/// measured with `dllhound simulate --flood --hosts 20000`).
pub const HOST_OVERHEAD: usize = std::mem::size_of::<HostState>() + 96 + 10 * 192;

impl HostState {
    pub fn new(shown: std::sync::Arc<str>) -> HostState {
        HostState {
            shown,
            max_time: i64::MIN,
            jump_candidate: None,
            last_sweep: i64::MIN,
            bytes: 0,
            pending: BTreeMap::new(),
            writes: HashMap::new(),
            tilde_writes: false,
            execs: Vec::new(),
            procs: HashMap::new(),
            spawned: HashMap::new(),
            nets: HashMap::new(),
            dns: HashMap::new(),
            coms: HashMap::new(),
            certs: HashMap::new(),
        }
    }

    /// True when the host holds nothing (it can be forgotten without losing a match).
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
            && self.writes.is_empty()
            && self.execs.is_empty()
            && self.procs.is_empty()
            && self.spawned.is_empty()
            && self.nets.is_empty()
            && self.dns.is_empty()
            && self.coms.is_empty()
            && self.certs.is_empty()
    }

    pub fn add_write(&mut self, key: Box<str>, h: Held<FileWrite>) {
        self.bytes += h.bytes();
        self.tilde_writes |= key.contains('~');
        self.writes
            .entry(key)
            .or_insert_with(|| Vec::with_capacity(1))
            .push(h);
    }

    pub fn add_exec(&mut self, h: Held<ProcessStart>) {
        self.bytes += h.bytes();
        if self.execs.capacity() == 0 {
            self.execs.reserve_exact(1);
        }
        self.execs.push(h);
    }

    pub fn add_proc(&mut self, h: Held<ProcessStart>) {
        self.bytes += h.bytes();
        self.procs
            .entry(h.ev.process.clone())
            .or_insert_with(|| Vec::with_capacity(1))
            .push(h);
    }

    pub fn add_spawned(&mut self, parent: ProcessKey, h: Held<Box<str>>) {
        self.bytes += h.bytes();
        self.spawned
            .entry(parent)
            .or_insert_with(|| Vec::with_capacity(1))
            .push(h);
    }

    pub fn add_net(&mut self, h: Held<NetworkConnect>) {
        self.bytes += h.bytes();
        self.nets
            .entry(h.ev.process.clone())
            .or_insert_with(|| Vec::with_capacity(1))
            .push(h);
    }

    pub fn add_dns(&mut self, h: Held<DnsQuery>) {
        self.bytes += h.bytes();
        self.dns
            .entry(h.ev.process.clone())
            .or_insert_with(|| Vec::with_capacity(1))
            .push(h);
    }

    pub fn add_com(&mut self, h: Held<ComServer>) {
        self.bytes += h.bytes();
        self.coms
            .entry(h.ev.clsid.clone())
            .or_insert_with(|| Vec::with_capacity(1))
            .push(h);
    }

    pub fn add_cert(&mut self, sha1: Box<str>, fact: CertFact) {
        self.bytes += cert_bytes(&sha1, &fact);
        if let Some(old) = self.certs.insert(sha1.clone(), fact) {
            self.bytes = self.bytes.saturating_sub(cert_bytes(&sha1, &old));
        }
    }

    pub fn add_pending(&mut self, key: (i64, u64), p: PendingLoad) {
        self.bytes += p.bytes();
        self.pending.insert(key, Box::new(p));
    }

    /// Takes the oldest pending trigger.
    pub fn pop_pending(&mut self) -> Option<PendingLoad> {
        let p = *self.pending.pop_first()?.1;
        self.bytes = self.bytes.saturating_sub(p.bytes());
        Some(p)
    }

    /// Drops records older than `keep_from` (and process starts older than `procs_from`). Returns how
    /// many records went.
    pub fn sweep(&mut self, keep_from: i64, procs_from: i64) -> u64 {
        let mut gone = Gone::default();
        retain_map(&mut self.writes, |h| h.time >= keep_from, &mut gone);
        retain_map(&mut self.nets, |h| h.time >= keep_from, &mut gone);
        retain_map(&mut self.dns, |h| h.time >= keep_from, &mut gone);
        retain_map(&mut self.procs, |h| h.time >= procs_from, &mut gone);
        retain_map(&mut self.coms, |h| h.time >= procs_from, &mut gone);
        retain_map(&mut self.spawned, |h| h.time >= keep_from, &mut gone);
        retain_vec(&mut self.execs, |h| h.time >= keep_from, &mut gone);
        self.bytes = self.bytes.saturating_sub(gone.bytes);
        gone.records
    }

    /// Drops signer facts last seen before `keep_from` (only under memory pressure: they are
    /// otherwise kept for the run). Returns how many went.
    pub fn sweep_certs(&mut self, keep_from: i64) -> u64 {
        let mut gone = Gone::default();
        self.certs.retain(|k, f| {
            let keep = f.time >= keep_from;
            if !keep {
                gone.records += 1;
                gone.bytes += cert_bytes(k, f);
            }
            keep
        });
        self.bytes = self.bytes.saturating_sub(gone.bytes);
        gone.records
    }

    /// Gives back the memory of collections that shrank to under a quarter of their capacity (hash
    /// maps and vectors keep their largest size otherwise).
    pub fn shrink(&mut self) {
        fn shrink_map<K: std::hash::Hash + Eq, V>(m: &mut HashMap<K, V>) {
            if m.len() < m.capacity() / 4 {
                m.shrink_to_fit();
            }
        }
        shrink_map(&mut self.writes);
        shrink_map(&mut self.nets);
        shrink_map(&mut self.dns);
        shrink_map(&mut self.procs);
        shrink_map(&mut self.coms);
        shrink_map(&mut self.spawned);
        shrink_map(&mut self.certs);
        if self.execs.len() < self.execs.capacity() / 4 {
            self.execs.shrink_to_fit();
        }
    }

    /// Event times of every held record and pending trigger (for choosing a memory-eviction cutoff).
    pub fn times(&self, out: &mut Vec<i64>) {
        out.extend(self.pending.keys().map(|k| k.0));
        out.extend(self.writes.values().flatten().map(|h| h.time));
        out.extend(self.nets.values().flatten().map(|h| h.time));
        out.extend(self.dns.values().flatten().map(|h| h.time));
        out.extend(self.procs.values().flatten().map(|h| h.time));
        out.extend(self.coms.values().flatten().map(|h| h.time));
        out.extend(self.spawned.values().flatten().map(|h| h.time));
        out.extend(self.execs.iter().map(|h| h.time));
        out.extend(self.certs.values().map(|f| f.time));
    }

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

    /// Enforces `cap` records per kind by dropping the oldest. Returns how many were dropped.
    pub fn enforce_cap(&mut self, cap: usize) -> u64 {
        let mut gone = Gone::default();
        cap_map(&mut self.writes, cap, &mut gone);
        cap_map(&mut self.nets, cap, &mut gone);
        cap_map(&mut self.dns, cap, &mut gone);
        cap_map(&mut self.procs, cap, &mut gone);
        cap_map(&mut self.coms, cap, &mut gone);
        cap_map(&mut self.spawned, cap, &mut gone);
        if self.execs.len() > cap {
            self.execs.sort_by_key(|h| h.time);
            let drop = self.execs.len() - cap;
            for h in self.execs.drain(..drop) {
                gone.records += 1;
                gone.bytes += h.bytes();
            }
        }
        self.bytes = self.bytes.saturating_sub(gone.bytes);
        gone.records
    }
}

/// Records and bytes removed.
#[derive(Default)]
struct Gone {
    records: u64,
    bytes: usize,
}

fn retain_vec<T: Footprint>(
    v: &mut Vec<Held<T>>,
    keep: impl Fn(&Held<T>) -> bool,
    gone: &mut Gone,
) {
    v.retain(|h| {
        let k = keep(h);
        if !k {
            gone.records += 1;
            gone.bytes += h.bytes();
        }
        k
    });
}

fn retain_map<K: std::hash::Hash + Eq, T: Footprint>(
    m: &mut HashMap<K, Vec<Held<T>>>,
    keep: impl Fn(&Held<T>) -> bool,
    gone: &mut Gone,
) {
    m.retain(|_, v| {
        retain_vec(v, &keep, gone);
        !v.is_empty()
    });
}

fn cap_map<K: std::hash::Hash + Eq, T: Footprint>(
    m: &mut HashMap<K, Vec<Held<T>>>,
    cap: usize,
    gone: &mut Gone,
) {
    let total: usize = m.values().map(Vec::len).sum();
    if total <= cap {
        return;
    }
    let mut times: Vec<i64> = m.values().flat_map(|v| v.iter().map(|h| h.time)).collect();
    let drop = total - cap;
    let (_, cutoff, _) = times.select_nth_unstable(drop);
    let cutoff = *cutoff;
    retain_map(m, |h| h.time >= cutoff, gone);
}
