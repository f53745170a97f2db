//! A simulated fleet: `scan` must find every planted chain, with its branch, and nothing else.

use dllhound_detect::Config;
use dllhound_engine::{scan, scan_streaming};
use dllhound_ingest::{Input, ReadOptions};
use dllhound_simulate::{generate, SimConfig};
use std::collections::BTreeSet;

#[test]
fn scan_finds_every_planted_chain_and_nothing_else() {
    let cfg = SimConfig {
        seed: 7,
        hosts: 12,
        events: 30_000,
        attacks: 12,
        ..SimConfig::default()
    };
    let mut bytes = Vec::new();
    let (stats, truth) = generate(&cfg, &mut bytes).unwrap();
    assert_eq!(truth.len(), 12);
    let path = std::env::temp_dir().join(format!("dllhound-sim-{}.jsonl", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let out = pool.install(|| {
        scan(
            &[Input::Path(path.clone())],
            &ReadOptions::default(),
            &Config::default(),
        )
    });
    assert_eq!(out.inputs[0].records_ok, stats.records);
    assert_eq!(out.inputs[0].records_bad, 0);

    let want: BTreeSet<(String, String, Vec<&str>)> = truth
        .iter()
        .map(|p| (p.host.clone(), p.dll.clone(), vec![p.branch]))
        .collect();
    let got: BTreeSet<(String, String, Vec<&str>)> = out
        .outcome
        .alerts
        .iter()
        .map(|a| {
            (
                a.host.to_string(),
                a.dll.original().to_string(),
                a.branches.clone(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // The look-alikes were there, and tuning is what kept them quiet.
    assert!(
        out.outcome
            .stats
            .suppressed
            .get("default_tuning")
            .copied()
            .unwrap_or(0)
            > 100
    );

    // The bounded-memory path gives the same alerts, ids included.
    let streamed = pool.install(|| {
        scan_streaming(
            &[Input::Path(path.clone())],
            &ReadOptions::default(),
            &Config::default(),
        )
    });
    let ids = |v: &[dllhound_detect::Alert]| v.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&streamed.outcome.alerts), ids(&out.outcome.alerts));
    assert_eq!(streamed.outcome.stats.late_events, 0);
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let cfg = SimConfig {
        hosts: 3,
        events: 2_000,
        attacks: 3,
        ..SimConfig::default()
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    generate(&cfg, &mut a).unwrap();
    generate(&cfg, &mut b).unwrap();
    assert_eq!(a, b);
    let mut c = Vec::new();
    generate(&SimConfig { seed: 8, ..cfg }, &mut c).unwrap();
    assert_ne!(a, c);
}
