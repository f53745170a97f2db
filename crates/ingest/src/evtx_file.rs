//! Binary EVTX through the `evtx` crate: every record rendered to JSON and decoded as `evtx-json`.

use crate::formats::RecordContext;
use crate::json_lines::decode_value;
use crate::{IngestError, InputStats, RecordError};
use dllhound_model::Event;
use evtx::{EvtxParser, ParserSettings};
use std::sync::Arc;

/// Decodes an EVTX file, letting the `evtx` crate read it chunk by chunk.
pub fn decode_evtx_file(
    path: &std::path::Path,
    input: &Arc<str>,
    threads: usize,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    stats.bytes += std::fs::metadata(path).map_or(0, |m| m.len());
    match std::fs::File::open(path) {
        Ok(f) => report_damage(
            &mut std::io::BufReader::with_capacity(1 << 16, f),
            input,
            stats,
        ),
        Err(source) => {
            return stats.input_errors.push(IngestError::Io {
                path: input.to_string(),
                source,
            })
        }
    }
    match EvtxParser::from_path(path) {
        Ok(p) => decode_parser(p, input, threads, stats, sink),
        Err(e) => stats.input_errors.push(IngestError::Evtx {
            path: input.to_string(),
            reason: e.to_string(),
        }),
    }
}

/// Decodes an EVTX image held in memory. `threads` is the `evtx` crate's chunk parallelism.
pub fn decode_evtx(
    buf: Vec<u8>,
    input: &Arc<str>,
    threads: usize,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    stats.bytes += buf.len() as u64;
    report_damage(&mut &buf[..], input, stats);
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
    decode_parser(parser, input, threads, stats, sink)
}

/// Where the first chunk of an EVTX file starts (the file header block is 4 KiB), and a chunk's size.
const HEADER_BLOCK: usize = 4096;
const CHUNK: usize = 65536;

/// True for an image whose file header is gone (zeroed or overwritten: a wiped or carved log) but
/// whose first chunk is where it belongs.
pub fn is_headerless_evtx(buf: &[u8]) -> bool {
    !buf.starts_with(b"ElfFile\0")
        && buf.get(HEADER_BLOCK..HEADER_BLOCK + 8) == Some(&b"ElfChnk\0"[..])
}

/// Reads a headerless image (see [`is_headerless_evtx`]): the lost header is named as damage, a
/// plain one (EVTX 3.1, 4 KiB block, the chunk count the size gives) is written over the first 128
/// bytes, and the chunks are read as in any EVTX file, each checked against its own checksums.
pub fn decode_headerless_evtx(
    mut buf: Vec<u8>,
    input: &Arc<str>,
    threads: usize,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    stats.input_errors.push(IngestError::Damaged {
        path: input.to_string(),
        reason: "the file header is not an EVTX header (zeroed or overwritten); \
                 chunks read from offset 4096 on"
            .into(),
    });
    let chunks = (buf.len().saturating_sub(HEADER_BLOCK) / CHUNK).max(1);
    let mut h = [0u8; 128];
    h[..8].copy_from_slice(b"ElfFile\0");
    h[16..24].copy_from_slice(&(chunks as u64 - 1).to_le_bytes());
    h[32..36].copy_from_slice(&128u32.to_le_bytes());
    h[36..38].copy_from_slice(&1u16.to_le_bytes());
    h[38..40].copy_from_slice(&3u16.to_le_bytes());
    h[40..42].copy_from_slice(&(HEADER_BLOCK as u16).to_le_bytes());
    h[42..44].copy_from_slice(&(chunks.min(u16::MAX as usize) as u16).to_le_bytes());
    let crc = crc32fast::hash(&h[..120]);
    h[124..128].copy_from_slice(&crc.to_le_bytes());
    buf[..128].copy_from_slice(&h);
    decode_evtx(buf, input, threads, stats, sink)
}

/// Names every structural problem of the image (see [`crate::evtx_check`]) as an input error.
fn report_damage(r: &mut dyn std::io::Read, input: &Arc<str>, stats: &mut InputStats) {
    match crate::evtx_check::check(r) {
        Ok(problems) => stats
            .input_errors
            .extend(problems.into_iter().map(|reason| IngestError::Damaged {
                path: input.to_string(),
                reason,
            })),
        Err(source) => stats.input_errors.push(IngestError::Io {
            path: input.to_string(),
            source,
        }),
    }
}

fn decode_parser<T: std::io::Read + std::io::Seek>(
    parser: EvtxParser<T>,
    input: &Arc<str>,
    threads: usize,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    let settings = ParserSettings::default().num_threads(threads).indent(false);
    let mut parser = parser.with_configuration(settings);
    let mut hint = None;
    let mut last_id = 0u64;
    for rec in parser.records_json() {
        match rec {
            Ok(r) => {
                last_id = r.event_record_id;
                // The crate renders each record to JSON text; read the id from the bytes first.
                if crate::fast::irrelevant_by_event_id(r.data.as_bytes()) {
                    stats.records_ok += 1;
                    stats.skipped_by_event_id += 1;
                    continue;
                }
                let data = match serde_json::from_str::<crate::fast::Pruned>(&r.data) {
                    Ok(crate::fast::Pruned(v)) => v,
                    Err(e) => {
                        stats.bad(RecordError {
                            input: input.to_string(),
                            at: format!("record {}", r.event_record_id),
                            reason: format!("unreadable rendered record: {e}"),
                        });
                        continue;
                    }
                };
                let ctx = RecordContext {
                    input: input.clone(),
                    line: None,
                    record: Some(r.event_record_id),
                    element: None,
                    only: None,
                };
                decode_value(&data, &ctx, &mut hint, stats, sink);
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
