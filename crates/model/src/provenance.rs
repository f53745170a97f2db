//! Where an event came from, in two senses a reader must not confuse: **where it is** in the input
//! (`line` for line-oriented inputs, `file_record` for EVTX: the record's number in that file, which
//! counts from 1 in an exported log) and **which record it is** in the source log (`record_id`: the
//! EVTX `EventRecordID`, NXLog's `RecordNumber`, Winlogbeat's `record_number`, MDE's `ReportId`; the
//! number Event Viewer or the SIEM shows and a user searches for).

use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// The origin of one event: the input (a file, `file.zip:member`, or `-` for stdin), its place there
/// and the log's own record id (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Provenance {
    pub file: Arc<str>,
    /// EVTX: the record's number in this file (the record header's, 1-based in an export).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_record: Option<u64>,
    /// Line-oriented inputs (JSON lines, CSV): the 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The id the source log gives the record (`EventRecordID`, `RecordNumber`, `record_number`,
    /// `ReportId`), when it carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<u64>,
    /// The source's event code, e.g. `sysmon:7` or `security:4688`.
    pub event_code: Arc<str>,
}

impl Provenance {
    /// An origin with only a file and an event code (the rest unknown).
    pub fn new(file: Arc<str>, event_code: Arc<str>) -> Provenance {
        Provenance {
            file,
            file_record: None,
            line: None,
            record_id: None,
            event_code,
        }
    }
}

/// `file:line 12`, `file.evtx:record #7 (EventRecordID 6581)`, `file:line 3 (RecordNumber 88)`.
impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(r) = self.file_record {
            write!(f, ":record #{r}")?;
        }
        if let Some(id) = self.record_id {
            write!(f, " (record id {id})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_and_record_id_are_told_apart() {
        let mut p = Provenance::new("a.evtx".into(), "sysmon:7".into());
        p.file_record = Some(7);
        p.record_id = Some(6581);
        assert_eq!(p.to_string(), "a.evtx:record #7 (record id 6581)");
        let mut j = Provenance::new("a.jsonl".into(), "sysmon:7".into());
        j.line = Some(3);
        assert_eq!(j.to_string(), "a.jsonl:3");
    }
}
