//! The run summary on stderr, and the located decode errors.

use dllhound_detect::{Alert, Severity, Stats};
use dllhound_ingest::{IngestError, InputStats};
use dllhound_report::escape_control;
use std::collections::BTreeMap;
use std::time::Duration;

pub struct Summary<'a> {
    pub inputs: &'a [InputStats],
    pub walk_errors: &'a [IngestError],
    pub detect: &'a Stats,
    pub alerts: &'a [Alert],
    pub signals: usize,
    pub elapsed: Duration,
}

impl Summary<'_> {
    /// True when every input and record was read.
    pub fn clean(&self) -> bool {
        self.walk_errors.is_empty() && self.inputs.iter().all(InputStats::is_clean)
    }

    pub fn print_errors_only(&self, max_shown: usize) {
        for e in self.walk_errors {
            eprintln!("dllhound: {}", escape_control(&e.to_string()));
        }
        for i in self.inputs {
            for e in &i.input_errors {
                eprintln!("dllhound: {}", escape_control(&e.to_string()));
            }
            for e in i.record_errors.iter().take(max_shown) {
                eprintln!("dllhound: {}", escape_control(&e.to_string()));
            }
            let shown = i.record_errors.len().min(max_shown) as u64;
            if i.records_bad > shown {
                eprintln!(
                    "dllhound: {}: {} more bad records",
                    escape_control(&i.input),
                    i.records_bad - shown
                );
            }
        }
    }

    pub fn print(&self, max_shown: usize) {
        self.print_errors_only(max_shown);
        let ok: u64 = self.inputs.iter().map(|i| i.records_ok).sum();
        let bad: u64 = self.inputs.iter().map(|i| i.records_bad).sum();
        let bytes: u64 = self.inputs.iter().map(|i| i.bytes).sum();
        let unreadable = self
            .inputs
            .iter()
            .filter(|i| !i.input_errors.is_empty())
            .count()
            + self.walk_errors.len();
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let d = self.detect;
        let kinds: Vec<String> = d.events.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let mut sev: BTreeMap<Severity, usize> = BTreeMap::new();
        for a in self.alerts {
            *sev.entry(a.severity).or_default() += 1;
        }
        let sev: Vec<String> = sev
            .iter()
            .rev()
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        eprintln!(
            "dllhound: {} inputs ({} unreadable), {} records read, {} bad; {} hosts",
            self.inputs.len(),
            unreadable,
            ok,
            bad,
            d.hosts
        );
        eprintln!(
            "dllhound: events: {}",
            if kinds.is_empty() {
                "none".into()
            } else {
                kinds.join(", ")
            }
        );
        eprintln!(
            "dllhound: {} triggers → {} corroborated → {} alerts{}{}",
            d.triggers,
            d.corroborated,
            self.alerts.len(),
            if sev.is_empty() {
                String::new()
            } else {
                format!(" ({})", sev.join(", "))
            },
            if self.signals > 0 {
                format!(", {} signals", self.signals)
            } else {
                String::new()
            }
        );
        if d.late_events > 0 || d.forced_evictions > 0 {
            eprintln!(
                "dllhound: {} events arrived later than the lateness allows; {} records dropped by state caps",
                d.late_events, d.forced_evictions
            );
        }
        eprintln!(
            "dllhound: {:.2} s, {:.0} records/s, {:.1} MB/s",
            secs,
            (ok + bad) as f64 / secs,
            bytes as f64 / 1e6 / secs
        );
    }
}
