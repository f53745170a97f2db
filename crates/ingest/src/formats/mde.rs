//! `mde`: Microsoft Defender for Endpoint advanced-hunting rows.
//!
//! Tables read (schema: learn.microsoft.com/defender-xdr/advanced-hunting-schema-tables, one page per
//! table, e.g. `advanced-hunting-deviceimageloadevents-table`):
//!
//! | table | `ActionType` | becomes |
//! |---|---|---|
//! | DeviceImageLoadEvents | `ImageLoaded` | image load: `FolderPath`/`FileName` = module, `SHA1`, `SHA256`; loader = `InitiatingProcess*` |
//! | DeviceFileEvents | `FileCreated`, `FileModified`, `FileRenamed` | file write: `FolderPath`/`FileName`, `SHA256`; writer = `InitiatingProcess*` |
//! | DeviceProcessEvents | `ProcessCreated` | process start: `FolderPath`, `ProcessId`, `ProcessCreationTime`, `ProcessCommandLine`, `ProcessVersionInfoOriginalFileName`; parent = `InitiatingProcess*` |
//! | DeviceNetworkEvents | `ConnectionSuccess`, `ConnectionAttempt`, `ConnectionFailed`, `ConnectionRequest` (outbound); `InboundConnectionAccepted` (inbound) | network: `RemoteIP`, `RemotePort`, `RemoteUrl`, `Protocol` |
//! | DeviceRegistryEvents | `RegistryValueSet` of a class's `…\CLSID\{…}\InprocServer32` default value (others skipped) | COM server: `RegistryKey`, `RegistryValueName`, `RegistryValueData`; setter = `InitiatingProcess*` |
//! | DeviceFileCertificateInfo | — | certificate: `SHA1`, `IsSigned`, `IsTrusted`, `Signer`, `CertificateExpirationTime` |
//!
//! ```json
//! {"Timestamp":"2024-03-01T10:15:02.118Z","DeviceId":"c0ffee…","DeviceName":"fin-ws042.corp.example",
//!  "ActionType":"ImageLoaded","FileName":"msoupd.dll","FolderPath":"C:\\Users\\alice\\AppData\\Local\\Temp\\msoupd.dll",
//!  "SHA1":"5f1d…","SHA256":"7d3c…","InitiatingProcessFileName":"rundll32.exe","InitiatingProcessId":7344,
//!  "InitiatingProcessCreationTime":"2024-03-01T10:15:02.002Z","InitiatingProcessFolderPath":"c:\\windows\\system32\\rundll32.exe",
//!  "InitiatingProcessCommandLine":"rundll32.exe …"}
//! ```
//! Rows arrive as portal CSV/JSON exports, the API's `{"Results":[…]}` and the streaming API's
//! `{"records":[{"category":"AdvancedHunting-DeviceImageLoadEvents","properties":{…}}]}` (the envelope
//! is opened by the JSON reader; this decoder reads the row or the `properties` of a record).
//!
//! Quirks: process identity is `(DeviceId, ProcessId, ProcessCreationTime)` — MDE has no GUID — and is
//! carried as the entity `mde:<DeviceId>:<pid>:<creation ms>`. Image-load rows carry no signer: the
//! correlator joins `DeviceFileCertificateInfo` rows on SHA-1 when they are supplied, otherwise the
//! signer is `unknown`. `FolderPath` is the full path in exports seen in the wild; when it is only the
//! folder, `FileName` is appended. MDE samples and caps some events per day (coverage says so).

use super::fields::text;
use super::{Fields, RecordContext, RecordFormat};
use dllhound_model::{
    CertificateInfo, ComServer, Event, EventKind, FileWrite, FileWriteKind, ImageLoad,
    NetworkConnect, ProcessKey, ProcessStart, Provenance, Signature, SignatureState, Timestamp,
    WinPath,
};
use serde_json::{Map, Value};
use std::sync::Arc;

pub struct Mde;

/// The row: a bare row, or the `properties` of a streaming-API record.
fn row(record: &Value) -> Option<(&Map<String, Value>, Option<&str>)> {
    let o = record.as_object()?;
    match o.get("properties") {
        Some(Value::Object(p)) => Some((p, o.get("category").and_then(Value::as_str))),
        _ => Some((o, None)),
    }
}

fn table_of(f: Fields<'_>, category: Option<&str>) -> Option<&'static str> {
    if let Some(c) = category {
        let c = c.trim_start_matches("AdvancedHunting-");
        for t in [
            "DeviceImageLoadEvents",
            "DeviceFileEvents",
            "DeviceProcessEvents",
            "DeviceNetworkEvents",
            "DeviceFileCertificateInfo",
            "DeviceRegistryEvents",
        ] {
            if c.eq_ignore_ascii_case(t) {
                return Some(t);
            }
        }
        return Some("other");
    }
    if f.get("IsSigned").is_some() || f.get("Signer").is_some() {
        return Some("DeviceFileCertificateInfo");
    }
    let action = f.get("ActionType")?;
    Some(match &*action {
        "ImageLoaded" => "DeviceImageLoadEvents",
        "FileCreated" | "FileModified" | "FileRenamed" | "FileDeleted" => "DeviceFileEvents",
        "ProcessCreated" => "DeviceProcessEvents",
        "RegistryValueSet" => "DeviceRegistryEvents",
        a if a.starts_with("Connection")
            || a.starts_with("Inbound")
            || a.starts_with("Listening") =>
        {
            "DeviceNetworkEvents"
        }
        _ => "other",
    })
}

fn full_path(f: Fields<'_>, folder: &str, file: &str) -> Option<WinPath> {
    let folder = f.get(folder)?;
    let folder = folder.trim();
    match f.get(file) {
        Some(name)
            if !name.is_empty()
                && !folder
                    .to_ascii_lowercase()
                    .ends_with(&name.to_ascii_lowercase()) =>
        {
            Some(WinPath::new(&format!(
                "{}\\{}",
                folder.trim_end_matches('\\'),
                name
            )))
        }
        _ => Some(WinPath::new(folder)),
    }
}

fn pid(f: Fields<'_>, name: &str) -> Option<u32> {
    f.get(name)?.trim().parse().ok()
}

/// `mde:<DeviceId>:<pid>:<creation ms>`, the documented MDE process identity.
fn process_key(
    f: Fields<'_>,
    pid_col: &str,
    created_col: &str,
    image: Option<&WinPath>,
) -> (ProcessKey, Option<u32>) {
    let p = pid(f, pid_col);
    let created = f.get(created_col).and_then(|t| Timestamp::parse(&t).ok());
    let device = f.get("DeviceId").unwrap_or_default();
    let key = match (p, created) {
        (Some(p), Some(c)) => ProcessKey::Entity(format!("mde:{device}:{p}:{}", c.millis()).into()),
        _ => ProcessKey::from_parts(None, p, image.map(|i| i.file_name())),
    };
    (key, p)
}

fn initiating(f: Fields<'_>) -> (ProcessKey, Option<u32>, WinPath) {
    let image = full_path(
        f,
        "InitiatingProcessFolderPath",
        "InitiatingProcessFileName",
    )
    .or_else(|| f.get("InitiatingProcessFileName").map(|n| WinPath::new(&n)))
    .unwrap_or_else(|| WinPath::new(""));
    let (key, p) = process_key(
        f,
        "InitiatingProcessId",
        "InitiatingProcessCreationTime",
        Some(&image),
    );
    (key, p, image)
}

fn opt(f: Fields<'_>, name: &str) -> Option<Box<str>> {
    f.get(name)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .map(Into::into)
}

fn lower(f: Fields<'_>, name: &str) -> Option<Box<str>> {
    opt(f, name).map(|s| s.to_ascii_lowercase().into())
}

fn truthy(v: Option<std::borrow::Cow<'_, str>>) -> Option<bool> {
    match v?.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// `IsSigned` / `IsTrusted` / expiry → one signer state.
fn certificate(f: Fields<'_>, now: Timestamp) -> Signature {
    let signed = truthy(f.get("IsSigned"));
    let trusted = truthy(f.get("IsTrusted"));
    let expired = f
        .get("CertificateExpirationTime")
        .and_then(|t| Timestamp::parse(&t).ok())
        .is_some_and(|t| t < now);
    let state = match (signed, trusted) {
        (Some(false), _) => SignatureState::Unsigned,
        (Some(true), Some(true)) => SignatureState::Valid,
        (Some(true), Some(false)) if expired => SignatureState::Expired,
        (Some(true), Some(false)) => SignatureState::Invalid,
        (Some(true), None) => SignatureState::Valid,
        _ => SignatureState::Unknown,
    };
    Signature {
        state,
        subject: opt(f, "Signer"),
    }
}

impl RecordFormat for Mde {
    fn name(&self) -> &'static str {
        "mde"
    }

    fn describe(&self) -> &'static str {
        "Microsoft Defender for Endpoint advanced hunting rows (Device*Events, DeviceFileCertificateInfo; CSV, JSON, API, streaming)"
    }

    fn sniff(&self, record: &Value) -> bool {
        row(record).is_some_and(|(o, cat)| {
            cat.is_some_and(|c| c.starts_with("AdvancedHunting-"))
                || (o.contains_key("DeviceName") && o.contains_key("Timestamp"))
        })
    }

    fn decode(&self, record: &Value, ctx: &RecordContext) -> Result<Option<Event>, String> {
        let (o, category) = row(record).ok_or("not a JSON object")?;
        let f = Fields(o);
        let Some(table) = table_of(f, category) else {
            return Err("no ActionType: not an MDE event row".into());
        };
        if table == "other" {
            return Ok(None);
        }
        let time = f
            .first(&["Timestamp", "TimeGenerated"])
            .ok_or("no Timestamp")
            .and_then(|t| Timestamp::parse(&t).map_err(|_| "unreadable Timestamp"))?;
        let host: Arc<str> = match opt(f, "DeviceName") {
            Some(h) => h.trim().into(),
            None => return Err("no DeviceName".into()),
        };
        let action = f.get("ActionType").unwrap_or_default();
        let kind = match table {
            "DeviceImageLoadEvents" => {
                let dll = full_path(f, "FolderPath", "FileName")
                    .ok_or("image load without FolderPath")?;
                let (process, pid, image) = initiating(f);
                EventKind::ImageLoad(ImageLoad {
                    process,
                    pid,
                    image,
                    dll,
                    signature: Signature {
                        state: SignatureState::Unknown,
                        subject: None,
                    },
                    sha256: lower(f, "SHA256"),
                    sha1: lower(f, "SHA1"),
                    original_file_name: None,
                    user: opt(f, "InitiatingProcessAccountName"),
                    signer_by_sha1: true,
                })
            }
            "DeviceFileEvents" => {
                let how = match &*action {
                    "FileCreated" | "FileModified" | "FileRenamed" => FileWriteKind::Create,
                    "FileDeleted" => FileWriteKind::Delete,
                    _ => return Ok(None),
                };
                let target = full_path(f, "FolderPath", "FileName")
                    .ok_or("file event without FolderPath")?;
                let (process, pid, image) = initiating(f);
                EventKind::FileWrite(FileWrite {
                    process,
                    pid,
                    image,
                    target,
                    how,
                    sha256: lower(f, "SHA256"),
                    creation_time: None,
                })
            }
            "DeviceRegistryEvents" => {
                if &*action != "RegistryValueSet" {
                    return Ok(None);
                }
                let key = f
                    .get("RegistryKey")
                    .ok_or("registry event without RegistryKey")?;
                let name = f.get("RegistryValueName").unwrap_or_default();
                let full = if name.trim().is_empty() {
                    key.to_string()
                } else {
                    format!("{}\\{}", key.trim_end_matches('\\'), name.trim())
                };
                let data = f.get("RegistryValueData").unwrap_or_default();
                let (process, pid, image) = initiating(f);
                match ComServer::from_value(process, pid, image, &full, &data) {
                    Some(c) => EventKind::ComServer(c),
                    None => return Ok(None),
                }
            }
            "DeviceProcessEvents" => {
                if &*action != "ProcessCreated" {
                    return Ok(None);
                }
                let image = full_path(f, "FolderPath", "FileName")
                    .ok_or("process event without FolderPath")?;
                let (process, pid) =
                    process_key(f, "ProcessId", "ProcessCreationTime", Some(&image));
                let (parent, _, parent_image) = initiating(f);
                EventKind::ProcessStart(ProcessStart {
                    process,
                    pid,
                    image,
                    original_file_name: opt(f, "ProcessVersionInfoOriginalFileName"),
                    command_line: opt(f, "ProcessCommandLine"),
                    parent: Some(parent),
                    parent_image: (!parent_image.is_empty()).then_some(parent_image),
                    user: opt(f, "AccountName"),
                })
            }
            "DeviceNetworkEvents" => {
                let initiated = match &*action {
                    "ConnectionSuccess" | "ConnectionAttempt" | "ConnectionFailed"
                    | "ConnectionRequest" => Some(true),
                    "InboundConnectionAccepted" => Some(false),
                    _ => return Ok(None),
                };
                let (process, pid, image) = initiating(f);
                EventKind::Network(NetworkConnect {
                    process,
                    pid,
                    image,
                    initiated,
                    protocol: opt(f, "Protocol"),
                    destination_ip: f.get("RemoteIP").and_then(|s| s.trim().parse().ok()),
                    destination_port: f.get("RemotePort").and_then(|s| s.trim().parse().ok()),
                    destination_host: opt(f, "RemoteUrl"),
                })
            }
            "DeviceFileCertificateInfo" => {
                let sha1 = lower(f, "SHA1").ok_or("certificate row without SHA1")?;
                EventKind::Certificate(CertificateInfo {
                    sha1,
                    signature: certificate(f, time),
                })
            }
            _ => return Ok(None),
        };
        let record_no = o.get("ReportId").and_then(|v| text(v)?.trim().parse().ok());
        let provenance = Provenance {
            file: ctx.input.clone(),
            file_record: ctx.record,
            line: ctx.line,
            record_id: record_no,
            event_code: format!("mde:{table}").into(),
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
