//! Per-input accounting.

use crate::{IngestError, RecordError};
use std::collections::BTreeMap;

/// How many errors are kept verbatim per input; the rest are only counted.
pub const MAX_KEPT_ERRORS: usize = 50;

/// What reading one input gave.
#[derive(Debug, Default)]
pub struct InputStats {
    /// The input as named on the command line or found in a folder.
    pub input: String,
    /// Records read and decoded (whether or not they matter to AN0052).
    pub records_ok: u64,
    /// Records that could not be parsed or decoded.
    pub records_bad: u64,
    /// Events produced, by kind name.
    pub events: BTreeMap<&'static str, u64>,
    /// Records read and counted ok without decoding, because their event id is one no decoder uses.
    pub skipped_by_event_id: u64,
    /// Records decoded per format name (`evtx`, `sysmon-flat`, …).
    pub formats: BTreeMap<&'static str, u64>,
    /// Bad records per reason class (the reason without its detail).
    pub bad_by_reason: BTreeMap<String, u64>,
    /// The first [`MAX_KEPT_ERRORS`] bad records, located.
    pub record_errors: Vec<RecordError>,
    /// Whole inputs or members that could not be read.
    pub input_errors: Vec<IngestError>,
    /// Bytes read (decompressed).
    pub bytes: u64,
}

impl InputStats {
    pub fn new(input: impl Into<String>) -> InputStats {
        InputStats {
            input: input.into(),
            ..Default::default()
        }
    }

    /// Counts a bad record and keeps its location if there is room.
    pub fn bad(&mut self, err: RecordError) {
        self.records_bad += 1;
        let class = err.reason.split(':').next().unwrap_or("").to_string();
        *self.bad_by_reason.entry(class).or_default() += 1;
        if self.record_errors.len() < MAX_KEPT_ERRORS {
            self.record_errors.push(err);
        }
    }

    /// Adds another input's numbers into this one (archive members into the archive).
    pub fn absorb(&mut self, other: InputStats) {
        self.records_ok += other.records_ok;
        self.records_bad += other.records_bad;
        self.skipped_by_event_id += other.skipped_by_event_id;
        self.bytes += other.bytes;
        for (k, v) in other.events {
            *self.events.entry(k).or_default() += v;
        }
        for (k, v) in other.formats {
            *self.formats.entry(k).or_default() += v;
        }
        for (k, v) in other.bad_by_reason {
            *self.bad_by_reason.entry(k).or_default() += v;
        }
        let room = MAX_KEPT_ERRORS.saturating_sub(self.record_errors.len());
        self.record_errors
            .extend(other.record_errors.into_iter().take(room));
        self.input_errors.extend(other.input_errors);
    }

    /// True when every record and member was read.
    pub fn is_clean(&self) -> bool {
        self.records_bad == 0 && self.input_errors.is_empty()
    }
}
