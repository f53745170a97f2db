//! Properties that must hold whatever the input looks like (the hostile-input issue's invariants),
//! checked on simulated fleets with planted chains:
//! * splitting one input across several files — any record to any file — changes nothing in `scan`;
//! * splitting it into consecutive pieces changes nothing in the streaming scan either;
//! * alert ids and contents are the same across runs and thread counts.

use dllhound_detect::{Alert, Config};
use dllhound_engine::{scan, scan_streaming, ScanOutput};
use dllhound_ingest::{Input, ReadOptions};
use dllhound_simulate::{generate, SimConfig};
use proptest::prelude::*;
use std::path::PathBuf;

fn recording(seed: u64) -> Vec<String> {
    let cfg = SimConfig {
        seed,
        hosts: 3,
        events: 1_500,
        attacks: 6,
        span_ms: 40 * 60 * 1000,
        ..SimConfig::default()
    };
    let mut bytes = Vec::new();
    let (_, truth) = generate(&cfg, &mut bytes).unwrap();
    assert_eq!(truth.len(), 6);
    String::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_files(tag: &str, files: &[Vec<&String>]) -> Vec<Input> {
    let dir = std::env::temp_dir().join(format!("dllhound-inv-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    files
        .iter()
        .enumerate()
        .map(|(i, lines)| {
            let p: PathBuf = dir.join(format!("part{i}.jsonl"));
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            std::fs::write(&p, text).unwrap();
            Input::Path(p)
        })
        .collect()
}

/// What an alert says, without where its records sat (file names and lines differ by design).
fn findings(out: &ScanOutput) -> Vec<String> {
    let f = |a: &Alert| {
        format!(
            "{} {} {} {} {:?} {} {} w{} e{} n{}",
            a.id,
            a.time,
            a.host,
            a.dll.original(),
            a.branches,
            a.severity.as_str(),
            a.score,
            a.evidence.fresh_write.len(),
            a.evidence.follow_on_exec.len(),
            a.evidence.outbound_network.len(),
        )
    };
    out.outcome.alerts.iter().map(f).collect()
}

fn run(inputs: &[Input], streaming: bool, threads: usize) -> ScanOutput {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let cfg = Config::default();
    let opts = ReadOptions::default();
    pool.install(|| {
        if streaming {
            scan_streaming(inputs, &opts, &cfg)
        } else {
            scan(inputs, &opts, &cfg)
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn any_split_across_files_gives_the_same_alerts(
        seed in 0u64..1_000,
        picks in prop::collection::vec(0usize..4, 2_000),
    ) {
        let lines = recording(seed);
        let whole = write_files(&format!("w{seed}"), &[lines.iter().collect()]);
        let reference = run(&whole, false, 2);
        prop_assert!(!reference.outcome.alerts.is_empty());

        let mut parts: Vec<Vec<&String>> = vec![Vec::new(); 4];
        for (i, l) in lines.iter().enumerate() {
            parts[picks[i % picks.len()]].push(l);
        }
        let split = write_files(&format!("s{seed}"), &parts);
        let got = run(&split, false, 2);
        prop_assert_eq!(findings(&got), findings(&reference));
        let records = |o: &ScanOutput| o.inputs.iter().map(|i| i.records_ok).sum::<u64>();
        prop_assert_eq!(records(&got), records(&reference));
    }

    #[test]
    fn consecutive_pieces_stream_to_the_same_alerts(
        seed in 0u64..1_000,
        cuts in prop::collection::btree_set(1usize..1_500, 1..4),
    ) {
        let lines = recording(seed);
        let whole = write_files(&format!("cw{seed}"), &[lines.iter().collect()]);
        let reference = run(&whole, false, 2);
        let mut pieces = Vec::new();
        let mut from = 0;
        for c in cuts.into_iter().chain([lines.len()]) {
            let c = c.min(lines.len());
            pieces.push(lines[from..c].iter().collect::<Vec<_>>());
            from = c;
        }
        let split = write_files(&format!("c{seed}"), &pieces);
        let streamed = run(&split, true, 2);
        prop_assert_eq!(findings(&streamed), findings(&reference));
    }
}

#[test]
fn ids_and_alerts_are_the_same_across_runs_and_thread_counts() {
    let lines = recording(11);
    let input = write_files("ids", &[lines.iter().collect()]);
    let full = |o: &ScanOutput| {
        o.outcome
            .alerts
            .iter()
            .map(|a| format!("{a:?}"))
            .collect::<Vec<_>>()
    };
    let first = run(&input, false, 1);
    assert!(!first.outcome.alerts.is_empty());
    for (streaming, threads) in [(false, 1), (false, 2), (false, 3), (true, 1), (true, 2)] {
        let again = run(&input, streaming, threads);
        assert_eq!(
            full(&again),
            full(&first),
            "streaming {streaming}, {threads} threads"
        );
    }
}
