//! The tuned AN0052 analytic, written in a SIEM's own language (`dllhound export`).
//!
//! A SOC runs detections where its data lives. This crate takes *the engine's* reading of AN0052 —
//! the path-class table, the signer vocabulary, the allowlist (default tuning and the user's), the
//! branch windows — from a [`dllhound_detect::Config`], never from a copy kept by hand, and writes
//! it as queries:
//!
//! * [`analytic`] gathers the data ([`Analytic::from_config`]) and states the trigger and the
//!   corroborators as [`cond::Cond`] trees;
//! * [`glob`] turns the engine's path globs into regular expressions and wildcard patterns over
//!   paths as they are logged;
//! * one module per target renders the trees on that target's profile (its field names are in the
//!   module's docs): [`sigma`] (detection rules joined by `temporal_ordered` correlations),
//!   [`eql`] (one `sequence` per branch), [`esql`] (one `STATS` query per branch), [`kql`]
//!   (Defender advanced hunting, one query with a `Branches` column), [`spl`] (Splunk, one search),
//!   and [`ecosystem`] (the EQL as Kibana rules, the KQL as a Sentinel analytic);
//! * [`Target`] is the registry: each target's [`Spec`] (names, profile, what it approximates,
//!   how exactly it expresses each part) and its emitter.
//!
//! The tests run the exports in real engines (Elastic's EQL, pySigma's SQLite backend) over the
//! shared recordings and a simulated fleet and compare per branch with the engine, check the others
//! with their languages' own tools (Kusto language service, Elasticsearch's ES|QL grammar,
//! `sigma check`), and keep golden files of every target.
//!
//! Every export says what its language cannot express exactly ([`Export::approximations`]): the
//! header of the text form lists it, and the JSON manifest carries it per rule.
//!
//! ```
//! use dllhound_export::{Analytic, Target};
//! let a = Analytic::from_config(&dllhound_detect::Config::default());
//! let x = dllhound_export::export(Target::Eql, &a);
//! assert_eq!(x.rules.len(), 3);
//! assert!(x.rules[0].query.starts_with("sequence by host.name, file.path"));
//! ```

pub mod analytic;
pub mod approx;
pub mod cond;
pub mod ecosystem;
pub mod eql;
pub mod esql;
pub mod glob;
pub mod kql;
pub mod sigma;
pub mod spl;

pub use analytic::{Analytic, Exclusion, Expired};
use serde::Serialize;

/// What a target is: its names, profile, and what it can express.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The name `--to` takes.
    pub name: &'static str,
    /// The query language of its rules (the manifest's `language`).
    pub language: &'static str,
    /// The data profile whose field names the rules use.
    pub profile: &'static str,
    /// What the target cannot express exactly.
    pub approximations: &'static [&'static str],
    /// Each part of the analytic, how exactly the target expresses it (`exact`, `near-exact`,
    /// `approximate`) and how.
    pub exactness: &'static [(&'static str, &'static str, &'static str)],
    /// How a line comment starts in the text form.
    pub comment: &'static str,
    /// How it ends (SPL's ``` comments close), empty for line comments.
    pub comment_end: &'static str,
}

/// A language the analytic can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Sigma,
    Eql,
    Esql,
    Kql,
    Spl,
    ElasticRule,
    Sentinel,
}

impl Target {
    /// Every target, in the order `--explain` lists them.
    pub const ALL: [Target; 7] = [
        Target::Sigma,
        Target::Eql,
        Target::Esql,
        Target::Kql,
        Target::Spl,
        Target::ElasticRule,
        Target::Sentinel,
    ];

    /// The target's description.
    pub fn spec(self) -> Spec {
        match self {
            Target::Sigma => sigma::SPEC,
            Target::Eql => eql::SPEC,
            Target::Esql => esql::SPEC,
            Target::Kql => kql::SPEC,
            Target::Spl => spl::SPEC,
            Target::ElasticRule => ecosystem::ELASTIC,
            Target::Sentinel => ecosystem::SENTINEL,
        }
    }

    /// The name `--to` takes.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The target named `name`, if any.
    pub fn parse(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The query language of its rules.
    pub fn language(self) -> &'static str {
        self.spec().language
    }

    /// The data profile whose field names the rules use (each target has one).
    pub fn profile(self) -> &'static str {
        self.spec().profile
    }

    /// What the target cannot express exactly.
    pub fn approximations(self) -> &'static [&'static str] {
        self.spec().approximations
    }

    /// Each part of the analytic and how exactly this target expresses it.
    pub fn exactness(self) -> &'static [(&'static str, &'static str, &'static str)] {
        self.spec().exactness
    }

    /// The five languages side by side, as a Markdown table (`dllhound export --explain all`):
    /// one row per part of the analytic, one verdict per language.
    pub fn matrix() -> String {
        let langs = [
            Target::Sigma,
            Target::Eql,
            Target::Esql,
            Target::Kql,
            Target::Spl,
        ];
        let mut out = String::from("| part |");
        for t in langs {
            out.push_str(&format!(" {} ({}) |", t.name(), t.profile()));
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(langs.len()));
        out.push('\n');
        for (i, (part, _, _)) in langs[0].exactness().iter().enumerate() {
            out.push_str(&format!("| {part} |"));
            for t in langs {
                let verdict = t.exactness().get(i).map_or("?", |r| r.1);
                out.push_str(&format!(" {verdict} |"));
            }
            out.push('\n');
        }
        out
    }

    /// The exactness table and the approximations, for `dllhound export --explain`.
    pub fn explain(self) -> String {
        let rows = self.exactness();
        let w = rows
            .iter()
            .map(|(p, _, _)| p.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let v = rows
            .iter()
            .map(|(_, v, _)| v.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut out = format!(
            "{} ({}, profile {}): what it expresses exactly\n\n{:w$}  {:v$}  how\n",
            self.name(),
            self.language(),
            self.profile(),
            "part",
            "verdict"
        );
        for (part, verdict, how) in rows {
            out.push_str(&format!("{part:w$}  {verdict:v$}  {how}\n"));
        }
        out.push_str("\napproximations (also in every export's header):\n");
        for a in self.approximations() {
            out.push_str(&format!("  - {a}\n"));
        }
        out
    }
}

/// One rule (query) of an export.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// `an0052-fresh-write`, …; `an0052` for a query that covers every branch.
    pub id: String,
    /// The branch it detects (`fresh_write`, `follow_on_exec`, `outbound_network`), `None` for all.
    pub branch: Option<&'static str>,
    pub language: &'static str,
    pub query: String,
    /// What this rule cannot express exactly.
    pub approximations: Vec<String>,
}

/// An export: the rules and what was left out.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    pub target: &'static str,
    pub profile: &'static str,
    pub rules: Vec<Rule>,
    /// Allowlist entries left out because they expired.
    pub excluded: Vec<Expired>,
    /// Windows in milliseconds, by branch.
    pub windows: serde_json::Value,
    /// The learned baseline rows included as exclusions (`--include-baseline`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<analytic::BaselineSummary>,
    #[serde(skip)]
    kind: Target,
}

/// The analytic `a` in `target`'s language.
pub fn export(target: Target, a: &Analytic) -> Export {
    let rules = match target {
        Target::Sigma => sigma::rules(a),
        Target::Eql => eql::rules(a),
        Target::Esql => esql::rules(a),
        Target::Kql => kql::rules(a),
        Target::Spl => spl::rules(a),
        Target::ElasticRule => ecosystem::elastic(a),
        Target::Sentinel => ecosystem::sentinel(a),
    };
    Export {
        target: target.name(),
        profile: target.profile(),
        rules,
        excluded: a.expired.clone(),
        windows: serde_json::json!({
            "fresh_write": a.windows.fresh_write_ms,
            "follow_on_exec": a.windows.follow_on_ms,
            "outbound_network": a.windows.network_ms,
        }),
        baseline: a.baseline,
        kind: target,
    }
}

impl Export {
    /// What the target cannot express exactly (the union over its rules).
    pub fn approximations(&self) -> &'static [&'static str] {
        self.kind.approximations()
    }

    /// The text form: a commented header (what generated it, the windows, what was left out and
    /// every approximation), then each rule under a comment with its id.
    pub fn to_text(&self) -> String {
        let (c, end) = (self.kind.spec().comment, self.kind.spec().comment_end);
        if c.is_empty() {
            // A format without comments (NDJSON): the rules alone, one per line.
            return self
                .rules
                .iter()
                .map(|r| format!("{}\n", r.query))
                .collect();
        }
        let mut out = String::new();
        let mut line = |s: &str| {
            out.push_str(c);
            if !s.is_empty() {
                out.push(' ');
                out.push_str(s);
            }
            out.push_str(end);
            out.push('\n');
        };
        line(&format!(
            "MITRE ATT&CK AN0052 (DLL loaded from a suspicious folder or unsigned, corroborated by a fresh write, a rundll32/regsvr32 run or an outbound connection), exported by dllhound {} for {} ({})",
            env!("CARGO_PKG_VERSION"),
            self.target,
            self.profile
        ));
        line(&format!("windows: {}", self.windows));
        if self.excluded.is_empty() {
            line("expired allowlist entries left out: none");
        } else {
            let v: Vec<String> = self
                .excluded
                .iter()
                .map(|e| match &e.expires {
                    Some(d) => format!("{} (expired {d})", e.id),
                    None => e.id.clone(),
                })
                .collect();
            line(&format!(
                "expired allowlist entries left out: {}",
                v.join(", ")
            ));
        }
        if let Some(b) = &self.baseline {
            line(&format!(
                "baseline: {} of {} learned rows included as exclusions (seen on at least {} hosts or {} days{}); their patterns' placeholders (<user>, <guid>, <hex>, <n>) match any run",
                b.rows,
                b.of,
                b.min_hosts,
                b.min_days,
                if b.include_unsigned { ", unsigned modules too" } else { "" }
            ));
        }
        line("what this export cannot express exactly:");
        for a in self.approximations() {
            line(&format!("  - {a}"));
        }
        out.push('\n');
        let yaml = self.kind == Target::Sigma;
        for (i, r) in self.rules.iter().enumerate() {
            if yaml && i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&format!(
                "{c} rule {}{end}\n{}\n\n",
                r.id,
                r.query.trim_end()
            ));
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    }

    /// The files `-o DIR` writes for a target that keeps one rule per file (Sigma): name, text.
    pub fn files(&self) -> Option<Vec<(String, String)>> {
        (self.kind == Target::Sigma).then(|| {
            self.rules
                .iter()
                .map(|r| (sigma::file_name(r), format!("{}\n", r.query.trim_end())))
                .collect()
        })
    }

    /// The JSON manifest: `{"target", "profile", "rules": [{"id", "branch", "language", "query",
    /// "approximations"}], "excluded": [...], "windows": {...}}`.
    pub fn manifest(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}
