//! Branch (c), outbound network: the loading process itself initiated a connection to a
//! non-local address within the window after the load (Sysmon 3 with `Initiated: true`; ECS and
//! MDE network events). Connections are held by process, so only the loader's are looked at.

use super::{ago, secs, BranchInfo, Corroborator, Points, Probe, Store, WindowInfo};
use crate::alert::{Alert, TimelineEntry};
use crate::coverage::{HostCoverage, Verdict};
use crate::state::Held;
use crate::DestinationClass;
use dllhound_model::{
    Event, EventKind, NetworkConnect, ProcessKey, Provenance, Timestamp, WinPath,
};
use serde::Serialize;
use std::net::IpAddr;

/// A connection the loading process initiated (`evidence.outbound_network[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetEvidence {
    #[serde(rename = "@timestamp")]
    pub time: Timestamp,
    /// Connection time minus load time, in seconds (≥ 0).
    pub delta_seconds: f64,
    pub destination_ip: IpAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_domain: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Box<str>>,
    pub destination_class: DestinationClass,
    pub provenance: Provenance,
}

/// A held connection as evidence, timed from the load at `t`; `None` when it does not leave the
/// host's own addresses (loopback, link-local, …) or names no address.
pub(crate) fn outbound(n: &Held<NetworkConnect>, t: i64) -> Option<NetEvidence> {
    let ip = n.ev.destination_ip?;
    let class = DestinationClass::of(ip);
    (class != DestinationClass::NotOutbound).then(|| NetEvidence {
        time: Timestamp(n.time),
        delta_seconds: secs(n.time - t),
        destination_ip: ip,
        destination_port: n.ev.destination_port,
        destination_domain: n.ev.destination_host.clone(),
        protocol: n.ev.protocol.clone(),
        destination_class: class,
        provenance: n.prov.clone(),
    })
}

/// Branch (c).
pub struct OutboundNetwork;

impl Corroborator for OutboundNetwork {
    type Key = ProcessKey;
    type Item = NetworkConnect;
    type Evidence = NetEvidence;
    type Same = (Timestamp, IpAddr, Option<u16>);

    const INFO: BranchInfo = BranchInfo {
        name: "outbound_network",
        letter: Some('c'),
        label: "(c) outbound network",
        noun: "outbound connection",
        lane: "network",
        window: WindowInfo {
            flag: "network",
            help: "Override the window of branch (c), outbound network",
        },
    };

    /// Initiated connections of a known process, moved out of the event without the image (the
    /// loader's, not needed).
    fn hold(ev: &mut Event) -> Option<(ProcessKey, NetworkConnect)> {
        let EventKind::Network(n) = &mut ev.kind else {
            return None;
        };
        if n.initiated != Some(true) || !n.process.is_known() {
            return None;
        }
        Some((
            n.process.clone(),
            NetworkConnect {
                process: n.process.clone(),
                pid: n.pid,
                image: WinPath::new(""),
                initiated: n.initiated,
                protocol: n.protocol.take(),
                destination_ip: n.destination_ip,
                destination_port: n.destination_port,
                destination_host: n.destination_host.take(),
            },
        ))
    }

    fn find(p: &Probe<'_>, held: &Store<ProcessKey, NetworkConnect>) -> Vec<NetEvidence> {
        let t = p.t;
        held.get(&p.load.process)
            .iter()
            .filter(|n| n.time >= t && n.time - t <= p.window_ms)
            .filter_map(|n| outbound(n, t))
            .collect()
    }

    fn when(e: &NetEvidence) -> (Timestamp, &Provenance) {
        (e.time, &e.provenance)
    }

    fn same(n: &NetEvidence) -> Self::Same {
        (n.time, n.destination_ip, n.destination_port)
    }

    /// The first connection in words; 10 points when one went to a public address.
    fn score(items: &[NetEvidence], _: &Alert, out: &mut Points) {
        let Some(n) = items.first() else {
            return;
        };
        let port = port(n);
        out.reasons.push(format!(
            "(c) The loading process connected out to {}{port} ({}) {} the load.",
            n.destination_ip,
            n.destination_class.as_str(),
            ago(n.delta_seconds)
        ));
        if items
            .iter()
            .any(|n| n.destination_class == DestinationClass::Public)
        {
            out.points += 10;
        }
    }

    fn timeline(n: &NetEvidence, out: &mut Vec<TimelineEntry>) {
        let port = port(n);
        out.push(TimelineEntry {
            time: n.time,
            role: Self::INFO.name,
            summary: format!(
                "connected to {}{port} ({})",
                n.destination_ip,
                n.destination_class.as_str()
            ),
            provenance: n.provenance.clone(),
        });
    }

    fn coverage(c: &HostCoverage) -> Option<Verdict> {
        Some(if c.network == 0 {
            Verdict::blind("no network connection events (Sysmon 3)")
        } else if c.network_with_initiated == 0 {
            Verdict::partial("connections do not say who initiated them (Initiated missing)")
        } else if c.events_with_stable_process_id == 0 {
            Verdict::partial("no stable process identity (GUID, entity id): the loader is matched on pid and image only")
        } else {
            Verdict::evaluable()
        })
    }
}

/// `:443`, or nothing when the port is not known.
fn port(n: &NetEvidence) -> String {
    n.destination_port
        .map(|p| format!(":{p}"))
        .unwrap_or_default()
}
