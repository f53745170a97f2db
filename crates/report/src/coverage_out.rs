//! The coverage report: a terminal table, JSON, or Markdown.

use crate::escape::md;
use crate::escape_control;
use dllhound_detect::coverage::{fleet_summary, HostCoverage};
use std::io::{self, Write};

fn range(c: &HostCoverage) -> String {
    match (c.first, c.last) {
        (Some(f), Some(l)) => format!("{f} .. {l}"),
        _ => "-".into(),
    }
}

fn pct(n: u64, d: u64) -> String {
    if d == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / d as f64)
    }
}

fn offset(c: &HostCoverage) -> String {
    match c.median_clock_offset_seconds {
        Some(s) if s.abs() >= 60.0 => format!("{:+.2} h", s / 3600.0),
        Some(s) => format!("{s:+.3} s"),
        None => "-".into(),
    }
}

/// Facts per host, as (label, value) rows.
fn facts(c: &HostCoverage) -> Vec<(&'static str, String)> {
    let writes = c.file_creates + c.file_streams + c.executables_detected;
    let total: u64 = c.events.values().sum();
    vec![
        ("time range", range(c)),
        (
            "events",
            c.events
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("image loads (Sysmon 7)", c.image_loads.to_string()),
        (
            "…with signer state",
            pct(c.image_loads_with_signer, c.image_loads),
        ),
        (
            "file writes (11 / 15 / 29)",
            format!(
                "{writes} ({} / {} / {})",
                c.file_creates, c.file_streams, c.executables_detected
            ),
        ),
        ("process starts", c.process_starts.to_string()),
        (
            "…with OriginalFileName",
            pct(c.process_starts_with_original_name, c.process_starts),
        ),
        (
            "…with command line",
            pct(c.process_starts_with_command_line, c.process_starts),
        ),
        ("network connections", c.network.to_string()),
        ("…with Initiated", pct(c.network_with_initiated, c.network)),
        ("DNS queries", c.dns.to_string()),
        (
            "events with stable process id",
            pct(c.events_with_stable_process_id, total),
        ),
        ("UtcTime − record time (median)", offset(c)),
        ("out of order", pct(c.out_of_order, total)),
    ]
}

/// The fleet summary's lines: "3 hosts: 1 can fire, 1 partly, 1 cannot", then each answer with
/// its host count.
fn summary_lines(hosts: &[HostCoverage]) -> Vec<String> {
    let s = fleet_summary(hosts);
    let mut v = vec![format!(
        "{} host{}: AN0052 can fire on {}, partly on {}, not at all on {}",
        s.hosts,
        if s.hosts == 1 { "" } else { "s" },
        s.can_fire,
        s.can_fire_partly,
        s.cannot_fire
    )];
    for (text, n) in &s.headlines {
        v.push(format!("{n:>5} × {}", escape_control(text)));
    }
    v
}

fn headline(c: &HostCoverage) -> &str {
    c.headline.as_ref().map_or("", |h| h.text.as_str())
}

/// Verdict words for a terminal: only `evaluable` reads as good.
fn shout(verdict: &str) -> &'static str {
    match verdict {
        "evaluable" => "evaluable",
        "partial" => "PARTIAL",
        "blind" => "BLIND",
        _ => "?",
    }
}

/// The fleet summary, then one block per host: its headline, facts, a verdict per AN0052 part.
pub fn write_coverage_table(out: &mut dyn Write, hosts: &[HostCoverage]) -> io::Result<()> {
    for l in summary_lines(hosts) {
        writeln!(out, "{l}")?;
    }
    writeln!(out)?;
    for c in hosts {
        writeln!(
            out,
            "HOST {}: {}",
            escape_control(&c.host),
            escape_control(headline(c))
        )?;
        for (k, v) in facts(c) {
            writeln!(out, "  {k:<34} {v}")?;
        }
        if let Some(v) = &c.verdicts {
            for (part, verdict) in v.parts() {
                let why = verdict
                    .reason
                    .as_deref()
                    .map(|r| format!("  ({r})"))
                    .unwrap_or_default();
                let line = format!("  {part:<22} {:<10}{why}", shout(verdict.verdict));
                writeln!(out, "{}", line.trim_end())?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// `{"summary":{…},"hosts":[…]}`: the fleet summary, every counter, verdict and headline.
pub fn coverage_json(hosts: &[HostCoverage]) -> serde_json::Value {
    serde_json::json!({ "summary": fleet_summary(hosts), "hosts": hosts })
}

/// [`coverage_json`], pretty-printed.
pub fn write_coverage_json(out: &mut dyn Write, hosts: &[HostCoverage]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &coverage_json(hosts))?;
    writeln!(out)
}

/// A Markdown section per host: a facts table and a verdict table.
pub fn write_coverage_markdown(out: &mut dyn Write, hosts: &[HostCoverage]) -> io::Result<()> {
    writeln!(out, "# AN0052 telemetry coverage\n")?;
    let lines = summary_lines(hosts);
    writeln!(out, "**{}**\n", md(&lines[0]))?;
    for l in &lines[1..] {
        writeln!(out, "- {}", md(l.trim()))?;
    }
    writeln!(
        out,
        "\n| host | AN0052 | path | signature | (a) write | (b) exec | (c) network |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for c in hosts {
        if let Some(v) = &c.verdicts {
            let cells: Vec<&str> = v.parts().iter().map(|(_, x)| shout(x.verdict)).collect();
            writeln!(
                out,
                "| {} | {} | {} |",
                md(&c.host),
                md(headline(c)),
                cells.join(" | ")
            )?;
        }
    }
    for c in hosts {
        writeln!(out, "\n## {}\n\n{}\n", md(&c.host), md(headline(c)))?;
        writeln!(out, "| fact | value |\n|---|---|")?;
        for (k, v) in facts(c) {
            writeln!(out, "| {} | {} |", md(k), md(&v))?;
        }
        if let Some(v) = &c.verdicts {
            writeln!(out, "\n| part | verdict | why |\n|---|---|---|")?;
            for (part, verdict) in v.parts() {
                writeln!(
                    out,
                    "| {part} | {} | {} |",
                    verdict.verdict,
                    md(verdict.reason.as_deref().unwrap_or(""))
                )?;
            }
        }
    }
    Ok(())
}
