//! Event time: UTC milliseconds since the Unix epoch.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use std::fmt;

/// A point in time, UTC, millisecond resolution (Sysmon's `UtcTime` resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

/// A time string that is neither Sysmon's `YYYY-MM-DD HH:MM:SS.fff` nor RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampError(pub String);

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unreadable time {:?}", self.0)
    }
}

impl std::error::Error for TimestampError {}

impl Timestamp {
    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// Parses Sysmon's `UtcTime` (`2020-10-22 05:31:11.207`), RFC 3339 (`2020-10-22T05:31:11.2070000Z`),
    /// or the same without a zone (taken as UTC).
    pub fn parse(s: &str) -> Result<Timestamp, TimestampError> {
        let t = s.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return Ok(Timestamp(dt.timestamp_millis()));
        }
        for fmt in [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.fZ",
        ] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
                return Ok(Timestamp(dt.and_utc().timestamp_millis()));
            }
        }
        Err(TimestampError(s.chars().take(64).collect()))
    }

    /// RFC 3339 with milliseconds, `Z` suffix.
    pub fn to_rfc3339(self) -> String {
        match DateTime::<Utc>::from_timestamp_millis(self.0) {
            Some(dt) => dt.to_rfc3339_opts(SecondsFormat::Millis, true),
            None => format!("@{}ms", self.0),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysmon_and_rfc3339_forms_agree() {
        let a = Timestamp::parse("2020-10-22 05:31:11.207").unwrap();
        let b = Timestamp::parse("2020-10-22T05:31:11.2070000Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_rfc3339(), "2020-10-22T05:31:11.207Z");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("").is_err());
    }
}
