//! DLLs loaded from network paths carry their share context (`dll.unc`): the server and share the
//! path names, and the host's connections to that server around the load, whichever process made
//! them (SMB is the kernel's `System`, WebDAV the WebClient's svchost). Generated recordings with
//! decoys (another server, a wrong port, outside the window), in file order and reversed; and the
//! real lateral-movement recording that loads a DLL over SMB.

mod fixtures;

use fixtures::share::{loader, recording, DAV_DLL, SMB_DLL};
use serde_json::Value;
use std::process::Command;

fn dllhound(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dllhound"))
        .args(args)
        .output()
        .expect("run dllhound")
}

fn scan(path: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["scan", path, "--output-format", "ndjson"];
    args.extend_from_slice(extra);
    let out = dllhound(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn by_dll<'a>(alerts: &'a [Value], dll: &str) -> &'a Value {
    alerts
        .iter()
        .find(|a| a["dll"]["path"] == dll)
        .unwrap_or_else(|| panic!("no alert for {dll}"))
}

/// `v` without its `provenance` objects (they name the file and line, which differ when reversed).
fn without_provenance(mut v: Value) -> Value {
    match &mut v {
        Value::Object(m) => {
            m.remove("provenance");
            for x in m.values_mut() {
                *x = without_provenance(x.take());
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                *x = without_provenance(x.take());
            }
        }
        _ => {}
    }
    v
}

#[test]
fn network_share_loads_carry_the_server_share_and_the_hosts_connections_to_it() {
    let dir = std::env::temp_dir().join(format!("dllhound-unc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let forward = dir.join("share.jsonl");
    std::fs::write(&forward, recording()).unwrap();
    let reversed = dir.join("share-reversed.jsonl");
    let mut lines: Vec<String> = recording().lines().map(String::from).collect();
    lines.reverse();
    std::fs::write(&reversed, lines.join("\n") + "\n").unwrap();

    let alerts = scan(forward.to_str().unwrap(), &[]);
    assert_eq!(alerts.len(), 2, "{alerts:#?}");

    let smb = &by_dll(&alerts, SMB_DLL)["dll"]["unc"];
    assert_eq!(smb["server"], "fileserver");
    assert_eq!(smb["share"], "tools");
    assert_eq!(smb["transport"], "smb");
    assert_eq!(smb["ports"], serde_json::json!([445, 139, 80, 443]));
    assert_eq!(smb["connection_count"], 1, "{smb:#}");
    let c = &smb["connections"][0];
    assert_eq!(c["destination_ip"], "10.1.2.3");
    assert_eq!(c["destination_port"], 445);
    assert_eq!(c["matched_by"], "hostname");
    assert_eq!(c["process"]["executable"], "System");
    assert_eq!(c["process"]["pid"], 4);
    assert_eq!(c["delta_seconds"], -2.0);
    assert!(by_dll(&alerts, SMB_DLL)["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r.as_str().unwrap().contains(r"\\fileserver\tools (SMB)")));

    let dav = &by_dll(&alerts, DAV_DLL)["dll"]["unc"];
    assert_eq!(dav["server"], "files.attacker.example");
    assert_eq!(dav["share"], "davwwwroot");
    assert_eq!(dav["transport"], "webdav");
    assert_eq!(dav["ports"], serde_json::json!([443]));
    assert_eq!(dav["connection_count"], 1, "{dav:#}");
    let c = &dav["connections"][0];
    assert_eq!(c["destination_ip"], "203.0.113.7");
    assert_eq!(c["matched_by"], "dns");
    assert_eq!(c["process"]["pid"], 1500);
    assert_eq!(dav["lookups"][0]["query"], "files.attacker.example");

    // The same answer whatever order the events arrive in.
    let back = scan(reversed.to_str().unwrap(), &[]);
    for dll in [SMB_DLL, DAV_DLL] {
        assert_eq!(
            without_provenance(by_dll(&back, dll)["dll"]["unc"].clone()),
            without_provenance(by_dll(&alerts, dll)["dll"]["unc"].clone()),
            "{dll} reversed"
        );
    }

    // The table and explain say it too.
    let table = dllhound(&[
        "scan",
        forward.to_str().unwrap(),
        "--output-format",
        "table",
    ]);
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table
            .contains(r"share       \\fileserver\tools  (SMB on port 445/139/80/443; 1 connection"),
        "{table}"
    );
    assert!(
        table.contains("System pid 4 → 10.1.2.3:445 (fileserver.corp.example) (by hostname)"),
        "{table}"
    );
    let id = by_dll(&alerts, DAV_DLL)["id"].as_str().unwrap().to_string();
    let page = dllhound(&[
        "explain",
        &id,
        forward.to_str().unwrap(),
        "--output-format",
        "markdown",
    ]);
    let page = String::from_utf8_lossy(&page.stdout);
    assert!(page.contains("**Network share**"), "{page}");
    assert!(
        page.contains("Server `files.attacker.example`, share `davwwwroot`, WebDAV on port 443"),
        "{page}"
    );
    assert!(
        page.contains("asked files.attacker.example → ::ffff:203.0.113.7;"),
        "{page}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_local_dll_has_no_share_context() {
    let dir = std::env::temp_dir().join(format!("dllhound-unc-local-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("local.jsonl");
    std::fs::write(&f, loader(10, 3, r"C:\Users\bob\AppData\Local\Temp\x.dll")).unwrap();
    let alerts = scan(f.to_str().unwrap(), &[]);
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0]["dll"].get("unc").is_none(),
        "{:#}",
        alerts[0]["dll"]
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings; .ci/run sets it)"]
fn the_real_smb_load_names_its_server_and_says_no_connection_was_logged() {
    let dir = std::env::var_os("DLLHOUND_REAL_DATA").expect("set DLLHOUND_REAL_DATA");
    let f = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir)
        .join("sbousseaden__EVTX-ATTACK-SAMPLES/Lateral Movement/LM_ImageLoad_NFSH_Sysmon_7.evtx");
    // A lone Sysmon 7 of lsass loading a DLL from a share: a signal, not an alert.
    let found = scan(f.to_str().unwrap(), &["--signals"]);
    let a = found
        .iter()
        .find(|a| a["dll"]["path"] == r"\\172.16.66.254\shared\lsadb.dll")
        .expect("the share load is a signal");
    let u = &a["dll"]["unc"];
    assert_eq!(u["server"], "172.16.66.254");
    assert_eq!(u["share"], "shared");
    assert_eq!(u["transport"], "smb");
    assert_eq!(u["connection_count"], 0);
    assert_eq!(u["connections"], serde_json::json!([]));
    assert!(a["reasons"].as_array().unwrap().iter().any(|r| r
        .as_str()
        .unwrap()
        .contains("no connection of the host to 172.16.66.254 on port 445/139/80/443")));
}
