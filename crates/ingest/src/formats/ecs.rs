//! `ecs`: Elastic Common Schema documents — Elastic Defend, and Winlogbeat 7+ / Elastic Agent's
//! Sysmon integration.
//!
//! Field reference: ECS (elastic.co/guide/en/ecs/current: `dll.*`, `file.*`, `process.*`,
//! `destination.*`, `network.direction`, `dns.question.name`, `*.code_signature.*`) and the Elastic
//! Defend event schemas (`logs-endpoint.events.library|file|process|network-*`).
//!
//! | ECS (Defend) | meaning here |
//! |---|---|
//! | `event.category` `library` + `dll.path`, `dll.code_signature.{exists,trusted,status,subject_name}`, `dll.hash.{sha256,sha1}` | image load |
//! | `event.category` `file`, `event.type` `creation`/`change` or `event.action` `creation`/`overwrite`/`rename` + `file.path` | file write |
//! | `event.category` `process`, `event.type` `start` + `process.{entity_id,pid,executable,command_line,pe.original_file_name,parent.*}` | process start |
//! | `event.category` `network` + `destination.ip`, `network.direction` (`egress`/`outbound` = initiated) | connection |
//! | `event.category` `network` + `dns.question.name` | DNS query |
//! | `event.category` `registry` + `registry.path` `…\CLSID\{…}\InprocServer32`, `registry.data.strings` | COM server registration (other registry events skipped) |
//! | `process.entity_id`, `host.hostname` (the OS's case) else `host.name` (the agent lower-cases it), `@timestamp` | identity, host, time |
//! | `user.domain` + `user.name` | the user as Sysmon logs it, `DOMAIN\name` |
//! | `dns.answers[].data`, `dns.resolved_ip[]` | the DNS answers (Sysmon's `QueryResults`) |
//!
//! Winlogbeat / Agent Sysmon documents (`winlog.event_id`, `winlog.provider_name`,
//! `winlog.event_data.*`) are decoded through the Sysmon field map; ECS fields the ingest pipeline
//! moved out of `event_data` (`file.path` for `ImageLoaded`/`TargetFilename`, `process.executable`,
//! `process.entity_id`, `destination.ip`, …) fill the gaps. For event 7 the current integration
//! writes `dll.*` as well as `file.*` (path, `hash.*`, `pe.original_file_name`, `code_signature.*`)
//! and says `trusted` (no `signed`): `exists`/`signed` give `Signed`, `status` (or `trusted: true`
//! → `Valid`, `trusted: false` → not valid) gives `SignatureStatus`; `file.hash.*` gives `Hashes` on
//! 7, 15 and 29; `user.domain` + `user.name` give `User`; `dns.answers`/`dns.resolved_ip` give
//! `QueryResults`, which the pipeline removes from `event_data`. `event.category` is
//! `["process", "library"]` for 7 there, which the `library` test reads first.
//!
//! ```json
//! {"@timestamp":"2024-03-01T10:15:02.014Z","event":{"category":["library"],"type":["start"],"action":"load"},
//!  "host":{"name":"fin-ws042"},"process":{"entity_id":"NzM0NC0x","pid":7344,"executable":"C:\\Windows\\System32\\rundll32.exe"},
//!  "dll":{"path":"C:\\Users\\alice\\AppData\\Local\\Temp\\msoupd.dll","code_signature":{"exists":false}}}
//! ```
//! Quirks: fields may be nested objects or dotted keys (`"dll.path": …`, as Kibana exports them);
//! `event.category` is a list or a string; code-signature `status` uses Windows trust vocabulary
//! (`trusted`, `errorExpired`, `errorUntrustedRoot`, …); `errorCode_endpoint*` and `errorChaining` mean
//! the endpoint could not decide and map to `unknown`.

use super::fields::{event_id, text};
use super::sysmon::{self, Header, Log};
use super::{Fields, RecordContext, RecordFormat};
use dllhound_model::{
    ComServer, DnsQuery, Event, EventKind, FileWrite, FileWriteKind, ImageLoad, NetworkConnect,
    ProcessKey, ProcessStart, Provenance, Signature, SignatureState, Timestamp, WinPath,
};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::sync::Arc;

pub struct Ecs;

/// `a.b.c` from nested objects, or from a dotted key at any level.
fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let o = v.as_object()?;
    if let Some(x) = o.get(path) {
        return Some(x);
    }
    let (head, rest) = path.split_once('.')?;
    get(o.get(head)?, rest).or_else(|| {
        // `{"dll": {"code_signature.exists": …}}` and other partial flattening.
        let mut parts = path.splitn(3, '.');
        let (a, b) = (parts.next()?, parts.next()?);
        let rest = parts.next()?;
        get(o.get(&format!("{a}.{b}"))?, rest)
    })
}

fn s<'a>(v: &'a Value, path: &str) -> Option<Cow<'a, str>> {
    get(v, path).and_then(text).filter(|t| !t.trim().is_empty())
}

fn boxed(v: &Value, path: &str) -> Option<Box<str>> {
    s(v, path).map(|t| t.trim().into())
}

fn has(v: &Value, path: &str, word: &str) -> bool {
    match get(v, path) {
        Some(Value::Array(a)) => a
            .iter()
            .any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(word))),
        Some(Value::String(x)) => x.eq_ignore_ascii_case(word),
        _ => false,
    }
}

fn boolean(v: &Value, path: &str) -> Option<bool> {
    match get(v, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(x) => x.trim().parse().ok(),
        _ => None,
    }
}

/// An ECS `entity_id`: a GUID when it looks like one (Sysmon through Winlogbeat), else opaque.
fn entity(v: &Value, prefix: &str, image: &WinPath) -> ProcessKey {
    let id = s(v, &format!("{prefix}.entity_id"));
    let pid = s(v, &format!("{prefix}.pid")).and_then(|p| p.trim().parse().ok());
    match id {
        Some(id) if id.trim_matches(['{', '}']).len() == 36 && id.matches('-').count() == 4 => {
            ProcessKey::from_parts(Some(&id), pid, Some(image.file_name()))
        }
        Some(id) => ProcessKey::Entity(id.trim().into()),
        None => ProcessKey::from_parts(None, pid, Some(image.file_name())),
    }
}

/// ECS code signature → signer state.
fn signature(v: &Value, prefix: &str) -> Signature {
    let exists = boolean(v, &format!("{prefix}.exists"));
    let trusted = boolean(v, &format!("{prefix}.trusted"));
    let status = s(v, &format!("{prefix}.status")).map(|x| x.to_ascii_lowercase());
    let state = match (exists, trusted, status.as_deref()) {
        (Some(false), _, _) => SignatureState::Unsigned,
        (_, _, Some("trusted" | "valid")) => SignatureState::Valid,
        (_, _, Some("errorexpired")) => SignatureState::Expired,
        (_, _, Some(st)) if st.starts_with("errorcode_endpoint") || st == "errorchaining" => {
            SignatureState::Unknown
        }
        (_, _, Some(st)) if st.starts_with("error") => SignatureState::Invalid,
        (_, Some(true), _) => SignatureState::Valid,
        (_, Some(false), _) => SignatureState::Invalid,
        _ => SignatureState::Unknown,
    };
    Signature {
        state,
        subject: boxed(v, &format!("{prefix}.subject_name")),
    }
}

/// `network.direction`: egress/outbound means this host opened the connection.
fn initiated(v: &Value) -> Option<bool> {
    match s(v, "network.direction")?.to_ascii_lowercase().as_str() {
        "egress" | "outbound" | "outgoing" => Some(true),
        "ingress" | "inbound" | "incoming" => Some(false),
        _ => None,
    }
}

/// What an ECS file event did: a deletion (`event.type: deletion`), a creation-time change
/// (`event.action` naming it, as Elastic's Sysmon pipeline does for event 2), or a write (creation,
/// change, overwrite, rename, modification); `None` for anything else (opens, reads).
fn file_action(v: &Value) -> Option<FileWriteKind> {
    let action = s(v, "event.action")
        .unwrap_or_default()
        .to_ascii_lowercase();
    if ["creation-time", "creation_time", "creation time"]
        .iter()
        .any(|w| action.contains(w))
    {
        return Some(FileWriteKind::CreationTimeChanged);
    }
    if has(v, "event.type", "deletion") || action.contains("delet") {
        return Some(FileWriteKind::Delete);
    }
    let written = has(v, "event.type", "creation")
        || has(v, "event.type", "change")
        || ["creation", "overwrite", "rename", "modification"]
            .iter()
            .any(|a| has(v, "event.action", a));
    written.then_some(FileWriteKind::Create)
}

fn process_image(v: &Value) -> WinPath {
    WinPath::new(s(v, "process.executable").as_deref().unwrap_or(""))
}

/// `DOMAIN\name` from `user.domain` and `user.name`, as Sysmon logs `User`: Elastic's pipelines split
/// it into the two fields, and an analyst pivots on the pair.
fn user(v: &Value) -> Option<Cow<'_, str>> {
    let name = s(v, "user.name")?;
    match s(v, "user.domain") {
        Some(d) if !name.contains('\\') => {
            Some(Cow::Owned(format!("{}\\{}", d.trim(), name.trim())))
        }
        _ => Some(name),
    }
}

/// A DNS event's answers in Sysmon's `QueryResults` form (`type:  5 cname;1.2.3.4;`), from
/// `dns.answers[].data` and `dns.resolved_ip[]`, which is where Elastic's pipelines put them.
fn dns_results(v: &Value) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut push = |x: String| {
        if !parts.contains(&x) {
            parts.push(x);
        }
    };
    if let Some(Value::Array(answers)) = get(v, "dns.answers") {
        for a in answers {
            let Some(data) = get(a, "data").and_then(text) else {
                continue;
            };
            match get(a, "type").and_then(text).as_deref() {
                Some("CNAME") => push(format!("type:  5 {}", data.trim())),
                _ => push(data.trim().to_string()),
            }
        }
    }
    match get(v, "dns.resolved_ip") {
        Some(Value::Array(ips)) => ips
            .iter()
            .filter_map(text)
            .for_each(|ip| push(ip.trim().to_string())),
        Some(one) => {
            if let Some(ip) = text(one) {
                push(ip.trim().to_string());
            }
        }
        None => {}
    }
    (!parts.is_empty()).then(|| parts.join(";") + ";")
}

/// The first of `paths` that is set.
fn first<'a>(v: &'a Value, paths: &[&str]) -> Option<Cow<'a, str>> {
    paths.iter().find_map(|p| s(v, p))
}

/// The first of `paths` that is a boolean.
fn first_bool(v: &Value, paths: &[&str]) -> Option<bool> {
    paths.iter().find_map(|p| boolean(v, p))
}

impl RecordFormat for Ecs {
    fn name(&self) -> &'static str {
        "ecs"
    }

    fn describe(&self) -> &'static str {
        "Elastic Common Schema: Elastic Defend events, Winlogbeat 7+ / Elastic Agent Sysmon documents"
    }

    fn sniff(&self, record: &Value) -> bool {
        get(record, "@timestamp").is_some()
            && (get(record, "winlog.event_id").is_some()
                || get(record, "event.category").is_some()
                || get(record, "ecs.version").is_some())
    }

    fn decode(&self, v: &Value, ctx: &RecordContext) -> Result<Option<Event>, String> {
        if get(v, "winlog.event_id").is_some() {
            return winlog(v, ctx);
        }
        let time = s(v, "@timestamp")
            .ok_or("no @timestamp")
            .and_then(|t| Timestamp::parse(&t).map_err(|_| "unreadable @timestamp"))?;
        // `host.hostname` keeps the case the OS reports; the agent lower-cases `host.name`.
        let host: Arc<str> = match s(v, "host.hostname").or_else(|| s(v, "host.name")) {
            Some(h) => h.trim().into(),
            None => return Err("no host.name".into()),
        };
        let image = process_image(v);
        let process = entity(v, "process", &image);
        let pid = s(v, "process.pid").and_then(|p| p.trim().parse().ok());
        let cat = |c: &str| has(v, "event.category", c);
        let kind = if cat("library") || s(v, "dll.path").is_some() && !cat("process") {
            let Some(dll) = s(v, "dll.path") else {
                return Err("library event without dll.path".into());
            };
            EventKind::ImageLoad(ImageLoad {
                process,
                pid,
                image,
                dll: WinPath::new(&dll),
                signature: signature(v, "dll.code_signature"),
                sha256: s(v, "dll.hash.sha256").map(|h| h.to_ascii_lowercase().into()),
                sha1: s(v, "dll.hash.sha1").map(|h| h.to_ascii_lowercase().into()),
                original_file_name: boxed(v, "dll.pe.original_file_name")
                    .or_else(|| boxed(v, "file.pe.original_file_name")),
                user: user(v).map(|u| u.trim().into()),
                signer_by_sha1: false,
            })
        } else if cat("file") {
            let Some(how) = file_action(v) else {
                return Ok(None);
            };
            let Some(path) = s(v, "file.path") else {
                return Ok(None);
            };
            EventKind::FileWrite(FileWrite {
                process,
                pid,
                image,
                target: WinPath::new(&path),
                how,
                sha256: s(v, "file.hash.sha256").map(|h| h.to_ascii_lowercase().into()),
                creation_time: None,
            })
        } else if cat("process") {
            if !(has(v, "event.type", "start")
                || has(v, "event.action", "start")
                || has(v, "event.action", "exec"))
            {
                return Ok(None);
            }
            let parent_image = s(v, "process.parent.executable").map(|p| WinPath::new(&p));
            let parent = Some(entity(
                v,
                "process.parent",
                parent_image.as_ref().unwrap_or(&WinPath::new("")),
            ));
            EventKind::ProcessStart(ProcessStart {
                process,
                pid,
                image,
                original_file_name: boxed(v, "process.pe.original_file_name"),
                command_line: boxed(v, "process.command_line"),
                parent,
                parent_image,
                user: user(v).map(|u| u.trim().into()),
            })
        } else if cat("registry") {
            let (Some(key), Some(value)) = (s(v, "registry.path"), registry_data(v)) else {
                return Ok(None);
            };
            match ComServer::from_value(process, pid, image, &key, &value) {
                Some(c) => EventKind::ComServer(c),
                None => return Ok(None),
            }
        } else if cat("network") {
            if let Some(q) = s(v, "dns.question.name") {
                EventKind::Dns(DnsQuery {
                    process,
                    pid,
                    image,
                    query: q.trim().into(),
                    results: dns_results(v).map(Into::into),
                })
            } else if let Some(ip) = s(v, "destination.ip") {
                let initiated = initiated(v);
                EventKind::Network(NetworkConnect {
                    process,
                    pid,
                    image,
                    initiated,
                    protocol: boxed(v, "network.transport"),
                    destination_ip: ip.trim().parse().ok(),
                    destination_port: s(v, "destination.port").and_then(|p| p.trim().parse().ok()),
                    destination_host: boxed(v, "destination.domain"),
                })
            } else {
                return Ok(None);
            }
        } else {
            return Ok(None);
        };
        let code = s(v, "event.dataset")
            .map(|d| format!("ecs:{d}"))
            .unwrap_or_else(|| format!("ecs:{}", kind_name(&kind)));
        let provenance = Provenance {
            file: ctx.input.clone(),
            file_record: ctx.record,
            line: ctx.line,
            // Winlogbeat / Elastic Agent keep the log's EventRecordID here.
            record_id: s(v, "winlog.record_id").and_then(|r| r.trim().parse().ok()),
            event_code: code.into(),
        };
        Ok(Some(Event {
            time,
            record_time: None,
            host,
            kind,
            provenance,
        }))
    }
}

/// Sysmon's `Hashes` text (`SHA1=…,SHA256=…`) from the first of `prefixes` that has `sha1` or
/// `sha256` under it.
fn hashes(v: &Value, prefixes: &[&str]) -> Option<Cow<'static, str>> {
    prefixes.iter().find_map(|p| {
        let h: Vec<String> = [("SHA1", "sha1"), ("SHA256", "sha256")]
            .iter()
            .filter_map(|(k, f)| s(v, &format!("{p}.{f}")).map(|x| format!("{k}={}", x.trim())))
            .collect();
        (!h.is_empty()).then(|| Cow::Owned(h.join(",")))
    })
}

/// `registry.data.strings` (a list, or one string), the value a registry event set.
fn registry_data(v: &Value) -> Option<Cow<'_, str>> {
    match get(v, "registry.data.strings")? {
        Value::Array(a) => a.first().and_then(text),
        other => text(other),
    }
}

fn kind_name(k: &EventKind) -> &'static str {
    k.name()
}

/// Winlogbeat / Agent Sysmon: `winlog.event_data` with ECS fields filling what the pipeline moved.
fn winlog(v: &Value, ctx: &RecordContext) -> Result<Option<Event>, String> {
    let id = get(v, "winlog.event_id")
        .and_then(event_id)
        .ok_or("no readable winlog.event_id")?;
    let log = Log::classify(
        s(v, "winlog.provider_name").as_deref(),
        s(v, "winlog.channel").as_deref(),
    );
    if !sysmon::is_relevant(log, id) {
        return Ok(None);
    }
    let mut data: Map<String, Value> = match get(v, "winlog.event_data") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let mut fill = |name: &str, value: Option<Cow<'_, str>>| {
        if !data.contains_key(name) {
            if let Some(x) = value {
                data.insert(name.to_string(), Value::String(x.into_owned()));
            }
        }
    };
    fill("ProcessGuid", s(v, "process.entity_id"));
    fill("ProcessId", s(v, "process.pid"));
    fill("Image", s(v, "process.executable"));
    fill("CommandLine", s(v, "process.command_line"));
    fill("OriginalFileName", s(v, "process.pe.original_file_name"));
    fill("ParentProcessGuid", s(v, "process.parent.entity_id"));
    fill("ParentProcessId", s(v, "process.parent.pid"));
    fill("ParentImage", s(v, "process.parent.executable"));
    fill("User", user(v));
    match id {
        7 => {
            // The integration has moved these to `file.*` (older) or `dll.*` (current), and says
            // `trusted` where Sysmon said `Signed`/`SignatureStatus`.
            fill("ImageLoaded", first(v, &["file.path", "dll.path"]));
            let sig = |f: &str| {
                [
                    format!("file.code_signature.{f}"),
                    format!("dll.code_signature.{f}"),
                ]
            };
            let exists = first_bool(v, &sig("exists").each_ref().map(String::as_str))
                .or_else(|| first_bool(v, &sig("signed").each_ref().map(String::as_str)));
            let trusted = first_bool(v, &sig("trusted").each_ref().map(String::as_str));
            let status = first(v, &sig("status").each_ref().map(String::as_str));
            fill("Signed", exists.map(|b| Cow::Owned(b.to_string())));
            fill(
                "SignatureStatus",
                status.or(match (exists, trusted) {
                    (Some(false), _) | (_, None) => None,
                    (_, Some(true)) => Some(Cow::Borrowed("Valid")),
                    (_, Some(false)) => Some(Cow::Borrowed("untrusted")),
                }),
            );
            fill(
                "Signature",
                first(v, &sig("subject_name").each_ref().map(String::as_str)),
            );
            fill(
                "OriginalFileName",
                first(
                    v,
                    &["file.pe.original_file_name", "dll.pe.original_file_name"],
                ),
            );
            fill("Hashes", hashes(v, &["file.hash", "dll.hash"]));
        }
        15 | 29 => {
            fill("TargetFilename", s(v, "file.path"));
            fill("Hashes", hashes(v, &["file.hash"]));
        }
        2 | 11 | 23 | 26 => fill("TargetFilename", s(v, "file.path")),
        3 => {
            fill("DestinationIp", s(v, "destination.ip"));
            fill("DestinationPort", s(v, "destination.port"));
            fill("DestinationHostname", s(v, "destination.domain"));
            fill("Protocol", s(v, "network.transport"));
            fill(
                "Initiated",
                initiated(v).map(|b| Cow::Borrowed(if b { "true" } else { "false" })),
            );
        }
        22 => {
            fill("QueryName", s(v, "dns.question.name"));
            fill("QueryResults", dns_results(v).map(Cow::Owned));
        }
        13 => {
            fill("TargetObject", s(v, "registry.path"));
            fill("Details", registry_data(v));
        }
        _ => {}
    }
    let header = Header {
        log,
        event_id: id,
        host: s(v, "winlog.computer_name").or_else(|| s(v, "host.name")),
        record_time: s(v, "@timestamp"),
        record: get(v, "winlog.record_id").and_then(|r| text(r)?.trim().parse().ok()),
    };
    let ev = sysmon::decode(header, Fields(&data), ctx)?;
    Ok(ev)
}
