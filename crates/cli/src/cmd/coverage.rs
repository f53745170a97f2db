//! `dllhound coverage`: can this telemetry show AN0052? Per host, per part of the analytic.

use crate::args::{CoverageArgs, CoverageFormat};
use crate::summary::print_input_errors;
use anyhow::{Context, Result};
use dllhound_ingest::expand_inputs;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

pub fn run(a: CoverageArgs) -> Result<ExitCode> {
    let (pool, threads) = super::pool(a.threads)?;
    let (inputs, walk_errors) = expand_inputs(&a.paths);
    let (opts, bar) = super::read_options(a.input_format, &inputs, threads, false);
    let (stats, hosts) = pool.install(|| dllhound_engine::coverage(&inputs, &opts));
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let sink: Box<dyn Write> = match &a.output {
        Some(p) => {
            Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
    match a.output_format {
        CoverageFormat::Table => dllhound_report::write_coverage_table(&mut out, &hosts)?,
        CoverageFormat::Json => dllhound_report::write_coverage_json(&mut out, &hosts)?,
        CoverageFormat::Markdown => dllhound_report::write_coverage_markdown(&mut out, &hosts)?,
    }
    out.flush()?;
    let clean = print_input_errors(&stats, &walk_errors, 5);
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
