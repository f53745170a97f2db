//! The IR bundle (children, file history, lineage) on the real recordings in `$DLLHOUND_REAL_DATA`,
//! checked against what each recording holds.
//!
//! The expected sets are derived from the recording's decoded events directly (every process start,
//! every file event), not from the correlator: for each alert, the children are the starts whose
//! parent is the loader within the widest window after the first load, the history is every file
//! event of the DLL's path on that host, and the parent is what the loader's own start record names.
//! Run by `.ci/run` with `--include-ignored`.

use dllhound_detect::branches::index_key;
use dllhound_detect::{Alert, Config};
use dllhound_engine::scan;
use dllhound_ingest::{read_input, Input, ReadOptions};
use dllhound_model::{Event, EventKind, Provenance};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

mod common;
use common::data_dir;

/// The attack recordings: every file expected.tsv judges SHOULD_FIRE or UNCLEAR.
fn attack_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let mut files: Vec<PathBuf> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let file = cols.next()?;
            let judgement = cols.next()?;
            matches!(judgement, "SHOULD_FIRE" | "UNCLEAR").then(|| dir.join(file))
        })
        .collect();
    files.sort();
    files.dedup();
    files
}

fn host_id(h: &str) -> String {
    dllhound_model::host::identity(h).to_ascii_lowercase()
}

fn provs<'a>(v: impl IntoIterator<Item = &'a Provenance>) -> BTreeSet<String> {
    v.into_iter().map(|p| p.to_string()).collect()
}

#[derive(Default)]
struct Totals {
    alerts: usize,
    children: usize,
    history: usize,
    parents: usize,
    files: usize,
}

fn check(alert: &Alert, events: &[Event], window_ms: i64, t: &mut Totals) -> Vec<String> {
    let mut failures = Vec::new();
    let host = host_id(&alert.host);
    let on_host = || events.iter().filter(|e| host_id(&e.host) == host);
    let t0 = alert.time.millis();
    // Children: every start the recording shows the loader making within the window.
    let want: BTreeSet<String> = provs(on_host().filter_map(|e| match &e.kind {
        EventKind::ProcessStart(p)
            if p.parent.as_ref() == Some(&alert.process)
                && e.time.millis() >= t0
                && e.time.millis() <= t0 + window_ms =>
        {
            Some(&e.provenance)
        }
        _ => None,
    }));
    let got = provs(alert.children.iter().map(|c| &c.provenance));
    if !want.is_subset(&got) {
        failures.push(format!(
            "{} children: want {want:?}, got {got:?}",
            alert.dll
        ));
    }
    // Every listed child is one of the loader's (later loads of the DLL may add their own window).
    let any_child: BTreeSet<String> = provs(on_host().filter_map(|e| match &e.kind {
        EventKind::ProcessStart(p)
            if p.parent.as_ref() == Some(&alert.process) && e.time.millis() >= t0 =>
        {
            Some(&e.provenance)
        }
        _ => None,
    }));
    if !got.is_subset(&any_child) {
        failures.push(format!(
            "{} lists a child that is not the loader's: {got:?}",
            alert.dll
        ));
    }
    t.children += want.len();
    // File history: every file event of the DLL's path on this host.
    let key = index_key(alert.dll.match_key()).0.to_owned();
    let want: BTreeSet<String> = provs(on_host().filter_map(|e| match &e.kind {
        EventKind::FileWrite(w) if index_key(w.target.match_key()).0 == key => Some(&e.provenance),
        _ => None,
    }));
    let got = provs(alert.file_history.iter().map(|h| &h.provenance));
    if want != got {
        failures.push(format!("{} history: want {want:?}, got {got:?}", alert.dll));
    }
    t.history += want.len();
    t.files += alert.children.iter().map(|c| c.files.len()).sum::<usize>();
    // Lineage: the parent the loader's start record names.
    let start = on_host().find_map(|e| match &e.kind {
        EventKind::ProcessStart(p) if p.process == alert.process => Some(p),
        _ => None,
    });
    if let Some(s) = start {
        let want = s.parent_image.as_ref().map(|p| p.original().to_owned());
        let got = alert
            .parent
            .executable
            .as_ref()
            .map(|p| p.original().to_owned());
        if want != got {
            failures.push(format!("{} parent: want {want:?}, got {got:?}", alert.dll));
        }
        t.parents += usize::from(want.is_some());
    } else if alert.parent.entity_id.is_some() || alert.parent.executable.is_some() {
        failures.push(format!(
            "{}: a parent without the loader's start record",
            alert.dll
        ));
    }
    failures
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings; .ci/run sets it)"]
fn every_attack_alert_carries_the_children_history_and_parent_its_recording_shows() {
    let dir = data_dir();
    let files = attack_files(&dir);
    assert!(files.len() >= 14, "{} attack recordings", files.len());
    let cfg = Config::default();
    let window = cfg.max_window_ms();
    let mut totals = Totals::default();
    let mut failures = Vec::new();
    let mut by_action: HashMap<&'static str, usize> = HashMap::new();
    for f in &files {
        let input = Input::Path(f.clone());
        let out = scan(std::slice::from_ref(&input), &ReadOptions::default(), &cfg);
        if out.outcome.stats.history_evictions > 0 {
            eprintln!(
                "{}: {} file-history entries over the per-host caps",
                f.display(),
                out.outcome.stats.history_evictions
            );
        }
        let mut events = Vec::new();
        read_input(&input, &ReadOptions::default(), &mut |e| events.push(e));
        for a in &out.outcome.alerts {
            totals.alerts += 1;
            for h in &a.file_history {
                *by_action.entry(h.action).or_default() += 1;
            }
            for x in check(a, &events, window, &mut totals) {
                failures.push(format!("{}: {x}", f.display()));
            }
        }
    }
    eprintln!(
        "{} alerts in {} recordings: {} children, {} child file writes, {} history entries {:?}, {} parents checked",
        totals.alerts,
        files.len(),
        totals.children,
        totals.files,
        totals.history,
        by_action,
        totals.parents
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(totals.alerts >= 14, "too little was checked");
    assert!(
        totals.children > 0 && totals.history > 0,
        "nothing to compare"
    );
}
