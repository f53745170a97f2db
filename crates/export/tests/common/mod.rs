//! Shared by the engine tests: the real recordings, normalised events rendered as the documents
//! each target's profile reads, and the engine's own answer per branch.
#![allow(dead_code)]

pub mod ecs;

use dllhound_detect::{Alert, Config, Correlator};
use dllhound_ingest::{expand_inputs, read_input, ReadOptions};
use dllhound_model::Event;
use std::collections::BTreeSet;
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

/// The engine's (recording, host, DLL) pairs that `branch` corroborates.
pub fn engine_pairs(group: &str, alerts: &[Alert], branch: &str) -> BTreeSet<Pair> {
    alerts
        .iter()
        .filter(|a| !a.signal && a.suppressed_by.is_none() && a.branches.contains(&branch))
        .map(|a| pair(group, &a.host, a.dll.original()))
        .collect()
}
