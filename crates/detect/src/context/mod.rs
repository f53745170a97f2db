//! The incident-response bundle an alert carries beyond its evidence: AN0052's triage playbook
//! asks for the DLL's path, signer, file creation time, parent, child process activity and network.
//!
//! * [`children`]: what the loader started after the load, with each child's connections and
//!   files (`children[]`);
//! * [`lineage`]: the loader's parent and grandparent (`process.parent`);
//! * [`history`]: every write, delete and creation-time change of the DLL's path on that host in
//!   the whole input (`dll.file.history[]`, `dll.file.first_seen`);
//! * [`prevalence`]: how many hosts loaded the same DLL (`dll.prevalence`);
//! * [`unc`]: the server and share of a DLL on a network path, and the host's connections to it
//!   around the load (`dll.unc`);
//! * [`incident`]: alerts of one DLL on one host grouped as one incident (`incident`).
//!
//! Children, lineage and the network-share context are read when a trigger is decided (from the same held state as the
//! branches); the history when alerts are built at the end of the run; prevalence and incidents
//! across all hosts by [`finalize`], after correlators that split hosts are merged.

pub mod children;
pub mod history;
pub mod incident;
pub mod lineage;
pub mod prevalence;
pub mod unc;

use crate::alert::Alert;
use crate::correlate::Outcome;

/// Fills what needs the whole run: prevalence on every finding, incidents on alerts. Idempotent:
/// a merged outcome is finalised again over the merged index.
pub fn finalize(out: &mut Outcome) {
    for a in out
        .alerts
        .iter_mut()
        .chain(out.signals.iter_mut())
        .chain(out.suppressed.iter_mut())
    {
        a.prevalence = out
            .prevalence
            .get(a.dll_sha256.as_deref(), a.dll.match_key());
    }
    incident::assign(&mut out.alerts);
}

/// The DLL's history on disk for an alert, from the host's history index and what branch (a)
/// still holds (paths the index does not keep, such as a DLL written as `.txt`), sorted and
/// without repeats; and the time it first appeared.
pub(crate) fn attach_history(a: &mut Alert, st: &crate::state::HostState) {
    let key = crate::branches::index_key(a.dll.match_key()).0;
    let mut v: Vec<history::FileEvent> = st.history.events(key, &a.dll);
    v.extend(
        st.branches
            .fresh_write
            .get(key)
            .iter()
            .map(history::FileEvent::from_held),
    );
    // Keep what an earlier build found (streaming re-releases) that the state has since dropped.
    v.append(&mut a.file_history);
    v.sort_by(|x, y| (x.time, &x.provenance).cmp(&(y.time, &y.provenance)));
    v.dedup_by(|x, y| x.provenance == y.provenance);
    a.file_first_seen = v
        .iter()
        .find(|e| e.action != "delete" && e.action != "delete_detected")
        .map(|e| e.time);
    a.file_history = v;
}
