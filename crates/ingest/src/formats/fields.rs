//! Reading string-ish values out of JSON objects whatever their JSON type.

use serde_json::{Map, Value};
use std::borrow::Cow;

/// A JSON object whose values are read as text: exporters disagree on types (`"ProcessId": "8524"` in
/// OTRF JSON, `8524` in `evtx_dump`; `"Initiated": "true"` vs `true`), so every field is read as a string.
#[derive(Clone, Copy)]
pub struct Fields<'a>(pub &'a Map<String, Value>);

impl<'a> Fields<'a> {
    /// The field as text; `None` for missing, `null`, objects and arrays.
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        text(self.0.get(name)?)
    }

    /// The first present field of several spellings.
    pub fn first(&self, names: &[&str]) -> Option<Cow<'a, str>> {
        names.iter().find_map(|n| self.get(n))
    }
}

/// A scalar JSON value as text.
pub fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// An event id that may be a number, a numeric string, or `{"#text": N}` (classic EVTX events).
pub fn event_id(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => o.get("#text").and_then(event_id),
        _ => None,
    }
}
