//! `--min-level`, `--host`, `--from`/`--to` and `--jsonl`: they choose what is written, never what
//! is detected, and the summary says how much they left out.

use serde_json::Value;
use std::process::{Command, Output};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/attack-chain.jsonl"
);

fn scan(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dllhound"))
        .args(["scan", "--signals", "--output-format", "ndjson", EXAMPLE])
        .args(extra)
        .output()
        .expect("run dllhound")
}

/// (severity, @timestamp) of each record written.
fn written(o: &Output) -> Vec<(String, String)> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("an NDJSON record");
            (
                v["event"]["severity"].as_str().unwrap_or("").to_string(),
                v["@timestamp"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_example_has_a_critical_a_high_and_a_low_finding() {
    // The premise of the tests below, so a change to the example shows here first.
    let sev: Vec<String> = written(&scan(&[])).into_iter().map(|(s, _)| s).collect();
    assert_eq!(sev, ["critical", "high", "low"]);
}

#[test]
fn min_level_keeps_that_severity_and_above_and_the_summary_says_what_was_left_out() {
    let o = scan(&["-m", "high"]);
    assert_eq!(o.status.code(), Some(0));
    let sev: Vec<String> = written(&o).into_iter().map(|(s, _)| s).collect();
    assert_eq!(sev, ["critical", "high"]);
    let e = stderr(&o);
    assert!(
        e.contains("2 alerts (from the 3 corroborated loads; one per loading process and DLL) in 2 incidents"),
        "{e}"
    );
    assert!(
        e.contains("written 2 of 3 findings (--min-level high)"),
        "{e}"
    );
    assert_eq!(written(&scan(&["--min-level", "crit"])).len(), 1);
    assert_eq!(written(&scan(&["--min-level", "informational"])).len(), 3);
}

#[test]
fn host_matches_the_short_name_in_any_case_and_nothing_else() {
    assert_eq!(written(&scan(&["--host", "fin-ws042"])).len(), 3);
    assert_eq!(
        written(&scan(&["--host", "FIN-WS042.corp.example"])).len(),
        3
    );
    let o = scan(&["--host", "fin-ws043"]);
    assert!(written(&o).is_empty());
    assert!(stderr(&o).contains("written 0 of 3 findings (--host fin-ws043)"));
}

#[test]
fn from_and_to_bound_the_first_load_time() {
    let w = written(&scan(&["--from", "2026-11-20T09:15:00Z"]));
    assert_eq!(w.len(), 2);
    assert!(w.iter().all(|(_, t)| t.as_str() >= "2026-11-20T09:15:00"));
    let w = written(&scan(&["--to", "2026-11-20T10:15:00+01:00"]));
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(written(&scan(&["--from", "2026-11-21"])).is_empty());
    let o = scan(&["--from", "not-a-time"]);
    assert_eq!(o.status.code(), Some(3), "a usage error");
    assert!(stderr(&o).contains("RFC 3339"), "{}", stderr(&o));
}

#[test]
fn jsonl_is_ndjson_under_hayabusas_name() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_dllhound"))
            .args(["scan"])
            .args(args)
            .arg(EXAMPLE)
            .output()
            .expect("run dllhound")
    };
    let plain = run(&["--output-format", "ndjson"]);
    for alias in [&["--jsonl"][..], &["--output-format", "jsonl"]] {
        let o = run(alias);
        assert_eq!(o.status.code(), Some(0), "{alias:?}: {}", stderr(&o));
        assert_eq!(written(&o), written(&plain), "{alias:?}");
    }
    let both = run(&["--jsonl", "--output-format", "csv"]);
    assert_eq!(
        both.status.code(),
        Some(3),
        "conflicting formats are a usage error"
    );
}

/// `stream` takes the same filters: what it writes is filtered, what it detected is counted.
#[test]
fn stream_writes_only_what_the_filters_keep_and_counts_the_rest() {
    use std::io::Write;
    let stats = std::env::temp_dir().join(format!(
        "dllhound-stream-filter-{}.json",
        std::process::id()
    ));
    let mut child = Command::new(env!("CARGO_BIN_EXE_dllhound"))
        .args(["stream", "-", "-m", "critical", "--stats-json"])
        .arg(&stats)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(EXAMPLE).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        written(&o).iter().map(|w| w.0.as_str()).collect::<Vec<_>>(),
        ["critical"]
    );
    assert!(
        stderr(&o).contains("1 alerts written, 0 updates, 0 repeats not written again, 1 left out by the filters (--min-level critical)"),
        "{}",
        stderr(&o)
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(doc["detection"]["alerts"], 2, "detected, not written");
    assert_eq!(doc["stream"]["filtered_out"], 1);
    let _ = std::fs::remove_file(&stats);
}

/// Hayabusa's `-d DIR` and `-f FILE` are paths by another name.
#[test]
fn d_and_f_name_a_folder_and_a_file() {
    let dir = std::path::Path::new(EXAMPLE)
        .parent()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_dllhound"))
            .args(["scan", "-q", "--output-format", "ndjson"])
            .args(args)
            .output()
            .expect("run dllhound")
    };
    let by_path = written(&run(&[EXAMPLE]));
    assert_eq!(by_path.len(), 2);
    assert_eq!(written(&run(&["-f", EXAMPLE])), by_path);
    assert_eq!(written(&run(&["-d", &dir])), by_path);
    let none = run(&[]);
    assert_eq!(
        none.status.code(),
        Some(3),
        "no input at all is a usage error"
    );
}
