//! Per-host state held by the correlator, with time-, count- and memory-based eviction.
//!
//! Every record held is counted in [`HostState::bytes`] (an estimate from
//! [`dllhound_model::Footprint`]), so the correlator can keep the sum over its hosts under a budget.

use crate::branches::{add_gone, BranchStores, Store};
use crate::context::children::Spawn;
use crate::context::history::FileHistory;
use crate::trigger::Trigger;
use dllhound_model::{
    ComServer, Footprint, ImageLoad, ProcessKey, ProcessStart, Provenance, Signature,
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
    pub jump_candidate: Option<(i64, dllhound_model::Provenance)>,
    /// Event time of the last sweep.
    pub last_sweep: i64,
    /// Estimated bytes held by this host's records (not counting this struct).
    pub bytes: usize,
    /// Trigger loads by (time, arrival sequence).
    /// Boxed: a B-tree allocates leaves of eleven slots, and most hosts hold one or two.
    pub pending: BTreeMap<(i64, u64), Box<PendingLoad>>,
    /// What each corroborating branch holds ([`crate::branches`]), kept for two windows.
    pub branches: BranchStores,
    /// Every process start, for enrichment (kept for the process retention).
    pub procs: Store<ProcessKey, ProcessStart>,
    /// The processes each process started (identity and main image), by parent.
    pub spawned: Store<ProcessKey, Spawn>,
    /// File events of module-like paths over the whole run ([`crate::context::history`]).
    pub history: FileHistory,
    /// COM in-process server registrations by class id (kept as long as process starts).
    pub coms: Store<Box<str>, ComServer>,
    /// Signer facts by SHA-1 (MDE certificate rows), kept for the reach they sign loads in
    /// (`correlate/signer.rs`).
    pub certs: HashMap<Box<str>, CertFact>,
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
            branches: BranchStores::default(),
            procs: Store::default(),
            spawned: Store::default(),
            history: FileHistory::default(),
            coms: Store::default(),
            certs: HashMap::new(),
        }
    }

    /// True when the host holds nothing (it can be forgotten without losing a match).
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
            && self.branches.is_empty()
            && self.procs.is_empty()
            && self.spawned.is_empty()
            && self.history.is_empty()
            && self.coms.is_empty()
            && self.certs.is_empty()
    }

    /// Holds what the branches want of `ev`.
    pub fn hold(&mut self, ev: &mut dllhound_model::Event) {
        self.bytes += self.branches.hold(ev);
    }

    pub fn add_proc(&mut self, h: Held<ProcessStart>) {
        self.bytes += self.procs.insert(h.ev.process.clone(), h, false);
    }

    /// Remembers a file event in the host's file history.
    pub fn add_history(&mut self, ev: &dllhound_model::Event) {
        if let dllhound_model::EventKind::FileWrite(w) = &ev.kind {
            let delta = self.history.record(ev.time.millis(), w, &ev.provenance);
            self.bytes = self.bytes.saturating_add_signed(delta);
        }
    }

    pub fn add_spawned(&mut self, parent: ProcessKey, h: Held<Spawn>) {
        self.bytes += self.spawned.insert(parent, h, false);
    }

    pub fn add_com(&mut self, h: Held<ComServer>) {
        self.bytes += self.coms.insert(h.ev.clsid.clone(), h, false);
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

    /// Drops records older than `keep_from` (and process starts and COM registrations older than
    /// `procs_from`). Returns how many records went.
    pub fn sweep(&mut self, keep_from: i64, procs_from: i64) -> u64 {
        let mut gone = self.branches.sweep(keep_from);
        for g in [
            self.procs.sweep(procs_from),
            self.coms.sweep(procs_from),
            self.spawned.sweep(keep_from),
        ] {
            add_gone(&mut gone, g);
        }
        self.bytes = self.bytes.saturating_sub(gone.1);
        gone.0
    }

    /// Forgets the file history of `dll` (a load of it was suppressed).
    pub fn forget_history(&mut self, dll: &dllhound_model::WinPath) {
        let freed = self
            .history
            .forget(crate::branches::index_key(dll.match_key()).0);
        self.bytes = self.bytes.saturating_sub(freed);
    }

    /// Drops file-history entries older than `keep_from` (memory pressure only: the history is
    /// otherwise kept for the whole run). Returns how many went.
    pub fn sweep_history(&mut self, keep_from: i64) -> u64 {
        let (n, bytes) = self.history.sweep(keep_from);
        self.bytes = self.bytes.saturating_sub(bytes);
        n
    }

    /// Drops signer facts last seen before `keep_from`. Returns how many went.
    pub fn sweep_certs(&mut self, keep_from: i64) -> u64 {
        let (mut records, mut bytes) = (0, 0);
        self.certs.retain(|k, f| {
            let keep = f.time >= keep_from;
            if !keep {
                records += 1;
                bytes += cert_bytes(k, f);
            }
            keep
        });
        self.bytes = self.bytes.saturating_sub(bytes);
        records
    }

    /// Gives back the memory of collections that shrank to under a quarter of their capacity (hash
    /// maps and vectors keep their largest size otherwise).
    pub fn shrink(&mut self) {
        self.branches.shrink();
        self.procs.shrink();
        self.coms.shrink();
        self.spawned.shrink();
        if self.certs.len() < self.certs.capacity() / 4 {
            self.certs.shrink_to_fit();
        }
    }

    /// Event times of every held record and pending trigger (for choosing a memory-eviction cutoff).
    pub fn times(&self, out: &mut Vec<i64>) {
        out.extend(self.pending.keys().map(|k| k.0));
        self.branches.times(out);
        self.procs.times(out);
        self.coms.times(out);
        self.spawned.times(out);
        self.history.times(out);
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
            && self
                .spawned
                .get(loader)
                .iter()
                .any(|h| &*h.ev.image_key == module_key && (h.time - t).abs() <= window_ms)
    }

    /// Enforces `cap` records per kind by dropping the oldest. Returns how many were dropped.
    pub fn enforce_cap(&mut self, cap: usize) -> u64 {
        let mut gone = self.branches.cap(cap);
        for g in [
            self.procs.cap(cap),
            self.coms.cap(cap),
            self.spawned.cap(cap),
        ] {
            add_gone(&mut gone, g);
        }
        self.bytes = self.bytes.saturating_sub(gone.1);
        gone.0
    }
}
