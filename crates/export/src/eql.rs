//! `eql`: Elastic's Event Query Language, one `sequence` per branch.
//!
//! Profile `elastic-agent-sysmon`: the Elastic Agent Windows integration's Sysmon data stream
//! (`logs-windows.sysmon_operational-*`, the ECS shape `--input-format ecs` reads). Its ingest
//! pipeline renames Sysmon's fields:
//!
//! | meaning | Sysmon | field here |
//! |---|---|---|
//! | event kind | `EventID` | `event.code` (`"1"`, `"3"`, `"7"`, `"11"`, `"15"`, `"29"`) and `event.category` (`process` for 1 *and* 7, `file`, `network`) |
//! | host | `Computer` | `host.name` |
//! | process | `ProcessGuid`, `Image`, `OriginalFileName` (1) | `process.entity_id`, `process.executable`, `process.name`, `process.pe.original_file_name` |
//! | loaded module | `ImageLoaded` | `file.path`, `file.extension` |
//! | signer | `Signed`, `SignatureStatus`, `Signature` | `winlog.event_data.Signed`, `file.code_signature.status`, `file.code_signature.subject_name` |
//! | hash | `Hashes` | `file.hash.sha256` |
//! | written file | `TargetFilename` | `file.path` |
//! | connection | `Initiated`, `DestinationIp` | `network.direction` (`egress`), `destination.ip` |
//!
//! The rules join on `host.name` and `file.path` (a), `host.name` and `process.entity_id` (b, c).
//! Strings are compared with `like~` (case-insensitive in Elasticsearch and in the Python engine
//! alike); `?` in a pattern is one character (Elasticsearch's reading).

use crate::analytic::{for_branch, rule_id, seconds, Analytic};
use crate::cond::{and_lines, executors, Cond, Dialect, Field, NOT_OUTBOUND_CIDRS};
use crate::{Rule, Target};

/// The target.
pub const SPEC: crate::Spec = crate::Spec {
    name: "eql",
    language: "eql",
    profile: PROFILE,
    approximations: APPROXIMATIONS,
    exactness: EXACTNESS,
    comment: "//",
    comment_end: "",
};

/// The profile's name.
pub const PROFILE: &str = "elastic-agent-sysmon";

/// What the rules cannot say exactly.
pub const APPROXIMATIONS: &[&str] = &[
    "EQL cannot compare two fields of one event: \"not the process's own executable\" and \"not the executable of a process the loader started\" are approximated by \"the module's extension is not .exe\"",
    "(b) follow-on execution: EQL cannot test that a command line names the DLL, so the rule asks for a rundll32/regsvr32 process that itself loads the suspicious module; a rundll32 started by another process, and rundll32 recognised by its command line's shape alone, are not seen",
    "(a) fresh write: the write and the load join on file.path as logged, so a write spelled differently (8.3 short names, \\Device\\HarddiskVolumeN), a write of an alternate data stream (x.dll:Zone.Identifier) or of a download in progress (x.dll.crdownload) does not join; Elasticsearch compares join keys case-sensitively",
    crate::approx::WRITER_ENTRIES,
    crate::approx::BROAD_ENTRIES,
    crate::approx::STAR_CROSSES,
    crate::approx::SYSMON_1_ONLY,
    "signer state is read from winlog.event_data.Signed and file.code_signature.status; MDE-style certificate joins are not available",
];

/// How exactly each part of the analytic is expressed (`dllhound export --explain eql`).
pub const EXACTNESS: &[(&str, &str, &str)] = &[
    ("path classes", "near-exact", "`*` may cross folders; drive letters, \\Device\\HarddiskVolumeN, shares and \\Device\\Mup all match"),
    ("signer states", "exact", "on winlog.event_data.Signed and file.code_signature.status as the integration maps them"),
    ("main-module exclusion", "approximate", "the module's extension is not .exe"),
    ("tuning", "near-exact", "each entry one named exclusion; entries that depend on the writer are applied on the write in (a)"),
    ("(a) fresh write", "exact", "up to raw-path equality of write and load, case-sensitive join keys in Elasticsearch and same-millisecond ties"),
    ("(b) rundll32/regsvr32", "approximate", "the rundll32/regsvr32 process itself loads the module"),
    ("(c) outbound network", "exact", "a sequence on the loading process"),
];

struct Eql;

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| quote(s)).collect();
    if v.len() == 1 {
        v[0].clone()
    } else {
        format!("({})", v.join(", "))
    }
}

fn field(f: Field) -> &'static str {
    match f {
        Field::Dll | Field::WritePath => "file.path",
        Field::Loader | Field::Writer => "process.executable",
        Field::Subject => "file.code_signature.subject_name",
        Field::Sha256 => "file.hash.sha256",
    }
}

impl Dialect for Eql {
    fn leaf(&self, c: &Cond) -> String {
        match c {
            Cond::Path(f, globs) => {
                let mut pats: Vec<String> = Vec::new();
                for g in globs {
                    for w in g.wildcards() {
                        if !pats.contains(&w) {
                            pats.push(w);
                        }
                    }
                }
                format!("{} like~ {}", field(*f), list(&pats))
            }
            Cond::Text(f, pats) => {
                format!("({0} != null and {0} like~ {1})", field(*f), list(pats))
            }
            Cond::Hash(f, hashes) => {
                format!("({0} != null and {0} like~ {1})", field(*f), list(hashes))
            }
            Cond::Suspicious => "(winlog.event_data.Signed like~ \"false\" or (file.code_signature.status != null and not file.code_signature.status like~ (\"valid\", \"trusted\", \"unavailable\", \"-\", \"errorchaining\", \"errorcode_endpoint*\")))".into(),
            Cond::Valid => "((winlog.event_data.Signed == null or not winlog.event_data.Signed like~ \"false\") and (file.code_signature.status like~ (\"valid\", \"trusted\") or (winlog.event_data.Signed like~ \"true\" and file.code_signature.status == null)))".into(),
            Cond::NotMainModule => "(file.extension == null or not file.extension like~ \"exe\")".into(),
            Cond::Executor => {
                let names: Vec<String> = executors().iter().map(|s| s.to_string()).collect();
                format!(
                    "(process.name like~ {0} or process.pe.original_file_name like~ {0})",
                    list(&names)
                )
            }
            Cond::Outbound => {
                let blocks: Vec<String> = NOT_OUTBOUND_CIDRS.iter().map(|s| quote(s)).collect();
                format!(
                    "network.direction like~ (\"egress\", \"outbound\") and destination.ip != null and not cidrMatch(destination.ip, {})",
                    blocks.join(", ")
                )
            }
            Cond::All(_) | Cond::Any(_) | Cond::Not(_) | Cond::Named { .. } => {
                crate::cond::inline(self, c)
            }
        }
    }
}

fn step(category: &str, codes: &[&str], cond: &Cond) -> String {
    let codes: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    format!(
        "  [{category} where event.code like~ {}{}]",
        list(&codes),
        and_lines(&Eql, cond, "    ")
    )
}

/// The three rules.
pub fn rules(a: &Analytic) -> Vec<Rule> {
    let load_a = a.trigger(&a.load_only_exclusions());
    let load_bc = a.trigger(&a.load_exclusions());
    let w = a.windows;
    let fresh = format!(
        "sequence by host.name, file.path with maxspan={}s\n{}\n{}",
        seconds(w.fresh_write_ms),
        step("file", &["11", "15", "29"], &a.write()),
        step("process", &["7"], &load_a),
    );
    let follow = format!(
        "sequence by host.name, process.entity_id with maxspan={}s\n{}\n{}",
        seconds(w.follow_on_ms),
        step("process", &["1"], &Cond::Executor),
        step("process", &["7"], &load_bc),
    );
    let net = format!(
        "sequence by host.name, process.entity_id with maxspan={}s\n{}\n{}",
        seconds(w.network_ms),
        step("process", &["7"], &load_bc),
        step("network", &["3"], &Cond::Outbound),
    );
    [
        ("fresh_write", fresh),
        ("follow_on_exec", follow),
        ("outbound_network", net),
    ]
    .into_iter()
    .map(|(b, q)| Rule {
        id: rule_id(b),
        branch: Some(b),
        language: Target::Eql.language(),
        query: q,
        approximations: for_branch(APPROXIMATIONS, b),
    })
    .collect()
}
