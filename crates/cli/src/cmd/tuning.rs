//! `dllhound tuning show`: the default tuning compiled into the binary; `dllhound tuning check`:
//! an allowlist checked before anyone relies on it, and tried on telemetry with `--against`.
//!
//! `check --against` scans the inputs twice: once with the file's entries alone (every entry,
//! expired ones too, so "it would have suppressed" can be said of them), which counts what each
//! entry matches; and once with the tuning a scan would run (the default tuning and any other
//! `--allowlist` first, then the file, expired entries set aside), which counts what each entry
//! suppresses that nothing before it does. Both count by first match, as a scan does.

use crate::args::{CheckFormat, TuningCheckArgs};
use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use dllhound_detect::tuning::{Entry, EntrySource, Tuning, DEFAULT_TUNING_YAML};
use dllhound_detect::{Alert, Config};
use dllhound_report::escape_control;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

pub fn show() -> Result<ExitCode> {
    std::io::stdout()
        .lock()
        .write_all(DEFAULT_TUNING_YAML.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// What one entry does to the `--against` inputs.
#[derive(Debug, Default, Clone, Copy)]
struct Effect {
    /// Findings (one per host, process and DLL) the entry matched, alone.
    findings: u64,
    /// Trigger loads in them.
    loads: u64,
    /// Of the findings, those with a corroborator: alerts, were it not for the entry.
    corroborated: u64,
    /// Trigger loads it suppresses in the tuning a scan runs (nothing before it allows them).
    in_force_loads: u64,
    /// Findings it matched but did not suppress: a broad entry voided by an unexpected fresh write.
    voided: u64,
}

/// The `--against` run: the inputs' size and each entry's effect, by id.
struct Against {
    inputs: usize,
    records: u64,
    triggers: u64,
    effects: BTreeMap<String, Effect>,
    /// For a voided entry, the first reason (which writer it did not expect).
    voided_why: BTreeMap<String, String>,
}

pub fn check(a: TuningCheckArgs) -> Result<ExitCode> {
    let origin = escape_control(&a.file.display().to_string()).into_owned();
    let text = std::fs::read_to_string(&a.file).with_context(|| format!("reading {origin}"))?;
    let today = chrono::Utc::now().date_naive();
    // Every entry, expired or not: expiry is judged here against today.
    let (all, mistakes) = Tuning::check(&text, &origin, EntrySource::Allowlist, NaiveDate::MIN)?;
    let against = if a.against.is_empty() || !mistakes.is_empty() {
        None
    } else {
        match run_against(&a, &all, &text, &origin, today)? {
            Ok(x) => Some(x),
            Err(code) => return Ok(code),
        }
    };
    let checked = Checked {
        origin: &origin,
        all: &all,
        mistakes: &mistakes,
        against: against.as_ref(),
        paths: &a.against,
        today,
    };
    let mut out = std::io::stdout().lock();
    match a.output_format {
        CheckFormat::Table => checked.write_table(&mut out)?,
        CheckFormat::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(&checked.to_json())?)?;
        }
    }
    out.flush()?;
    Ok(if !mistakes.is_empty() {
        ExitCode::from(3)
    } else if all.entries().iter().any(|e| e.is_expired(today)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Scans `--against` twice (see the module docs). `Err(code)`: the inputs held no telemetry.
fn run_against(
    a: &TuningCheckArgs,
    all: &Tuning,
    text: &str,
    origin: &str,
    today: NaiveDate,
) -> Result<std::result::Result<Against, ExitCode>> {
    if a.against.iter().any(|p| p.as_os_str() == "-") {
        bail!("--against reads its inputs twice, so it cannot read stdin: save the telemetry to a file and give its path");
    }
    super::require_paths(&a.against)?;
    let (pool, threads) = super::pool(a.threads)?;
    let (inputs, walk_errors) = dllhound_ingest::expand_inputs(&a.against);
    let (opts, _) = super::read_options(a.input_format, &inputs, threads, true);
    let base = super::scan::config(&a.detect)?;
    let listing = |mut cfg: Config| {
        cfg.signals = true;
        cfg.keep_suppressed = true;
        cfg
    };

    let mut alone = listing(base.clone());
    alone.tuning = all.clone();
    alone.baseline = None;
    let first = pool.install(|| dllhound_engine::scan(&inputs, &opts, &alone));
    if let Some(n) = super::no_telemetry(&a.against, &first.inputs) {
        eprintln!("dllhound: {n}");
        return Ok(Err(ExitCode::from(2)));
    }
    crate::summary::print_input_errors(&first.inputs, &walk_errors, 5);

    let mut in_force = listing(base);
    in_force
        .tuning
        .extend(Tuning::parse(text, origin, EntrySource::Allowlist, today)?);
    let second = pool.install(|| dllhound_engine::scan(&inputs, &opts, &in_force));

    let mut effects: BTreeMap<String, Effect> = BTreeMap::new();
    for x in by_this_file(&first.outcome.suppressed) {
        let e = effects.entry(x.0.to_string()).or_default();
        e.findings += 1;
        e.loads += u64::from(x.1.load_count);
        e.corroborated += u64::from(x.1.evidence.corroborated());
    }
    let mut voided_why = BTreeMap::new();
    let o = &first.outcome;
    let listed = o.alerts.iter().chain(&o.signals).chain(&o.suppressed);
    for n in listed.flat_map(|x| &x.tuning_not_applied) {
        if n.source == EntrySource::Allowlist.as_str() {
            effects.entry(n.id.clone()).or_default().voided += 1;
            voided_why
                .entry(n.id.clone())
                .or_insert_with(|| n.reason.clone());
        }
    }
    for x in by_this_file(&second.outcome.suppressed) {
        effects.entry(x.0.to_string()).or_default().in_force_loads += u64::from(x.1.load_count);
    }
    Ok(Ok(Against {
        inputs: first.inputs.len(),
        records: first.inputs.iter().map(|i| i.records_ok).sum(),
        triggers: first.outcome.stats.triggers,
        effects,
        voided_why,
    }))
}

/// The suppressed findings an allowlist entry is responsible for, with its id.
fn by_this_file(suppressed: &[Alert]) -> impl Iterator<Item = (&str, &Alert)> {
    suppressed.iter().filter_map(|x| {
        let s = x.suppressed_by.as_ref()?;
        (s.source == EntrySource::Allowlist.as_str()).then_some((s.id.as_str(), x))
    })
}

/// `in force until 2027-01-31 (in 59 days)`, `EXPIRED on …`, `in force, no expiry date`.
fn expiry(e: &Entry, today: NaiveDate) -> (&'static str, String) {
    match e.expires {
        None => ("ok", "in force, no expiry date".into()),
        Some(d) if d < today => (
            "EXPIRED",
            format!("expired on {d}: scans ignore it (remove it, or renew it with a new date)"),
        ),
        Some(d) => {
            let days = (d - today).num_days();
            let state = if days <= 30 { "SOON" } else { "ok" };
            (state, format!("in force until {d} (in {days} days)"))
        }
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn effect_words(e: &Entry, x: Effect, why: Option<&String>, today: NaiveDate) -> String {
    let voided = match why {
        Some(why) if x.voided > 0 => format!(
            "matched {} but did not apply: {why}",
            plural(x.voided, "finding", "findings")
        ),
        _ => String::new(),
    };
    if x.findings == 0 {
        return if voided.is_empty() {
            "matches no trigger in these inputs".into()
        } else {
            voided
        };
    }
    let would = if e.is_expired(today) {
        "would have suppressed"
    } else {
        "suppresses"
    };
    let mut s = format!(
        "{would} {} in {} ({} of them corroborated: alerts without this entry)",
        plural(x.loads, "trigger load", "trigger loads"),
        plural(x.findings, "finding", "findings"),
        x.corroborated
    );
    if !e.is_expired(today) && x.in_force_loads < x.loads {
        s.push_str(&format!(
            "; {} of the loads are already allowed by the default tuning or an earlier allowlist",
            x.loads - x.in_force_loads
        ));
    }
    if !voided.is_empty() {
        s.push_str("; ");
        s.push_str(&voided);
    }
    s
}

/// What `check` found, for either output format.
struct Checked<'a> {
    origin: &'a str,
    /// Every valid entry, expired ones too.
    all: &'a Tuning,
    mistakes: &'a [dllhound_detect::tuning::TuningError],
    against: Option<&'a Against>,
    /// The `--against` paths as given.
    paths: &'a [std::path::PathBuf],
    today: NaiveDate,
}

impl Checked<'_> {
    fn write_table(&self, out: &mut impl Write) -> Result<()> {
        let Checked {
            origin,
            all,
            mistakes,
            against,
            paths,
            today,
        } = *self;
        let entries = all.entries();
        let expired = entries.iter().filter(|e| e.is_expired(today)).count();
        writeln!(
            out,
            "{origin}: {} ({} in force, {expired} expired){}",
            plural(entries.len() as u64, "valid entry", "valid entries"),
            entries.len() - expired,
            match mistakes.len() {
                0 => String::new(),
                n => format!(", {}", plural(n as u64, "wrong entry", "wrong entries")),
            }
        )?;
        for m in mistakes {
            writeln!(out, "  WRONG    {m}")?;
        }
        if let Some(x) = against {
            let paths: Vec<String> = paths
                .iter()
                .map(|p| escape_control(&p.display().to_string()).into_owned())
                .collect();
            writeln!(
                out,
                "against {}: {}, {}, {}",
                paths.join(" "),
                plural(x.inputs as u64, "input", "inputs"),
                plural(x.records, "record", "records"),
                plural(x.triggers, "trigger load", "trigger loads")
            )?;
        }
        for e in entries {
            let (state, when) = expiry(e, today);
            writeln!(out, "  {state:<8} {:<28} {when}", escape_control(&e.id))?;
            for (field, values) in e.criteria() {
                let v: Vec<String> = values
                    .iter()
                    .map(|g| format!("'{}'", escape_control(g)))
                    .collect();
                writeln!(out, "           {field}: {}", v.join(", "))?;
            }
            if e.allow_unsigned {
                writeln!(out, "           allow_unsigned: true")?;
            }
            writeln!(out, "           reason: {}", escape_control(&e.reason))?;
            if let Some(x) = against {
                let eff = x.effects.get(&e.id).copied().unwrap_or_default();
                let why = x.voided_why.get(&e.id);
                writeln!(
                    out,
                    "           against: {}",
                    effect_words(e, eff, why, today)
                )?;
            }
        }
        if !mistakes.is_empty() && !paths.is_empty() {
            writeln!(out, "--against was not run: fix the wrong entries first")?;
        }
        Ok(())
    }

    fn to_json(&self) -> serde_json::Value {
        let Checked {
            origin,
            all,
            mistakes,
            against,
            paths,
            today,
        } = *self;
        let entries: Vec<serde_json::Value> = all
            .entries()
            .iter()
            .map(|e| {
                let criteria: serde_json::Map<String, serde_json::Value> = e
                    .criteria()
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), json!(v)))
                    .collect();
                let mut v = json!({
                    "id": e.id,
                    "reason": e.reason,
                    "expires": e.expires.map(|d| d.to_string()),
                    "expired": e.is_expired(today),
                    "state": expiry(e, today).0.to_ascii_lowercase(),
                    "allow_unsigned": e.allow_unsigned,
                    "criteria": criteria,
                });
                if let Some(x) = against {
                    let eff = x.effects.get(&e.id).copied().unwrap_or_default();
                    v["against"] = json!({
                        "findings": eff.findings,
                        "trigger_loads": eff.loads,
                        "corroborated_findings": eff.corroborated,
                        "trigger_loads_in_force": eff.in_force_loads,
                        "voided_findings": eff.voided,
                        "voided_because": x.voided_why.get(&e.id),
                    });
                }
                v
            })
            .collect();
        json!({
            "file": origin,
            "valid": mistakes.is_empty(),
            "mistakes": mistakes.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            "entries": entries,
            "against": against.map(|x| json!({
                "paths": paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "inputs": x.inputs,
                "records": x.records,
                "trigger_loads": x.triggers,
            })),
        })
    }
}
