//! The list of record formats. Adding a format: a file beside this one and a line here.

use super::{
    ecs::Ecs, evtx_json::EvtxJson, mde::Mde, sysmon_flat::SysmonFlat, winlogbeat6::Winlogbeat6,
    RecordFormat,
};
use serde_json::Value;

/// Every record format, in sniffing order (most specific first).
pub static REGISTRY: &[&dyn RecordFormat] = &[&EvtxJson, &Winlogbeat6, &Ecs, &Mde, &SysmonFlat];

/// What `--input-format` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormatChoice {
    /// Sniff containers per input and record shapes per record.
    #[default]
    Auto,
    /// Binary EVTX only.
    Evtx,
    /// JSON lines in any Sysmon shape (evtx-json, winlogbeat6, sysmon-flat).
    SysmonJson,
    /// Windows event XML (wevtutil, Event Viewer, Splunk XmlWinEventLog).
    SysmonXml,
    /// Elastic Common Schema documents (Elastic Defend, Winlogbeat 7+/Agent Sysmon).
    Ecs,
    /// Microsoft Defender for Endpoint advanced-hunting rows (JSON or CSV).
    Mde,
}

impl FormatChoice {
    /// Every choice with its `--input-format` name and a line of help, in the order shown.
    pub const ALL: [(&'static str, FormatChoice, &'static str); 6] = [
        ("auto", FormatChoice::Auto, "sniff each input and each record's shape"),
        ("evtx", FormatChoice::Evtx, "binary EVTX only"),
        ("sysmon-json", FormatChoice::SysmonJson, "JSON lines in any Sysmon shape (evtx_dump, OTRF, NXLog, Winlogbeat 6)"),
        ("sysmon-xml", FormatChoice::SysmonXml, "Windows event XML (wevtutil /f:xml, Event Viewer, Splunk XmlWinEventLog)"),
        ("ecs", FormatChoice::Ecs, "Elastic Common Schema: Elastic Defend, Winlogbeat 7+ / Agent Sysmon, _search output"),
        ("mde", FormatChoice::Mde, "Defender for Endpoint advanced hunting: CSV/JSON exports, API Results, streaming records"),
    ];

    /// The `--input-format` name of this choice.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, c, _)| *c == self)
            .map_or("auto", |(n, _, _)| n)
    }

    /// The `--input-format` names.
    pub const NAMES: [&'static str; 6] =
        ["auto", "evtx", "sysmon-json", "sysmon-xml", "ecs", "mde"];

    /// The choice for an `--input-format` name.
    pub fn from_name(name: &str) -> Option<FormatChoice> {
        Self::ALL
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, c, _)| *c)
    }

    /// The record formats this choice allows (`None`: all).
    pub fn only(self) -> Option<&'static [&'static str]> {
        match self {
            FormatChoice::Auto | FormatChoice::Evtx => None,
            FormatChoice::SysmonJson => Some(&["evtx-json", "winlogbeat6", "sysmon-flat"]),
            FormatChoice::SysmonXml => Some(&["evtx-json"]),
            FormatChoice::Ecs => Some(&["ecs"]),
            FormatChoice::Mde => Some(&["mde"]),
        }
    }
}

/// The `--input-format` choice that reads the record format `name` (for hints).
pub fn choice_for(name: &str) -> FormatChoice {
    FormatChoice::ALL
        .iter()
        .map(|(_, c, _)| *c)
        .filter(|c| *c != FormatChoice::Auto && *c != FormatChoice::SysmonXml)
        .find(|c| c.only().is_some_and(|o| o.contains(&name)))
        .unwrap_or(FormatChoice::Auto)
}

/// The first allowed format whose shape this record has.
pub fn sniff(record: &Value, hint: Option<usize>, only: Option<&[&str]>) -> Option<usize> {
    if let Some(i) = hint {
        if REGISTRY.get(i).is_some_and(|f| f.sniff(record)) {
            return Some(i);
        }
    }
    let allowed = |f: &&dyn RecordFormat| only.is_none_or(|o| o.contains(&f.name()));
    REGISTRY.iter().position(|f| allowed(f) && f.sniff(record))
}
