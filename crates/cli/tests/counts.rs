//! One counting vocabulary: trigger *loads* are split into parts that add up (suppressed, a
//! child's own executable, corroborated, uncorroborated), *findings* (alerts, signals, suppressed
//! findings: one per loading process and DLL) are counted apart; a baseline never changes the
//! number of trigger loads; a trigger's score does not depend on its fate; clock outliers can be
//! named with their records.

mod fixtures;

use fixtures::EXAMPLE;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Output;

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("dllhound-counts-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    let o = fixtures::dllhound(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// `--stats-json` of a scan of `inputs` with `extra` options.
fn stats(inputs: &[&str], extra: &[&str], name: &str) -> Value {
    let p = dir().join(format!("{name}.json"));
    let mut args = vec![
        "scan",
        "-q",
        "-o",
        "/dev/null",
        "--stats-json",
        p.to_str().unwrap(),
    ];
    args.extend(extra);
    args.extend(inputs);
    run(&args);
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

/// The parts of `detection.trigger_loads` add up to its total.
fn assert_adds_up(doc: &Value) -> u64 {
    let l = &doc["detection"]["trigger_loads"];
    let n = |k: &str| l[k].as_u64().unwrap_or_else(|| panic!("{k} in {l}"));
    assert_eq!(
        n("total"),
        n("suppressed") + n("child_image") + n("corroborated") + n("uncorroborated"),
        "{l}"
    );
    let by: u64 = l["suppressed_by"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by, n("suppressed"), "{l}");
    n("total")
}

/// The kinds recording in a file of the calling test's own: the tests run in parallel, and one
/// rewriting a shared file (truncate, then write) let another scan it empty.
fn kinds_file(test: &str) -> String {
    let p = dir().join(format!("kinds-{test}.jsonl"));
    std::fs::write(&p, fixtures::kinds::recording()).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn trigger_loads_add_up_and_findings_are_counted_apart() {
    let kinds = kinds_file("add-up");
    let doc = stats(
        &[EXAMPLE, &kinds],
        &["--signals", "--show-suppressed"],
        "kinds",
    );
    let total = assert_adds_up(&doc);
    let l = &doc["detection"]["trigger_loads"];
    assert_eq!(l["suppressed"], 1, "the NGEN image: {l}");
    assert_eq!(l["corroborated"], 3, "{l}");
    let f = &doc["detection"]["findings"];
    assert_eq!(
        f["alerts"], 2,
        "the example's three corroborated loads are two alerts: {f}"
    );
    assert_eq!(f["suppressed_listed"], 1);
    assert!(f["signals_listed"].as_u64().unwrap() >= 1);
    // The words on stderr are the same numbers.
    let o = run(&[
        "scan",
        "-o",
        "/dev/null",
        "--signals",
        "--show-suppressed",
        EXAMPLE,
        &kinds,
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "{total} trigger loads: 1 suppressed (default tuning 1, allowlist 0, baseline 0)"
        )),
        "{err}"
    );
    assert!(
        err.contains("2 alerts (from the 3 corroborated loads; one per loading process and DLL)"),
        "{err}"
    );
    assert!(
        err.contains("1 suppressed findings (from the 1 suppressed)"),
        "{err}"
    );
}

#[test]
fn a_baseline_suppresses_but_never_changes_the_number_of_trigger_loads() {
    let kinds = kinds_file("baseline");
    let baseline = dir().join("baseline.json");
    let o = run(&[
        "baseline",
        "learn",
        EXAMPLE,
        &kinds,
        "-o",
        baseline.to_str().unwrap(),
    ]);
    let learned = String::from_utf8_lossy(&o.stderr).into_owned();
    let without = stats(&[EXAMPLE, &kinds], &[], "without");
    // Everything in the baseline is "common" with thresholds of one host and one day.
    let with = stats(
        &[EXAMPLE, &kinds],
        &[
            "--baseline",
            baseline.to_str().unwrap(),
            "--baseline-min-hosts",
            "1",
            "--baseline-min-days",
            "1",
            "--baseline-unsigned",
        ],
        "with",
    );
    let total = assert_adds_up(&without);
    assert_eq!(assert_adds_up(&with), total);
    assert!(
        with["detection"]["trigger_loads"]["suppressed_by"]["baseline"]
            .as_u64()
            .unwrap()
            > 0,
        "{with}"
    );
    assert!(
        learned.contains(&format!("from {total} trigger loads")),
        "learn and scan count alike: {learned}"
    );
}

/// Score and severity by alert id, for each kind.
fn scores(o: &Output) -> HashMap<String, (u64, String, String)> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                (
                    v["risk_score"].as_u64().unwrap(),
                    v["event"]["severity"].as_str().unwrap().to_string(),
                    v["event"]["kind"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn a_suppressed_trigger_scores_what_it_scores_unsuppressed() {
    let kinds = kinds_file("scores");
    let fates = scores(&run(&[
        "scan",
        "--show-suppressed",
        "--output-format",
        "ndjson",
        &kinds,
    ]));
    let free = scores(&run(&[
        "scan",
        "--no-default-tuning",
        "--signals",
        "--output-format",
        "ndjson",
        &kinds,
    ]));
    let suppressed: Vec<_> = fates.iter().filter(|(_, v)| v.2 == "suppressed").collect();
    assert_eq!(suppressed.len(), 1, "{fates:?}");
    for (id, (score, sev, _)) in suppressed {
        let (s2, sev2, kind2) = &free[id];
        assert_eq!((score, sev), (s2, sev2), "{id} suppressed vs {kind2}");
    }
}

#[test]
fn verbose_names_each_clock_outlier_with_its_record() {
    // The example, then one record of its host dated 2099 that nothing confirms.
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    let first = text.lines().next().unwrap();
    let forged = first
        .replace("2026-11-20 09:15:34.049", "2099-01-01 00:00:00.000")
        .replace("2026-11-20T09:15:34.049Z", "2099-01-01T00:00:00.000Z");
    let p = dir().join("outlier.jsonl");
    std::fs::write(&p, format!("{text}{forged}\n")).unwrap();
    let line = text.lines().count() + 1;
    let o = run(&["scan", "-o", "/dev/null", "-v", p.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("1 far-future or far-past events did not move their host's clock"),
        "{err}"
    );
    assert!(
        err.contains(&format!("far from its host's clock: FIN-WS017.corp.example 2099-01-01T00:00:00.000Z <{}:{line}>", p.display())),
        "{err}"
    );
    let quiet = run(&["scan", "-o", "/dev/null", p.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&quiet.stderr).contains("(--verbose lists them)"));
    let doc = stats(&[p.to_str().unwrap()], &[], "outlier");
    assert_eq!(
        doc["state"]["clock_outlier_records"][0]["provenance"]["line"],
        line as u64
    );
}

/// On the shared recordings: the parts add up, and every suppressed finding scores what it scores
/// without the tuning.
#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings)"]
fn on_the_real_recordings_counts_add_up_and_scores_do_not_depend_on_fate() {
    let Some(root) = std::env::var_os("DLLHOUND_REAL_DATA") else {
        panic!("DLLHOUND_REAL_DATA is not set: this test needs the shared recordings");
    };
    let root = root.to_str().unwrap().to_string();
    let doc = stats(&[&root], &["--show-suppressed", "--signals"], "real");
    assert_adds_up(&doc);
    let fates = scores(&run(&[
        "scan",
        "-q",
        "--show-suppressed",
        "--output-format",
        "ndjson",
        &root,
    ]));
    let free = scores(&run(&[
        "scan",
        "-q",
        "--no-default-tuning",
        "--signals",
        "--output-format",
        "ndjson",
        &root,
    ]));
    let mut compared = 0;
    for (id, (score, sev, kind)) in &fates {
        if kind != "suppressed" {
            continue;
        }
        if let Some((s2, sev2, _)) = free.get(id) {
            assert_eq!((score, sev), (s2, sev2), "{id}");
            compared += 1;
        }
    }
    assert!(compared > 100, "{compared} suppressed findings compared");
}
