//! Loads signed by a separate certificate row (MDE) are decided the same way by a stream member
//! restarted from its committed offset as by one that never stopped, and as by `scan`: a row signs
//! loads for one reach (widest window + lateness) after it was seen, the span the offset tracker
//! replays.

mod common;
use common::*;
use dllhound_detect::{Config, Correlator};
use dllhound_engine::OffsetTracker;
use dllhound_model::Event;
use std::collections::BTreeSet;

const DLL: &str = r"C:\Apps\lib\helper.dll";

/// One partition: a certificate row `cert_before` seconds before the load, a process start a
/// minute apart as the host's heartbeat, the load at 3600 s with a connection out after it.
fn partition(cert_before: f64) -> Vec<Event> {
    let load_at = 3600.0;
    let mut v = Vec::new();
    let mut rec = 0;
    let mut t = 0.0;
    let mut cert_done = false;
    while t <= load_at + 1800.0 {
        if !cert_done && t >= load_at - cert_before {
            rec += 1;
            v.push(unsigned_cert("ws1", load_at - cert_before, rec, "ab12"));
            cert_done = true;
        }
        if t == load_at {
            rec += 1;
            v.push(mde_load("ws1", load_at, rec, "{p1}", DLL, "ab12"));
            rec += 1;
            v.push(net("ws1", load_at + 1.0, rec, "{p1}", "203.0.113.9", true));
        }
        rec += 1;
        v.push(start(
            "ws1",
            t,
            rec,
            &format!("{{hb{rec}}}"),
            "{svc}",
            r"C:\Windows\System32\notepad.exe",
            Some("NOTEPAD.EXE"),
            "notepad",
        ));
        t += 60.0;
    }
    v
}

fn cfg() -> Config {
    Config {
        emit_early: true,
        ..Config::default()
    }
}

/// Alert ids of a member that reads `events` to the end.
fn ids_to_end(events: &[Event]) -> BTreeSet<String> {
    let mut c = Correlator::new(cfg());
    let mut ids = BTreeSet::new();
    for e in events {
        c.push(e.clone());
        ids.extend(c.take_emissions().into_iter().map(|e| e.alert.id));
    }
    ids.extend(c.flush().into_iter().map(|e| e.alert.id));
    ids
}

/// Alert ids when the member crashes after `crash` messages and a new one resumes from the low-water
/// mark the first one would have committed.
fn ids_with_crash(events: &[Event], crash: usize) -> BTreeSet<String> {
    let cfg = cfg();
    let mut tracker = OffsetTracker::new(cfg.lateness_ms, cfg.max_window_ms(), 1 << 20);
    let mut c = Correlator::new(cfg);
    let mut ids = BTreeSet::new();
    let now = events.last().map_or(0, |e| e.time.millis());
    for (off, e) in events[..crash].iter().enumerate() {
        tracker.record(off as i64, Some(e.time.millis()), now);
        c.push(e.clone());
        ids.extend(c.take_emissions().into_iter().map(|e| e.alert.id));
    }
    let resume = tracker.low_water(c.oldest_pending()).max(0) as usize;
    ids.extend(ids_to_end(&events[resume.min(events.len())..]));
    ids
}

#[test]
fn a_certificate_row_within_reach_signs_the_load_and_a_restart_agrees() {
    let events = partition(8.0 * 60.0);
    let full = ids_to_end(&events);
    assert_eq!(full.len(), 1, "the unsigned load, corroborated by (c)");
    for crash in 0..=events.len() {
        assert_eq!(ids_with_crash(&events, crash), full, "crash after {crash}");
    }
}

#[test]
fn a_certificate_row_beyond_reach_signs_nothing_and_a_restart_agrees() {
    // Half an hour before the load: a member restarted just before the load would not re-read it,
    // so no run may use it.
    let events = partition(30.0 * 60.0);
    let full = ids_to_end(&events);
    assert!(full.is_empty(), "{full:?}");
    for crash in 0..=events.len() {
        assert_eq!(ids_with_crash(&events, crash), full, "crash after {crash}");
    }
}
