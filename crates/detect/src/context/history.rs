//! A DLL's file history on one host, from the whole input (`dll.file.history[]`).
//!
//! Branch (a) only looks two windows back; an analyst also wants to know that the DLL was written
//! three days before it was loaded, deleted afterwards, or had its creation time changed
//! (timestomping, Sysmon 2). So every file event of a *module-like* path (by extension, or any path
//! Sysmon 29 saw an executable land in) is remembered per host for the whole run, under the same
//! index key branch (a) uses ([`crate::branches::index_key`]: a DLL's alternate data streams and
//! download-in-progress names are part of its story).
//!
//! The index is bounded and compact: at most [`ENTRIES_PER_HOST`] entries per host and
//! [`ENTRIES_PER_PATH`] per path (the first ones and the latest are kept), the least recently
//! touched path going first; paths are held as a hash of their index key, writers once per host,
//! and the rare fields (hash, creation time, a stream's spelling) boxed apart, so an entry costs
//! about a hundred bytes. Every entry dropped is counted ([`FileHistory::evictions`]); entries
//! count against the correlator's memory budget, and under memory pressure the oldest go first
//! like any other state. A path whose load the tuning suppressed is forgotten (unless suppressed
//! triggers are listed, `--show-suppressed`): it will not alert, and a fleet's installers write
//! thousands of such DLLs; a later write of it is remembered again.

use crate::branches::index_key;
use crate::state::Held;
use dllhound_model::{FileWrite, FileWriteKind, ProcessKey, Provenance, Timestamp, WinPath};
use serde::Serialize;
use std::collections::HashMap;

/// Entries remembered per host.
pub const ENTRIES_PER_HOST: usize = 256;
/// Entries remembered per path: the first `ENTRIES_PER_PATH - 1` and the latest.
pub const ENTRIES_PER_PATH: usize = 12;

/// Extensions of files a process can map as a module (or that carry one).
const MODULE_EXTENSIONS: &[&str] = &[
    "dll", "exe", "ocx", "cpl", "sys", "drv", "scr", "ax", "acm", "xll", "wll", "pyd", "node",
    "tmp", "dat", "bin",
];

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

fn hash_key(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// A process that wrote files, held once per host however many entries name it.
#[derive(Debug, Clone, PartialEq)]
struct Writer {
    process: ProcessKey,
    image: WinPath,
}

/// What few entries carry: a hash, a Sysmon 2 creation time, a path spelled differently from the
/// DLL's (a stream or download name).
#[derive(Debug, Clone, Default)]
struct Rare {
    sha256: Option<Box<str>>,
    creation_time: Option<(Timestamp, Option<Timestamp>)>,
    path: Option<WinPath>,
}

/// One history entry, compact: a fleet's hosts each hold a dozen or more (installers).
#[derive(Debug, Clone)]
struct Entry {
    time: i64,
    /// Hash of the path's index key.
    key: u64,
    how: FileWriteKind,
    writer: u16,
    rare: Option<Box<Rare>>,
    prov: Provenance,
}

/// Bytes one entry costs: its slot, its share of the vector's doubling slack, its rare part.
fn entry_bytes(e: &Entry) -> usize {
    let rare = e.rare.as_ref().map_or(0, |r| {
        std::mem::size_of::<Rare>()
            + r.sha256
                .as_ref()
                .map_or(0, |h| dllhound_model::heap(h.len()))
            + r.path.as_ref().map_or(0, WinPath::heap_bytes)
    });
    std::mem::size_of::<Entry>() * 5 / 4 + rare
}

fn writer_bytes(w: &Writer) -> usize {
    std::mem::size_of::<Writer>() * 5 / 4 + w.process.heap_bytes() + w.image.heap_bytes()
}

/// The file history of one host.
#[derive(Debug, Default)]
pub struct FileHistory {
    entries: Vec<Entry>,
    writers: Vec<Writer>,
    /// Entries dropped by the caps (not by memory pressure, which the correlator counts).
    pub evictions: u64,
}

impl FileHistory {
    /// Remembers `w` if its path is module-like; returns the change in estimated bytes held.
    pub fn record(&mut self, time: i64, w: &FileWrite, prov: &Provenance) -> isize {
        if !wanted(w) {
            return 0;
        }
        let (ikey, _) = index_key(w.target.match_key());
        let key = hash_key(ikey);
        let mut delta = 0isize;
        if self.entries.len() >= ENTRIES_PER_HOST {
            delta -= self.evict_stalest();
        }
        let writer = Writer {
            process: w.process.clone(),
            image: w.image.clone(),
        };
        let idx = match self.writers.iter().position(|x| *x == writer) {
            Some(i) => i,
            None => {
                if self.writers.len() > u16::MAX as usize {
                    self.evictions += 1;
                    return delta;
                }
                delta += writer_bytes(&writer) as isize;
                self.writers.push(writer);
                self.writers.len() - 1
            }
        };
        let rare = (w.sha256.is_some()
            || w.creation_time.is_some()
            || w.target.match_key() != ikey)
            .then(|| {
                Box::new(Rare {
                    sha256: w.sha256.clone(),
                    creation_time: w.creation_time,
                    path: (w.target.match_key() != ikey).then(|| w.target.clone()),
                })
            });
        let e = Entry {
            time,
            key,
            how: w.how,
            writer: idx as u16,
            rare,
            prov: prov.clone(),
        };
        delta += entry_bytes(&e) as isize;
        let (mut same, mut last) = (0, 0);
        for (i, x) in self.entries.iter().enumerate() {
            if x.key == key {
                same += 1;
                last = i;
            }
        }
        if same >= ENTRIES_PER_PATH {
            // Keep the first ones and the latest: the newest replaces the previous latest.
            self.evictions += 1;
            let l = &self.entries[last];
            if (time, prov) >= (l.time, &l.prov) {
                delta -= entry_bytes(l) as isize;
                self.entries[last] = e;
            } else {
                delta -= entry_bytes(&e) as isize;
            }
        } else {
            self.entries.push(e);
        }
        delta
    }

    /// Drops every entry of the path touched least recently, and the writers no entry names any
    /// more; returns the bytes freed.
    fn evict_stalest(&mut self) -> isize {
        let mut last: HashMap<u64, i64> = HashMap::new();
        for e in &self.entries {
            let t = last.entry(e.key).or_insert(e.time);
            *t = (*t).max(e.time);
        }
        let Some((&key, _)) = last.iter().min_by_key(|(k, t)| (**t, **k)) else {
            return 0;
        };
        let mut freed = 0;
        let before = self.entries.len();
        self.entries.retain(|e| {
            let keep = e.key != key;
            if !keep {
                freed += entry_bytes(e);
            }
            keep
        });
        self.evictions += (before - self.entries.len()) as u64;
        freed += self.compact_writers();
        freed as isize
    }

    /// Drops writers no entry names; returns the bytes freed.
    fn compact_writers(&mut self) -> usize {
        let mut used = vec![false; self.writers.len()];
        for e in &self.entries {
            if let Some(u) = used.get_mut(e.writer as usize) {
                *u = true;
            }
        }
        if used.iter().all(|u| *u) {
            return 0;
        }
        let mut map = vec![0u16; self.writers.len()];
        let mut kept = Vec::with_capacity(self.writers.len());
        let mut freed = 0;
        for (i, w) in std::mem::take(&mut self.writers).into_iter().enumerate() {
            if used[i] {
                map[i] = kept.len() as u16;
                kept.push(w);
            } else {
                freed += writer_bytes(&w);
            }
        }
        for e in &mut self.entries {
            e.writer = map.get(e.writer as usize).copied().unwrap_or(0);
        }
        self.writers = kept;
        freed
    }

    /// The events of the path with index key `key`, in arrival order; `dll` is the loaded path,
    /// shown for entries logged under the same spelling.
    pub fn events(&self, key: &str, dll: &WinPath) -> Vec<FileEvent> {
        let key = hash_key(key);
        self.entries
            .iter()
            .filter(|e| e.key == key)
            .map(|e| {
                let w = self.writers.get(e.writer as usize);
                let rare = e.rare.as_deref();
                FileEvent {
                    time: Timestamp(e.time),
                    action: e.how.as_str(),
                    path: rare
                        .and_then(|r| r.path.clone())
                        .unwrap_or_else(|| dll.clone()),
                    process: FileActor {
                        executable: w.map_or_else(|| WinPath::new(""), |w| w.image.clone()),
                        entity_id: w.map_or(ProcessKey::Unknown, |w| w.process.clone()),
                    },
                    sha256: rare.and_then(|r| r.sha256.clone()),
                    creation_time: rare.and_then(|r| r.creation_time).map(|c| c.0),
                    previous_creation_time: rare.and_then(|r| r.creation_time).and_then(|c| c.1),
                    provenance: e.prov.clone(),
                }
            })
            .collect()
    }

    /// Forgets the path with index key `key` (a load of it was suppressed: it will not alert, and
    /// a fleet's installers write thousands of such paths); returns the bytes freed.
    pub fn forget(&mut self, key: &str) -> usize {
        let key = hash_key(key);
        let mut freed = 0;
        self.entries.retain(|e| {
            let keep = e.key != key;
            if !keep {
                freed += entry_bytes(e);
            }
            keep
        });
        if freed > 0 {
            freed += self.compact_writers();
        }
        freed
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Event times of every entry.
    pub fn times(&self, out: &mut Vec<i64>) {
        out.extend(self.entries.iter().map(|e| e.time));
    }

    /// Drops entries older than `keep_from` (memory pressure); returns (records, bytes) gone.
    pub fn sweep(&mut self, keep_from: i64) -> (u64, usize) {
        let mut gone = (0u64, 0usize);
        self.entries.retain(|e| {
            let keep = e.time >= keep_from;
            if !keep {
                gone.0 += 1;
                gone.1 += entry_bytes(e);
            }
            keep
        });
        if gone.0 > 0 {
            gone.1 += self.compact_writers();
        }
        if self.entries.len() < self.entries.capacity() / 4 {
            self.entries.shrink_to_fit();
            self.writers.shrink_to_fit();
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
            file_record: Some(n),
            record_id: None,
            line: None,
            event_code: "sysmon:11".into(),
        }
    }

    #[test]
    fn keeps_module_paths_with_streams_and_caps_with_counted_evictions() {
        let dll = WinPath::new(r"C:\t\a.dll");
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
        let got = h.events(r"\t\a.dll", &dll);
        let actions: Vec<_> = got.iter().map(|e| e.action).collect();
        assert_eq!(actions, ["create", "stream", "delete"]);
        assert_eq!(got[1].path.original(), r"C:\t\a.dll:Zone.Identifier");
        assert_eq!(got[0].process.executable.original(), r"C:\w.exe");
        for i in 0..(ENTRIES_PER_PATH as i64 + 5) {
            h.record(
                10 + i,
                &write(r"C:\t\a.dll", FileWriteKind::Create),
                &prov(10 + i as u64),
            );
        }
        let a = h.events(r"\t\a.dll", &dll);
        assert_eq!(a.len(), ENTRIES_PER_PATH);
        assert_eq!(a[0].time, Timestamp(2), "the first entry stays");
        assert_eq!(
            a[ENTRIES_PER_PATH - 1].time,
            Timestamp(10 + ENTRIES_PER_PATH as i64 + 4),
            "and the latest"
        );
        assert_eq!(h.evictions, 8);
        for i in 0..ENTRIES_PER_HOST {
            h.record(
                100 + i as i64,
                &write(&format!(r"C:\t\{i}.dll"), FileWriteKind::Create),
                &prov(0),
            );
        }
        assert!(
            h.events(r"\t\a.dll", &dll).is_empty(),
            "the stalest path went"
        );
        assert_eq!(h.evictions, 8 + ENTRIES_PER_PATH as u64);
        let (n, _) = h.sweep(i64::MAX);
        assert_eq!(n, ENTRIES_PER_HOST as u64);
        assert!(h.is_empty() && h.writers.is_empty());
    }
}
