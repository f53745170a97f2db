//! Which findings `scan` writes: `--min-level`, `--host`, `--from`/`--to` (the filters Hayabusa and
//! Chainsaw users reach for). They choose what is *shown*; detection, correlation, the counts in the
//! summary and the exit status are those of the whole input, and the summary says how many records
//! the filters left out, so a filtered view never reads as a clean one.

use clap::{Args, ValueEnum};
use dllhound_detect::score::Severity;
use dllhound_detect::Alert;
use dllhound_model::Timestamp;

/// `--min-level`: Hayabusa's level names; `informational` shows everything (signals are `low`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Level {
    #[value(alias = "info")]
    Informational,
    Low,
    #[value(alias = "med")]
    Medium,
    High,
    #[value(alias = "crit")]
    Critical,
}

impl Level {
    fn floor(self) -> Option<Severity> {
        match self {
            Level::Informational => None,
            Level::Low => Some(Severity::Low),
            Level::Medium => Some(Severity::Medium),
            Level::High => Some(Severity::High),
            Level::Critical => Some(Severity::Critical),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// Write only findings of this severity or above (informational|low|medium|high|critical).
    #[arg(short = 'm', long, value_enum, value_name = "LEVEL")]
    pub min_level: Option<Level>,
    /// Write only findings on this host (as logged, FQDN or short name; case does not matter). May
    /// be repeated.
    #[arg(long, value_name = "NAME")]
    pub host: Vec<String>,
    /// Write only findings whose first load is at or after this time: RFC 3339
    /// (2026-11-20T09:00:00Z), a date (2026-11-20), or a duration before now (24h, 7d).
    #[arg(long, value_parser = parse_when, value_name = "TIME")]
    pub from: Option<Timestamp>,
    /// Write only findings whose first load is before this time (same forms as --from).
    #[arg(long, value_parser = parse_when, value_name = "TIME")]
    pub to: Option<Timestamp>,
}

impl ShowArgs {
    /// True when no filter is asked for.
    pub fn is_empty(&self) -> bool {
        self.min_level.is_none() && self.host.is_empty() && self.from.is_none() && self.to.is_none()
    }

    /// Whether `a` is written.
    pub fn keeps(&self, a: &Alert) -> bool {
        if let Some(floor) = self.min_level.and_then(Level::floor) {
            if a.severity < floor {
                return false;
            }
        }
        if !self.host.is_empty() {
            let id = dllhound_model::host::identity(&a.host);
            if !self
                .host
                .iter()
                .any(|h| dllhound_model::host::identity(h) == id)
            {
                return false;
            }
        }
        self.from.is_none_or(|f| a.time >= f) && self.to.is_none_or(|t| a.time < t)
    }

    /// The filters in force, as given on the command line (for the summary).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(l) = self.min_level {
            parts.push(format!(
                "--min-level {}",
                l.to_possible_value()
                    .map(|v| v.get_name().to_string())
                    .unwrap_or_default()
            ));
        }
        for h in &self.host {
            parts.push(format!("--host {}", dllhound_report::escape_control(h)));
        }
        if let Some(f) = self.from {
            parts.push(format!("--from {}", f.to_rfc3339()));
        }
        if let Some(t) = self.to {
            parts.push(format!("--to {}", t.to_rfc3339()));
        }
        parts.join(" ")
    }
}

/// `--from`/`--to`: RFC 3339 (or the other forms [`Timestamp::parse`] reads), a date, or a
/// duration before now.
fn parse_when(s: &str) -> Result<Timestamp, String> {
    let t = s.trim();
    if let Ok(ts) = Timestamp::parse(t) {
        return Ok(ts);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        if let Some(dt) = d.and_hms_opt(0, 0, 0) {
            return Ok(Timestamp(dt.and_utc().timestamp_millis()));
        }
    }
    if let Ok(d) = humantime::parse_duration(t) {
        let ago = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        return Ok(Timestamp(
            chrono::Utc::now().timestamp_millis().saturating_sub(ago),
        ));
    }
    Err(format!(
        "{s:?} is not a time: give RFC 3339 (2026-11-20T09:00:00Z), a date (2026-11-20) or a duration before now (24h, 7d)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_every_form_and_nonsense_says_what_works() {
        let at = |s| parse_when(s).map(|t| t.to_rfc3339());
        assert_eq!(
            at("2026-11-20T09:00:00Z").unwrap(),
            "2026-11-20T09:00:00.000Z"
        );
        assert_eq!(
            at("2026-11-20T10:00:00+01:00").unwrap(),
            "2026-11-20T09:00:00.000Z"
        );
        assert_eq!(at("2026-11-20").unwrap(), "2026-11-20T00:00:00.000Z");
        let day_ago = parse_when("24h").unwrap().0;
        let now = chrono::Utc::now().timestamp_millis();
        assert!((now - day_ago - 86_400_000).abs() < 60_000);
        assert!(at("yesterday-ish").unwrap_err().contains("RFC 3339"));
    }
}
