//! `winlogbeat6`: Winlogbeat 6.x documents, event data nested under `event_data`.
//!
//! ```json
//! {"@timestamp":"2019-05-18T20:37:08.970Z","source_name":"Microsoft-Windows-Sysmon","event_id":7,
//!  "log_name":"Microsoft-Windows-Sysmon/Operational","computer_name":"IT001.shire.com",
//!  "record_number":"4230553","event_data":{"UtcTime":"…","ProcessGuid":"…","ImageLoaded":"…","Signed":"true"}}
//! ```
//! Field map: `computer_name` → host, `event_id`, `source_name` / `log_name` → log, `record_number`
//! (a string) → record, `@timestamp` → fallback time. Winlogbeat 7+ nests under `winlog.*` and is
//! read by the ECS decoder instead.

use super::fields::{event_id, text};
use super::sysmon::{self, Header, Log};
use super::{Fields, RecordContext, RecordFormat};
use dllhound_model::Event;
use serde_json::{Map, Value};

pub struct Winlogbeat6;

impl RecordFormat for Winlogbeat6 {
    fn name(&self) -> &'static str {
        "winlogbeat6"
    }

    fn describe(&self) -> &'static str {
        "Winlogbeat 6 documents (event_id, computer_name, event_data.*)"
    }

    fn sniff(&self, record: &Value) -> bool {
        record.get("event_id").is_some()
            && (record.get("event_data").is_some() || record.get("log_name").is_some())
    }

    fn decode(&self, record: &Value, ctx: &RecordContext) -> Result<Option<Event>, String> {
        let obj = record.as_object().ok_or("not a JSON object")?;
        let f = Fields(obj);
        let id = obj
            .get("event_id")
            .and_then(event_id)
            .ok_or("no readable event_id")?;
        let log = Log::classify(
            f.get("source_name").as_deref(),
            f.get("log_name").as_deref(),
        );
        if !sysmon::is_relevant(log, id) {
            return Ok(None);
        }
        let empty = Map::new();
        let data = match obj.get("event_data") {
            Some(Value::Object(m)) => m,
            _ => &empty,
        };
        let header = Header {
            log,
            event_id: id,
            host: f
                .first(&["computer_name"])
                .or_else(|| obj.get("host")?.get("name").and_then(text)),
            record_time: f.get("@timestamp"),
            record: obj
                .get("record_number")
                .and_then(|v| text(v)?.trim().parse().ok()),
        };
        sysmon::decode(header, Fields(data), ctx)
    }
}
