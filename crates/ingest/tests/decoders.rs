//! Every record shape on a small record written here, through every container (plain file, gzip,
//! zip, JSON array): the same events must come out of each.

use dllhound_ingest::{read_input, Input, InputStats, ReadOptions, REGISTRY};
use dllhound_model::{Event, EventKind, FileWriteKind, ProcessKey, SignatureState, Timestamp};
use std::io::Write;
use std::path::PathBuf;

const EVTX_JSON_7: &str = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"}},"EventID":7,"TimeCreated":{"#attributes":{"SystemTime":"2020-10-17T16:27:08.0709487Z"}},"EventRecordID":419623,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"MSEDGEWIN10"},"EventData":{"RuleName":"-","UtcTime":"2020-10-17 16:27:08.058","ProcessGuid":"{747F3D96-1A2B-5F8B-0000-0010ABCDEF01}","ProcessId":5076,"Image":"C:\\ProgramData\\Intel\\CV.exe","ImageLoaded":"C:\\ProgramData\\Intel\\wwlib.dll","Hashes":"SHA1=AA,MD5=BB,SHA256=C0FFEE,IMPHASH=DD","Signed":"false","Signature":"-","SignatureStatus":"Unavailable"}}}"##;

const OTRF_11: &str = r##"{"@timestamp":"2020-10-22T01:31:09.420Z","TimeCreated":"2020-10-22T01:31:09.420Z","Channel":"Microsoft-Windows-Sysmon/Operational","EventID":11,"SourceName":"Microsoft-Windows-Sysmon","Hostname":"WORKSTATION5","UtcTime":"2020-10-22 05:31:09.410","ProcessGuid":"{39e4a257-1872-5f91-5c12-000000000700}","ProcessId":"10632","Image":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","TargetFilename":"C:\\ProgramData\\calc.cpl","CreationUtcTime":"2020-10-22 05:31:09.410"}"##;

const NXLOG_1: &str = r##"{"EventTime":"2018-01-26 15:32:42","Hostname":"DESKTOP-PPDS4VR","EventID":1,"SourceName":"Microsoft-Windows-Sysmon","RecordNumber":27773,"ProcessID":3124,"Channel":"Microsoft-Windows-Sysmon/Operational","UtcTime":"2018-01-26 07:32:42.621","ProcessGuid":"{85283F4F-D99A-5A6A-0000-00100152D301}","ProcessId":"308","Image":"C:\\Windows\\System32\\rundll32.exe","CommandLine":"\"C:\\Windows\\System32\\rundll32.exe\" C:\\Users\\q\\AllTheThings.dll, EntryPoint","ParentProcessGuid":"{85283F4F-7477-5A69-0000-00106FFD0600}","ParentProcessId":"6436","ParentImage":"C:\\Windows\\explorer.exe"}"##;

const SECURITY_4688: &str = r##"{"TimeCreated":"2020-10-22T01:31:10.660Z","Channel":"security","EventID":4688,"SourceName":"Microsoft-Windows-Security-Auditing","Hostname":"WORKSTATION5","NewProcessName":"C:\\Windows\\System32\\control.exe","NewProcessId":"0xe30","ProcessId":"0x2988","CommandLine":"\"C:\\windows\\system32\\control.exe\" C:\\ProgramData\\calc.cpl","ParentProcessName":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","SubjectUserName":"wardog"}"##;

const WINLOGBEAT6_3: &str = r##"{"@timestamp":"2019-05-18T20:37:09.000Z","source_name":"Microsoft-Windows-Sysmon","event_id":3,"log_name":"Microsoft-Windows-Sysmon/Operational","computer_name":"HR001.shire.com","record_number":"4230553","event_data":{"UtcTime":"2019-05-18 20:37:08.957","ProcessGuid":"{03ba39f5-ea6b-5ccb-0000-0010d32a0200}","ProcessId":"2380","Image":"C:\\Windows\\System32\\svchost.exe","Initiated":"true","Protocol":"tcp","DestinationIp":"204.79.197.200","DestinationPort":"443"}}"##;

const SECURITY_LOGON: &str = r##"{"TimeCreated":"2020-10-22T01:31:10.660Z","Channel":"Security","EventID":4624,"SourceName":"Microsoft-Windows-Security-Auditing","Hostname":"WORKSTATION5"}"##;

const ECS_DEFEND_LIBRARY: &str = r##"{"@timestamp":"2024-03-01T10:15:02.014Z","event":{"category":["library"],"type":["start"],"action":"load"},"host":{"name":"FIN-WS042"},"process":{"entity_id":"NzM0NC0xMzI5","pid":7344,"executable":"C:\\Windows\\System32\\rundll32.exe"},"dll":{"path":"C:\\Users\\alice\\AppData\\Local\\Temp\\msoupd.dll","code_signature":{"exists":true,"trusted":false,"status":"errorExpired","subject_name":"Old Corp"}}}"##;

const MDE_FILE_CREATED: &str = r##"{"Timestamp":"2024-03-01T10:15:01.530Z","DeviceId":"c0ffee","DeviceName":"fin-ws042","ActionType":"FileCreated","FileName":"msoupd.dll","FolderPath":"C:\\Users\\alice\\AppData\\Local\\Temp","SHA256":"AB12","InitiatingProcessFileName":"WINWORD.EXE","InitiatingProcessFolderPath":"c:\\program files\\microsoft office\\root\\office16\\winword.exe","InitiatingProcessId":6120,"InitiatingProcessCreationTime":"2024-03-01T10:14:02.118Z","ReportId":4242}"##;

const SAMPLES: [&str; 8] = [
    EVTX_JSON_7,
    OTRF_11,
    NXLOG_1,
    SECURITY_4688,
    WINLOGBEAT6_3,
    SECURITY_LOGON,
    ECS_DEFEND_LIBRARY,
    MDE_FILE_CREATED,
];

fn lines() -> String {
    SAMPLES.join("\n") + "\n"
}

fn read(path: PathBuf) -> (Vec<Event>, InputStats) {
    let mut events = Vec::new();
    let stats = read_input(&Input::Path(path), &ReadOptions::default(), &mut |e| {
        events.push(e)
    });
    (events, stats)
}

fn tmp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dllhound-decoders-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zip_of(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file(name, zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(bytes).unwrap();
    z.finish().unwrap().into_inner()
}

fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *bytes).unwrap();
    }
    b.into_inner().unwrap()
}

fn check(events: &[Event], stats: &InputStats) {
    assert_eq!(
        (stats.records_ok, stats.records_bad),
        (8, 0),
        "{:?}",
        stats.record_errors
    );
    assert_eq!(events.len(), 7);
    for f in REGISTRY {
        assert!(
            stats.formats.contains_key(f.name()),
            "format {} decoded nothing",
            f.name()
        );
    }

    let EventKind::ImageLoad(l) = &events[0].kind else {
        panic!("{:?}", events[0])
    };
    // As logged: `Computer` is MSEDGEWIN10 (a case-sensitive SIEM field must still match it).
    assert_eq!(&*events[0].host, "MSEDGEWIN10");
    assert_eq!(
        events[0].time,
        Timestamp::parse("2020-10-17 16:27:08.058").unwrap()
    );
    assert_eq!(events[0].provenance.record_id, Some(419623));
    assert_eq!(
        l.process,
        ProcessKey::Guid("747f3d96-1a2b-5f8b-0000-0010abcdef01".into())
    );
    assert_eq!(l.pid, Some(5076));
    assert_eq!(l.signature.state, SignatureState::Unsigned);
    assert_eq!(l.sha256.as_deref(), Some("c0ffee"));

    let EventKind::FileWrite(w) = &events[1].kind else {
        panic!()
    };
    assert_eq!(
        (w.how, w.target.original()),
        (FileWriteKind::Create, r"C:\ProgramData\calc.cpl")
    );
    assert_eq!(
        events[1].time,
        Timestamp::parse("2020-10-22 05:31:09.410").unwrap(),
        "UtcTime, not TimeCreated"
    );

    let EventKind::ProcessStart(p) = &events[2].kind else {
        panic!()
    };
    assert_eq!(
        p.pid,
        Some(308),
        "Sysmon's ProcessId, not NXLog's collector ProcessID"
    );
    assert_eq!(events[2].provenance.record_id, Some(27773));
    assert!(p
        .command_line
        .as_deref()
        .unwrap()
        .contains("AllTheThings.dll"));

    let EventKind::ProcessStart(s) = &events[3].kind else {
        panic!()
    };
    assert_eq!(s.pid, Some(0xe30));
    assert_eq!(events[3].provenance.event_code.as_ref(), "security:4688");

    let EventKind::Network(n) = &events[4].kind else {
        panic!()
    };
    assert_eq!(n.initiated, Some(true));
    assert_eq!(n.destination_port, Some(443));
    assert_eq!(events[4].provenance.record_id, Some(4230553));

    let EventKind::ImageLoad(e) = &events[5].kind else {
        panic!("{:?}", events[5])
    };
    assert_eq!(
        e.process,
        ProcessKey::Entity("NzM0NC0xMzI5".into()),
        "ECS entity ids keep their case"
    );
    assert_eq!(e.signature.state, SignatureState::Expired);
    assert_eq!(&*events[5].host, "FIN-WS042", "host.name as logged");

    let EventKind::FileWrite(m) = &events[6].kind else {
        panic!("{:?}", events[6])
    };
    assert_eq!(
        m.target.original(),
        r"C:\Users\alice\AppData\Local\Temp\msoupd.dll",
        "FileName joined to a folder-only FolderPath"
    );
    assert!(matches!(&m.process, ProcessKey::Entity(e) if e.starts_with("mde:c0ffee:6120:")));
    assert_eq!(
        events[6].provenance.event_code.as_ref(),
        "mde:DeviceFileEvents"
    );
}

#[test]
fn every_shape_decodes_from_a_plain_file() {
    let (e, s) = read(tmp("plain.json", lines().as_bytes()));
    check(&e, &s);
    assert_eq!(e[0].provenance.line, Some(1));
}

/// Issue 17: `.tar`, `.tar.gz` and `.tgz` (how OTRF and many collectors ship recordings) failed
/// with "unexpected end of file".
#[test]
fn regression_17_tar_and_tar_gz_give_the_same_events() {
    let plain = read(tmp("p.json", lines().as_bytes())).0;
    let kinds = |v: &[Event]| {
        v.iter()
            .map(|e| format!("{:?}", e.kind))
            .collect::<Vec<_>>()
    };
    let tar = tar_of(&[
        ("set/a.json", lines().as_bytes()),
        ("set/._a.json", b"\0\x05\x16\x07"),
    ]);
    for (file, bytes) in [
        ("x.tar", tar.clone()),
        ("x.tar.gz", gz(&tar)),
        ("x.tgz", gz(&tar)),
    ] {
        let (e, s) = read(tmp(file, &bytes));
        check(&e, &s);
        assert!(s.input_errors.is_empty(), "{file}: {:?}", s.input_errors);
        assert_eq!(kinds(&e), kinds(&plain), "{file}");
        assert!(
            e[0].provenance
                .file
                .ends_with(&format!("{file}:set/a.json")),
            "{}",
            e[0].provenance.file
        );
    }
    // Cut short inside its member (as OTRF's empire_scm_dll_hijack_ikeext.tar.gz is): an input
    // error naming the member, and the whole lines before the cut still decode.
    let cut = &tar[..512 + lines().len() / 2];
    let (e, s) = read(tmp("cut.tar", cut));
    assert!(!e.is_empty());
    assert!(
        s.input_errors
            .iter()
            .any(|x| x.to_string().contains("cut.tar:set/a.json")),
        "{:?}",
        s.input_errors
    );
}

#[test]
fn gzip_zip_and_json_array_give_the_same_events() {
    let plain = read(tmp("p.json", lines().as_bytes())).0;
    let kinds = |v: &[Event]| {
        v.iter()
            .map(|e| format!("{:?}", e.kind))
            .collect::<Vec<_>>()
    };
    let (g, gs) = read(tmp("x.json.gz", &gz(lines().as_bytes())));
    check(&g, &gs);
    let (z, zs) = read(tmp("x.zip", &zip_of("inner/x.json", lines().as_bytes())));
    check(&z, &zs);
    assert!(z[0].provenance.file.ends_with("x.zip:inner/x.json"));
    let array = format!("[{}]", SAMPLES.join(",\n"));
    let (a, as_) = read(tmp("x.array.json", array.as_bytes()));
    check(&a, &as_);
    assert_eq!(kinds(&g), kinds(&plain));
    assert_eq!(kinds(&z), kinds(&plain));
    assert_eq!(kinds(&a), kinds(&plain));
}

#[test]
fn bad_records_are_counted_located_and_skipped() {
    let text = format!(
        "{OTRF_11}\n{{not json\n{{\"hello\":1}}\n{}\n{OTRF_11}\n",
        r##"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":7,"Hostname":"H","UtcTime":"2020-10-22 05:31:09.410"}"##
    );
    let (e, s) = read(tmp("bad.json", text.as_bytes()));
    assert_eq!(e.len(), 2);
    assert_eq!((s.records_ok, s.records_bad), (2, 3));
    let msgs: Vec<String> = s.record_errors.iter().map(ToString::to_string).collect();
    assert!(
        msgs[0].ends_with("bad.json:line 2: invalid JSON: key must be a string at line 1 column 2"),
        "{msgs:?}"
    );
    assert!(
        msgs[1].contains(":line 3: unrecognised record shape"),
        "{msgs:?}"
    );
    assert!(
        msgs[2].contains(":line 4: Sysmon 7 without ImageLoaded"),
        "{msgs:?}"
    );
}

#[test]
fn unreadable_and_unrecognised_inputs_are_input_errors() {
    let (_, missing) = read(PathBuf::from("/nonexistent/dllhound/x.evtx"));
    assert_eq!(missing.input_errors.len(), 1);
    let (_, binary) = read(tmp("x.bin", b"MZ\x90\x00\x03"));
    assert!(binary.input_errors[0]
        .to_string()
        .contains("unrecognised content"));
    let (_, truncated) = read(tmp("t.zip", &zip_of("a.json", lines().as_bytes())[..40]));
    assert!(!truncated.is_clean());
    let (_, fake_evtx) = read(tmp("f.evtx", b"ElfFile\0garbage"));
    assert!(!fake_evtx.is_clean());
}

#[test]
fn long_inputs_are_read_in_blocks_without_losing_or_splitting_lines() {
    // ~14 MB: several 4 MiB blocks, read by two workers, with a bad line in the middle.
    let n = 40_000usize;
    let mut text = String::with_capacity(n * 360);
    for i in 0..n {
        if i == 25_000 {
            text.push_str("{\"EventID\": 11, broken\n");
        }
        text.push_str(OTRF_11);
        text.push('\n');
    }
    let p = tmp("long.jsonl", text.as_bytes());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let (events, stats) = pool.install(|| read(p));
    assert_eq!((stats.records_ok, stats.records_bad), (n as u64, 1));
    assert_eq!(events.len(), n);
    assert_eq!(stats.record_errors[0].at, "line 25001");
    assert_eq!(events.last().unwrap().provenance.line, Some(n as u64 + 1));
    assert_eq!(stats.bytes, text.len() as u64);
}

#[test]
fn a_file_deleted_between_listing_and_reading_is_a_located_error_and_the_rest_reads() {
    let dir = std::env::temp_dir().join(format!("dllhound-deleted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/attack-chain.jsonl"
    );
    std::fs::copy(example, dir.join("a.jsonl")).unwrap();
    std::fs::copy(example, dir.join("b.jsonl")).unwrap();
    let (inputs, errors) = dllhound_ingest::expand_inputs(std::slice::from_ref(&dir));
    assert!(errors.is_empty());
    assert_eq!(inputs.len(), 2);
    std::fs::remove_file(dir.join("a.jsonl")).unwrap();
    let opts = dllhound_ingest::ReadOptions::default();
    let gone = dllhound_ingest::read_input(&inputs[0], &opts, &mut |_| {});
    let err = gone.input_errors[0].to_string();
    assert!(
        err.contains("a.jsonl") && err.contains("No such file"),
        "{err}"
    );
    assert_eq!(gone.records_ok + gone.records_bad, 0);
    let kept = dllhound_ingest::read_input(&inputs[1], &opts, &mut |_| {});
    assert!(kept.is_clean());
    assert_eq!(kept.records_ok, 120);
}
