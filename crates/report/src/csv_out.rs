//! CSV: one row per finding (alert, signal or suppressed trigger, told apart by `event.kind`),
//! with the fields an analyst pivots on, formula-injection safe.
//!
//! Columns (multi-valued cells are joined with `|`):
//!
//! ```text
//! id  event.kind (alert|signal|suppressed)  suppressed_by (source:id)  @timestamp  host.name
//! event.severity  risk_score  user.name  process.entity_id  process.pid  process.executable
//! process.command_line  process.parent.executable  dll.path  dll.path_classes
//! dll.signature.state  dll.signature.subject  dll.hash.sha256  dll.file.first_seen
//! an0052.branches  writer (the processes of branch (a))  destination (branch (c): ip:port (name))
//! incident.id  source.file  source.line  source.file_record  source.record_id  (the load record:
//! where it is, and the log's own record id; see dllhound_model::Provenance)  reasons
//! ```

use crate::defuse_formula;
use dllhound_detect::Alert;
use std::io::{self, Write};

const HEADER: [&str; 28] = [
    "id",
    "event.kind",
    "suppressed_by",
    "@timestamp",
    "host.name",
    "event.severity",
    "risk_score",
    "user.name",
    "process.entity_id",
    "process.pid",
    "process.executable",
    "process.command_line",
    "process.parent.executable",
    "dll.path",
    "dll.path_classes",
    "dll.signature.state",
    "dll.signature.subject",
    "dll.hash.sha256",
    "dll.file.first_seen",
    "an0052.branches",
    "writer",
    "destination",
    "incident.id",
    "source.file",
    "source.line",
    "source.file_record",
    "source.record_id",
    "reasons",
];

/// Writes a header and one row per finding.
pub fn write_csv<'a>(
    out: &mut dyn Write,
    alerts: impl IntoIterator<Item = &'a Alert>,
) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for a in alerts {
        w.write_record(
            row(a)
                .iter()
                .map(|c| defuse_formula(c))
                .collect::<Vec<_>>()
                .iter()
                .map(|c| c.as_ref()),
        )?;
    }
    w.flush()
}

/// Distinct values in first-seen order, joined with `|`.
fn joined<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for i in items {
        if !seen.contains(&i) {
            seen.push(i);
        }
    }
    seen.join("|")
}

fn row(a: &Alert) -> [String; 28] {
    let load = a
        .timeline
        .iter()
        .find(|t| t.role == "load")
        .map(|t| &t.provenance);
    let destinations: Vec<String> = a
        .evidence
        .outbound_network
        .iter()
        .map(|n| {
            format!(
                "{}{}{}",
                n.destination_ip,
                n.destination_port
                    .map(|p| format!(":{p}"))
                    .unwrap_or_default(),
                n.destination_domain
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    [
        a.id.clone(),
        crate::schema::kind(a).into(),
        a.suppressed_by
            .as_ref()
            .map(|s| format!("{}:{}", s.source, s.id))
            .unwrap_or_default(),
        a.time.to_rfc3339(),
        a.host.to_string(),
        a.severity.as_str().into(),
        a.score.to_string(),
        a.user.as_deref().unwrap_or("").into(),
        a.process.to_string(),
        a.pid.map(|p| p.to_string()).unwrap_or_default(),
        a.executable.original().into(),
        a.command_line.as_deref().unwrap_or("").into(),
        a.parent
            .executable
            .as_ref()
            .map(|p| p.original().to_string())
            .unwrap_or_default(),
        a.dll.original().into(),
        joined(a.classes.iter().map(|c| c.as_str())),
        a.signature.state.as_str().into(),
        a.signature.subject.as_deref().unwrap_or("").into(),
        a.dll_sha256.as_deref().unwrap_or("").into(),
        a.file_first_seen
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
        a.branches.join("|"),
        joined(
            a.evidence
                .fresh_write
                .iter()
                .map(|w| w.process_executable.original()),
        ),
        joined(destinations.iter().map(String::as_str)),
        a.incident
            .as_ref()
            .map(|i| i.id.clone())
            .unwrap_or_default(),
        load.map(|p| p.file.to_string()).unwrap_or_default(),
        load.and_then(|p| p.line)
            .map(|l| l.to_string())
            .unwrap_or_default(),
        load.and_then(|p| p.file_record)
            .map(|r| r.to_string())
            .unwrap_or_default(),
        load.and_then(|p| p.record_id)
            .map(|r| r.to_string())
            .unwrap_or_default(),
        a.reasons.join(" "),
    ]
}
