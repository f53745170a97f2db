//! Timeline CSV: one row per evidence event of every finding, sorted by time, in the columns a
//! Hayabusa user reads a timeline by (`Timestamp, Computer, Channel, EventID, RecordID, Level,
//! RuleTitle, Details`), followed by what ties the row to its finding and to its source.
//!
//! An event that is evidence for two findings (one connection after two loads) is two rows, one per
//! finding: the row says which finding it supports. Cells a spreadsheet would run as a formula are
//! defused, as in the per-finding CSV.
//!
//! ```text
//! Timestamp  Computer  Channel  EventID  RecordID  Level  RuleTitle  Role  Details
//! Kind  AlertID  IncidentID  DLL  SourceFile  SourceLine  SourceFileRecord
//! ```

use crate::defuse_formula;
use dllhound_detect::{Alert, TimelineEntry};
use std::io::{self, Write};

const HEADER: [&str; 16] = [
    "Timestamp",
    "Computer",
    "Channel",
    "EventID",
    "RecordID",
    "Level",
    "RuleTitle",
    "Role",
    "Details",
    "Kind",
    "AlertID",
    "IncidentID",
    "DLL",
    "SourceFile",
    "SourceLine",
    "SourceFileRecord",
];

/// Writes a header and one row per timeline entry of every finding, oldest first (ties: host, then
/// finding id, then the finding's own order).
pub fn write_timeline_csv<'a>(
    out: &mut dyn Write,
    alerts: impl IntoIterator<Item = &'a Alert>,
) -> io::Result<()> {
    let mut rows: Vec<(&Alert, usize, &TimelineEntry)> = alerts
        .into_iter()
        .flat_map(|a| a.timeline.iter().enumerate().map(move |(i, t)| (a, i, t)))
        .collect();
    rows.sort_by(|x, y| {
        (x.2.time, &*x.0.host, &x.0.id, x.1).cmp(&(y.2.time, &*y.0.host, &y.0.id, y.1))
    });
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for (a, _, t) in rows {
        let cells = row(a, t);
        w.write_record(cells.iter().map(|c| defuse_formula(c).into_owned()))?;
    }
    w.flush()
}

/// `sysmon:7` → (`Microsoft-Windows-Sysmon/Operational`, `7`); `security:4688` → (`Security`,
/// `4688`); an MDE row names its table (`DeviceImageLoadEvents`); other sources
/// (`ecs:windows.sysmon_operational`) keep their code as the channel. Only Windows logs have an
/// event id.
fn channel(code: &str) -> (String, String) {
    match code.split_once(':') {
        Some(("sysmon", id)) => ("Microsoft-Windows-Sysmon/Operational".into(), id.into()),
        Some(("security", id)) => ("Security".into(), id.into()),
        Some(("mde", table)) => (table.into(), String::new()),
        _ => (code.into(), String::new()),
    }
}

fn title(a: &Alert) -> &'static str {
    match crate::schema::kind(a) {
        "alert" => "AN0052 suspicious DLL load, corroborated",
        "signal" => "AN0052 suspicious DLL load, uncorroborated (signal)",
        _ => "AN0052 suspicious DLL load, suppressed by tuning",
    }
}

fn row(a: &Alert, t: &TimelineEntry) -> [String; 16] {
    let p = &t.provenance;
    let (chan, id) = channel(&p.event_code);
    let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    [
        t.time.to_rfc3339(),
        a.host.to_string(),
        chan,
        id,
        opt(p.record_id),
        a.severity.as_str().into(),
        title(a).into(),
        t.role.into(),
        t.summary.clone(),
        crate::schema::kind(a).into(),
        a.id.clone(),
        a.incident
            .as_ref()
            .map(|i| i.id.clone())
            .unwrap_or_default(),
        a.dll.original().into(),
        p.file.to_string(),
        opt(p.line),
        opt(p.file_record),
    ]
}

#[cfg(test)]
mod tests {
    use super::channel;

    #[test]
    fn event_codes_become_channel_and_event_id() {
        assert_eq!(
            channel("sysmon:7"),
            ("Microsoft-Windows-Sysmon/Operational".into(), "7".into())
        );
        assert_eq!(channel("security:4688"), ("Security".into(), "4688".into()));
        assert_eq!(
            channel("mde:DeviceImageLoadEvents"),
            ("DeviceImageLoadEvents".into(), String::new())
        );
    }
}
