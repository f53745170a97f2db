//! Loads whose signer arrives in a separate row (MDE `DeviceFileCertificateInfo`, keyed by SHA-1):
//! they wait like triggers and are decided once the certificate had time to arrive.

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
    if let Some(sig) = load.sha1.as_deref().and_then(|h| st.certs.get(h)) {
        load.signature = sig.signature.clone();
        match trigger::evaluate(load, &cfg.path_classes) {
            Some(t) => p.trigger = t,
            None => return false,
        }
    }
    true
}
