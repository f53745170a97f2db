//! JSON lines (streamed in blocks, decoded in parallel) and JSON arrays → records → events.

use crate::formats::{registry, RecordContext, REGISTRY};
use crate::{InputStats, RecordError};
use dllhound_model::Event;
use rayon::prelude::*;
use serde_json::Value;
use std::io::Read;
use std::sync::Arc;

/// Decodes JSON text held in memory: one array of records, or one (pretty-printed) document such as
/// an envelope of records — what reaches here from the container reader, which streams JSON lines
/// itself — or, when the text is neither, its lines (so each bad one is reported where it is).
pub fn decode_text(
    buf: &[u8],
    input: &Arc<str>,
    only: Option<&'static [&'static str]>,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    let buf = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
    stats.bytes += buf.len() as u64;
    if buf.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return decode_array(buf, input, only, stats, sink);
    }
    match serde_json::from_slice::<crate::fast::Pruned>(buf) {
        Ok(crate::fast::Pruned(v)) => {
            let ctx = RecordContext {
                input: input.clone(),
                line: None,
                record: None,
                element: None,
                only,
            };
            decode_value(&v, &ctx, &mut None, stats, sink)
        }
        Err(_) => decode_lines(buf, 1, input, only, stats, sink),
    }
}

/// Bytes read per block when streaming JSON lines.
const BLOCK: usize = 1 << 20;
/// A line longer than this is reported and skipped rather than buffered.
pub const MAX_LINE: usize = 64 << 20;

/// Reads JSON lines from `r` block by block: each round reads up to two blocks per worker, cut at the
/// last newline, decodes them in parallel and hands the events on in input order. Memory stays at a
/// few blocks whatever the input size.
pub fn decode_lines_stream(
    r: &mut dyn Read,
    input: &Arc<str>,
    only: Option<&'static [&'static str]>,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) -> std::io::Result<()> {
    let workers = rayon::current_num_threads().max(1);
    let mut carry: Vec<u8> = Vec::new();
    let mut line = 1u64;
    let mut eof = false;
    let mut first = true;
    while !eof {
        let mut blocks: Vec<(Vec<u8>, u64)> = Vec::new();
        while blocks.len() < workers * 2 && !eof {
            let mut buf = std::mem::take(&mut carry);
            let before = buf.len();
            let want = BLOCK.saturating_sub(before).max(1 << 16);
            let got = (&mut *r).take(want as u64).read_to_end(&mut buf)?;
            eof = got < want;
            stats.bytes += got as u64;
            if first {
                first = false;
                if buf.starts_with(b"\xEF\xBB\xBF") {
                    buf.drain(..3);
                }
            }
            if !eof {
                match memchr::memrchr(b'\n', &buf) {
                    Some(nl) => carry = buf.split_off(nl + 1),
                    None if buf.len() <= MAX_LINE => {
                        carry = buf; // a line longer than a block: keep reading it
                        continue;
                    }
                    None => {
                        stats.bad(RecordError {
                            input: input.to_string(),
                            at: format!("line {line}"),
                            reason: format!("line longer than {} MiB: skipped", MAX_LINE >> 20),
                        });
                        skip_to_newline(r, &mut carry)?;
                        line += 1;
                        continue;
                    }
                }
            }
            let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
            blocks.push((buf, line));
            line += lines;
        }
        if blocks.len() == 1 || workers == 1 {
            for (b, first_line) in &blocks {
                decode_lines(b, *first_line, input, only, stats, sink);
            }
            continue;
        }
        let results: Vec<(Vec<Event>, InputStats)> = blocks
            .par_iter()
            .map(|(b, first_line)| {
                let mut events = Vec::new();
                let mut st = InputStats::new(stats.input.clone());
                decode_lines(b, *first_line, input, only, &mut st, &mut |e| {
                    events.push(e)
                });
                (events, st)
            })
            .collect();
        for (events, mut st) in results {
            events.into_iter().for_each(&mut *sink);
            st.bytes = 0; // counted as read above
            stats.absorb(st);
        }
    }
    Ok(())
}

/// Discards input up to and including the next newline; what follows it goes to `carry`.
fn skip_to_newline(r: &mut dyn Read, carry: &mut Vec<u8>) -> std::io::Result<()> {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            carry.clear();
            return Ok(());
        }
        if let Some(nl) = memchr::memchr(b'\n', &buf[..n]) {
            *carry = buf[nl + 1..n].to_vec();
            return Ok(());
        }
    }
}

fn decode_lines(
    buf: &[u8],
    first_line: u64,
    input: &Arc<str>,
    only: Option<&'static [&'static str]>,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    let mut hint = None;
    let mut start = 0usize;
    let ends = memchr::memchr_iter(b'\n', buf).chain(std::iter::once(buf.len()));
    for (i, end) in ends.enumerate() {
        let line = &buf[start..end];
        start = end + 1;
        let line_no = first_line + i as u64;
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        if crate::fast::irrelevant_by_event_id(trimmed) {
            // Validate only: the record is counted exactly, but nothing is built.
            match serde_json::from_slice::<serde::de::IgnoredAny>(trimmed) {
                Ok(_) => {
                    stats.records_ok += 1;
                    stats.skipped_by_event_id += 1;
                }
                Err(e) => stats.bad(RecordError {
                    input: input.to_string(),
                    at: format!("line {line_no}"),
                    reason: format!("invalid JSON: {e}"),
                }),
            }
            continue;
        }
        let ctx = RecordContext {
            input: input.clone(),
            line: Some(line_no),
            record: None,
            element: None,
            only,
        };
        match serde_json::from_slice::<crate::fast::Pruned>(trimmed) {
            Ok(crate::fast::Pruned(v)) => decode_value(&v, &ctx, &mut hint, stats, sink),
            Err(e) => stats.bad(RecordError {
                input: input.to_string(),
                at: format!("line {line_no}"),
                reason: format!("invalid JSON: {e}"),
            }),
        }
    }
}

fn decode_array(
    buf: &[u8],
    input: &Arc<str>,
    only: Option<&'static [&'static str]>,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    match serde_json::from_slice::<Vec<Value>>(buf) {
        Ok(items) => {
            let mut hint = None;
            for (i, v) in items.iter().enumerate() {
                let ctx = RecordContext {
                    input: input.clone(),
                    line: None,
                    record: None,
                    element: Some(i as u64 + 1),
                    only,
                };
                decode_value(v, &ctx, &mut hint, stats, sink);
            }
        }
        Err(e) => stats.bad(RecordError {
            input: input.to_string(),
            at: format!("line {} column {}", e.line(), e.column()),
            reason: format!("invalid JSON array: {e}"),
        }),
    }
}

/// The records inside a known envelope: MDE API `{"Results":[…]}`, MDE streaming / Event Hubs
/// `{"records":[…]}`, Elasticsearch `{"hits":{"hits":[{"_source":…}]}}`.
fn envelope(v: &Value) -> Option<Box<dyn Iterator<Item = &Value> + '_>> {
    let o = v.as_object()?;
    if let Some(Value::Array(items)) = o.get("Results") {
        return Some(Box::new(items.iter()));
    }
    if let Some(Value::Array(items)) = o.get("records") {
        return Some(Box::new(items.iter()));
    }
    if let Some(Value::Array(hits)) = o.get("hits").and_then(|h| h.get("hits")) {
        return Some(Box::new(hits.iter().filter_map(|h| h.get("_source"))));
    }
    None
}

/// Sniffs and decodes one JSON record (or each record of an envelope), counting it.
pub fn decode_value(
    v: &Value,
    ctx: &RecordContext,
    hint: &mut Option<usize>,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    let at = || match (ctx.line, ctx.record, ctx.element) {
        (Some(l), _, _) => format!("line {l}"),
        (None, Some(r), _) => format!("record {r}"),
        (None, None, Some(e)) => format!("element {e}"),
        _ => "?".into(),
    };
    if let Some(items) = envelope(v) {
        for (i, item) in items.enumerate() {
            let inner = RecordContext {
                element: Some(i as u64 + 1),
                ..ctx.clone()
            };
            decode_value(item, &inner, hint, stats, sink);
        }
        return;
    }
    let Some(idx) = registry::sniff(v, *hint, ctx.only) else {
        // Under a forced --input-format, a record another format reads says which.
        let reason = match (ctx.only, registry::sniff(v, None, None)) {
            (Some(only), Some(other)) => format!(
                "--input-format {} does not read this record: it has the shape of {} (use --input-format {}, or leave it auto)",
                only.first().map_or("auto", |o| registry::choice_for(o).name()),
                REGISTRY[other].name(),
                registry::choice_for(REGISTRY[other].name()).name()
            ),
            _ => "unrecognised record shape".into(),
        };
        stats.bad(RecordError {
            input: ctx.input.to_string(),
            at: at(),
            reason,
        });
        return;
    };
    *hint = Some(idx);
    let format = REGISTRY[idx];
    match format.decode(v, ctx) {
        Ok(ev) => {
            stats.records_ok += 1;
            *stats.formats.entry(format.name()).or_default() += 1;
            if let Some(ev) = ev {
                *stats.events.entry(ev.kind_name()).or_default() += 1;
                sink(ev);
            }
        }
        Err(reason) => stats.bad(RecordError {
            input: ctx.input.to_string(),
            at: at(),
            reason,
        }),
    }
}
