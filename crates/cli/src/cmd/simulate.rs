//! `dllhound simulate`: seeded synthetic fleet telemetry with planted chains.

use crate::args::SimulateArgs;
use anyhow::{Context, Result};
use dllhound_simulate::{generate, SimConfig};
use std::io::{BufWriter, Write};
use std::process::ExitCode;

/// Average size of a generated record, to turn --size into a record count.
const AVG_RECORD_BYTES: u64 = 780;

pub fn run(a: SimulateArgs) -> Result<ExitCode> {
    let events = a.size.map_or(a.events, |s| (s / AVG_RECORD_BYTES).max(1));
    let cfg = SimConfig {
        seed: a.seed,
        hosts: a.hosts,
        events,
        attacks: a.attacks,
        span_ms: i64::try_from(a.span.as_millis()).unwrap_or(i64::MAX),
        ..SimConfig::default()
    };
    let sink = super::sink(a.output.as_deref())?;
    let mut out = BufWriter::with_capacity(1 << 20, sink);
    if a.flood {
        let stats =
            dllhound_simulate::flood(events, a.hosts, &mut out).context("writing telemetry")?;
        out.flush().context("writing telemetry")?;
        eprintln!(
            "dllhound: simulated a flood of {} records ({:.1} MB) over {} hosts",
            stats.records,
            stats.bytes as f64 / 1e6,
            a.hosts
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (stats, truth) = generate(&cfg, &mut out).context("writing telemetry")?;
    out.flush().context("writing telemetry")?;
    if let Some(p) = &a.truth {
        let mut t = BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        );
        for planted in &truth {
            serde_json::to_writer(&mut t, planted)?;
            t.write_all(b"\n")?;
        }
        t.flush()?;
    }
    eprintln!(
        "dllhound: simulated {} records ({:.1} MB) from {} hosts with {} planted chains",
        stats.records,
        stats.bytes as f64 / 1e6,
        cfg.hosts,
        truth.len()
    );
    Ok(ExitCode::SUCCESS)
}
