//! Wrong input gets words that teach: what was found, and what would read it.

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
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
        let _ = child.stdin.take().unwrap().write_all(bytes);
    }
    child.wait_with_output().unwrap()
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dllhound-refusals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Bytes that begin like an EVTX file.
const EVTX_HEAD: &[u8] = b"ElfFile\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

#[test]
fn a_forced_format_says_what_the_input_is_and_which_format_reads_it() {
    let evtx = tmp("log.evtx", EVTX_HEAD);
    let out = dllhound(
        &[
            "scan",
            "--input-format",
            "sysmon-json",
            evtx.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err(&out).contains("this is an EVTX file, which --input-format sysmon-json does not read (use --input-format evtx, or leave it auto)"),
        "{}",
        err(&out)
    );
    let out = dllhound(&["scan", "--input-format", "ecs", EXAMPLE], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err(&out).contains("attack-chain.jsonl:line 1: --input-format ecs does not read this record: it has the shape of sysmon-flat (use --input-format sysmon-json, or leave it auto)"),
        "{}",
        err(&out)
    );
}

#[test]
fn a_text_banner_above_json_lines_is_one_bad_line_not_a_dropped_file() {
    let mut text = b"Exported by LogTool 4.2 on 2026-11-21\n".to_vec();
    text.extend(std::fs::read(EXAMPLE).unwrap());
    let f = tmp("banner.jsonl", &text);
    let out = dllhound(
        &["scan", "--output-format", "ndjson", f.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "the banner is a bad line");
    assert!(
        err(&out).contains("banner.jsonl:line 1: invalid JSON"),
        "{}",
        err(&out)
    );
    assert!(
        err(&out).contains("121 records seen = 120 decoded + 1 bad"),
        "{}",
        err(&out)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        2,
        "the alerts are found"
    );
}

#[test]
fn stream_given_an_evtx_file_points_to_scan() {
    let out = dllhound(&["stream", "-"], Some(EVTX_HEAD));
    assert_eq!(out.status.code(), Some(2));
    let e = err(&out);
    assert!(
        e.contains("this is an EVTX file, not lines of JSON or XML records"),
        "{e}"
    );
    assert!(e.contains("dllhound scan FILE"), "{e}");
    assert!(!e.contains("invalid JSON"), "no line-by-line noise: {e}");
}

#[test]
fn report_refuses_other_outputs_by_name_and_folds_updates_into_their_alert() {
    let stats = tmp("stats.json", b"");
    let alerts = tmp("alerts.ndjson", b"");
    let cov = tmp("coverage.json", b"");
    let out = dllhound(
        &[
            "scan",
            EXAMPLE,
            "-o",
            alerts.to_str().unwrap(),
            "--stats-json",
            stats.to_str().unwrap(),
            "-q",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let o = dllhound(
        &[
            "coverage",
            EXAMPLE,
            "--output-format",
            "json",
            "-o",
            cov.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    let page =
        std::env::temp_dir().join(format!("dllhound-refusals-{}/r.html", std::process::id()));
    let p = page.to_str().unwrap();

    // A stats file given as the alerts: refused by name, nothing written.
    let out = dllhound(&["report", stats.to_str().unwrap(), "-o", p], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        err(&out).contains("is a --stats-json file, not alerts: give it as --stats"),
        "{}",
        err(&out)
    );
    assert!(!page.exists(), "no empty report written");
    // A stats file given as the coverage, and a coverage file as the stats.
    let out = dllhound(
        &[
            "report",
            alerts.to_str().unwrap(),
            "--coverage",
            stats.to_str().unwrap(),
            "-o",
            p,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        err(&out).contains("give it as --stats, not --coverage"),
        "{}",
        err(&out)
    );
    let out = dllhound(
        &[
            "report",
            alerts.to_str().unwrap(),
            "--stats",
            cov.to_str().unwrap(),
            "-o",
            p,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        err(&out).contains("give it as --coverage, not --stats"),
        "{}",
        err(&out)
    );

    // Saved `stream --updates` output: the update replaces its alert.
    let text = std::fs::read_to_string(&alerts).unwrap();
    let mut first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    first["event"]["action"] = "update".into();
    first["reasons"]
        .as_array_mut()
        .unwrap()
        .push("(update) more evidence".into());
    let with_update = tmp("updates.ndjson", format!("{text}{first}\n").as_bytes());
    let out = dllhound(
        &[
            "report",
            with_update.to_str().unwrap(),
            "--stats",
            stats.to_str().unwrap(),
            "--coverage",
            cov.to_str().unwrap(),
            "-o",
            p,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    assert!(err(&out).contains("2 alerts → "), "{}", err(&out));
    assert!(
        err(&out).contains("(1 updates folded into their alerts)"),
        "{}",
        err(&out)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("(update) more evidence"),
        "the later record is the one shown"
    );
}

#[test]
fn an_allowlist_mistake_is_told_once_with_the_fix() {
    let quoted = tmp(
        "quoted.yaml",
        b"- id: x\n  reason: r\n  dll_path: \"C:\\Users\\bob\\x.dll\"\n",
    );
    let o = dllhound(
        &["scan", "--allowlist", quoted.to_str().unwrap(), EXAMPLE],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "a configuration error: {}",
        err(&o)
    );
    let e = err(&o);
    assert_eq!(e.matches("hexadecimal").count(), 1, "{e}");
    assert!(e.contains("single quotes"), "{e}");
    for (name, yaml, says) in [
        ("empty.yaml", "", "no entries"),
        (
            "hash.yaml",
            "- id: x\n  reason: r\n  sha256: ['abc']\n",
            "64 hexadecimal",
        ),
    ] {
        let p = tmp(name, yaml.as_bytes());
        let o = dllhound(&["scan", "--allowlist", p.to_str().unwrap(), EXAMPLE], None);
        assert_eq!(o.status.code(), Some(3), "{name}");
        assert!(err(&o).contains(says), "{name}: {}", err(&o));
    }
    // One glob as a plain string is accepted and matches: the example's msoupd.dll alert names
    // the entry as matched but voided (WINWORD wrote the DLL, which the entry does not expect).
    let one = tmp(
        "one.yaml",
        b"- id: lab\n  reason: our exercise\n  dll_path: 'C:\\Users\\*\\AppData\\Local\\Temp\\msoupd.dll'\n  allow_unsigned: true\n",
    );
    let o = dllhound(
        &[
            "scan",
            "-q",
            "--output-format",
            "ndjson",
            "--allowlist",
            one.to_str().unwrap(),
            EXAMPLE,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let voided: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|a| a["tuning_not_applied"][0]["id"] == "lab")
        .collect();
    assert_eq!(voided.len(), 1);
    assert!(voided[0]["dll"]["path"]
        .as_str()
        .unwrap_or("")
        .ends_with("msoupd.dll"));
}
