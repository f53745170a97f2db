//! The two public Sysmon configurations in `$DLLHOUND_REAL_DATA/sysmon-configs` (SwiftOnSecurity's
//! and sysmon-modular), judged against the verdicts their `expected.tsv` gives, and the
//! suggestion applied to each evaluating to every part `logged`.

use dllhound_sysmon::{evaluate, probes, SysmonConfig};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn configs_dir() -> PathBuf {
    let dir = std::env::var_os("DLLHOUND_REAL_DATA")
        .expect("set DLLHOUND_REAL_DATA to the shared data folder to run the real-data tests");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir)
        .join("sysmon-configs");
    assert!(
        dir.join("expected.tsv").is_file(),
        "{} has no expected.tsv",
        dir.display()
    );
    dir
}

struct Expected {
    verdict: String,
    logged: Vec<String>,
    not_logged: Vec<String>,
}

fn expected(dir: &std::path::Path) -> BTreeMap<(String, String), Expected> {
    let text = std::fs::read_to_string(dir.join("expected.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (c, p, v, l, nl) = (
        col("config"),
        col("part"),
        col("verdict"),
        col("logged_probes"),
        col("not_logged_probes"),
    );
    let list = |s: &str| -> Vec<String> {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("");
            (
                (get(c).to_string(), get(p).to_string()),
                Expected {
                    verdict: get(v).to_string(),
                    logged: list(get(l)),
                    not_logged: list(get(nl)),
                },
            )
        })
        .collect()
}

/// The probes `expected.tsv` was written for: the shipped table restricted to those names (the
/// shipped table has more).
fn reference_probes(exp: &BTreeMap<(String, String), Expected>) -> Vec<probes::Probe> {
    let names: Vec<&String> = exp
        .values()
        .flat_map(|e| e.logged.iter().chain(&e.not_logged))
        .collect();
    probes::builtin()
        .into_iter()
        .filter(|p| names.contains(&&p.name))
        .collect()
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings; .ci/run sets it)"]
fn public_configurations_get_the_expected_verdict_and_deciding_rule_per_part() {
    let dir = configs_dir();
    let exp = expected(&dir);
    let probes = reference_probes(&exp);
    let configs: std::collections::BTreeSet<&String> = exp.keys().map(|(c, _)| c).collect();
    assert!(configs.len() >= 2);
    for name in configs {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let cfg = SysmonConfig::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let r = evaluate(name, &cfg, &probes);
        for part in &r.parts {
            let e = &exp[&(name.clone(), part.part.to_string())];
            let logged: Vec<String> = part
                .probes
                .iter()
                .filter(|p| p.logged)
                .map(|p| p.probe.clone())
                .collect();
            assert_eq!(
                part.verdict, e.verdict,
                "{name} {}: {:#?}",
                part.part, part.probes
            );
            let mut want = e.logged.clone();
            want.sort();
            let mut got = logged.clone();
            got.sort();
            assert_eq!(got, want, "{name} {}", part.part);
            for p in part.probes.iter().filter(|p| !p.logged) {
                // Every dropped probe names what dropped it: a rule with its line, or (no rule)
                // the schema or the missing section.
                match &p.rule {
                    Some(rule) => {
                        let line = text.lines().nth(rule.line as usize - 1).unwrap_or("");
                        assert!(
                            line.contains('<'),
                            "{name} {}: line {} is {line:?}",
                            p.probe,
                            rule.line
                        );
                    }
                    None => assert!(
                        p.reason.contains("schemaversion") || p.reason.contains("no <"),
                        "{name} {}: {}",
                        p.probe,
                        p.reason
                    ),
                }
            }
        }
    }
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings; .ci/run sets it)"]
fn the_suggestion_applied_to_each_public_configuration_logs_every_part() {
    let dir = configs_dir();
    let exp = expected(&dir);
    let configs: std::collections::BTreeSet<&String> = exp.keys().map(|(c, _)| c).collect();
    let table = probes::builtin();
    for name in configs {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let cfg = SysmonConfig::parse(&text).unwrap();
        assert!(
            !evaluate(name, &cfg, &table).all_logged(),
            "{name} has gaps to fix"
        );
        let s = dllhound_sysmon::suggest::suggest(
            &text,
            &cfg,
            &table,
            &dllhound_detect::PathClasses::builtin(),
        );
        assert!(!s.is_empty());
        assert!(s.remaining.is_empty(), "{name}: {:?}", s.remaining);
        let fixed = dllhound_sysmon::suggest::apply(&text, &cfg, &s);
        let after = evaluate(name, &SysmonConfig::parse(&fixed).unwrap(), &table);
        assert!(after.all_logged(), "{name}: {:#?}", after.parts);
        // The rest of the configuration is untouched: every original line outside the removed
        // rules, but the schema line, is still there, in order.
        let line_of = |pos: usize| text[..pos].matches('\n').count();
        let removed: std::collections::BTreeSet<usize> = s
            .removals
            .iter()
            .flat_map(|r| r.ranges.iter())
            .flat_map(|r| line_of(r.start)..=line_of(r.end))
            .collect();
        let kept: Vec<&str> = fixed.lines().collect();
        let mut at = 0;
        for (i, l) in text.lines().enumerate() {
            if removed.contains(&i) || l.contains("schemaversion=") {
                continue;
            }
            let k = kept[at..].iter().position(|x| x == &l);
            assert!(k.is_some(), "{name}: line {} {l:?} lost", i + 1);
            at += k.unwrap_or(0) + 1;
        }
    }
}
