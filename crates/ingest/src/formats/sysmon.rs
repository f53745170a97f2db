//! The Sysmon / Security field map shared by every shape that carries Sysmon's own field names.
//!
//! Shapes differ only in where they put the header (event id, channel, host, record time) and the
//! event data; once located, the names are Sysmon's (`ProcessGuid`, `ImageLoaded`, `TargetFilename`, …)
//! and Security 4688's (`NewProcessName`, `NewProcessId`, `CommandLine`, …). Kinds used:
//! Sysmon 1, 3, 7, 11, 13 (COM server registrations only), 15, 22, 29 and Security 4688. Event time is Sysmon's `UtcTime`; the record's own
//! time is only a fallback (it is hours off in several real exports).

use super::{Fields, RecordContext};
use dllhound_model::{
    ComServer, DnsQuery, Event, EventKind, FileWrite, FileWriteKind, ImageLoad, NetworkConnect,
    ProcessKey, ProcessStart, Provenance, Signature, Timestamp, WinPath,
};
use std::borrow::Cow;
use std::sync::Arc;

/// Which log a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    Sysmon,
    Security,
    Other,
}

impl Log {
    /// From the provider / source name and channel, whichever the shape has (case varies in real data).
    pub fn classify(provider: Option<&str>, channel: Option<&str>) -> Log {
        let has = |s: Option<&str>, needle: &str| {
            s.is_some_and(|s| s.to_ascii_lowercase().contains(needle))
        };
        if has(provider, "sysmon") || has(channel, "sysmon/operational") {
            Log::Sysmon
        } else if has(provider, "security-auditing")
            || channel.is_some_and(|c| c.eq_ignore_ascii_case("security"))
        {
            Log::Security
        } else {
            Log::Other
        }
    }
}

/// The record header, located by the shape.
pub struct Header<'a> {
    pub log: Log,
    pub event_id: u32,
    pub host: Option<Cow<'a, str>>,
    /// The record's own time (EVTX `SystemTime`, `TimeCreated`, `@timestamp`), used only without `UtcTime`.
    pub record_time: Option<Cow<'a, str>>,
    /// A record number the shape carries (`RecordNumber`, `record_number`).
    pub record: Option<u64>,
}

/// True for the (log, id) pairs AN0052 reads.
pub fn is_relevant(log: Log, id: u32) -> bool {
    match log {
        Log::Sysmon => matches!(id, 1 | 2 | 3 | 7 | 11 | 13 | 15 | 22 | 23 | 26 | 29),
        Log::Security => id == 4688,
        Log::Other => false,
    }
}

/// Decodes Sysmon / Security event data into an [`Event`]; `Ok(None)` for kinds AN0052 does not use.
pub fn decode(h: Header<'_>, d: Fields<'_>, ctx: &RecordContext) -> Result<Option<Event>, String> {
    if !is_relevant(h.log, h.event_id) {
        return Ok(None);
    }
    let code = match h.log {
        Log::Sysmon => format!("sysmon:{}", h.event_id),
        _ => format!("security:{}", h.event_id),
    };
    let time = match d
        .get("UtcTime")
        .filter(|t| !t.trim().is_empty() && t.trim() != "-")
    {
        Some(t) => Timestamp::parse(&t).map_err(|e| format!("bad UtcTime: {e}"))?,
        None => match h.record_time.as_deref() {
            Some(t) => Timestamp::parse(t).map_err(|e| format!("bad record time: {e}"))?,
            None => return Err("no time: neither UtcTime nor a record time".into()),
        },
    };
    let host: Arc<str> = match h.host.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.into(),
        None => return Err("no host name".into()),
    };
    let provenance = Provenance {
        file: ctx.input.clone(),
        file_record: ctx.record,
        line: ctx.line,
        record_id: h.record,
        event_code: code.into(),
    };
    let kind = match (h.log, h.event_id) {
        (Log::Security, _) => process_start_4688(d)?,
        (_, 1) => process_start(d)?,
        (_, 3) => network(d),
        (_, 7) => image_load(d)?,
        (_, 11) => file_write(d, FileWriteKind::Create)?,
        (_, 15) => file_write(d, FileWriteKind::Stream)?,
        (_, 29) => file_write(d, FileWriteKind::ExecutableDetected)?,
        (_, 2) => file_write(d, FileWriteKind::CreationTimeChanged)?,
        (_, 23) => file_write(d, FileWriteKind::Delete)?,
        (_, 26) => file_write(d, FileWriteKind::DeleteDetected)?,
        (_, 22) => dns(d)?,
        (_, 13) => match com_server(d) {
            Some(k) => k,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let record_time = h
        .record_time
        .as_deref()
        .and_then(|t| Timestamp::parse(t).ok());
    Ok(Some(Event {
        time,
        record_time,
        host,
        kind,
        provenance,
    }))
}

fn opt(d: Fields<'_>, name: &str) -> Option<Box<str>> {
    d.get(name)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s != "-")
        .map(Into::into)
}

fn required<'a>(d: Fields<'a>, name: &str, what: &str) -> Result<Cow<'a, str>, String> {
    d.get(name)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| format!("{what} without {name}"))
}

fn parse_pid(d: Fields<'_>, name: &str) -> Option<u32> {
    let s = d.get(name)?;
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn path(d: Fields<'_>, name: &str) -> WinPath {
    WinPath::new(d.get(name).as_deref().unwrap_or(""))
}

fn process_key(
    d: Fields<'_>,
    guid: &str,
    pid_field: &str,
    image: &WinPath,
) -> (ProcessKey, Option<u32>) {
    let p = parse_pid(d, pid_field);
    (
        ProcessKey::from_parts(d.get(guid).as_deref(), p, Some(image.file_name())),
        p,
    )
}

/// `SHA1=…,MD5=…,SHA256=…,IMPHASH=…` → the value of one algorithm, lower case.
fn hash(d: Fields<'_>, name: &str, algo: &str) -> Option<Box<str>> {
    let h = d.get(name)?;
    h.split(',').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        k.eq_ignore_ascii_case(algo)
            .then(|| v.trim().to_ascii_lowercase().into())
    })
}

fn sha256(d: Fields<'_>, name: &str) -> Option<Box<str>> {
    hash(d, name, "SHA256")
}

fn process_start(d: Fields<'_>) -> Result<EventKind, String> {
    let image = WinPath::new(&required(d, "Image", "process start")?);
    let (process, pid) = process_key(d, "ProcessGuid", "ProcessId", &image);
    let parent_image = d.get("ParentImage").map(|p| WinPath::new(&p));
    let parent = Some(ProcessKey::from_parts(
        d.get("ParentProcessGuid").as_deref(),
        parse_pid(d, "ParentProcessId"),
        parent_image.as_ref().map(|p| p.file_name()),
    ));
    Ok(EventKind::ProcessStart(ProcessStart {
        process,
        pid,
        image,
        original_file_name: opt(d, "OriginalFileName"),
        command_line: opt(d, "CommandLine"),
        parent,
        parent_image,
        user: opt(d, "User"),
    }))
}

fn process_start_4688(d: Fields<'_>) -> Result<EventKind, String> {
    let image = WinPath::new(&required(d, "NewProcessName", "Security 4688")?);
    let pid = parse_pid(d, "NewProcessId");
    let parent_image = d.get("ParentProcessName").map(|p| WinPath::new(&p));
    let parent = Some(ProcessKey::from_parts(
        None,
        parse_pid(d, "ProcessId"),
        parent_image.as_ref().map(|p| p.file_name()),
    ));
    Ok(EventKind::ProcessStart(ProcessStart {
        process: ProcessKey::from_parts(None, pid, Some(image.file_name())),
        pid,
        image,
        original_file_name: None,
        command_line: opt(d, "CommandLine"),
        parent,
        parent_image,
        user: opt(d, "SubjectUserName"),
    }))
}

fn network(d: Fields<'_>) -> EventKind {
    let image = path(d, "Image");
    let (process, pid) = process_key(d, "ProcessGuid", "ProcessId", &image);
    let initiated = d
        .get("Initiated")
        .and_then(|s| match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        });
    EventKind::Network(NetworkConnect {
        process,
        pid,
        image,
        initiated,
        protocol: opt(d, "Protocol"),
        destination_ip: d.get("DestinationIp").and_then(|s| s.trim().parse().ok()),
        destination_port: d.get("DestinationPort").and_then(|s| s.trim().parse().ok()),
        destination_host: opt(d, "DestinationHostname"),
    })
}

fn image_load(d: Fields<'_>) -> Result<EventKind, String> {
    let dll = WinPath::new(&required(d, "ImageLoaded", "Sysmon 7")?);
    let image = path(d, "Image");
    let (process, pid) = process_key(d, "ProcessGuid", "ProcessId", &image);
    Ok(EventKind::ImageLoad(ImageLoad {
        process,
        pid,
        image,
        dll,
        signature: Signature::from_sysmon(
            d.get("Signed").as_deref(),
            d.get("SignatureStatus").as_deref(),
            d.get("Signature").as_deref(),
        ),
        sha256: sha256(d, "Hashes"),
        sha1: hash(d, "Hashes", "SHA1"),
        original_file_name: opt(d, "OriginalFileName"),
        user: opt(d, "User"),
        signer_by_sha1: false,
    }))
}

fn file_write(d: Fields<'_>, how: FileWriteKind) -> Result<EventKind, String> {
    let target = WinPath::new(&required(d, "TargetFilename", "file event")?);
    let image = path(d, "Image");
    let (process, pid) = process_key(d, "ProcessGuid", "ProcessId", &image);
    let sha256 = sha256(d, "Hashes").or_else(|| sha256(d, "Hash"));
    let creation_time = match how {
        FileWriteKind::CreationTimeChanged => {
            let at = |name| d.get(name).and_then(|t| Timestamp::parse(t.trim()).ok());
            at("CreationUtcTime").map(|new| (new, at("PreviousCreationUtcTime")))
        }
        _ => None,
    };
    Ok(EventKind::FileWrite(FileWrite {
        process,
        pid,
        image,
        target,
        how,
        sha256,
        creation_time,
    }))
}

/// Sysmon 13 setting a COM class's `InprocServer32` (other registry values are not decoded).
fn com_server(d: Fields<'_>) -> Option<EventKind> {
    let (key, value) = (d.get("TargetObject")?, d.get("Details")?);
    let image = path(d, "Image");
    let (process, pid) = process_key(d, "ProcessGuid", "ProcessId", &image);
    ComServer::from_value(process, pid, image, &key, &value).map(EventKind::ComServer)
}

fn dns(d: Fields<'_>) -> Result<EventKind, String> {
    let query = required(d, "QueryName", "Sysmon 22")?.trim().into();
    let image = path(d, "Image");
    let (process, pid) = process_key(d, "ProcessGuid", "ProcessId", &image);
    Ok(EventKind::Dns(DnsQuery {
        process,
        pid,
        image,
        query,
        results: opt(d, "QueryResults"),
    }))
}
