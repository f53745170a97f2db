//! `dllhound explain ID PATHS...`: re-reads the inputs and prints everything known about one alert
//! or incident (DESIGN.md §3): the evidence, lineage, children, the DLL's file history and its
//! prevalence, each line with the record it comes from.

use crate::args::{ExplainArgs, ExplainFormat};
use anyhow::{bail, Context, Result};
use dllhound_detect::Alert;
use dllhound_ingest::expand_inputs;
use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;

pub fn run(a: ExplainArgs) -> Result<ExitCode> {
    let (pool, threads) = super::pool(a.threads)?;
    let mut cfg = super::scan::config(&a.detect)?;
    // An id from a `--signals` or `--show-suppressed` listing must resolve too; the alerts and
    // their ids are the same either way.
    cfg.signals = true;
    cfg.keep_suppressed = true;
    super::require_paths(&a.paths)?;
    let (inputs, walk_errors) = expand_inputs(&a.paths);
    for e in &walk_errors {
        eprintln!("dllhound: {e}");
    }
    let (opts, _) = super::read_options(a.input_format, &inputs, threads, true);
    let out = pool.install(|| dllhound_engine::scan(&inputs, &opts, &cfg));
    let clean = walk_errors.is_empty() && out.inputs.iter().all(|i| i.is_clean());
    let o = &out.outcome;
    let all: Vec<&Alert> = o
        .alerts
        .iter()
        .chain(&o.signals)
        .chain(&o.suppressed)
        .collect();
    let want = a.id.trim().to_ascii_lowercase();
    if want.len() < 6 || !want.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!(
            "{:?} is not an alert or incident id (hex, at least 6 digits)",
            a.id
        );
    }
    // An alert id (or a unique prefix of one), else an incident id (or prefix).
    let mut ids: Vec<&str> = all
        .iter()
        .map(|x| x.id.as_str())
        .filter(|i| i.starts_with(&want))
        .collect();
    ids.dedup();
    let (chosen, incident): (Vec<&Alert>, Option<String>) =
        match ids.as_slice() {
            [one] => (all.iter().copied().filter(|x| x.id == *one).collect(), None),
            [] => {
                let mut inc: Vec<&str> = o
                    .alerts
                    .iter()
                    .filter_map(|x| x.incident.as_ref().map(|i| i.id.as_str()))
                    .filter(|i| i.starts_with(&want))
                    .collect();
                inc.sort_unstable();
                inc.dedup();
                match inc.as_slice() {
                    [one] => (
                        o.alerts
                            .iter()
                            .filter(|x| x.incident.as_ref().is_some_and(|i| i.id == *one))
                            .collect(),
                        Some(one.to_string()),
                    ),
                    [] => bail!(
                    "no alert or incident {} in {} ({} alerts, {} signals, {} suppressed found)",
                    a.id,
                    a.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "),
                    o.alerts.len(),
                    o.signals.len(),
                    o.suppressed.len()
                ),
                    many => bail!("{} names {} incidents: give more digits", a.id, many.len()),
                }
            }
            many => bail!("{} names {} alerts: give more digits", a.id, many.len()),
        };
    let to_terminal = a.output.is_none() && std::io::stdout().is_terminal();
    let format = a.output_format.unwrap_or(if to_terminal {
        ExplainFormat::Table
    } else {
        ExplainFormat::Markdown
    });
    let sink = super::sink(a.output.as_deref())?;
    let mut w = BufWriter::new(sink);
    match format {
        ExplainFormat::Table => dllhound_report::write_table(
            &mut w,
            chosen.iter().copied(),
            dllhound_report::Grouping::Incident,
            &a.color.table_style(to_terminal),
        )?,
        ExplainFormat::Markdown => {
            dllhound_report::write_explain_markdown(&mut w, &chosen, incident.as_deref())?
        }
        ExplainFormat::Json => {
            let records = dllhound_report::records(chosen.iter().copied())?;
            let doc = serde_json::json!({
                "id": want,
                "kind": if incident.is_some() { "incident" } else { "alert" },
                "incident": incident.clone().or_else(|| chosen.first().and_then(|x| x.incident.as_ref().map(|i| i.id.clone()))),
                "alerts": records,
            });
            serde_json::to_writer_pretty(&mut w, &doc)?;
            writeln!(w)?;
        }
        ExplainFormat::Html => {
            let records = dllhound_report::records(chosen.iter().copied())?;
            let ctx = dllhound_report::ReportContext {
                title: format!(
                    "dllhound: {} {}",
                    if incident.is_some() {
                        "incident"
                    } else {
                        "alert"
                    },
                    incident
                        .as_deref()
                        .unwrap_or(chosen.first().map_or("", |x| x.id.as_str()))
                ),
                run: None,
                coverage: None,
                generated: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                filters: None,
            };
            dllhound_report::write_html(&mut w, &records, &ctx)?
        }
    }
    w.flush().context("writing the explanation")?;
    Ok(ExitCode::from(if clean { 0 } else { 2 }))
}
