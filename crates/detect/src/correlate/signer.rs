//! Loads whose signer arrives in a separate row (MDE `DeviceFileCertificateInfo`, keyed by SHA-1):
//! they wait like triggers and are decided once the certificate had time to arrive.
//!
//! A certificate row is used for loads up to [`reach_ms`] (the widest window plus the lateness)
//! after it was last seen, the same reach every corroborating record has: a stream member
//! restarted from its committed offset (`dllhound_engine::OffsetTracker`, which keeps exactly that
//! span) re-reads every row a pending or later load can use, so it decides signer-dependent
//! triggers as the run before the crash did, and `scan` decides as `stream` does. An export whose
//! certificate rows were logged longer before the loads leaves those loads' signer unknown (their
//! path still triggers); rows are held only for that reach, not for the run.

use crate::state::{HostState, PendingLoad};
use crate::{trigger, Config};

/// True for a load whose signer comes in certificate rows (`ImageLoad::signer_by_sha1`) and is not
/// known yet.
pub(super) fn needs_signer(load: &dllhound_model::ImageLoad) -> bool {
    load.signature.state == dllhound_model::SignatureState::Unknown
        && load.sha1.is_some()
        && load.signer_by_sha1
}

/// Takes the signer from a certificate row when the load has none, and re-decides the trigger.
/// Returns false when the load turns out not to be a trigger after all.
pub(super) fn join_signer(cfg: &Config, st: &HostState, p: &mut PendingLoad) -> bool {
    let load = &mut p.load.ev;
    if load.signature.state != dllhound_model::SignatureState::Unknown {
        return true;
    }
    let since = p.load.time.saturating_sub(reach_ms(cfg));
    if let Some(sig) = load
        .sha1
        .as_deref()
        .and_then(|h| st.certs.get(h))
        .filter(|c| c.time >= since)
    {
        load.signature = sig.signature.clone();
        match trigger::evaluate(load, &cfg.path_classes) {
            Some(t) => p.trigger = t,
            None => return false,
        }
    }
    true
}

/// How long before a load a certificate row may have been seen and still sign it.
pub(super) fn reach_ms(cfg: &Config) -> i64 {
    cfg.max_window_ms().saturating_add(cfg.lateness_ms)
}
