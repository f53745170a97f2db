//! The smallest change to a configuration that lets every probe through, at bounded volume.
//!
//! What it proposes, per dropped probe, from what dropped it ([`crate::eval::Decider`]):
//! - an **exclude rule** matched: remove that rule (in an AND section, where removing one rule
//!   would widen the exclusion, the whole section);
//! - **no include rule** matched, or the type has **no section** and is off by default: add one
//!   `<RuleGroup groupRelation="or">` per event type with the part's include rules (below);
//! - the **schema version** predates the event type: raise `schemaversion` (Sysmon 15 for 4.90).
//!
//! Include rules are generated from the engine's own data, never a hand-kept copy: the
//! trigger's folders from the path-class table (`dllhound_detect::PathClasses`, each glob turned
//! into a Sysmon condition where one exists), the follow-on executors and LOLBin loaders from
//! `dllhound_detect::lolbin`. Volume stays bounded: image loads only from the suspicious folders
//! or unsigned / badly signed; file writes only of modules (`.dll`, `.ocx`, `.cpl`); network and
//! DNS only of the LOLBin loaders, Office and script hosts, and processes running from the
//! suspicious folders. Each rule is named `AN0052 <part>`, so the events it logs say why.
//!
//! The change is worked out on the parsed model, then applied to the text once (removals by
//! byte range, additions before `</EventFiltering>`), and the result is parsed and evaluated
//! again: [`Suggestion::remaining`] lists any probe still dropped (none, for the tables shipped).

use crate::config::{Combine, OnMatch, Section, SysmonConfig};
use crate::eval::{decide, Decider};
use crate::probes::Probe;
use crate::readiness::item_text;
use crate::schema::{self, SchemaVersion};
use dllhound_detect::lolbin;
use dllhound_detect::{PathClass, PathClasses};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// A rule to take out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removal {
    pub line: u32,
    pub name: Option<String>,
    pub text: String,
    /// The probes it dropped.
    pub probes: Vec<String>,
    /// The byte ranges to delete: the rule, or every rule of an AND section (the section stays,
    /// empty, so the type keeps its sections and an empty exclude matches nothing).
    #[serde(skip)]
    pub ranges: Vec<Range<usize>>,
}

/// Rules to add for one event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Addition {
    pub event: &'static str,
    pub parts: Vec<&'static str>,
    /// The `<RuleGroup>` to paste before `</EventFiltering>`.
    pub xml: String,
}

/// The change, and what evaluating the changed configuration gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// Raise `schemaversion` to this.
    pub schema_version: Option<String>,
    pub removals: Vec<Removal>,
    pub additions: Vec<Addition>,
    /// What a reader should know (Sysmon version needed, parts whose coverage stays bounded).
    pub notes: Vec<String>,
    /// Probes the changed configuration still drops (empty when the change is complete).
    pub remaining: Vec<String>,
}

impl Suggestion {
    /// True when nothing needs to change.
    pub fn is_empty(&self) -> bool {
        self.schema_version.is_none() && self.removals.is_empty() && self.additions.is_empty()
    }
}

/// One glob of the path-class table as a Sysmon condition on a full path, if Sysmon can say it:
/// `**/appdata/local/temp/**` → contains `\appdata\local\temp\`, `?:/users/**` → contains
/// `:\users\`, `//*/**` → begin with `\\`, `**/*.tmp/**` → contains `.tmp\`.
fn glob_condition(glob: &str) -> Option<(&'static str, String)> {
    let body = glob.strip_suffix("/**")?;
    let (anchor, rest) = if let Some(r) = body.strip_prefix("**/") {
        ("\\", r)
    } else if let Some(r) = body.strip_prefix("?:/") {
        (":\\", r)
    } else if let Some(r) = body.strip_prefix("//") {
        ("\\\\", r)
    } else {
        return None;
    };
    if anchor == "\\\\" && rest == "*" {
        return Some(("begin with", "\\\\".into()));
    }
    let (anchor, rest) = match rest.strip_prefix('*') {
        Some(r) => ("", r),
        None => (anchor, rest),
    };
    let (rest, tail) = match rest.strip_suffix('*') {
        Some(r) => (r, ""),
        None => (rest, "\\"),
    };
    if rest.is_empty() || rest.contains(['*', '?', '[', ']', '{', '}']) {
        return None;
    }
    Some((
        "contains",
        format!("{anchor}{}{tail}", rest.replace('/', "\\")),
    ))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn rule(field: &str, cond: &str, value: &str, part: &str) -> String {
    format!(
        "<{field} name=\"AN0052 {part}\" condition=\"{cond}\">{}</{field}>",
        esc(value)
    )
}

/// Processes whose network and DNS activity (c) needs: the engine's LOLBin loaders, then
/// Office and the script hosts (the loaders of this analytic's initial-access chains).
fn loader_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = lolbin::LOLBIN_LOADERS.to_vec();
    for n in [
        "winword.exe",
        "excel.exe",
        "powerpnt.exe",
        "outlook.exe",
        "onenote.exe",
        "msaccess.exe",
        "mspub.exe",
        "wscript.exe",
        "cscript.exe",
        "powershell.exe",
        "pwsh.exe",
    ] {
        if !v.contains(&n) {
            v.push(n);
        }
    }
    v
}

/// The include rules for one part on one event type, as XML lines.
fn include_rules(part: &'static str, event_id: u16, classes: &PathClasses) -> Vec<String> {
    let folders = |field: &str| -> Vec<String> {
        // In the table's order, without repeats.
        let mut contains: Vec<String> = Vec::new();
        let mut begins: Vec<String> = Vec::new();
        let ordered = PathClass::ALL
            .iter()
            .flat_map(|c| classes.globs().iter().filter(move |(k, _)| k == c));
        for (_, g) in ordered {
            let (list, v) = match glob_condition(g) {
                Some(("contains", v)) => (&mut contains, v),
                Some((_, v)) => (&mut begins, v),
                None => continue,
            };
            if !list.contains(&v) {
                list.push(v);
            }
        }
        // Sysmon sometimes logs a share as \Device\Mup\server\share.
        if begins.iter().any(|b| b == "\\\\") {
            begins.push("\\Device\\Mup\\".into());
        }
        let mut out = Vec::new();
        if !contains.is_empty() {
            out.push(rule(field, "contains any", &contains.join(";"), part));
        }
        out.extend(
            begins
                .into_iter()
                .map(|b| rule(field, "begin with", &b, part)),
        );
        out
    };
    let modules = |field: &str| -> Vec<String> {
        [".dll", ".ocx", ".cpl"]
            .iter()
            .map(|x| rule(field, "end with", x, part))
            .collect()
    };
    let loaders = || -> Vec<String> {
        let mut v: Vec<String> = loader_names()
            .into_iter()
            .map(|n| rule("Image", "image", n, part))
            .collect();
        v.extend(folders("Image"));
        v
    };
    match (part, event_id) {
        ("trigger_path", 7) => folders("ImageLoaded"),
        ("trigger_signature", 7) => vec![
            rule("Signed", "is", "false", part),
            rule("SignatureStatus", "is not", "Valid", part),
        ],
        ("fresh_write", 11 | 29) => modules("TargetFilename"),
        // A stream's target is `x.dll:Zone.Identifier`: the module with a stream name after it.
        ("fresh_write", 15) => {
            let mut v = modules("TargetFilename");
            v.push(rule(
                "TargetFilename",
                "contains any",
                ".dll:;.ocx:;.cpl:",
                part,
            ));
            v
        }
        ("follow_on_exec", 1) => {
            let mut v: Vec<String> = lolbin::FOLLOW_ON
                .iter()
                .map(|n| rule("Image", "image", n, part))
                .collect();
            let upper: Vec<String> = lolbin::FOLLOW_ON.iter().map(|n| n.to_uppercase()).collect();
            v.push(rule("OriginalFileName", "is any", &upper.join(";"), part));
            v
        }
        ("outbound_network", 3) | ("dns", 22) => loaders(),
        // A probe of a part on an event type the part does not use (a user's own table): include
        // what the probe names, by its process image.
        _ => loaders(),
    }
}

/// What to change in the model for one dropped probe.
enum Action {
    Remove(Removal),
    Add(u16, &'static str),
    Bump(SchemaVersion),
    Stuck(String),
}

fn action(cfg: &SysmonConfig, p: &Probe) -> Action {
    let d = decide(cfg, p.event_id, p.fields.as_slice());
    match d.decider {
        Decider::SchemaTooOld => match schema::by_id(p.event_id) {
            Some(t) => Action::Bump(t.since),
            None => Action::Stuck(p.name.clone()),
        },
        Decider::Matched { section, item } if section.onmatch == OnMatch::Exclude => {
            let (ranges, line, name, text) = match (section.combine, item) {
                (Combine::Or, Some(i)) => (
                    vec![i.range()],
                    i.line(),
                    i.name().map(str::to_string),
                    item_text(section, i),
                ),
                _ => (
                    section.items.iter().map(|i| i.range()).collect(),
                    section.line,
                    section.group_name.clone(),
                    format!(
                        "every rule of <{} onmatch=\"exclude\"> (an AND section: removing one rule would widen it)",
                        section.event.rule_name
                    ),
                ),
            };
            Action::Remove(Removal {
                line,
                name,
                text,
                probes: vec![p.name.clone()],
                ranges,
            })
        }
        Decider::Matched { .. } => Action::Stuck(p.name.clone()),
        Decider::NoSection | Decider::OnlySectionDefault(_) | Decider::NoneOfSeveral(_) => {
            Action::Add(p.event_id, p.part)
        }
    }
}

/// Takes items out of the model.
fn remove_from(cfg: &mut SysmonConfig, ranges: &[Range<usize>]) {
    for s in &mut cfg.sections {
        s.items.retain(|i| !ranges.contains(&i.range()));
    }
}

fn group_xml(
    event: &'static str,
    parts: &[&'static str],
    rules: &[String],
    indent: &str,
) -> String {
    let unit = if indent.is_empty() { "  " } else { indent };
    let i2 = format!("{indent}{unit}");
    let i3 = format!("{i2}{unit}");
    let mut x = format!(
        "{indent}<!-- dllhound: lets Sysmon log what AN0052 ({}) needs -->\n",
        parts.join(", ")
    );
    x.push_str(&format!(
        "{indent}<RuleGroup name=\"AN0052\" groupRelation=\"or\">\n{i2}<{event} onmatch=\"include\">\n"
    ));
    for r in rules {
        x.push_str(&format!("{i3}{r}\n"));
    }
    x.push_str(&format!("{i2}</{event}>\n{indent}</RuleGroup>\n"));
    x
}

/// Sections parsed from generated groups, to evaluate the model before the text exists.
fn parse_sections(xml: &str, schema: SchemaVersion) -> Vec<Section> {
    let doc = format!(
        "<Sysmon schemaversion=\"{schema}\"><EventFiltering>\n{xml}</EventFiltering></Sysmon>"
    );
    SysmonConfig::parse(&doc)
        .map(|c| c.sections)
        .unwrap_or_default()
}

/// Works out the change for `text` (already parsed as `cfg`) and this probe table.
pub fn suggest(
    text: &str,
    cfg: &SysmonConfig,
    probes: &[Probe],
    classes: &PathClasses,
) -> Suggestion {
    let mut model = cfg.clone();
    let mut removals: Vec<Removal> = Vec::new();
    let mut adds: BTreeMap<u16, Vec<&'static str>> = BTreeMap::new();
    let mut bump: Option<SchemaVersion> = None;
    let mut stuck = BTreeSet::new();
    // Each round fixes what drops a probe now; removing one exclude can reveal the next.
    for _ in 0..64 {
        let mut changed = false;
        for p in probes {
            if stuck.contains(&p.name) || decide(&model, p.event_id, p.fields.as_slice()).logged {
                continue;
            }
            match action(&model, p) {
                Action::Remove(rm) => {
                    remove_from(&mut model, &rm.ranges);
                    match removals.iter_mut().find(|x| x.ranges == rm.ranges) {
                        Some(x) => x.probes.push(p.name.clone()),
                        None => removals.push(rm),
                    }
                    changed = true;
                }
                Action::Add(id, part) => {
                    let parts = adds.entry(id).or_default();
                    if !parts.contains(&part) {
                        parts.push(part);
                        let t = schema::by_id(id).map_or("", |t| t.rule_name);
                        let rules = include_rules(part, id, classes);
                        model.sections.extend(parse_sections(
                            &group_xml(t, &[part], &rules, "  "),
                            model.schema_version,
                        ));
                        changed = true;
                    } else {
                        stuck.insert(p.name.clone());
                    }
                }
                Action::Bump(v) => {
                    if model.schema_version < v {
                        model.schema_version = v;
                        bump = Some(bump.map_or(v, |b| b.max(v)));
                        changed = true;
                    } else {
                        stuck.insert(p.name.clone());
                    }
                }
                Action::Stuck(n) => {
                    stuck.insert(n);
                }
            }
        }
        if !changed {
            break;
        }
    }
    removals.sort_by_key(|r| r.ranges.first().map_or(0, |x| x.start));

    let additions: Vec<Addition> = adds
        .into_iter()
        .filter_map(|(id, parts)| {
            let t = schema::by_id(id)?;
            let mut rules: Vec<String> = Vec::new();
            for part in &parts {
                for r in include_rules(part, id, classes) {
                    if !rules.contains(&r) {
                        rules.push(r);
                    }
                }
            }
            Some(Addition {
                event: t.rule_name,
                parts: parts.clone(),
                xml: group_xml(t.rule_name, &parts, &rules, &cfg.indent),
            })
        })
        .collect();

    let mut notes = Vec::new();
    if let Some(v) = bump {
        notes.push(format!(
            "schemaversion {v} needs a Sysmon that knows it (4.90: Sysmon 15 or later)"
        ));
        if crosses_4_1(cfg, Some(v)) {
            notes.push(
                "raising the schema past 4.1 would make rules outside a RuleGroup (or in one without groupRelation) combine with AND: they are put in <RuleGroup groupRelation=\"or\"> so they keep combining with OR".into(),
            );
        }
    }
    if additions
        .iter()
        .any(|a| a.event == "NetworkConnect" || a.event == "DnsQuery")
    {
        notes.push(
            "network and DNS rules cover the LOLBin loaders, Office, script hosts and processes running from the suspicious folders; (c) for any other loader needs its connections logged too".into(),
        );
    }
    let mut s = Suggestion {
        schema_version: bump.map(|v| v.to_string()),
        removals,
        additions,
        notes,
        remaining: Vec::new(),
    };
    s.remaining = match SysmonConfig::parse(&apply(text, cfg, &s)) {
        Ok(fixed) => probes
            .iter()
            .filter(|p| !decide(&fixed, p.event_id, p.fields.as_slice()).logged)
            .map(|p| p.name.clone())
            .collect(),
        Err(e) => vec![format!("(the changed configuration does not parse: {e})")],
    };
    s
}

/// Does raising the schema to `to` change how ungrouped rules combine (OR at 4.1 and below)?
fn crosses_4_1(cfg: &SysmonConfig, to: Option<SchemaVersion>) -> bool {
    let v41 = SchemaVersion::from_thousandths(4100);
    cfg.schema_version <= v41 && to.is_some_and(|t| t > v41)
}

/// Widens a removal to whole lines when the element is alone on its lines.
fn line_span(text: &str, r: &Range<usize>) -> Range<usize> {
    let start = text[..r.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[r.end..]
        .find('\n')
        .map_or(text.len(), |i| r.end + i + 1);
    let before_blank = text[start..r.start].trim().is_empty();
    let after_blank = text[r.end..end].trim().is_empty();
    if before_blank && after_blank {
        start..end
    } else {
        r.clone()
    }
}

/// The configuration text with the suggestion applied.
pub fn apply(text: &str, cfg: &SysmonConfig, s: &Suggestion) -> String {
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    if let Some(v) = &s.schema_version {
        edits.push((cfg.schema_range.clone(), v.clone()));
        // Keep OR where the old schema's default gave OR.
        if crosses_4_1(cfg, SchemaVersion::parse(v)) {
            for r in &cfg.ungrouped {
                edits.push((r.start..r.start, "<RuleGroup groupRelation=\"or\">".into()));
                edits.push((r.end..r.end, "</RuleGroup>".into()));
            }
            for &at in &cfg.groups_without_relation {
                edits.push((at..at, " groupRelation=\"or\"".into()));
            }
        }
    }
    for r in &s.removals {
        for x in &r.ranges {
            edits.push((line_span(text, x), String::new()));
        }
    }
    if !s.additions.is_empty() && cfg.wrap {
        let mut xml: String = s.additions.iter().map(|a| a.xml.as_str()).collect();
        xml = format!("<EventFiltering>\n{xml}</EventFiltering>\n");
        if text.contains("\r\n") {
            xml = xml.replace('\n', "\r\n");
        }
        let at = cfg.replace.clone().unwrap_or(cfg.insert_at..cfg.insert_at);
        edits.push((at, xml));
    } else if !s.additions.is_empty() {
        let at = text[..cfg.insert_at]
            .rfind('\n')
            .map_or(cfg.insert_at, |i| {
                if text[i + 1..cfg.insert_at].trim().is_empty() {
                    i + 1
                } else {
                    cfg.insert_at
                }
            });
        let mut xml: String = s.additions.iter().map(|a| a.xml.as_str()).collect();
        // Keep the file's line endings.
        if text.contains("\r\n") {
            xml = xml.replace('\n', "\r\n");
        }
        edits.push((at..at, xml));
    }
    // Right to left; at one offset, an opening tag goes in before a closing one lands ahead of it.
    edits.sort_by_key(|(r, new)| (std::cmp::Reverse(r.start), new.starts_with("</")));
    let mut out = text.to_string();
    // Edits never overlap (each is a distinct element's range, or an insertion at an element's
    // edge); one that would is skipped rather than allowed to cut into another.
    let mut left_of = text.len();
    for (r, new) in edits {
        if r.end > left_of || r.start > r.end {
            continue;
        }
        left_of = r.start;
        out.replace_range(r, &new);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_become_sysmon_conditions() {
        assert_eq!(
            glob_condition("**/appdata/local/temp/**"),
            Some(("contains", "\\appdata\\local\\temp\\".into()))
        );
        assert_eq!(
            glob_condition("?:/users/**"),
            Some(("contains", ":\\users\\".into()))
        );
        assert_eq!(
            glob_condition("//*/**"),
            Some(("begin with", "\\\\".into()))
        );
        assert_eq!(
            glob_condition("//*@ssl/**"),
            Some(("contains", "@ssl\\".into()))
        );
        assert_eq!(
            glob_condition("//*@ssl@*/**"),
            Some(("contains", "@ssl@".into()))
        );
        assert_eq!(
            glob_condition("**/*.tmp/**"),
            Some(("contains", ".tmp\\".into()))
        );
        assert_eq!(glob_condition("**/* /**"), Some(("contains", " \\".into())));
        assert_eq!(glob_condition("//*@[0-9]*/**"), None);
    }
}
