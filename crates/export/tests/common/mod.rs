//! Shared by the engine tests: the real recordings, normalised events rendered as the documents
//! each target's profile reads, and the engine's own answer per branch.
#![allow(dead_code)]

pub mod ecs;
pub mod sysmon;

use dllhound_detect::{Alert, Config, Correlator};
use dllhound_ingest::{expand_inputs, read_input, ReadOptions};
use dllhound_model::Event;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `$DLLHOUND_REAL_DATA`, which the ignored tests require.
pub fn data_dir() -> PathBuf {
    let d = std::env::var_os("DLLHOUND_REAL_DATA")
        .map(PathBuf::from)
        .expect("DLLHOUND_REAL_DATA must name the shared recordings (../shared/data)");
    assert!(
        d.join("MANIFEST.tsv").is_file(),
        "{} has no MANIFEST.tsv",
        d.display()
    );
    d
}

/// The recordings `MANIFEST.tsv` lists, relative path and full path.
pub fn recordings(dir: &Path) -> Vec<(String, PathBuf)> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    text.lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|p| !p.trim().is_empty())
        .map(|p| (p.to_string(), dir.join(p)))
        .collect()
}

/// Every event of one file, as the engine reads it.
pub fn events(path: &Path) -> Vec<Event> {
    let mut out = Vec::new();
    let (inputs, errors) = expand_inputs(&[path.to_path_buf()]);
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    for input in inputs {
        read_input(&input, &ReadOptions::default(), &mut |e| out.push(e));
    }
    out
}

/// The engine's alerts for these events (default configuration, the analytic exported).
pub fn alerts(events: &[Event], cfg: &Config) -> Vec<Alert> {
    let mut c = Correlator::new(cfg.clone());
    for e in events {
        c.push(e.clone());
    }
    c.finish().alerts
}

/// A finding as the comparison sees it: recording, host identity, DLL comparison key.
pub type Pair = (String, String, String);

pub fn pair(group: &str, host: &str, dll: &str) -> Pair {
    (
        group.to_string(),
        dllhound_model::host::identity(host).into_owned(),
        dllhound_model::WinPath::new(dll).match_key().to_string(),
    )
}

/// The branches the comparison covers.
pub const BRANCHES: [&str; 3] = ["fresh_write", "follow_on_exec", "outbound_network"];

/// Every (recording, events) group's engine pairs per branch, and its events rendered by `render`
/// with the group's name.
pub fn engine_and_docs(
    groups: Vec<(String, Vec<Event>)>,
    render: fn(&Event) -> serde_json::Value,
    cfg: &Config,
) -> (
    BTreeMap<&'static str, BTreeSet<Pair>>,
    Vec<serde_json::Value>,
) {
    let mut docs = Vec::new();
    let mut engine: BTreeMap<&'static str, BTreeSet<Pair>> = BTreeMap::new();
    for (name, evs) in groups {
        let found = alerts(&evs, cfg);
        for b in BRANCHES {
            engine
                .entry(b)
                .or_default()
                .extend(engine_pairs(&name, &found, b));
        }
        docs.extend(evs.iter().map(|e| {
            let mut d = render(e);
            d["_group"] = name.clone().into();
            d
        }));
    }
    (engine, docs)
}

/// The real recordings, each as its own group.
pub fn real_groups() -> Vec<(String, Vec<Event>)> {
    recordings(&data_dir())
        .into_iter()
        .map(|(name, path)| (name, events(&path)))
        .collect()
}

/// A simulated fleet with planted chains of every branch, as one group, and what was planted.
pub fn fleet() -> (Vec<(String, Vec<Event>)>, Vec<dllhound_simulate::Planted>) {
    let cfg = dllhound_simulate::SimConfig {
        hosts: 40,
        events: 150_000,
        attacks: 30,
        ..Default::default()
    };
    let mut buf = Vec::new();
    let (_, planted) = dllhound_simulate::generate(&cfg, &mut buf).expect("simulate");
    let path = std::env::temp_dir().join(format!(
        "dllhound-export-fleet-{}-{:?}.jsonl",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, &buf).expect("fleet file");
    let evs = events(&path);
    let _ = std::fs::remove_file(&path);
    (vec![("fleet".into(), evs)], planted)
}

/// The harness's hits per branch, by the rules' branches in the export `x`.
pub fn by_branch(
    x: &dllhound_export::Export,
    hits: Vec<(String, Pair)>,
) -> BTreeMap<String, BTreeSet<Pair>> {
    let mut out: BTreeMap<String, BTreeSet<Pair>> = BTreeMap::new();
    for (rule, p) in hits {
        let branch = x.rules.iter().find(|r| r.id == rule).and_then(|r| r.branch);
        out.entry(branch.unwrap_or("?").to_string())
            .or_default()
            .insert(p);
    }
    out
}

/// Runs `script` (a harness in `tests/engines`) with `python` on `first_arg` and the documents;
/// returns its JSON lines `{"group", "rule", "host", "dll"}` as (rule, pair).
pub fn run_harness(
    python: &Path,
    script: &str,
    first_arg: &Path,
    docs: &[serde_json::Value],
    dir: &Path,
) -> Vec<(String, Pair)> {
    use std::io::Write;
    let events = dir.join("events.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&events).expect("events file"));
    for d in docs {
        writeln!(f, "{d}").expect("write events");
    }
    drop(f);
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/engines")
        .join(script);
    let out = std::process::Command::new(python)
        .arg(&script)
        .arg(first_arg)
        .arg(&events)
        .output()
        .expect("running the harness");
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("rule"), pair(&s("group"), &s("host"), &s("dll")))
        })
        .collect()
}

/// A baseline learned from every shared recording, suppressing patterns seen on 2 hosts or days.
pub fn real_baseline() -> dllhound_detect::baseline::BaselinePolicy {
    let files: Vec<PathBuf> = recordings(&data_dir())
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    let (inputs, errors) = expand_inputs(&files);
    assert!(errors.is_empty(), "{errors:?}");
    let (_, baseline) = dllhound_engine::learn_baseline(
        &inputs,
        &ReadOptions::default(),
        &dllhound_detect::PathClasses::builtin(),
    );
    dllhound_detect::baseline::BaselinePolicy {
        baseline,
        min_hosts: 1,
        min_days: 1,
        include_unsigned: true,
    }
}

/// A scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dllhound-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch folder");
    d
}

/// Asserts per-branch agreement: for the branches in `exact` the same pairs, for the others no
/// pair the engine does not have; prints the counts (quoted in README's Export section).
pub fn compare(
    what: &str,
    engine: &BTreeMap<&'static str, BTreeSet<Pair>>,
    theirs: &BTreeMap<String, BTreeSet<Pair>>,
    exact: &[&str],
) {
    let mut report = String::new();
    for branch in BRANCHES {
        let ours = &engine[branch];
        let t = theirs.get(branch).cloned().unwrap_or_default();
        let only_ours: BTreeSet<&Pair> = ours.difference(&t).collect();
        let only_theirs: BTreeSet<&Pair> = t.difference(ours).collect();
        eprintln!(
            "{what} {branch}: dllhound {} pairs, engine {} pairs, both {}",
            ours.len(),
            t.len(),
            ours.intersection(&t).count()
        );
        if !only_theirs.is_empty() || (exact.contains(&branch) && !only_ours.is_empty()) {
            let show = |s: &BTreeSet<&Pair>| -> String {
                s.iter()
                    .map(|(g, h, d)| format!("\n    {g}  {h}  {d}"))
                    .collect()
            };
            report.push_str(&format!(
                "\n{branch}: only dllhound:{}\n  only the engine:{}",
                show(&only_ours),
                show(&only_theirs)
            ));
        }
        assert!(
            !ours.is_empty(),
            "{what} {branch}: dllhound finds no pair to compare"
        );
    }
    assert!(
        report.is_empty(),
        "{what}: the engine and dllhound disagree:{report}"
    );
}

/// The engine's (recording, host, DLL) pairs that `branch` corroborates.
pub fn engine_pairs(group: &str, alerts: &[Alert], branch: &str) -> BTreeSet<Pair> {
    alerts
        .iter()
        .filter(|a| !a.signal && a.suppressed_by.is_none() && a.branches.contains(&branch))
        .map(|a| pair(group, &a.host, a.dll.original()))
        .collect()
}
