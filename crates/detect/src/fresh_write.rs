//! Branch (a), a fresh write: which held writes are writes of a loaded DLL.
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

use crate::alert::{WriteEvidence, WriteMatch};
use crate::state::{Held, HostState};
use dllhound_model::{FileWrite, ImageLoad, Timestamp};

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

/// The writes in `st` that freshly wrote `load`'s DLL at `t` (within `window_ms` before it).
pub fn matching(st: &HostState, load: &ImageLoad, t: i64, window_ms: i64) -> Vec<WriteEvidence> {
    let key = load.dll.match_key();
    let (ikey, _) = index_key(key);
    let in_window = |w: &&Held<FileWrite>| w.time <= t && t - w.time <= window_ms;
    let mut out: Vec<WriteEvidence> = st
        .writes
        .get(ikey)
        .into_iter()
        .flatten()
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
    if out.is_empty() && (st.tilde_writes || ikey.contains('~')) {
        for (k, ws) in &st.writes {
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

fn evidence(w: &Held<FileWrite>, t: i64, matched: WriteMatch) -> WriteEvidence {
    WriteEvidence {
        time: Timestamp(w.time),
        delta_seconds: (w.time - t) as f64 / 1000.0,
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
