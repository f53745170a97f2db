//! ECS as Elastic's Windows integration stores Sysmon today (the shapes of its pipeline's
//! expected-output test files, `packages/windows/data_stream/sysmon_operational`): the user split
//! into `user.domain` + `user.name`, DNS answers in `dns.answers`/`dns.resolved_ip` (not in
//! `winlog.event_data`), hashes and signer under `dll.*` and `file.*` with `trusted` instead of
//! `signed`, `event.category: ["process", "library"]` for event 7, and `host.name` lower-cased
//! beside `host.hostname`. Elastic Defend documents carry the same `user.*` and `dns.*` fields.

use dllhound_ingest::{read_bytes, ReadOptions};
use dllhound_model::{Event, EventKind, SignatureState};

fn decode(text: &str) -> Vec<Event> {
    let mut out = Vec::new();
    let st = read_bytes(
        "ecs.ndjson",
        text.as_bytes(),
        &ReadOptions::default(),
        &mut |e| out.push(e),
    );
    assert_eq!(st.records_bad, 0, "{:?}", st.bad_by_reason);
    out
}

/// Sysmon 7 through the current integration: `dll.*`, `file.code_signature.trusted`, the user
/// split, and what stays in `event_data` (only fields no processor moved).
const LOAD: &str = r#"{"@timestamp":"2020-10-28T02:39:26.374Z","dll":{"code_signature":{"exists":true,"status":"Valid","subject_name":"Contoso Ltd","trusted":true},"hash":{"sha1":"9955a1c071c44a7ceecc0d928a9cfb7f64cc3f93","sha256":"4808f1101f4e42387d8ddb7a355668bae3bf6f781c42d3bcd82e23446b1deb3e"},"name":"IDStore.dll","path":"C:\\Users\\Public\\IDStore.dll","pe":{"original_file_name":"IdStore.dll"}},"ecs":{"version":"8.17.0"},"event":{"action":["Image loaded","load"],"category":["process","library"],"code":"7","kind":"event","provider":"Microsoft-Windows-Sysmon","type":["change","start"]},"file":{"code_signature":{"trusted":true},"path":"C:\\Users\\Public\\IDStore.dll","pe":{"original_file_name":"IdStore.dll"}},"host":{"hostname":"VAGRANT","id":"8f0e3c2a-1b7d-4c55-9a0e-2d1f6b3c4e5f","name":"vagrant"},"process":{"entity_id":"{9f32b55f-d9de-5f98-f006-000000000600}","executable":"C:\\Windows\\System32\\dllhost.exe","name":"dllhost.exe","pid":5184},"user":{"domain":"DOMAIN","id":"S-1-5-18","name":"username"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"vagrant","event_data":{"Company":"Microsoft Corporation"},"event_id":"7","provider_name":"Microsoft-Windows-Sysmon","record_id":"10685"}}"#;

/// The integration's own failed-signature case: `Signed: failed: Invalid hash` stays in
/// `event_data`, the status is under `dll.code_signature`, `file.code_signature.trusted: false`.
const FAILED: &str = r#"{"@timestamp":"2020-10-28T02:39:26.374Z","dll":{"code_signature":{"status":"failed: Invalid hash"},"path":"C:\\Windows\\System32\\IDStore.dll"},"event":{"category":["process","library"],"code":"7"},"file":{"code_signature":{"trusted":false},"path":"C:\\Windows\\System32\\IDStore.dll"},"host":{"name":"vagrant"},"process":{"entity_id":"{9f32b55f-d9de-5f98-f006-000000000600}","executable":"C:\\Windows\\System32\\dllhost.exe","pid":5184},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"vagrant","event_data":{"Signed":"failed: Invalid hash"},"event_id":"7","provider_name":"Microsoft-Windows-Sysmon","record_id":"10685"}}"#;

/// Sysmon 22: `QueryResults` is gone from `event_data`; the answers are ECS.
const DNS: &str = r#"{"@timestamp":"2019-07-18T03:34:01.239Z","dns":{"answers":[{"data":"go.microsoft.com.edgekey.net","type":"CNAME"},{"data":"89.160.20.156","type":"A"}],"question":{"name":"go.microsoft.com"},"resolved_ip":["89.160.20.156"]},"event":{"category":["network"],"code":"22"},"host":{"name":"vagrant-2016"},"process":{"entity_id":"{fa4a0de6-e8a8-5d2f-0000-001094619900}","executable":"C:\\Program Files\\Internet Explorer\\iexplore.exe","pid":356},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"vagrant-2016","event_id":"22","provider_name":"Microsoft-Windows-Sysmon","record_id":"66"}}"#;

/// Sysmon 29 (and 15): the hashes are `file.hash.*`.
const EXE: &str = r#"{"@timestamp":"2024-03-01T10:00:00.000Z","event":{"category":["file"],"code":"29","type":["creation"]},"file":{"hash":{"sha256":"aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44"},"path":"C:\\Users\\bob\\AppData\\Local\\Temp\\x.dll"},"host":{"name":"ws1"},"process":{"entity_id":"{11111111-1111-1111-1111-111111111111}","executable":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","pid":8020},"user":{"domain":"CORP","name":"bob"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","computer_name":"WS1.corp.example","event_id":"29","provider_name":"Microsoft-Windows-Sysmon","record_id":"7"}}"#;

/// Elastic Defend: `user.domain`, `dns.resolved_ip`, `host.hostname` beside the agent's
/// lower-cased `host.name`.
const DEFEND: &str = r#"{"@timestamp":"2024-03-01T10:00:01.000Z","event":{"category":["library"],"type":["start"],"action":"load"},"host":{"hostname":"FIN-WS042","id":"c0ffee","name":"fin-ws042"},"process":{"entity_id":"NzM0NC0x","pid":7344,"executable":"C:\\Windows\\System32\\rundll32.exe"},"user":{"domain":"CORP","name":"alice"},"dll":{"path":"C:\\Users\\alice\\AppData\\Local\\Temp\\msoupd.dll","code_signature":{"exists":false},"pe":{"original_file_name":"msoupd.dll"}}}
{"@timestamp":"2024-03-01T10:00:02.000Z","event":{"category":["network"],"type":["protocol","info"],"action":"lookup_result"},"host":{"hostname":"FIN-WS042","name":"fin-ws042"},"process":{"entity_id":"NzM0NC0x","pid":7344,"executable":"C:\\Windows\\System32\\rundll32.exe"},"dns":{"question":{"name":"cdn-update.example.net"},"resolved_ip":["203.0.113.45"]}}"#;

#[test]
fn a_current_integration_image_load_keeps_user_domain_signer_hashes_and_original_name() {
    let ev = decode(LOAD);
    let [e] = ev.as_slice() else { panic!("{ev:?}") };
    let EventKind::ImageLoad(l) = &e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(l.user.as_deref(), Some(r"DOMAIN\username"));
    assert_eq!(l.signature.state, SignatureState::Valid);
    assert_eq!(l.signature.subject.as_deref(), Some("Contoso Ltd"));
    assert_eq!(
        l.sha256.as_deref(),
        Some("4808f1101f4e42387d8ddb7a355668bae3bf6f781c42d3bcd82e23446b1deb3e")
    );
    assert_eq!(l.original_file_name.as_deref(), Some("IdStore.dll"));
    assert_eq!(&*e.host, "vagrant");
    assert_eq!(e.provenance.record_id, Some(10685));
}

#[test]
fn a_failed_signature_is_invalid_not_unknown() {
    let ev = decode(FAILED);
    let EventKind::ImageLoad(l) = &ev[0].kind else {
        panic!("{ev:?}")
    };
    assert_eq!(l.signature.state, SignatureState::Invalid);
    // Only `trusted: false`, nothing else: not trusted is not valid.
    let bare = FAILED
        .replace(r#""code_signature":{"status":"failed: Invalid hash"},"#, "")
        .replace(r#""event_data":{"Signed":"failed: Invalid hash"},"#, "");
    let ev = decode(&bare);
    let EventKind::ImageLoad(l) = &ev[0].kind else {
        panic!("{ev:?}")
    };
    assert_eq!(l.signature.state, SignatureState::Invalid, "{bare}");
}

#[test]
fn dns_answers_come_from_dns_answers_and_resolved_ip() {
    let ev = decode(DNS);
    let EventKind::Dns(d) = &ev[0].kind else {
        panic!("{ev:?}")
    };
    assert_eq!(&*d.query, "go.microsoft.com");
    let r = d.results.as_deref().unwrap_or_default();
    assert!(r.contains("89.160.20.156"), "{r}");
    assert!(r.contains("go.microsoft.com.edgekey.net"), "{r}");
}

#[test]
fn file_events_15_and_29_keep_their_hash_and_user() {
    let ev = decode(EXE);
    let EventKind::FileWrite(w) = &ev[0].kind else {
        panic!("{ev:?}")
    };
    assert_eq!(
        w.sha256.as_deref(),
        Some("aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44")
    );
    assert_eq!(&*ev[0].host, "WS1.corp.example", "the logged Computer");
}

#[test]
fn defend_documents_keep_the_user_domain_the_dns_answers_and_the_hosts_case() {
    let ev = decode(DEFEND);
    let EventKind::ImageLoad(l) = &ev[0].kind else {
        panic!("{ev:?}")
    };
    assert_eq!(l.user.as_deref(), Some(r"CORP\alice"));
    assert_eq!(l.signature.state, SignatureState::Unsigned);
    assert_eq!(
        &*ev[0].host, "FIN-WS042",
        "host.hostname, as the OS spells it"
    );
    let EventKind::Dns(d) = &ev[1].kind else {
        panic!("{ev:?}")
    };
    assert_eq!(d.results.as_deref(), Some("203.0.113.45;"));
}
