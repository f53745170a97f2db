//! The normalised event and its kinds.

use crate::{ProcessKey, Provenance, Signature, Timestamp, WinPath};
use std::net::IpAddr;
use std::sync::Arc;

/// One telemetry record that matters to AN0052, decoded and normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Event time (Sysmon `UtcTime` when present).
    pub time: Timestamp,
    /// The record's own time (EVTX `SystemTime`, `TimeCreated`, `@timestamp`, NXLog `EventTime`) when
    /// the log carries one; `coverage` compares it with `time` to spot skewed clocks and exporters.
    pub record_time: Option<Timestamp>,
    /// Host name as logged, lower-cased for routing (`MKT01.pandalab.com` → `mkt01.pandalab.com`).
    pub host: Arc<str>,
    pub kind: EventKind,
    pub provenance: Provenance,
}

impl Event {
    /// The process the event belongs to.
    pub fn process(&self) -> &ProcessKey {
        match &self.kind {
            EventKind::ProcessStart(e) => &e.process,
            EventKind::ImageLoad(e) => &e.process,
            EventKind::FileWrite(e) => &e.process,
            EventKind::Network(e) => &e.process,
            EventKind::Dns(e) => &e.process,
            EventKind::ComServer(e) => &e.process,
            EventKind::Certificate(_) => &ProcessKey::Unknown,
        }
    }

    /// A short name of the kind (`image_load`, `file_write`, …) for summaries.
    pub fn kind_name(&self) -> &'static str {
        self.kind.name()
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// Sysmon 1, Security 4688.
    ProcessStart(ProcessStart),
    /// Sysmon 7.
    ImageLoad(ImageLoad),
    /// Sysmon 11, 15, 29 (writes); 2, 23, 26 (creation-time change, deletes: file history only).
    FileWrite(FileWrite),
    /// Sysmon 3.
    Network(NetworkConnect),
    /// Sysmon 22.
    Dns(DnsQuery),
    /// Sysmon 13 (and the ECS / MDE registry equivalents) setting a COM class's `InprocServer32`:
    /// the DLL that `rundll32 -sta {CLSID}` runs without naming it. Other registry values are not
    /// decoded.
    ComServer(ComServer),
    /// Signer facts about a file hash (MDE `DeviceFileCertificateInfo`): joined onto image loads that
    /// carry no signer of their own.
    Certificate(CertificateInfo),
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::ProcessStart(_) => "process_start",
            EventKind::ImageLoad(_) => "image_load",
            EventKind::FileWrite(_) => "file_write",
            EventKind::Network(_) => "network",
            EventKind::Dns(_) => "dns",
            EventKind::ComServer(_) => "com_server",
            EventKind::Certificate(_) => "certificate",
        }
    }

    /// All kind names, in a stable order.
    pub const NAMES: [&'static str; 6] = [
        "process_start",
        "image_load",
        "file_write",
        "network",
        "dns",
        "com_server",
    ];
}

/// A process started.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessStart {
    pub process: ProcessKey,
    pub pid: Option<u32>,
    pub image: WinPath,
    /// PE `OriginalFileName` (Sysmon 1), which survives renaming the binary.
    pub original_file_name: Option<Box<str>>,
    pub command_line: Option<Box<str>>,
    pub parent: Option<ProcessKey>,
    pub parent_image: Option<WinPath>,
    pub user: Option<Box<str>>,
}

/// A module was mapped into a process.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageLoad {
    pub process: ProcessKey,
    pub pid: Option<u32>,
    /// The loading process's executable.
    pub image: WinPath,
    /// The module loaded (`ImageLoaded`).
    pub dll: WinPath,
    pub signature: Signature,
    pub sha256: Option<Box<str>>,
    /// SHA-1 of the module, lower case (MDE joins signer data on it).
    pub sha1: Option<Box<str>>,
    pub original_file_name: Option<Box<str>>,
    pub user: Option<Box<str>>,
    /// The source logs no signer with the load: it comes in separate certificate rows keyed by the
    /// module's SHA-1 (MDE `DeviceFileCertificateInfo`), which the correlator joins. Set by the
    /// decoder, so nothing downstream needs to know the format.
    pub signer_by_sha1: bool,
}

impl ImageLoad {
    /// A process's own executable logged as an image load is not a DLL load.
    pub fn is_main_module(&self) -> bool {
        !self.image.is_empty() && self.image.match_key() == self.dll.match_key()
    }
}

/// How a file came to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileWriteKind {
    /// Sysmon 11 FileCreate.
    Create,
    /// Sysmon 15 FileCreateStreamHash.
    Stream,
    /// Sysmon 29 FileExecutableDetected.
    ExecutableDetected,
    /// Sysmon 2 FileCreateTime: the file's creation time was changed (timestomping). Not a write.
    CreationTimeChanged,
    /// Sysmon 23 FileDelete (archived) and ECS / MDE deletions. Not a write.
    Delete,
    /// Sysmon 26 FileDeleteDetected (logged, not archived). Not a write.
    DeleteDetected,
}

impl FileWriteKind {
    /// True for the kinds that put content on disk (branch (a) reads only these).
    pub fn is_write(self) -> bool {
        matches!(
            self,
            FileWriteKind::Create | FileWriteKind::Stream | FileWriteKind::ExecutableDetected
        )
    }

    /// The word a file history shows: `create`, `stream`, `executable_detected`,
    /// `creation_time_changed`, `delete`, `delete_detected`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileWriteKind::Create => "create",
            FileWriteKind::Stream => "stream",
            FileWriteKind::ExecutableDetected => "executable_detected",
            FileWriteKind::CreationTimeChanged => "creation_time_changed",
            FileWriteKind::Delete => "delete",
            FileWriteKind::DeleteDetected => "delete_detected",
        }
    }
}

/// A file was created or overwritten (or, by [`FileWriteKind`], deleted or its creation time changed).
#[derive(Debug, Clone, PartialEq)]
pub struct FileWrite {
    pub process: ProcessKey,
    pub pid: Option<u32>,
    /// The writing process's executable.
    pub image: WinPath,
    pub target: WinPath,
    pub how: FileWriteKind,
    pub sha256: Option<Box<str>>,
    /// Sysmon 2: the creation time the file was given, and the one it had.
    pub creation_time: Option<(Timestamp, Option<Timestamp>)>,
}

/// A network connection.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkConnect {
    pub process: ProcessKey,
    pub pid: Option<u32>,
    pub image: WinPath,
    /// `Some(true)` when this host opened the connection.
    pub initiated: Option<bool>,
    pub protocol: Option<Box<str>>,
    pub destination_ip: Option<IpAddr>,
    pub destination_port: Option<u16>,
    pub destination_host: Option<Box<str>>,
}

/// Signer facts about one file, by SHA-1.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateInfo {
    pub sha1: Box<str>,
    pub signature: Signature,
}

/// A DNS query.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsQuery {
    pub process: ProcessKey,
    pub pid: Option<u32>,
    pub image: WinPath,
    pub query: Box<str>,
    pub results: Option<Box<str>>,
}

/// A COM class's in-process server was registered: `…\CLSID\{clsid}\InprocServer32\(Default)` set.
#[derive(Debug, Clone, PartialEq)]
pub struct ComServer {
    pub process: ProcessKey,
    pub pid: Option<u32>,
    /// The process that set the value.
    pub image: WinPath,
    /// The class id, lower case with braces (`{0c0c…}`).
    pub clsid: Box<str>,
    /// The DLL registered as its server.
    pub server: WinPath,
    /// The registry key as logged.
    pub key: Box<str>,
}

impl ComServer {
    /// The registration a registry value makes, if it is one (see [`ComServer::parse`]): what
    /// every decoder of registry telemetry calls.
    pub fn from_value(
        process: ProcessKey,
        pid: Option<u32>,
        image: WinPath,
        key: &str,
        value: &str,
    ) -> Option<ComServer> {
        let (clsid, server) = ComServer::parse(key, value)?;
        Some(ComServer {
            process,
            pid,
            image,
            clsid,
            server,
            key: key.trim().into(),
        })
    }

    /// The class id and server DLL when `key` (a registry path as Sysmon's `TargetObject`, ECS
    /// `registry.path` or MDE `RegistryKey\RegistryValueName`) is the default value of a class's
    /// `InprocServer32` key and `value` names a file; `None` for every other registry value
    /// (`ThreadingModel`, other keys).
    pub fn parse(key: &str, value: &str) -> Option<(Box<str>, WinPath)> {
        let lower = key.to_ascii_lowercase();
        let lower = lower.trim_end_matches('\\');
        let lower = lower
            .strip_suffix("\\(default)")
            .or_else(|| lower.strip_suffix("\\@"))
            .unwrap_or(lower);
        let rest = lower.strip_suffix("\\inprocserver32")?;
        let clsid = rest.rsplit('\\').next()?;
        let parent = rest.strip_suffix(clsid)?.trim_end_matches('\\');
        let ok = clsid.len() == 38
            && clsid.starts_with('{')
            && clsid.ends_with('}')
            && parent.rsplit('\\').next() == Some("clsid");
        let value = value.trim().trim_matches('"');
        (ok && !value.is_empty() && value != "-").then(|| (clsid.into(), WinPath::new(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_default_value_of_inprocserver32_is_a_com_server() {
        let k = r"HKU\S-1-5-21-1\_Classes\CLSID\{0C0C0C0C-0000-0000-0000-000000000001}\InprocServer32\(Default)";
        let (clsid, dll) = ComServer::parse(k, r"C:\ProgramData\demo.dll").unwrap();
        assert_eq!(&*clsid, "{0c0c0c0c-0000-0000-0000-000000000001}");
        assert_eq!(dll.normalised(), r"c:\programdata\demo.dll");
        let hklm =
            r"HKLM\SOFTWARE\Classes\CLSID\{0C0C0C0C-0000-0000-0000-000000000001}\InprocServer32";
        assert!(ComServer::parse(hklm, r"%SystemRoot%\x.dll").is_some());
        let threading = r"HKLM\SOFTWARE\Classes\CLSID\{0C0C0C0C-0000-0000-0000-000000000001}\InprocServer32\ThreadingModel";
        assert!(ComServer::parse(threading, "Apartment").is_none());
        assert!(ComServer::parse(r"HKLM\SOFTWARE\Run\x", r"C:\x.dll").is_none());
        assert!(ComServer::parse(hklm, "").is_none());
    }
}
