//! Normalised events as the Elastic Agent Sysmon integration indexes them (the `eql` and `esql`
//! profiles): what its ingest pipeline makes of Sysmon 1, 3, 7, 11, 15 and 29. Other kinds (DNS,
//! registry, certificates, Security 4688) are rendered with their own event code so no rule reads
//! them, as in Elasticsearch, where they live in other data streams or are not corroborators.

use dllhound_model::{Event, EventKind, FileWriteKind, ProcessKey, WinPath};
use serde_json::{json, Map, Value};

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

fn entity(k: &ProcessKey) -> Option<String> {
    k.is_known().then(|| k.to_string())
}

fn set(m: &mut Map<String, Value>, path: &str, v: impl Into<Value>) {
    let v = v.into();
    if v.is_null() {
        return;
    }
    let mut cur = m;
    let mut parts = path.split('.').peekable();
    while let Some(p) = parts.next() {
        if parts.peek().is_none() {
            cur.insert(p.to_string(), v);
            return;
        }
        cur = cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("an object on the path");
    }
}

fn process(m: &mut Map<String, Value>, key: &ProcessKey, pid: Option<u32>, image: &WinPath) {
    set(m, "process.entity_id", entity(key));
    set(m, "process.pid", pid);
    if !image.is_empty() {
        set(m, "process.executable", image.original());
        set(m, "process.name", image.original_file_name());
    }
}

fn file_path(m: &mut Map<String, Value>, p: &WinPath) {
    let raw = p.original();
    set(m, "file.path", raw);
    if let Some(i) = raw.rfind('\\') {
        let name = &raw[i + 1..];
        set(m, "file.name", name);
        if let Some(j) = raw.rfind('.') {
            if j > i {
                set(m, "file.extension", &raw[j + 1..]);
            }
        }
    }
}

/// The document, with `event.category` as the pipeline sets it (`process` for 1 and 7).
pub fn document(e: &Event) -> Value {
    let mut m = Map::new();
    set(&mut m, "@timestamp", iso(e.time.0));
    set(&mut m, "host.name", e.host.to_lowercase());
    let code = e
        .provenance
        .event_code
        .rsplit(':')
        .next()
        .unwrap_or("")
        .to_string();
    let (category, code) = match &e.kind {
        EventKind::ProcessStart(p) => {
            process(&mut m, &p.process, p.pid, &p.image);
            set(&mut m, "process.command_line", p.command_line.as_deref());
            set(
                &mut m,
                "process.pe.original_file_name",
                p.original_file_name.as_deref(),
            );
            ("process", code)
        }
        EventKind::ImageLoad(l) => {
            process(&mut m, &l.process, l.pid, &l.image);
            file_path(&mut m, &l.dll);
            let (signed, status) = super::sysmon::signed_status(l.signature.state);
            set(&mut m, "winlog.event_data.Signed", signed);
            set(&mut m, "file.code_signature.status", status);
            set(
                &mut m,
                "file.code_signature.subject_name",
                l.signature.subject.as_deref(),
            );
            set(
                &mut m,
                "file.hash.sha256",
                l.sha256.as_deref().map(str::to_lowercase),
            );
            ("process", "7".to_string())
        }
        EventKind::FileWrite(w) => {
            process(&mut m, &w.process, w.pid, &w.image);
            file_path(&mut m, &w.target);
            let code = match w.how {
                FileWriteKind::Create => "11",
                FileWriteKind::Stream => "15",
                FileWriteKind::ExecutableDetected => "29",
                FileWriteKind::CreationTimeChanged => "2",
                FileWriteKind::Delete => "23",
                FileWriteKind::DeleteDetected => "26",
            };
            ("file", code.to_string())
        }
        EventKind::Network(n) => {
            process(&mut m, &n.process, n.pid, &n.image);
            match n.initiated {
                Some(true) => set(&mut m, "network.direction", "egress"),
                Some(false) => set(&mut m, "network.direction", "ingress"),
                None => {}
            }
            set(
                &mut m,
                "destination.ip",
                n.destination_ip.map(|i| i.to_string()),
            );
            set(&mut m, "destination.port", n.destination_port);
            ("network", "3".to_string())
        }
        EventKind::Dns(d) => {
            process(&mut m, &d.process, d.pid, &d.image);
            set(&mut m, "dns.question.name", d.query.as_ref());
            ("network", "22".to_string())
        }
        EventKind::ComServer(c) => {
            process(&mut m, &c.process, c.pid, &c.image);
            ("registry", "13".to_string())
        }
        EventKind::Certificate(_) => ("file", "certificate".to_string()),
    };
    set(&mut m, "event.category", json!([category]));
    set(&mut m, "event.code", code);
    Value::Object(m)
}
