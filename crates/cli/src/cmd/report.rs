//! `dllhound report`: saved alerts (NDJSON) → the self-contained HTML triage report.

use crate::args::ReportArgs;
use anyhow::{bail, Context, Result};
use dllhound_report::{escape_control, write_html, ReportContext};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::ExitCode;

/// What a JSON document given to `report` is, when it is one of dllhound's other outputs.
fn other_output(v: &Value) -> Option<(&'static str, &'static str)> {
    let o = v.as_object()?;
    if o.contains_key("detection") && o.contains_key("inputs") {
        Some(("a --stats-json file", "--stats"))
    } else if o.contains_key("hosts") && (o.contains_key("summary") || o.contains_key("parts")) {
        Some((
            "a `dllhound coverage --output-format json` file",
            "--coverage",
        ))
    } else if o.contains_key("parts") && o.contains_key("headline") {
        Some(("a Sysmon-configuration coverage file", "--coverage"))
    } else {
        None
    }
}

/// Reads a `--stats` or `--coverage` file, refusing one of the wrong kind by name.
fn read_side(p: &Option<std::path::PathBuf>, flag: &str) -> Result<Option<Value>> {
    let Some(p) = p else {
        return Ok(None);
    };
    let text = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
    let v: Value =
        serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", p.display()))?;
    match other_output(&v) {
        Some((_, f)) if f == flag => Ok(Some(v)),
        Some((what, f)) => bail!("{} is {what}: give it as {f}, not {flag}", p.display()),
        None => bail!(
            "{} is not {} (expected the JSON that {})",
            p.display(),
            if flag == "--stats" {
                "a --stats-json file"
            } else {
                "a coverage JSON file"
            },
            if flag == "--stats" {
                "`dllhound scan --stats-json FILE` writes"
            } else {
                "`dllhound coverage --output-format json` prints"
            }
        ),
    }
}

pub fn run(a: ReportArgs) -> Result<ExitCode> {
    let mut alerts: Vec<Value> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let (mut bad, mut folded) = (0u64, 0u64);
    for p in &a.alerts {
        let name = p.display().to_string();
        let mut text = Vec::new();
        if name == "-" {
            std::io::stdin()
                .lock()
                .read_to_end(&mut text)
                .context("reading stdin")?;
        } else {
            text = std::fs::read(p).with_context(|| format!("reading {name}"))?;
        }
        // A whole JSON document: one of dllhound's other outputs given in the wrong place.
        if let Ok(v) = serde_json::from_slice::<Value>(&text) {
            if let Some((what, flag)) = other_output(&v) {
                bail!("{name} is {what}, not alerts: give it as {flag} {name}, with the NDJSON alerts as the input");
            }
        }
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            if line.trim_ascii().is_empty() {
                continue;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(v) if v.get("id").is_some() && v.get("dll").is_some() => {
                    let id = v["id"].as_str().unwrap_or_default().to_string();
                    // `stream --updates` writes an alert again, with more evidence, under its id:
                    // the later record replaces the earlier one.
                    match by_id.get(&id) {
                        Some(&k) => {
                            alerts[k] = v;
                            folded += 1;
                        }
                        None => {
                            by_id.insert(id, alerts.len());
                            alerts.push(v);
                        }
                    }
                }
                Ok(_) => {
                    bad += 1;
                    eprintln!(
                        "dllhound: {}:line {}: not a dllhound alert record",
                        escape_control(&name),
                        i + 1
                    );
                }
                Err(e) => {
                    bad += 1;
                    eprintln!(
                        "dllhound: {}:line {}: invalid JSON: {e}",
                        escape_control(&name),
                        i + 1
                    );
                }
            }
        }
    }
    if alerts.is_empty() && bad > 0 {
        bail!(
            "no alert records in the inputs ({bad} lines that are not): nothing written to {}",
            a.output.display()
        );
    }
    for v in alerts.iter_mut() {
        // A folded update is shown as the alert it completes.
        if let Some(ev) = v.get_mut("event").and_then(Value::as_object_mut) {
            ev.remove("action");
        }
    }
    let ctx = ReportContext {
        title: a.title.clone(),
        run: read_side(&a.stats, "--stats")?,
        coverage: read_side(&a.coverage, "--coverage")?,
        generated: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        filters: None,
    };
    let f = std::fs::File::create(&a.output)
        .with_context(|| format!("creating {}", a.output.display()))?;
    let mut out = std::io::BufWriter::new(f);
    write_html(&mut out, &alerts, &ctx)?;
    out.flush()
        .with_context(|| format!("writing {}", a.output.display()))?;
    eprintln!(
        "dllhound: {} alerts → {}{}{}",
        alerts.len(),
        a.output.display(),
        if folded > 0 {
            format!(" ({folded} updates folded into their alerts)")
        } else {
            String::new()
        },
        if bad > 0 {
            format!(" ({bad} lines skipped)")
        } else {
            String::new()
        }
    );
    Ok(ExitCode::from(if bad > 0 { 2 } else { 0 }))
}
