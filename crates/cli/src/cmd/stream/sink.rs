//! Where streamed alerts go: NDJSON to stdout or appended to a file, and/or a Kafka topic keyed by
//! alert id; each id once (DESIGN §5).
//!
//! The seen-set is what keeps a replay (after a crash or a rebalance) from writing an id twice: it
//! is rebuilt at start from what the sink already holds — the ids in the output file, the ids on the
//! alerts topic — and bounded (the oldest ids are forgotten first, past [`MAX_SEEN`]).

use anyhow::{Context, Result};
use dllhound_detect::Emission;
use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, Write};
use std::path::Path;

/// Ids remembered for deduplication.
pub const MAX_SEEN: usize = 1_000_000;

/// Alert ids already written, oldest first out.
#[derive(Default)]
pub struct Seen {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl Seen {
    /// Adds `id`; false when it was there already.
    pub fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        self.set.insert(id.to_string());
        self.order.push_back(id.to_string());
        if self.order.len() > MAX_SEEN {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Adds the alert ids of an NDJSON alert file (updates and unreadable lines skipped).
    pub fn load_ndjson(&mut self, path: &Path) -> Result<usize> {
        let f = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut n = 0;
        for line in std::io::BufReader::new(f).split(b'\n') {
            let line = line.with_context(|| format!("reading {}", path.display()))?;
            if let Some(id) = alert_id(&line) {
                n += usize::from(self.insert(&id));
            }
        }
        Ok(n)
    }
}

/// The id of an NDJSON alert line, unless it is an update.
pub fn alert_id(line: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    if v["event"]["action"] == "update" {
        return None;
    }
    v["id"].as_str().map(str::to_string)
}

/// A destination that takes one NDJSON alert line at a time.
pub trait AlertOut {
    /// Writes one line (no newline) for alert `id`.
    fn send(&mut self, id: &str, line: &[u8]) -> Result<()>;
    /// Makes everything sent so far durable (before offsets are committed).
    fn flush(&mut self) -> Result<()>;
}

/// NDJSON lines to a writer (stdout, or a file opened for appending), flushed per alert: alerts are
/// few and wanted at once.
pub struct LinesOut<W: Write>(pub W);

impl<W: Write> AlertOut for LinesOut<W> {
    fn send(&mut self, _id: &str, line: &[u8]) -> Result<()> {
        self.0.write_all(line)?;
        self.0.write_all(b"\n")?;
        self.0.flush()?;
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        self.0.flush()?;
        Ok(())
    }
}

/// Counts of what the sink did.
#[derive(Debug, Default, Clone, Copy)]
pub struct SinkCounts {
    pub alerts: u64,
    pub updates: u64,
    /// Alerts not written because their id was written before (replays).
    pub repeats: u64,
    /// Alerts not written because `--min-level`, `--host`, `--from`/`--to` left them out (their
    /// updates are left out too): they were detected, and the summary counts them.
    pub filtered: u64,
}

/// Every destination, the seen-set, and whether updates are written.
pub struct AlertSink {
    pub outs: Vec<Box<dyn AlertOut>>,
    pub seen: Seen,
    pub updates: bool,
    pub counts: SinkCounts,
    /// Which alerts are written (`--min-level`, `--host`, `--from`/`--to`).
    pub show: crate::show::ShowArgs,
}

impl AlertSink {
    /// Writes what the correlator released: a new id once, an update only with `--updates`.
    pub fn write(&mut self, em: &Emission) -> Result<()> {
        let mut line = Vec::with_capacity(4096);
        if !self.show.keeps(&em.alert) {
            if !em.update && self.seen.insert(&em.alert.id) {
                self.counts.filtered += 1;
            }
            return Ok(());
        }
        if em.update {
            if !self.updates {
                return Ok(());
            }
            dllhound_report::write_ndjson_update(&mut line, &em.alert)?;
            self.counts.updates += 1;
        } else {
            if !self.seen.insert(&em.alert.id) {
                self.counts.repeats += 1;
                return Ok(());
            }
            dllhound_report::write_ndjson(&mut line, &em.alert)?;
            self.counts.alerts += 1;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        for o in &mut self.outs {
            o.send(&em.alert.id, &line)?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<()> {
        self.outs.iter_mut().try_for_each(|o| o.flush())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seen_set_forgets_the_oldest_first() {
        let mut s = Seen::default();
        assert!(s.insert("a"));
        assert!(!s.insert("a"));
        for i in 0..MAX_SEEN {
            s.insert(&i.to_string());
        }
        assert_eq!(s.len(), MAX_SEEN);
        assert!(s.insert("a"), "a was the oldest and is forgotten");
        assert!(!s.insert(&(MAX_SEEN - 1).to_string()));
    }

    #[test]
    fn updates_are_not_ids_to_skip() {
        assert_eq!(
            alert_id(br#"{"id":"x","event":{"kind":"alert"}}"#),
            Some("x".into())
        );
        assert_eq!(
            alert_id(br#"{"id":"x","event":{"kind":"alert","action":"update"}}"#),
            None
        );
        assert_eq!(alert_id(b"garbage"), None);
    }
}
