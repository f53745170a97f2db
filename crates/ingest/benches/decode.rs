//! Decoding one record of each format (the per-record cost behind every scan), and the byte-level
//! event-id look that lets most records skip decoding.

use criterion::{criterion_group, criterion_main, Criterion};
use dllhound_ingest::formats::RecordContext;
use dllhound_ingest::REGISTRY;
use serde_json::Value;
use std::hint::black_box;

const SAMPLES: [(&str, &str); 4] = [
    (
        "evtx-json",
        r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":7,"TimeCreated":{"#attributes":{"SystemTime":"2020-10-17T16:27:08.0709487Z"}},"EventRecordID":419623,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"MSEDGEWIN10"},"EventData":{"UtcTime":"2020-10-17 16:27:08.058","ProcessGuid":"{747f3d96-1a2b-5f8b-0000-0010abcdef01}","ProcessId":5076,"Image":"C:\\ProgramData\\Intel\\CV.exe","ImageLoaded":"C:\\ProgramData\\Intel\\wwlib.dll","Hashes":"SHA1=AA,SHA256=C0FFEE","Signed":"false","Signature":"-","SignatureStatus":"Unavailable"}}}"##,
    ),
    (
        "sysmon-flat",
        r##"{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":7,"SourceName":"Microsoft-Windows-Sysmon","Hostname":"MKT01.pandalab.com","TimeCreated":"2023-09-05T09:51:51.445Z","UtcTime":"2023-09-06 04:51:51.442","ProcessGuid":"{ec2b781c-0687-64f8-ce06-000000000500}","ProcessId":"7848","Image":"C:\\Program Files\\SharpDump.exe","ImageLoaded":"C:\\Windows\\System32\\ntdll.dll","Signed":"true","SignatureStatus":"Valid","Signature":"Microsoft Windows"}"##,
    ),
    (
        "ecs",
        r##"{"@timestamp":"2024-03-01T10:15:02.014Z","event":{"category":["library"],"type":["start"]},"host":{"name":"fin-ws042"},"process":{"entity_id":"NzM0NC0x","pid":7344,"executable":"C:\\Windows\\System32\\rundll32.exe"},"dll":{"path":"C:\\Users\\alice\\AppData\\Local\\Temp\\msoupd.dll","code_signature":{"exists":false}}}"##,
    ),
    (
        "mde",
        r##"{"Timestamp":"2024-03-01T10:15:02.118Z","DeviceId":"c0ffee","DeviceName":"fin-ws042","ActionType":"ImageLoaded","FileName":"msoupd.dll","FolderPath":"C:\\Users\\alice\\AppData\\Local\\Temp\\msoupd.dll","SHA1":"5f1d","InitiatingProcessFileName":"rundll32.exe","InitiatingProcessId":7344,"InitiatingProcessCreationTime":"2024-03-01T10:15:02.002Z","InitiatingProcessFolderPath":"c:\\windows\\system32\\rundll32.exe"}"##,
    ),
];

fn decode(c: &mut Criterion) {
    let ctx = RecordContext {
        input: "bench".into(),
        line: Some(1),
        record: None,
        element: None,
        only: None,
    };
    for (name, text) in SAMPLES {
        let format = REGISTRY.iter().find(|f| f.name() == name).copied();
        let Some(format) = format else { continue };
        let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        c.bench_function(&format!("parse+decode/{name}"), |b| {
            b.iter(|| {
                let v: Value = serde_json::from_str(black_box(text)).unwrap_or(Value::Null);
                black_box(format.decode(&v, &ctx).ok())
            })
        });
        c.bench_function(&format!("decode/{name}"), |b| {
            b.iter(|| black_box(format.decode(black_box(&value), &ctx).ok()))
        });
    }
}

criterion_group!(benches, decode);
criterion_main!(benches);
