//! `dllhound baseline learn`: a prevalence baseline of trigger loads.

use crate::args::BaselineLearnArgs;
use crate::summary::print_input_errors;
use anyhow::{Context, Result};
use dllhound_detect::PathClasses;
use dllhound_engine::learn_baseline;
use dllhound_ingest::expand_inputs;
use std::process::ExitCode;

pub fn learn(a: BaselineLearnArgs) -> Result<ExitCode> {
    let (pool, threads) = super::pool(a.threads)?;
    super::require_paths(&a.paths)?;
    let (inputs, walk_errors) = expand_inputs(&a.paths);
    let (opts, bar) = super::read_options(a.input_format, &inputs, threads, false);
    let (stats, baseline) =
        pool.install(|| learn_baseline(&inputs, &opts, &PathClasses::builtin()));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let json = serde_json::to_string_pretty(&baseline).context("serialising the baseline")?;
    std::fs::write(&a.output, json + "\n")
        .with_context(|| format!("writing {}", a.output.display()))?;
    let clean = print_input_errors(&stats, &walk_errors, 5);
    let loads: u64 = baseline.rows.iter().map(|r| r.loads).sum();
    eprintln!(
        "dllhound: learned {} patterns from {} trigger loads in {} inputs → {}",
        baseline.rows.len(),
        loads,
        stats.len(),
        a.output.display()
    );
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
