//! Context for branch (c): the DNS names the loading process asked for within the network window
//! before or after the load (Sysmon 22; ECS and MDE DNS events). Shown with an alert, never a
//! corroborator of its own.

use super::{secs, BranchInfo, Corroborator, Points, Probe, Store, WindowInfo};
use crate::alert::{Alert, TimelineEntry};
use dllhound_model::{DnsQuery, Event, EventKind, ProcessKey, Provenance, Timestamp, WinPath};
use serde::Serialize;

/// A DNS name the loading process asked for near the load (`evidence.dns[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DnsEvidence {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    pub delta_seconds: f64,
    pub query: Box<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Box<str>>,
    pub provenance: Provenance,
}

/// DNS context.
pub struct Dns;

impl Corroborator for Dns {
    type Key = ProcessKey;
    type Item = DnsQuery;
    type Evidence = DnsEvidence;
    type Same = (Timestamp, Box<str>);

    const INFO: BranchInfo = BranchInfo {
        name: "dns",
        letter: None,
        label: "DNS (context of c)",
        noun: "DNS query",
        lane: "network",
        window: WindowInfo {
            flag: "network",
            help: "Override the window of branch (c), outbound network",
        },
    };

    /// Queries of a known process, moved out of the event without the image.
    fn hold(ev: &mut Event) -> Option<(ProcessKey, DnsQuery)> {
        let EventKind::Dns(d) = &mut ev.kind else {
            return None;
        };
        d.process.is_known().then(|| {
            (
                d.process.clone(),
                DnsQuery {
                    process: d.process.clone(),
                    pid: d.pid,
                    image: WinPath::new(""),
                    query: std::mem::take(&mut d.query),
                    results: d.results.take(),
                },
            )
        })
    }

    fn find(p: &Probe<'_>, held: &Store<ProcessKey, DnsQuery>) -> Vec<DnsEvidence> {
        held.get(&p.load.process)
            .iter()
            .filter(|d| (d.time - p.t).abs() <= p.window_ms)
            .map(|d| DnsEvidence {
                time: Timestamp(d.time),
                delta_seconds: secs(d.time - p.t),
                query: d.ev.query.clone(),
                results: d.ev.results.clone(),
                provenance: d.prov.clone(),
            })
            .collect()
    }

    fn when(e: &DnsEvidence) -> (Timestamp, &Provenance) {
        (e.time, &e.provenance)
    }

    fn same(d: &DnsEvidence) -> Self::Same {
        (d.time, d.query.clone())
    }

    /// The names looked up, when the loader also connected out.
    fn score(items: &[DnsEvidence], a: &Alert, out: &mut Points) {
        if a.evidence.outbound_network.is_empty() {
            return;
        }
        let names: Vec<&str> = items.iter().map(|d| &*d.query).take(5).collect();
        out.reasons
            .push(format!("It looked up {}.", names.join(", ")));
    }

    fn timeline(d: &DnsEvidence, out: &mut Vec<TimelineEntry>) {
        out.push(TimelineEntry {
            time: d.time,
            role: Self::INFO.name,
            summary: format!("resolved {}", d.query),
            provenance: d.provenance.clone(),
        });
    }
}
