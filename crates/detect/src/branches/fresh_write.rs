//! Branch (a), a fresh write: the DLL was written to disk at most the window before it was loaded
//! (Sysmon 11 file create, 15 file stream, 29 executable detected; ECS and MDE file events).
//!
//! Writes are held under an *index key*: the target's match key without an alternate-data-stream
//! suffix (`x.dll:Zone.Identifier` → `x.dll`) and without a browser's download-in-progress suffix
//! (`x.dll.crdownload`, `x.dll.part`, `x.dll.partial` → `x.dll`). A load of `P` then finds, under
//! the index key of `P`:
//! * writes of `P` itself ([`WriteMatch::Exact`]; a DLL hosted in a stream, `P` = `x.txt:x.dll`,
//!   still meets its own write);
//! * writes of a stream of `P` ([`WriteMatch::Stream`]): Sysmon 15 logs the Mark-of-the-Web a
//!   browser attaches to a download it saved as `P`;
//! * writes of `P.crdownload` and the like ([`WriteMatch::Download`]): the browser renames the file
//!   to `P` when the download completes, and Sysmon does not log renames.
//!
//! Only when none of these is in the window are 8.3 spellings tried
//! ([`WriteMatch::ShortNameAlias`], [`dllhound_model::short_name::aliases`]): index keys that agree
//! segment by segment through `NAME~N` names. That scan only runs for a load whose path has a `~`,
//! or on a host that has held a write whose path has one.

use super::{ago, secs, BranchInfo, Corroborator, Points, Probe, Store, WindowInfo};
use crate::alert::{Alert, TimelineEntry};
use crate::coverage::{HostCoverage, Verdict};
use crate::lolbin::is_risky_writer;
use crate::state::Held;
use dllhound_model::{
    Event, EventKind, FileWrite, FileWriteKind, ProcessKey, Provenance, Timestamp, WinPath,
};
use serde::Serialize;

/// How a write's path met the loaded DLL's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteMatch {
    /// The same path.
    Exact,
    /// An alternate data stream of the DLL (`x.dll:Zone.Identifier`, the Mark-of-the-Web a browser
    /// writes with a download).
    Stream,
    /// A browser's download-in-progress file of the DLL (`x.dll.crdownload`, `x.dll.part`), renamed
    /// to the DLL when the download finished (the rename is not logged).
    Download,
    /// The same path spelled through 8.3 short names on one side (`PEDRO~1.GUS`).
    ShortNameAlias,
}

/// A write of the loaded path (`evidence.fresh_write[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteEvidence {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    /// Write time minus load time, in seconds (≤ 0).
    pub delta_seconds: f64,
    pub how: FileWriteKind,
    pub path: WinPath,
    /// The writing process.
    pub process_executable: WinPath,
    pub process_entity_id: ProcessKey,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Box<str>>,
    /// How the write's path met the DLL's.
    pub matched: WriteMatch,
    pub provenance: Provenance,
}

/// File-name suffixes browsers give a download until it completes.
const DOWNLOAD_SUFFIXES: &[&str] = &[".crdownload", ".partial", ".part"];

/// The key a write of (or a load from) `match_key` is held and looked up under, and how a path
/// with that key relates to the file the key names.
pub fn index_key(match_key: &str) -> (&str, WriteMatch) {
    let name_at = match_key.rfind('\\').map_or(0, |i| i + 1);
    // The drive letter is not part of a match key, so a colon in the last segment is a stream.
    if let Some(c) = match_key[name_at..].find(':') {
        return (&match_key[..name_at + c], WriteMatch::Stream);
    }
    for suffix in DOWNLOAD_SUFFIXES {
        if let Some(base) = match_key.strip_suffix(suffix) {
            if base.len() > name_at {
                return (base, WriteMatch::Download);
            }
        }
    }
    (match_key, WriteMatch::Exact)
}

/// Branch (a).
pub struct FreshWrite;

impl Corroborator for FreshWrite {
    /// The target's index key ([`index_key`]).
    type Key = Box<str>;
    type Item = FileWrite;
    type Evidence = WriteEvidence;
    type Same = (Timestamp, FileWriteKind, ProcessKey, Box<str>);

    const INFO: BranchInfo = BranchInfo {
        name: "fresh_write",
        letter: Some('a'),
        label: "(a) fresh write",
        noun: "write",
        lane: "written by",
        window: WindowInfo {
            flag: "fresh-write",
            help: "Override the window of branch (a), fresh write",
        },
    };

    /// Every file write, moved out of the event (deletes and creation-time changes are not
    /// writes: they go to the file history only, [`crate::context::history`]).
    fn hold(ev: &mut Event) -> Option<(Box<str>, FileWrite)> {
        let EventKind::FileWrite(w) = &mut ev.kind else {
            return None;
        };
        if !w.how.is_write() {
            return None;
        }
        let key = index_key(w.target.match_key()).0.into();
        let w = FileWrite {
            process: std::mem::replace(&mut w.process, ProcessKey::Unknown),
            pid: w.pid,
            image: std::mem::replace(&mut w.image, WinPath::new("")),
            target: std::mem::replace(&mut w.target, WinPath::new("")),
            how: w.how,
            sha256: w.sha256.take(),
            creation_time: None,
        };
        Some((key, w))
    }

    /// A key with a `~` turns on the 8.3 alias search for every load of the host.
    fn marks(key: &Box<str>) -> bool {
        key.contains('~')
    }

    /// The writes that freshly wrote the load's DLL (within the window before it).
    fn find(p: &Probe<'_>, held: &Store<Box<str>, FileWrite>) -> Vec<WriteEvidence> {
        let t = p.t;
        let key = p.load.dll.match_key();
        let (ikey, _) = index_key(key);
        let in_window = |w: &&Held<FileWrite>| w.time <= t && t - w.time <= p.window_ms;
        let mut out: Vec<WriteEvidence> = held
            .get(ikey)
            .iter()
            .filter(in_window)
            .filter_map(|w| {
                let wkey = w.ev.target.match_key();
                let how = if wkey == key {
                    WriteMatch::Exact
                } else {
                    match index_key(wkey) {
                        (k, m) if k == key => m,
                        _ => return None,
                    }
                };
                Some(evidence(w, t, how))
            })
            .collect();
        if out.is_empty() && (held.marked() || ikey.contains('~')) {
            for (k, ws) in held.iter() {
                if dllhound_model::short_name::aliases(k, ikey) {
                    out.extend(
                        ws.iter()
                            .filter(in_window)
                            .map(|w| evidence(w, t, WriteMatch::ShortNameAlias)),
                    );
                }
            }
        }
        out
    }

    fn when(e: &WriteEvidence) -> (Timestamp, &Provenance) {
        (e.time, &e.provenance)
    }

    fn same(w: &WriteEvidence) -> Self::Same {
        (
            w.time,
            w.how,
            w.process_entity_id.clone(),
            w.path.match_key().into(),
        )
    }

    /// The first write in words; 10 points when a browser, Office, archiver, script host or
    /// downloader wrote it.
    fn score(items: &[WriteEvidence], _: &Alert, out: &mut Points) {
        if let Some(w) = items.first() {
            out.reasons.push(words(w));
        }
        if items.iter().any(|w| is_risky_writer(&w.process_executable)) {
            out.points += 10;
            out.reasons
                .push("The writer is a browser, Office, archive, script or download tool.".into());
        }
    }

    fn timeline(w: &WriteEvidence, out: &mut Vec<TimelineEntry>) {
        out.push(TimelineEntry {
            time: w.time,
            role: Self::INFO.name,
            summary: format!("{} wrote {} ({:?})", w.process_executable, w.path, w.how),
            provenance: w.provenance.clone(),
        });
    }

    fn coverage(c: &HostCoverage) -> Option<Verdict> {
        Some(
            if c.file_creates + c.file_streams + c.executables_detected == 0 {
                Verdict::blind(
                    "no file-create, file-stream or executable-detected events (Sysmon 11/15/29)",
                )
            } else {
                Verdict::evaluable()
            },
        )
    }
}

/// The sentence for one write, saying how its path met the DLL's.
fn words(w: &WriteEvidence) -> String {
    let when = ago(w.delta_seconds);
    let who = &w.process_executable;
    match w.matched {
        WriteMatch::Exact => format!("(a) It was freshly written {when} the load by {who}."),
        WriteMatch::Stream => {
            let stream = w.path.original().rsplit(':').next().unwrap_or_default();
            if stream.eq_ignore_ascii_case("Zone.Identifier") {
                format!(
                    "(a) Mark-of-the-Web written by {} {when} the load (the DLL's Zone.Identifier stream): it was downloaded, by {who}.",
                    who.original_file_name().to_lowercase()
                )
            } else {
                format!("(a) Its {stream} stream was written {when} the load by {who}.")
            }
        }
        WriteMatch::Download => format!(
            "(a) It was downloaded as {} {when} the load by {who} (renamed to the DLL when the download completed).",
            w.path
        ),
        WriteMatch::ShortNameAlias => format!(
            "(a) It was freshly written {when} the load by {who}, as {} (matched through an 8.3 alias).",
            w.path
        ),
    }
}

fn evidence(w: &Held<FileWrite>, t: i64, matched: WriteMatch) -> WriteEvidence {
    WriteEvidence {
        time: Timestamp(w.time),
        delta_seconds: secs(w.time - t),
        how: w.ev.how,
        path: w.ev.target.clone(),
        process_executable: w.ev.image.clone(),
        process_entity_id: w.ev.process.clone(),
        sha256: w.ev.sha256.clone(),
        matched,
        provenance: w.prov.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_and_downloads_index_under_the_file() {
        assert_eq!(
            index_key(r"\users\a\downloads\x.dll:zone.identifier"),
            (r"\users\a\downloads\x.dll", WriteMatch::Stream)
        );
        assert_eq!(
            index_key(r"\users\a\downloads\x.dll.crdownload"),
            (r"\users\a\downloads\x.dll", WriteMatch::Download)
        );
        assert_eq!(
            index_key(r"\users\a\downloads\x.dll"),
            (r"\users\a\downloads\x.dll", WriteMatch::Exact)
        );
        // A bare `.part` file is a file, not a download of nothing.
        assert_eq!(
            index_key(r"\users\a\downloads\.part"),
            (r"\users\a\downloads\.part", WriteMatch::Exact)
        );
    }
}
