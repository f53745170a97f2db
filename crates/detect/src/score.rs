//! The documented risk score, severity and reasons.
//!
//! Points (summed, capped at 100):
//!
//! | what | points |
//! |---|---|
//! | base: a trigger with at least one corroborator | 20 |
//! | folder: spoofed directory 30, UNC / WebDAV 25, temp 15, user-writable 10 (the highest one) | 10–30 |
//! | signer: invalid 20, unsigned 15, expired 10 | 0–20 |
//! | first corroborating branch | 20 |
//! | each further branch | 15 |
//! | (c) outbound connection to a public address (`branches/outbound_network.rs`) | 10 |
//! | (a) fresh write by a browser, Office, archiver, script host or downloader (`branches/fresh_write.rs`) | 10 |
//! | (b) only by a command line of rundll32's shape, no name or OriginalFileName (`branches/follow_on_exec.rs`) | −10 |
//! | loader is a living-off-the-land binary (rundll32, regsvr32, msiexec, …) | 10 |
//!
//! Severity: `critical` ≥ 80, `high` ≥ 60, `medium` ≥ 40, else `low`. Uncorroborated triggers
//! (signals) are always `low`.
//!
//! The score is a property of the load and its evidence, never of its fate: a trigger suppressed
//! by tuning scores what it would score as an alert or a signal, so `--show-suppressed` shows what
//! the tuning took away.

use crate::alert::Alert;
use crate::lolbin::is_lolbin_loader;
use crate::PathClass;
use dllhound_model::SignatureState;
use serde::Serialize;

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn from_score(score: u8) -> Severity {
        match score {
            80.. => Severity::Critical,
            60..=79 => Severity::High,
            40..=59 => Severity::Medium,
            _ => Severity::Low,
        }
    }
}

fn class_points(c: PathClass) -> u32 {
    match c {
        PathClass::SpoofedDir => 30,
        PathClass::Unc | PathClass::Webdav => 25,
        PathClass::Temp => 15,
        PathClass::UserWritable => 10,
    }
}

/// Fills `score`, `severity` and `reasons`.
pub fn apply(a: &mut Alert) {
    let corroborated = a.evidence.corroborated();
    let mut pts: u32 = if corroborated { 20 } else { 0 };
    let mut reasons = Vec::new();
    let who = a.executable.original_file_name().to_string();

    if let Some(best) = a.classes.iter().copied().max_by_key(|c| class_points(*c)) {
        pts += class_points(best);
        let phrases: Vec<&str> = a.classes.iter().map(|c| c.phrase()).collect();
        reasons.push(format!(
            "{who} loaded {} from {}.",
            a.dll,
            phrases.join(" and ")
        ));
    } else {
        reasons.push(format!("{who} loaded {}.", a.dll));
    }
    let sig = match a.signature.state {
        SignatureState::Invalid => Some((20, "its signature is not valid")),
        SignatureState::Unsigned => Some((15, "it is not signed")),
        SignatureState::Expired => Some((10, "its signing certificate has expired")),
        _ => None,
    };
    if let Some((p, words)) = sig {
        pts += p;
        let by = a
            .signature
            .subject
            .as_deref()
            .map(|s| format!(" (signer: {s})"))
            .unwrap_or_default();
        reasons.push(format!("The module is suspicious because {words}{by}."));
    }

    if !a.branches.is_empty() {
        pts += 20 + 15 * (a.branches.len() as u32 - 1);
    }
    // Each branch's own points and sentences (crate::branches).
    let mut own = crate::branches::Points::default();
    a.evidence.score(a, &mut own);
    let mut pts = i64::from(pts) + own.points;
    reasons.extend(own.reasons);
    if let Some(u) = &a.unc {
        reasons.push(crate::context::unc::reason(u));
    }
    if is_lolbin_loader(&a.executable) {
        pts += 10;
        reasons.push(format!(
            "The loader, {who}, is a living-off-the-land binary often used to run DLLs."
        ));
    }
    for n in &a.tuning_not_applied {
        reasons.push(format!(
            "Tuning entry {} ({}) matched but was not applied: {}.",
            n.id, n.source, n.reason
        ));
    }
    if !corroborated {
        reasons.push(format!(
            "No corroborating {} was seen{}.",
            crate::branches::nouns(),
            if a.signal {
                ": a signal, not an alert"
            } else {
                ""
            }
        ));
    }
    a.score = pts.clamp(0, 100) as u8;
    a.severity = if !corroborated {
        Severity::Low
    } else {
        Severity::from_score(a.score)
    };
    a.reasons = reasons;
}
