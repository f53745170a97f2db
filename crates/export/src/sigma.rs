//! `sigma`: Sigma v2 detection rules joined by correlation rules, one file per rule.
//!
//! Profile `sysmon`: Sysmon's own field names under Sigma's generic log source categories
//! (`product: windows`; `image_load`, `file_event`, `file_executable_detected`,
//! `process_creation`, `network_connection`), the names every Sigma pipeline maps from.
//!
//! | meaning | field |
//! |---|---|
//! | host | `Computer` |
//! | process | `ProcessGuid`, `Image`, `OriginalFileName`, `CommandLine` |
//! | loaded module | `ImageLoaded`, `Signed`, `SignatureStatus`, `Signature`, `Hashes` (`SHA256=…`) |
//! | written file | `TargetFilename` (events 11, 15, 29) |
//! | connection | `Initiated`, `DestinationIp` |
//!
//! A correlation groups by equality of fields, one `group-by` per correlation (Sigma correlation
//! specification), so each branch is its own `temporal_ordered` correlation over two detection
//! rules: (a) a write, then a trigger load, grouped by `Computer` and the path (an alias:
//! `TargetFilename` of the write, `ImageLoaded` of the load) — two correlations, one per write
//! category, since a temporal correlation needs every rule it names; (b) a rundll32/regsvr32 start, then a
//! trigger load by that process; (c) a trigger load, then an outbound connection by its process;
//! both grouped by `Computer` and `ProcessGuid`. Every condition is written with `gte: 2` (engines
//! disagree on the default). Backslashes in values are doubled: a single `\` before `*` would
//! escape the wildcard.

use crate::analytic::{for_branch, seconds, Analytic};
use crate::cond::{executors, one_line, Cond, Field, NOT_OUTBOUND_CIDRS};
use crate::Rule;

/// The target.
pub const SPEC: crate::Spec = crate::Spec {
    name: "sigma",
    language: "sigma",
    profile: PROFILE,
    approximations: APPROXIMATIONS,
    exactness: EXACTNESS,
    comment: "#",
    comment_end: "",
};

/// The profile's name.
pub const PROFILE: &str = "sysmon";

/// What the rules cannot say exactly.
pub const APPROXIMATIONS: &[&str] = &[
    "Sigma cannot compare two fields of one event: \"not the process's own executable\" and \"not the executable of a process the loader started\" are approximated by \"the module does not end in .exe\"",
    "(b) follow-on execution: Sigma groups by equality only, so it cannot test that a command line names the DLL; the correlation asks for a rundll32/regsvr32 process that itself loads the suspicious module",
    "(a) fresh write: the write and the load are grouped by the path as logged (engines lower-case it), so a write spelled differently (8.3 short names, \\Device\\HarddiskVolumeN), of a download in progress, or of an alternate data stream (Sysmon 15, which is therefore not read) does not group with its load",
    crate::approx::WRITER_ENTRIES,
    crate::approx::BROAD_ENTRIES,
    crate::approx::STAR_CROSSES,
    crate::approx::SYSMON_1_ONLY,
    "(c) outbound network: an engine with one-second timestamps may see a connection in the same second as the load as before it",
];

/// How exactly each part is expressed (`dllhound export --explain sigma`).
pub const EXACTNESS: &[(&str, &str, &str)] = &[
    (
        "path classes",
        "near-exact",
        "`*` may cross folders; backslashes doubled, `?` for the drive",
    ),
    ("signer states", "exact", "on Signed and SignatureStatus"),
    (
        "main-module exclusion",
        "approximate",
        "the module does not end in .exe",
    ),
    (
        "tuning",
        "near-exact",
        "each entry one named filter; entries that depend on the writer filter the write rule",
    ),
    (
        "(a) fresh write",
        "exact",
        "up to case and raw-path equality of write and load",
    ),
    (
        "(b) rundll32/regsvr32",
        "approximate",
        "the rundll32/regsvr32 process itself loads the module",
    ),
    ("(c) outbound network", "exact", "sub-second order matters"),
];

/// A detection under construction: named selections and the condition that combines them.
#[derive(Default)]
struct Detection {
    /// (name, comment, lines of the selection's body).
    selections: Vec<(String, Option<String>, Vec<String>)>,
    count: usize,
}

/// A YAML single-quoted scalar.
fn yq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A Sigma value from a wildcard pattern: backslashes doubled (a lone `\` before `*` or `?` would
/// escape it), `*` and `?` left as wildcards.
fn value(pattern: &str) -> String {
    yq(&pattern.replace('\\', "\\\\"))
}

/// The key and values for wildcard patterns: `|endswith`, `|startswith` or `|contains` when every
/// pattern has that shape (Sigma's style, and what `sigma check` asks for), else plain wildcards.
fn with_modifier(key: &str, patterns: &[String]) -> (String, Vec<String>) {
    let wild = |s: &str| s.contains(['*', '?']);
    let shape = |p: &str| -> Option<(&'static str, String)> {
        let inner = p.strip_prefix('*').and_then(|r| r.strip_suffix('*'));
        match inner {
            Some(mid) if !mid.is_empty() && !wild(mid) => Some(("contains", mid.to_string())),
            _ => match (p.strip_prefix('*'), p.strip_suffix('*')) {
                (Some(rest), _) if !rest.is_empty() && !wild(rest) => {
                    Some(("endswith", rest.to_string()))
                }
                (_, Some(head)) if !head.is_empty() && !wild(head) => {
                    Some(("startswith", head.to_string()))
                }
                _ => None,
            },
        }
    };
    let shapes: Vec<Option<(&str, String)>> = patterns.iter().map(|p| shape(p)).collect();
    if let Some(Some((m, _))) = shapes.first().cloned() {
        if shapes
            .iter()
            .all(|s| s.as_ref().is_some_and(|(k, _)| *k == m))
        {
            let values = shapes
                .into_iter()
                .flatten()
                .map(|(_, v)| value(&v))
                .collect();
            return (format!("{key}|{m}"), values);
        }
    }
    (key.to_string(), patterns.iter().map(|p| value(p)).collect())
}

fn field(f: Field) -> &'static str {
    match f {
        Field::Dll => "ImageLoaded",
        Field::Loader | Field::Writer => "Image",
        Field::Subject => "Signature",
        Field::Sha256 => "Hashes",
        Field::WritePath => "TargetFilename",
    }
}

fn ident(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

impl Detection {
    /// Adds a selection `name` (made unique) with one field and its values; returns its name.
    fn add(&mut self, name: &str, comment: Option<String>, key: &str, values: &[String]) -> String {
        let name = if self.selections.iter().any(|(n, _, _)| n == name) {
            self.count += 1;
            format!("{name}_{}", self.count)
        } else {
            name.to_string()
        };
        let body = if values.len() == 1 {
            vec![format!("{key}: {}", values[0])]
        } else {
            let mut v = vec![format!("{key}:")];
            v.extend(values.iter().map(|x| format!("    - {x}")));
            v
        };
        self.selections.push((name.clone(), comment, body));
        name
    }

    /// A fixed selection, added once.
    fn fixed(&mut self, name: &str, key: &str, values: &[&str]) -> String {
        if !self.selections.iter().any(|(n, _, _)| n == name) {
            let v: Vec<String> = if key.ends_with("|exists") {
                values.iter().map(|s| s.to_string()).collect()
            } else {
                values.iter().map(|s| yq(s)).collect()
            };
            self.add(name, None, key, &v);
        }
        name.to_string()
    }

    /// `c` as a condition expression, adding the selections it needs; `label` names them and
    /// `comment` goes above the first one (an allowlist entry's id and reason).
    fn cond(&mut self, c: &Cond, label: &str, comment: &mut Option<String>) -> String {
        match c {
            Cond::All(v) | Cond::Any(v) if v.is_empty() => {
                // Nothing to test: an always-true condition is not expressible, and the callers
                // never build one; a selection on the event id keeps it well formed.
                self.fixed("always", "EventID|exists", &["true"])
            }
            Cond::All(v) | Cond::Any(v) if v.len() == 1 => self.cond(&v[0], label, comment),
            Cond::All(v) | Cond::Any(v) => {
                let op = if matches!(c, Cond::All(_)) {
                    " and "
                } else {
                    " or "
                };
                let parts: Vec<String> = v.iter().map(|x| self.cond(x, label, comment)).collect();
                format!("({})", parts.join(op))
            }
            Cond::Not(inner) => format!("not {}", self.cond(inner, label, comment)),
            Cond::Named { id, reason, cond } => {
                let mut note = Some(format!("tuning {id}: {}", one_line(reason)));
                let label = format!("filter_{}", ident(id));
                self.cond(cond, &label, &mut note)
            }
            Cond::Path(f, globs) => {
                let mut pats: Vec<String> = Vec::new();
                for g in globs {
                    for w in g.wildcards() {
                        if !pats.contains(&w) {
                            pats.push(w);
                        }
                    }
                }
                let (key, values) = with_modifier(field(*f), &pats);
                self.add(label, comment.take(), &key, &values)
            }
            Cond::Text(f, pats) => {
                let (key, values) = with_modifier(field(*f), pats);
                self.add(label, comment.take(), &key, &values)
            }
            Cond::Hash(f, hashes) => {
                let v: Vec<String> = hashes
                    .iter()
                    .map(|h| yq(&format!("SHA256={}", h.to_ascii_uppercase())))
                    .collect();
                self.add(
                    label,
                    comment.take(),
                    &format!("{}|contains", field(*f)),
                    &v,
                )
            }
            Cond::Suspicious => {
                let unsigned = self.fixed("sig_unsigned", "Signed", &["false"]);
                let status = self.fixed("sig_status", "SignatureStatus|exists", &["true"]);
                let ok = self.fixed(
                    "sig_status_undecided_or_valid",
                    "SignatureStatus",
                    &[
                        "valid",
                        "trusted",
                        "unavailable",
                        "-",
                        "",
                        "errorchaining",
                        "errorcode_endpoint*",
                    ],
                );
                format!("({unsigned} or ({status} and not {ok}))")
            }
            Cond::Valid => {
                let unsigned = self.fixed("sig_unsigned", "Signed", &["false"]);
                let valid =
                    self.fixed("sig_status_valid", "SignatureStatus", &["valid", "trusted"]);
                let signed = self.fixed("sig_signed", "Signed", &["true"]);
                let status = self.fixed("sig_status", "SignatureStatus|exists", &["true"]);
                format!("(not {unsigned} and ({valid} or ({signed} and not {status})))")
            }
            Cond::NotMainModule => {
                let exe = self.fixed("module_is_exe", "ImageLoaded|endswith", &[".exe"]);
                format!("not {exe}")
            }
            Cond::Executor => {
                let names: Vec<String> = executors().iter().map(|e| format!("\\{e}")).collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let by_image = self.fixed("executor_image", "Image|endswith", &names);
                let by_pe = self.fixed("executor_original_name", "OriginalFileName", executors());
                format!("({by_image} or {by_pe})")
            }
            Cond::Outbound => {
                let initiated = self.fixed("initiated", "Initiated", &["true"]);
                let cidrs: Vec<&str> = NOT_OUTBOUND_CIDRS
                    .iter()
                    .copied()
                    .filter(|c| !c.starts_with("::ffff:"))
                    .collect();
                let local = self.fixed("destination_local", "DestinationIp|cidr", &cidrs);
                let mapped = v4_mapped_prefixes();
                let mapped: Vec<&str> = mapped.iter().map(String::as_str).collect();
                let local_mapped = self.fixed(
                    "destination_local_v4_mapped",
                    "DestinationIp|startswith",
                    &mapped,
                );
                format!("({initiated} and not {local} and not {local_mapped})")
            }
        }
    }

    fn render(&self, condition: &str) -> String {
        let mut out = String::from("detection:\n");
        for (name, comment, body) in &self.selections {
            if let Some(c) = comment {
                out.push_str(&format!("    # {c}\n"));
            }
            out.push_str(&format!("    {name}:\n"));
            for l in body {
                out.push_str(&format!("        {l}\n"));
            }
        }
        let condition = condition
            .strip_prefix('(')
            .and_then(|c| c.strip_suffix(')'))
            .filter(|c| crate::cond::balanced(c))
            .unwrap_or(condition);
        out.push_str(&format!("    condition: {condition}\n"));
        out
    }
}

/// The IPv4-mapped spellings (`::ffff:127.0.0.1`) of the not-outbound IPv4 blocks, as prefixes: a
/// `cidr` on an IPv6 block does not match the dotted form Sysmon logs.
fn v4_mapped_prefixes() -> Vec<String> {
    let mut out = Vec::new();
    for b in NOT_OUTBOUND_CIDRS.iter().filter(|b| !b.contains(':')) {
        let (net, len) = b.split_once('/').unwrap_or((b, "32"));
        let octets: Vec<u8> = net.split('.').filter_map(|o| o.parse().ok()).collect();
        match (len, octets.as_slice()) {
            ("8", [a, ..]) => out.push(format!("::ffff:{a}.")),
            ("16", [a, b, ..]) => out.push(format!("::ffff:{a}.{b}.")),
            ("4", [a, ..]) => {
                out.extend((0..16u16).map(|i| format!("::ffff:{}.", u16::from(*a) + i)))
            }
            ("32", [a, b, c, d]) => out.push(format!("::ffff:{a}.{b}.{c}.{d}")),
            _ => {}
        }
    }
    out
}

/// The Sigma log source category of each Sysmon event the rules read (what a Sysmon pipeline
/// turns back into `EventID`).
pub const CATEGORIES: [(&str, u16); 5] = [
    ("process_creation", 1),
    ("network_connection", 3),
    ("image_load", 7),
    ("file_event", 11),
    ("file_executable_detected", 29),
];

/// One detection rule.
fn detection_rule(
    name: &str,
    title: &str,
    description: &str,
    category: &str,
    cond: &Cond,
) -> String {
    let mut d = Detection::default();
    let mut none = None;
    let condition = d.cond(cond, "selection", &mut none);
    format!(
        "title: {}\nid: {}\nname: {name}\nstatus: experimental\ndescription: {}\nreferences:\n    - https://attack.mitre.org/techniques/T1574/002/\nauthor: dllhound\ndate: 2026-12-01\ntags:\n    - attack.persistence\n    - attack.privilege-escalation\n    - attack.defense-evasion\n    - attack.t1574.002\nlogsource:\n    product: windows\n    category: {category}\n{}falsepositives:\n    - Software that installs and loads its own DLLs from user-writable folders\nlevel: informational\n",
        yq(title),
        crate::analytic::rule_uuid(name),
        yq(description),
        d.render(&condition),
    )
}

/// One correlation rule over two detection rules.
fn correlation(
    id: &str,
    title: &str,
    rules: [&str; 2],
    group_by: &str,
    timespan_ms: i64,
    level: &str,
) -> String {
    format!(
        "title: {}\nid: {}\nname: {id}\nstatus: experimental\ndescription: {}\nauthor: dllhound\ndate: 2026-12-01\ntags:\n    - attack.t1574.002\ncorrelation:\n    type: temporal_ordered\n    rules:\n        - {}\n        - {}\n{group_by}    timespan: {}s\n    condition:\n        gte: 2\nfalsepositives:\n    - Software that installs and loads its own DLLs from user-writable folders\nlevel: {level}\n",
        yq(title),
        crate::analytic::rule_uuid(id),
        yq(&format!("MITRE ATT&CK AN0052 (exported by dllhound): {title}")),
        rules[0],
        rules[1],
        seconds(timespan_ms),
    )
}

/// The eight rules: five detection rules and the three correlations that join them.
pub fn rules(a: &Analytic) -> Vec<Rule> {
    let load_a = a.trigger(&a.load_only_exclusions());
    let load_bc = a.trigger(&a.load_exclusions());
    let w = a.windows;
    let mut out = Vec::new();
    let mut base = |name: &str, title: &str, desc: &str, category: &str, c: &Cond| {
        out.push(Rule {
            id: name.to_string(),
            branch: None,
            language: "sigma",
            query: detection_rule(name, title, desc, category, c),
            approximations: Vec::new(),
        });
    };
    base(
        "an0052-written-file",
        "File written (AN0052 fresh-write candidate)",
        "A file created or overwritten, except by the writers an allowlist entry expects for the paths it covers.",
        "file_event",
        &a.write(),
    );
    base(
        "an0052-written-executable",
        "Executable file written (AN0052 fresh-write candidate)",
        "An executable file detected as written (Sysmon 29), except by the writers an allowlist entry expects for the paths it covers.",
        "file_executable_detected",
        &a.write(),
    );
    base(
        "an0052-trigger-load-fresh-write",
        "Suspicious DLL load (AN0052 trigger, for the fresh-write correlation)",
        "A DLL loaded from a temp, user-writable, network or spoofed folder, or unsigned, invalidly signed or expired, minus the allowlist entries decided on the load alone.",
        "image_load",
        &load_a,
    );
    base(
        "an0052-trigger-load",
        "Suspicious DLL load (AN0052 trigger)",
        "A DLL loaded from a temp, user-writable, network or spoofed folder, or unsigned, invalidly signed or expired, minus the allowlist.",
        "image_load",
        &load_bc,
    );
    base(
        "an0052-follow-on-start",
        "rundll32 or regsvr32 started (AN0052 follow-on candidate)",
        "A rundll32 or regsvr32 process started, by file name or PE original file name.",
        "process_creation",
        &Cond::Executor,
    );
    base(
        "an0052-outbound-connection",
        "Outbound connection (AN0052 network candidate)",
        "A connection the process initiated to an address outside the host's own (loopback, link-local, multicast, broadcast, unspecified).",
        "network_connection",
        &Cond::Outbound,
    );
    let fresh_group = |write: &str| {
        format!("    group-by:\n        - Computer\n        - dll_path\n    aliases:\n        dll_path:\n            {write}: TargetFilename\n            an0052-trigger-load-fresh-write: ImageLoaded\n")
    };
    let proc_group = "    group-by:\n        - Computer\n        - ProcessGuid\n".to_string();
    let corr = [
        (
            "an0052-fresh-write",
            "fresh_write",
            "Suspicious DLL loaded shortly after it was written",
            ["an0052-written-file", "an0052-trigger-load-fresh-write"],
            fresh_group("an0052-written-file"),
            w.fresh_write_ms,
        ),
        (
            "an0052-fresh-write-executable",
            "fresh_write",
            "Suspicious DLL loaded shortly after Sysmon saw it written as an executable",
            [
                "an0052-written-executable",
                "an0052-trigger-load-fresh-write",
            ],
            fresh_group("an0052-written-executable"),
            w.fresh_write_ms,
        ),
        (
            "an0052-follow-on-exec",
            "follow_on_exec",
            "Suspicious DLL loaded by rundll32 or regsvr32",
            ["an0052-follow-on-start", "an0052-trigger-load"],
            proc_group.clone(),
            w.follow_on_ms,
        ),
        (
            "an0052-outbound-network",
            "outbound_network",
            "Suspicious DLL loaded, then its loader connected out",
            ["an0052-trigger-load", "an0052-outbound-connection"],
            proc_group,
            w.network_ms,
        ),
    ];
    for (id, branch, title, rules, group, span) in corr {
        out.push(Rule {
            query: correlation(id, title, rules, &group, span, "high"),
            id: id.to_string(),
            branch: Some(branch),
            language: "sigma",
            approximations: for_branch(APPROXIMATIONS, branch),
        });
    }
    out
}

/// The file a rule is written to in `-o DIR`.
pub fn file_name(rule: &Rule) -> String {
    format!("{}.yml", rule.id)
}
