//! The memory cap (`scan --max-memory`) on a hostile flood: a million-scale stream of distinct
//! processes, DLL paths and hosts inside one minute, with far-future and far-past timestamps, piped
//! from `dllhound simulate --flood` into `dllhound scan -`. Resident memory must stay under the cap,
//! every eviction must be counted, and the one real chain at the end must still alert.

use serde_json::Value;
use std::process::{Command, Stdio};

const MIB: u64 = 1 << 20;

/// Runs `simulate --flood | scan - ARGS --stats-json`, returns (exit code, stats, alerts).
fn flood_scan(events: u64, args: &[&str]) -> (i32, Value, Vec<Value>) {
    let dir = std::env::temp_dir().join(format!("dllhound-memcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stats_path = dir.join(format!("stats-{}.json", args.join("_")));
    let mut sim = Command::new(env!("CARGO_BIN_EXE_dllhound"))
        .args(["simulate", "--flood", "--hosts", "50000", "--events"])
        .arg(events.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let scan = Command::new(env!("CARGO_BIN_EXE_dllhound"))
        .args([
            "scan",
            "-",
            "--output-format",
            "ndjson",
            "-q",
            "--stats-json",
        ])
        .arg(&stats_path)
        .args(args)
        .stdin(sim.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(sim.wait().unwrap().success());
    let stats: Value = serde_json::from_slice(&std::fs::read(&stats_path).unwrap()).unwrap();
    let alerts = String::from_utf8(scan.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (scan.status.code().unwrap_or(-1), stats, alerts)
}

#[test]
fn a_flood_stays_under_the_cap_counts_its_evictions_and_still_finds_the_chain() {
    let events = 400_000;
    let (code, capped, alerts) = flood_scan(events, &["--max-memory", "128MiB"]);
    assert_eq!(code, 0, "{capped:#}");
    assert_eq!(capped["records"]["seen"], events + 2);
    assert_eq!(capped["records"]["bad"], 0);
    let peak = capped["peak_rss_bytes"].as_u64().unwrap();
    assert!(
        peak < 128 * MIB,
        "peak RSS {} MiB over the 128 MiB cap",
        peak / MIB
    );
    let state = &capped["state"];
    assert!(
        state["memory_cap_evictions"].as_u64().unwrap() > 100_000,
        "{state:#}"
    );
    assert!(
        state["triggers_decided_early"].as_u64().unwrap() > 0,
        "{state:#}"
    );
    assert!(state["clock_outliers"].as_u64().unwrap() > 0, "{state:#}");
    // The chain planted after the flood is the newest state, so it survives every eviction.
    let dlls: Vec<&str> = alerts
        .iter()
        .filter_map(|a| a["dll"]["path"].as_str())
        .collect();
    assert_eq!(dlls, [r"C:\Users\victim\AppData\Local\Temp\real\evil.dll"]);

    // Without the cap the same input needs far more: the cap, not the input, bounded it.
    let (code, uncapped, _) = flood_scan(events, &["--max-memory", "none"]);
    assert_eq!(code, 0);
    let peak_uncapped = uncapped["peak_rss_bytes"].as_u64().unwrap();
    assert!(
        peak_uncapped > 2 * peak,
        "{} vs {} MiB",
        peak_uncapped / MIB,
        peak / MIB
    );
    assert_eq!(uncapped["state"]["memory_cap_evictions"], 0);
}
