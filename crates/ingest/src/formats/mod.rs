//! Record formats: one file per format, listed in [`REGISTRY`].
//!
//! A record format looks at one JSON record and, if it recognises the shape ([`RecordFormat::sniff`]),
//! turns it into zero or one [`Event`] ([`RecordFormat::decode`]): zero when the record is readable
//! but not something AN0052 uses (a Security logon, a Sysmon registry event). Shapes are sniffed per
//! record, because real exports mix them.

mod ecs;
mod evtx_json;
mod fields;
mod mde;
pub(crate) mod registry;
mod sysmon;
mod sysmon_flat;
mod winlogbeat6;

pub use fields::Fields;
pub use registry::{FormatChoice, REGISTRY};

use dllhound_model::Event;
use serde_json::Value;
use std::sync::Arc;

/// Where a record sits, for provenance and error messages.
#[derive(Debug, Clone)]
pub struct RecordContext {
    /// The input name (`file`, `archive.zip:member`, `-`).
    pub input: Arc<str>,
    /// The 1-based line for line-oriented inputs.
    pub line: Option<u64>,
    /// Where the record sits in a container that numbers them: an EVTX file's record number (its
    /// header's, 1-based in an export; not the `EventRecordID`, which the record itself carries), a
    /// Kafka message's offset. Becomes [`dllhound_model::Provenance::file_record`].
    pub record: Option<u64>,
    /// The 1-based position inside a JSON array document or envelope.
    pub element: Option<u64>,
    /// The record formats `--input-format` allows (`None`: all).
    pub only: Option<&'static [&'static str]>,
}

/// One JSON record shape.
pub trait RecordFormat: Sync {
    /// A short stable name (`evtx-json`, `sysmon-flat`, `winlogbeat6`).
    fn name(&self) -> &'static str;
    /// One line for `--help` and docs.
    fn describe(&self) -> &'static str;
    /// Whether this record has this format's shape.
    fn sniff(&self, record: &Value) -> bool;
    /// Decodes the record. `Ok(None)`: readable, but not an event kind AN0052 uses.
    fn decode(&self, record: &Value, ctx: &RecordContext) -> Result<Option<Event>, String>;
}
