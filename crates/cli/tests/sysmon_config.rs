//! `dllhound coverage --sysmon-config`: the verdicts, the suggestion written and re-judged, the
//! comparison with data, and a configuration Sysmon would refuse.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/attack-chain.jsonl"
);

fn dllhound(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dllhound"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dllhound-sysmon-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Logs process starts, writes and network, but no image loads (an empty include, as
/// SwiftOnSecurity's does), and excludes every write by Office.
const BLIND_TO_LOADS: &str = r#"<Sysmon schemaversion="4.90">
  <EventFiltering>
    <RuleGroup name="" groupRelation="or">
      <ImageLoad onmatch="include"/>
    </RuleGroup>
    <RuleGroup name="" groupRelation="or">
      <FileCreate onmatch="exclude">
        <Image name="office temp noise" condition="image">WINWORD.EXE</Image>
      </FileCreate>
    </RuleGroup>
    <RuleGroup name="" groupRelation="or">
      <NetworkConnect onmatch="exclude"/>
    </RuleGroup>
  </EventFiltering>
</Sysmon>
"#;

fn json(args: &[&str]) -> Value {
    let out = dllhound(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn part<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["part"] == name)
        .unwrap_or_else(|| panic!("no part {name}"))
}

#[test]
fn a_configuration_gets_a_verdict_per_part_with_the_rule_that_drops_each_probe() {
    let c = tmp("blind.xml", BLIND_TO_LOADS);
    let v = json(&[
        "coverage",
        "--sysmon-config",
        c.to_str().unwrap(),
        "--output-format",
        "json",
    ]);
    assert_eq!(v["schema_version"], "4.90");
    assert_eq!(v["headline"]["verdict"], "cannot_fire");
    assert_eq!(part(&v, "trigger_path")["verdict"], "not_logged");
    let p = &part(&v, "trigger_path")["probes"][0];
    assert_eq!(p["logged"], false);
    assert_eq!(p["rule"]["line"], 4, "{p}");
    let w = part(&v, "fresh_write");
    assert_eq!(w["verdict"], "partial");
    let office = w["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["probe"] == "write-temp-office")
        .unwrap();
    assert_eq!(office["rule"]["line"], 8);
    assert_eq!(office["rule"]["name"], "office temp noise");
    assert_eq!(part(&v, "outbound_network")["verdict"], "logged");
    assert_eq!(
        part(&v, "follow_on_exec")["verdict"],
        "logged",
        "no ProcessCreate section: on by default"
    );

    for fmt in ["table", "markdown"] {
        let out = dllhound(&[
            "coverage",
            "--sysmon-config",
            c.to_str().unwrap(),
            "--output-format",
            fmt,
        ]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("cannot fire"), "{fmt}: {text}");
        assert!(text.contains("office temp noise"), "{fmt}: {text}");
    }
}

#[test]
fn the_written_suggestion_is_a_configuration_that_logs_every_part() {
    let c = tmp("blind2.xml", BLIND_TO_LOADS);
    let fixed = c.with_file_name("fixed.xml");
    let v = json(&[
        "coverage",
        "--sysmon-config",
        c.to_str().unwrap(),
        "--suggest",
        "--write-config",
        fixed.to_str().unwrap(),
        "--output-format",
        "json",
    ]);
    let s = &v["suggestion"];
    assert_eq!(s["remaining"].as_array().unwrap().len(), 0, "{s}");
    assert_eq!(s["removals"][0]["line"], 8);
    let again = json(&[
        "coverage",
        "--sysmon-config",
        fixed.to_str().unwrap(),
        "--output-format",
        "json",
    ]);
    assert_eq!(again["headline"]["verdict"], "can_fire", "{again}");
    let text = std::fs::read_to_string(&fixed).unwrap();
    assert!(!text.contains("office temp noise"));
    assert!(text.contains("AN0052 trigger_path"));
}

#[test]
fn configuration_and_data_together_show_hosts_that_do_not_run_it() {
    let c = tmp("blind3.xml", BLIND_TO_LOADS);
    let v = json(&[
        "coverage",
        "--sysmon-config",
        c.to_str().unwrap(),
        EXAMPLE,
        "--output-format",
        "json",
    ]);
    let cmp = v["comparison"].as_array().unwrap();
    assert_eq!(cmp.len(), 2);
    for h in cmp {
        assert_eq!(h["verdict"], "differs");
        let m = h["mismatches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["part"] == "trigger_path")
            .unwrap_or_else(|| panic!("{h}"));
        assert_eq!(
            (m["config"].as_str(), m["data"].as_str()),
            (Some("not_logged"), Some("evaluable"))
        );
        assert!(m["says"]
            .as_str()
            .unwrap()
            .contains("another configuration"));
    }
    assert_eq!(v["data"]["summary"]["hosts"], 2);
}

#[test]
fn a_configuration_sysmon_would_refuse_is_an_error_with_its_line() {
    let c = tmp(
        "bad.xml",
        "<Sysmon schemaversion=\"4.90\">\n<EventFiltering>\n<ImageLoad onmatch=\"include\">\n<Path condition=\"is\">x</Path>\n</ImageLoad>\n</EventFiltering>\n</Sysmon>\n",
    );
    let out = dllhound(&["coverage", "--sysmon-config", c.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.xml") && err.contains("line 4") && err.contains("Path"),
        "{err}"
    );
}

#[test]
fn a_utf16_configuration_with_crlf_is_read_and_written_back_as_it_came() {
    let text = BLIND_TO_LOADS.replace('\n', "\r\n");
    let bytes: Vec<u8> = std::iter::once(0xFEFFu16)
        .chain(text.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    let c = tmp("utf16.xml", "");
    std::fs::write(&c, bytes).unwrap();
    let fixed = c.with_file_name("utf16-fixed.xml");
    let v = json(&[
        "coverage",
        "--sysmon-config",
        c.to_str().unwrap(),
        "--write-config",
        fixed.to_str().unwrap(),
        "--output-format",
        "json",
    ]);
    assert_eq!(v["headline"]["verdict"], "cannot_fire");
    let out = std::fs::read(&fixed).unwrap();
    assert_eq!(&out[..2], &[0xFF, 0xFE], "UTF-16 LE with its mark");
    let units: Vec<u16> = out[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let back = String::from_utf16(&units).unwrap();
    assert!(
        !back.replace("\r\n", "").contains('\n'),
        "CRLF kept throughout"
    );
    let again = json(&[
        "coverage",
        "--sysmon-config",
        fixed.to_str().unwrap(),
        "--output-format",
        "json",
    ]);
    assert_eq!(again["headline"]["verdict"], "can_fire");
}
