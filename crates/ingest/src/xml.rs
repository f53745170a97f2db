//! Sysmon XML: `wevtutil qe … /f:xml`, Event Viewer "Save as XML", Splunk `XmlWinEventLog`.
//!
//! ```xml
//! <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>
//!   <Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385f-…}"/><EventID>7</EventID>
//!   <TimeCreated SystemTime="2020-10-17T16:27:08.0709487Z"/><EventRecordID>419623</EventRecordID>
//!   <Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>MSEDGEWIN10</Computer></System>
//!   <EventData><Data Name="UtcTime">2020-10-17 16:27:08.058</Data><Data Name="ImageLoaded">…</Data>…
//! </EventData></Event>
//! ```
//! The schema is Windows' event schema (`http://schemas.microsoft.com/win/2004/08/events/event`,
//! documented at learn.microsoft.com "EventType Complex Type"); it is the same tree the `evtx` crate
//! renders to JSON. So each `<Event>` becomes the `evtx-json` record (`Event.System`, `Event.EventData`
//! keyed by each `Data` element's `Name`) and is decoded by that format. Works whether the events are
//! wrapped in `<Events>`, concatenated (wevtutil) or one per line (Splunk).

use crate::formats::RecordContext;
use crate::json_lines::decode_value;
use crate::{InputStats, RecordError};
use dllhound_model::Event;
use quick_xml::events::{BytesStart, Event as X};
use quick_xml::{Reader, XmlVersion};
use serde_json::{json, Map, Value};
use std::sync::Arc;

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Decodes every `<Event>` element in `buf`.
pub fn decode_xml(
    buf: &[u8],
    input: &Arc<str>,
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) {
    stats.bytes += buf.len() as u64;
    decode_xml_record(buf, input, (None, None), stats, sink);
}

/// Decodes the `<Event>` elements of `buf`; `(line, record)` (line, message offset) is set for a streamed
/// record (a line, a Kafka message), and its events' provenance and errors carry it. Returns how
/// many events there were.
pub(crate) fn decode_xml_record(
    buf: &[u8],
    input: &Arc<str>,
    (line, record): (Option<u64>, Option<u64>),
    stats: &mut InputStats,
    sink: &mut dyn FnMut(Event),
) -> u64 {
    let mut reader = Reader::from_reader(buf);
    reader.config_mut().trim_text(true);
    let mut hint = None;
    let mut ordinal = 0u64;
    let mut buf_ev = Vec::new();
    // The event being built: System fields, EventData fields, and where we are.
    let mut system = Map::new();
    let mut data = Map::new();
    let mut path: Vec<String> = Vec::new();
    let mut data_name: Option<String> = None;
    let mut text = String::new();
    loop {
        let pos = reader.buffer_position();
        let ev = match reader.read_event_into(&mut buf_ev) {
            Ok(e) => e,
            Err(e) => {
                stats.bad(RecordError {
                    input: input.to_string(),
                    at: match (line, record) {
                        (Some(l), _) => format!("line {l}, byte {pos}"),
                        (None, Some(o)) => format!("offset {o}, byte {pos}"),
                        (None, None) => format!("offset {pos}"),
                    },
                    reason: format!("invalid XML: {e}"),
                });
                break;
            }
        };
        match ev {
            X::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if name == "Event" {
                    system = Map::new();
                    data = Map::new();
                }
                on_open(&name, &e, &mut system, &mut data_name);
                path.push(name);
                text.clear();
            }
            X::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                on_open(&name, &e, &mut system, &mut data_name);
                if name == "Data" {
                    if let Some(n) = data_name.take() {
                        data.insert(n, Value::String(String::new()));
                    }
                }
            }
            X::Text(t) => {
                text.push_str(&t.xml10_content());
            }
            X::GeneralRef(r) => {
                // Entity and character references (`&amp;`, `&#x41;`) inside text.
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    text.push_str(match r.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            X::CData(c) => text.push_str(&c.xml10_content()),
            X::End(_) => {
                let name = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str);
                match (parent, name.as_str()) {
                    (Some("System"), "EventID" | "EventRecordID" | "Channel" | "Computer") => {
                        let v = text.trim();
                        let value = v
                            .parse::<u64>()
                            .map(Value::from)
                            .unwrap_or_else(|_| Value::String(v.to_string()));
                        system.insert(name.clone(), value);
                    }
                    (Some("EventData"), "Data") => {
                        if let Some(n) = data_name.take() {
                            data.insert(n, Value::String(text.clone()));
                        }
                    }
                    (_, "Event") => {
                        ordinal += 1;
                        let doc = json!({"Event": {"System": Value::Object(std::mem::take(&mut system)),
                                                      "EventData": Value::Object(std::mem::take(&mut data))}});
                        let ctx = RecordContext {
                            input: input.clone(),
                            line,
                            record,
                            element: Some(ordinal),
                            only: Some(&["evtx-json"]),
                        };
                        decode_value(&doc, &ctx, &mut hint, stats, sink);
                    }
                    _ => {}
                }
                text.clear();
            }
            X::Eof => break,
            _ => {}
        }
        buf_ev.clear();
    }
    ordinal
}

fn on_open(
    name: &str,
    e: &BytesStart<'_>,
    system: &mut Map<String, Value>,
    data_name: &mut Option<String>,
) {
    match name {
        "Provider" => {
            if let Some(n) = attr(e, "Name") {
                system.insert("Provider".into(), json!({"#attributes": {"Name": n}}));
            }
        }
        "TimeCreated" => {
            if let Some(t) = attr(e, "SystemTime") {
                system.insert(
                    "TimeCreated".into(),
                    json!({"#attributes": {"SystemTime": t}}),
                );
            }
        }
        "Data" => *data_name = attr(e, "Name"),
        _ => {}
    }
}
