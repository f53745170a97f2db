//! One record at a time, for streams: a line of stdin or of a followed file, a Kafka message.
//!
//! The file readers batch lines into blocks for throughput; a live stream must hand each record on
//! as soon as it arrives, so [`RecordDecoder`] takes them one by one, keeps the format hint between
//! them, and counts into one [`InputStats`]. A record is JSON, or (first byte `<`, format auto or
//! sysmon-xml) Windows event XML with one or more `<Event>` elements, as NXLog or Splunk forward it.

use crate::formats::{FormatChoice, RecordContext};
use crate::json_lines::decode_value;
use crate::{InputStats, RecordError};
use dllhound_model::Event;
use std::sync::Arc;

/// Where a streamed record sits.
#[derive(Debug, Clone, Copy)]
pub enum At {
    /// 1-based line of a text stream.
    Line(u64),
    /// Offset of a message in its partition (Kafka).
    Offset(u64),
}

/// Decodes records one at a time (see the module docs).
#[derive(Debug)]
pub struct RecordDecoder {
    format: FormatChoice,
    hint: Option<usize>,
    /// What was decoded so far.
    pub stats: InputStats,
}

impl RecordDecoder {
    pub fn new(name: &str, format: FormatChoice) -> RecordDecoder {
        RecordDecoder {
            format,
            hint: None,
            stats: InputStats::new(name),
        }
    }

    /// Decodes one record from `input` (a name for provenance: a file, `-`, `topic/partition`).
    /// Blank records are skipped. Returns false when the record was bad (counted, and located in
    /// [`InputStats::record_errors`]).
    pub fn decode(
        &mut self,
        input: &Arc<str>,
        at: At,
        bytes: &[u8],
        sink: &mut dyn FnMut(Event),
    ) -> bool {
        self.stats.bytes += bytes.len() as u64;
        let body = bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(bytes)
            .trim_ascii();
        if body.is_empty() {
            return true;
        }
        let (line, record) = match at {
            At::Line(l) => (Some(l), None),
            At::Offset(o) => (None, Some(o)),
        };
        let bad_before = self.stats.records_bad;
        let xml = matches!(self.format, FormatChoice::Auto | FormatChoice::SysmonXml);
        if xml && body.first() == Some(&b'<') {
            let events =
                crate::xml::decode_xml_record(body, input, (line, record), &mut self.stats, sink);
            if events == 0 && self.stats.records_bad == bad_before {
                self.stats.bad(RecordError {
                    input: input.to_string(),
                    at: where_(at),
                    reason: "XML without an <Event> element".into(),
                });
            }
            return self.stats.records_bad == bad_before;
        }
        match serde_json::from_slice::<crate::fast::Pruned>(body) {
            Ok(crate::fast::Pruned(v)) => {
                let ctx = RecordContext {
                    input: input.clone(),
                    line,
                    record,
                    element: None,
                    only: self.format.only(),
                };
                decode_value(&v, &ctx, &mut self.hint, &mut self.stats, sink);
            }
            Err(e) => self.stats.bad(RecordError {
                input: input.to_string(),
                at: where_(at),
                reason: format!("invalid JSON: {e}"),
            }),
        }
        self.stats.records_bad == bad_before
    }
}

impl RecordDecoder {
    /// Counts a record that was too long to read (a line past [`crate::MAX_LINE`], `len` bytes)
    /// as bad, located.
    pub fn too_long(&mut self, input: &Arc<str>, at: At, len: u64) {
        self.stats.bytes += len;
        self.stats.bad(RecordError {
            input: input.to_string(),
            at: where_(at),
            reason: format!(
                "line longer than {} MiB ({len} bytes): skipped",
                crate::MAX_LINE >> 20
            ),
        });
    }
}

fn where_(at: At) -> String {
    match at {
        At::Line(l) => format!("line {l}"),
        At::Offset(o) => format!("offset {o}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_one_by_one_are_counted_and_bad_ones_located() {
        let mut d = RecordDecoder::new("t", FormatChoice::Auto);
        let name: Arc<str> = "topic/0".into();
        let mut n = 0;
        let good = br#"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":11,"Hostname":"h","UtcTime":"2026-01-01 00:00:00.000","ProcessGuid":"{a}","Image":"C:\\w.exe","TargetFilename":"C:\\x.dll"}"#;
        assert!(d.decode(&name, At::Offset(7), good, &mut |_| n += 1));
        assert!(!d.decode(&name, At::Offset(8), b"{not json", &mut |_| n += 1));
        assert!(d.decode(&name, At::Offset(9), b"  \r\n", &mut |_| n += 1));
        assert_eq!((n, d.stats.records_ok, d.stats.records_bad), (1, 1, 1));
        assert_eq!(
            d.stats.record_errors[0].to_string().split(": ").next(),
            Some("topic/0:offset 8")
        );
    }

    #[test]
    fn xml_events_are_records_too_and_carry_their_offset() {
        let mut d = RecordDecoder::new("t", FormatChoice::Auto);
        let name: Arc<str> = "topic/1".into();
        let event = br#"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon'/><EventID>7</EventID><TimeCreated SystemTime='2026-01-01T00:00:00.000Z'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>h</Computer></System><EventData><Data Name='UtcTime'>2026-01-01 00:00:00.000</Data><Data Name='ProcessGuid'>{a}</Data><Data Name='ProcessId'>4</Data><Data Name='Image'>C:\w.exe</Data><Data Name='ImageLoaded'>C:\Users\u\AppData\Local\Temp\x.dll</Data><Data Name='Signed'>false</Data></EventData></Event>"#;
        let mut got = Vec::new();
        assert!(d.decode(&name, At::Offset(41), event, &mut |e| got.push(e)));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].provenance.file_record, Some(41));
        assert_eq!(&*got[0].provenance.file, "topic/1");
        assert!(!d.decode(&name, At::Offset(42), b"<Event><System>", &mut |_| {}));
        assert!(!d.decode(&name, At::Offset(43), b"<nothing/>", &mut |_| {}));
        assert_eq!((d.stats.records_ok, d.stats.records_bad), (1, 2));
        let errors: Vec<String> = d
            .stats
            .record_errors
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert!(errors[0].starts_with("topic/1:offset 42"), "{errors:?}");
        assert!(errors[1].contains("without an <Event>"), "{errors:?}");
        // With a JSON-only format the same bytes are not XML.
        let mut j = RecordDecoder::new("t", FormatChoice::SysmonJson);
        assert!(!j.decode(&name, At::Offset(41), event, &mut |_| {}));
    }
}
