//! `kql`: one Kusto query for all three branches, with a `Branches` column.
//!
//! Profile `mde`: Microsoft Defender for Endpoint advanced hunting, usable as a Sentinel analytic
//! (with the Defender XDR connector) or an MDE custom detection:
//!
//! | meaning | table and columns |
//! |---|---|
//! | image load | `DeviceImageLoadEvents`: `FolderPath` (the module, full path), `SHA1`, `SHA256`; loader `InitiatingProcessFolderPath`, `InitiatingProcessId`, `InitiatingProcessCreationTime` |
//! | signer | `DeviceFileCertificateInfo` on `SHA1`: `IsSigned`, `IsTrusted`, `Signer`, `CertificateExpirationTime` (image loads carry none; no row is `unknown`) |
//! | write | `DeviceFileEvents` `FileCreated`/`FileModified`/`FileRenamed`: `FolderPath`, writer `InitiatingProcessFolderPath` |
//! | process start | `DeviceProcessEvents` `ProcessCreated`: `FileName`, `ProcessVersionInfoOriginalFileName`, `ProcessCommandLine` |
//! | connection | `DeviceNetworkEvents` `ConnectionSuccess`/`ConnectionAttempt`/`ConnectionFailed`/`ConnectionRequest`: `RemoteIP`; process `InitiatingProcessId` + `InitiatingProcessCreationTime` |
//!
//! A process is `(DeviceId, InitiatingProcessId, InitiatingProcessCreationTime)`, as MDE has no
//! process GUID. The signer state is derived exactly as `dllhound` derives it from the same
//! certificate rows.

use crate::analytic::Analytic;
use crate::cond::{executors, inline, one_line, Cond, Dialect, Field, NOT_OUTBOUND_CIDRS};
use crate::glob::{any_regex, wildcard_regex};
use crate::Rule;

/// The target.
pub const SPEC: crate::Spec = crate::Spec {
    name: "kql",
    language: "kql",
    profile: PROFILE,
    approximations: APPROXIMATIONS,
    exactness: EXACTNESS,
    comment: "//",
    comment_end: "",
};

/// The profile's name.
pub const PROFILE: &str = "mde";

/// What the query cannot say exactly.
pub const APPROXIMATIONS: &[&str] = &[
    "signer state comes from DeviceFileCertificateInfo (joined on SHA1, the latest row per file); a module without a certificate row is `unknown`, which never triggers on its own",
    crate::approx::CONTAINS_NAME,
    "(a) fresh write: writes and loads join on the lower-cased path as MDE logs it (8.3 short names, alternate data streams and downloads in progress do not join)",
    crate::approx::WRITER_ENTRIES,
    crate::approx::BROAD_ENTRIES,
    crate::approx::CHILD_IMAGE,
    "MDE samples and caps some events per device and day: what it did not record cannot be joined",
];

/// How exactly each part is expressed (`dllhound export --explain kql`).
pub const EXACTNESS: &[(&str, &str, &str)] = &[
    ("path classes", "exact", "regular expressions; `*` stays inside one folder"),
    ("signer states", "exact", "through the certificate join, derived as the engine derives them; no row = unknown"),
    ("main-module exclusion", "exact", "the process's own executable; a child's executable is not tested"),
    ("tuning", "near-exact", "each entry one named exclusion (TuningLoad / TuningAny name it before its rows are dropped)"),
    ("(a) fresh write", "exact", "`between` on the lower-cased path"),
    ("(b) rundll32/regsvr32", "near-exact", "indexof of the DLL's name or stem in the command line"),
    ("(c) outbound network", "exact", "joined on the loading process"),
];

struct Kql;

/// A KQL verbatim string (`@"…"`: no escapes, `"` doubled).
fn verbatim(s: &str) -> String {
    format!("@\"{}\"", s.replace('"', "\"\""))
}

/// A KQL ordinary string.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn field(f: Field) -> &'static str {
    match f {
        Field::Dll | Field::WritePath => "FolderPath",
        Field::Loader | Field::Writer => "InitiatingProcessFolderPath",
        Field::Subject => "Signer",
        Field::Sha256 => "SHA256",
    }
}

impl Dialect for Kql {
    fn leaf(&self, c: &Cond) -> String {
        match c {
            Cond::Path(f, globs) => format!(
                "{} matches regex {}",
                field(*f),
                verbatim(&any_regex(globs))
            ),
            Cond::Text(f, pats) => {
                let parts: Vec<String> = pats
                    .iter()
                    .map(|p| format!("(?:{})", wildcard_regex(p)))
                    .collect();
                format!(
                    "(isnotempty({0}) and {0} matches regex {1})",
                    field(*f),
                    verbatim(&format!("(?i){}", parts.join("|")))
                )
            }
            Cond::Hash(f, hashes) => {
                let v: Vec<String> = hashes.iter().map(|h| quote(h)).collect();
                format!("{} in~ ({})", field(*f), v.join(", "))
            }
            Cond::Suspicious => "SignerState in (\"unsigned\", \"invalid\", \"expired\")".into(),
            Cond::Valid => "SignerState == \"valid\"".into(),
            Cond::NotMainModule => "FolderPath !~ InitiatingProcessFolderPath".into(),
            Cond::Executor => {
                let v: Vec<String> = executors().iter().map(|e| quote(e)).collect();
                format!(
                    "(FileName in~ ({0}) or ProcessVersionInfoOriginalFileName in~ ({0}))",
                    v.join(", ")
                )
            }
            Cond::Outbound => "isnotempty(RemoteIP) and not(IsLocal)".into(),
            other => inline(self, other),
        }
    }
    fn not(&self, inner: &str) -> String {
        format!(
            "not({})",
            inner
                .strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .filter(|s| crate::cond::balanced(s))
                .unwrap_or(inner)
        )
    }
}

fn timespan(ms: i64) -> String {
    if ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// The query.
pub fn rules(a: &Analytic) -> Vec<Rule> {
    let d = Kql;
    let w = a.windows;
    let v4: Vec<String> = NOT_OUTBOUND_CIDRS
        .iter()
        .filter(|c| !c.contains(':'))
        .map(|c| quote(c))
        .collect();
    let v6: Vec<String> = NOT_OUTBOUND_CIDRS
        .iter()
        .filter(|c| c.contains(':'))
        .map(|c| quote(c))
        .collect();
    let mut q = String::new();
    let mut line = |s: &str| {
        q.push_str(s);
        q.push('\n');
    };
    line(&format!(
        "let FreshWriteWindow = {};",
        timespan(w.fresh_write_ms)
    ));
    line(&format!(
        "let FollowOnWindow = {};",
        timespan(w.follow_on_ms)
    ));
    line(&format!("let NetworkWindow = {};", timespan(w.network_ms)));
    line(&format!("let NotOutbound4 = dynamic([{}]);", v4.join(", ")));
    line(&format!("let NotOutbound6 = dynamic([{}]);", v6.join(", ")));
    line("let Certificates = DeviceFileCertificateInfo");
    line("    | summarize arg_max(Timestamp, IsSigned, IsTrusted, Signer, CertificateExpirationTime) by SHA1");
    line("    | extend SignerState = case(isnull(IsSigned), \"unknown\", not(IsSigned), \"unsigned\", isnull(IsTrusted) or IsTrusted, \"valid\", CertificateExpirationTime < Timestamp, \"expired\", \"invalid\")");
    line("    | project SHA1, SignerState, Signer;");
    line("let Loads = DeviceImageLoadEvents");
    line(&format!("    | where {}", d.leaf(&Cond::NotMainModule)));
    line("    | join kind=leftouter Certificates on SHA1");
    line("    | extend SignerState = iff(isempty(SignerState), \"unknown\", SignerState)");
    line(&format!(
        "    | where {} or {}",
        d.leaf(&a.suspicious_folder()),
        d.leaf(&Cond::Suspicious)
    ));
    line("    | extend TuningLoad = \"\", TuningAny = \"\"");
    for e in &a.exclusions {
        if !e.writer.is_empty() {
            continue;
        }
        line(&format!("    // tuning {}: {}", e.id, one_line(&e.reason)));
        let cond = inline(&d, &e.on_load());
        let id = quote(&e.id);
        if e.needs_writes() {
            line(&format!(
                "    | extend TuningAny = iff(isempty(TuningAny) and ({cond}), {id}, TuningAny)"
            ));
        } else {
            line(&format!(
                "    | extend TuningLoad = iff(isempty(TuningLoad) and ({cond}), {id}, TuningLoad)"
            ));
            line("    | extend TuningAny = iff(isempty(TuningAny), TuningLoad, TuningAny)");
        }
    }
    line("    | project LoadTime = Timestamp, DeviceId, DeviceName, DllPath = FolderPath, DllKey = tolower(FolderPath), DllName = tolower(FileName), SHA256, SignerState, Signer, Loader = InitiatingProcessFolderPath, LoaderId = InitiatingProcessId, LoaderStart = InitiatingProcessCreationTime, TuningLoad, TuningAny;");
    line("let Writes = DeviceFileEvents");
    line("    | where ActionType in (\"FileCreated\", \"FileModified\", \"FileRenamed\")");
    for e in &a.exclusions {
        if let Some(c) = e.expected_write() {
            line(&format!("    // tuning {}: the writers it expects", e.id));
            line(&format!(
                "    | where {}",
                d.not(&format!("({})", inline(&d, &c)))
            ));
        }
    }
    line("    | project WriteTime = Timestamp, DeviceId, DllKey = tolower(FolderPath), Writer = InitiatingProcessFolderPath;");
    line("let FreshWrite = Loads");
    line("    | where isempty(TuningLoad)");
    line("    | join kind=inner Writes on DeviceId, DllKey");
    line("    | where WriteTime between ((LoadTime - FreshWriteWindow) .. LoadTime)");
    line("    | extend Branch = \"fresh_write\", Evidence = strcat(\"written by \", Writer, \" at \", format_datetime(WriteTime, \"yyyy-MM-dd HH:mm:ss.fff\"));");
    line("let Runs = DeviceProcessEvents");
    line("    | where ActionType == \"ProcessCreated\"");
    line(&format!("    | where {}", d.leaf(&Cond::Executor)));
    line("    | project RunTime = Timestamp, DeviceId, RunCommandLine = tolower(ProcessCommandLine);");
    line("let FollowOn = Loads");
    line("    | where isempty(TuningAny)");
    line("    | join kind=inner Runs on DeviceId");
    line(
        "    | where RunTime between ((LoadTime - FollowOnWindow) .. (LoadTime + FollowOnWindow))",
    );
    line("    | extend DllStem = iff(DllName endswith \".dll\", substring(DllName, 0, strlen(DllName) - 4), \"\")");
    line("    | where indexof(RunCommandLine, DllName) >= 0 or (isnotempty(DllStem) and indexof(RunCommandLine, strcat(DllStem, \",\")) >= 0)");
    line("    | extend Branch = \"follow_on_exec\", Evidence = RunCommandLine;");
    line("let Connections = DeviceNetworkEvents");
    line("    | where ActionType in (\"ConnectionSuccess\", \"ConnectionAttempt\", \"ConnectionFailed\", \"ConnectionRequest\")");
    line("    | extend IsLocal = iff(RemoteIP contains \":\", ipv6_is_in_any_range(RemoteIP, NotOutbound6), ipv4_is_in_any_range(RemoteIP, NotOutbound4))");
    line(&format!("    | where {}", d.leaf(&Cond::Outbound)));
    line("    | project ConnTime = Timestamp, DeviceId, LoaderId = InitiatingProcessId, LoaderStart = InitiatingProcessCreationTime, RemoteIP, RemotePort;");
    line("let Outbound = Loads");
    line("    | where isempty(TuningAny)");
    line("    | join kind=inner Connections on DeviceId, LoaderId, LoaderStart");
    line("    | where ConnTime between (LoadTime .. (LoadTime + NetworkWindow))");
    line("    | extend Branch = \"outbound_network\", Evidence = strcat(RemoteIP, \":\", tostring(RemotePort));");
    line("union FreshWrite, FollowOn, Outbound");
    line("| summarize Timestamp = min(LoadTime), Branches = make_set(Branch), Evidence = make_set(Evidence, 20), SignerState = take_any(SignerState), Signer = take_any(Signer), SHA256 = take_any(SHA256) by DeviceId, DeviceName, DllPath, Loader, LoaderId, LoaderStart");
    line("| extend DllFile = extract(@\"[^\\\\/]+$\", 0, DllPath), DllFolder = extract(@\"^(.*)[\\\\/][^\\\\/]*$\", 1, DllPath)");
    q.push_str("| project Timestamp, DeviceId, DeviceName, DllPath, DllFolder, DllFile, Loader, LoaderId, LoaderStart, Branches, SignerState, Signer, SHA256, Evidence");
    vec![Rule {
        id: "an0052".into(),
        branch: None,
        language: "kql",
        query: q,
        approximations: APPROXIMATIONS.iter().map(|s| s.to_string()).collect(),
    }]
}
