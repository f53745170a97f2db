//! The rules in the forms SIEMs import: `elastic-rule` and `sentinel`.
//!
//! * `elastic-rule`: the EQL rules ([`crate::eql`]) as Kibana detection rules, one JSON object per
//!   line (Security → Rules → Import). Each is disabled on import, runs every 5 minutes and looks
//!   back the window plus the interval, carries the MITRE mapping, and says in its `note` (the
//!   investigation guide) what the query approximates.
//! * `sentinel`: the KQL query ([`crate::kql`]) as a Microsoft Sentinel scheduled analytic rule in
//!   the YAML form of Sentinel's content repository (`Detections/*.yaml`), over the Defender XDR
//!   connector's tables, with host, file and process entity mappings.

use crate::analytic::Analytic;
use crate::{Rule, Spec};
use serde_json::json;

/// `--to elastic-rule`.
pub const ELASTIC: Spec = Spec {
    name: "elastic-rule",
    language: "eql",
    profile: crate::eql::PROFILE,
    approximations: crate::eql::APPROXIMATIONS,
    exactness: crate::eql::EXACTNESS,
    // NDJSON has no comments: the header goes into each rule's note.
    comment: "",
    comment_end: "",
};

/// `--to sentinel`.
pub const SENTINEL: Spec = Spec {
    name: "sentinel",
    language: "kql",
    profile: crate::kql::PROFILE,
    approximations: crate::kql::APPROXIMATIONS,
    exactness: crate::kql::EXACTNESS,
    comment: "#",
    comment_end: "",
};

fn title(branch: Option<&str>) -> &'static str {
    match branch {
        Some("fresh_write") => "AN0052 suspicious DLL loaded shortly after it was written",
        Some("follow_on_exec") => "AN0052 suspicious DLL loaded by rundll32 or regsvr32",
        Some("outbound_network") => "AN0052 suspicious DLL loaded, then its loader connected out",
        _ => "AN0052 suspicious DLL load corroborated by a fresh write, rundll32/regsvr32 or an outbound connection",
    }
}

const DESCRIPTION: &str = "A process loaded a DLL from a temp, user-writable, network or spoofed folder, or one that is unsigned, invalidly signed or expired (MITRE ATT&CK analytic AN0052), and the load is corroborated. Exported by dllhound from its path-class table, signer vocabulary and tuning.";

fn note(r: &Rule) -> String {
    let mut s = String::from("## What this rule approximates\n\nExported by dllhound; its own engine reads AN0052 exactly. This query cannot express:\n\n");
    for a in &r.approximations {
        s.push_str(&format!("- {a}\n"));
    }
    s
}

/// Kibana detection rules, one per EQL rule.
pub fn elastic(a: &Analytic) -> Vec<Rule> {
    let window_s = (a
        .windows
        .fresh_write_ms
        .max(a.windows.follow_on_ms)
        .max(a.windows.network_ms)
        + 999)
        / 1000;
    crate::eql::rules(a)
        .into_iter()
        .map(|r| {
            let v = json!({
                "rule_id": crate::analytic::rule_uuid(&format!("elastic-rule/{}", r.id)),
                "name": title(r.branch),
                "description": DESCRIPTION,
                "type": "eql",
                "language": "eql",
                "index": ["logs-windows.sysmon_operational-*"],
                "query": r.query,
                "risk_score": 73,
                "severity": "high",
                "interval": "5m",
                "from": format!("now-{}s", 300 + window_s),
                "enabled": false,
                "max_signals": 100,
                "version": 1,
                "author": ["dllhound"],
                "license": "MIT OR Apache-2.0",
                "tags": ["Domain: Endpoint", "OS: Windows", "Use Case: Threat Detection", "Tactic: Defense Evasion", "Tactic: Persistence", "Data Source: Sysmon", "AN0052"],
                "references": ["https://attack.mitre.org/techniques/T1574/002/"],
                "false_positives": ["Software that installs and loads its own DLLs from user-writable folders: add an allowlist entry and export again"],
                "note": note(&r),
                "threat": [{
                    "framework": "MITRE ATT&CK",
                    "tactic": {"id": "TA0005", "name": "Defense Evasion", "reference": "https://attack.mitre.org/tactics/TA0005/"},
                    "technique": [{
                        "id": "T1574",
                        "name": "Hijack Execution Flow",
                        "reference": "https://attack.mitre.org/techniques/T1574/",
                        "subtechnique": [{"id": "T1574.002", "name": "DLL Side-Loading", "reference": "https://attack.mitre.org/techniques/T1574/002/"}]
                    }]
                }]
            });
            Rule {
                query: v.to_string(),
                language: "eql",
                ..r
            }
        })
        .collect()
}

/// A YAML block scalar's lines, indented.
fn block(text: &str, indent: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{indent}{l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The Sentinel scheduled analytic rule.
pub fn sentinel(a: &Analytic) -> Vec<Rule> {
    let mut rules = crate::kql::rules(a);
    let Some(r) = rules.pop() else {
        return Vec::new();
    };
    let w = a.windows;
    let window_min = (w.fresh_write_ms.max(w.follow_on_ms).max(w.network_ms) + 59_999) / 60_000;
    let mut desc = format!(
        "{DESCRIPTION}\n\nWhat the query approximates (dllhound's engine reads AN0052 exactly):\n"
    );
    for x in &r.approximations {
        desc.push_str(&format!("- {x}\n"));
    }
    let yaml = format!(
        "id: {id}
name: {name}
description: |
{desc}
severity: High
requiredDataConnectors:
  - connectorId: MicrosoftThreatProtection
    dataTypes:
      - DeviceImageLoadEvents
      - DeviceFileEvents
      - DeviceProcessEvents
      - DeviceNetworkEvents
      - DeviceFileCertificateInfo
queryFrequency: 1h
queryPeriod: {period}m
triggerOperator: gt
triggerThreshold: 0
tactics:
  - DefenseEvasion
  - Persistence
  - PrivilegeEscalation
relevantTechniques:
  - T1574.002
query: |
{query}
entityMappings:
  - entityType: Host
    fieldMappings:
      - identifier: FullName
        columnName: DeviceName
  - entityType: File
    fieldMappings:
      - identifier: Directory
        columnName: DllFolder
      - identifier: Name
        columnName: DllFile
  - entityType: Process
    fieldMappings:
      - identifier: ProcessId
        columnName: LoaderId
version: 1.0.0
kind: Scheduled
",
        id = crate::analytic::rule_uuid("an0052-sentinel"),
        name = title(None),
        desc = block(&desc, "  "),
        period = 60 + window_min,
        query = block(&r.query, "  "),
    );
    vec![Rule {
        query: yaml,
        language: "kql",
        ..r
    }]
}
