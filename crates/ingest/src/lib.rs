//! Reading telemetry: sources and format decoders.
//!
//! `ingest` is the only crate that knows input formats. It turns files, folders, `.zip` / `.gz`
//! archives and stdin into a stream of [`dllhound_model::Event`]s, one input at a time, and reports
//! for each input how many records it read, how many it could not decode, and why (`path:record:
//! reason`). A bad record never stops an input; an unreadable input never stops a run.
//!
//! Two layers:
//! * **containers** ([`read_input`]): an input's bytes are sniffed — EVTX (`ElfFile\0`), gzip, zip, or
//!   text: JSON (lines, one array, or an envelope — MDE API `Results`, MDE streaming `records`,
//!   Elasticsearch `hits.hits[]._source`), Windows event XML, or headed CSV (MDE portal exports).
//!   Archives are opened and each member is sniffed again.
//! * **record formats** ([`formats::REGISTRY`]): each JSON record (from a text line, or rendered from an
//!   EVTX record by the `evtx` crate) is sniffed per record against the registry and decoded by the first
//!   format that claims it. Adding a format is one file in `formats/` and one line in the registry.
//!
//! ```no_run
//! use dllhound_ingest::{read_input, Input, ReadOptions};
//! let mut events = Vec::new();
//! let stats = read_input(&Input::Path("sysmon.evtx".into()), &ReadOptions::default(), &mut |e| events.push(e));
//! eprintln!("{} records, {} bad", stats.records_ok, stats.records_bad);
//! ```

mod container;
mod csv_rows;
mod error;
mod evtx_check;
mod evtx_file;
mod expand;
mod fast;
pub mod formats;
mod json_lines;
mod records;
mod source;
mod stats;
mod xml;

pub use container::{read_bytes, read_input, ReadOptions};
pub use error::{IngestError, RecordError};
pub use formats::{FormatChoice, RecordFormat, REGISTRY};
pub use json_lines::MAX_LINE;
pub use records::{At, RecordDecoder};
pub use source::{expand_inputs, files_looked_at, Input};
pub use stats::InputStats;
