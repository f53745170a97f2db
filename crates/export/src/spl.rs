//! `spl`: one Splunk search for all three branches, with a `Branches` column.
//!
//! Profile `splunk-sysmon-ta`: Sysmon through the Splunk Add-on for Sysmon
//! (`source="XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"`), which extracts Sysmon's own
//! field names: `EventCode`, `Computer`, `ProcessGuid`, `Image`, `ImageLoaded`, `Signed`,
//! `SignatureStatus`, `Signature`, `Hashes`, `TargetFilename`, `CommandLine`, `OriginalFileName`,
//! `Initiated`, `DestinationIp`, `DestinationPort`.
//!
//! The search finds trigger loads, names in `tuning_load` / `tuning_any` the allowlist entry (if
//! any) that suppresses each one — `tuning_load` for the entries decided on the load alone, which
//! is what (a) applies; `tuning_any` for every entry without a writer criterion, what (b) and (c)
//! apply — then joins the writes of the same path, the connections of the same process and the
//! rundll32/regsvr32 starts of the same host, and keeps a row per loading process and DLL with the
//! branches that hold. No offline SPL parser or engine exists: the export is checked by golden
//! tests only.

use crate::analytic::{seconds, Analytic};
use crate::cond::{executors, inline, one_line, Cond, Dialect, Field, NOT_OUTBOUND_CIDRS};
use crate::glob::{any_regex, wildcard_regex};
use crate::Rule;

/// The target.
pub const SPEC: crate::Spec = crate::Spec {
    name: "spl",
    language: "spl",
    profile: PROFILE,
    approximations: APPROXIMATIONS,
    exactness: EXACTNESS,
    comment: "```",
    comment_end: " ```",
};

/// The profile's name.
pub const PROFILE: &str = "splunk-sysmon-ta";

/// What the search cannot say exactly.
pub const APPROXIMATIONS: &[&str] = &[
    "the three joins are subsearches, which Splunk caps (by default 50,000 rows and 60 seconds each): run it over a bounded time range",
    crate::approx::CONTAINS_NAME,
    "(a) fresh write: writes and loads join on the lower-cased path as logged, so a write spelled differently (8.3 short names, \\Device\\HarddiskVolumeN), of an alternate data stream or of a download in progress does not join",
    crate::approx::WRITER_ENTRIES,
    crate::approx::BROAD_ENTRIES,
    crate::approx::CHILD_IMAGE,
    crate::approx::SYSMON_1_ONLY,
];

/// How exactly each part is expressed (`dllhound export --explain spl`).
pub const EXACTNESS: &[(&str, &str, &str)] = &[
    (
        "path classes",
        "exact",
        "regular expressions; `*` stays inside one folder",
    ),
    (
        "signer states",
        "exact",
        "Signed and SignatureStatus read as the engine reads them",
    ),
    (
        "main-module exclusion",
        "exact",
        "the process's own executable; a child's executable is not tested",
    ),
    (
        "tuning",
        "near-exact",
        "each entry one named eval that records which entry suppressed the load",
    ),
    (
        "(a) fresh write",
        "near-exact",
        "lower-cased path equality; subsearch limits",
    ),
    (
        "(b) rundll32/regsvr32",
        "near-exact",
        "the command line contains the DLL's name or stem",
    ),
    ("(c) outbound network", "exact", "subsearch limits"),
];

struct Spl;

/// An SPL string literal.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
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

fn field(f: Field) -> &'static str {
    match f {
        Field::Dll => "ImageLoaded",
        Field::Loader | Field::Writer => "Image",
        Field::Subject => "Signature",
        Field::Sha256 => "Hashes",
        Field::WritePath => "TargetFilename",
    }
}

impl Dialect for Spl {
    fn leaf(&self, c: &Cond) -> String {
        match c {
            Cond::Path(f, globs) => format!("match({}, {})", field(*f), quote(&any_regex(globs))),
            Cond::Text(f, pats) => {
                let parts: Vec<String> = pats
                    .iter()
                    .map(|p| format!("(?:{})", wildcard_regex(p)))
                    .collect();
                format!(
                    "(isnotnull({0}) AND match({0}, {1}))",
                    field(*f),
                    quote(&format!("(?i){}", parts.join("|")))
                )
            }
            Cond::Hash(f, hashes) => format!(
                "(isnotnull({0}) AND match({0}, {1}))",
                field(*f),
                quote(&format!(
                    "(?i)(?:^|,)SHA256=(?:{})(?:,|$)",
                    hashes.join("|")
                ))
            ),
            Cond::Suspicious => "in(SignerState, \"unsigned\", \"invalid\", \"expired\")".into(),
            Cond::Valid => "SignerState==\"valid\"".into(),
            Cond::NotMainModule => "lower(ImageLoaded)!=lower(Image)".into(),
            Cond::Executor => {
                let names: Vec<String> = executors().iter().map(|e| regex_escape(e)).collect();
                format!(
                    "(match(Image, {}) OR match(OriginalFileName, {}))",
                    quote(&format!("(?i)\\\\(?:{})$", names.join("|"))),
                    quote(&format!("(?i)^(?:{})$", names.join("|")))
                )
            }
            Cond::Outbound => {
                let blocks: Vec<String> = NOT_OUTBOUND_CIDRS
                    .iter()
                    .map(|b| format!("cidrmatch({}, DestinationIp)", quote(b)))
                    .collect();
                format!(
                    "lower(Initiated)==\"true\" AND isnotnull(DestinationIp) AND NOT ({})",
                    blocks.join(" OR ")
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
    fn truth(&self, yes: bool) -> String {
        if yes { "true()" } else { "false()" }.into()
    }
    fn comment(&self, text: &str) -> Option<String> {
        Some(format!("``` {} ```", text.replace("```", "'''")))
    }
}

fn regex_escape(s: &str) -> String {
    s.replace('.', "\\.")
}

const SOURCE: &str = "source=\"XmlWinEventLog:Microsoft-Windows-Sysmon/Operational\"";

/// The search.
pub fn rules(a: &Analytic) -> Vec<Rule> {
    let d = Spl;
    let w = a.windows;
    let mut q = String::new();
    let mut line = |s: &str| {
        q.push_str(s);
        q.push('\n');
    };
    line(&format!("{SOURCE} EventCode=7"));
    line("| eval _signed=lower(trim(Signed)), _status=lower(trim(SignatureStatus))");
    line("| eval SignerState=case(_signed==\"false\", \"unsigned\", in(_status, \"valid\", \"trusted\"), \"valid\", in(_status, \"expired\", \"errorexpired\"), \"expired\", _signed==\"true\" AND isnull(_status), \"valid\", isnull(_status) OR in(_status, \"\", \"-\", \"unavailable\", \"errorchaining\") OR like(_status, \"errorcode_endpoint%\"), \"unknown\", true(), \"invalid\")");
    line(&format!(
        "| where {} AND ({} OR {})",
        d.leaf(&Cond::NotMainModule),
        d.leaf(&a.suspicious_folder()),
        d.leaf(&Cond::Suspicious)
    ));
    line("| eval tuning_load=null(), tuning_any=null()");
    for e in &a.exclusions {
        if !e.writer.is_empty() {
            continue;
        }
        if let Some(c) = d.comment(&format!("tuning {}: {}", e.id, one_line(&e.reason))) {
            line(&c);
        }
        let cond = inline(&d, &e.on_load());
        let id = quote(&e.id);
        if e.needs_writes() {
            line(&format!(
                "| eval tuning_any=if(isnull(tuning_any) AND ({cond}), {id}, tuning_any)"
            ));
        } else {
            line(&format!(
                "| eval tuning_load=if(isnull(tuning_load) AND ({cond}), {id}, tuning_load), tuning_any=coalesce(tuning_any, tuning_load)"
            ));
        }
    }
    line("| eval LoadTime=_time, dll=lower(ImageLoaded), dll_name=replace(dll, \"^.*\\\\\\\\\", \"\"), dll_stem=replace(dll_name, \"\\\\.dll$\", \"\")");
    line("| fields Computer ProcessGuid Image ImageLoaded dll dll_name dll_stem LoadTime SignerState Signature tuning_load tuning_any");
    // (a)
    let write = a.write();
    let write_filter = match &write {
        Cond::All(v) if v.is_empty() => String::new(),
        c => format!(" | where {}", inline(&d, c)),
    };
    line(&format!(
        "| join type=left max=0 Computer dll [search {SOURCE} (EventCode=11 OR EventCode=15 OR EventCode=29){write_filter} | eval dll=lower(TargetFilename), WriteTime=_time, Writer=Image | fields Computer dll WriteTime Writer]"
    ));
    line(&format!(
        "| eval fresh_write=if(isnull(tuning_load) AND isnotnull(WriteTime) AND WriteTime<=LoadTime AND WriteTime>=LoadTime-{}, 1, 0), Writer=if(fresh_write==1, Writer, null())",
        seconds(w.fresh_write_ms)
    ));
    // (c)
    line(&format!(
        "| join type=left max=0 Computer ProcessGuid [search {SOURCE} EventCode=3 | where {} | eval ConnTime=_time | fields Computer ProcessGuid ConnTime DestinationIp DestinationPort]",
        d.leaf(&Cond::Outbound)
    ));
    line(&format!(
        "| eval outbound_network=if(isnull(tuning_any) AND isnotnull(ConnTime) AND ConnTime>=LoadTime AND ConnTime<=LoadTime+{}, 1, 0), DestinationIp=if(outbound_network==1, DestinationIp, null())",
        seconds(w.network_ms)
    ));
    // (b)
    line(&format!(
        "| join type=left max=0 Computer [search {SOURCE} EventCode=1 | where {} | eval RunTime=_time, RunCommandLine=lower(CommandLine) | fields Computer RunTime RunCommandLine]",
        d.leaf(&Cond::Executor)
    ));
    line(&format!(
        "| eval follow_on_exec=if(isnull(tuning_any) AND isnotnull(RunTime) AND abs(RunTime-LoadTime)<={} AND (isnotnull(mvfind(RunCommandLine, \"\\\\Q\".dll_name.\"\\\\E\")) OR isnotnull(mvfind(RunCommandLine, \"\\\\Q\".dll_stem.\",\\\\E\"))), 1, 0), RunCommandLine=if(follow_on_exec==1, RunCommandLine, null())",
        seconds(w.follow_on_ms)
    ));
    line("| stats min(LoadTime) as FirstLoad max(fresh_write) as fresh_write max(follow_on_exec) as follow_on_exec max(outbound_network) as outbound_network values(Writer) as Writers values(RunCommandLine) as FollowOnCommandLines values(DestinationIp) as Destinations values(SignerState) as SignerState values(Signature) as Signer by Computer ProcessGuid Image ImageLoaded");
    line("| eval Branches=mvappend(if(fresh_write==1, \"fresh_write\", null()), if(follow_on_exec==1, \"follow_on_exec\", null()), if(outbound_network==1, \"outbound_network\", null()))");
    line("| where isnotnull(Branches)");
    line("| eval FirstLoad=strftime(FirstLoad, \"%Y-%m-%dT%H:%M:%S.%3QZ\")");
    q.push_str("| table FirstLoad Computer Image ImageLoaded Branches SignerState Signer Writers FollowOnCommandLines Destinations ProcessGuid");
    vec![Rule {
        id: "an0052".into(),
        branch: None,
        language: "spl",
        query: q,
        approximations: APPROXIMATIONS.iter().map(|s| s.to_string()).collect(),
    }]
}
