//! The vocabulary of dllhound.
//!
//! Every input format (Sysmon EVTX, the JSON shapes exporters write, later ECS and MDE) is decoded into
//! one [`Event`]; everything downstream — path classification, correlation, scoring, reporting — speaks
//! only this model. It is deliberately small: just the fields AN0052 needs, already normalised.
//!
//! * [`Timestamp`] — event time in UTC milliseconds (Sysmon `UtcTime`, never the record's system time
//!   when `UtcTime` exists: some exporters are hours off).
//! * [`WinPath`] — a Windows path as logged plus a normalised, comparable form (case-folded, `\\?\`,
//!   `\??\`, `\Device\Mup\`, `\Device\HarddiskVolumeN\`, `/`, env-var prefixes). A folder name ending in
//!   a space stays distinct: `C:\Windows \System32\` is *not* System32.
//! * [`host`] — host identity: one machine under its FQDN and its short name is one host.
//! * [`short_name`] — when two paths name one file through 8.3 aliases (`PEDRO~1.GUS`, `PROGRA~3`).
//! * [`ProcessKey`] — process identity: Sysmon `ProcessGuid` when present, else `(pid, image)`, which the
//!   correlator only trusts inside its time window because PIDs are reused.
//! * [`Provenance`] — where an event came from (file, archive member, record or line), so every alert
//!   can point back at the bytes that justify it.
//!
//! ```
//! use dllhound_model::WinPath;
//! let a = WinPath::new(r"\\?\C:\Users\Bob\AppData\Local\Temp\x.dll");
//! let b = WinPath::new(r"c:/users/bob/appdata/local/temp/X.DLL");
//! assert_eq!(a.match_key(), b.match_key());
//! assert_ne!(WinPath::new(r"C:\Windows \System32\a.dll").match_key(),
//!            WinPath::new(r"C:\Windows\System32\a.dll").match_key());
//! ```

mod event;
mod footprint;
pub mod host;
mod path;
mod process;
mod provenance;
pub mod short_name;
mod signature;
mod time;

pub use event::{
    CertificateInfo, ComServer, DnsQuery, Event, EventKind, FileWrite, FileWriteKind, ImageLoad,
    NetworkConnect, ProcessStart,
};
pub use footprint::{heap, Footprint};
pub use path::WinPath;
pub use process::ProcessKey;
pub use provenance::Provenance;
pub use signature::{Signature, SignatureState};
pub use time::{Timestamp, TimestampError};
