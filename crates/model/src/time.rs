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
        if let Some(ts) = fast_parse(t.as_bytes()) {
            return Ok(ts);
        }
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

/// Days in month `mo` (1–12) of year `y`, Gregorian leap years.
fn days_in_month(y: i64, mo: i64) -> i64 {
    match mo {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// The shapes nearly every record uses — `YYYY-MM-DD HH:MM:SS.fff` (Sysmon `UtcTime`) and
/// `YYYY-MM-DDTHH:MM:SS.fffffffZ` (EVTX, ECS, MDE) — parsed by hand: chrono's general parser was the
/// largest per-record cost in the decode benchmarks. Anything else goes to chrono.
fn fast_parse(b: &[u8]) -> Option<Timestamp> {
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = b.get(r)?;
        d.iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0i64;
    if let [b'.', frac @ ..] = rest {
        let digits = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        for (i, c) in frac[..digits.min(3)].iter().enumerate() {
            millis += i64::from(c - b'0') * [100, 10, 1][i];
        }
        rest = &frac[digits..];
    }
    if !(rest.is_empty() || rest == b"Z") {
        return None; // offsets and other suffixes: chrono
    }
    // Days from the civil date (H. Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(Timestamp(
        ((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + millis,
    ))
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
    fn the_fast_path_agrees_with_chrono() {
        for s in [
            "2020-10-22 05:31:11.207",
            "2023-09-06T04:51:51.4421234Z",
            "2000-02-29 23:59:59",
            "1999-12-31T00:00:00Z",
            "2024-03-01 10:15:02.1",
            "1970-01-01 00:00:00.000",
        ] {
            let fast = fast_parse(s.as_bytes()).unwrap();
            let slow =
                NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%d %H:%M:%S%.f")
                    .or_else(|_| {
                        NaiveDateTime::parse_from_str(
                            s.trim_end_matches('Z'),
                            "%Y-%m-%dT%H:%M:%S%.f",
                        )
                    })
                    .unwrap()
                    .and_utc()
                    .timestamp_millis();
            assert_eq!(fast.0, slow, "{s}");
        }
        assert_eq!(fast_parse(b"2020-13-01 00:00:00"), None);
        assert_eq!(
            fast_parse(b"2020-10-22T05:31:11+02:00"),
            None,
            "offsets go to chrono"
        );
        assert_eq!(
            Timestamp::parse("2020-10-22T07:31:11+02:00").unwrap(),
            Timestamp::parse("2020-10-22 05:31:11").unwrap()
        );
    }

    /// Issue 17: the fast path took `2026-02-31` for 2026-03-03.
    #[test]
    fn regression_17_a_day_past_the_end_of_its_month_is_an_error() {
        for s in [
            "2026-02-31 00:00:00",
            "2026-02-29T00:00:00Z",
            "2026-04-31 10:00:00.000",
            "1900-02-29 00:00:00",
        ] {
            assert!(Timestamp::parse(s).is_err(), "{s}");
        }
        assert!(Timestamp::parse("2024-02-29 00:00:00").is_ok());
        assert!(Timestamp::parse("2000-02-29 00:00:00").is_ok());
    }

    proptest::proptest! {
        /// The hand-written path accepts exactly the dates chrono accepts, with chrono's value.
        #[test]
        fn the_fast_path_is_chrono_on_any_date(
            y in 1600i64..2400, mo in 1i64..=12, d in 1i64..=31,
            h in 0i64..24, mi in 0i64..60, sec in 0i64..60, ms in 0i64..1000, t in proptest::bool::ANY,
        ) {
            let s = format!("{y:04}-{mo:02}-{d:02}{}{h:02}:{mi:02}:{sec:02}.{ms:03}", if t { 'T' } else { ' ' });
            let chrono = NaiveDateTime::parse_from_str(&s.replace('T', " "), "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|dt| dt.and_utc().timestamp_millis());
            proptest::prop_assert_eq!(fast_parse(s.as_bytes()).map(|t| t.0), chrono, "{}", s);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Timestamp::parse("yesterday").is_err());
        assert!(Timestamp::parse("").is_err());
    }
}
