//! The NDJSON alert record read back into a typed mirror of the schema documented in
//! `src/schema.rs`: every level denies unknown fields, so a field written but not documented here
//! (or renamed) fails, and every documented vocabulary is checked. Alerts come from the project's
//! example and from one chain per spelling rule, so the optional parts (registry evidence,
//! `tuning_not_applied`) are exercised too.

use dllhound_detect::Config;
use dllhound_engine::scan;
use dllhound_ingest::{Input, ReadOptions};
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Record {
    id: String,
    #[serde(rename = "@timestamp")]
    timestamp: String,
    event: Event,
    risk_score: u8,
    rule: Rule,
    host: Name,
    process: Process,
    user: Option<Name>,
    dll: Dll,
    incident: Option<Incident>,
    children: Vec<Child>,
    an0052: An0052,
    reasons: Vec<String>,
    suppressed_by: Option<Suppression>,
    #[serde(default)]
    tuning_not_applied: Vec<Suppression>,
    evidence: Evidence,
    timeline: Vec<Timeline>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Event {
    kind: String,
    severity: String,
    action: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Rule {
    id: String,
    name: String,
    reference: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Name {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Process {
    entity_id: String,
    pid: Option<u32>,
    executable: String,
    command_line: Option<String>,
    parent: Parent,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Parent {
    entity_id: Option<String>,
    pid: Option<u32>,
    executable: Option<String>,
    command_line: Option<String>,
    provenance: Option<Provenance>,
    parent: Grandparent,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Grandparent {
    executable: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Incident {
    id: String,
    alert_count: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Child {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    delta_seconds: f64,
    process: ChildProcess,
    network: Vec<Net>,
    files: Vec<ChildFile>,
    provenance: Provenance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ChildProcess {
    entity_id: String,
    pid: Option<u32>,
    executable: String,
    command_line: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ChildFile {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    action: String,
    path: String,
    sha256: Option<String>,
    provenance: Provenance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct File {
    history: Vec<FileEvent>,
    first_seen: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct FileEvent {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    action: String,
    path: String,
    process: FileActor,
    sha256: Option<String>,
    creation_time: Option<String>,
    previous_creation_time: Option<String>,
    provenance: Provenance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct FileActor {
    executable: String,
    entity_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Prevalence {
    hosts: u64,
    first_seen: String,
    sample_hosts: Vec<String>,
    by: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Dll {
    path: String,
    path_classes: Vec<String>,
    signature: Signature,
    hash: Option<Hash>,
    load_count: u32,
    file: File,
    prevalence: Option<Prevalence>,
    unc: Option<Unc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Unc {
    server: String,
    share: Option<String>,
    transport: String,
    ports: Vec<u16>,
    connections: Vec<UncConnection>,
    connection_count: usize,
    lookups: Vec<UncLookup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct UncProcess {
    entity_id: String,
    pid: Option<u32>,
    executable: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct UncConnection {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    delta_seconds: f64,
    process: UncProcess,
    destination_ip: String,
    destination_port: Option<u16>,
    destination_domain: Option<String>,
    matched_by: String,
    provenance: Provenance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct UncLookup {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    delta_seconds: f64,
    process: UncProcess,
    query: String,
    results: Option<String>,
    provenance: Provenance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Signature {
    state: String,
    subject: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Hash {
    sha256: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct An0052 {
    branches: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Suppression {
    source: String,
    id: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Evidence {
    fresh_write: Vec<Write>,
    follow_on_exec: Vec<Exec>,
    outbound_network: Vec<Net>,
    dns: Vec<Dns>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Provenance {
    file: String,
    file_record: Option<u64>,
    line: Option<u64>,
    record_id: Option<u64>,
    event_code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Write {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    delta_seconds: f64,
    how: String,
    path: String,
    process_executable: String,
    process_entity_id: String,
    sha256: Option<String>,
    matched: String,
    provenance: Provenance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Exec {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    delta_seconds: f64,
    process_executable: String,
    process_entity_id: String,
    original_file_name: Option<String>,
    command_line: String,
    matched: String,
    executor: String,
    registry: Option<Registry>,
    is_loader: bool,
    provenance: Provenance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Registry {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    key: String,
    clsid: String,
    server: String,
    process_executable: String,
    provenance: Provenance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Net {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    delta_seconds: f64,
    destination_ip: String,
    destination_port: Option<u16>,
    destination_domain: Option<String>,
    protocol: Option<String>,
    destination_class: String,
    provenance: Provenance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Dns {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    delta_seconds: f64,
    query: String,
    results: Option<String>,
    provenance: Provenance,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Timeline {
    #[serde(rename = "@timestamp")]
    timestamp: String,
    role: String,
    summary: String,
    provenance: Provenance,
}

/// Sysmon JSON lines: a COM `-sta` chain, a borrowed NGEN entry and a DLL run from a share (after
/// the lookup and SMB connection that reached it), beside the example.
fn chains() -> String {
    let ev = |eid: u32, t: u32, extra: &str| {
        format!(
            r#"{{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":{eid},"Hostname":"ws7.corp.example","UtcTime":"2024-03-01 10:15:{t:02}.000",{extra}}}"#
        )
    };
    let ngen = r"C:\\Windows\\assembly\\NativeImages_v4.0.30319_64\\Evil\\0123abcd\\Evil.ni.dll";
    [
        ev(13, 1, r#""ProcessGuid":"{22222222-2222-2222-2222-222222222222}","ProcessId":"200","Image":"C:\\Users\\bob\\Downloads\\dropper.exe","EventType":"SetValue","TargetObject":"HKU\\S-1-5-21-1_Classes\\CLSID\\{BCDE0395-E52F-467C-8E3D-C4579291692E}\\InprocServer32\\(Default)","Details":"C:\\ProgramData\\demo.dll""#),
        ev(1, 2, r#""ProcessGuid":"{33333333-3333-3333-3333-333333333333}","ProcessId":"300","Image":"C:\\Windows\\System32\\rundll32.exe","OriginalFileName":"RUNDLL32.EXE","CommandLine":"rundll32.exe -sta {BCDE0395-E52F-467C-8E3D-C4579291692E}","ParentProcessGuid":"{22222222-2222-2222-2222-222222222222}","ParentImage":"C:\\Users\\bob\\Downloads\\dropper.exe""#),
        ev(7, 3, r#""ProcessGuid":"{33333333-3333-3333-3333-333333333333}","ProcessId":"300","Image":"C:\\Windows\\System32\\rundll32.exe","ImageLoaded":"C:\\ProgramData\\demo.dll","Signed":"false","SignatureStatus":"Unavailable""#),
        ev(11, 4, &format!(r#""ProcessGuid":"{{22222222-2222-2222-2222-222222222222}}","ProcessId":"200","Image":"C:\\Users\\bob\\Downloads\\dropper.exe","TargetFilename":"{ngen}""#)),
        ev(7, 5, &format!(r#""ProcessGuid":"{{11111111-1111-1111-1111-111111111111}}","ProcessId":"100","Image":"C:\\Program Files\\App\\app.exe","ImageLoaded":"{ngen}","Signed":"false","SignatureStatus":"Unavailable""#)),
        ev(22, 6, r#""ProcessGuid":"{44444444-4444-4444-4444-444444444444}","ProcessId":"900","Image":"C:\\Windows\\System32\\svchost.exe","QueryName":"srv.corp.example","QueryResults":"::ffff:10.1.2.3;""#),
        ev(3, 7, r#""ProcessGuid":"{00000000-0000-0000-0000-000000000004}","ProcessId":"4","Image":"System","Initiated":"true","Protocol":"tcp","DestinationIp":"10.1.2.3","DestinationPort":"445""#),
        ev(1, 7, r#""ProcessGuid":"{55555555-5555-5555-5555-555555555555}","ProcessId":"500","Image":"C:\\Windows\\System32\\rundll32.exe","CommandLine":"rundll32.exe \\\\srv.corp.example\\tools\\x.dll,Run","ParentProcessGuid":"{22222222-2222-2222-2222-222222222222}","ParentImage":"C:\\Users\\bob\\Downloads\\dropper.exe""#),
        ev(7, 8, r#""ProcessGuid":"{55555555-5555-5555-5555-555555555555}","ProcessId":"500","Image":"C:\\Windows\\System32\\rundll32.exe","ImageLoaded":"\\\\srv.corp.example\\tools\\x.dll","Signed":"false","SignatureStatus":"Unavailable""#),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn every_alert_record_reads_back_into_the_documented_schema() {
    let dir = std::env::temp_dir().join(format!("dllhound-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let chains_file = dir.join("chains.jsonl");
    std::fs::write(&chains_file, chains()).unwrap();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/attack-chain.jsonl"
    );
    let out = scan(
        &[Input::Path(example.into()), Input::Path(chains_file)],
        &ReadOptions::default(),
        &Config::default(),
    );
    assert_eq!(
        out.outcome.alerts.len(),
        5,
        "the example's two and the three chains"
    );
    let (mut registry, mut not_applied, mut shares) = (0, 0, 0);
    for a in &out.outcome.alerts {
        let mut line = Vec::new();
        dllhound_report::write_ndjson(&mut line, a).unwrap();
        let r: Record = serde_json::from_slice(&line)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&line)));
        assert_eq!(r.id.len(), 32);
        assert!(r.id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(r.timestamp.ends_with('Z') && r.timestamp.contains('T'));
        assert_eq!(r.event.kind, "alert");
        assert!(["low", "medium", "high", "critical"].contains(&r.event.severity.as_str()));
        assert!(r.risk_score <= 100);
        assert_eq!(r.rule.id, "AN0052");
        assert!(!r.host.name.is_empty() && !r.reasons.is_empty() && !r.timeline.is_empty());
        assert!(["valid", "unsigned", "invalid", "expired", "unknown"]
            .contains(&r.dll.signature.state.as_str()));
        let branches: BTreeSet<&str> = r.an0052.branches.iter().map(String::as_str).collect();
        assert!(!branches.is_empty());
        assert!(branches.is_subset(&["fresh_write", "follow_on_exec", "outbound_network"].into()));
        let incident = r.incident.as_ref().expect("every alert is in an incident");
        assert_eq!(incident.id.len(), 32);
        assert!(incident.alert_count >= 1);
        let p = r.dll.prevalence.as_ref().expect("every trigger is counted");
        assert!(p.hosts >= 1 && ["sha256", "path"].contains(&p.by.as_str()));
        for h in &r.dll.file.history {
            assert!([
                "create",
                "stream",
                "executable_detected",
                "delete",
                "delete_detected",
                "creation_time_changed"
            ]
            .contains(&h.action.as_str()));
        }
        assert_eq!(
            r.dll.file.first_seen.is_some(),
            r.dll
                .file
                .history
                .iter()
                .any(|h| !h.action.starts_with("delete"))
        );
        for c in &r.children {
            assert!(c.delta_seconds >= 0.0);
        }
        if let Some(u) = &r.dll.unc {
            shares += 1;
            assert!(["smb", "webdav"].contains(&u.transport.as_str()));
            assert!(!u.server.is_empty() && !u.ports.is_empty());
            assert!(u.connection_count >= u.connections.len());
            for c in &u.connections {
                assert!(["ip", "hostname", "dns"].contains(&c.matched_by.as_str()));
            }
            assert_eq!(u.connections.len(), 1, "the SMB connection, matched by DNS");
            assert_eq!(u.lookups.len(), 1);
        }
        for w in &r.evidence.fresh_write {
            assert!(["create", "stream", "executable_detected"].contains(&w.how.as_str()));
            assert!(
                ["exact", "stream", "download", "short_name_alias"].contains(&w.matched.as_str())
            );
        }
        for e in &r.evidence.follow_on_exec {
            assert!([
                "full_path",
                "short_name_alias",
                "file_name",
                "stem",
                "com_clsid"
            ]
            .contains(&e.matched.as_str()));
            assert!(["image_name", "original_file_name", "command_line_shape"]
                .contains(&e.executor.as_str()));
            registry += usize::from(e.registry.is_some());
        }
        for n in &r.evidence.outbound_network {
            assert!(["public", "private"].contains(&n.destination_class.as_str()));
        }
        not_applied += r.tuning_not_applied.len();
    }
    assert_eq!(shares, 1, "the share chain carries dll.unc");
    assert_eq!(registry, 1, "the -sta chain carries its registry record");
    assert_eq!(
        not_applied, 1,
        "the NGEN chain names the entry that did not apply"
    );
}
