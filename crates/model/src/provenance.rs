//! Where an event came from.

use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// The origin of one event: the input (a file, `file.zip:member`, or `-` for stdin), the record id the
/// log itself carries (EVTX `EventRecordID`, NXLog `RecordNumber`, Winlogbeat `record_number`) and the
/// line number for line-oriented inputs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Provenance {
    pub file: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The source's event code, e.g. `sysmon:7` or `security:4688`.
    pub event_code: Arc<str>,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(r) = self.record {
            write!(f, " (record {r})")?;
        }
        Ok(())
    }
}
