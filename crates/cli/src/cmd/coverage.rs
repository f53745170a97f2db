//! `dllhound coverage`: can this telemetry show AN0052? Per host, per part of the analytic; and,
//! with `--sysmon-config`, can this Sysmon configuration (before any data exists), and do the
//! hosts send what it says.

use crate::args::{CoverageArgs, CoverageFormat};
use crate::summary::print_input_errors;
use anyhow::{Context, Result};
use dllhound_detect::coverage::HostCoverage;
use dllhound_detect::PathClasses;
use dllhound_ingest::expand_inputs;
use dllhound_sysmon::{compare, probes, suggest, SysmonConfig};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

/// The configuration's evaluation and, when asked for, its suggestion.
struct ConfigJudgement {
    readiness: dllhound_sysmon::Readiness,
    suggestion: Option<suggest::Suggestion>,
}

fn judge_config(a: &CoverageArgs, path: &Path) -> Result<ConfigJudgement> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("reading Sysmon configuration {}", path.display()))?;
    let (text, encoding) = dllhound_sysmon::text::decode(&bytes)
        .with_context(|| format!("Sysmon configuration {}", path.display()))?;
    let cfg = SysmonConfig::parse(&text)
        .with_context(|| format!("Sysmon configuration {}", path.display()))?;
    let table = match &a.probes {
        Some(p) => {
            let t = std::fs::read_to_string(p)
                .with_context(|| format!("reading probe table {}", p.display()))?;
            probes::parse(&t).with_context(|| format!("probe table {}", p.display()))?
        }
        None => probes::builtin(),
    };
    let name = path.display().to_string();
    let readiness = dllhound_sysmon::evaluate(&name, &cfg, &table);
    let suggestion = if a.suggest || a.write_config.is_some() {
        let s = suggest::suggest(&text, &cfg, &table, &PathClasses::builtin());
        if let Some(out) = &a.write_config {
            let fixed = suggest::apply(&text, &cfg, &s);
            std::fs::write(out, dllhound_sysmon::text::encode(&fixed, encoding))
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "wrote {} (the configuration with the suggestion applied)",
                out.display()
            );
        }
        Some(s)
    } else {
        None
    };
    Ok(ConfigJudgement {
        readiness,
        suggestion,
    })
}

pub fn run(a: CoverageArgs) -> Result<ExitCode> {
    let judged = match &a.sysmon_config {
        Some(p) => Some(judge_config(&a, p)?),
        None => None,
    };
    let mut clean = true;
    let hosts: Option<Vec<HostCoverage>> = if a.paths.is_empty() {
        None
    } else {
        let (pool, threads) = super::pool(a.threads)?;
        super::require_paths(&a.paths)?;
        let (inputs, walk_errors) = expand_inputs(&a.paths);
        let (opts, bar) = super::read_options(a.input_format, &inputs, threads, false);
        let (stats, hosts) = pool.install(|| dllhound_engine::coverage(&inputs, &opts));
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        clean = print_input_errors(&stats, &walk_errors, 5);
        if let Some(n) = super::no_telemetry(&a.paths, &stats) {
            eprintln!("dllhound: {n}");
            if judged.is_none() {
                // Nothing to judge: a report of "0 hosts" would read as an answer.
                return Ok(ExitCode::from(2));
            }
            clean = false;
        }
        Some(hosts)
    };
    let sink = super::sink(a.output.as_deref())?;
    let mut out = BufWriter::new(sink);
    match (&judged, &hosts) {
        (Some(j), hosts) => {
            let checks = hosts.as_ref().map(|h| compare::compare(&j.readiness, h));
            let s = j.suggestion.as_ref();
            type Readiness = fn(
                &mut dyn Write,
                &dllhound_sysmon::Readiness,
                Option<&suggest::Suggestion>,
                Option<&[compare::HostCheck]>,
            ) -> std::io::Result<()>;
            type Coverage = fn(&mut dyn Write, &[HostCoverage]) -> std::io::Result<()>;
            let text: Option<(Readiness, Coverage)> = match a.output_format {
                CoverageFormat::Table => Some((
                    dllhound_report::write_readiness_table,
                    dllhound_report::write_coverage_table,
                )),
                CoverageFormat::Markdown => Some((
                    dllhound_report::write_readiness_markdown,
                    dllhound_report::write_coverage_markdown,
                )),
                CoverageFormat::Json => None,
            };
            match text {
                // The configuration first, then the data it was compared with.
                Some((readiness, coverage)) => {
                    readiness(&mut out, &j.readiness, s, checks.as_deref())?;
                    if let Some(h) = hosts {
                        writeln!(out)?;
                        coverage(&mut out, h)?;
                    }
                }
                None => {
                    let data = hosts.as_ref().map(|h| dllhound_report::coverage_json(h));
                    let v =
                        dllhound_report::readiness_json(&j.readiness, s, data, checks.as_deref());
                    serde_json::to_writer_pretty(&mut out, &v)?;
                    writeln!(out)?;
                }
            }
        }
        (None, Some(hosts)) => match a.output_format {
            CoverageFormat::Table => dllhound_report::write_coverage_table(&mut out, hosts)?,
            CoverageFormat::Json => dllhound_report::write_coverage_json(&mut out, hosts)?,
            CoverageFormat::Markdown => dllhound_report::write_coverage_markdown(&mut out, hosts)?,
        },
        (None, None) => {}
    }
    out.flush()?;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
