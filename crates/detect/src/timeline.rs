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
    // The loader's start is not listed twice when it is itself evidence (rundll32 loading its DLL).
    if let Some(l) = loader.filter(|l| !a.evidence.has_record(&l.prov)) {
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
    a.evidence.timeline(&mut t);
    t.sort_by(|x, y| (x.time, &x.provenance).cmp(&(y.time, &y.provenance)));
    t
}
