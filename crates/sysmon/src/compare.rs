//! The configuration and the data together: does each host send what its configuration says
//! Sysmon logs? A part the configuration logs but a host never sent means the configuration is
//! not deployed there (or the forwarder drops the event); a part the configuration drops but a
//! host sends means the host runs another configuration.

use crate::readiness::Readiness;
use dllhound_detect::coverage::HostCoverage;
use serde::Serialize;

/// One part on one host where configuration and data disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    pub part: &'static str,
    /// The configuration's verdict (`logged`, `partial`, `not_logged`).
    pub config: &'static str,
    /// The data's verdict (`evaluable`, `partial`, `blind`).
    pub data: &'static str,
    pub says: String,
}

/// One host's comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostCheck {
    pub host: String,
    /// `consistent` or `differs`.
    pub verdict: &'static str,
    pub mismatches: Vec<Mismatch>,
}

/// The event a part needs, for sentences.
fn event_of(part: &str) -> &'static str {
    match part {
        "trigger_path" | "trigger_signature" => "Event 7 (image load)",
        "fresh_write" => "Events 11/15/29 (file writes)",
        "follow_on_exec" => "Event 1 (process start)",
        "outbound_network" => "Event 3 (network)",
        _ => "its events",
    }
}

/// Compares per host and part (parts the data side has no verdict for, such as DNS, are left out).
pub fn compare(r: &Readiness, hosts: &[HostCoverage]) -> Vec<HostCheck> {
    hosts
        .iter()
        .map(|h| {
            let mut mismatches = Vec::new();
            if let Some(v) = &h.verdicts {
                for p in &r.parts {
                    let Some(d) = v.part(crate::probes::data_part(p.part)) else {
                        continue;
                    };
                    let says = match (p.verdict, d.verdict) {
                        ("logged" | "partial", "blind") => Some(format!(
                            "the configuration logs {} but this host sent none: it does not run this configuration, or its forwarder drops the event",
                            event_of(p.part)
                        )),
                        ("not_logged", "evaluable" | "partial") => Some(format!(
                            "the configuration drops {} but this host sends it: it runs another configuration",
                            event_of(p.part)
                        )),
                        _ => None,
                    };
                    if let Some(says) = says {
                        mismatches.push(Mismatch {
                            part: p.part,
                            config: p.verdict,
                            data: d.verdict,
                            says,
                        });
                    }
                }
            }
            HostCheck {
                host: h.host.clone(),
                verdict: if mismatches.is_empty() {
                    "consistent"
                } else {
                    "differs"
                },
                mismatches,
            }
        })
        .collect()
}
