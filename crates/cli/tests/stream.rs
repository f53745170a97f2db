//! `dllhound stream` on stdin and on a followed file: the same alerts as `scan`, each id once,
//! written as soon as a corroborator is in; rotation, truncation, signals and metrics.

mod common;

use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/attack-chain.jsonl"
);

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dllhound"))
}

fn lines_json(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ids(v: &[Value]) -> BTreeSet<String> {
    v.iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

fn scan(path: &Path) -> Vec<Value> {
    let out = bin()
        .args(["scan", "--output-format", "ndjson", "-q"])
        .arg(path)
        .output()
        .unwrap();
    lines_json(&out.stdout)
}

fn stream_stdin(bytes: &[u8], extra: &[&str]) -> (i32, Vec<Value>, String) {
    let mut child = bin()
        .args(["stream", "-", "-q"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = bytes.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        lines_json(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("dllhound-stream-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn stdin_gives_scans_ids_once_each_and_updates_only_when_asked() {
    let bytes = std::fs::read(EXAMPLE).unwrap();
    let want = scan(Path::new(EXAMPLE));
    let (code, got, err) = stream_stdin(&bytes, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(got.len(), 2, "each id once");
    assert_eq!(ids(&got), ids(&want));

    // With --updates, the windows' close brings the evidence the first release lacked, same id.
    let (_, with_updates, _) = stream_stdin(&bytes, &["--updates"]);
    let updates: Vec<&Value> = with_updates
        .iter()
        .filter(|a| a["event"]["action"] == "update")
        .collect();
    assert!(!updates.is_empty(), "{with_updates:#?}");
    for u in &updates {
        let full = want.iter().find(|a| a["id"] == u["id"]).unwrap();
        assert_eq!(u["an0052"]["branches"], full["an0052"]["branches"]);
    }
}

/// Issue 17: `stream -` had no line cap; a line past 64 MiB is a located bad record, skipped as it is
/// read (never held whole), and the records around it still give their alerts.
#[test]
fn regression_17_a_line_past_the_cap_is_one_bad_record_on_stdin() {
    let example = std::fs::read(EXAMPLE).unwrap();
    let cut = example.len() / 2;
    let cut = cut + example[cut..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut bytes = example[..cut].to_vec();
    bytes.extend(std::iter::repeat_n(b'x', (64 << 20) + 4096));
    bytes.push(b'\n');
    bytes.extend_from_slice(&example[cut..]);
    let (code, got, err) = stream_stdin(&bytes, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("longer than 64 MiB"), "{err}");
    let line = example[..cut].iter().filter(|&&b| b == b'\n').count() + 1;
    assert!(
        err.contains(&format!("line {line}")),
        "located at line {line}: {err}"
    );
    assert_eq!(ids(&got), ids(&scan(Path::new(EXAMPLE))));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// The hostile-input issue's last invariant: scan and stream agree on the same input.
    #[test]
    fn scan_and_stream_agree_on_a_simulated_fleet(seed in 0u64..10_000) {
        let path = dir().join(format!("sim-{seed}.jsonl"));
        let st = bin()
            .args(["simulate", "--hosts", "4", "--events", "3000", "--attacks", "6", "--span", "1h"])
            .args(["--seed", &seed.to_string(), "-o"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        prop_assert!(st.success());
        let want = scan(&path);
        prop_assert_eq!(want.len(), 6);
        let (code, got, err) = stream_stdin(&std::fs::read(&path).unwrap(), &[]);
        prop_assert_eq!(code, 0, "{}", err);
        prop_assert_eq!(ids(&got), ids(&want));
        prop_assert_eq!(got.len(), want.len());
    }
}

/// The example as Windows event XML, one `<Event>` per line (as NXLog or Splunk forward it).
fn example_as_xml_lines() -> String {
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\'', "&apos;")
    }
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        let s = |k: &str| r[k].as_str().map(esc).unwrap_or_default();
        out += &format!(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='{}'/><EventID>{}</EventID><TimeCreated SystemTime='{}'/><Channel>{}</Channel><Computer>{}</Computer></System><EventData>",
            s("SourceName"), r["EventID"], s("TimeCreated"), s("Channel"), s("Hostname")
        );
        for (k, v) in r.as_object().unwrap() {
            if let ("SourceName" | "EventID" | "TimeCreated" | "Channel" | "Hostname", _)
            | (_, Value::Null) = (k.as_str(), v)
            {
                continue;
            }
            let v = v.as_str().map_or_else(|| v.to_string(), esc);
            out += &format!("<Data Name='{k}'>{v}</Data>");
        }
        out += "</EventData></Event>\n";
    }
    out
}

#[test]
fn xml_events_on_stdin_give_the_alerts_of_scan() {
    let xml = example_as_xml_lines();
    let path = dir().join("example.xml");
    std::fs::write(&path, &xml).unwrap();
    let scanned = scan(&path);
    assert_eq!(scanned.len(), 2, "the example's two alerts, from XML");
    let (code, streamed, err) = stream_stdin(xml.as_bytes(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(ids(&streamed), ids(&scanned));
    // Provenance names the line of the stream.
    assert!(streamed[0]["timeline"][0]["provenance"]["line"].is_u64());
}

fn wait_for_lines(path: &Path, n: usize, within: Duration) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let got = std::fs::read(path)
            .map(|b| lines_json(&b))
            .unwrap_or_default();
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn follow(file: &Path, out: &Path, extra: &[&str]) -> Child {
    bin()
        .args(["stream", "--follow"])
        .arg(file)
        .arg("-o")
        .arg(out)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_followed_file_is_read_as_it_grows_across_rotation_and_truncation() {
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let want = ids(&scan(Path::new(EXAMPLE)));
    let d = dir().join("follow");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let log = d.join("sysmon.jsonl");
    let out = d.join("alerts.ndjson");
    // The first third is there before dllhound starts; a partial line waits for its newline.
    let third = lines.len() / 3;
    std::fs::write(&log, lines[..third].join("\n") + "\n").unwrap();
    let mut child = follow(&log, &out, &["--idle-exit", "4s"]);
    std::thread::sleep(Duration::from_millis(600));
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let (a, b) = lines[third].split_at(20);
    f.write_all(a.as_bytes()).unwrap();
    f.flush().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    f.write_all(format!("{b}\n").as_bytes()).unwrap();
    for l in &lines[third + 1..2 * third] {
        writeln!(f, "{l}").unwrap();
    }
    drop(f);
    std::thread::sleep(Duration::from_millis(600));
    // Rotation: the log is renamed and a new one takes its name.
    std::fs::rename(&log, d.join("sysmon.jsonl.1")).unwrap();
    std::fs::write(&log, lines[2 * third..].join("\n") + "\n").unwrap();
    let got = wait_for_lines(&out, want.len(), Duration::from_secs(20));
    assert_eq!(ids(&got), want);
    // It stops by itself after 4 s without input.
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(child.wait().unwrap().success(), "{err}");
    assert!(err.contains("was rotated"), "{err}");
    assert!(
        err.contains("120 records (0 bad)"),
        "every line once, the split one included: {err}"
    );

    // Truncation: the file starts over; a restarted stream appends, writing no id twice.
    let mut child = follow(&log, &out, &["--idle-exit", "3s"]);
    std::thread::sleep(Duration::from_millis(600));
    std::fs::write(&log, text.as_bytes()).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
    let all = lines_json(&std::fs::read(&out).unwrap());
    assert_eq!(all.len(), want.len(), "no id written twice: {all:#?}");
}

#[cfg(unix)]
#[test]
fn sigterm_ends_a_stream_cleanly_with_its_alerts_written() {
    let d = dir().join("sigterm");
    std::fs::create_dir_all(&d).unwrap();
    let stats = d.join("stats.json");
    let addr = common::free_addr();
    let mut child = bin()
        .args(["stream", "-", "--metrics-addr", &addr, "--stats-json"])
        .arg(&stats)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // stdin stays open: the stream waits for more.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&std::fs::read(EXAMPLE).unwrap()).unwrap();
    stdin.flush().unwrap();
    let mut metrics = String::new();
    common::wait_until(
        Duration::from_secs(20),
        "the metrics show the two alerts",
        || {
            metrics = common::scrape(&addr);
            metrics.contains("dllhound_alerts_total 2")
        },
    );
    assert!(metrics.contains("dllhound_records_total 120"), "{metrics}");
    assert!(
        metrics.contains("dllhound_events_total{kind=\"image_load\"} 85"),
        "{metrics}"
    );
    assert!(
        metrics.contains("# TYPE dllhound_state_bytes gauge"),
        "{metrics}"
    );
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines_json(&out.stdout).len(), 2);
    let s: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(s["stream"]["alerts_written"], 2);
    assert_eq!(s["records"]["seen"], 120);
}
