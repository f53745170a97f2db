//! `dllhound export`: the analytic `scan` runs with the same options, as SIEM rules, with what the
//! language cannot say in the header and in the manifest.

use serde_json::Value;
use std::path::PathBuf;
mod fixtures;

use fixtures::{dllhound, EXAMPLE};

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dllhound-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn stdout(args: &[&str]) -> String {
    let o = dllhound(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const ALLOW: &str = r#"
- id: lab-tools
  reason: the lab's own signed tools
  dll_path: 'C:\LabTools\**'
  signer: ['Contoso Lab']
- id: old-exception
  reason: a test that ended
  dll_path: 'C:\Old\**'
  signer: ['Old Vendor']
  expires: 2020-01-01
"#;

#[test]
fn the_manifest_has_one_rule_per_branch_with_its_approximations() {
    let v: Value = serde_json::from_str(&stdout(&["export", "--to", "eql", "--format", "json"]))
        .expect("JSON manifest");
    assert_eq!(v["target"], "eql");
    assert_eq!(v["profile"], "elastic-agent-sysmon");
    let rules = v["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(
        ids,
        [
            "an0052-fresh-write",
            "an0052-follow-on-exec",
            "an0052-outbound-network"
        ]
    );
    let branches: Vec<&str> = rules.iter().filter_map(|r| r["branch"].as_str()).collect();
    assert_eq!(
        branches,
        ["fresh_write", "follow_on_exec", "outbound_network"]
    );
    for r in rules {
        assert_eq!(r["language"], "eql");
        assert!(r["query"]
            .as_str()
            .unwrap()
            .starts_with("sequence by host.name"));
        assert!(!r["approximations"].as_array().unwrap().is_empty(), "{r}");
    }
    // The follow-on rule says it cannot test the command line; the network rule does not.
    let says = |i: usize, what: &str| rules[i]["approximations"].to_string().contains(what);
    assert!(says(1, "command line names the DLL"));
    assert!(!says(2, "command line names the DLL"));
    assert_eq!(v["excluded"], serde_json::json!([]));
}

#[test]
fn allowlist_entries_become_named_exclusions_and_expired_ones_are_listed() {
    let allow = tmp("allow.yaml", ALLOW);
    let text = stdout(&[
        "export",
        "--to",
        "eql",
        "--allowlist",
        allow.to_str().unwrap(),
    ]);
    assert!(
        text.contains("// tuning lab-tools: the lab's own signed tools"),
        "{text}"
    );
    assert!(text.contains(r#""?:\\labtools\\*""#), "{text}");
    assert!(text.contains(r#""contoso lab""#), "{text}");
    assert!(
        text.contains("expired allowlist entries left out: old-exception (expired 2020-01-01)"),
        "{text}"
    );
    assert!(
        !text.contains("old vendor"),
        "an expired entry is not exported"
    );
    // The default tuning is there too, and goes with --no-default-tuning.
    assert!(text.contains("tuning dotnet-ngen-native-images"));
    let bare = stdout(&["export", "--to", "eql", "--no-default-tuning"]);
    assert!(!bare.contains("// tuning "), "{bare}");
}

#[test]
fn windows_come_from_the_same_options_as_scan() {
    let text = stdout(&[
        "export",
        "--to",
        "eql",
        "--window",
        "2m",
        "--window-fresh-write",
        "90s",
    ]);
    assert!(
        text.contains("sequence by host.name, file.path with maxspan=90s"),
        "{text}"
    );
    assert_eq!(text.matches("with maxspan=120s").count(), 2, "{text}");
}

#[test]
fn explain_prints_the_exactness_table_and_bad_options_are_refused() {
    let text = stdout(&["export", "--explain", "eql"]);
    assert!(
        text.contains("(b) rundll32/regsvr32  approximate"),
        "{text}"
    );
    assert!(text.contains("(c) outbound network   exact"), "{text}");
    let o = dllhound(&["export", "--to", "eql", "--profile", "splunk"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("elastic-agent-sysmon"));
    let o = dllhound(&["export"]);
    assert_eq!(o.status.code(), Some(3));
    let o = dllhound(&["export", "--to", "cobol"]);
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn output_goes_to_the_file_named() {
    let p = std::env::temp_dir().join(format!("dllhound-export-{}.eql", std::process::id()));
    let o = dllhound(&["export", "--to", "eql", "-o", p.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(o.stdout.is_empty());
    let text = std::fs::read_to_string(&p).unwrap();
    let _ = std::fs::remove_file(&p);
    assert!(text.starts_with("// MITRE ATT&CK AN0052"));
}

#[test]
fn elastic_rules_are_kibana_import_ndjson_with_the_eql_queries() {
    let ndjson = stdout(&["export", "--to", "elastic-rule"]);
    let eql: Value =
        serde_json::from_str(&stdout(&["export", "--to", "eql", "--format", "json"])).unwrap();
    let rules: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON rule per line"))
        .collect();
    assert_eq!(rules.len(), 3);
    for (r, e) in rules.iter().zip(eql["rules"].as_array().unwrap()) {
        for key in [
            "rule_id",
            "name",
            "description",
            "risk_score",
            "severity",
            "type",
            "language",
            "query",
            "index",
            "threat",
            "note",
        ] {
            assert!(!r[key].is_null(), "{key} missing: {r}");
        }
        assert_eq!(r["type"], "eql");
        assert_eq!(r["enabled"], false, "imported disabled, for review");
        assert_eq!(
            r["query"], e["query"],
            "the rule runs the EQL export's query"
        );
        assert!(r["note"].as_str().unwrap().contains("cannot express"));
    }
    // Ids are stable, so importing again updates the rules.
    assert_eq!(ndjson, stdout(&["export", "--to", "elastic-rule"]));
    let ids: std::collections::BTreeSet<&str> =
        rules.iter().filter_map(|r| r["rule_id"].as_str()).collect();
    assert_eq!(ids.len(), 3);
}

#[test]
fn sigma_writes_one_file_per_rule_into_a_folder() {
    let dir = std::env::temp_dir().join(format!("dllhound-export-sigma-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = dllhound(&["export", "--to", "sigma", "-o", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 10, "{names:?}");
    for n in &names {
        let text = std::fs::read_to_string(dir.join(n)).unwrap();
        let stem = n.trim_end_matches(".yml");
        assert!(
            text.contains(&format!("name: {stem}\n")),
            "{n} names itself"
        );
    }
    let correlations = names
        .iter()
        .filter(|n| {
            std::fs::read_to_string(dir.join(n))
                .unwrap()
                .contains("\ncorrelation:\n")
        })
        .count();
    assert_eq!(
        correlations, 4,
        "(a) for written and executable files, (b), (c)"
    );
    // A file where the folder should be is refused, not overwritten.
    let file = dir.join("an0052-fresh-write.yml");
    let o = dllhound(&["export", "--to", "sigma", "-o", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("must name a folder"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_learned_baseline_is_exported_only_when_asked_and_says_how_much() {
    let dir = std::env::temp_dir().join(format!("dllhound-export-baseline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let baseline = dir.join("baseline.json");
    let b = baseline.to_str().unwrap();
    let o = dllhound(&["baseline", "learn", EXAMPLE, "-o", b]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows = serde_json::from_str::<Value>(&std::fs::read_to_string(&baseline).unwrap()).unwrap()
        ["rows"]
        .as_array()
        .unwrap()
        .len();
    assert!(rows > 0);
    // Every row, unsigned ones too, seen on one host is "common" here: all become exclusions.
    let text = stdout(&[
        "export",
        "--to",
        "kql",
        "--baseline",
        b,
        "--include-baseline",
        "--baseline-min-hosts",
        "1",
        "--baseline-unsigned",
    ]);
    assert!(
        text.contains(&format!(
            "baseline: {rows} of {rows} learned rows included as exclusions"
        )),
        "{text}"
    );
    assert!(
        text.contains("// tuning baseline-row-1: learned baseline:"),
        "{text}"
    );
    // With the default thresholds (3 hosts or 3 days) the example's rows are not common.
    let text = stdout(&[
        "export",
        "--to",
        "kql",
        "--baseline",
        b,
        "--include-baseline",
    ]);
    assert!(
        text.contains(&format!("baseline: 0 of {rows} learned rows")),
        "{text}"
    );
    // --baseline alone is refused: exporting a baseline is a choice.
    let o = dllhound(&["export", "--to", "kql", "--baseline", b]);
    assert_eq!(o.status.code(), Some(3));
    let _ = std::fs::remove_dir_all(&dir);
}
