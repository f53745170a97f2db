//! Per part of AN0052: does this configuration let Sysmon log every probe of the part, and for
//! each probe it drops, which rule drops it.

use crate::config::{Item, OnMatch, Section, SysmonConfig};
use crate::eval::{decide, Decider};
use crate::probes::{Probe, PARTS};
use serde::Serialize;

/// The rule (or section) that decided a probe's fate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// 1-based line in the configuration.
    pub line: u32,
    /// The rule's name (its own, its `<Rule>`'s or its `<RuleGroup>`'s), when it has one.
    pub name: Option<String>,
    /// What it is, in the configuration's words: `<ImageLoad onmatch="exclude"> Signature is
    /// "Microsoft Windows"`.
    pub text: String,
}

/// One probe's fate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeResult {
    pub probe: String,
    pub event_id: u16,
    pub logged: bool,
    /// The deciding rule; `null` when no rule decided (no section for the type, or a schema
    /// version that predates it).
    pub rule: Option<RuleRef>,
    /// Why, in a sentence.
    pub reason: String,
}

/// One part's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartResult {
    pub part: &'static str,
    /// `logged` (every probe), `partial` (some), `not_logged` (none).
    pub verdict: &'static str,
    pub probes: Vec<ProbeResult>,
}

/// A configuration's readiness for AN0052.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub config: String,
    pub schema_version: String,
    pub parts: Vec<PartResult>,
}

impl Readiness {
    /// The verdict of one part.
    pub fn verdict(&self, part: &str) -> Option<&'static str> {
        self.parts
            .iter()
            .find(|p| p.part == part)
            .map(|p| p.verdict)
    }

    /// Can AN0052 fire under this configuration? `(verdict, sentence)`: `can_fire` when every
    /// part is logged, `cannot_fire` when neither trigger part or no corroborating branch is
    /// logged at all, `can_fire_partly` otherwise.
    pub fn headline(&self) -> (&'static str, String) {
        let v = |p: &str| self.verdict(p).unwrap_or("not_logged");
        let seen = |p: &str| v(p) != "not_logged";
        if self.all_logged() {
            return (
                "can_fire",
                "AN0052 can fire: every probe of every part is logged".into(),
            );
        }
        if !seen("trigger_path") && !seen("trigger_signature") {
            return (
                "cannot_fire",
                "AN0052 cannot fire: no probe image load (Event 7) is logged".into(),
            );
        }
        let branches = ["fresh_write", "follow_on_exec", "outbound_network"];
        if !branches.iter().any(|b| seen(b)) {
            return (
                "cannot_fire",
                "AN0052 cannot fire: no corroborating branch is logged".into(),
            );
        }
        let gaps: Vec<String> = self
            .parts
            .iter()
            .filter(|p| p.verdict != "logged")
            .map(|p| format!("{} {}", p.part, p.verdict))
            .collect();
        (
            "can_fire_partly",
            format!("AN0052 can fire, with gaps: {}", gaps.join(", ")),
        )
    }

    /// True when every part is `logged`.
    pub fn all_logged(&self) -> bool {
        self.parts.iter().all(|p| p.verdict == "logged")
    }
}

fn section_text(s: &Section) -> String {
    format!("<{} onmatch=\"{}\">", s.event.rule_name, s.onmatch.as_str())
}

pub(crate) fn item_text(s: &Section, i: &Item) -> String {
    match i {
        Item::Filter(f) => format!(
            "{} {} {} \"{}\"",
            section_text(s),
            f.field,
            f.condition.name(),
            f.value
        ),
        Item::Compound {
            combine, filters, ..
        } => {
            let join = match combine {
                crate::config::Combine::And => " and ",
                crate::config::Combine::Or => " or ",
                crate::config::Combine::Unset => " ?? ",
            };
            let inner: Vec<String> = filters
                .iter()
                .map(|f| format!("{} {} \"{}\"", f.field, f.condition.name(), f.value))
                .collect();
            format!("{} <Rule> {}", section_text(s), inner.join(join))
        }
    }
}

fn judge(cfg: &SysmonConfig, p: &Probe) -> ProbeResult {
    let d = decide(cfg, p.event_id, p.fields.as_slice());
    let t = crate::schema::by_id(p.event_id);
    let tname = t.map_or("?", |t| t.rule_name);
    let (rule, reason) = match &d.decider {
        Decider::SchemaTooOld => {
            let ignored: Vec<String> = cfg
                .ignored_for_schema
                .iter()
                .filter(|(e, _)| e.event_id == p.event_id)
                .map(|(_, l)| l.to_string())
                .collect();
            let which = if ignored.is_empty() {
                String::new()
            } else {
                format!(" (its section at line {} is ignored)", ignored.join(", "))
            };
            (
                None,
                format!(
                    "schemaversion {} predates {tname} (event {}, schema {}+): Sysmon does not log it{which}",
                    cfg.schema_version,
                    p.event_id,
                    t.map_or(String::new(), |t| t.since.to_string()),
                ),
            )
        }
        Decider::NoSection => (
            None,
            if d.logged {
                format!(
                    "no <{tname}> section: Sysmon logs event {} by default",
                    p.event_id
                )
            } else {
                format!(
                    "no <{tname}> section: Sysmon does not log event {} without one",
                    p.event_id
                )
            },
        ),
        Decider::Matched { section, item } => {
            let rr = match item {
                Some(i) => RuleRef {
                    line: i.line(),
                    name: i.name().map(str::to_string),
                    text: item_text(section, i),
                },
                None => RuleRef {
                    line: section.line,
                    name: section.group_name.clone(),
                    text: section_text(section),
                },
            };
            let verb = if section.onmatch == OnMatch::Exclude {
                "an exclude rule matches it"
            } else {
                "an include rule matches it"
            };
            let reason = format!("{verb} (line {})", rr.line);
            (Some(rr), reason)
        }
        Decider::OnlySectionDefault(s) => (
            Some(RuleRef {
                line: s.line,
                name: s.group_name.clone(),
                text: section_text(s),
            }),
            if d.logged {
                format!(
                    "no exclude rule of the only <{tname}> section (line {}) matches it",
                    s.line
                )
            } else if s.items.is_empty() {
                format!(
                    "the <{tname}> include section (line {}) is empty: it logs nothing",
                    s.line
                )
            } else {
                format!(
                    "no include rule of the only <{tname}> section (line {}) matches it",
                    s.line
                )
            },
        ),
        Decider::NoneOfSeveral(ss) => {
            let include = ss
                .iter()
                .find(|s| s.onmatch == OnMatch::Include)
                .unwrap_or(&ss[0]);
            (
                Some(RuleRef {
                    line: include.line,
                    name: include.group_name.clone(),
                    text: section_text(include),
                }),
                {
                    let mut lines: Vec<u32> = ss.iter().map(|s| s.line).collect();
                    lines.sort_unstable();
                    format!(
                        "no rule of the {} <{tname}> sections (lines {}) includes it: with several sections, Sysmon drops what none includes",
                        ss.len(),
                        lines.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
                    )
                },
            )
        }
    };
    ProbeResult {
        probe: p.name.clone(),
        event_id: p.event_id,
        logged: d.logged,
        rule,
        reason,
    }
}

/// Evaluates every probe against the configuration.
pub fn evaluate(config_name: &str, cfg: &SysmonConfig, probes: &[Probe]) -> Readiness {
    let parts = PARTS
        .into_iter()
        .filter(|part| probes.iter().any(|p| p.part == *part))
        .map(|part| {
            let results: Vec<ProbeResult> = probes
                .iter()
                .filter(|p| p.part == part)
                .map(|p| judge(cfg, p))
                .collect();
            let n = results.iter().filter(|r| r.logged).count();
            let verdict = if n == results.len() {
                "logged"
            } else if n == 0 {
                "not_logged"
            } else {
                "partial"
            };
            PartResult {
                part,
                verdict,
                probes: results,
            }
        })
        .collect();
    Readiness {
        config: config_name.to_string(),
        schema_version: cfg.schema_version.to_string(),
        parts,
    }
}
