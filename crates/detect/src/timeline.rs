//! The alert's timeline: every event it rests on, in time order, each pointing back to its record.

use crate::alert::{Alert, TimelineEntry};
use crate::state::Held;
use dllhound_model::{ProcessStart, Provenance, Timestamp};

pub fn build(
    a: &Alert,
    loader: Option<&Held<ProcessStart>>,
    load_prov: &Provenance,
) -> Vec<TimelineEntry> {
    let mut t = Vec::new();
    if let Some(l) = loader.filter(|l| !a.follow_on_exec.iter().any(|e| e.provenance == l.prov)) {
        t.push(TimelineEntry {
            time: Timestamp(l.time),
            role: "loader_start",
            summary: format!(
                "{} started{}",
                l.ev.image,
                l.ev.command_line
                    .as_deref()
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default()
            ),
            provenance: l.prov.clone(),
        });
    }
    let dup = if a.load_count > 1 {
        format!(" ({} load records)", a.load_count)
    } else {
        String::new()
    };
    t.push(TimelineEntry {
        time: a.time,
        role: "load",
        summary: format!(
            "{} loaded {} [{}]{dup}",
            a.executable,
            a.dll,
            a.signature.state.as_str()
        ),
        provenance: load_prov.clone(),
    });
    for w in &a.fresh_write {
        t.push(TimelineEntry {
            time: w.time,
            role: "fresh_write",
            summary: format!("{} wrote {} ({:?})", w.process_executable, w.path, w.how),
            provenance: w.provenance.clone(),
        });
    }
    for r in a.follow_on_exec.iter().filter_map(|e| e.registry.as_ref()) {
        t.push(TimelineEntry {
            time: r.time,
            role: "com_registration",
            summary: format!(
                "{} registered {} as the server of COM class {}",
                r.process_executable, r.server, r.clsid
            ),
            provenance: r.provenance.clone(),
        });
    }
    for e in &a.follow_on_exec {
        t.push(TimelineEntry {
            time: e.time,
            role: "follow_on_exec",
            summary: format!("{} started: {}", e.process_executable, e.command_line),
            provenance: e.provenance.clone(),
        });
    }
    for n in &a.outbound_network {
        let port = n
            .destination_port
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        t.push(TimelineEntry {
            time: n.time,
            role: "outbound_network",
            summary: format!(
                "connected to {}{port} ({})",
                n.destination_ip,
                n.destination_class.as_str()
            ),
            provenance: n.provenance.clone(),
        });
    }
    for d in &a.dns {
        t.push(TimelineEntry {
            time: d.time,
            role: "dns",
            summary: format!("resolved {}", d.query),
            provenance: d.provenance.clone(),
        });
    }
    t.sort_by(|x, y| (x.time, &x.provenance).cmp(&(y.time, &y.provenance)));
    t
}
