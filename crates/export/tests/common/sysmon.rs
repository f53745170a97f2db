//! Normalised events as flat Sysmon documents (the `sigma` and `spl` profiles: Sysmon's own field
//! names), with `timestamp` in ISO 8601 and `EventID` a number.

use dllhound_model::{Event, EventKind, FileWriteKind, ProcessKey, SignatureState, WinPath};
use serde_json::{Map, Value};

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<String>) {
    if let Some(v) = v {
        m.insert(k.into(), Value::String(v));
    }
}

fn process(m: &mut Map<String, Value>, key: &ProcessKey, pid: Option<u32>, image: &WinPath) {
    put(m, "ProcessGuid", key.is_known().then(|| key.to_string()));
    put(m, "ProcessId", pid.map(|p| p.to_string()));
    put(
        m,
        "Image",
        (!image.is_empty()).then(|| image.original().to_string()),
    );
}

/// `(Signed, SignatureStatus)` as Sysmon logs the state.
pub fn signed_status(s: SignatureState) -> (&'static str, &'static str) {
    match s {
        SignatureState::Valid => ("true", "Valid"),
        SignatureState::Unsigned => ("false", "Unavailable"),
        SignatureState::Invalid => ("true", "Revoked"),
        SignatureState::Expired => ("true", "Expired"),
        SignatureState::Unknown => ("true", "Unavailable"),
    }
}

/// The document.
pub fn document(e: &Event) -> Value {
    let mut m = Map::new();
    put(&mut m, "timestamp", Some(iso(e.time.0)));
    put(&mut m, "Computer", Some(e.host.to_string()));
    let id: u32 = match &e.kind {
        EventKind::ProcessStart(p) => {
            process(&mut m, &p.process, p.pid, &p.image);
            put(
                &mut m,
                "CommandLine",
                p.command_line.as_deref().map(String::from),
            );
            put(
                &mut m,
                "OriginalFileName",
                p.original_file_name.as_deref().map(String::from),
            );
            // Security 4688 keeps its own id: no Sysmon rule reads it.
            if e.provenance.event_code.starts_with("sysmon") {
                1
            } else {
                4688
            }
        }
        EventKind::ImageLoad(l) => {
            process(&mut m, &l.process, l.pid, &l.image);
            put(&mut m, "ImageLoaded", Some(l.dll.original().to_string()));
            let (signed, status) = signed_status(l.signature.state);
            put(&mut m, "Signed", Some(signed.into()));
            put(&mut m, "SignatureStatus", Some(status.into()));
            put(
                &mut m,
                "Signature",
                l.signature.subject.as_deref().map(String::from),
            );
            put(
                &mut m,
                "Hashes",
                l.sha256
                    .as_deref()
                    .map(|h| format!("SHA256={}", h.to_ascii_uppercase())),
            );
            7
        }
        EventKind::FileWrite(w) => {
            process(&mut m, &w.process, w.pid, &w.image);
            put(
                &mut m,
                "TargetFilename",
                Some(w.target.original().to_string()),
            );
            match w.how {
                FileWriteKind::Create => 11,
                FileWriteKind::Stream => 15,
                FileWriteKind::ExecutableDetected => 29,
                FileWriteKind::CreationTimeChanged => 2,
                FileWriteKind::Delete => 23,
                FileWriteKind::DeleteDetected => 26,
            }
        }
        EventKind::Network(n) => {
            process(&mut m, &n.process, n.pid, &n.image);
            put(&mut m, "Initiated", n.initiated.map(|i| i.to_string()));
            put(
                &mut m,
                "DestinationIp",
                n.destination_ip.map(|i| i.to_string()),
            );
            put(
                &mut m,
                "DestinationPort",
                n.destination_port.map(|p| p.to_string()),
            );
            3
        }
        EventKind::Dns(d) => {
            process(&mut m, &d.process, d.pid, &d.image);
            put(&mut m, "QueryName", Some(d.query.to_string()));
            22
        }
        EventKind::ComServer(c) => {
            process(&mut m, &c.process, c.pid, &c.image);
            13
        }
        EventKind::Certificate(_) => 0,
    };
    m.insert("EventID".into(), Value::from(id));
    Value::Object(m)
}
