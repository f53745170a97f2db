//! A host's clock: the newest event time, guarded against single forged far-off records.

use super::Stats;
use crate::state::HostState;
use dllhound_model::Provenance;

/// A host's clock may jump this far on one event; further needs the next event to confirm it.
const MAX_CLOCK_JUMP_MS: i64 = 24 * 3600 * 1000;

/// Moves a host's clock for an event at `t`. A jump of more than a day, ahead or back, is held as a
/// candidate until the host's next event lands within a day of it: a real change of era (a host off
/// for a week, two recordings of one host read one after the other) confirms itself at once, while a
/// single forged far-future or far-past record would otherwise push the watermark past every pending
/// trigger and blind the host. An unconfirmed candidate is counted in [`Stats::clock_outliers`].
pub(super) fn advance_clock(st: &mut HostState, t: i64, prov: &Provenance, stats: &mut Stats) {
    let near = |a: i64, b: i64| a.abs_diff(b) <= MAX_CLOCK_JUMP_MS as u64;
    if st.max_time == i64::MIN || near(t, st.max_time) {
        if let Some(c) = st.jump_candidate.take() {
            stats.outlier(&st.shown, c);
        }
        st.max_time = st.max_time.max(t);
        return;
    }
    match st.jump_candidate.take() {
        Some((c, _)) if near(t, c) => st.max_time = t.max(c),
        Some(c) => {
            stats.outlier(&st.shown, c);
            st.jump_candidate = Some((t, prov.clone()));
        }
        None => st.jump_candidate = Some((t, prov.clone())),
    }
}
