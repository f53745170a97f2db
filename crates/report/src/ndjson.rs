//! NDJSON: one [`AlertRecord`] per line.

use crate::AlertRecord;
use dllhound_detect::Alert;
use std::io::{self, Write};

/// Writes one alert as one line.
pub fn write_ndjson(out: &mut dyn Write, alert: &Alert) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &AlertRecord::from(alert))?;
    out.write_all(b"\n")
}
