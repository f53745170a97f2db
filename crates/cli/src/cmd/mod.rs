//! One file per subcommand.

pub mod baseline;
pub mod classify;
pub mod coverage;
pub mod explain;
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
