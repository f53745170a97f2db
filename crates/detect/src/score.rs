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
//! | outbound connection to a public address | 10 |
//! | fresh write by a browser, Office, archiver, script host or downloader | 10 |
//! | loader is a living-off-the-land binary (rundll32, regsvr32, msiexec, …) | 10 |
//!
//! Severity: `critical` ≥ 80, `high` ≥ 60, `medium` ≥ 40, else `low`. Signals (uncorroborated
//! triggers) are always `low`.

use crate::alert::{Alert, WriteMatch};
use crate::lolbin::{is_lolbin_loader, is_risky_writer, Executor, NameMatch};
use crate::{DestinationClass, PathClass};
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

fn ago(s: f64) -> String {
    if s.abs() < 0.0005 {
        "in the same millisecond as".into()
    } else if s < 0.0 {
        format!("{:.3} s before", -s)
    } else {
        format!("{s:.3} s after")
    }
}

/// Fills `score`, `severity` and `reasons`.
/// The (a) sentence for the first write, saying how its path met the DLL's.
fn write_words(w: &crate::WriteEvidence) -> String {
    let when = ago(w.delta_seconds);
    let who = &w.process_executable;
    match w.matched {
        WriteMatch::Exact => format!("(a) It was freshly written {when} the load by {who}."),
        WriteMatch::Stream => {
            let stream = w.path.original().rsplit(':').next().unwrap_or_default();
            if stream.eq_ignore_ascii_case("Zone.Identifier") {
                format!(
                    "(a) Mark-of-the-Web written by {} {when} the load (the DLL's Zone.Identifier stream): it was downloaded, by {who}.",
                    who.original_file_name().to_lowercase()
                )
            } else {
                format!("(a) Its {stream} stream was written {when} the load by {who}.")
            }
        }
        WriteMatch::Download => format!(
            "(a) It was downloaded as {} {when} the load by {who} (renamed to the DLL when the download completed).",
            w.path
        ),
        WriteMatch::ShortNameAlias => format!(
            "(a) It was freshly written {when} the load by {who}, as {} (matched through an 8.3 alias).",
            w.path
        ),
    }
}

pub fn apply(a: &mut Alert) {
    let mut pts: u32 = if a.signal { 0 } else { 20 };
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
    if let Some(w) = a.fresh_write.first() {
        reasons.push(write_words(w));
        if a.fresh_write
            .iter()
            .any(|w| is_risky_writer(&w.process_executable))
        {
            pts += 10;
            reasons
                .push("The writer is a browser, Office, archive, script or download tool.".into());
        }
    }
    if let Some(e) = a
        .follow_on_exec
        .iter()
        .find(|e| e.is_loader)
        .or(a.follow_on_exec.first())
    {
        let how = match e.matched {
            NameMatch::FullPath => "by full path",
            NameMatch::FileName => "by file name",
            NameMatch::Stem => "by name without extension",
            NameMatch::ShortNameAlias => "by full path spelled with 8.3 short names",
            NameMatch::ComClsid => "as a COM class (-sta {CLSID}) whose InprocServer32 names it",
        };
        let who_ran = if e.is_loader {
            "the loading process itself".to_string()
        } else {
            e.process_executable.to_string()
        };
        reasons.push(format!(
            "(b) It was run through {} {how}, {} the load, by {who_ran}: {}",
            e.process_executable.original_file_name(),
            ago(e.delta_seconds),
            e.command_line
        ));
        if a.follow_on_exec
            .iter()
            .all(|e| e.executor == Executor::CommandLineShape)
        {
            // A weaker sign than a rundll32 by name or PE header: the branch is worth less.
            pts = pts.saturating_sub(10);
            reasons.push(format!(
                "{} is not named rundll32 and logged no OriginalFileName, but its command line has rundll32's shape (DLL,Entry): probably a renamed rundll32, a weaker sign.",
                e.process_executable.original_file_name()
            ));
        }
    }
    if let Some(n) = a.outbound_network.first() {
        let port = n
            .destination_port
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        reasons.push(format!(
            "(c) The loading process connected out to {}{port} ({}) {} the load.",
            n.destination_ip,
            n.destination_class.as_str(),
            ago(n.delta_seconds)
        ));
        if a.outbound_network
            .iter()
            .any(|n| n.destination_class == DestinationClass::Public)
        {
            pts += 10;
        }
        if !a.dns.is_empty() {
            let names: Vec<&str> = a.dns.iter().map(|d| &*d.query).take(5).collect();
            reasons.push(format!("It looked up {}.", names.join(", ")));
        }
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
    if a.signal {
        reasons.push("No corroborating write, rundll32/regsvr32 run or outbound connection was seen: a signal, not an alert.".into());
    }
    a.score = pts.min(100) as u8;
    a.severity = if a.signal {
        Severity::Low
    } else {
        Severity::from_score(a.score)
    };
    a.reasons = reasons;
}
