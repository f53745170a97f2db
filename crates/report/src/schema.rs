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
//! event.action              "update" on a streamed alert re-released with more evidence (stream --updates)
//! event.severity            low | medium | high | critical
//! risk_score                0..100 (see dllhound_detect::score)
//! rule.id / rule.name / rule.reference     AN0052
//! host.name
//! process.entity_id         Sysmon ProcessGuid ({…}), else pid:<pid>:<image>
//! process.pid  process.executable  process.command_line  process.parent.executable
//! user.name
//! dll.path                  as logged (original case)
//! dll.path_classes          ["temp","user_writable"], ["unc"], … ([] when only the signature triggered)
//! dll.signature.state       valid | unsigned | invalid | expired | unknown
//! dll.signature.subject
//! dll.hash.sha256
//! dll.load_count            load records seen for this (process, DLL), duplicates included
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
//! timeline[]                @timestamp, role, summary, provenance {file, record, line, event_code}
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
    /// `update` on a streamed alert re-released with more evidence (`dllhound stream --updates`).
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
    pub executable: Option<&'a str>,
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
                    executable: a.parent_executable.as_ref().map(|p| p.original()),
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
            },
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
