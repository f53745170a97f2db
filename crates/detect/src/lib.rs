//! The AN0052 analytic.
//!
//! `detect` is the only crate that knows what AN0052 is (DESIGN.md §1). It takes normalised
//! [`Event`](dllhound_model::Event)s in any order and yields [`Alert`]s:
//!
//! 1. **classify** ([`PathClasses`], [`trigger`]): an image load is a *trigger* when its module is under a
//!    temp / user-writable / UNC / WebDAV / spoofed folder (a data table, `data/path_classes.yaml`), or is
//!    unsigned, invalidly or expired signed. A process's own executable logged as a load is not a DLL load.
//! 2. **correlate** ([`Correlator`]): per host, triggers wait until the host's watermark (latest event
//!    time − lateness) passes `load + window`; then they are matched against the corroborators held
//!    in state by the [`branches`] registry — (a) a write of the same path at or before the load, (b) a
//!    rundll32/regsvr32 start whose command line names the DLL, (c) an outbound connection by the
//!    loading process after the load.
//!    Because matching happens only once everything within the lateness has arrived, the result does
//!    not depend on input order. State older than the windows is evicted, so memory follows the
//!    events inside the window, not the input.
//! 3. **score** ([`score`]): a documented 0–100 score, a severity and reasons in words.
//!
//! One alert per (host, process, DLL); its id is a hash of those and the first load time.
//!
//! ```
//! use dllhound_detect::{Correlator, Config};
//! let mut c = Correlator::new(Config::default());
//! // c.push(event) for every event, in any order …
//! let out = c.finish();
//! assert!(out.alerts.is_empty());
//! ```

mod alert;
pub mod baseline;
pub mod branches;
mod classify;
mod config;
pub mod context;
mod correlate;
pub mod coverage;
pub mod lolbin;
mod netclass;
pub mod score;
mod state;
mod timeline;
pub mod trigger;
pub mod tuning;

pub use alert::{Alert, Suppression, TimelineEntry};
pub use branches::{
    BranchInfo, DnsEvidence, EvidenceSet, ExecEvidence, NetEvidence, RegistryEvidence,
    WriteEvidence, WriteMatch, BRANCHES,
};
pub use classify::{PathClass, PathClasses, PathClassesError};
pub use config::{Config, SharedBudget};
pub use context::finalize;
pub use correlate::{ClockOutlier, Correlator, Emission, Outcome, Stats, MAX_OUTLIER_SAMPLES};
pub use netclass::DestinationClass;
pub use score::Severity;
