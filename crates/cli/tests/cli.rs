//! The `dllhound` binary as a user runs it: output formats, stdin, exit statuses, hostile fields.

mod fixtures;

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
    // The host as logged (case kept), not lower-cased.
    assert_eq!(a["host"]["name"], "FIN-WS042.corp.example");
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
        summary.contains("120 records seen = 120 decoded + 0 bad; 2 hosts"),
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
fn a_mistyped_path_is_refused_before_any_work() {
    for cmd in ["scan", "coverage", "baseline"] {
        let args: Vec<&str> = match cmd {
            "baseline" => vec![
                "baseline",
                "learn",
                "-o",
                "/dev/null",
                "/nonexistent/x.evtx",
                EXAMPLE,
            ],
            c => vec![c, "/nonexistent/x.evtx", EXAMPLE],
        };
        let out = dllhound(&args, None);
        assert_eq!(out.status.code(), Some(3), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("no such file or folder: /nonexistent/x.evtx"),
            "{cmd}: {err}"
        );
        assert!(
            !err.contains("records seen"),
            "{cmd}: no summary of a run that did not happen: {err}"
        );
        assert!(out.stdout.is_empty(), "{cmd}: nothing written");
    }
}

#[test]
fn a_folder_without_telemetry_is_not_a_clean_scan() {
    let dir = std::env::temp_dir().join(format!("dllhound-cli-empty-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("notes")).unwrap();
    std::fs::write(dir.join("README.md"), "# recordings\n").unwrap();
    std::fs::write(dir.join("MANIFEST.tsv"), "file\tverdict\n").unwrap();
    std::fs::write(dir.join("notes/tuning.yaml"), "entries: []\n").unwrap();
    let d = dir.to_str().unwrap();
    for cmd in ["scan", "coverage"] {
        let out = dllhound(&[cmd, d], None);
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("no telemetry in {d} (3 files looked at: {d}/MANIFEST.tsv, {d}/README.md, {d}/notes/tuning.yaml)")),
            "{cmd}: {err}"
        );
        assert!(
            out.stdout.is_empty(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // A file of another kind (here a JSON object that is no event) is looked at and named too.
    std::fs::write(dir.join("stats.json"), "{\"exit_status\": 0}\n").unwrap();
    let out = dllhound(&["scan", d], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(4 files looked at:"));
    std::fs::remove_dir_all(&dir).ok();
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
fn a_zero_window_is_refused_and_the_windows_in_force_are_printed() {
    for flag in [
        "--window",
        "--window-fresh-write",
        "--window-follow-on",
        "--window-network",
    ] {
        let out = dllhound(&["scan", flag, "0s", EXAMPLE], None);
        assert_eq!(out.status.code(), Some(3), "{flag} 0s");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("a window must be positive"), "{flag}: {err}");
        assert!(out.stdout.is_empty(), "nothing scanned with {flag} 0s");
    }
    let out = dllhound(
        &[
            "scan",
            "--window-network",
            "90s",
            "--lateness",
            "0s",
            EXAMPLE,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dllhound: windows: (a) fresh write 5m, (b) rundll32/regsvr32 5m, (c) outbound network 1m 30s; lateness 0s"),
        "{err}"
    );
    let stats = tmp("windows-stats.json", "");
    let out = dllhound(
        &[
            "scan",
            "--window",
            "2m",
            "--stats-json",
            stats.to_str().unwrap(),
            EXAMPLE,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(doc["windows"]["by_branch_seconds"]["fresh_write"], 120.0);
    assert_eq!(
        doc["windows"]["by_branch_seconds"]["outbound_network"],
        120.0
    );
    assert_eq!(doc["windows"]["lateness_seconds"], 300.0);
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
    let dll = r#"C:\\Users\\x\\AppData\\Local\\Temp\\\u001b[2Jevil\u202elld.exe"#;
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
    assert!(
        !text.contains('\u{202e}'),
        "a raw right-to-left override reached the terminal"
    );
    assert!(text.contains(r"\x1b[2Jevil\u{202e}lld.exe"), "{text}");
}

#[test]
fn csv_output_defuses_every_formula_prefix() {
    let line = |eid: u32, g: u32, t: &str, extra: &str| {
        format!(
            r#"{{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":{eid},"Hostname":"h","UtcTime":"2026-01-01 00:00:{t}","ProcessGuid":"{{aaaaaaaa-0000-0000-0000-00000000000{g}}}",{extra}}}"#
        )
    };
    let prefixes = ["+", "-", "@", "\\t", "\\r", "="];
    let mut lines = Vec::new();
    for (g, p) in prefixes.iter().enumerate() {
        let dll = format!(r#"C:\\Users\\x\\AppData\\Local\\Temp\\e{g}.dll"#);
        let cl = format!(r#"{p}cmd|' /C calc'!A{g} C:\\Users\\x\\AppData\\Local\\Temp\\e{g}.dll"#);
        let rd = r#""Image":"C:\\Windows\\System32\\rundll32.exe""#;
        lines.push(line(
            1,
            g as u32,
            "01.000",
            &format!(r#"{rd},"CommandLine":"{cl}""#),
        ));
        lines.push(line(
            7,
            g as u32,
            "02.000",
            &format!(r#"{rd},"ImageLoaded":"{dll}","Signed":"false""#),
        ));
    }
    let p = tmp("formulas.jsonl", &lines.join("\n"));
    let out = dllhound(&["scan", "--output-format", "csv", s(&p)], None);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let col = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "process.command_line")
        .unwrap();
    let cells: Vec<String> = r
        .records()
        .map(|rec| rec.unwrap()[col].to_string())
        .collect();
    assert_eq!(cells.len(), 6, "{text}");
    for c in &cells {
        let live = matches!(c.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'));
        assert!(!live, "a formula cell left live: {c:?}");
    }
    // Decoders trim surrounding whitespace, so the tab and CR prefixes may already be gone.
    assert!(
        cells.iter().filter(|c| c.starts_with('\'')).count() >= 4,
        "{cells:#?}"
    );
}

#[test]
fn csv_tells_alerts_signals_and_suppressed_apart_and_carries_the_pivots() {
    let kinds = tmp("kinds.jsonl", &fixtures::kinds::recording());
    let out = dllhound(
        &[
            "scan",
            "--signals",
            "--show-suppressed",
            "--output-format",
            "csv",
            EXAMPLE,
            s(&kinds),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<std::collections::HashMap<String, String>> = r
        .records()
        .map(|rec| {
            head.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect();
    let kind = |k: &str| rows.iter().filter(|r| r["event.kind"] == k).count();
    assert_eq!(
        (kind("alert"), kind("signal"), kind("suppressed")),
        (2, 2, 1),
        "{text}"
    );
    let ngen = rows
        .iter()
        .find(|r| r["dll.path"] == fixtures::kinds::NGEN)
        .unwrap();
    assert_eq!(ngen["event.kind"], "suppressed");
    assert_eq!(
        ngen["suppressed_by"],
        "default_tuning:dotnet-ngen-native-images"
    );
    let lonely = rows
        .iter()
        .find(|r| r["dll.path"] == fixtures::kinds::LONELY)
        .unwrap();
    assert_eq!(
        (
            lonely["event.kind"].as_str(),
            lonely["suppressed_by"].as_str()
        ),
        ("signal", "")
    );
    // The example's first alert, with what an analyst pivots on.
    let a = rows
        .iter()
        .find(|r| r["id"] == "eb533869c0f580df6aa0d7563f395013")
        .unwrap();
    assert_eq!(a["event.kind"], "alert");
    assert_eq!(a["user.name"], r"CORP\alice");
    assert_eq!(
        a["process.parent.executable"],
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"
    );
    assert_eq!(
        a["writer"],
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"
    );
    assert_eq!(
        a["destination"],
        "203.0.113.45:443 (cdn-update.example.net)"
    );
    assert_eq!(a["dll.hash.sha256"].len(), 64);
    assert_eq!(a["dll.signature.state"], "unsigned");
    assert!(head.contains(&"dll.signature.subject".to_string()));
    assert!(a["source.file"].ends_with("attack-chain.jsonl"));
    assert_eq!(a["source.line"], "20");
    assert_eq!(a["incident.id"].len(), 32);
}

#[test]
fn csv_output_defuses_formulas() {
    let p = hostile();
    let out = dllhound(&["scan", "--output-format", "csv", s(&p)], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("id,event.kind,suppressed_by,@timestamp,host.name"),
        "{text}"
    );
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

#[test]
fn tuning_show_prints_an_allowlist_that_scan_accepts() {
    let out = dllhound(&["tuning", "show"], None);
    assert_eq!(out.status.code(), Some(0));
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(yaml.contains("id: dotnet-ngen-native-images"));
    let p = tmp("default-as-allowlist.yaml", &yaml);
    let scan = dllhound(
        &["scan", "--no-default-tuning", "--allowlist", s(&p), EXAMPLE],
        None,
    );
    assert_eq!(
        scan.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    assert_eq!(ndjson(&scan).len(), 2);
}

#[test]
fn an_allowlist_entry_naming_the_hash_suppresses_and_is_counted() {
    let yaml = "- id: lab-test-dll\n  reason: our red-team exercise\n  sha256: ['7D3C2F0E9A61B4C8D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F708192A3B4C']\n";
    let p = tmp("hash.yaml", yaml);
    let out = dllhound(
        &["scan", "--allowlist", s(&p), "--show-suppressed", EXAMPLE],
        None,
    );
    let records = ndjson(&out);
    let kinds: Vec<&str> = records
        .iter()
        .map(|a| a["event"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["alert", "suppressed"],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(records[1]["suppressed_by"]["id"], "lab-test-dll");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(": 2 suppressed (default tuning 0, allowlist 2, baseline 0)"),
        "{err}"
    );
}

#[test]
fn a_path_only_entry_does_not_hide_an_unsigned_dll() {
    let yaml =
        "- id: temp\n  reason: too broad\n  dll_path: ['C:\\Users\\*\\AppData\\Local\\Temp\\**']\n";
    let p = tmp("path-only.yaml", yaml);
    assert_eq!(
        ndjson(&dllhound(&["scan", "--allowlist", s(&p), EXAMPLE], None)).len(),
        2
    );
}

#[test]
fn expired_allowlist_entries_are_reported_and_ignored() {
    let yaml = "- id: old\n  reason: r\n  sha256: ['7d3c2f0e9a61b4c8d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c']\n  expires: 2020-01-31\n";
    let p = tmp("expired.yaml", yaml);
    let out = dllhound(&["scan", "--allowlist", s(&p), EXAMPLE], None);
    assert_eq!(ndjson(&out).len(), 2);
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("allowlist:old expired on 2020-01-31: ignored"));
}

#[test]
fn a_bad_allowlist_is_a_usage_error_that_says_where() {
    let p = tmp("bad.yaml", "- id: x\n  loader: ['a.exe']\n");
    let out = dllhound(&["scan", "--allowlist", s(&p), EXAMPLE], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("bad.yaml: entry 1 (x): every entry needs a reason"));
}

#[test]
fn a_learned_baseline_suppresses_common_patterns_but_not_unsigned_ones_by_default() {
    let b = std::env::temp_dir().join(format!("dllhound-baseline-{}.json", std::process::id()));
    let learn = dllhound(&["baseline", "learn", EXAMPLE, "-o", s(&b)], None);
    assert_eq!(
        learn.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&learn.stderr)
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&b).unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    assert!(json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["dll"] == r"c:\users\<user>\appdata\local\temp\msoupd.dll"));

    let strict = dllhound(
        &[
            "scan",
            "--baseline",
            s(&b),
            "--baseline-min-hosts",
            "1",
            EXAMPLE,
        ],
        None,
    );
    assert_eq!(
        ndjson(&strict).len(),
        2,
        "unsigned DLLs are never baselined away by default"
    );
    let loose = dllhound(
        &[
            "scan",
            "--baseline",
            s(&b),
            "--baseline-min-hosts",
            "1",
            "--baseline-unsigned",
            EXAMPLE,
        ],
        None,
    );
    assert_eq!(ndjson(&loose).len(), 0);
    assert!(String::from_utf8_lossy(&loose.stderr).contains("baseline 4)"));
    let default_thresholds = dllhound(
        &["scan", "--baseline", s(&b), "--baseline-unsigned", EXAMPLE],
        None,
    );
    assert_eq!(
        ndjson(&default_thresholds).len(),
        2,
        "one host and one day are below the default thresholds"
    );
}

#[test]
fn coverage_reports_every_part_in_three_formats() {
    let json = dllhound(&["coverage", "--output-format", "json", EXAMPLE], None);
    assert_eq!(json.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let hosts = v["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 2);
    for part in [
        "trigger_by_path",
        "trigger_by_signature",
        "fresh_write",
        "follow_on_exec",
        "outbound_network",
    ] {
        assert_eq!(hosts[1]["verdicts"][part]["verdict"], "evaluable", "{part}");
    }
    let md = String::from_utf8(
        dllhound(&["coverage", "--output-format", "markdown", EXAMPLE], None).stdout,
    )
    .unwrap();
    assert!(md.contains("| FIN-WS042.corp.example | AN0052 can fire here | evaluable | evaluable | evaluable | evaluable | evaluable |"), "{md}");
    assert_eq!(hosts[1]["headline"]["verdict"], "can_fire");
    assert_eq!(v["summary"]["can_fire"], 2);
    let table = String::from_utf8(dllhound(&["coverage", EXAMPLE], None).stdout).unwrap();
    assert!(
        table.starts_with("2 hosts: AN0052 can fire on 2, partly on 0, not at all on 0\n"),
        "the fleet summary comes first: {table}"
    );
    assert!(table.contains("HOST FIN-WS017.corp.example: AN0052 can fire here"));
}

#[test]
fn a_host_keeps_its_logged_case_and_its_short_name_is_the_same_host() {
    use fixtures::sysmon::{at, rec};
    let load = |host: &str, secs: u32| {
        rec(
            host,
            7,
            &at(secs),
            &[
                ("ProcessGuid", "{a1000000-0000-0000-0000-000000000001}"),
                ("ProcessId", "10"),
                ("Image", r"C:\Windows\System32\svchost.exe"),
                ("ImageLoaded", r"C:\Windows\System32\crypt32.dll"),
                ("Signed", "true"),
                ("SignatureStatus", "Valid"),
            ],
        )
    };
    let fqdn = tmp("case-fqdn.jsonl", &load("WORKSTATION5.theshire.local", 1));
    let short = tmp(
        "case-short.jsonl",
        &(load("workstation5", 2) + &load("Workstation5", 3)),
    );
    let out = dllhound(
        &["coverage", "--output-format", "json", s(&fqdn), s(&short)],
        None,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hosts = v["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1, "one host in three spellings: {v:#}");
    assert_eq!(hosts[0]["host"], "WORKSTATION5.theshire.local");
}

#[test]
fn coverage_calls_a_recording_without_image_loads_blind() {
    let text: String = std::fs::read_to_string(EXAMPLE)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"EventID\":7,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let p = tmp("no-eid7.jsonl", &text);
    let v: Value = serde_json::from_slice(
        &dllhound(&["coverage", "--output-format", "json", s(&p)], None).stdout,
    )
    .unwrap();
    for h in v["hosts"].as_array().unwrap() {
        assert_eq!(h["verdicts"]["trigger_by_path"]["verdict"], "blind");
        assert_eq!(h["verdicts"]["trigger_by_signature"]["verdict"], "blind");
        assert_eq!(h["headline"]["text"], "cannot fire: no image loads");
    }
    assert_eq!(v["summary"]["cannot_fire"], 2);
}

/// The table: wrapped at the width with continuations indented, labelled fields that name the
/// signer and the user, colour only when asked for or on a terminal.
#[test]
fn the_table_wraps_at_the_width_labels_its_fields_and_colours_only_when_asked() {
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_dllhound"));
        c.args(["scan", "-q", "--output-format", "table", EXAMPLE])
            .args(args);
        c.env_remove("NO_COLOR").env_remove("COLUMNS");
        for (k, v) in env {
            c.env(k, v);
        }
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    let narrow = run(&[("COLUMNS", "72")], &[]);
    assert!(!narrow.contains('\x1b'), "no colour into a pipe");
    assert!(narrow.lines().all(|l| l.chars().count() <= 72), "{narrow}");
    for label in [
        "  user        CORP\\alice",
        "  signer      unsigned",
        "  entity id   {",
        "  path class  temp, user_writable",
        "  branches    (a) fresh write, (b) rundll32/regsvr32, (c) outbound\n              network",
    ] {
        assert!(narrow.contains(label), "{label:?} in:\n{narrow}");
    }
    // A reason longer than the line continues under its text, not at the margin.
    let why = narrow
        .lines()
        .skip_while(|l| !l.starts_with("  why "))
        .nth(1)
        .unwrap();
    assert!(why.starts_with(&" ".repeat(16)), "{why:?}");
    assert!(run(&[], &["--color", "always"]).contains("\x1b["));
    assert!(!run(&[], &["--color", "always", "--no-color"]).contains('\x1b'));
}

/// On a terminal the table is coloured, unless NO_COLOR is set (no-color.org).
#[test]
#[ignore = "needs script(1) from util-linux for a pseudo-terminal"]
fn on_a_terminal_colour_follows_no_color() {
    let on_tty = |no_color: bool| {
        let cmd = format!("{} scan -q {EXAMPLE}", env!("CARGO_BIN_EXE_dllhound"));
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"])
            .env_remove("NO_COLOR")
            .env("TERM", "xterm");
        if no_color {
            c.env("NO_COLOR", "1");
        }
        let o = c.output().expect("script(1) runs");
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let coloured = on_tty(false);
    assert!(
        coloured.contains("ALERT"),
        "the table is the default on a terminal: {coloured}"
    );
    assert!(coloured.contains("\x1b["), "{coloured:?}");
    assert!(!on_tty(true).contains("\x1b[1m"), "NO_COLOR");
}
