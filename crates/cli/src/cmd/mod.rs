//! One file per subcommand.

pub mod baseline;
pub mod classify;
pub mod coverage;
pub mod explain;
pub mod export;
pub mod report;
pub mod scan;
pub mod simulate;
pub mod stream;
pub mod tuning;

use anyhow::{Context, Result};

/// The worker pool for `--threads` (default: all cores).
pub fn pool(threads: Option<usize>) -> Result<(rayon::ThreadPool, usize)> {
    let n = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .context("starting worker threads")?;
    Ok((pool, n))
}

/// Read options for `inputs`, with a progress bar on stderr when it is a terminal (and not `quiet`).
/// The bar counts inputs and bytes; call `finish_and_clear` on it when reading is over.
pub fn read_options(
    format: dllhound_ingest::FormatChoice,
    inputs: &[dllhound_ingest::Input],
    threads: usize,
    quiet: bool,
) -> (dllhound_ingest::ReadOptions, Option<indicatif::ProgressBar>) {
    use std::io::IsTerminal;
    let mut opts = dllhound_ingest::ReadOptions {
        format,
        evtx_threads: if inputs.len() > 1 { 1 } else { threads },
        on_input_done: None,
    };
    if quiet || !std::io::stderr().is_terminal() {
        return (opts, None);
    }
    let bar = indicatif::ProgressBar::new(inputs.len() as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} inputs, {msg} [{elapsed}]")
    {
        bar.set_style(style);
    }
    let shared = bar.clone();
    let bytes = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    opts.on_input_done = Some(std::sync::Arc::new(
        move |st: &dllhound_ingest::InputStats| {
            let total = bytes.fetch_add(st.bytes, std::sync::atomic::Ordering::Relaxed) + st.bytes;
            shared.set_message(format!("{:.1} MB", total as f64 / 1e6));
            shared.inc(1);
        },
    ));
    (opts, Some(bar))
}

/// Where `-o FILE` points, or stdout: the file is created (truncated) here, so an unwritable path
/// fails before any work is written.
pub fn sink(output: Option<&std::path::Path>) -> Result<Box<dyn std::io::Write>> {
    Ok(match output {
        Some(p) => {
            Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    })
}

/// Refuses, before any work, a path that does not exist (a mistyped name must not look like a clean
/// scan of the others). `-` is stdin.
pub fn require_paths(paths: &[std::path::PathBuf]) -> Result<()> {
    for p in paths.iter().filter(|p| p.as_os_str() != "-") {
        if let Err(e) = std::fs::symlink_metadata(p) {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::bail!(
                    "no such file or folder: {}",
                    dllhound_report::escape_control(&p.display().to_string())
                );
            }
        }
    }
    Ok(())
}

/// `no telemetry in PATHS (N files looked at: a, b, …)` when the inputs decoded no record at all: a
/// folder of README/TSV/YAML files, or files of another kind, is not a clean scan.
pub fn no_telemetry(
    paths: &[std::path::PathBuf],
    stats: &[dllhound_ingest::InputStats],
) -> Option<String> {
    if stats.iter().any(|i| i.records_ok > 0) {
        return None;
    }
    const SHOWN: usize = 5;
    let (n, names) = dllhound_ingest::files_looked_at(paths, SHOWN);
    let stdin = paths.iter().any(|p| p.as_os_str() == "-");
    let n = n + usize::from(stdin);
    let mut shown: Vec<String> = names
        .iter()
        .map(|p| dllhound_report::escape_control(&p.display().to_string()).into_owned())
        .collect();
    if stdin {
        shown.push("- (stdin)".into());
    }
    if n > shown.len() {
        shown.push(format!("and {} more", n - shown.len()));
    }
    let given: Vec<String> = paths
        .iter()
        .map(|p| dllhound_report::escape_control(&p.display().to_string()).into_owned())
        .collect();
    Some(format!(
        "no telemetry in {} ({n} file{} looked at{}): dllhound reads EVTX, Sysmon JSON/XML, ECS and MDE exports (.evtx .json .jsonl .ndjson .xml .csv .txt .log, .zip/.gz)",
        given.join(" "),
        if n == 1 { "" } else { "s" },
        if shown.is_empty() { String::new() } else { format!(": {}", shown.join(", ")) }
    ))
}
