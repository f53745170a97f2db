//! Telemetry coverage: can this data show AN0052 at all?
//!
//! Many environments never log Sysmon Event 7, or log it without signer fields, or drop network
//! events. Before trusting "no alerts", `dllhound coverage` reports per host and time range what was
//! collected and gives a verdict for each part of the analytic:
//!
//! | part | evaluable when | partial when | blind when |
//! |---|---|---|---|
//! | trigger by path | image loads present | fewer image loads than process starts (Event 7 filtered) | no image loads |
//! | trigger by signature | ≥ 90 % of image loads carry a signer state | some do | none do, or no image loads |
//! | (a) fresh write | file create / stream / executable-detected events present | — | none |
//! | (b) follow-on exec | process starts with command lines and `OriginalFileName` | none has `OriginalFileName` (Security 4688 only), or some lack command lines | no process starts with a command line |
//! | (c) outbound network | connections with `Initiated` and process GUIDs | `Initiated` missing, or no GUIDs (pid join only) | no network events |
//!
//! Clock sanity: the median of `UtcTime − record time` (exporters that write local time show whole
//! hours) and the share of events that came earlier than the one before them on the same host.

use dllhound_model::{Event, EventKind, FileWriteKind, SignatureState, Timestamp};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A verdict for one part of AN0052.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// `evaluable`, `partial` or `blind`.
    pub verdict: &'static str,
    /// Why, when not plainly evaluable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Verdict {
    pub(crate) fn evaluable() -> Verdict {
        Verdict {
            verdict: "evaluable",
            reason: None,
        }
    }
    pub(crate) fn partial(r: impl Into<String>) -> Verdict {
        Verdict {
            verdict: "partial",
            reason: Some(r.into()),
        }
    }
    pub(crate) fn blind(r: impl Into<String>) -> Verdict {
        Verdict {
            verdict: "blind",
            reason: Some(r.into()),
        }
    }
}

/// The verdicts, in the analytic's order: the two triggers, then each branch that has a part
/// ([`crate::branches::coverage`]). Serialised as one object keyed by part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdicts {
    pub trigger_by_path: Verdict,
    pub trigger_by_signature: Verdict,
    pub branches: Vec<(&'static str, Verdict)>,
}

impl Verdicts {
    /// (part name, verdict) pairs.
    pub fn parts(&self) -> Vec<(&'static str, &Verdict)> {
        let mut v = vec![
            ("trigger_by_path", &self.trigger_by_path),
            ("trigger_by_signature", &self.trigger_by_signature),
        ];
        v.extend(self.branches.iter().map(|(n, x)| (*n, x)));
        v
    }

    /// The verdict of one part.
    pub fn part(&self, name: &str) -> Option<&Verdict> {
        self.parts().into_iter().find(|p| p.0 == name).map(|p| p.1)
    }
}

impl Serialize for Verdicts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let parts = self.parts();
        let mut m = s.serialize_map(Some(parts.len()))?;
        for (k, v) in parts {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// What one host's telemetry holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HostCoverage {
    pub host: String,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub events: BTreeMap<&'static str, u64>,
    pub image_loads: u64,
    /// Image loads whose signer state is known (not empty, `-` or `Unavailable`).
    pub image_loads_with_signer: u64,
    pub file_creates: u64,
    pub file_streams: u64,
    pub executables_detected: u64,
    pub process_starts: u64,
    pub process_starts_with_command_line: u64,
    /// Process starts carrying the PE `OriginalFileName` (Sysmon 1, ECS, MDE; not Security 4688).
    pub process_starts_with_original_name: u64,
    pub network: u64,
    pub network_with_initiated: u64,
    pub dns: u64,
    /// Events whose process has a stable identity (Sysmon `ProcessGuid`, ECS `entity_id`, MDE's triple).
    pub events_with_stable_process_id: u64,
    /// Median of event time − record time, in seconds, over events that carry both.
    pub median_clock_offset_seconds: Option<f64>,
    /// Events logged earlier than the previous event of the same host in the same input.
    pub out_of_order: u64,
    pub verdicts: Option<Verdicts>,
    #[serde(skip)]
    offsets: Vec<i64>,
    /// SHA-1s of loads without a signer, and the certificate rows seen (MDE's separate signer table).
    #[serde(skip)]
    unsigned_hashes: HashMap<String, u64>,
    #[serde(skip)]
    certificates: std::collections::HashSet<String>,
}

pub(crate) fn pct(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

impl HostCoverage {
    fn add(&mut self, e: &Event) {
        self.first = Some(self.first.map_or(e.time, |f| f.min(e.time)));
        self.last = Some(self.last.map_or(e.time, |l| l.max(e.time)));
        *self.events.entry(e.kind_name()).or_default() += 1;
        if e.process().is_stable() {
            self.events_with_stable_process_id += 1;
        }
        if let Some(rt) = e.record_time {
            self.offsets.push(e.time.millis() - rt.millis());
        }
        match &e.kind {
            EventKind::ImageLoad(l) => {
                self.image_loads += 1;
                if l.signature.state != SignatureState::Unknown {
                    self.image_loads_with_signer += 1;
                } else if let Some(h) = &l.sha1 {
                    *self.unsigned_hashes.entry(h.to_string()).or_default() += 1;
                }
            }
            EventKind::FileWrite(w) => match w.how {
                FileWriteKind::Create => self.file_creates += 1,
                FileWriteKind::Stream => self.file_streams += 1,
                FileWriteKind::ExecutableDetected => self.executables_detected += 1,
            },
            EventKind::ProcessStart(p) => {
                self.process_starts += 1;
                if p.command_line.is_some() {
                    self.process_starts_with_command_line += 1;
                }
                if p.original_file_name.is_some() {
                    self.process_starts_with_original_name += 1;
                }
            }
            EventKind::Network(n) => {
                self.network += 1;
                if n.initiated.is_some() {
                    self.network_with_initiated += 1;
                }
            }
            EventKind::Dns(_) => self.dns += 1,
            EventKind::ComServer(_) => {}
            EventKind::Certificate(c) => {
                self.certificates.insert(c.sha1.to_string());
            }
        }
    }

    fn merge(&mut self, o: HostCoverage) {
        self.first = [self.first, o.first].into_iter().flatten().min();
        self.last = [self.last, o.last].into_iter().flatten().max();
        for (k, v) in o.events {
            *self.events.entry(k).or_default() += v;
        }
        self.image_loads += o.image_loads;
        self.image_loads_with_signer += o.image_loads_with_signer;
        self.file_creates += o.file_creates;
        self.file_streams += o.file_streams;
        self.executables_detected += o.executables_detected;
        self.process_starts += o.process_starts;
        self.process_starts_with_command_line += o.process_starts_with_command_line;
        self.process_starts_with_original_name += o.process_starts_with_original_name;
        self.network += o.network;
        self.network_with_initiated += o.network_with_initiated;
        self.dns += o.dns;
        self.events_with_stable_process_id += o.events_with_stable_process_id;
        self.out_of_order += o.out_of_order;
        self.offsets.extend(o.offsets);
        for (h, n) in o.unsigned_hashes {
            *self.unsigned_hashes.entry(h).or_default() += n;
        }
        self.certificates.extend(o.certificates);
    }

    fn finish(&mut self) {
        // Loads whose signer arrives in a certificate row count as having one.
        for (h, n) in std::mem::take(&mut self.unsigned_hashes) {
            if self.certificates.contains(&h) {
                self.image_loads_with_signer += n;
            }
        }
        self.certificates.clear();
        if !self.offsets.is_empty() {
            let mid = self.offsets.len() / 2;
            let (_, m, _) = self.offsets.select_nth_unstable(mid);
            self.median_clock_offset_seconds = Some(*m as f64 / 1000.0);
        }
        self.offsets = Vec::new();
        self.verdicts = Some(self.verdicts());
    }

    fn verdicts(&self) -> Verdicts {
        let trigger_by_path = if self.image_loads == 0 {
            Verdict::blind("no image loads (Sysmon Event 7 is off or filtered out)")
        } else if self.process_starts >= 10 && self.image_loads < self.process_starts {
            Verdict::partial(format!(
                "{} image loads for {} process starts: Event 7 looks filtered by the Sysmon configuration",
                self.image_loads, self.process_starts
            ))
        } else {
            Verdict::evaluable()
        };
        let signed = pct(self.image_loads_with_signer, self.image_loads);
        let trigger_by_signature = if self.image_loads == 0 {
            Verdict::blind("no image loads")
        } else if self.image_loads_with_signer == 0 {
            Verdict::blind("no image load carries a signer state (Signed/SignatureStatus empty, '-' or Unavailable)")
        } else if signed < 90.0 {
            Verdict::partial(format!("{signed:.1}% of image loads carry a signer state"))
        } else {
            Verdict::evaluable()
        };
        Verdicts {
            trigger_by_path,
            trigger_by_signature,
            branches: crate::branches::coverage(self),
        }
    }
}

/// Builds coverage from events, one input at a time (order within an input is the recorded order).
#[derive(Debug, Default)]
pub struct CoverageBuilder {
    hosts: HashMap<Arc<str>, HostCoverage>,
    last: HashMap<Arc<str>, Timestamp>,
}

impl CoverageBuilder {
    pub fn add(&mut self, e: &Event) {
        if let Some(prev) = self.last.insert(e.host.clone(), e.time) {
            if e.time < prev {
                self.hosts.entry(e.host.clone()).or_default().out_of_order += 1;
            }
        }
        self.hosts.entry(e.host.clone()).or_default().add(e);
    }

    /// Adds another input's coverage.
    pub fn merge(&mut self, other: CoverageBuilder) {
        for (h, c) in other.hosts {
            self.hosts.entry(h).or_default().merge(c);
        }
    }

    /// Hosts sorted by name, with verdicts.
    pub fn finish(self) -> Vec<HostCoverage> {
        let mut v: Vec<HostCoverage> = self
            .hosts
            .into_iter()
            .map(|(h, mut c)| {
                c.host = h.to_string();
                c.finish();
                c
            })
            .collect();
        v.sort_by(|a, b| a.host.cmp(&b.host));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dllhound_model::*;

    fn ev(kind: EventKind, code: &str) -> Event {
        Event {
            time: Timestamp(1000),
            record_time: Some(Timestamp(1000 - 4 * 3600 * 1000)),
            host: "h".into(),
            kind,
            provenance: Provenance {
                file: "f".into(),
                record: None,
                line: None,
                event_code: code.into(),
            },
        }
    }

    fn load(signed: Option<&str>) -> Event {
        ev(
            EventKind::ImageLoad(ImageLoad {
                process: ProcessKey::from_parts(Some("{1-2}"), None, None),
                pid: None,
                image: WinPath::new("a.exe"),
                dll: WinPath::new("b.dll"),
                signature: Signature::from_sysmon(signed, None, None),
                sha256: None,
                sha1: None,
                original_file_name: None,
                user: None,
                signer_by_sha1: false,
            }),
            "sysmon:7",
        )
    }

    #[test]
    fn no_image_loads_means_both_triggers_are_blind() {
        let mut b = CoverageBuilder::default();
        b.add(&ev(
            EventKind::Dns(DnsQuery {
                process: ProcessKey::Unknown,
                pid: None,
                image: WinPath::new("x"),
                query: "q".into(),
                results: None,
            }),
            "sysmon:22",
        ));
        let c = &b.finish()[0];
        let v = c.verdicts.as_ref().unwrap();
        assert_eq!(v.trigger_by_path.verdict, "blind");
        assert_eq!(v.trigger_by_signature.verdict, "blind");
        assert_eq!(v.part("outbound_network").unwrap().verdict, "blind");
        assert_eq!(c.median_clock_offset_seconds, Some(4.0 * 3600.0));
    }

    #[test]
    fn missing_signer_fields_make_the_signature_trigger_partial_or_blind() {
        let mut b = CoverageBuilder::default();
        b.add(&load(Some("true")));
        b.add(&load(None));
        assert_eq!(
            b.finish()[0]
                .verdicts
                .as_ref()
                .unwrap()
                .trigger_by_signature
                .verdict,
            "partial"
        );
        let mut b = CoverageBuilder::default();
        b.add(&load(None));
        assert_eq!(
            b.finish()[0]
                .verdicts
                .as_ref()
                .unwrap()
                .trigger_by_signature
                .verdict,
            "blind"
        );
    }
}
