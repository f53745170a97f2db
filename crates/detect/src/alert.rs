//! What the detector finds: alerts with their evidence and timeline.

use crate::lolbin::{Executor, NameMatch};
use crate::{DestinationClass, PathClass, Severity};
use dllhound_model::{FileWriteKind, ProcessKey, Provenance, Signature, Timestamp, WinPath};
use serde::Serialize;
use std::net::IpAddr;
use std::sync::Arc;

/// The three AN0052 corroborating branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Branch {
    /// (a) the DLL was freshly written to disk.
    FreshWrite,
    /// (b) rundll32 / regsvr32 ran it.
    FollowOnExec,
    /// (c) the loading process reached out over the network.
    OutboundNetwork,
}

impl Branch {
    pub fn as_str(self) -> &'static str {
        match self {
            Branch::FreshWrite => "fresh_write",
            Branch::FollowOnExec => "follow_on_exec",
            Branch::OutboundNetwork => "outbound_network",
        }
    }
}

/// How a write's path met the loaded DLL's path (branch a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteMatch {
    /// The same path.
    Exact,
    /// An alternate data stream of the DLL (`x.dll:Zone.Identifier`, the Mark-of-the-Web a browser
    /// writes with a download).
    Stream,
    /// A browser's download-in-progress file of the DLL (`x.dll.crdownload`, `x.dll.part`), renamed
    /// to the DLL when the download finished (the rename is not logged).
    Download,
    /// The same path spelled through 8.3 short names on one side (`PEDRO~1.GUS`).
    ShortNameAlias,
}

/// The registry value that made a COM class id name the DLL (`…\CLSID\{…}\InprocServer32`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegistryEvidence {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    pub key: Box<str>,
    pub clsid: Box<str>,
    pub server: WinPath,
    pub process_executable: WinPath,
    pub provenance: Provenance,
}

/// (a): a write of the loaded path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteEvidence {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    /// Write time minus load time, in seconds (≤ 0).
    pub delta_seconds: f64,
    pub how: FileWriteKind,
    pub path: WinPath,
    /// The writing process.
    pub process_executable: WinPath,
    pub process_entity_id: ProcessKey,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Box<str>>,
    /// How the write's path met the DLL's.
    pub matched: WriteMatch,
    pub provenance: Provenance,
}

/// (b): a rundll32 / regsvr32 start naming the DLL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecEvidence {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    /// Start time minus load time, in seconds.
    pub delta_seconds: f64,
    pub process_executable: WinPath,
    pub process_entity_id: ProcessKey,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_file_name: Option<Box<str>>,
    pub command_line: Box<str>,
    /// How the command line names the DLL.
    pub matched: NameMatch,
    /// How the process was recognised as rundll32 / regsvr32.
    pub executor: Executor,
    /// With [`NameMatch::ComClsid`]: the registry record that registered the DLL as the class's server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<RegistryEvidence>,
    /// True when this is the loading process itself.
    pub is_loader: bool,
    pub provenance: Provenance,
}

/// (c): a connection the loading process initiated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetEvidence {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    /// Connection time minus load time, in seconds (≥ 0).
    pub delta_seconds: f64,
    pub destination_ip: IpAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_domain: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Box<str>>,
    pub destination_class: DestinationClass,
    pub provenance: Provenance,
}

/// A DNS name the loading process asked for near the load (context for branch c).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DnsEvidence {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    pub delta_seconds: f64,
    pub query: Box<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Box<str>>,
    pub provenance: Provenance,
}

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
    /// `loader_start`, `load`, `fresh_write`, `com_registration`, `follow_on_exec`,
    /// `outbound_network`, `dns`.
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
    pub parent_executable: Option<WinPath>,
    pub user: Option<Box<str>>,
    pub dll: WinPath,
    pub dll_sha256: Option<Box<str>>,
    pub classes: Vec<PathClass>,
    pub signature: Signature,
    /// How many load records (duplicates included) the process logged for this DLL.
    pub load_count: u32,
    pub branches: Vec<Branch>,
    pub fresh_write: Vec<WriteEvidence>,
    pub follow_on_exec: Vec<ExecEvidence>,
    pub outbound_network: Vec<NetEvidence>,
    pub dns: Vec<DnsEvidence>,
    pub timeline: Vec<TimelineEntry>,
    pub score: u8,
    pub severity: Severity,
    pub reasons: Vec<String>,
}
