//! The NDJSON alert record.
//!
//! ```text
//! id                        deterministic: hash of host identity (first DNS label), process identity, DLL path, first load time
//! @timestamp                RFC 3339 UTC time of the (first) load
//! event.kind                "alert"; "signal" for an uncorroborated trigger (--signals);
//!                           "suppressed" for an allowlisted or baselined trigger (--show-suppressed)
//! suppressed_by             {source: default_tuning|allowlist|baseline, id, reason} (suppressed only)
//! tuning_not_applied[]      {source, id, reason}: broad entries (allow_unsigned, signer '*') that matched but
//!                           were voided by a fresh write from a process they do not expect (absent when none)
//! event.action              "update" on a streamed alert re-released with more evidence, children or file
//!                           history than it was first written with (stream --updates)
//! event.severity            low | medium | high | critical
//! risk_score                0..100 (see dllhound_detect::score)
//! rule.id / rule.name / rule.reference     AN0052
//! host.name
//! process.entity_id         Sysmon ProcessGuid ({…}), else pid:<pid>:<image>
//! process.pid  process.executable  process.command_line
//! process.parent            {entity_id, pid, executable, command_line, provenance, parent {executable}}: the
//!                           loader's parent from its start record (executable as that record names it), the
//!                           parent's own start record when the input has it (pid, command_line, provenance)
//!                           and the grandparent's executable from that (null when unknown)
//! children[]                every process the loader started within the widest window after the load:
//!                           @timestamp, delta_seconds (from the load), process {entity_id, pid, executable,
//!                           command_line}, network[] (the child's outbound connections up to load + window,
//!                           fields as evidence.outbound_network[]), files[] {@timestamp, action, path, sha256,
//!                           provenance} (files it wrote up to load + window), provenance (its start record);
//!                           [] when none, never absent
//! user.name
//! dll.path                  as logged (original case)
//! dll.path_classes          ["temp","user_writable"], ["unc"], … ([] when only the signature triggered)
//! dll.signature.state       valid | unsigned | invalid | expired | unknown
//! dll.signature.subject
//! dll.hash.sha256
//! dll.load_count            load records seen for this (process, DLL), duplicates included
//! dll.file.history[]        every file event of the DLL's path (its streams and download names included) on
//!                           this host in the whole input, in time order: @timestamp, action (create | stream |
//!                           executable_detected | delete | delete_detected | creation_time_changed), path,
//!                           process {executable, entity_id}, sha256, creation_time and previous_creation_time
//!                           (Sysmon 2 timestomping), provenance. Bounded per host (dllhound_detect::context::
//!                           history; evictions in --stats-json state.file_history_evictions); [] when none
//! dll.file.first_seen       @timestamp of the earliest non-delete history entry (null when none)
//! dll.prevalence            {hosts, first_seen, sample_hosts[], by: sha256|path}: hosts of the input with a
//!                           trigger load (suppressed included) of the same SHA-256, else the same path
//! dll.unc                   DLL on a network path only (absent otherwise): {server, share, transport: smb|webdav,
//!                           ports[] (looked at: 445,139,80,443; 80,443 for DavWWWRoot; 443 or the port for
//!                           @SSL/@port), connections[] {@timestamp, delta_seconds (negative: before the load),
//!                           process {entity_id, pid, executable}, destination_ip, destination_port,
//!                           destination_domain, matched_by: ip|hostname|dns, provenance}: any process of the
//!                           host within the network window before or after the load (the SMB redirector is
//!                           System, WebDAV's is svchost), first 50; connection_count (all that matched);
//!                           lookups[] {@timestamp, delta_seconds, process, query, results, provenance}: DNS
//!                           lookups of the server by any process in the same window}
//! incident                  {id, alert_count}: alerts of one DLL (SHA-256, else path) on one host; id is a hash
//!                           of host identity and DLL (alerts only; absent on signals and suppressed triggers)
//! an0052.branches           the corroborating branches with evidence: names from dllhound_detect::BRANCHES
//!                           ("fresh_write","follow_on_exec","outbound_network")
//! reasons                   sentences a person can read
//! evidence.<branch>[]       one list per entry of dllhound_detect::BRANCHES (context entries such as dns
//!                           included), each item's fields documented in its crates/detect/src/branches/ file:
//! evidence.fresh_write[]    @timestamp, delta_seconds, how, path, process_executable, process_entity_id, sha256,
//!                           matched (exact|stream|download|short_name_alias: how the written path met the DLL's), provenance
//! evidence.follow_on_exec[] @timestamp, delta_seconds, process_executable, process_entity_id, original_file_name,
//!                           command_line, matched (full_path|short_name_alias|file_name|stem),
//!                           executor (image_name|original_file_name|command_line_shape), is_loader, provenance,
//!                           registry {@timestamp, key, clsid, server, process_executable, provenance} (com_clsid only)
//! evidence.outbound_network[] @timestamp, delta_seconds, destination_ip, destination_port, destination_domain,
//!                           protocol, destination_class (public|private), provenance
//! evidence.dns[]            @timestamp, delta_seconds, query, results, provenance
//! timeline[]                @timestamp, role, summary, provenance
//! provenance (everywhere)   {file, line | file_record, record_id, event_code}: where the record is —
//!                           `line` (1-based) in line-oriented inputs, `file_record` in EVTX (the record's
//!                           number in that file, 1-based in an export; a Kafka message's offset) — and
//!                           `record_id`, the id the log gives it (EVTX EventRecordID, NXLog RecordNumber,
//!                           Winlogbeat record_number / winlog.record_id, MDE ReportId: what Event Viewer or
//!                           the SIEM shows); each absent when unknown
//! ```

use dllhound_detect::{Alert, EvidenceSet, TimelineEntry};
use serde::Serialize;

/// One alert as written to NDJSON. Borrowing: build it with [`AlertRecord::from`] and serialise.
#[derive(Debug, Serialize)]
pub struct AlertRecord<'a> {
    pub id: &'a str,
    #[serde(rename = "@timestamp")]
    pub timestamp: String,
    pub event: EventField,
    pub risk_score: u8,
    pub rule: RuleField,
    pub host: HostField<'a>,
    pub process: ProcessField<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserField<'a>>,
    pub dll: DllField<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<&'a dllhound_detect::context::incident::IncidentRef>,
    pub children: &'a [dllhound_detect::context::children::Child],
    pub an0052: An0052Field,
    pub reasons: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed_by: Option<&'a dllhound_detect::Suppression>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub tuning_not_applied: &'a [dllhound_detect::Suppression],
    pub evidence: &'a EvidenceSet,
    pub timeline: &'a [TimelineEntry],
}

#[derive(Debug, Serialize)]
pub struct EventField {
    pub kind: &'static str,
    pub severity: &'static str,
    /// `update` on a streamed alert re-released with more evidence, children or file history
    /// (`dllhound stream --updates`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct RuleField {
    pub id: &'static str,
    pub name: &'static str,
    pub reference: &'static str,
}

#[derive(Debug, Serialize)]
pub struct HostField<'a> {
    pub name: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ProcessField<'a> {
    pub entity_id: String,
    pub pid: Option<u32>,
    pub executable: &'a str,
    pub command_line: Option<&'a str>,
    pub parent: ParentField<'a>,
}

#[derive(Debug, Serialize)]
pub struct ParentField<'a> {
    pub entity_id: Option<String>,
    pub pid: Option<u32>,
    pub executable: Option<&'a str>,
    pub command_line: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<&'a dllhound_model::Provenance>,
    pub parent: GrandparentField<'a>,
}

#[derive(Debug, Serialize)]
pub struct GrandparentField<'a> {
    pub executable: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct FileField<'a> {
    pub history: &'a [dllhound_detect::context::history::FileEvent],
    pub first_seen: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UserField<'a> {
    pub name: &'a str,
}

#[derive(Debug, Serialize)]
pub struct DllField<'a> {
    pub path: &'a str,
    pub path_classes: Vec<&'static str>,
    pub signature: SignatureField<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<HashField<'a>>,
    pub load_count: u32,
    pub file: FileField<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prevalence: Option<&'a dllhound_detect::context::prevalence::Prevalence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unc: Option<&'a dllhound_detect::context::unc::Unc>,
}

#[derive(Debug, Serialize)]
pub struct SignatureField<'a> {
    pub state: &'static str,
    pub subject: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct HashField<'a> {
    pub sha256: &'a str,
}

#[derive(Debug, Serialize)]
pub struct An0052Field {
    pub branches: Vec<&'static str>,
}

/// The rule id alerts carry.
pub const RULE_ID: &str = "AN0052";
const RULE_NAME: &str = "DLL load from a suspicious path or unsigned, corroborated by write, rundll32/regsvr32 or network";
const RULE_REF: &str = "https://attack.mitre.org/ (analytic AN0052)";

/// `alert`, `signal` (uncorroborated trigger) or `suppressed` (allowlisted or baselined trigger).
pub fn kind(a: &Alert) -> &'static str {
    if a.suppressed_by.is_some() {
        "suppressed"
    } else if a.signal {
        "signal"
    } else {
        "alert"
    }
}

impl<'a> From<&'a Alert> for AlertRecord<'a> {
    fn from(a: &'a Alert) -> Self {
        AlertRecord {
            id: &a.id,
            timestamp: a.time.to_rfc3339(),
            event: EventField {
                kind: kind(a),
                severity: a.severity.as_str(),
                action: None,
            },
            risk_score: a.score,
            rule: RuleField {
                id: RULE_ID,
                name: RULE_NAME,
                reference: RULE_REF,
            },
            host: HostField { name: &a.host },
            process: ProcessField {
                entity_id: a.process.to_string(),
                pid: a.pid,
                executable: a.executable.original(),
                command_line: a.command_line.as_deref(),
                parent: ParentField {
                    entity_id: a.parent.entity_id.as_ref().map(|k| k.to_string()),
                    pid: a.parent.pid,
                    executable: a.parent.executable.as_ref().map(|p| p.original()),
                    command_line: a.parent.command_line.as_deref(),
                    provenance: a.parent.provenance.as_ref(),
                    parent: GrandparentField {
                        executable: a.parent.parent_executable.as_ref().map(|p| p.original()),
                    },
                },
            },
            user: a.user.as_deref().map(|name| UserField { name }),
            dll: DllField {
                path: a.dll.original(),
                path_classes: a.classes.iter().map(|c| c.as_str()).collect(),
                signature: SignatureField {
                    state: a.signature.state.as_str(),
                    subject: a.signature.subject.as_deref(),
                },
                hash: a.dll_sha256.as_deref().map(|sha256| HashField { sha256 }),
                load_count: a.load_count,
                file: FileField {
                    history: &a.file_history,
                    first_seen: a.file_first_seen.map(|t| t.to_rfc3339()),
                },
                prevalence: a.prevalence.as_ref(),
                unc: a.unc.as_ref(),
            },
            incident: a.incident.as_ref(),
            children: &a.children,
            an0052: An0052Field {
                branches: a.branches.clone(),
            },
            reasons: &a.reasons,
            suppressed_by: a.suppressed_by.as_ref(),
            tuning_not_applied: &a.tuning_not_applied,
            evidence: &a.evidence,
            timeline: &a.timeline,
        }
    }
}

/// The NDJSON records of `alerts` as JSON values (what the HTML report and `explain --output-format
/// json` embed).
pub fn records<'a>(
    alerts: impl IntoIterator<Item = &'a Alert>,
) -> serde_json::Result<Vec<serde_json::Value>> {
    alerts
        .into_iter()
        .map(|a| serde_json::to_value(AlertRecord::from(a)))
        .collect()
}
