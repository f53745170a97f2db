//! The `dllhound` binary as a user runs it: output formats, stdin, exit statuses, hostile fields.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/attack-chain.jsonl"
);

fn dllhound(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dllhound"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dllhound");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn ndjson(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dllhound-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_example_chain_gives_two_explained_alerts_in_ndjson() {
    let out = dllhound(&["scan", EXAMPLE], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts = ndjson(&out);
    assert_eq!(alerts.len(), 2);
    let a = &alerts[0];
    assert_eq!(
        a["dll"]["path"],
        r"C:\Users\alice\AppData\Local\Temp\msoupd.dll"
    );
    assert_eq!(
        a["dll"]["path_classes"],
        serde_json::json!(["temp", "user_writable"])
    );
    assert_eq!(a["dll"]["signature"]["state"], "unsigned");
    assert_eq!(
        a["an0052"]["branches"],
        serde_json::json!(["fresh_write", "follow_on_exec", "outbound_network"])
    );
    assert_eq!(a["event"]["severity"], "critical");
    assert_eq!(a["host"]["name"], "fin-ws042.corp.example");
    assert_eq!(
        a["process"]["executable"],
        r"C:\Windows\System32\rundll32.exe"
    );
    assert_eq!(
        a["process"]["parent"]["executable"],
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"
    );
    assert_eq!(a["@timestamp"], "2026-11-20T09:14:10.014Z");
    assert!(a["risk_score"].as_u64().unwrap() <= 100);
    assert!(a["reasons"].as_array().unwrap().len() >= 4);
    assert_eq!(
        a["evidence"]["outbound_network"][0]["destination_ip"],
        "203.0.113.45"
    );
    for t in a["timeline"].as_array().unwrap() {
        assert!(t["provenance"]["file"]
            .as_str()
            .unwrap()
            .ends_with("attack-chain.jsonl"));
        assert!(t["provenance"]["line"].as_u64().is_some());
    }
    let b = &alerts[1];
    assert_eq!(b["dll"]["path"], r"C:\ProgramData\Vendor\version.dll");
    assert_eq!(b["an0052"]["branches"], serde_json::json!(["fresh_write"]));
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("120 records read, 0 bad; 2 hosts"),
        "{summary}"
    );
}

#[test]
fn stdin_gives_the_same_alert_ids_as_the_file() {
    let from_file = ndjson(&dllhound(&["scan", EXAMPLE], None));
    let bytes = std::fs::read(EXAMPLE).unwrap();
    let from_stdin = dllhound(&["scan", "-"], Some(&bytes));
    assert_eq!(from_stdin.status.code(), Some(0));
    let ids = |v: &[Value]| {
        v.iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&ndjson(&from_stdin)), ids(&from_file));
}

#[test]
fn signals_are_opt_in() {
    let out = ndjson(&dllhound(&["scan", "--signals", EXAMPLE], None));
    let kinds: Vec<&str> = out
        .iter()
        .map(|a| a["event"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["alert", "alert", "signal"]);
}

#[test]
fn a_bad_record_is_reported_with_its_location_and_exit_status_2() {
    let good = std::fs::read_to_string(EXAMPLE).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(1, "{\"EventID\": 7, \"Channel\": broken");
    let p = tmp("bad.jsonl", &lines.join("\n"));
    let out = dllhound(&["scan", s(&p)], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl:line 2: invalid JSON"), "{err}");
    assert_eq!(
        ndjson(&out).len(),
        2,
        "the rest of the file is still scanned"
    );
}

#[test]
fn a_missing_input_does_not_stop_the_others() {
    let out = dllhound(&["scan", "/nonexistent/x.evtx", EXAMPLE], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(ndjson(&out).len(), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.evtx"));
}

#[test]
fn usage_errors_exit_3() {
    assert_eq!(
        dllhound(&["scan", "--window", "soon", EXAMPLE], None)
            .status
            .code(),
        Some(3)
    );
    assert_eq!(dllhound(&["scan"], None).status.code(), Some(3));
    assert_eq!(dllhound(&["--version"], None).status.code(), Some(0));
}

#[test]
fn a_narrow_window_drops_the_branch_that_falls_outside_it() {
    let out = ndjson(&dllhound(
        &["scan", "--window-fresh-write", "5s", EXAMPLE],
        None,
    ));
    // version.dll was written 8.2 s before its load: outside 5 s, so only the rundll32 chain remains.
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0]["dll"]["path"],
        r"C:\Users\alice\AppData\Local\Temp\msoupd.dll"
    );
}

/// One chain whose attacker-controlled fields carry a terminal escape and a spreadsheet formula.
fn hostile() -> PathBuf {
    let line = |eid: u32, t: &str, extra: &str| {
        format!(
            r#"{{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":{eid},"Hostname":"h","UtcTime":"2026-01-01 00:00:{t}","ProcessGuid":"{{aaaaaaaa-0000-0000-0000-000000000001}}",{extra}}}"#
        )
    };
    let dll = r#"C:\\Users\\x\\AppData\\Local\\Temp\\\u001b[2Jevil.dll"#;
    let text = [
        line(11, "01.000", &format!(r#""Image":"C:\\w.exe","TargetFilename":"{dll}""#)),
        line(1, "01.500", r#""Image":"C:\\Windows\\System32\\rundll32.exe","CommandLine":"=cmd|' /C calc'!A0""#),
        line(7, "02.000", &format!(r#""Image":"C:\\Windows\\System32\\rundll32.exe","ImageLoaded":"{dll}","Signed":"false""#)),
    ]
    .join("\n");
    tmp("hostile.jsonl", &text)
}

#[test]
fn table_output_escapes_control_characters() {
    let p = hostile();
    let out = dllhound(&["scan", "--output-format", "table", s(&p)], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ALERT"), "{text}");
    assert!(!text.contains('\u{1b}'), "raw ESC reached the terminal");
    assert!(text.contains(r"\x1b[2Jevil.dll"));
}

#[test]
fn csv_output_defuses_formulas() {
    let p = hostile();
    let out = dllhound(&["scan", "--output-format", "csv", s(&p)], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("id,@timestamp,host.name"), "{text}");
    assert!(text.contains("'=cmd|"), "{text}");
    assert!(!text.contains(",=cmd|"));
}

#[test]
fn output_file_option_writes_there() {
    let dest = std::env::temp_dir().join(format!("dllhound-cli-out-{}.ndjson", std::process::id()));
    let out = dllhound(
        &["scan", EXAMPLE, "-o", s(&dest), "--output-format", "ndjson"],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&dest).unwrap().lines().count(), 2);
}
