//! `dllhound scan`: the batch pipeline ([`dllhound_detect::scan`]) with the chosen output.

use crate::args::{InputFormat, OutputFormat, ScanArgs};
use crate::summary::Summary;
use anyhow::{Context, Result};
use dllhound_detect::{Config, PathClasses};
use dllhound_ingest::{expand_inputs, FormatChoice, ReadOptions};
use is_terminal::IsTerminal;
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::Instant;

pub fn run(a: ScanArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("starting worker threads")?;
    let cfg = config(&a)?;

    let (inputs, walk_errors) = expand_inputs(&a.paths);
    let opts = ReadOptions {
        format: match a.input_format {
            InputFormat::Auto => FormatChoice::Auto,
            InputFormat::Evtx => FormatChoice::Evtx,
            InputFormat::SysmonJson => FormatChoice::SysmonJson,
        },
        evtx_threads: if inputs.len() > 1 { 1 } else { threads },
    };

    let out = pool.install(|| dllhound_detect::scan(&inputs, &opts, &cfg));
    let (stats, det) = (out.inputs, out.outcome.stats);
    let (alerts, signals) = (out.outcome.alerts, out.outcome.signals);

    write_alerts(&a, &alerts, &signals)?;

    let summary = Summary {
        inputs: &stats,
        walk_errors: &walk_errors,
        detect: &det,
        alerts: &alerts,
        signals: signals.len(),
        elapsed: started.elapsed(),
    };
    if !a.quiet {
        summary.print(a.max_errors_shown);
    } else {
        summary.print_errors_only(a.max_errors_shown);
    }
    Ok(if summary.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn config(a: &ScanArgs) -> Result<Config> {
    let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let mut cfg = Config::default().with_window(ms(a.window));
    if let Some(d) = a.window_fresh_write {
        cfg.window_fresh_write_ms = ms(d);
    }
    if let Some(d) = a.window_follow_on {
        cfg.window_follow_on_ms = ms(d);
    }
    if let Some(d) = a.window_network {
        cfg.window_network_ms = ms(d);
    }
    cfg.lateness_ms = ms(a.lateness);
    cfg.signals = a.signals;
    if let Some(p) = &a.path_classes {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        cfg.path_classes =
            PathClasses::from_yaml(&text).with_context(|| format!("{}", p.display()))?;
    }
    Ok(cfg)
}

fn write_alerts(
    a: &ScanArgs,
    alerts: &[dllhound_detect::Alert],
    signals: &[dllhound_detect::Alert],
) -> Result<()> {
    let to_terminal = a.output.is_none() && std::io::stdout().is_terminal();
    let format = a.output_format.unwrap_or(if to_terminal {
        OutputFormat::Table
    } else {
        OutputFormat::Ndjson
    });
    let sink: Box<dyn Write> = match &a.output {
        Some(p) => {
            Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
    let all: Vec<dllhound_detect::Alert> = alerts.iter().chain(signals).cloned().collect();
    match format {
        OutputFormat::Ndjson => {
            for x in &all {
                dllhound_report::write_ndjson(&mut out, x)?;
            }
        }
        OutputFormat::Table => dllhound_report::write_table(&mut out, &all)?,
        OutputFormat::Csv => dllhound_report::write_csv(&mut out, &all)?,
    }
    out.flush()?;
    Ok(())
}
