//! CSV with a header row (Microsoft Defender advanced-hunting portal exports): each row becomes a
//! JSON object of its columns and is decoded like any other record.

use crate::formats::RecordContext;
use crate::json_lines::decode_value;
use crate::{InputStats, RecordError};
use dllhound_model::Event;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Decodes every row of a headed CSV document.
pub fn decode_csv(
    reader: &mut dyn std::io::Read,
    input: &Arc<str>,
    only: Option<&'static [&'static str]>,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim().trim_start_matches('\u{feff}').to_string())
            .collect(),
        Err(e) => {
            stats.bad(RecordError {
                input: input.to_string(),
                at: "line 1".into(),
                reason: format!("invalid CSV header: {e}"),
            });
            return;
        }
    };
    let mut hint = None;
    let mut last_byte = 0u64;
    for row in rdr.records() {
        match row {
            Ok(r) => {
                last_byte = r.position().map_or(last_byte, |p| p.byte());
                let line = r.position().map(|p| p.line());
                let obj: Map<String, Value> = headers
                    .iter()
                    .zip(r.iter())
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(h, v)| (h.clone(), Value::String(v.to_string())))
                    .collect();
                let ctx = RecordContext {
                    input: input.clone(),
                    line,
                    record: None,
                    element: None,
                    only,
                };
                decode_value(&Value::Object(obj), &ctx, &mut hint, stats, sink);
            }
            Err(e) => {
                let at = e
                    .position()
                    .map_or("?".to_string(), |p| format!("line {}", p.line()));
                stats.bad(RecordError {
                    input: input.to_string(),
                    at,
                    reason: format!("invalid CSV row: {e}"),
                });
            }
        }
    }
    stats.bytes += last_byte;
}

/// A first line that looks like a CSV header: printable, with commas, not JSON or XML.
pub fn looks_like_csv(buf: &[u8]) -> bool {
    let body = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
    let first = body.split(|&b| b == b'\n').next().unwrap_or(&[]);
    first.contains(&b',')
        && first
            .iter()
            .all(|&b| b == b'\t' || b == b'\r' || (0x20..0x7f).contains(&b))
}
