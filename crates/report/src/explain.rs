//! `dllhound explain`: everything known about one alert or incident as a readable page (Markdown),
//! every line pointing back to its record.

use crate::escape_control;
use dllhound_detect::context::unc::{Transport, Unc, UncConnection};
use dllhound_detect::Alert;
use std::io::{self, Write};

/// A Markdown table cell: one line, pipes escaped, control characters made visible.
fn cell(s: &str) -> String {
    escape_control(s)
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

/// Writes the page for `alerts`: the incident they share (when `incident` is given), then each
/// alert's facts, reasons, timeline, file history, network share and children.
pub fn write_explain_markdown(
    out: &mut dyn Write,
    alerts: &[&Alert],
    incident: Option<&str>,
) -> io::Result<()> {
    let Some(first) = alerts.first() else {
        return Ok(());
    };
    if let Some(id) = incident {
        writeln!(out, "# Incident {id}\n")?;
        writeln!(
            out,
            "{} alert{} of `{}` on `{}`.\n",
            alerts.len(),
            if alerts.len() == 1 { "" } else { "s" },
            cell(first.dll.original()),
            cell(&first.host)
        )?;
        writeln!(out, "| alert | first load | loader | severity | branches |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for a in alerts {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                a.id,
                a.time,
                cell(a.executable.original()),
                a.severity.as_str(),
                a.branches.join(", ")
            )?;
        }
        writeln!(out)?;
    }
    for a in alerts {
        write_alert(out, a, incident.is_some())?;
    }
    Ok(())
}

fn write_alert(out: &mut dyn Write, a: &Alert, nested: bool) -> io::Result<()> {
    let h = if nested { "##" } else { "#" };
    writeln!(
        out,
        "{h} {} {} ({}) — {}\n",
        crate::schema::kind(a),
        a.id,
        a.severity.as_str(),
        cell(a.dll.file_name())
    )?;
    let rec = |role: &str| {
        a.timeline
            .iter()
            .find(|t| t.role == role)
            .map(|t| t.provenance.to_string())
            .unwrap_or_default()
    };
    let (load, start) = (rec("load"), rec("loader_start"));
    let first_rec = a
        .file_history
        .iter()
        .find(|f| Some(f.time) == a.file_first_seen)
        .map(|f| f.provenance.to_string())
        .unwrap_or_default();
    let parent_rec = a
        .parent
        .provenance
        .as_ref()
        .map(|p| p.to_string())
        .unwrap_or(start.clone());
    let mut facts: Vec<(&str, String, String)> = vec![
        ("host", a.host.to_string(), load.clone()),
        ("first load", a.time.to_string(), load.clone()),
        ("DLL", a.dll.original().to_string(), load.clone()),
        (
            "path classes",
            a.classes
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            String::new(),
        ),
        (
            "signer",
            format!(
                "{}{}",
                a.signature.state.as_str(),
                a.signature
                    .subject
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            ),
            load.clone(),
        ),
    ];
    if let Some(h) = &a.dll_sha256 {
        facts.push(("SHA-256", h.to_string(), load.clone()));
    }
    facts.push((
        "file first seen",
        a.file_first_seen
            .map_or("not in the input".into(), |t| t.to_string()),
        first_rec,
    ));
    if let Some(p) = &a.prevalence {
        facts.push((
            "prevalence",
            format!(
                "{} host{} by {} since {} (e.g. {})",
                p.hosts,
                if p.hosts == 1 { "" } else { "s" },
                p.by,
                p.first_seen,
                p.sample_hosts
                    .iter()
                    .map(|s| &**s)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "trigger loads of the input".into(),
        ));
    }
    facts.push((
        "loader",
        format!(
            "{} [{}]{}",
            a.executable.original(),
            a.process,
            a.pid.map(|p| format!(" pid {p}")).unwrap_or_default()
        ),
        load.clone(),
    ));
    if let Some(c) = &a.command_line {
        facts.push(("command line", c.to_string(), start.clone()));
    }
    if let Some(u) = &a.user {
        facts.push(("user", u.to_string(), load.clone()));
    }
    if let Some(p) = a.parent.executable.as_ref() {
        facts.push((
            "parent",
            format!(
                "{}{}{}",
                p.original(),
                a.parent
                    .entity_id
                    .as_ref()
                    .map(|k| format!(" [{k}]"))
                    .unwrap_or_default(),
                a.parent
                    .command_line
                    .as_deref()
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default()
            ),
            parent_rec.clone(),
        ));
    }
    if let Some(g) = &a.parent.parent_executable {
        facts.push(("grandparent", g.original().to_string(), parent_rec));
    }
    facts.push(("load records", a.load_count.to_string(), load));
    if let Some(i) = &a.incident {
        facts.push((
            "incident",
            format!(
                "{} ({} alert{})",
                i.id,
                i.alert_count,
                if i.alert_count == 1 { "" } else { "s" }
            ),
            String::new(),
        ));
    }
    if let Some(s) = &a.suppressed_by {
        facts.push((
            "suppressed by",
            format!("{}:{} — {}", s.source, s.id, s.reason),
            String::new(),
        ));
    }
    writeln!(out, "| fact | value | record |")?;
    writeln!(out, "|---|---|---|")?;
    for (k, v, r) in facts {
        writeln!(out, "| {k} | {} | {} |", cell(&v), cell(&r))?;
    }
    writeln!(out, "\n**Why** (score {}):\n", a.score)?;
    for r in &a.reasons {
        writeln!(out, "- {}", cell(r))?;
    }
    writeln!(
        out,
        "\n**Timeline**\n\n| time | role | what | record |\n|---|---|---|---|"
    )?;
    for t in &a.timeline {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            t.time,
            t.role,
            cell(&t.summary),
            cell(&t.provenance.to_string())
        )?;
    }
    writeln!(out, "\n**File history of the DLL on this host**\n")?;
    if a.file_history.is_empty() {
        writeln!(
            out,
            "No write, delete or creation-time change of this path is in the input."
        )?;
    } else {
        writeln!(
            out,
            "| time | action | path | by | record |\n|---|---|---|---|---|"
        )?;
        for f in &a.file_history {
            let stomp = f
                .creation_time
                .map(|c| {
                    format!(
                        " (creation time set to {c}{})",
                        f.previous_creation_time
                            .map(|p| format!(", was {p}"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            writeln!(
                out,
                "| {} | {}{} | {} | {} [{}] | {} |",
                f.time,
                f.action,
                cell(&stomp),
                cell(f.path.original()),
                cell(f.process.executable.original()),
                f.process.entity_id,
                cell(&f.provenance.to_string())
            )?;
        }
    }
    if let Some(u) = &a.unc {
        write_unc(out, u)?;
    }
    writeln!(out, "\n**Children of the loader**\n")?;
    if a.children.is_empty() {
        writeln!(
            out,
            "The loader started no process within the window after the load."
        )?;
    } else {
        writeln!(
            out,
            "| time | after load | process | did | record |\n|---|---|---|---|---|"
        )?;
        for c in &a.children {
            let mut did: Vec<String> = c
                .network
                .iter()
                .map(|n| {
                    format!(
                        "connected to {}{}",
                        n.destination_ip,
                        n.destination_port
                            .map(|p| format!(":{p}"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            did.extend(
                c.files
                    .iter()
                    .map(|f| format!("wrote {}", f.path.original())),
            );
            writeln!(
                out,
                "| {} | {:.3} s | {} | {} | {} |",
                c.time,
                c.delta_seconds,
                cell(
                    c.process
                        .command_line
                        .as_deref()
                        .unwrap_or(c.process.executable.original())
                ),
                cell(&did.join("; ")),
                cell(&c.provenance.to_string())
            )?;
        }
    }
    writeln!(out)
}

/// `SMB` or `WebDAV`, with the ports looked at.
pub(crate) fn transport(u: &Unc) -> String {
    format!(
        "{} on port {}",
        match u.transport {
            Transport::Smb => "SMB",
            Transport::Webdav => "WebDAV",
        },
        u.ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join("/")
    )
}

/// One connection to the share's server: when, who, where, how it was matched.
pub(crate) fn unc_line(c: &UncConnection) -> String {
    format!(
        "{}  {:+.3} s  {}{} → {}{}{} (by {})",
        c.time,
        c.delta_seconds,
        c.process.executable.as_deref().unwrap_or("?"),
        c.process
            .pid
            .map(|p| format!(" pid {p}"))
            .unwrap_or_default(),
        c.destination_ip,
        c.destination_port
            .map(|p| format!(":{p}"))
            .unwrap_or_default(),
        c.destination_domain
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default(),
        c.matched_by
    )
}

fn write_unc(out: &mut dyn Write, u: &Unc) -> io::Result<()> {
    writeln!(
        out,
        "\n**Network share**\n\nServer `{}`, share `{}`, {}; {} connection{} of the host to the server within the network window of the load.\n",
        u.server,
        u.share.as_deref().unwrap_or("-"),
        transport(u),
        u.connection_count,
        if u.connection_count == 1 { "" } else { "s" }
    )?;
    if !u.connections.is_empty() {
        writeln!(out, "| connection | record |\n|---|---|")?;
        for c in &u.connections {
            writeln!(
                out,
                "| {} | {} |",
                cell(&unc_line(c)),
                cell(&c.provenance.to_string())
            )?;
        }
    }
    if !u.lookups.is_empty() {
        writeln!(out, "\n| lookup of the server | record |\n|---|---|")?;
        for l in &u.lookups {
            writeln!(
                out,
                "| {} {:+.3} s {} asked {} → {} | {} |",
                l.time,
                l.delta_seconds,
                cell(l.process.executable.as_deref().unwrap_or("?")),
                cell(&l.query),
                cell(l.results.as_deref().unwrap_or("-")),
                cell(&l.provenance.to_string())
            )?;
        }
    }
    Ok(())
}
