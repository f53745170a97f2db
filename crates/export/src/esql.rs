//! `esql`: Elasticsearch ES|QL, one `STATS` query per branch.
//!
//! Profile `elastic-agent-sysmon`, the same fields as [`crate::eql`] (the Elastic Agent Windows
//! integration's Sysmon data stream, `logs-windows.sysmon_operational-*`).
//!
//! ES|QL has no sequences: each query keeps the trigger loads and the corroborating events of one
//! branch, groups them by the branch's key (host and path for (a), host and process for (b) and
//! (c)) and keeps the groups whose earliest and latest events are in the right order and within
//! the window. Unlike EQL, ES|QL compares fields, so the main-module test is exact; the signer
//! state is computed with the engine's own reading of `Signed` and `SignatureStatus`.

use crate::analytic::{for_branch, rule_id, Analytic};
use crate::cond::{and_lines, executors, inline, Cond, Dialect, Field, NOT_OUTBOUND_CIDRS};
use crate::{Rule, Spec};

/// The target.
pub const SPEC: Spec = Spec {
    name: "esql",
    language: "esql",
    profile: PROFILE,
    approximations: APPROXIMATIONS,
    exactness: EXACTNESS,
    comment: "//",
    comment_end: "",
};

/// The profile's name.
pub const PROFILE: &str = crate::eql::PROFILE;

/// What the queries cannot say exactly.
pub const APPROXIMATIONS: &[&str] = &[
    "ES|QL has no sequences: a group (host and path, or host and process) matches when its earliest corroborating event and its latest trigger load (or, for (c), its earliest load and latest connection) are in order and within the window, so over a long time range pairs far apart can hide a close pair; run it on a range not much longer than the window, as a rule's schedule does",
    "(b) follow-on execution: ES|QL cannot test, across events, that a command line names the DLL; the query asks for a rundll32/regsvr32 process that itself loads the suspicious module",
    "(a) fresh write: the write and the load are grouped by the lower-cased path as logged (8.3 short names, \\Device\\HarddiskVolumeN, alternate data streams and downloads in progress do not group)",
    crate::approx::WRITER_ENTRIES,
    crate::approx::BROAD_ENTRIES,
    crate::approx::CHILD_IMAGE,
    crate::approx::STAR_CROSSES,
];

/// How exactly each part is expressed (`dllhound export --explain esql`).
pub const EXACTNESS: &[(&str, &str, &str)] = &[
    ("path classes", "near-exact", "`*` may cross folders; LIKE on the lower-cased path"),
    ("signer states", "exact", "the engine's reading of Signed and SignatureStatus, as a CASE"),
    ("main-module exclusion", "exact", "the process's own executable; a child's executable is not tested"),
    ("tuning", "near-exact", "each entry one named exclusion; entries that depend on the writer are applied on the write in (a)"),
    ("(a) fresh write", "approximate", "no pairwise window: earliest write and latest load per host and path"),
    ("(b) rundll32/regsvr32", "approximate", "the rundll32/regsvr32 process itself loads the module"),
    ("(c) outbound network", "approximate", "earliest load and latest connection per process"),
];

struct Esql;

/// An ES|QL triple-quoted string (no escapes inside).
fn raw(s: &str) -> String {
    format!("\"\"\"{s}\"\"\"")
}

/// A LIKE pattern literal: `\` is LIKE's escape character, so a literal backslash is doubled.
fn like(pattern: &str) -> String {
    raw(&pattern.replace('\\', "\\\\"))
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The lower-cased, never-null column each field is compared through (made by [`PRELUDE`]).
fn column(f: Field) -> &'static str {
    match f {
        Field::Dll | Field::WritePath => "path",
        Field::Loader | Field::Writer => "exe",
        Field::Subject => "subject",
        Field::Sha256 => "sha256",
    }
}

fn likes(col: &str, patterns: &[String]) -> String {
    let v: Vec<String> = patterns
        .iter()
        .map(|p| format!("{col} LIKE {}", like(p)))
        .collect();
    if v.len() == 1 {
        v[0].clone()
    } else {
        format!("({})", v.join(" OR "))
    }
}

impl Dialect for Esql {
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
                likes(column(*f), &pats)
            }
            Cond::Text(f, pats) => likes(column(*f), pats),
            Cond::Hash(f, hashes) => {
                let v: Vec<String> = hashes.iter().map(|h| quote(h)).collect();
                format!("{} IN ({})", column(*f), v.join(", "))
            }
            Cond::Suspicious => "signer_state IN (\"unsigned\", \"invalid\", \"expired\")".into(),
            Cond::Valid => "signer_state == \"valid\"".into(),
            Cond::NotMainModule => "path != exe".into(),
            Cond::Executor => {
                let by_name: Vec<String> = executors().iter().map(|e| format!("*\\{e}")).collect();
                let v: Vec<String> = executors().iter().map(|e| quote(e)).collect();
                format!(
                    "({} OR original_name IN ({}))",
                    likes("exe", &by_name),
                    v.join(", ")
                )
            }
            Cond::Outbound => {
                let blocks: Vec<String> = NOT_OUTBOUND_CIDRS.iter().map(|b| quote(b)).collect();
                format!(
                    "direction IN (\"egress\", \"outbound\") AND destination.ip IS NOT NULL AND NOT CIDR_MATCH(destination.ip, {})",
                    blocks.join(", ")
                )
            }
            other => inline(self, other),
        }
    }
    fn and(&self) -> &'static str {
        "AND"
    }
    fn or(&self) -> &'static str {
        "OR"
    }
    fn not(&self, inner: &str) -> String {
        format!("NOT {inner}")
    }
}

/// Lower-cased, never-null columns and the signer state: two-valued logic from here on.
const PRELUDE: &str = "| EVAL path = TO_LOWER(COALESCE(file.path, \"\")), exe = TO_LOWER(COALESCE(process.executable, \"\")), subject = TO_LOWER(COALESCE(file.code_signature.subject_name, \"\")), sha256 = TO_LOWER(COALESCE(file.hash.sha256, \"\")), original_name = TO_LOWER(COALESCE(process.pe.original_file_name, \"\")), direction = TO_LOWER(COALESCE(network.direction, \"\"))
| EVAL signed = TO_LOWER(TRIM(COALESCE(winlog.event_data.Signed, \"\"))), status = TO_LOWER(TRIM(COALESCE(file.code_signature.status, \"\")))
| EVAL signer_state = CASE(signed == \"false\", \"unsigned\", status IN (\"valid\", \"trusted\"), \"valid\", status IN (\"expired\", \"errorexpired\"), \"expired\", signed == \"true\" AND status == \"\", \"valid\", status IN (\"\", \"-\", \"unavailable\", \"errorchaining\") OR status LIKE \"errorcode_endpoint*\", \"unknown\", \"invalid\")";

fn query(
    codes: &[&str],
    first: (&str, &[&str], &Cond),
    second: (&str, &[&str], &Cond),
    by: &str,
    window_ms: i64,
    load_is_first: bool,
) -> String {
    let all: Vec<String> = codes.iter().map(|c| quote(c)).collect();
    let codes_of = |cs: &[&str]| {
        let v: Vec<String> = cs.iter().map(|c| quote(c)).collect();
        format!("event.code IN ({})", v.join(", "))
    };
    let (load_name, other_name) = if load_is_first {
        (first.0, second.0)
    } else {
        (second.0, first.0)
    };
    format!(
        "FROM logs-windows.sysmon_operational-*
| WHERE event.code IN ({codes})
{PRELUDE}
| EVAL {a} = {a_codes}{a_body}
| EVAL {b} = {b_codes}{b_body}
| WHERE {a} OR {b}
| EVAL t = TO_LONG(@timestamp)
| STATS first_{a} = MIN(CASE({a}, t, null)), last_{b} = MAX(CASE({b}, t, null)), dll = VALUES(CASE({load}, file.path, null)), loader = VALUES(CASE({load}, process.executable, null)), {other}_process = VALUES(CASE({other}, process.executable, null)) BY {by}
| WHERE first_{a} IS NOT NULL AND last_{b} IS NOT NULL AND first_{a} <= last_{b} AND last_{b} - first_{a} <= {window_ms}
| EVAL first_seen = TO_DATETIME(first_{a})
| KEEP first_seen, {by}, dll, loader, {other}_process",
        codes = all.join(", "),
        a = first.0,
        a_codes = codes_of(first.1),
        a_body = and_lines(&Esql, first.2, "    "),
        b = second.0,
        b_codes = codes_of(second.1),
        b_body = and_lines(&Esql, second.2, "    "),
        load = load_name,
        other = other_name,
    )
}

/// The three queries.
pub fn rules(a: &Analytic) -> Vec<Rule> {
    let w = a.windows;
    let load_a = a.trigger(&a.load_only_exclusions());
    let load_bc = a.trigger(&a.load_exclusions());
    let writes = ["11", "15", "29"];
    let fresh = query(
        &["7", "11", "15", "29"],
        ("write", &writes, &a.write()),
        ("load", &["7"], &load_a),
        "host.name, path",
        w.fresh_write_ms,
        false,
    );
    let follow = query(
        &["1", "7"],
        ("start", &["1"], &Cond::Executor),
        ("load", &["7"], &load_bc),
        "host.name, process.entity_id",
        w.follow_on_ms,
        false,
    );
    let net = query(
        &["3", "7"],
        ("load", &["7"], &load_bc),
        ("connection", &["3"], &Cond::Outbound),
        "host.name, process.entity_id",
        w.network_ms,
        true,
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
        language: "esql",
        query: q,
        approximations: for_branch(APPROXIMATIONS, b),
    })
    .collect()
}
