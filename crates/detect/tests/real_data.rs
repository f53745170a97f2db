//! Golden tests on the real recordings in `$DLLHOUND_REAL_DATA` (`../shared/data` in CI).
//!
//! Per file: the records decoded and the events per kind must equal the counts in `MANIFEST.tsv`
//! (produced independently with `evtx_dump`), with no bad record; every SHOULD_FIRE file in
//! `expected.tsv` must alert on the listed DLL with at least the listed branches. The tests are
//! `#[ignore]`d, so `cargo test` on the project alone lists them as ignored with the reason;
//! `.ci/run` runs them with `--include-ignored`, where a missing variable fails.

use dllhound_detect::Config;
use dllhound_engine::scan;
use dllhound_ingest::{expand_inputs, Input, ReadOptions};
use std::collections::HashMap;
use std::path::PathBuf;

mod common;
use common::data_dir;

fn tsv(path: PathBuf) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &HashMap<String, String>, col: &str) -> u64 {
    row.get(col)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// `15:3;10:1` → 3 for id 15.
fn other_count(cell: &str, id: &str) -> u64 {
    cell.split(';')
        .filter_map(|kv| kv.split_once(':'))
        .filter(|(k, _)| *k == id)
        .map(|(_, v)| v.parse().unwrap_or(0))
        .sum()
}

/// `2 [Security/4985=2;security/4688=5]` → 5 for 4688.
fn channel_count(cell: &str, id: &str) -> u64 {
    let inner = cell
        .split_once('[')
        .map(|(_, r)| r.trim_end_matches(']'))
        .unwrap_or("");
    inner
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| k.to_ascii_lowercase() == format!("security/{id}"))
        .map(|(_, v)| v.parse().unwrap_or(0))
        .sum()
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings; .ci/run sets it)"]
fn every_recording_decodes_to_the_manifest_counts() {
    let dir = data_dir();
    let rows = tsv(dir.join("MANIFEST.tsv"));
    assert!(rows.len() >= 70, "MANIFEST.tsv lists {} files", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let path = dir.join(&row["local_path"]);
        let out = scan(
            &[Input::Path(path.clone())],
            &ReadOptions::default(),
            &Config::default(),
        );
        let st = &out.inputs[0];
        let ev = |k: &str| st.events.get(k).copied().unwrap_or(0);
        let want = [
            ("records", num(row, "total_events"), st.records_ok),
            ("bad", 0, st.records_bad + st.input_errors.len() as u64),
            ("image_load", num(row, "sysmon_7"), ev("image_load")),
            ("network", num(row, "sysmon_3"), ev("network")),
            ("dns", num(row, "sysmon_22"), ev("dns")),
            (
                "file_write",
                // Writes, and the deletes and creation-time changes the file history reads.
                num(row, "sysmon_11")
                    + num(row, "sysmon_29")
                    + ["15", "2", "23", "26"]
                        .iter()
                        .map(|id| other_count(&row["sysmon_other"], id))
                        .sum::<u64>(),
                ev("file_write"),
            ),
        ];
        // Sysmon 1 plus Security 4688. The manifest lists per-channel counts, but cuts long lists
        // short with "...": then only bounds are known.
        let ns = &row["non_sysmon"];
        let sysmon_1 = num(row, "sysmon_1");
        let starts = ev("process_start");
        if ns.contains("...") {
            let non_sysmon_total: u64 = ns
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if starts < sysmon_1 + channel_count(ns, "4688") || starts > sysmon_1 + non_sysmon_total
            {
                failures.push(format!(
                    "{}: process_start {starts} outside the manifest's bounds",
                    row["local_path"]
                ));
            }
        } else if starts != sysmon_1 + channel_count(ns, "4688") {
            failures.push(format!(
                "{}: process_start: manifest {}, decoded {starts}",
                row["local_path"],
                sysmon_1 + channel_count(ns, "4688")
            ));
        }
        for (what, expected, got) in want {
            if expected != got {
                failures.push(format!(
                    "{}: {what}: manifest {expected}, decoded {got}",
                    row["local_path"]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings; .ci/run sets it)"]
fn every_should_fire_recording_alerts_on_its_dll_with_its_branches() {
    let dir = data_dir();
    let rows = tsv(dir.join("expected.tsv"));
    let fire: Vec<_> = rows
        .iter()
        .filter(|r| r["judgement"] == "SHOULD_FIRE")
        .collect();
    assert_eq!(fire.len(), 14);
    let mut failures = Vec::new();
    for row in fire {
        let out = scan(
            &[Input::Path(dir.join(&row["file"]))],
            &ReadOptions::default(),
            &Config::default(),
        );
        let want: Vec<&str> = row["branches"]
            .split(',')
            .map(|b| match b.trim() {
                "a" => "fresh_write",
                "b" => "follow_on_exec",
                "c" => "outbound_network",
                other => panic!("unknown branch {other}"),
            })
            .collect();
        let hit = out.outcome.alerts.iter().any(|a| {
            a.dll.original().eq_ignore_ascii_case(&row["dll_path"])
                && want.iter().all(|w| a.branches.contains(w))
        });
        if !hit {
            let got: Vec<String> = out
                .outcome
                .alerts
                .iter()
                .map(|a| format!("{} {:?}", a.dll, a.branches))
                .collect();
            failures.push(format!(
                "{}: want {} {:?}, got {got:?}",
                row["file"], row["dll_path"], want
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings; .ci/run sets it)"]
fn scanning_the_whole_folder_equals_scanning_file_by_file() {
    // Hosts recur across files (WORKSTATION5, MKT01, IEWIN7…): one run over everything must find at
    // least every alert the per-file runs find, with the same ids when the evidence is the same file.
    let dir = data_dir();
    let rows = tsv(dir.join("expected.tsv"));
    let (inputs, errors) = expand_inputs(std::slice::from_ref(&dir));
    assert!(
        errors.is_empty() && inputs.len() >= 70,
        "{errors:?}, {} inputs",
        inputs.len()
    );
    let all = scan(&inputs, &ReadOptions::default(), &Config::default());
    assert!(all.inputs.iter().all(|i| i.is_clean()));
    for row in rows.iter().filter(|r| r["judgement"] == "SHOULD_FIRE") {
        let hit = all
            .outcome
            .alerts
            .iter()
            .any(|a| a.dll.original().eq_ignore_ascii_case(&row["dll_path"]));
        assert!(hit, "folder scan lost {}", row["dll_path"]);
    }
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings; .ci/run sets it)"]
fn coverage_verdicts_follow_what_each_recording_holds() {
    // The manifest's independent counts say which telemetry a recording has; coverage must call a
    // part blind exactly when its telemetry is absent.
    let dir = data_dir();
    let rows = tsv(dir.join("MANIFEST.tsv"));
    let mut failures = Vec::new();
    for row in &rows {
        let (_, hosts) = dllhound_engine::coverage(
            &[Input::Path(dir.join(&row["local_path"]))],
            &ReadOptions::default(),
        );
        let writes =
            num(row, "sysmon_11") + num(row, "sysmon_29") + other_count(&row["sysmon_other"], "15");
        let checks = [
            ("trigger_by_path", num(row, "sysmon_7") == 0),
            ("fresh_write", writes == 0),
            ("outbound_network", num(row, "sysmon_3") == 0),
        ];
        for (part, absent) in checks {
            let blind_everywhere = hosts.iter().all(|h| {
                h.verdicts.as_ref().is_some_and(|v| {
                    v.parts()
                        .iter()
                        .any(|(p, x)| *p == part && x.verdict == "blind")
                })
            });
            if absent != blind_everywhere {
                failures.push(format!(
                    "{}: {part}: telemetry absent={absent}, blind={blind_everywhere}",
                    row["local_path"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings; .ci/run sets it)"]
fn no_should_not_fire_recording_alerts_with_default_tuning() {
    let dir = data_dir();
    let rows = tsv(dir.join("expected.tsv"));
    let quiet: Vec<_> = rows
        .iter()
        .filter(|r| r["judgement"] == "SHOULD_NOT_FIRE")
        .collect();
    assert_eq!(quiet.len(), 31);
    let mut failures = Vec::new();
    for row in quiet {
        let out = scan(
            &[Input::Path(dir.join(&row["file"]))],
            &ReadOptions::default(),
            &Config::default(),
        );
        for a in &out.outcome.alerts {
            failures.push(format!("{}: {} {:?}", row["file"], a.dll, a.branches));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
