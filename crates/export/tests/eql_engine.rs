//! The exported EQL, run by Elastic's own EQL engine (PyPI `eql`, `$DLLHOUND_EQL_PYTHON`) over
//! events rendered as Elastic Agent Sysmon documents, against `dllhound`'s own alerts on the same
//! events, branch by branch: (a) and (c) must find the same (recording, host, DLL) pairs; (b) may
//! only find fewer, by its documented approximation (it asks for a rundll32 / regsvr32 that loads
//! the module itself).

mod common;

use common::{
    by_branch, compare, ecs, engine_and_docs, fleet, pair, real_groups, run_harness, scratch, Pair,
};
use dllhound_detect::Config;
use dllhound_export::{export, Analytic, Target};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn python() -> PathBuf {
    std::env::var_os("DLLHOUND_EQL_PYTHON")
        .map(PathBuf::from)
        .expect(
            "DLLHOUND_EQL_PYTHON must name a Python that has PyPI eql 1.0.1 (.ci/run makes one)",
        )
}

/// The EQL engine's pairs per branch.
fn run_eql(docs: &[serde_json::Value], cfg: &Config) -> BTreeMap<String, BTreeSet<Pair>> {
    let dir = scratch("eql");
    let x = export(Target::Eql, &Analytic::from_config(cfg));
    let manifest = dir.join("manifest.json");
    std::fs::write(&manifest, x.manifest().to_string()).expect("manifest");
    let hits = run_harness(&python(), "eql_run.py", &manifest, docs, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    by_branch(&x, hits)
}

#[test]
#[ignore = "needs DLLHOUND_EQL_PYTHON (a Python with PyPI eql)"]
fn eql_engine_agrees_with_dllhound_per_branch_on_a_simulated_fleet() {
    let (groups, planted) = fleet();
    let cfg = Config::default();
    let (engine, docs) = engine_and_docs(groups, ecs::document, &cfg);
    for p in &planted {
        let want = pair("fleet", &p.host, &p.dll);
        assert!(
            engine[p.branch].contains(&want),
            "dllhound misses planted {p:?}"
        );
    }
    compare(
        "EQL, simulated fleet:",
        &engine,
        &run_eql(&docs, &cfg),
        &["fresh_write", "outbound_network"],
    );
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings) and DLLHOUND_EQL_PYTHON (PyPI eql)"]
fn eql_engine_agrees_with_dllhound_per_branch_on_the_real_recordings() {
    let cfg = Config::default();
    let (engine, docs) = engine_and_docs(real_groups(), ecs::document, &cfg);
    compare(
        "EQL, real recordings:",
        &engine,
        &run_eql(&docs, &cfg),
        &["fresh_write", "outbound_network"],
    );
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings) and DLLHOUND_EQL_PYTHON (PyPI eql)"]
fn eql_engine_agrees_with_dllhound_with_a_learned_baseline_folded_in() {
    let cfg = Config {
        baseline: Some(common::real_baseline()),
        ..Config::default()
    };
    let mut groups = real_groups();
    groups.extend(fleet().0);
    let (without, _) = engine_and_docs(groups.clone(), ecs::document, &Config::default());
    let (engine, docs) = engine_and_docs(groups, ecs::document, &cfg);
    let suppressed: usize = common::BRANCHES
        .iter()
        .map(|b| without[b].len() - engine[b].len())
        .sum();
    eprintln!("the baseline suppresses {suppressed} branch pairs");
    assert!(
        suppressed > 0,
        "the baseline must suppress something for this test to mean anything"
    );
    compare(
        "EQL, real recordings, with the baseline:",
        &engine,
        &run_eql(&docs, &cfg),
        &["fresh_write", "outbound_network"],
    );
}
