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
    /// One line that says whether AN0052 can fire on this host's telemetry.
    pub headline: Option<Headline>,
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
                FileWriteKind::CreationTimeChanged
                | FileWriteKind::Delete
                | FileWriteKind::DeleteDetected => {}
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
        let v = self.verdicts();
        self.headline = Some(Headline::of(&v));
        self.verdicts = Some(v);
    }

    /// "5 days", "3 h", "12 min", "40 s": how long the host's telemetry spans.
    fn span(&self) -> String {
        let (Some(f), Some(l)) = (self.first, self.last) else {
            return "no time".into();
        };
        let s = (l.millis() - f.millis()) / 1000;
        match s {
            s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
            s if s >= 2 * 3600 => format!("{} h", s / 3600),
            s if s >= 120 => format!("{} min", s / 60),
            s => format!("{s} s"),
        }
    }

    fn verdicts(&self) -> Verdicts {
        let trigger_by_path = if self.image_loads == 0 {
            Verdict::blind("no image loads (Sysmon Event 7 is off or filtered out)")
        } else if self.image_loads < MIN_IMAGE_LOADS {
            Verdict::partial(format!(
                "only {} image load{} in {}: too few to show Event 7 is collected (a host logging Event 7 sends thousands a day)",
                self.image_loads,
                if self.image_loads == 1 { "" } else { "s" },
                self.span()
            ))
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

/// Fewer image loads than this, and Event 7's presence is not shown (one load in days is a
/// stray, not a collected event type).
pub const MIN_IMAGE_LOADS: u64 = 10;

/// Can AN0052 fire on a host's telemetry? The answer first, the per-part detail after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Headline {
    /// `can_fire` (every part evaluable), `can_fire_partly` (a trigger and at least one branch,
    /// with gaps), `cannot_fire`.
    pub verdict: &'static str,
    /// "AN0052 can fire here" / "can fire, but only branch (b)" / "cannot fire: no image loads".
    pub text: String,
}

impl Headline {
    fn of(v: &Verdicts) -> Headline {
        let usable = |x: &Verdict| x.verdict != "blind";
        let letter = |name: &str| {
            crate::branches::BRANCHES
                .iter()
                .find(|b| b.name == name)
                .and_then(|b| b.letter)
                .map_or_else(|| name.replace('_', " "), |l| format!("({l})"))
        };
        let corroborating: Vec<&(&str, Verdict)> = v
            .branches
            .iter()
            .filter(|(n, _)| {
                crate::branches::BRANCHES
                    .iter()
                    .any(|b| b.name == *n && b.letter.is_some())
            })
            .collect();
        let trigger = usable(&v.trigger_by_path) || usable(&v.trigger_by_signature);
        let live: Vec<String> = corroborating
            .iter()
            .filter(|(_, x)| usable(x))
            .map(|(n, _)| letter(n))
            .collect();
        if !trigger {
            let why = v
                .trigger_by_path
                .reason
                .clone()
                .unwrap_or_else(|| "the trigger is not visible".into());
            let why = if why.starts_with("no image loads") {
                "no image loads".to_string()
            } else {
                why
            };
            return Headline {
                verdict: "cannot_fire",
                text: format!("cannot fire: {why}"),
            };
        }
        if live.is_empty() {
            return Headline {
                verdict: "cannot_fire",
                text:
                    "cannot fire: no corroborating telemetry (file writes, process starts, network)"
                        .into(),
            };
        }
        let all_good = v.parts().iter().all(|(_, x)| x.verdict == "evaluable");
        if all_good {
            return Headline {
                verdict: "can_fire",
                text: "AN0052 can fire here".into(),
            };
        }
        let mut gaps: Vec<String> = Vec::new();
        for (name, x) in v.parts() {
            if x.verdict != "evaluable" {
                let label = match name {
                    "trigger_by_path" => "trigger by path".to_string(),
                    "trigger_by_signature" => "trigger by signature".to_string(),
                    n => letter(n),
                };
                gaps.push(format!("{label} {}", x.verdict));
            }
        }
        let text = if live.len() == 1 {
            format!(
                "can fire, but only branch {}; gaps: {}",
                live[0],
                gaps.join(", ")
            )
        } else {
            format!("can fire, with gaps: {}", gaps.join(", "))
        };
        Headline {
            verdict: "can_fire_partly",
            text,
        }
    }
}

/// The fleet in one line per answer: how many hosts can fire, partly, not at all, and why not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FleetSummary {
    pub hosts: usize,
    pub can_fire: usize,
    pub can_fire_partly: usize,
    pub cannot_fire: usize,
    /// Each headline text with its host count, most common first.
    pub headlines: Vec<(String, usize)>,
}

/// Sums the hosts' headlines.
pub fn fleet_summary(hosts: &[HostCoverage]) -> FleetSummary {
    let mut s = FleetSummary {
        hosts: hosts.len(),
        ..FleetSummary::default()
    };
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for h in hosts {
        let Some(hl) = &h.headline else { continue };
        match hl.verdict {
            "can_fire" => s.can_fire += 1,
            "can_fire_partly" => s.can_fire_partly += 1,
            _ => s.cannot_fire += 1,
        }
        *by.entry(hl.text.clone()).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    s.headlines = v;
    s
}

/// Builds coverage from events, one input at a time (order within an input is the recorded order).
#[derive(Debug, Default)]
pub struct CoverageBuilder {
    /// By host identity ([`dllhound_model::host`]): the name to show (the fullest spelling) and
    /// the coverage.
    hosts: HashMap<Arc<str>, (Arc<str>, HostCoverage)>,
    last: HashMap<Arc<str>, Timestamp>,
    identities: dllhound_model::host::Identities,
}

impl CoverageBuilder {
    pub fn add(&mut self, e: &Event) {
        let id = self.identities.of(&e.host);
        let (shown, c) = self
            .hosts
            .entry(id.clone())
            .or_insert_with(|| (e.host.clone(), HostCoverage::default()));
        if !Arc::ptr_eq(shown, &e.host)
            && dllhound_model::host::preferred(shown, &e.host) != &**shown
        {
            *shown = e.host.clone();
        }
        if let Some(prev) = self.last.insert(id, e.time) {
            if e.time < prev {
                c.out_of_order += 1;
            }
        }
        c.add(e);
    }

    /// Adds another input's coverage.
    pub fn merge(&mut self, other: CoverageBuilder) {
        for (id, (shown, c)) in other.hosts {
            let e = self
                .hosts
                .entry(id)
                .or_insert_with(|| (shown.clone(), HostCoverage::default()));
            if dllhound_model::host::preferred(&e.0, &shown) != &*e.0 {
                e.0 = shown;
            }
            e.1.merge(c);
        }
    }

    /// Hosts sorted by name, with verdicts.
    pub fn finish(self) -> Vec<HostCoverage> {
        let mut v: Vec<HostCoverage> = self
            .hosts
            .into_values()
            .map(|(shown, mut c)| {
                c.host = shown.to_string();
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
                file_record: None,
                record_id: None,
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

#[cfg(test)]
mod headline_tests {
    use super::*;

    fn v(path: &str, sig: &str, branches: [&str; 3]) -> Verdicts {
        let mk = |x: &str| match x {
            "evaluable" => Verdict::evaluable(),
            "partial" => Verdict::partial("p"),
            _ => Verdict::blind("no image loads (Sysmon Event 7 is off)"),
        };
        Verdicts {
            trigger_by_path: mk(path),
            trigger_by_signature: mk(sig),
            branches: vec![
                ("fresh_write", mk(branches[0])),
                ("follow_on_exec", mk(branches[1])),
                ("outbound_network", mk(branches[2])),
            ],
        }
    }

    #[test]
    fn the_headline_says_whether_and_how_an0052_can_fire() {
        let e = "evaluable";
        let h = Headline::of(&v(e, e, [e, e, e]));
        assert_eq!(
            (h.verdict, h.text.as_str()),
            ("can_fire", "AN0052 can fire here")
        );
        let h = Headline::of(&v("blind", "blind", [e, e, e]));
        assert_eq!(
            (h.verdict, h.text.as_str()),
            ("cannot_fire", "cannot fire: no image loads")
        );
        let h = Headline::of(&v(e, e, ["blind", e, "blind"]));
        assert_eq!(h.verdict, "can_fire_partly");
        assert!(
            h.text.starts_with("can fire, but only branch (b)"),
            "{}",
            h.text
        );
        let h = Headline::of(&v(e, e, ["blind", "blind", "blind"]));
        assert_eq!(h.verdict, "cannot_fire");
        let h = Headline::of(&v("partial", e, [e, "partial", e]));
        assert_eq!(h.verdict, "can_fire_partly", "partial is never good");
        assert!(
            h.text.contains("trigger by path partial") && h.text.contains("(b) partial"),
            "{}",
            h.text
        );
    }

    #[test]
    fn a_handful_of_image_loads_is_thin_evidence_not_evaluable() {
        let mut b = CoverageBuilder::default();
        for _ in 0..3 {
            b.add(&tests_support::load());
        }
        let c = &b.finish()[0];
        let p = &c.verdicts.as_ref().unwrap().trigger_by_path;
        assert_eq!(p.verdict, "partial");
        assert!(
            p.reason.as_deref().unwrap().contains("only 3 image loads"),
            "{p:?}"
        );
    }

    mod tests_support {
        use dllhound_model::*;
        pub fn load() -> Event {
            Event {
                time: Timestamp(1000),
                record_time: None,
                host: "h".into(),
                kind: EventKind::ImageLoad(ImageLoad {
                    process: ProcessKey::from_parts(Some("{1-2}"), None, None),
                    pid: None,
                    image: WinPath::new("a.exe"),
                    dll: WinPath::new("b.dll"),
                    signature: Signature::from_sysmon(Some("true"), None, None),
                    sha256: None,
                    sha1: None,
                    original_file_name: None,
                    user: None,
                    signer_by_sha1: false,
                }),
                provenance: Provenance {
                    file: "f".into(),
                    file_record: None,
                    record_id: None,
                    line: None,
                    event_code: "sysmon:7".into(),
                },
            }
        }
    }
}
