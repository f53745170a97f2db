//! NDJSON: one [`AlertRecord`] per line.

use crate::AlertRecord;
use dllhound_detect::Alert;
use std::io::{self, Write};

/// Writes one alert as one line.
pub fn write_ndjson(out: &mut dyn Write, alert: &Alert) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &AlertRecord::from(alert))?;
    out.write_all(b"\n")
}

/// Writes one alert as one line, marked `event.action: "update"`: an alert already released, with
/// more evidence (streaming).
pub fn write_ndjson_update(out: &mut dyn Write, alert: &Alert) -> io::Result<()> {
    let mut rec = AlertRecord::from(alert);
    rec.event.action = Some("update");
    serde_json::to_writer(&mut *out, &rec)?;
    out.write_all(b"\n")
}
