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
    /// Events correlated without sorting to stay under the memory cap.
    pub spilled_events: u64,
    /// The windows and lateness the run used ([`Windows::of`]).
    pub windows: Windows,
    /// With `--show-suppressed`: how many suppressed findings are listed (suppressed trigger
    /// loads of one loading process and DLL are one finding).
    pub suppressed_listed: Option<usize>,
    /// `--verbose`: list the clock outliers with their records.
    pub verbose: bool,
}

/// The trigger loads of a run, each counted once in exactly one part (the summary's line and
/// `--stats-json detection.trigger_loads`): `total == suppressed + child_image + corroborated +
/// uncorroborated`. Alerts and signals are findings (one per loading process and DLL), counted
/// separately, so several loads can make one alert.
pub struct Counts {
    pub total: u64,
    pub suppressed: u64,
    pub child_image: u64,
    pub corroborated: u64,
    pub uncorroborated: u64,
}

impl Counts {
    pub fn of(d: &Stats) -> Counts {
        Counts {
            total: d.triggers,
            suppressed: d.suppressed.values().sum(),
            child_image: d.child_image_loads,
            corroborated: d.corroborated,
            uncorroborated: d.uncorroborated,
        }
    }
}

/// The correlation windows in force, by branch, and the lateness: printed in the summary and the
/// run statistics so a reader knows what "within the window" meant for this run.
#[derive(Debug, Clone, Default)]
pub struct Windows {
    /// (branch label, window in ms), in the registry's order.
    pub branches: Vec<(&'static str, &'static str, i64)>,
    pub lateness_ms: i64,
}

impl Windows {
    pub fn of(cfg: &dllhound_detect::Config) -> Windows {
        Windows {
            branches: dllhound_detect::BRANCHES
                .iter()
                .filter(|b| b.letter.is_some())
                .map(|b| (b.name, b.label, cfg.window(b.window.flag)))
                .collect(),
            lateness_ms: cfg.lateness_ms,
        }
    }

    /// `windows: (a) fresh write 5m, (b) rundll32/regsvr32 5m, (c) outbound network 5m; lateness 5m`
    pub fn line(&self) -> String {
        let w: Vec<String> = self
            .branches
            .iter()
            .map(|(_, label, ms)| format!("{label} {}", human(*ms)))
            .collect();
        format!(
            "windows: {}; lateness {}",
            w.join(", "),
            human(self.lateness_ms)
        )
    }
}

/// `5m`, `90s`, `1h 30m`, `250ms`.
fn human(ms: i64) -> String {
    let d = std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_duration(d).to_string()
}

/// Prints every unreadable input and up to `max_shown` located bad records per input. Returns true
/// when everything was read.
pub fn print_input_errors(
    inputs: &[InputStats],
    walk_errors: &[IngestError],
    max_shown: usize,
) -> bool {
    for e in walk_errors {
        eprintln!("dllhound: {}", escape_control(&e.to_string()));
    }
    for i in inputs {
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
    walk_errors.is_empty() && inputs.iter().all(InputStats::is_clean)
}

impl Summary<'_> {
    /// True when every input was read and decoded.
    pub fn is_clean(&self) -> bool {
        self.walk_errors.is_empty() && self.inputs.iter().all(InputStats::is_clean)
    }

    /// Prints only the errors; returns true when everything was read.
    pub fn print_errors(&self, max_shown: usize) -> bool {
        print_input_errors(self.inputs, self.walk_errors, max_shown)
    }

    /// Prints the errors and the summary; returns true when everything was read.
    pub fn print(&self, max_shown: usize) -> bool {
        let clean = self.print_errors(max_shown);
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
        let sup = |k: &str| d.suppressed.get(k).copied().unwrap_or(0);
        let c = Counts::of(d);
        eprintln!(
            "dllhound: {} inputs ({} unreadable), {} records seen = {} decoded + {} bad; {} hosts",
            self.inputs.len(),
            unreadable,
            ok + bad,
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
            "dllhound: {} trigger loads: {} suppressed (default tuning {}, allowlist {}, baseline {}){}, {} corroborated, {} uncorroborated",
            c.total,
            c.suppressed,
            sup("default_tuning"),
            sup("allowlist"),
            sup("baseline"),
            if c.child_image > 0 {
                format!(", {} the executable of a process the loader started", c.child_image)
            } else {
                String::new()
            },
            c.corroborated,
            c.uncorroborated,
        );
        let mut listed = Vec::new();
        if self.signals > 0 {
            listed.push(format!(
                "{} signals (from the {} uncorroborated)",
                self.signals, c.uncorroborated
            ));
        }
        if let Some(n) = self.suppressed_listed {
            listed.push(format!(
                "{n} suppressed findings (from the {} suppressed)",
                c.suppressed
            ));
        }
        eprintln!(
            "dllhound: {} alerts (from the {} corroborated loads; one per loading process and DLL) in {} incidents{}{}",
            self.alerts.len(),
            c.corroborated,
            incidents(self.alerts),
            if sev.is_empty() { String::new() } else { format!(" ({})", sev.join(", ")) },
            if listed.is_empty() { String::new() } else { format!("; also listed: {}", listed.join(", ")) }
        );
        eprintln!("dllhound: {}", self.windows.line());
        if d.late_events > 0 || d.clock_outliers > 0 {
            eprintln!(
                "dllhound: {} events arrived later than the lateness allows; {} far-future or far-past events did not move their host's clock{}",
                d.late_events,
                d.clock_outliers,
                if d.clock_outliers > 0 && !self.verbose { " (--verbose lists them)" } else { "" }
            );
        }
        if self.verbose {
            for o in &d.outlier_samples {
                eprintln!(
                    "dllhound:   far from its host's clock: {} {} <{}>",
                    escape_control(&o.host),
                    o.time,
                    escape_control(&o.provenance.to_string())
                );
            }
            if d.clock_outliers > d.outlier_samples.len() as u64 {
                eprintln!(
                    "dllhound:   and {} more",
                    d.clock_outliers - d.outlier_samples.len() as u64
                );
            }
        }
        if d.forced_evictions + d.memory_evictions + d.decided_early + self.spilled_events > 0 {
            eprintln!(
                "dllhound: state caps: {} records dropped by the per-host cap, {} by the memory cap, {} triggers decided before their window closed; {} events correlated unsorted to stay under the memory cap",
                d.forced_evictions, d.memory_evictions, d.decided_early, self.spilled_events
            );
        }
        eprintln!(
            "dllhound: {:.2} s, {:.0} records/s, {:.1} MB/s{}",
            secs,
            (ok + bad) as f64 / secs,
            bytes as f64 / 1e6 / secs,
            peak_rss_mb()
                .map(|m| format!(", peak RSS {m:.0} MB"))
                .unwrap_or_default()
        );
        clean
    }
}

/// Distinct incidents among `alerts` (an alert without one counts as its own).
fn incidents(alerts: &[Alert]) -> usize {
    let mut ids: Vec<&str> = alerts
        .iter()
        .map(|a| a.incident.as_ref().map_or(a.id.as_str(), |i| i.id.as_str()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

/// Peak resident memory of this process (Linux `VmHWM`); `None` where the kernel does not say. A
/// dozen lines read from /proc, not worth a crate.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
