//! A human table for terminals: incidents first (one row each), then their alerts as blocks.

use crate::escape_control;
use dllhound_detect::Alert;
use std::io::{self, Write};

/// How [`write_table`] groups alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Alerts of one DLL on one host under one incident row (`--group-by incident`).
    Incident,
    /// One block per alert, in order (`--group-by none`).
    None,
}

/// Writes alerts as a readable block each (a headline, the bundle, the reasons, the timeline),
/// grouped under their incidents unless `grouping` is [`Grouping::None`]. Findings without an
/// incident (signals, suppressed triggers) follow the incidents, in order.
pub fn write_table<'a>(
    out: &mut dyn Write,
    alerts: impl IntoIterator<Item = &'a Alert>,
    grouping: Grouping,
) -> io::Result<()> {
    let alerts: Vec<&Alert> = alerts.into_iter().collect();
    if grouping == Grouping::None {
        for a in &alerts {
            write_alert(out, a)?;
        }
        return Ok(());
    }
    let mut groups: Vec<(&str, Vec<&Alert>)> = Vec::new();
    let mut loose = Vec::new();
    for a in &alerts {
        match &a.incident {
            Some(i) => match groups.iter_mut().find(|g| g.0 == i.id) {
                Some(g) => g.1.push(a),
                None => groups.push((&i.id, vec![a])),
            },
            None => loose.push(*a),
        }
    }
    let n = groups.len();
    for (k, (id, members)) in groups.iter().enumerate() {
        write_incident(out, k + 1, n, id, members)?;
        for a in members {
            write_alert(out, a)?;
        }
    }
    for a in loose {
        write_alert(out, a)?;
    }
    Ok(())
}

/// The incident row: host, DLL, alerts and loaders, first and last load, branches, max severity.
fn write_incident(
    out: &mut dyn Write,
    k: usize,
    n: usize,
    id: &str,
    members: &[&Alert],
) -> io::Result<()> {
    let Some(first) = members.first() else {
        return Ok(());
    };
    let max = members
        .iter()
        .map(|a| a.severity)
        .max()
        .unwrap_or(first.severity);
    let (t0, t1) = members
        .iter()
        .fold((first.time, first.time), |(lo, hi), a| {
            (lo.min(a.time), hi.max(a.time))
        });
    let mut names: Vec<&str> = members.iter().map(|a| a.executable.file_name()).collect();
    names.sort_unstable();
    names.dedup();
    let mut processes: Vec<String> = members.iter().map(|a| a.process.to_string()).collect();
    processes.sort_unstable();
    processes.dedup();
    let mut branches: Vec<&str> = members
        .iter()
        .flat_map(|a| a.branches.iter().copied())
        .collect();
    branches.sort_unstable();
    branches.dedup();
    writeln!(
        out,
        "INCIDENT {k}/{n} {sev:<8} {host}  {dll}  {id}",
        sev = max.as_str().to_uppercase(),
        host = escape_control(&first.host),
        dll = escape_control(first.dll.original()),
    )?;
    writeln!(
        out,
        "  {} alert{} from {} loader{} ({}), loads {} → {}, branches {}",
        members.len(),
        if members.len() == 1 { "" } else { "s" },
        processes.len(),
        if processes.len() == 1 { "" } else { "s" },
        escape_control(&names.join(", ")),
        t0,
        t1,
        if branches.is_empty() {
            "none".to_string()
        } else {
            branches.join(", ")
        }
    )?;
    writeln!(out)
}

fn write_alert(out: &mut dyn Write, a: &Alert) -> io::Result<()> {
    let kind = crate::schema::kind(a).to_uppercase();
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
    if let Some(p) = a.parent.executable.as_ref() {
        let grand = a
            .parent
            .parent_executable
            .as_ref()
            .map(|g| format!("  ← {}", escape_control(g.original())))
            .unwrap_or_default();
        writeln!(out, "  parent   {}{grand}", escape_control(p.original()))?;
    }
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
    if let Some(p) = &a.prevalence {
        writeln!(
            out,
            "  seen on  {} host{} (by {}) since {}",
            p.hosts,
            if p.hosts == 1 { "" } else { "s" },
            p.by,
            p.first_seen
        )?;
    }
    if let Some(u) = &a.unc {
        write_unc(out, u)?;
    }
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
        if a.branches.is_empty() {
            "-".to_string()
        } else {
            a.branches.join(", ")
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
    if !a.file_history.is_empty() {
        writeln!(out, "  file history")?;
        for h in &a.file_history {
            writeln!(
                out,
                "    {}  {:<16} {} by {}  <{}>",
                h.time,
                h.action,
                escape_control(h.path.original()),
                escape_control(h.process.executable.original()),
                escape_control(&h.provenance.to_string())
            )?;
        }
    }
    if !a.children.is_empty() {
        writeln!(out, "  children")?;
        for c in &a.children {
            writeln!(
                out,
                "    {}  +{:.3} s  {}  <{}>",
                c.time,
                c.delta_seconds,
                escape_control(
                    c.process
                        .command_line
                        .as_deref()
                        .unwrap_or(c.process.executable.original())
                ),
                escape_control(&c.provenance.to_string())
            )?;
            for n in &c.network {
                writeln!(
                    out,
                    "      → {}{}  <{}>",
                    n.destination_ip,
                    n.destination_port
                        .map(|p| format!(":{p}"))
                        .unwrap_or_default(),
                    escape_control(&n.provenance.to_string())
                )?;
            }
            for f in &c.files {
                writeln!(
                    out,
                    "      wrote {}  <{}>",
                    escape_control(f.path.original()),
                    escape_control(&f.provenance.to_string())
                )?;
            }
        }
    }
    writeln!(out)
}

/// The share a DLL on a network path came from, and the host's connections to its server.
fn write_unc(out: &mut dyn Write, u: &dllhound_detect::context::unc::Unc) -> io::Result<()> {
    writeln!(
        out,
        "  share    \\\\{}{}  ({}; {} connection{} to the server around the load)",
        escape_control(&u.server),
        u.share
            .as_deref()
            .map(|s| format!("\\{}", escape_control(s)))
            .unwrap_or_default(),
        crate::explain::transport(u),
        u.connection_count,
        if u.connection_count == 1 { "" } else { "s" }
    )?;
    for c in &u.connections {
        writeln!(
            out,
            "    {}  <{}>",
            crate::explain::unc_line(c),
            escape_control(&c.provenance.to_string())
        )?;
    }
    Ok(())
}
