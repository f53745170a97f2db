//! `--metrics-addr`: Prometheus text metrics over HTTP (any path answers).
//!
//! Served by `tiny_http` on its own thread; the exposition text is written here (a few counters and
//! gauges do not need a metrics library).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One partition's position.
#[derive(Debug, Default, Clone, Copy)]
pub struct PartitionGauges {
    /// Messages behind the partition's end, once known.
    pub lag: Option<i64>,
    /// Event time (ms) the partition's state has reached.
    pub watermark_ms: i64,
    /// Offset last committed.
    pub committed: i64,
}

/// Counters and gauges shared by the stream loop and the HTTP thread.
#[derive(Debug, Default)]
pub struct Metrics {
    pub events: Mutex<BTreeMap<&'static str, u64>>,
    pub records: AtomicU64,
    pub records_bad: AtomicU64,
    pub dead_lettered: AtomicU64,
    pub alerts: AtomicU64,
    pub updates: AtomicU64,
    pub repeats: AtomicU64,
    pub state_bytes: AtomicU64,
    pub evictions: AtomicU64,
    pub partitions: Mutex<BTreeMap<i32, PartitionGauges>>,
}

impl Metrics {
    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let counter = |s: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        let _ = writeln!(
            s,
            "# HELP dllhound_events_total Events decoded, by kind.\n# TYPE dllhound_events_total counter"
        );
        if let Ok(ev) = self.events.lock() {
            for (k, v) in ev.iter() {
                let _ = writeln!(s, "dllhound_events_total{{kind=\"{k}\"}} {v}");
            }
        }
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            &mut s,
            "dllhound_records_total",
            "Records read.",
            get(&self.records),
        );
        counter(
            &mut s,
            "dllhound_records_bad_total",
            "Records that could not be decoded.",
            get(&self.records_bad),
        );
        counter(
            &mut s,
            "dllhound_dead_lettered_total",
            "Bad messages copied to the dead-letter topic.",
            get(&self.dead_lettered),
        );
        counter(
            &mut s,
            "dllhound_alerts_total",
            "Alerts written (each id once).",
            get(&self.alerts),
        );
        counter(
            &mut s,
            "dllhound_alert_updates_total",
            "Alert updates written (--updates).",
            get(&self.updates),
        );
        counter(
            &mut s,
            "dllhound_alert_repeats_total",
            "Alerts not written again after a replay.",
            get(&self.repeats),
        );
        counter(
            &mut s,
            "dllhound_state_evictions_total",
            "Records evicted from state by a cap.",
            get(&self.evictions),
        );
        let _ = writeln!(
            s,
            "# HELP dllhound_state_bytes Estimated bytes of correlation state.\n# TYPE dllhound_state_bytes gauge\ndllhound_state_bytes {}",
            get(&self.state_bytes)
        );
        if let Ok(p) = self.partitions.lock() {
            if !p.is_empty() {
                let _ = writeln!(s, "# HELP dllhound_partition_lag Messages behind the end of the partition.\n# TYPE dllhound_partition_lag gauge");
                for (n, g) in p.iter() {
                    if let Some(lag) = g.lag {
                        let _ = writeln!(s, "dllhound_partition_lag{{partition=\"{n}\"}} {lag}");
                    }
                }
                let _ = writeln!(s, "# HELP dllhound_partition_watermark_seconds Event time the partition's state has reached.\n# TYPE dllhound_partition_watermark_seconds gauge");
                for (n, g) in p.iter() {
                    let _ = writeln!(
                        s,
                        "dllhound_partition_watermark_seconds{{partition=\"{n}\"}} {:.3}",
                        g.watermark_ms as f64 / 1000.0
                    );
                }
                let _ = writeln!(s, "# HELP dllhound_partition_committed_offset Offset last committed (the low-water mark).\n# TYPE dllhound_partition_committed_offset gauge");
                for (n, g) in p.iter() {
                    let _ = writeln!(
                        s,
                        "dllhound_partition_committed_offset{{partition=\"{n}\"}} {}",
                        g.committed
                    );
                }
            }
        }
        s
    }

    /// Replaces the events-by-kind counts (the correlators' own, summed).
    pub fn set_events(&self, counts: BTreeMap<&'static str, u64>) {
        if let Ok(mut ev) = self.events.lock() {
            *ev = counts;
        }
    }
}

/// Serves `metrics` on `addr` from a background thread.
pub fn serve(addr: SocketAddr, metrics: Arc<Metrics>) -> anyhow::Result<()> {
    let server = tiny_http::Server::http(addr)
        .map_err(|e| anyhow::anyhow!("serving metrics on {addr}: {e}"))?;
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for req in server.incoming_requests() {
                let header = tiny_http::Header::from_bytes(
                    &b"Content-Type"[..],
                    &b"text/plain; version=0.0.4"[..],
                );
                let mut resp = tiny_http::Response::from_string(metrics.render());
                if let Ok(h) = header {
                    resp = resp.with_header(h);
                }
                let _ = req.respond(resp);
            }
        })?;
    Ok(())
}
