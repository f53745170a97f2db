//! The cheap path in front of the decoders: skip what cannot matter, parse only what can.
//!
//! Most telemetry is not what AN0052 reads (in OTRF's LSASS_campaign_05, 30,619 of 59,707 records are
//! Sysmon 10 process-access events with kilobyte call traces). Two things keep that cheap:
//! * [`irrelevant_by_event_id`] reads the event id straight from the bytes (`"EventID":10`,
//!   `"event_id":"10"`) and says when no decoder could use the record; such a record is only
//!   validated (no values are built), so the accounting of good and bad records stays exact;
//! * [`Pruned`] parses a record without the fields no decoder reads and that dominate the bytes
//!   (`Message`, `message`, `CallTrace`, `event.original`), skipping them without allocating.

use memchr::memmem::Finder;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

/// Event ids some decoder uses, in any log (Sysmon 1 2 3 7 11 13 15 22 23 26 29, Security 4688).
const RELEVANT: [u32; 12] = [1, 2, 3, 7, 11, 13, 15, 22, 23, 26, 29, 4688];

/// Sysmon 13 (registry value set) is among the most frequent events, and only COM server
/// registrations (`…\InprocServer32`) are decoded: a record of id 13 that does not contain
/// `server32` in either case cannot be one.
fn irrelevant_registry(record: &[u8]) -> bool {
    memchr::memmem::find(record, b"erver32").is_none()
        && memchr::memmem::find(record, b"ERVER32").is_none()
}

/// Keys never read by any decoder and often the bulk of a record.
const SKIPPED: [&str; 4] = ["Message", "message", "CallTrace", "original"];

fn finders() -> &'static [Finder<'static>; 2] {
    static F: OnceLock<[Finder<'static>; 2]> = OnceLock::new();
    F.get_or_init(|| [Finder::new(b"\"EventID\":"), Finder::new(b"\"event_id\":")])
}

/// True when the record's event id is plainly written and no decoder uses it. `false` when unsure.
pub fn irrelevant_by_event_id(record: &[u8]) -> bool {
    for f in finders() {
        if let Some(at) = f.find(record) {
            let mut rest = &record[at + f.needle().len()..];
            while let [b' ' | b'"', tail @ ..] = rest {
                rest = tail;
            }
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 || digits > 6 {
                return false;
            }
            let id: u32 = rest[..digits]
                .iter()
                .fold(0, |n, d| n * 10 + u32::from(d - b'0'));
            let after = rest.get(digits).copied();
            // `"EventID":7` then `,` or `}` (or a closing quote): anything else is not a plain id.
            return matches!(after, Some(b',' | b'}' | b'"' | b' '))
                && (!RELEVANT.contains(&id) || (id == 13 && irrelevant_registry(record)));
        }
    }
    false
}

/// A JSON value parsed without [`SKIPPED`] keys.
pub struct Pruned(pub Value);

impl<'de> Deserialize<'de> for Pruned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PrunedVisitor).map(Pruned)
    }
}

struct PrunedVisitor;

impl<'de> Visitor<'de> for PrunedVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(Pruned(x)) = seq.next_element()? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if SKIPPED.contains(&&*key) {
                map.next_value::<IgnoredAny>()?;
            } else {
                let Pruned(v) = map.next_value()?;
                m.insert(key.into_owned(), v);
            }
        }
        Ok(Value::Object(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_read_from_the_bytes() {
        assert!(irrelevant_by_event_id(
            br#"{"Channel":"x","EventID":10,"CallTrace":"a"}"#
        ));
        assert!(irrelevant_by_event_id(br#"{"winlog":{"event_id":"13"}}"#));
        assert!(!irrelevant_by_event_id(
            br#"{"EventID":7,"ImageLoaded":"a"}"#
        ));
        assert!(!irrelevant_by_event_id(br#"{"EventID":4688}"#));
        assert!(
            !irrelevant_by_event_id(br##"{"EventID":{"#text":4624}}"##),
            "unsure: parse it"
        );
        assert!(!irrelevant_by_event_id(br#"{"dll":{"path":"x"}}"#));
        assert!(!irrelevant_by_event_id(br#"{"EventID":70x}"#));
    }

    #[test]
    fn pruned_parse_drops_only_the_skipped_keys() {
        let Pruned(v) = serde_json::from_str(r#"{"Message":"long\r\ntext","a":{"message":[1,2],"b":"c"},"d":[{"CallTrace":1,"e":true}]}"#).unwrap();
        assert_eq!(v, serde_json::json!({"a":{"b":"c"},"d":[{"e":true}]}));
    }

    #[test]
    fn pruned_parse_still_rejects_invalid_json() {
        assert!(serde_json::from_str::<Pruned>(r#"{"Message":"x", "a": }"#).is_err());
    }
}
