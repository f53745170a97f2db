//! `--stats-json`: the run's accounting as one JSON document, for scripts and for proving that what
//! was not reported was not seen.
//!
//! For every input, `records.seen == records.decoded + records.bad`; `decoded` counts records read
//! and understood (including those skipped by event id, which no decoder uses), `bad` those that could
//! not be parsed or decoded, each class of reason counted. Inputs or archive members that could not be
//! opened at all are listed under `unreadable`.

use crate::summary::{peak_rss_mb, Summary};
use serde_json::{json, Value};

impl Summary<'_> {
    /// The accounting document (see the module docs).
    pub fn to_json(&self, memory_cap: Option<u64>, exit_status: u8) -> Value {
        let inputs: Vec<Value> = self
            .inputs
            .iter()
            .map(|i| {
                json!({
                    "input": i.input,
                    "bytes": i.bytes,
                    "records": {
                        "seen": i.records_ok + i.records_bad,
                        "decoded": i.records_ok,
                        "bad": i.records_bad,
                        "skipped_by_event_id": i.skipped_by_event_id,
                    },
                    "formats": i.formats,
                    "events": i.events,
                    "bad_by_reason": i.bad_by_reason,
                    "bad_records": i.record_errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                    "unreadable": i.input_errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let ok: u64 = self.inputs.iter().map(|i| i.records_ok).sum();
        let bad: u64 = self.inputs.iter().map(|i| i.records_bad).sum();
        let d = self.detect;
        let c = crate::summary::Counts::of(d);
        json!({
            "exit_status": exit_status,
            "elapsed_seconds": self.elapsed.as_secs_f64(),
            "peak_rss_bytes": peak_rss_mb().map(|m| (m * 1024.0 * 1024.0) as u64),
            "memory_cap_bytes": memory_cap,
            "records": {"seen": ok + bad, "decoded": ok, "bad": bad},
            "inputs": inputs,
            "walk_errors": self.walk_errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            "detection": {
                "hosts": d.hosts,
                "events": d.events,
                // Loads, each in one part (crate::summary::Counts) ...
                "trigger_loads": {
                    "total": c.total,
                    "suppressed": c.suppressed,
                    "suppressed_by": d.suppressed,
                    "child_image": c.child_image,
                    "corroborated": c.corroborated,
                    "uncorroborated": c.uncorroborated,
                },
                // ... and findings (one per loading process and DLL).
                "findings": {
                    "alerts": self.alerts.len(),
                    "signals_listed": self.signals,
                    "suppressed_listed": self.suppressed_listed,
                },
                "alerts": self.alerts.len(),
                "main_module_loads": d.main_module_loads,
            },
            "windows": {
                "by_branch_seconds": self.windows.branches.iter().map(|(name, _, ms)| (name.to_string(), json!(*ms as f64 / 1000.0))).collect::<serde_json::Map<_, _>>(),
                "lateness_seconds": self.windows.lateness_ms as f64 / 1000.0,
            },
            "state": {
                "late_events": d.late_events,
                "clock_outliers": d.clock_outliers,
                "clock_outlier_records": d.outlier_samples.iter().map(|o| json!({
                    "host": &*o.host,
                    "@timestamp": o.time.to_rfc3339(),
                    "provenance": &o.provenance,
                })).collect::<Vec<_>>(),
                "per_host_cap_evictions": d.forced_evictions,
                "memory_cap_evictions": d.memory_evictions,
                "file_history_evictions": d.history_evictions,
                "triggers_decided_early": d.decided_early,
                "events_correlated_unsorted": self.spilled_events,
            },
        })
    }
}
