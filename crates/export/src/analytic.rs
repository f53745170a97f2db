//! The analytic as data: what every target language is generated from.
//!
//! [`Analytic::from_config`] reads the engine's own tables — the path-class table, the tuning
//! entries (default and the user's, expired ones set aside), the branch windows — so an export
//! can never drift from what `dllhound scan` does with the same options. [`Analytic::trigger`] and
//! the branch conditions are [`Cond`] trees; each target renders them in its own syntax.

use crate::cond::{Cond, Field};
use crate::glob::Glob;
use dllhound_detect::baseline::BaselineRow;
use dllhound_detect::tuning::{path_glob, Entry};
use dllhound_detect::{Config, PathClass};

/// A baseline pattern (`c:\users\<user>\appdata\<n>.dll`) as a glob in the engine's form.
fn baseline_glob(pattern: &str) -> String {
    pattern
        .replace('\\', "/")
        .replace("<user>", "*")
        .replace("<guid>", "*")
        .replace("<tmp>", "*.tmp*")
        .replace("<hex>", "*")
        .replace("<n>", "*")
}

/// One allowlist entry, as conditions.
#[derive(Debug, Clone)]
pub struct Exclusion {
    pub id: String,
    pub reason: String,
    /// `default` or `allowlist`.
    pub source: &'static str,
    pub dll_path: Vec<Glob>,
    pub loader: Vec<Glob>,
    /// Globs on the freshly-writing process (every write seen must match).
    pub writer: Vec<Glob>,
    /// Globs on the signer subject (a valid signature only).
    pub signer: Vec<String>,
    pub sha256: Vec<String>,
    pub allow_unsigned: bool,
    /// Decided only with the corroborators: a fresh write by an unexpected process voids it.
    pub broad: bool,
    pub expected_writers: Vec<Glob>,
    pub loader_may_write: bool,
    /// The module must have no signer subject (a baseline row learned with none).
    pub no_signer: bool,
}

impl Exclusion {
    fn from_entry(e: &Entry) -> Exclusion {
        let get = |field: &str| {
            e.criteria()
                .iter()
                .find(|(k, _)| *k == field)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let paths = |field: &str| {
            get(field)
                .iter()
                .map(|g| Glob::parse(&path_glob(g)))
                .collect()
        };
        Exclusion {
            id: e.id.clone(),
            reason: e.reason.clone(),
            source: e.source.as_str(),
            dll_path: paths("dll_path"),
            loader: paths("loader"),
            writer: paths("writer"),
            signer: get("signer")
                .iter()
                .map(|s| s.trim().to_lowercase())
                .collect(),
            sha256: get("sha256")
                .iter()
                .map(|s| s.trim().to_ascii_lowercase())
                .collect(),
            allow_unsigned: e.allow_unsigned,
            broad: e.broad,
            expected_writers: e
                .expected_writers()
                .iter()
                .map(|g| Glob::parse(&path_glob(g)))
                .collect(),
            loader_may_write: e.loader_may_write(),
            no_signer: false,
        }
    }

    /// A learned baseline row that is common enough to suppress, as an exclusion: its loader and
    /// DLL patterns become globs (`<user>`, `<guid>`, `<hex>`, `<n>` → `*`, `<tmp>` → `*.tmp*`),
    /// its signer an exact subject (or "no subject" for `-`).
    fn from_baseline(n: usize, row: &BaselineRow, include_unsigned: bool) -> Exclusion {
        let glob = |p: &str| Glob::parse(&baseline_glob(p));
        Exclusion {
            id: format!("baseline-row-{n}"),
            reason: format!(
                "learned baseline: {} loading {} signed by {} was seen on {} host(s) and {} day(s)",
                row.loader, row.dll, row.signer, row.hosts, row.days
            ),
            source: "baseline",
            dll_path: vec![glob(&row.dll)],
            loader: vec![glob(&row.loader)],
            writer: Vec::new(),
            signer: if row.signer == "-" {
                Vec::new()
            } else {
                vec![row.signer.replace(['*', '?'], "?")]
            },
            sha256: Vec::new(),
            allow_unsigned: include_unsigned,
            broad: false,
            expected_writers: Vec::new(),
            loader_may_write: false,
            no_signer: row.signer == "-",
        }
    }

    /// True when the engine decides this entry only with the fresh writes it sees.
    pub fn needs_writes(&self) -> bool {
        !self.writer.is_empty() || self.broad
    }

    /// The entry on the load alone: everything but its writer criteria.
    pub fn on_load(&self) -> Cond {
        let mut all = Vec::new();
        if !self.sha256.is_empty() {
            all.push(Cond::Hash(Field::Sha256, self.sha256.clone()));
        } else if !self.allow_unsigned && self.signer.is_empty() {
            // An unsigned, invalid or expired module is suppressed only by its hash or by an
            // entry that allows unsigned modules (a signer criterion asks for a valid signature,
            // which says as much).
            all.push(Cond::Not(Box::new(Cond::Suspicious)));
        }
        if !self.dll_path.is_empty() {
            all.push(Cond::Path(Field::Dll, self.dll_path.clone()));
        }
        if !self.loader.is_empty() {
            all.push(Cond::Path(Field::Loader, self.loader.clone()));
        }
        if !self.signer.is_empty() {
            all.push(Cond::Valid);
            all.push(Cond::Text(Field::Subject, self.signer.clone()));
        }
        if self.no_signer {
            all.push(Cond::Not(Box::new(Cond::Text(
                Field::Subject,
                vec!["*".into()],
            ))));
        }
        Cond::All(all)
    }

    /// A write this entry expects (its writers, or a broad entry's expected writers) of a path it
    /// covers: such a write neither corroborates nor voids it.
    pub fn expected_write(&self) -> Option<Cond> {
        let writers: Vec<Glob> = self
            .writer
            .iter()
            .chain(&self.expected_writers)
            .cloned()
            .collect();
        if writers.is_empty() {
            return None;
        }
        let mut all = vec![Cond::Path(Field::Writer, writers)];
        if !self.dll_path.is_empty() {
            all.push(Cond::Path(Field::WritePath, self.dll_path.clone()));
        }
        Some(Cond::All(all))
    }
}

/// An entry whose expiry date has passed: left out of the export, named in its header.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Expired {
    pub id: String,
    /// `YYYY-MM-DD`.
    pub expires: Option<String>,
    pub source: &'static str,
}

/// The windows, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    pub fresh_write_ms: i64,
    pub follow_on_ms: i64,
    pub network_ms: i64,
}

/// Everything a target is generated from.
#[derive(Debug, Clone)]
pub struct Analytic {
    /// The path-class table: class, glob as the table gives it, parsed.
    pub classes: Vec<(PathClass, String, Glob)>,
    pub exclusions: Vec<Exclusion>,
    pub expired: Vec<Expired>,
    pub windows: Windows,
    /// How many baseline rows became exclusions, and the thresholds that chose them.
    pub baseline: Option<BaselineSummary>,
}

/// The baseline rows an export includes.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct BaselineSummary {
    pub rows: usize,
    pub of: usize,
    pub min_hosts: u32,
    pub min_days: u32,
    pub include_unsigned: bool,
}

impl Analytic {
    /// The analytic `dllhound scan` runs with `cfg`; a baseline in `cfg` becomes one exclusion per
    /// row that meets its thresholds, after the allowlist.
    pub fn from_config(cfg: &Config) -> Analytic {
        let window = |flag: &str| {
            cfg.windows
                .get(flag)
                .copied()
                .unwrap_or(dllhound_detect::branches::DEFAULT_WINDOW_MS)
        };
        let mut exclusions: Vec<Exclusion> = cfg
            .tuning
            .entries()
            .iter()
            .map(Exclusion::from_entry)
            .collect();
        let baseline = cfg.baseline.as_ref().map(|p| {
            let common: Vec<&BaselineRow> = p
                .baseline
                .rows
                .iter()
                .filter(|r| r.hosts >= p.min_hosts || r.days >= p.min_days)
                .collect();
            for (n, r) in common.iter().enumerate() {
                exclusions.push(Exclusion::from_baseline(n + 1, r, p.include_unsigned));
            }
            BaselineSummary {
                rows: common.len(),
                of: p.baseline.rows.len(),
                min_hosts: p.min_hosts,
                min_days: p.min_days,
                include_unsigned: p.include_unsigned,
            }
        });
        Analytic {
            baseline,
            classes: cfg
                .path_classes
                .globs()
                .iter()
                .map(|(c, g)| (*c, g.clone(), Glob::parse(g)))
                .collect(),
            exclusions,
            expired: cfg
                .tuning
                .expired()
                .iter()
                .map(|e| Expired {
                    id: e.id.clone(),
                    expires: e.expires.map(|d| d.to_string()),
                    source: e.source.as_str(),
                })
                .collect(),
            windows: Windows {
                fresh_write_ms: window("fresh-write"),
                follow_on_ms: window("follow-on"),
                network_ms: window("network"),
            },
        }
    }

    /// The suspicious-folder test: the module is under a folder of some path class.
    pub fn suspicious_folder(&self) -> Cond {
        Cond::Path(
            Field::Dll,
            self.classes.iter().map(|(_, _, g)| g.clone()).collect(),
        )
    }

    /// A trigger load, with the exclusions a branch's rule applies on the load.
    pub fn trigger(&self, exclusions: &[&Exclusion]) -> Cond {
        let mut all = vec![
            Cond::NotMainModule,
            Cond::Any(vec![self.suspicious_folder(), Cond::Suspicious]),
        ];
        for e in exclusions {
            all.push(Cond::Not(Box::new(e.on_load())).named(&e.id, &e.reason));
        }
        Cond::All(all)
    }

    /// The exclusions applied on the load in the fresh-write rule: those decided on the load alone
    /// (the others are applied on the write, [`Analytic::write`]).
    pub fn load_only_exclusions(&self) -> Vec<&Exclusion> {
        self.exclusions
            .iter()
            .filter(|e| !e.needs_writes())
            .collect()
    }

    /// The exclusions applied on the load in the follow-on and network rules: all but those with a
    /// writer criterion (which need a write to hold).
    pub fn load_exclusions(&self) -> Vec<&Exclusion> {
        self.exclusions
            .iter()
            .filter(|e| e.writer.is_empty())
            .collect()
    }

    /// A write that corroborates: any, except one an entry expects.
    pub fn write(&self) -> Cond {
        let mut all = Vec::new();
        for e in &self.exclusions {
            if let Some(c) = e.expected_write() {
                all.push(Cond::Not(Box::new(c)).named(&e.id, &e.reason));
            }
        }
        Cond::All(all)
    }
}

/// The three corroborating branches, as the engine names them.
pub const BRANCHES: [&str; 3] = ["fresh_write", "follow_on_exec", "outbound_network"];

/// The rule id of a branch: `an0052-fresh-write`.
pub fn rule_id(branch: &str) -> String {
    match branch {
        "fresh_write" => "an0052-fresh-write".into(),
        "follow_on_exec" => "an0052-follow-on-exec".into(),
        "outbound_network" => "an0052-outbound-network".into(),
        other => format!("an0052-{}", other.replace('_', "-")),
    }
}

/// Whole seconds, rounded up: a window in a language that counts seconds is never narrower.
pub fn seconds(ms: i64) -> i64 {
    (ms + 999) / 1000
}

/// A deterministic UUID for a rule name: the same export always gets the same ids, so importing
/// it again updates the rules instead of duplicating them.
pub fn rule_uuid(name: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("https://dllhound/an0052/{name}").as_bytes(),
    )
    .to_string()
}

/// The approximations of `list` that concern `branch`: an item that starts with branch tags
/// (`(a) fresh write: …`, `(b), (c): …`) concerns those branches, any other item every branch.
pub fn for_branch(list: &[&str], branch: &str) -> Vec<String> {
    let letter = match branch {
        "fresh_write" => 'a',
        "follow_on_exec" => 'b',
        _ => 'c',
    };
    list.iter()
        .filter(|item| {
            if !item.starts_with('(') {
                return true;
            }
            let head = item.split(':').next().unwrap_or("");
            head.contains(&format!("({letter})"))
        })
        .map(|s| s.to_string())
        .collect()
}
