//! `dllhound scan`: the batch pipeline ([`dllhound_engine::scan`]) with the chosen tuning and output.

use crate::args::{AnalyticArgs, BaselineArgs, DetectArgs, GroupBy, OutputFormat, ScanArgs};
use crate::summary::Summary;
use anyhow::{Context, Result};
use dllhound_detect::baseline::{Baseline, BaselinePolicy};
use dllhound_detect::tuning::{EntrySource, Tuning};
use dllhound_detect::{Alert, Config, PathClasses};
use dllhound_ingest::expand_inputs;
use dllhound_report::escape_control;
use std::io::IsTerminal;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

pub fn run(mut a: ScanArgs) -> Result<ExitCode> {
    let started = Instant::now();
    // `-d DIR` and `-f FILE` are paths by another name.
    a.paths.append(&mut a.directory);
    a.paths.append(&mut a.file);
    let (pool, threads) = super::pool(a.threads)?;
    let cfg = config(&a.detect)?;
    for e in cfg.tuning.expired() {
        let when = e.expires.map(|d| d.to_string()).unwrap_or_default();
        eprintln!("dllhound: {e} expired on {when}: ignored");
    }

    super::require_paths(&a.paths)?;
    let (inputs, walk_errors) = expand_inputs(&a.paths);
    let (opts, bar) = super::read_options(a.input_format, &inputs, threads, a.quiet);
    let total: u64 = inputs
        .iter()
        .map(|i| match i {
            dllhound_ingest::Input::Path(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
            dllhound_ingest::Input::Stdin => 0,
        })
        .sum();
    let streaming = a.streaming || total > a.sort_limit;
    let out = if streaming {
        pool.install(|| dllhound_engine::scan_streaming(&inputs, &opts, &cfg))
    } else {
        pool.install(|| dllhound_engine::scan(&inputs, &opts, &cfg))
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let o = out.outcome;
    let listed: Vec<&Alert> = o
        .alerts
        .iter()
        .chain(&o.signals)
        .chain(&o.suppressed)
        .collect();
    let found = listed.len();
    let listed: Vec<&Alert> = listed.into_iter().filter(|x| a.show.keeps(x)).collect();

    let summary = Summary {
        inputs: &out.inputs,
        walk_errors: &walk_errors,
        detect: &o.stats,
        alerts: &o.alerts,
        signals: o.signals.len(),
        elapsed: started.elapsed(),
        spilled_events: out.spilled_events,
        windows: crate::summary::Windows::of(&cfg),
        suppressed_listed: a.detect.show_suppressed.then_some(o.suppressed.len()),
        verbose: a.verbose,
    };
    let nothing = super::no_telemetry(&a.paths, &out.inputs);
    let clean = summary.is_clean() && nothing.is_none();
    let status = if clean { 0 } else { 2 };
    write_alerts(&a, &listed, found, || {
        summary.to_json(a.detect.max_memory.0, status)
    })?;
    if a.quiet {
        summary.print_errors(a.max_errors_shown);
    } else {
        summary.print(a.max_errors_shown);
    }
    if !a.show.is_empty() && !a.quiet {
        eprintln!(
            "dllhound: written {} of {found} findings ({}); the counts above are the whole input's",
            listed.len(),
            a.show.describe()
        );
    }
    if let Some(n) = &nothing {
        eprintln!("dllhound: {n}");
    }
    if let Some(p) = &a.stats_json {
        let doc = summary.to_json(a.detect.max_memory.0, status);
        let text = serde_json::to_string_pretty(&doc).context("rendering --stats-json")?;
        std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(ExitCode::from(status))
}

/// What the engine may hold by its own estimate (events for sorting, correlation state) under a
/// resident-memory cap. 48 MiB go to the program, read buffers and alerts; of the rest three
/// quarters, because a heap that keeps losing its oldest records fragments (measured with
/// `dllhound simulate --flood`: see the memory-cap test).
pub fn engine_budget(cap: Option<u64>) -> usize {
    match cap {
        None => usize::MAX,
        Some(c) => {
            let c = usize::try_from(c).unwrap_or(usize::MAX);
            c.saturating_sub(48 << 20) / 4 * 3
        }
    }
}

/// The analytic the options ask for: windows, path classes, tuning (no baseline).
pub fn analytic_config(a: &AnalyticArgs) -> Result<Config> {
    let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let mut cfg = Config::default().with_window(ms(a.window));
    for (flag, d) in &a.branch_windows.0 {
        cfg.set_window(flag, ms(*d));
    }
    if let Some(p) = &a.path_classes {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        cfg.path_classes =
            PathClasses::from_yaml(&text).with_context(|| p.display().to_string())?;
    }
    if a.no_default_tuning {
        cfg.tuning = Tuning::default();
    }
    let today = chrono::Utc::now().date_naive();
    for p in &a.allowlist {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        cfg.tuning.extend(Tuning::parse(
            &text,
            &p.display().to_string(),
            EntrySource::Allowlist,
            today,
        )?);
    }
    Ok(cfg)
}

/// The baseline the options name, and when its rows suppress (`None` without --baseline).
pub fn baseline_policy(a: &BaselineArgs) -> Result<Option<BaselinePolicy>> {
    let Some(path) = &a.baseline else {
        return Ok(None);
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(BaselinePolicy {
        baseline: Baseline::from_json(&text, &path.display().to_string())?,
        min_hosts: a.baseline_min_hosts,
        min_days: a.baseline_min_days,
        include_unsigned: a.baseline_unsigned,
    }))
}

/// The detection settings the options ask for.
pub fn config(a: &DetectArgs) -> Result<Config> {
    let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let mut cfg = analytic_config(&a.analytic)?;
    cfg.lateness_ms = ms(a.lateness);
    cfg.memory_cap = engine_budget(a.max_memory.0);
    cfg.signals = a.signals;
    cfg.keep_suppressed = a.show_suppressed;
    cfg.baseline = baseline_policy(&a.baseline)?;
    Ok(cfg)
}

/// Writes `all` (the findings the filters kept, of `found`) in the chosen format.
fn write_alerts(
    a: &ScanArgs,
    all: &[&Alert],
    found: usize,
    run: impl Fn() -> serde_json::Value,
) -> Result<()> {
    let to_terminal = a.output.is_none() && std::io::stdout().is_terminal();
    let format = a
        .output_format
        .or(a.jsonl.then_some(OutputFormat::Ndjson))
        .unwrap_or(if to_terminal {
            OutputFormat::Table
        } else {
            OutputFormat::Ndjson
        });
    let sink = super::sink(a.output.as_deref())?;
    let mut out = BufWriter::new(sink);
    match format {
        OutputFormat::Ndjson => {
            for x in all {
                dllhound_report::write_ndjson(&mut out, x)?;
            }
        }
        OutputFormat::Table => dllhound_report::write_table(
            &mut out,
            all.iter().copied(),
            match a.group_by {
                GroupBy::Incident => dllhound_report::Grouping::Incident,
                GroupBy::None => dllhound_report::Grouping::None,
            },
            &a.color.table_style(to_terminal),
        )?,
        OutputFormat::Csv => dllhound_report::write_csv(&mut out, all.iter().copied())?,
        OutputFormat::TimelineCsv => {
            dllhound_report::write_timeline_csv(&mut out, all.iter().copied())?
        }
        OutputFormat::Html => {
            let alerts = dllhound_report::records(all.iter().copied())?;
            let ctx = dllhound_report::ReportContext {
                title: "dllhound triage report".into(),
                run: Some(run()),
                coverage: None,
                generated: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                filters: (!a.show.is_empty()).then(|| {
                    serde_json::json!({
                        "filters": a.show.describe(),
                        "written": all.len(),
                        "found": found,
                    })
                }),
            };
            dllhound_report::write_html(&mut out, &alerts, &ctx)?
        }
    }
    out.flush().with_context(|| {
        format!(
            "writing alerts{}",
            a.output
                .as_ref()
                .map(|p| format!(" to {}", escape_control(&p.display().to_string())))
                .unwrap_or_default()
        )
    })?;
    Ok(())
}
