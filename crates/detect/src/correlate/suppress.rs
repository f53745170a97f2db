//! Tuning and baseline: which entry, if any, keeps a trigger from being an alert.

use super::finding::Builder;
use crate::alert::Suppression;
use crate::tuning::Candidate;
use crate::Config;

/// The source that suppresses a trigger on the load alone (entries without a writer criterion, the
/// baseline), if any. Entries with a writer criterion wait for the corroborators.
pub(super) fn suppression_by_load(
    cfg: &Config,
    load: &dllhound_model::ImageLoad,
) -> Option<&'static str> {
    let candidate = Candidate { load, writes: &[] };
    if let Some(e) = cfg
        .tuning
        .entries()
        .iter()
        .find(|e| !e.needs_writes() && e.matches(&candidate))
    {
        return Some(e.source.as_str());
    }
    cfg.baseline
        .as_ref()?
        .suppressing_row(load)
        .map(|_| "baseline")
}

/// The allowlist entry or baseline row that suppresses this trigger, if any, and the broad entries
/// that matched but did not apply (with the reason they did not).
pub(super) fn suppression(cfg: &Config, b: &Builder) -> (Option<Suppression>, Vec<Suppression>) {
    let candidate = Candidate {
        load: &b.first.ev,
        writes: &b.evidence.fresh_write,
    };
    let d = cfg.tuning.decide(&candidate);
    let not_applied = d
        .not_applied
        .iter()
        .map(|(e, why)| Suppression {
            source: e.source.as_str(),
            id: e.id.clone(),
            reason: why.clone(),
        })
        .collect();
    if let Some(e) = d.applied {
        let s = Suppression {
            source: e.source.as_str(),
            id: e.id.clone(),
            reason: e.reason.clone(),
        };
        return (Some(s), not_applied);
    }
    (baseline_suppression(cfg, &b.first.ev), not_applied)
}

/// The baseline row that suppresses this load, if any.
fn baseline_suppression(cfg: &Config, load: &dllhound_model::ImageLoad) -> Option<Suppression> {
    let policy = cfg.baseline.as_ref()?;
    let row = policy.suppressing_row(load)?;
    Some(Suppression {
        source: "baseline",
        id: format!("{} | {} | {}", row.loader, row.dll, row.signer),
        reason: format!(
            "seen on {} host(s) and {} day(s) in the baseline (thresholds: {} hosts or {} days)",
            row.hosts, row.days, policy.min_hosts, policy.min_days
        ),
    })
}
