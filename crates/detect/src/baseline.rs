//! The learned prevalence baseline.
//!
//! `dllhound baseline learn` counts, for every trigger load, the normalised triple
//! (loader pattern, DLL path pattern, signer) over hosts and UTC days. `scan --baseline` then
//! suppresses a trigger whose triple was seen on at least N hosts or on at least M distinct days.
//! Unsigned, invalid and expired modules are never baselined away unless asked (`--baseline-unsigned`).
//!
//! Normalisation (after Elastic's rare-DLL hunt): user profile names → `<user>` (except Public and
//! Default), GUIDs → `<guid>`, temp-name folders such as `MSI4F2.tmp-` or `nsx12.tmp` → `<tmp>`, runs of
//! 8+ hex characters with a digit → `<hex>`, digit runs → `<n>` (so version folders fold).

use chrono::{DateTime, Utc};
use dllhound_model::{ImageLoad, Timestamp, WinPath};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

/// The baseline file format version this build writes and reads.
pub const BASELINE_VERSION: u32 = 1;

/// One learned pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineRow {
    pub loader: String,
    pub dll: String,
    /// Signer subject (lower case), or `-` when none was logged.
    pub signer: String,
    /// Signature states seen (`valid`, `unsigned`, …).
    pub signature_states: BTreeSet<String>,
    pub hosts: u32,
    pub days: u32,
    pub loads: u64,
    pub first_seen: String,
    pub last_seen: String,
}

/// A baseline file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub created: String,
    pub inputs: Vec<String>,
    pub rows: Vec<BaselineRow>,
    #[serde(skip)]
    index: HashMap<(String, String, String), usize>,
}

/// A baseline file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    #[error("{origin}: not a dllhound baseline: {source}")]
    Json {
        origin: String,
        source: serde_json::Error,
    },
    #[error("{origin}: baseline version {found}, this dllhound reads version {BASELINE_VERSION}")]
    Version { origin: String, found: u32 },
}

fn rules() -> &'static [(Regex, &'static str)] {
    static R: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    R.get_or_init(|| {
        // These patterns are literals tested below; failing to compile is a build defect.
        let r = |p: &str| Regex::new(p).expect("valid baseline pattern");
        vec![
            (r(r"\\users\\[^\\]+\\"), "\\users\\<user>\\"),
            (
                r(r"\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?"),
                "<guid>",
            ),
            (r(r"\\[^\\]*\.tmp-?\\"), "\\<tmp>\\"),
            (r(r"[0-9a-f]*[0-9][0-9a-f]*"), "$HEXRUN"),
        ]
    })
}

/// The normalised pattern of a path (see the module docs).
pub fn pattern(p: &WinPath) -> String {
    let mut s = p.normalised().to_string();
    let keep = s.contains("\\users\\public\\") || s.contains("\\users\\default\\");
    let rs = rules();
    if !keep {
        s = rs[0].0.replace_all(&s, rs[0].1).into_owned();
    }
    s = rs[1].0.replace_all(&s, "<guid>").into_owned();
    s = rs[2].0.replace_all(&s, "\\<tmp>\\").into_owned();
    s = rs[3]
        .0
        .replace_all(&s, |c: &regex::Captures<'_>| {
            let m = &c[0];
            if m.len() >= 8 && m.bytes().any(|b| b.is_ascii_alphabetic()) || m.len() >= 16 {
                "<hex>".to_string()
            } else if m.bytes().all(|b| b.is_ascii_digit()) {
                "<n>".to_string()
            } else {
                // Short mixed runs (`e140`, `x64`): fold only the digits, so versions still meet.
                let mut out = String::new();
                let mut in_digits = false;
                for ch in m.chars() {
                    if ch.is_ascii_digit() {
                        if !in_digits {
                            out.push_str("<n>");
                        }
                        in_digits = true;
                    } else {
                        out.push(ch);
                        in_digits = false;
                    }
                }
                out
            }
        })
        .into_owned();
    s
}

fn signer_key(load: &ImageLoad) -> String {
    load.signature
        .subject
        .as_deref()
        .map(|s| s.to_lowercase())
        .unwrap_or_else(|| "-".into())
}

fn day(t: Timestamp) -> String {
    DateTime::<Utc>::from_timestamp_millis(t.millis())
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Accumulates trigger loads into a baseline.
#[derive(Debug, Default)]
pub struct BaselineBuilder {
    acc: BTreeMap<(String, String, String), Acc>,
}

#[derive(Debug, Default)]
struct Acc {
    hosts: BTreeSet<String>,
    days: BTreeSet<String>,
    states: BTreeSet<String>,
    loads: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
}

impl BaselineBuilder {
    /// Counts one trigger load.
    pub fn add(&mut self, host: &str, time: Timestamp, load: &ImageLoad) {
        let key = (pattern(&load.image), pattern(&load.dll), signer_key(load));
        let a = self.acc.entry(key).or_default();
        // By identity: a host under its short name and its FQDN, in any case, is one host.
        a.hosts
            .insert(dllhound_model::host::identity(host).into_owned());
        a.days.insert(day(time));
        a.states.insert(load.signature.state.as_str().to_string());
        a.loads += 1;
        a.first = Some(a.first.map_or(time, |f| f.min(time)));
        a.last = Some(a.last.map_or(time, |l| l.max(time)));
    }

    pub fn finish(self, inputs: Vec<String>) -> Baseline {
        let rows = self
            .acc
            .into_iter()
            .map(|((loader, dll, signer), a)| BaselineRow {
                loader,
                dll,
                signer,
                signature_states: a.states,
                hosts: a.hosts.len() as u32,
                days: a.days.len() as u32,
                loads: a.loads,
                first_seen: a.first.map(|t| t.to_rfc3339()).unwrap_or_default(),
                last_seen: a.last.map(|t| t.to_rfc3339()).unwrap_or_default(),
            })
            .collect();
        let mut b = Baseline {
            version: BASELINE_VERSION,
            created: Utc::now().to_rfc3339(),
            inputs,
            rows,
            index: HashMap::new(),
        };
        b.reindex();
        b
    }
}

impl Baseline {
    /// Reads a baseline file's text.
    pub fn from_json(text: &str, origin: &str) -> Result<Baseline, BaselineError> {
        let mut b: Baseline = serde_json::from_str(text).map_err(|e| BaselineError::Json {
            origin: origin.into(),
            source: e,
        })?;
        if b.version != BASELINE_VERSION {
            return Err(BaselineError::Version {
                origin: origin.into(),
                found: b.version,
            });
        }
        b.reindex();
        Ok(b)
    }

    fn reindex(&mut self) {
        self.index = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.loader.clone(), r.dll.clone(), r.signer.clone()), i))
            .collect();
    }

    /// The row for this load's pattern, if learned.
    pub fn row(&self, load: &ImageLoad) -> Option<&BaselineRow> {
        let key = (pattern(&load.image), pattern(&load.dll), signer_key(load));
        self.index.get(&key).map(|&i| &self.rows[i])
    }
}

/// When a learned row suppresses a trigger.
#[derive(Debug, Clone)]
pub struct BaselinePolicy {
    pub baseline: Baseline,
    pub min_hosts: u32,
    pub min_days: u32,
    /// Allow unsigned / invalid / expired modules to be baselined away.
    pub include_unsigned: bool,
}

impl BaselinePolicy {
    /// The row that makes this load common enough to suppress.
    pub fn suppressing_row(&self, load: &ImageLoad) -> Option<&BaselineRow> {
        if load.signature.state.is_suspicious() && !self.include_unsigned {
            return None;
        }
        self.baseline
            .row(load)
            .filter(|r| r.hosts >= self.min_hosts || r.days >= self.min_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        pattern(&WinPath::new(s))
    }

    #[test]
    fn user_names_guids_temp_names_and_versions_fold() {
        assert_eq!(
            p(
                r"C:\Users\Bob\AppData\Local\Temp\{1B2C3D4E-1111-2222-3333-444455556666}\DismCore.dll"
            ),
            r"c:\users\<user>\appdata\local\temp\<guid>\dismcore.dll"
        );
        assert_eq!(
            p(r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2009.7-0\MpOAV.dll"),
            r"c:\programdata\microsoft\windows defender\platform\<n>.<n>.<n>.<n>-<n>\mpoav.dll"
        );
        assert_eq!(
            p(r"C:\Windows\Installer\MSI4F2A.tmp-\x.dll"),
            r"c:\windows\installer\<tmp>\x.dll"
        );
        assert_eq!(
            p(
                r"C:\Windows\assembly\NativeImages_v4.0.30319_64\System\496a45a0614b37e8f0260d3f2adabc52\System.ni.dll"
            ),
            r"c:\windows\assembly\nativeimages_v<n>.<n>.<n>_<n>\system\<hex>\system.ni.dll"
        );
        assert_eq!(p(r"C:\Users\Public\x.dll"), r"c:\users\public\x.dll");
        assert_eq!(p(r"C:\App\vcruntime140.dll"), r"c:\app\vcruntime<n>.dll");
        assert_eq!(
            p(r"C:\Users\alice\AppData\Roaming\x.dll"),
            p(r"C:\Users\bob\AppData\Roaming\X.DLL")
        );
    }
}
