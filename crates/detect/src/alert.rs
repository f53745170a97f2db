//! What the detector finds: alerts with their evidence and timeline.

use crate::branches::EvidenceSet;
use crate::context::children::Child;
use crate::context::history::FileEvent;
use crate::context::incident::IncidentRef;
use crate::context::lineage::Lineage;
use crate::context::prevalence::Prevalence;
use crate::{PathClass, Severity};
use dllhound_model::{ProcessKey, Provenance, Signature, Timestamp, WinPath};
use serde::Serialize;
use std::sync::Arc;

/// Why a trigger was not raised: the allowlist entry or baseline row responsible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// `default_tuning`, `allowlist` or `baseline`.
    pub source: &'static str,
    /// The entry id, or the baseline pattern `loader | dll | signer`.
    pub id: String,
    pub reason: String,
}

/// One event used by an alert, in time order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    /// `loader_start`, `load`, a branch's name, or a row a branch adds (`com_registration`).
    pub role: &'static str,
    pub summary: String,
    pub provenance: Provenance,
}

/// A finding: a trigger load with at least one corroborator (or, with signals on, without).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Deterministic: a hash of host, process identity, DLL path and first load time.
    pub id: String,
    /// True for an uncorroborated trigger emitted because signals were asked for.
    pub signal: bool,
    /// Set on triggers listed because `--show-suppressed` asked for them.
    pub suppressed_by: Option<Suppression>,
    /// Broad tuning entries (unsigned allowed, or any signer) that matched this trigger but did not
    /// apply, because a process they do not expect freshly wrote the module; `reason` says which.
    pub tuning_not_applied: Vec<Suppression>,
    /// Time of the first load.
    pub time: Timestamp,
    pub host: Arc<str>,
    pub process: ProcessKey,
    pub pid: Option<u32>,
    pub executable: WinPath,
    pub command_line: Option<Box<str>>,
    /// The loader's parent and grandparent ([`crate::context::lineage`]).
    pub parent: Lineage,
    /// What the loader started within the window after the load ([`crate::context::children`]).
    pub children: Vec<Child>,
    /// Server, share and the host's connections to it, for a DLL on a network path
    /// ([`crate::context::unc`]).
    pub unc: Option<crate::context::unc::Unc>,
    pub user: Option<Box<str>>,
    pub dll: WinPath,
    pub dll_sha256: Option<Box<str>>,
    /// Every file event of the DLL's path on this host in the input ([`crate::context::history`]).
    pub file_history: Vec<FileEvent>,
    /// When the DLL's path first appears in the history (its earliest non-delete event).
    pub file_first_seen: Option<Timestamp>,
    /// Hosts with a trigger load of the same DLL ([`crate::context::prevalence`]).
    pub prevalence: Option<Prevalence>,
    /// The incident this alert belongs to (alerts only; [`crate::context::incident`]).
    pub incident: Option<IncidentRef>,
    pub classes: Vec<PathClass>,
    pub signature: Signature,
    /// How many load records (duplicates included) the process logged for this DLL.
    pub load_count: u32,
    /// The corroborating branches with evidence ([`crate::branches::BRANCHES`] names).
    pub branches: Vec<&'static str>,
    /// The evidence, one list per branch.
    pub evidence: EvidenceSet,
    pub timeline: Vec<TimelineEntry>,
    pub score: u8,
    pub severity: Severity,
    pub reasons: Vec<String>,
}
