//! Property: the same recording in any order within the lateness gives identical alerts.

mod common;

use common::*;
use dllhound_detect::{Config, Correlator};
use dllhound_model::Event;
use proptest::prelude::*;

const P: &str = "{11111111-1111-1111-1111-111111111111}";
const Q: &str = "{22222222-2222-2222-2222-222222222222}";
const R: &str = "{33333333-3333-3333-3333-333333333333}";

/// Two hosts, attack chains for every branch, benign look-alikes and near misses, spread over
/// twenty minutes so that windows open and close and state is evicted along the way.
fn recording() -> Vec<Event> {
    let temp = r"C:\Users\bob\AppData\Local\Temp\a.dll";
    let pd = r"C:\ProgramData\b.dll";
    let sys = r"C:\Windows\System32\c.dll";
    let rd = r"C:\Windows\System32\rundll32.exe";
    let mut v = vec![
        write("h1", 0.0, 1, Q, r"C:\Windows\explorer.exe", temp),
        load("h1", 2.0, 2, P, r"C:\app.exe", temp, "false"),
        load("h1", 2.0, 3, P, r"C:\app.exe", temp, "false"),
        start(
            "h1",
            100.0,
            4,
            R,
            Q,
            rd,
            Some("RUNDLL32.EXE"),
            r"rundll32.exe C:\ProgramData\b.dll,Go",
        ),
        load("h1", 100.02, 5, R, rd, pd, "false"),
        load("h1", 400.0, 6, P, r"C:\app.exe", sys, "false"),
        net("h1", 430.0, 7, P, "8.8.4.4", true),
        net("h1", 431.0, 8, P, "127.0.0.1", true),
        write("h1", 900.0, 9, Q, r"C:\w.exe", temp),
        load("h1", 1200.0, 10, Q, r"C:\other.exe", temp, "false"),
        load("h2", 2.0, 11, P, r"C:\app.exe", temp, "false"),
        net("h2", 3.0, 12, P, "10.0.0.5", true),
    ];
    for i in 0..40u64 {
        v.push(load(
            "h2",
            10.0 + 20.0 * i as f64,
            100 + i,
            P,
            r"C:\app.exe",
            r"C:\Windows\System32\ok.dll",
            "true",
        ));
    }
    v
}

fn alerts_of(events: Vec<Event>) -> Vec<String> {
    let mut c = Correlator::new(Config::default());
    events.into_iter().for_each(|e| c.push(e));
    let out = c.finish();
    assert_eq!(
        out.stats.late_events, 0,
        "the shuffle must stay within the lateness"
    );
    out.alerts
        .iter()
        .map(|a| format!("{} {} {:?} {}", a.id, a.dll, a.branches, a.timeline.len()))
        .collect()
}

/// Reorders events by sorting on (time + jitter) with jitter below the lateness: every event still
/// arrives no later than the lateness behind the newest one of its host.
fn shuffled(mut v: Vec<Event>, jitter: &[u32]) -> Vec<Event> {
    let lateness = Config::default().lateness_ms;
    let mut keyed: Vec<(i64, Event)> = v
        .drain(..)
        .enumerate()
        .map(|(i, e)| {
            (
                e.time.millis() + i64::from(jitter[i % jitter.len()]) % lateness,
                e,
            )
        })
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, e)| e).collect()
}

#[test]
fn the_reference_order_finds_every_chain() {
    // h1: a.dll written then loaded (a); b.dll run by rundll32 (b); c.dll then a public connection (c);
    // a.dll loaded by another process exactly one window after a second write (bounds are inclusive).
    // h2: a.dll then a connection to a private address (c).
    let a = alerts_of(recording());
    assert_eq!(a.len(), 5, "{a:#?}");
}

proptest! {
    #[test]
    fn shuffling_within_the_lateness_changes_nothing(jitter in prop::collection::vec(0u32..300_000, 1..64)) {
        let reference = alerts_of(recording());
        prop_assert_eq!(alerts_of(shuffled(recording(), &jitter)), reference);
    }

    #[test]
    fn reversing_and_rotating_within_ties_changes_nothing(rot in 0usize..52) {
        let mut v = recording();
        let n = v.len();
        v.rotate_left(rot % n);
        v.sort_by_key(|e| e.time); // a stable sort keeps ties in the rotated order
        prop_assert_eq!(alerts_of(v), alerts_of(recording()));
    }
}
