//! `dllhound report`: saved alerts (NDJSON) → the self-contained HTML triage report.

use crate::args::ReportArgs;
use anyhow::{Context, Result};
use dllhound_report::{escape_control, write_html, ReportContext};
use serde_json::Value;
use std::io::{BufRead, Write};
use std::process::ExitCode;

pub fn run(a: ReportArgs) -> Result<ExitCode> {
    let mut alerts = Vec::new();
    let mut bad = 0u64;
    for p in &a.alerts {
        let name = p.display().to_string();
        let reader: Box<dyn BufRead> = if name == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::io::BufReader::new(
                std::fs::File::open(p).with_context(|| format!("opening {name}"))?,
            ))
        };
        for (i, line) in reader.split(b'\n').enumerate() {
            let line = line.with_context(|| format!("reading {name}"))?;
            if line.trim_ascii().is_empty() {
                continue;
            }
            match serde_json::from_slice::<Value>(&line) {
                Ok(v) if v.get("id").is_some() && v.get("dll").is_some() => alerts.push(v),
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
    let read_json = |p: &Option<std::path::PathBuf>| -> Result<Option<Value>> {
        p.as_ref()
            .map(|p| {
                let text = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
                serde_json::from_slice(&text)
                    .with_context(|| format!("{} is not JSON", p.display()))
            })
            .transpose()
    };
    let ctx = ReportContext {
        title: a.title.clone(),
        run: read_json(&a.stats)?,
        coverage: read_json(&a.coverage)?,
        generated: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let f = std::fs::File::create(&a.output)
        .with_context(|| format!("creating {}", a.output.display()))?;
    let mut out = std::io::BufWriter::new(f);
    write_html(&mut out, &alerts, &ctx)?;
    out.flush()
        .with_context(|| format!("writing {}", a.output.display()))?;
    eprintln!(
        "dllhound: {} alerts → {}{}",
        alerts.len(),
        a.output.display(),
        if bad > 0 {
            format!(" ({bad} lines skipped)")
        } else {
            String::new()
        }
    );
    Ok(ExitCode::from(if bad > 0 { 2 } else { 0 }))
}
