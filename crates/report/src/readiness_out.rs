//! `dllhound coverage --sysmon-config`: a configuration's readiness for AN0052 as a terminal
//! table, Markdown (audit evidence) or JSON, with the suggested change and, when data was given
//! too, the per-host comparison.

use crate::escape::md;
use crate::escape_control;
use dllhound_sysmon::compare::HostCheck;
use dllhound_sysmon::suggest::Suggestion;
use dllhound_sysmon::Readiness;
use serde_json::{json, Value};
use std::io::{self, Write};

fn shout(verdict: &str) -> &'static str {
    match verdict {
        "logged" => "logged",
        "partial" => "PARTIAL",
        _ => "NOT LOGGED",
    }
}

fn counted(p: &dllhound_sysmon::PartResult) -> String {
    let n = p.probes.iter().filter(|x| x.logged).count();
    format!("{n} of {} probes logged", p.probes.len())
}

/// The reason, then the deciding rule's name and text when it is a rule (a section's reason
/// already names the section and its line).
fn rule_words(p: &dllhound_sysmon::ProbeResult) -> String {
    match &p.rule {
        Some(r) => {
            let name = r
                .name
                .as_deref()
                .map(|n| format!(" [{n}]"))
                .unwrap_or_default();
            let section_only = r.text.starts_with('<') && r.text.ends_with('>');
            if section_only {
                format!("{}{name}", p.reason)
            } else {
                format!("{}{name}: {}", p.reason, r.text)
            }
        }
        None => p.reason.clone(),
    }
}

/// The terminal form.
pub fn write_readiness_table(
    out: &mut dyn Write,
    r: &Readiness,
    suggestion: Option<&Suggestion>,
    checks: Option<&[HostCheck]>,
) -> io::Result<()> {
    writeln!(
        out,
        "SYSMON CONFIG {} (schema {})",
        escape_control(&r.config),
        r.schema_version
    )?;
    writeln!(out, "{}\n", r.headline().1)?;
    for p in &r.parts {
        writeln!(
            out,
            "{:<18} {:<11} {}",
            p.part,
            shout(p.verdict),
            counted(p)
        )?;
        for x in &p.probes {
            let mark = if x.logged { "logged " } else { "DROPPED" };
            let why = if x.logged {
                x.reason.clone()
            } else {
                rule_words(x)
            };
            writeln!(out, "  {mark} {:<30} {}", x.probe, escape_control(&why))?;
        }
    }
    if let Some(s) = suggestion {
        writeln!(out)?;
        write_suggestion_text(out, s)?;
    }
    if let Some(c) = checks {
        writeln!(out)?;
        write_checks_text(out, c)?;
    }
    Ok(())
}

fn write_suggestion_text(out: &mut dyn Write, s: &Suggestion) -> io::Result<()> {
    if s.is_empty() {
        return writeln!(out, "SUGGESTION: none needed, every probe is logged");
    }
    if s.remaining.is_empty() {
        writeln!(
            out,
            "SUGGESTION (applied and evaluated again: every probe is logged)"
        )?;
    } else {
        writeln!(
            out,
            "SUGGESTION (applied and evaluated again: still dropped: {})",
            s.remaining.join(", ")
        )?;
    }
    if let Some(v) = &s.schema_version {
        writeln!(out, "  set <Sysmon schemaversion=\"{v}\">")?;
    }
    for rm in &s.removals {
        let name = rm
            .name
            .as_deref()
            .map(|n| format!(" [{n}]"))
            .unwrap_or_default();
        writeln!(
            out,
            "  remove line {}{name}: {}   (it drops {})",
            rm.line,
            escape_control(&rm.text),
            rm.probes.join(", ")
        )?;
    }
    for a in &s.additions {
        writeln!(
            out,
            "  add before </EventFiltering> ({}):",
            a.parts.join(", ")
        )?;
        for l in a.xml.lines() {
            writeln!(out, "    {l}")?;
        }
    }
    for n in &s.notes {
        writeln!(out, "  note: {n}")?;
    }
    Ok(())
}

fn write_checks_text(out: &mut dyn Write, checks: &[HostCheck]) -> io::Result<()> {
    let differs = checks.iter().filter(|c| c.verdict == "differs").count();
    writeln!(
        out,
        "CONFIG vs DATA: {} host{} compared, {differs} differ{} from what this configuration logs",
        checks.len(),
        if checks.len() == 1 { "" } else { "s" },
        if differs == 1 { "s" } else { "" }
    )?;
    for c in checks {
        if c.mismatches.is_empty() {
            writeln!(out, "  {:<24} consistent", escape_control(&c.host))?;
        }
        for m in &c.mismatches {
            writeln!(
                out,
                "  {:<24} {}: config {}, data {}: {}",
                escape_control(&c.host),
                m.part,
                m.config,
                m.data,
                m.says
            )?;
        }
    }
    Ok(())
}

/// Markdown: the headline, a verdict table, every dropped probe with its rule, the suggestion.
pub fn write_readiness_markdown(
    out: &mut dyn Write,
    r: &Readiness,
    suggestion: Option<&Suggestion>,
    checks: Option<&[HostCheck]>,
) -> io::Result<()> {
    writeln!(out, "# AN0052 readiness of `{}`\n", md(&r.config))?;
    writeln!(
        out,
        "Schema version {}. **{}**\n",
        r.schema_version,
        md(&r.headline().1)
    )?;
    writeln!(out, "| part | verdict | probes |\n|---|---|---|")?;
    for p in &r.parts {
        writeln!(
            out,
            "| {} | {} | {} |",
            p.part,
            shout(p.verdict),
            counted(p)
        )?;
    }
    writeln!(out, "\n## Probes\n")?;
    writeln!(
        out,
        "| part | probe | logged | line | rule | why |\n|---|---|---|---|---|---|"
    )?;
    for p in &r.parts {
        for x in &p.probes {
            let (line, rule) = x.rule.as_ref().map_or((String::new(), String::new()), |r| {
                let name = r
                    .name
                    .as_deref()
                    .map(|n| format!("[{n}] "))
                    .unwrap_or_default();
                (r.line.to_string(), format!("{name}{}", r.text))
            });
            writeln!(
                out,
                "| {} | {} | {} | {} | `{}` | {} |",
                p.part,
                md(&x.probe),
                if x.logged { "yes" } else { "**no**" },
                line,
                md(&rule).replace('`', "'"),
                md(&x.reason)
            )?;
        }
    }
    if let Some(s) = suggestion {
        writeln!(out, "\n## Suggested change\n")?;
        if s.is_empty() {
            writeln!(out, "None needed: every probe is logged.")?;
        } else {
            if s.remaining.is_empty() {
                writeln!(
                    out,
                    "Applied to the configuration and evaluated again, every probe is logged.\n"
                )?;
            } else {
                writeln!(
                    out,
                    "Applied and evaluated again, still dropped: {}.\n",
                    md(&s.remaining.join(", "))
                )?;
            }
            if let Some(v) = &s.schema_version {
                writeln!(out, "- set `schemaversion=\"{v}\"`")?;
            }
            for rm in &s.removals {
                writeln!(
                    out,
                    "- remove line {}: `{}` (it drops {})",
                    rm.line,
                    md(&rm.text).replace('`', "'"),
                    md(&rm.probes.join(", "))
                )?;
            }
            for n in &s.notes {
                writeln!(out, "- note: {}", md(n))?;
            }
            for a in &s.additions {
                writeln!(
                    out,
                    "\nAdd before `</EventFiltering>` ({}):\n\n```xml\n{}```",
                    a.parts.join(", "),
                    a.xml
                )?;
            }
        }
    }
    if let Some(c) = checks {
        writeln!(out, "\n## Configuration vs data\n\n| host | part | config | data | meaning |\n|---|---|---|---|---|")?;
        for h in c {
            if h.mismatches.is_empty() {
                writeln!(out, "| {} | all | | | consistent |", md(&h.host))?;
            }
            for m in &h.mismatches {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    md(&h.host),
                    m.part,
                    m.config,
                    m.data,
                    md(&m.says)
                )?;
            }
        }
    }
    Ok(())
}

/// JSON: `{"config", "schema_version", "headline", "parts": [...], "suggestion"?, "data"?,
/// "comparison"?}`.
pub fn readiness_json(
    r: &Readiness,
    suggestion: Option<&Suggestion>,
    data: Option<Value>,
    checks: Option<&[HostCheck]>,
) -> Value {
    let (verdict, text) = r.headline();
    let mut v = json!({
        "config": r.config,
        "schema_version": r.schema_version,
        "headline": {"verdict": verdict, "text": text},
        "parts": r.parts,
    });
    if let Some(s) = suggestion {
        v["suggestion"] = json!(s);
    }
    if let Some(d) = data {
        v["data"] = d;
    }
    if let Some(c) = checks {
        v["comparison"] = json!(c);
    }
    v
}
