//! One file per subcommand.

pub mod baseline;
pub mod classify;
pub mod coverage;
pub mod scan;
pub mod simulate;
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
