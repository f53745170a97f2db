//! `dllhound stream`: the engine on a live source (DESIGN §4–§5).
//!
//! Sources: stdin (`-`), a followed file (`--follow`), or a Kafka consumer group (`--kafka-brokers`,
//! [`kafka`]). The decoders and correlator are `scan`'s; the correlator runs with
//! [`dllhound_detect::Config::emit_early`], so an alert is written the moment its first corroborator
//! is in, and deduplicated by id in the [`sink`] (which also survives replays). SIGINT/SIGTERM end
//! the run cleanly: alerts flushed, offsets committed, the group left.

#[cfg(feature = "kafka")]
mod kafka;
mod lines;
mod metrics;
mod sink;

use crate::args::StreamArgs;
use crate::summary::Summary;
use anyhow::{Context, Result};
use dllhound_detect::{Correlator, Stats};
use dllhound_ingest::{At, RecordDecoder};
use lines::Lines;
use metrics::Metrics;
use sink::{AlertSink, LinesOut, Seen};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn run(a: StreamArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let mut cfg = super::scan::config(&a.detect)?;
    cfg.emit_early = true;
    let windows = crate::summary::Windows::of(&cfg);
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
            .context("installing the SIGINT/SIGTERM handler")?;
    }
    let metrics = Arc::new(Metrics::default());
    if let Some(addr) = a.metrics_addr {
        metrics::serve(addr, metrics.clone())?;
    }
    let mut sink = AlertSink {
        outs: Vec::new(),
        seen: Seen::default(),
        updates: a.updates,
        counts: Default::default(),
        show: a.show.clone(),
    };
    if let Some(p) = &a.output {
        let known = sink.seen.load_ndjson(p)?;
        if known > 0 && !a.quiet {
            eprintln!(
                "dllhound: {known} alert ids already in {}: not written again",
                p.display()
            );
        }
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .with_context(|| format!("opening {}", p.display()))?;
        sink.outs
            .push(Box::new(LinesOut(std::io::BufWriter::new(f))));
    } else if !a.no_stdout {
        sink.outs.push(Box::new(LinesOut(std::io::stdout())));
    }

    let ended = if a.kafka_brokers.is_some() {
        #[cfg(feature = "kafka")]
        {
            kafka::run(&a, cfg, &mut sink, &metrics, &stop)?
        }
        #[cfg(not(feature = "kafka"))]
        {
            anyhow::bail!("this dllhound was built without Kafka (cargo feature `kafka`)")
        }
    } else {
        run_lines(&a, cfg, &mut sink, &metrics, &stop)?
    };
    sink.flush()?;

    let summary = Summary {
        inputs: std::slice::from_ref(&ended.input),
        walk_errors: &[],
        detect: &ended.stats,
        alerts: &[],
        signals: 0,
        elapsed: started.elapsed(),
        spilled_events: 0,
        windows: windows.clone(),
        suppressed_listed: None,
        verbose: false,
    };
    let clean = summary.print_errors(5);
    if !a.quiet {
        let c = sink.counts;
        eprintln!(
            "dllhound: stream: {} records ({} bad), {} alerts written, {} updates, {} repeats not written again{}",
            ended.input.records_ok + ended.input.records_bad,
            ended.input.records_bad,
            c.alerts,
            c.updates,
            c.repeats,
            if a.show.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} left out by the filters ({})",
                    c.filtered,
                    a.show.describe()
                )
            }
        );
        eprintln!("dllhound: {}", summary.windows.line());
    }
    let status = if clean { 0 } else { 2 };
    if let Some(p) = &a.stats_json {
        let mut doc = summary.to_json(a.detect.max_memory.0, status);
        // Detected: written, and left out by the filters.
        doc["detection"]["alerts"] = (sink.counts.alerts + sink.counts.filtered).into();
        doc["stream"] = serde_json::json!({
            "alerts_written": sink.counts.alerts,
            "updates_written": sink.counts.updates,
            "repeats_not_written": sink.counts.repeats,
            "filtered_out": sink.counts.filtered,
            "filters": a.show.describe(),
        });
        let text = serde_json::to_string_pretty(&doc)?;
        std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(ExitCode::from(status))
}

/// What a stream run read and decided, for the summary.
pub struct Ended {
    pub input: dllhound_ingest::InputStats,
    pub stats: Stats,
}

/// Copies the decoder's record counts and the correlators' counters into the metrics.
fn publish(
    metrics: &Metrics,
    input: &dllhound_ingest::InputStats,
    stats: &[&Stats],
    held: u64,
    sink: &AlertSink,
) {
    metrics
        .records
        .store(input.records_ok + input.records_bad, Ordering::Relaxed);
    metrics
        .records_bad
        .store(input.records_bad, Ordering::Relaxed);
    let mut events = std::collections::BTreeMap::new();
    let mut evictions = 0;
    for s in stats {
        for (k, v) in &s.events {
            *events.entry(*k).or_default() += v;
        }
        evictions += s.forced_evictions + s.memory_evictions;
    }
    metrics.set_events(events);
    metrics.evictions.store(evictions, Ordering::Relaxed);
    metrics.state_bytes.store(held, Ordering::Relaxed);
    metrics.alerts.store(sink.counts.alerts, Ordering::Relaxed);
    metrics
        .updates
        .store(sink.counts.updates, Ordering::Relaxed);
    metrics
        .repeats
        .store(sink.counts.repeats, Ordering::Relaxed);
}

/// stdin or a followed file, one correlator.
fn run_lines(
    a: &StreamArgs,
    mut cfg: dllhound_detect::Config,
    sink: &mut AlertSink,
    metrics: &Metrics,
    stop: &Arc<AtomicBool>,
) -> Result<Ended> {
    cfg.max_state_bytes = cfg.memory_cap;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Lines>(16);
    let name: Arc<str> = match &a.follow {
        Some(p) => {
            let (p, stop) = (p.clone(), stop.clone());
            std::thread::Builder::new()
                .name("follow".into())
                .spawn(move || lines::follow(p, tx, stop))?;
            a.follow
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
                .into()
        }
        None => {
            std::thread::Builder::new()
                .name("stdin".into())
                .spawn(move || lines::stdin(tx))?;
            "-".into()
        }
    };
    let mut corr = Correlator::new(cfg);
    let mut dec = RecordDecoder::new(&name, a.input_format);
    let mut last_input = Instant::now();
    let mut last_publish = Instant::now();
    let mut eof = false;
    while !stop.load(Ordering::Relaxed) {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Lines::Batch(batch)) => {
                last_input = Instant::now();
                for (line, bytes) in batch {
                    dec.decode(&name, At::Line(line), &bytes, &mut |e| corr.push(e));
                }
                for em in corr.take_emissions() {
                    sink.write(&em)?;
                }
            }
            Ok(Lines::TooLong(line, len)) => {
                last_input = Instant::now();
                dec.too_long(&name, At::Line(line), len);
            }
            Ok(Lines::Restarted(why)) => {
                if !a.quiet {
                    eprintln!("dllhound: {why}: reading it from the start");
                }
            }
            Ok(Lines::End(err)) => {
                if let Some(e) = err {
                    dec.stats
                        .input_errors
                        .push(dllhound_ingest::IngestError::Io {
                            path: name.to_string(),
                            source: e,
                        });
                }
                eof = true;
                break;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                eof = true;
                break;
            }
        }
        if a.idle_exit.is_some_and(|d| last_input.elapsed() >= d) {
            eof = true;
            break;
        }
        if last_publish.elapsed() >= Duration::from_secs(1) {
            last_publish = Instant::now();
            let held = corr.held_bytes() as u64;
            publish(metrics, &dec.stats, &[corr.stats()], held, sink);
        }
    }
    stop.store(true, Ordering::Relaxed);
    // The input ended: every pending trigger is decided now. On a signal, what is pending is left
    // undecided (a restart re-reads it); what was released is already written.
    if eof {
        for em in corr.flush() {
            sink.write(&em)?;
        }
    }
    let outcome = corr.finish();
    Ok(Ended {
        input: dec.stats,
        stats: outcome.stats,
    })
}
