//! A human table for terminals.

use crate::escape_control;
use dllhound_detect::Alert;
use std::io::{self, Write};

/// Writes alerts as a readable block each: a headline, then the reasons, then the timeline.
pub fn write_table<'a>(
    out: &mut dyn Write,
    alerts: impl IntoIterator<Item = &'a Alert>,
) -> io::Result<()> {
    for a in alerts {
        let kind = crate::schema::kind(a).to_uppercase();
        let branches = &a.branches;
        writeln!(
            out,
            "{kind} {sev:<8} {score:>3}  {time}  {host}  {id}",
            sev = a.severity.as_str().to_uppercase(),
            score = a.score,
            time = a.time,
            host = escape_control(&a.host),
            id = a.id,
        )?;
        writeln!(
            out,
            "  loader   {}  [{}]",
            escape_control(a.executable.original()),
            a.process
        )?;
        writeln!(
            out,
            "  dll      {}  [{}; {}]",
            escape_control(a.dll.original()),
            a.classes
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(",")
                .to_string()
                + if a.classes.is_empty() { "-" } else { "" },
            a.signature.state.as_str()
        )?;
        if let Some(s) = &a.suppressed_by {
            writeln!(
                out,
                "  suppressed by {}:{} — {}",
                s.source,
                escape_control(&s.id),
                escape_control(&s.reason)
            )?;
        }
        for n in &a.tuning_not_applied {
            writeln!(
                out,
                "  tuning not applied {}:{} — {}",
                n.source,
                escape_control(&n.id),
                escape_control(&n.reason)
            )?;
        }
        writeln!(
            out,
            "  branches {}",
            if branches.is_empty() {
                "-".to_string()
            } else {
                branches.join(", ")
            }
        )?;
        for r in &a.reasons {
            writeln!(out, "  - {}", escape_control(r))?;
        }
        for t in &a.timeline {
            writeln!(
                out,
                "    {}  {:<16} {}  <{}>",
                t.time,
                t.role,
                escape_control(&t.summary),
                escape_control(&t.provenance.to_string())
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
