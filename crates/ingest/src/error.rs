//! Typed ingest errors, each saying where.

use std::fmt;

/// An input that could not be read at all (or a part of it, such as an archive member).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a readable archive: {reason}")]
    Archive { path: String, reason: String },
    #[error("{path}: not an EVTX file: {reason}")]
    Evtx { path: String, reason: String },
    #[error("{path}: {reason}")]
    Walk { path: String, reason: String },
    #[error("{path}: empty: nothing to read")]
    Empty { path: String },
    #[error("{path}: damaged: {reason}")]
    Damaged { path: String, reason: String },
    /// Content no reader takes under the `--input-format` in force: `found` says what it is and
    /// which format would read it.
    #[error("{path}: {found}")]
    Unrecognised { path: String, found: String },
}

/// One record that could not be decoded: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// The input (`file`, `archive.zip:member`, `-`).
    pub input: String,
    /// `record N`, `line N` or `offset N`, as precise as the input allows.
    pub at: String,
    pub reason: String,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.input, self.at, self.reason)
    }
}
