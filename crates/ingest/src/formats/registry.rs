//! The list of record formats. Adding a format: a file beside this one and a line here.

use super::{evtx_json::EvtxJson, sysmon_flat::SysmonFlat, winlogbeat6::Winlogbeat6, RecordFormat};
use serde_json::Value;

/// Every record format, in sniffing order (most specific first).
pub static REGISTRY: &[&dyn RecordFormat] = &[&EvtxJson, &Winlogbeat6, &SysmonFlat];

/// What `--input-format` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormatChoice {
    /// Sniff containers per input and record shapes per record.
    #[default]
    Auto,
    /// Binary EVTX only.
    Evtx,
    /// JSON lines in any Sysmon shape (evtx-json, winlogbeat6, sysmon-flat).
    SysmonJson,
}

/// The first format whose shape this record has.
pub fn sniff(record: &Value, hint: Option<usize>) -> Option<usize> {
    if let Some(i) = hint {
        if REGISTRY.get(i).is_some_and(|f| f.sniff(record)) {
            return Some(i);
        }
    }
    REGISTRY.iter().position(|f| f.sniff(record))
}
