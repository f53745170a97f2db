//! `dllhound export`: the tuned analytic as rules in a SIEM's own language.
//!
//! The rules are generated from the configuration `scan` would run with the same options
//! (`--window*`, `--path-classes`, `--allowlist`, `--no-default-tuning`), by the
//! `dllhound_export` crate; this file only picks the target and profile and writes the result.

use crate::args::{ExportArgs, ExportFormat};
use anyhow::{bail, Context, Result};
use dllhound_export::{export, Analytic};
use std::io::Write;
use std::process::ExitCode;

pub fn run(a: ExportArgs) -> Result<ExitCode> {
    if let Some(t) = a.explain {
        let mut out = super::sink(a.output.as_deref())?;
        let text = match t.0 {
            Some(t) => t.explain(),
            None => dllhound_export::Target::matrix(),
        };
        out.write_all(text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(target) = a.to else {
        bail!("say which language to write with --to (or ask --explain TARGET)");
    };
    if let Some(p) = &a.profile {
        if p != target.profile() {
            bail!(
                "--profile {p:?}: {} has the profile {:?} only",
                target.name(),
                target.profile()
            );
        }
    }
    let mut cfg = super::scan::analytic_config(&a.analytic)?;
    if a.baseline.baseline.is_some() && !a.include_baseline {
        bail!("--baseline is exported only with --include-baseline (its common rows become exclusions)");
    }
    cfg.baseline = super::scan::baseline_policy(&a.baseline)?;
    let x = export(target, &Analytic::from_config(&cfg));
    if let (Some(files), Some(dir), ExportFormat::Text) = (x.files(), &a.output, a.format) {
        // One file per rule, as Sigma tooling (sigma check, sigma convert) reads a folder.
        if dir.exists() && !dir.is_dir() {
            bail!(
                "{}: {} writes one file per rule; -o must name a folder",
                dir.display(),
                target.name()
            );
        }
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (name, text) in files {
            let p = dir.join(name);
            std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
        }
        eprintln!(
            "dllhound: wrote {} rules to {}",
            x.rules.len(),
            dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let text = match a.format {
        ExportFormat::Text => x.to_text(),
        ExportFormat::Json => format!("{:#}\n", x.manifest()),
    };
    let mut out = super::sink(a.output.as_deref())?;
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
