//! CSV: one row per alert, formula-injection safe.

use crate::defuse_formula;
use dllhound_detect::Alert;
use std::io::{self, Write};

const HEADER: [&str; 14] = [
    "id",
    "@timestamp",
    "host.name",
    "event.severity",
    "risk_score",
    "process.entity_id",
    "process.pid",
    "process.executable",
    "process.command_line",
    "dll.path",
    "dll.path_classes",
    "dll.signature.state",
    "an0052.branches",
    "reasons",
];

/// Writes a header and one row per alert.
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

fn row(a: &Alert) -> [String; 14] {
    [
        a.id.clone(),
        a.time.to_rfc3339(),
        a.host.to_string(),
        a.severity.as_str().into(),
        a.score.to_string(),
        a.process.to_string(),
        a.pid.map(|p| p.to_string()).unwrap_or_default(),
        a.executable.original().into(),
        a.command_line.as_deref().unwrap_or("").into(),
        a.dll.original().into(),
        a.classes
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join("|"),
        a.signature.state.as_str().into(),
        a.branches.join("|"),
        a.reasons.join(" "),
    ]
}
