//! What the loading process started after the load (`children[]`), and what each child did that
//! matters here: its own outbound connections and the files it wrote.
//!
//! A child is a process start whose parent identity (`ParentProcessGuid`,
//! `process.parent.entity_id`, MDE's initiating process) is the loader's, started within the widest
//! window after the load. Its activity is bounded by the same window (load time + window), so the
//! list depends only on the input, not on the order it arrived in: everything up to that time is in
//! before the trigger is decided.

use crate::branches::NetEvidence;
use crate::state::HostState;
use crate::Config;
use dllhound_model::{FileWriteKind, Footprint, ProcessKey, Provenance, Timestamp, WinPath};
use serde::Serialize;

/// A process start seen under its parent (the correlator's `spawned` store).
#[derive(Debug, Clone, PartialEq)]
pub struct Spawn {
    pub child: ProcessKey,
    /// The child's executable, match key.
    pub image_key: Box<str>,
}

impl Footprint for Spawn {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.child.heap_bytes()
            + dllhound_model::heap(self.image_key.len())
    }
}

/// One child of the loader (`children[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Child {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    /// Child start minus load time, in seconds (≥ 0).
    pub delta_seconds: f64,
    pub process: ChildProcess,
    /// Connections the child initiated to non-local addresses; `delta_seconds` is from the load.
    pub network: Vec<NetEvidence>,
    /// Files the child wrote.
    pub files: Vec<ChildFile>,
    /// The child's start record.
    pub provenance: Provenance,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChildProcess {
    pub entity_id: ProcessKey,
    pub pid: Option<u32>,
    pub executable: WinPath,
    pub command_line: Option<Box<str>>,
}

/// A file a child wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChildFile {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    pub action: FileWriteKind,
    pub path: WinPath,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Box<str>>,
    pub provenance: Provenance,
}

/// The children `loader` started within the widest window after the load at `t`.
pub fn children(cfg: &Config, st: &HostState, loader: &ProcessKey, t: i64) -> Vec<Child> {
    if !loader.is_known() {
        return Vec::new();
    }
    let end = t.saturating_add(cfg.max_window_ms());
    let mut out: Vec<Child> = st
        .spawned
        .get(loader)
        .iter()
        .filter(|s| s.time >= t && s.time <= end)
        .map(|s| {
            let key = &s.ev.child;
            let start = st
                .procs
                .get(key)
                .iter()
                .min_by_key(|p| ((p.time - s.time).abs(), &p.prov));
            let network = st
                .branches
                .outbound_network
                .get(key)
                .iter()
                .filter(|n| n.time >= s.time && n.time <= end)
                .filter_map(|n| crate::branches::outbound(n, t))
                .collect();
            let mut files: Vec<ChildFile> = st
                .branches
                .fresh_write
                .iter()
                .flat_map(|(_, v)| v.iter())
                .filter(|w| &w.ev.process == key && w.time >= s.time && w.time <= end)
                .map(|w| ChildFile {
                    time: Timestamp(w.time),
                    action: w.ev.how,
                    path: w.ev.target.clone(),
                    sha256: w.ev.sha256.clone(),
                    provenance: w.prov.clone(),
                })
                .collect();
            files.sort_by(|a, b| (a.time, &a.provenance).cmp(&(b.time, &b.provenance)));
            Child {
                time: Timestamp(s.time),
                delta_seconds: crate::branches::secs(s.time - t),
                process: ChildProcess {
                    entity_id: key.clone(),
                    pid: start.and_then(|p| p.ev.pid),
                    executable: start
                        .map(|p| p.ev.image.clone())
                        .unwrap_or_else(|| WinPath::new(&s.ev.image_key)),
                    command_line: start.and_then(|p| p.ev.command_line.clone()),
                },
                network,
                files,
                provenance: s.prov.clone(),
            }
        })
        .collect();
    sort_dedupe(&mut out);
    out
}

/// Orders children by start time and drops repeats (the same start seen for two loads).
pub fn sort_dedupe(v: &mut Vec<Child>) {
    v.sort_by(|a, b| (a.time, &a.provenance).cmp(&(b.time, &b.provenance)));
    v.dedup_by(|a, b| a.provenance == b.provenance && a.process.entity_id == b.process.entity_id);
}
