//! Binary EVTX through the `evtx` crate: every record rendered to JSON and decoded as `evtx-json`.

use crate::formats::RecordContext;
use crate::json_lines::decode_value;
use crate::{IngestError, InputStats, RecordError};
use dllhound_model::Event;
use evtx::{EvtxParser, ParserSettings};
use std::sync::Arc;

/// Decodes an EVTX image held in memory. `threads` is the `evtx` crate's chunk parallelism.
pub fn decode_evtx(
    buf: Vec<u8>,
    input: &Arc<str>,
    threads: usize,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    stats.bytes += buf.len() as u64;
    let parser = match EvtxParser::from_buffer(buf) {
        Ok(p) => p,
        Err(e) => {
            stats.input_errors.push(IngestError::Evtx {
                path: input.to_string(),
                reason: e.to_string(),
            });
            return;
        }
    };
    let settings = ParserSettings::default().num_threads(threads).indent(false);
    let mut parser = parser.with_configuration(settings);
    let mut hint = None;
    let mut last_id = 0u64;
    for rec in parser.records_json_value() {
        match rec {
            Ok(r) => {
                last_id = r.event_record_id;
                let ctx = RecordContext {
                    input: input.clone(),
                    line: None,
                    record: Some(r.event_record_id),
                    element: None,
                    only: None,
                };
                decode_value(&r.data, &ctx, &mut hint, stats, sink);
            }
            Err(e) => stats.bad(RecordError {
                input: input.to_string(),
                at: format!("after record {last_id}"),
                reason: format!(
                    "unreadable EVTX record: {}",
                    e.to_string().replace('\n', " ")
                ),
            }),
        }
    }
}
