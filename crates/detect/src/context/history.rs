//! A DLL's file history on one host, from the whole input (`dll.file.history[]`).
//!
//! Branch (a) only looks two windows back; an analyst also wants to know that the DLL was written
//! three days before it was loaded, deleted afterwards, or had its creation time changed
//! (timestomping, Sysmon 2). So every file event of a *module-like* path (by extension, or any path
//! Sysmon 29 saw an executable land in) is remembered per host for the whole run, under the same
//! index key branch (a) uses ([`crate::branches::index_key`]: a DLL's alternate data streams and
//! download-in-progress names are part of its story).
//!
//! The index is bounded: at most [`PATHS_PER_HOST`] paths and [`ENTRIES_PER_PATH`] entries per
//! path (the first ones and the latest are kept), the least recently touched path going first.
//! Every entry dropped is counted ([`FileHistory::evictions`]); entries count against the
//! correlator's memory budget, and under memory pressure the oldest go first like any other state.

use crate::branches::index_key;
use crate::state::Held;
use dllhound_model::{FileWrite, FileWriteKind, ProcessKey, Provenance, Timestamp, WinPath};
use serde::Serialize;
use std::collections::HashMap;

/// Paths remembered per host.
pub const PATHS_PER_HOST: usize = 48;
/// Entries remembered per path: the first `ENTRIES_PER_PATH - 1` and the latest.
pub const ENTRIES_PER_PATH: usize = 12;

/// Extensions of files a process can map as a module (or that carry one).
const MODULE_EXTENSIONS: &[&str] = &[
    "dll", "exe", "ocx", "cpl", "sys", "drv", "scr", "ax", "acm", "xll", "wll", "pyd", "node",
    "tmp", "dat", "bin",
];

/// Bytes a path's own slot costs: its key, its share of the map's buckets at the table's load
/// factor and doubling slack, and the vector header.
fn path_bytes(key: &str) -> usize {
    dllhound_model::heap(key.len()) + 160
}

/// True when file events of `w` belong in the history.
fn wanted(w: &FileWrite) -> bool {
    if w.how == FileWriteKind::ExecutableDetected {
        return true;
    }
    let (key, _) = index_key(w.target.match_key());
    let name = key.rsplit('\\').next().unwrap_or(key);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| MODULE_EXTENSIONS.contains(&ext))
}

/// One path's entries, in arrival order, and when it was last touched (event time).
#[derive(Debug, Default)]
struct PathEntries {
    entries: Vec<Held<FileWrite>>,
    touched: i64,
}

/// The file history of one host.
#[derive(Debug, Default)]
pub struct FileHistory {
    paths: HashMap<Box<str>, PathEntries>,
    /// Entries dropped by the caps (not by memory pressure, which the correlator counts).
    pub evictions: u64,
}

impl FileHistory {
    /// Remembers `w` if its path is module-like; returns the change in estimated bytes held.
    pub fn record(&mut self, time: i64, w: &FileWrite, prov: &Provenance) -> isize {
        if !wanted(w) {
            return 0;
        }
        let key = index_key(w.target.match_key()).0;
        let mut delta = 0isize;
        if !self.paths.contains_key(key) && self.paths.len() >= PATHS_PER_HOST {
            delta -= self.evict_stalest();
        }
        let h = Held {
            time,
            ev: FileWrite {
                pid: None,
                ..w.clone()
            },
            prov: prov.clone(),
        };
        delta += (h.bytes()
            + if self.paths.contains_key(key) {
                0
            } else {
                path_bytes(key)
            }) as isize;
        let p = self.paths.entry(key.into()).or_insert_with(|| PathEntries {
            entries: Vec::with_capacity(1),
            touched: time,
        });
        p.touched = p.touched.max(time);
        if p.entries.len() >= ENTRIES_PER_PATH {
            // Keep the first ones and the latest: the newest replaces the previous latest.
            if let Some(last) = p.entries.last_mut() {
                if (time, prov) >= (last.time, &last.prov) {
                    delta -= last.bytes() as isize;
                    *last = h;
                } else {
                    delta -= h.bytes() as isize;
                }
            }
            self.evictions += 1;
        } else {
            p.entries.push(h);
        }
        delta
    }

    /// Drops the path touched least recently; returns the bytes freed.
    fn evict_stalest(&mut self) -> isize {
        let Some(k) = self
            .paths
            .iter()
            .min_by_key(|(k, p)| (p.touched, *k))
            .map(|(k, _)| k.clone())
        else {
            return 0;
        };
        let Some(p) = self.paths.remove(&k) else {
            return 0;
        };
        self.evictions += p.entries.len() as u64;
        (path_bytes(&k) + p.entries.iter().map(Held::bytes).sum::<usize>()) as isize
    }

    /// The entries of the path with index key `key`.
    pub fn get(&self, key: &str) -> &[Held<FileWrite>] {
        self.paths.get(key).map_or(&[], |p| p.entries.as_slice())
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Event times of every entry.
    pub fn times(&self, out: &mut Vec<i64>) {
        out.extend(
            self.paths
                .values()
                .flat_map(|p| p.entries.iter().map(|h| h.time)),
        );
    }

    /// Drops entries older than `keep_from` (memory pressure); returns (records, bytes) gone.
    pub fn sweep(&mut self, keep_from: i64) -> (u64, usize) {
        let mut gone = (0u64, 0usize);
        self.paths.retain(|k, p| {
            p.entries.retain(|h| {
                let keep = h.time >= keep_from;
                if !keep {
                    gone.0 += 1;
                    gone.1 += h.bytes();
                }
                keep
            });
            if p.entries.is_empty() {
                gone.1 += path_bytes(k);
            }
            !p.entries.is_empty()
        });
        if self.paths.len() < self.paths.capacity() / 4 {
            self.paths.shrink_to_fit();
        }
        gone
    }
}

/// One event of the DLL's file history (`dll.file.history[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileEvent {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    /// `create`, `stream`, `executable_detected`, `delete`, `delete_detected`,
    /// `creation_time_changed` ([`FileWriteKind::as_str`]).
    pub action: &'static str,
    /// The path as logged (a stream or download name of the DLL shows as such).
    pub path: WinPath,
    pub process: FileActor,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Box<str>>,
    /// Sysmon 2: the creation time the file was given …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<Timestamp>,
    /// … and the one it had before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_creation_time: Option<Timestamp>,
    pub provenance: Provenance,
}

/// The process behind a file event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileActor {
    pub executable: WinPath,
    pub entity_id: ProcessKey,
}

impl FileEvent {
    pub fn from_held(h: &Held<FileWrite>) -> FileEvent {
        let w = &h.ev;
        FileEvent {
            time: Timestamp(h.time),
            action: w.how.as_str(),
            path: w.target.clone(),
            process: FileActor {
                executable: w.image.clone(),
                entity_id: w.process.clone(),
            },
            sha256: w.sha256.clone(),
            creation_time: w.creation_time.map(|c| c.0),
            previous_creation_time: w.creation_time.and_then(|c| c.1),
            provenance: h.prov.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &str, how: FileWriteKind) -> FileWrite {
        FileWrite {
            process: ProcessKey::Guid("w".into()),
            pid: Some(4),
            image: WinPath::new(r"C:\w.exe"),
            target: WinPath::new(path),
            how,
            sha256: None,
            creation_time: None,
        }
    }

    fn prov(n: u64) -> Provenance {
        Provenance {
            file: "f".into(),
            record: Some(n),
            line: None,
            event_code: "sysmon:11".into(),
        }
    }

    #[test]
    fn keeps_module_paths_with_streams_and_caps_with_counted_evictions() {
        let mut h = FileHistory::default();
        assert_eq!(
            h.record(1, &write(r"C:\t\a.txt", FileWriteKind::Create), &prov(1)),
            0
        );
        assert!(h.record(2, &write(r"C:\t\a.dll", FileWriteKind::Create), &prov(2)) > 0);
        h.record(
            3,
            &write(r"C:\t\a.dll:Zone.Identifier", FileWriteKind::Stream),
            &prov(3),
        );
        h.record(4, &write(r"C:\t\a.dll", FileWriteKind::Delete), &prov(4));
        let got: Vec<_> = h.get(r"\t\a.dll").iter().map(|e| e.ev.how).collect();
        assert_eq!(
            got,
            [
                FileWriteKind::Create,
                FileWriteKind::Stream,
                FileWriteKind::Delete
            ]
        );
        for i in 0..(ENTRIES_PER_PATH as i64 + 5) {
            h.record(
                10 + i,
                &write(r"C:\t\a.dll", FileWriteKind::Create),
                &prov(10 + i as u64),
            );
        }
        let a = h.get(r"\t\a.dll");
        assert_eq!(a.len(), ENTRIES_PER_PATH);
        assert_eq!(a[0].time, 2, "the first entry stays");
        assert_eq!(
            a[ENTRIES_PER_PATH - 1].time,
            10 + ENTRIES_PER_PATH as i64 + 4,
            "and the latest"
        );
        assert_eq!(h.evictions, 8);
        for i in 0..PATHS_PER_HOST {
            h.record(
                100 + i as i64,
                &write(&format!(r"C:\t\{i}.dll"), FileWriteKind::Create),
                &prov(0),
            );
        }
        assert!(h.get(r"\t\a.dll").is_empty(), "the stalest path went");
        assert_eq!(h.evictions, 8 + ENTRIES_PER_PATH as u64);
        let (n, _) = h.sweep(i64::MAX);
        assert_eq!(n, PATHS_PER_HOST as u64);
        assert!(h.is_empty());
    }
}
