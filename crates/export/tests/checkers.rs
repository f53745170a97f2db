//! The exports no offline engine can run, checked by their languages' own tools: KQL by
//! Microsoft's Kusto language service against the declared MDE schema (`engines/mde-schema.json`),
//! ES|QL by Elasticsearch's grammar (PyPI esql-parser). Each check also runs on a broken copy, to
//! show it can fail. Both use the default tuning plus an allowlist with every kind of criterion.

mod common;

use common::scratch;
use dllhound_detect::tuning::{EntrySource, Tuning};
use dllhound_detect::Config;
use dllhound_export::{export, Analytic, Target};
use std::path::{Path, PathBuf};
use std::process::Command;

const ALLOW: &str = r#"
- id: lab-hash
  reason: a lab DLL, by hash
  sha256: ['7d3c2f0e9a61b4c8d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c']
- id: lab-loader
  reason: the lab's updater and its writer
  loader: ['C:\Lab\updater.exe']
  writer: ['C:\Lab\setup.exe']
  dll_path: ['C:\Lab\**\*.dll']
- id: any-signer-in-lab
  reason: anything validly signed under the lab's tools folder, written by its installer
  dll_path: ['C:\LabTools\**']
  signer: ['*']
  expected_writers: ['C:\LabTools\install.exe']
  loader_may_write: true
"#;

fn config() -> Config {
    let mut cfg = Config::default();
    let today = chrono::Utc::now().date_naive();
    cfg.tuning.extend(
        Tuning::parse(ALLOW, "allow.yaml", EntrySource::Allowlist, today).expect("allowlist"),
    );
    cfg
}

fn env_path(var: &str, what: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{var} must name {what} (.ci/run makes one)"))
}

fn engines() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/engines")
}

fn kusto(query: &str, dir: &Path) -> (bool, String) {
    let q = dir.join("query.kql");
    std::fs::write(&q, query).unwrap();
    let out = Command::new("node")
        .env(
            "NODE_PATH",
            env_path(
                "DLLHOUND_KUSTO_NODE_PATH",
                "a node_modules with @kusto/language-service-next",
            ),
        )
        .arg(engines().join("kql_check.js"))
        .arg(engines().join("mde-schema.json"))
        .arg(&q)
        .output()
        .expect("run node");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
#[ignore = "needs node and DLLHOUND_KUSTO_NODE_PATH (npm @kusto/language-service-next)"]
fn kql_passes_the_kusto_language_service_against_the_mde_schema() {
    let dir = scratch("kusto");
    let x = export(Target::Kql, &Analytic::from_config(&config()));
    let query = &x.rules[0].query;
    let (ok, text) = kusto(query, &dir);
    assert!(ok && text.contains("0 diagnostics, 0 errors"), "{text}");
    // A column the schema does not have is an error: the check is a real one.
    let (ok, text) = kusto(&query.replace("RemoteIP", "RemoteAddress"), &dir);
    assert!(!ok && text.contains("KS142"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn esql(manifest: &serde_json::Value, dir: &Path) -> (bool, String) {
    let m = dir.join("manifest.json");
    std::fs::write(&m, manifest.to_string()).unwrap();
    let out = Command::new(env_path(
        "DLLHOUND_ESQL_PYTHON",
        "a Python with PyPI esql-parser",
    ))
    .arg(engines().join("esql_check.py"))
    .arg(&m)
    .output()
    .expect("run python");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
#[ignore = "needs DLLHOUND_ESQL_PYTHON (a Python with PyPI esql-parser)"]
fn esql_parses_with_the_elasticsearch_grammar() {
    let dir = scratch("esql");
    let x = export(Target::Esql, &Analytic::from_config(&config()));
    assert_eq!(x.rules.len(), 3);
    let (ok, text) = esql(&x.manifest(), &dir);
    assert!(ok, "{text}");
    assert_eq!(text.matches(": 0 syntax errors").count(), 3, "{text}");
    let mut broken = x.manifest();
    let q = broken["rules"][2]["query"]
        .as_str()
        .unwrap()
        .replace("| STATS", "| STATZ");
    broken["rules"][2]["query"] = q.into();
    let (ok, text) = esql(&broken, &dir);
    assert!(
        !ok && text.contains("an0052-outbound-network line"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs node and DLLHOUND_KUSTO_NODE_PATH (npm @kusto/language-service-next)"]
fn the_sentinel_rule_is_yaml_whose_query_passes_the_kusto_language_service() {
    let dir = scratch("sentinel");
    let x = export(Target::Sentinel, &Analytic::from_config(&config()));
    let rule: serde_json::Value =
        serde_norway::from_str(&x.rules[0].query).expect("the Sentinel rule is YAML");
    for key in [
        "id",
        "name",
        "description",
        "severity",
        "queryFrequency",
        "queryPeriod",
        "triggerOperator",
        "triggerThreshold",
        "tactics",
        "relevantTechniques",
        "query",
        "entityMappings",
        "kind",
    ] {
        assert!(!rule[key].is_null(), "the Sentinel rule has no {key}");
    }
    assert_eq!(rule["kind"], "Scheduled");
    let query = rule["query"].as_str().unwrap();
    let kql = export(Target::Kql, &Analytic::from_config(&config()));
    assert_eq!(
        query.trim_end(),
        kql.rules[0].query.trim_end(),
        "the rule runs the KQL export"
    );
    let (ok, text) = kusto(query, &dir);
    assert!(ok && text.contains("0 diagnostics, 0 errors"), "{text}");
    // The entity mappings name columns the query projects.
    for m in rule["entityMappings"].as_array().unwrap() {
        for f in m["fieldMappings"].as_array().unwrap() {
            let col = f["columnName"].as_str().unwrap();
            assert!(
                query.lines().last().unwrap().contains(col),
                "{col} is not projected"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
