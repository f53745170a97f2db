//! Incidents: the alerts of one DLL on one host, seen as one (`incident.id`, `incident.alert_count`).
//!
//! A DLL hijack makes every process that loads the planted DLL an alert of its own (one per
//! process, DESIGN.md §1); an analyst handles them as one incident. Alerts are grouped by host
//! identity and the DLL's SHA-256 (its normalised path when the load carried no hash). The id is a
//! hash of those two, so it is the same in every run over the same input and across `scan` and
//! `stream`. Signals and suppressed triggers are not incidents.

use crate::alert::Alert;
use serde::Serialize;
use std::collections::HashMap;

/// The incident an alert belongs to (`incident`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentRef {
    pub id: String,
    /// Alerts in this incident (this one included).
    pub alert_count: u32,
}

/// The incident id of an alert.
pub fn incident_id(a: &Alert) -> String {
    let host = dllhound_model::host::identity(&a.host).to_ascii_lowercase();
    let (key, _) = super::prevalence::key_of(a.dll_sha256.as_deref(), a.dll.match_key());
    crate::correlate::hash_id(&["incident", &host, &key])
}

/// Sets `incident` on every alert of `alerts`.
pub fn assign(alerts: &mut [Alert]) {
    let ids: Vec<String> = alerts.iter().map(incident_id).collect();
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for id in &ids {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let counts: HashMap<String, u32> = counts.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    for (a, id) in alerts.iter_mut().zip(ids) {
        let alert_count = counts.get(&id).copied().unwrap_or(1);
        a.incident = Some(IncidentRef { id, alert_count });
    }
}
