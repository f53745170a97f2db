//! Small event builders for correlator tests. Times are seconds from an arbitrary origin.
#![allow(dead_code, clippy::too_many_arguments)]

use dllhound_model::*;
use std::sync::Arc;

pub const T0: i64 = 1_600_000_000_000;

/// The alerts of one run with the default configuration.
pub fn run(events: Vec<Event>) -> Vec<dllhound_detect::Alert> {
    let mut c = dllhound_detect::Correlator::new(dllhound_detect::Config::default());
    events.into_iter().for_each(|e| c.push(e));
    c.finish().alerts
}

/// The branches of each alert.
pub fn branches(alerts: &[dllhound_detect::Alert]) -> Vec<Vec<&'static str>> {
    alerts.iter().map(|a| a.branches.clone()).collect()
}

fn prov(rec: u64, code: &str) -> Provenance {
    Provenance {
        file: "test.evtx".into(),
        file_record: Some(rec),
        record_id: None,
        line: None,
        event_code: code.into(),
    }
}

fn ev(host: &str, secs: f64, rec: u64, code: &str, kind: EventKind) -> Event {
    Event {
        time: Timestamp(T0 + (secs * 1000.0) as i64),
        record_time: None,
        host: Arc::from(host),
        kind,
        provenance: prov(rec, code),
    }
}

pub fn guid(g: &str) -> ProcessKey {
    ProcessKey::from_parts(Some(g), None, None)
}

pub fn load(
    host: &str,
    secs: f64,
    rec: u64,
    proc_: &str,
    image: &str,
    dll: &str,
    signed: &str,
) -> Event {
    let status = if signed == "true" {
        "Valid"
    } else {
        "Unavailable"
    };
    ev(
        host,
        secs,
        rec,
        "sysmon:7",
        EventKind::ImageLoad(ImageLoad {
            process: guid(proc_),
            pid: Some(100),
            image: WinPath::new(image),
            dll: WinPath::new(dll),
            signature: Signature::from_sysmon(Some(signed), Some(status), None),
            sha256: None,
            sha1: None,
            original_file_name: None,
            user: None,
            signer_by_sha1: false,
        }),
    )
}

pub fn write(host: &str, secs: f64, rec: u64, proc_: &str, image: &str, target: &str) -> Event {
    ev(
        host,
        secs,
        rec,
        "sysmon:11",
        EventKind::FileWrite(FileWrite {
            process: guid(proc_),
            pid: Some(200),
            image: WinPath::new(image),
            target: WinPath::new(target),
            how: FileWriteKind::Create,
            sha256: None,
            creation_time: None,
        }),
    )
}

pub fn start(
    host: &str,
    secs: f64,
    rec: u64,
    proc_: &str,
    parent: &str,
    image: &str,
    ofn: Option<&str>,
    cmd: &str,
) -> Event {
    ev(
        host,
        secs,
        rec,
        "sysmon:1",
        EventKind::ProcessStart(ProcessStart {
            process: guid(proc_),
            pid: Some(300),
            image: WinPath::new(image),
            original_file_name: ofn.map(Into::into),
            command_line: Some(cmd.into()),
            parent: Some(guid(parent)),
            parent_image: None,
            user: None,
        }),
    )
}

pub fn net(host: &str, secs: f64, rec: u64, proc_: &str, dest: &str, initiated: bool) -> Event {
    ev(
        host,
        secs,
        rec,
        "sysmon:3",
        EventKind::Network(NetworkConnect {
            process: guid(proc_),
            pid: Some(100),
            image: WinPath::new(r"C:\x.exe"),
            initiated: Some(initiated),
            protocol: Some("tcp".into()),
            destination_ip: dest.parse().ok(),
            destination_port: Some(443),
            destination_host: None,
        }),
    )
}

pub fn com(host: &str, secs: f64, rec: u64, proc_: &str, clsid: &str, server: &str) -> Event {
    let key = format!(r"HKU\S-1-5-21-1_Classes\CLSID\{clsid}\InprocServer32\(Default)");
    let (clsid, server) = ComServer::parse(&key, server).expect("a COM server registration");
    ev(
        host,
        secs,
        rec,
        "sysmon:13",
        EventKind::ComServer(ComServer {
            process: guid(proc_),
            pid: Some(400),
            image: WinPath::new(r"C:\Users\bob\Downloads\dropper.exe"),
            clsid,
            server,
            key: key.into(),
        }),
    )
}

/// A write with its kind and writer given.
pub fn write_as(
    host: &str,
    secs: f64,
    rec: u64,
    proc_: &str,
    image: &str,
    target: &str,
    how: FileWriteKind,
) -> Event {
    let mut e = write(host, secs, rec, proc_, image, target);
    if let EventKind::FileWrite(w) = &mut e.kind {
        w.how = how;
    }
    e
}

/// An MDE-style load: no signer on the row, SHA-1 for the certificate join.
pub fn mde_load(host: &str, secs: f64, rec: u64, proc_: &str, dll: &str, sha1: &str) -> Event {
    let mut e = load(host, secs, rec, proc_, r"C:\Apps\tool.exe", dll, "");
    if let EventKind::ImageLoad(l) = &mut e.kind {
        l.signature = Signature {
            state: SignatureState::Unknown,
            subject: None,
        };
        l.sha1 = Some(sha1.into());
        l.signer_by_sha1 = true;
    }
    e.provenance.event_code = "mde:DeviceImageLoadEvents".into();
    e
}

/// An MDE `DeviceFileCertificateInfo` row saying the file with `sha1` is unsigned.
pub fn unsigned_cert(host: &str, secs: f64, rec: u64, sha1: &str) -> Event {
    ev(
        host,
        secs,
        rec,
        "mde:DeviceFileCertificateInfo",
        EventKind::Certificate(CertificateInfo {
            sha1: sha1.into(),
            signature: Signature {
                state: SignatureState::Unsigned,
                subject: None,
            },
        }),
    )
}

/// The shared recordings. The tests that call this are `#[ignore]`d, so a plain `cargo test`
/// lists them as ignored with the reason; run on purpose (`--include-ignored`, as `.ci/run` does)
/// without the data they fail instead of passing untested.
pub fn data_dir() -> std::path::PathBuf {
    let dir = std::env::var_os("DLLHOUND_REAL_DATA")
        .expect("set DLLHOUND_REAL_DATA to the shared data folder to run the real-data tests");
    // A relative path is taken from the workspace root, where the README's commands run.
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir);
    assert!(
        dir.join("MANIFEST.tsv").is_file(),
        "DLLHOUND_REAL_DATA={} has no MANIFEST.tsv",
        dir.display()
    );
    dir
}
