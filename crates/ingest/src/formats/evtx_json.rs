//! `evtx-json`: the record shape of the `evtx` crate and of `evtx_dump -o jsonl`.
//!
//! ```json
//! {"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":7,
//!   "TimeCreated":{"#attributes":{"SystemTime":"2020-10-17T16:27:08.0709487Z"}},"EventRecordID":419623,
//!   "Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"MSEDGEWIN10"},
//!   "EventData":{"UtcTime":"2020-10-17 16:27:08.058","ProcessGuid":"{747f3d96-…}","ProcessId":5076,
//!   "Image":"…","ImageLoaded":"…","Signed":"false","SignatureStatus":"Unavailable"}}}
//! ```
//! Field map: `System.Computer` → host, `System.EventID` (a number, or `{"#text":N}` for classic events),
//! `System.Provider.#attributes.Name` / `System.Channel` → log, `System.EventRecordID` → record,
//! `System.TimeCreated.#attributes.SystemTime` → fallback time; `EventData` holds Sysmon's names.
//! Quirks: `ProcessId` and `DestinationPort` are numbers and `Initiated` a boolean here, strings in the
//! JSON exports; `EventData` is `null` for some classic events.

use super::fields::{event_id, text};
use super::sysmon::{self, Header, Log};
use super::{Fields, RecordContext, RecordFormat};
use dllhound_model::Event;
use serde_json::{Map, Value};

pub struct EvtxJson;

fn attr<'a>(v: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    v?.get("#attributes")?.get(name)
}

impl RecordFormat for EvtxJson {
    fn name(&self) -> &'static str {
        "evtx-json"
    }

    fn describe(&self) -> &'static str {
        "EVTX records as the evtx crate renders them (Event.System / Event.EventData), also `evtx_dump -o jsonl`"
    }

    fn sniff(&self, record: &Value) -> bool {
        record.get("Event").and_then(|e| e.get("System")).is_some()
    }

    fn decode(&self, record: &Value, ctx: &RecordContext) -> Result<Option<Event>, String> {
        let ev = record.get("Event").ok_or("no Event object")?;
        let sys = ev.get("System").ok_or("no Event.System object")?;
        let id = sys
            .get("EventID")
            .and_then(event_id)
            .ok_or("no readable System.EventID")?;
        let provider = attr(sys.get("Provider"), "Name").and_then(text);
        let channel = sys.get("Channel").and_then(text);
        let log = Log::classify(provider.as_deref(), channel.as_deref());
        if !sysmon::is_relevant(log, id) {
            return Ok(None);
        }
        let empty = Map::new();
        let data = match ev.get("EventData") {
            Some(Value::Object(m)) => m,
            _ => &empty,
        };
        let header = Header {
            log,
            event_id: id,
            host: sys.get("Computer").and_then(text),
            record_time: attr(sys.get("TimeCreated"), "SystemTime").and_then(text),
            record: sys.get("EventRecordID").and_then(|v| v.as_u64()),
        };
        sysmon::decode(header, Fields(data), ctx)
    }
}
