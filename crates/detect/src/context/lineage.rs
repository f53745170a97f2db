//! Who started the loader (`process.parent`, `process.parent.parent.executable`).
//!
//! The loader's own start record names its parent (identity and executable); the parent's start
//! record, when the input has it, adds the parent's command line and the grandparent's executable.
//! Process starts are held for the process retention (`Config::process_retention_ms`, an hour by
//! default), longer than any window, and within the memory budget.

use crate::state::{Held, HostState};
use dllhound_model::{ProcessKey, ProcessStart, Provenance, WinPath};
use serde::Serialize;

/// The loader's parent (`process.parent`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Lineage {
    pub entity_id: Option<ProcessKey>,
    pub pid: Option<u32>,
    pub executable: Option<WinPath>,
    pub command_line: Option<Box<str>>,
    /// The grandparent's executable (`process.parent.parent.executable`).
    pub parent_executable: Option<WinPath>,
    /// The parent's start record, when the input has it.
    pub provenance: Option<Provenance>,
}

/// The lineage of a loader whose start record is `loader` (the parent's start is looked up in the
/// host's process starts: the latest at or before the loader's start, else the earliest after).
pub fn lineage(st: &HostState, loader: Option<&Held<ProcessStart>>) -> Lineage {
    let Some(l) = loader else {
        return Lineage::default();
    };
    let key = l.ev.parent.clone().filter(ProcessKey::is_known);
    let parent = key
        .as_ref()
        .and_then(|k| crate::correlate::process_start(st, k, l.time));
    Lineage {
        entity_id: key,
        pid: parent.as_ref().and_then(|p| p.ev.pid),
        // The loader's own record is authoritative for its parent's image.
        executable: l
            .ev
            .parent_image
            .clone()
            .or_else(|| parent.as_ref().map(|p| p.ev.image.clone())),
        command_line: parent.as_ref().and_then(|p| p.ev.command_line.clone()),
        parent_executable: parent.as_ref().and_then(|p| p.ev.parent_image.clone()),
        provenance: parent.map(|p| p.prov),
    }
}
