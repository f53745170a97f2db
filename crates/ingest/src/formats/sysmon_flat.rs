//! `sysmon-flat`: one JSON object per record with Sysmon's event-data fields at the top level.
//!
//! Two exporters write it, and one decoder serves both because they share the event-data names:
//! * OTRF Security-Datasets (2020-10 and 2023 sets, e.g. `LSASS_campaign_*`):
//!   `{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":7,"Hostname":"MKT01.pandalab.com",
//!   "TimeCreated":"2023-09-05T09:51:51.445Z","SourceName":"Microsoft-Windows-Sysmon",
//!   "UtcTime":"2023-09-06 04:51:51.442","ProcessGuid":"{…}","ProcessId":"7848","ImageLoaded":"…",…}`
//!   — no record number; numbers are strings except `EventID`; `@timestamp` sometimes missing.
//! * NXLog (OTRF 2019–2020 `covenant_*` / `empire_*` sets): the same plus `EventTime` (host *local*
//!   time), `RecordNumber` (int), `ProcessID` (the *collector's* pid — not Sysmon's `ProcessId`).
//!
//! Field map: `Hostname` → host, `EventID`, `SourceName` / `Channel` → log (channel case varies:
//! `Security` and `security` both occur), `RecordNumber` → record, `TimeCreated` / `@timestamp` /
//! `EventTime` → fallback time (19 h and 4 h off in real sets: `UtcTime` always wins).

use super::fields::{event_id, text};
use super::sysmon::{self, Header, Log};
use super::{Fields, RecordContext, RecordFormat};
use dllhound_model::Event;
use serde_json::Value;

pub struct SysmonFlat;

impl RecordFormat for SysmonFlat {
    fn name(&self) -> &'static str {
        "sysmon-flat"
    }

    fn describe(&self) -> &'static str {
        "flat Sysmon/Security JSON lines (OTRF Security-Datasets, NXLog): event data at the top level"
    }

    fn sniff(&self, record: &Value) -> bool {
        record.get("EventID").is_some()
            && (record.get("Channel").is_some() || record.get("SourceName").is_some())
            && record.get("Event").is_none()
    }

    fn decode(&self, record: &Value, ctx: &RecordContext) -> Result<Option<Event>, String> {
        let obj = record.as_object().ok_or("not a JSON object")?;
        let f = Fields(obj);
        let id = obj
            .get("EventID")
            .and_then(event_id)
            .ok_or("no readable EventID")?;
        let log = Log::classify(
            f.first(&["SourceName", "ProviderName"]).as_deref(),
            f.get("Channel").as_deref(),
        );
        if !sysmon::is_relevant(log, id) {
            return Ok(None);
        }
        let header = Header {
            log,
            event_id: id,
            host: f.first(&["Hostname", "Computer", "computer_name"]),
            record_time: f.first(&["TimeCreated", "@timestamp", "EventTime"]),
            record: obj
                .get("RecordNumber")
                .and_then(|v| text(v)?.trim().parse().ok()),
        };
        sysmon::decode(header, f, ctx)
    }
}
