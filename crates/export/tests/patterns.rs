//! The path-class table, translated: for every module path the recordings and a simulated fleet
//! load (and a list of spellings that trip translations up), the regular expression KQL and SPL
//! use says "suspicious folder" exactly when the engine does, and the wildcard patterns EQL, Sigma
//! and ES|QL use never miss a path the engine classes (they may be wider: `*` crosses folders).

mod common;

use dllhound_detect::PathClasses;
use dllhound_export::glob::{any_regex, Glob};
use dllhound_model::{EventKind, WinPath};

const SPELLINGS: &[&str] = &[
    r"C:\Users\bob\AppData\Local\Temp\x.dll",
    r"c:\users\bob\appdata\local\temp\sub\x.dll",
    r"\Device\HarddiskVolume3\Users\Public\x.dll",
    r"\\?\C:\ProgramData\x.dll",
    r"\??\C:\Windows\Temp\x.dll",
    r"\\10.0.0.5\share\x.dll",
    r"\Device\Mup\host\share\x.dll",
    r"\\?\UNC\host\share\x.dll",
    r"\\evil.com@SSL\DavWWWRoot\x.dll",
    r"\\host@8080\dav\x.dll",
    r"C:\Windows \System32\winmm.dll",
    r"C:\Windows\System32\kernel32.dll",
    r"C:\Program Files\App\x.dll",
    r"C:\Windows\Installer\MSI1A2B.tmp-\x.dll",
    r"D:\temp\x.dll",
    r"C:\Windows\System32\spool\drivers\color\x.dll",
    r"C:\PROGRA~3\x.dll",
    r"C:\Users\x.dll",
];

/// Wildcards as the target engines read them: `*` any run, `?` one character, case-insensitive.
fn wildcard_regex(w: &str) -> String {
    let mut s = String::from("(?i)^");
    for c in w.chars() {
        match c {
            '*' => s.push_str(".*"),
            '?' => s.push('.'),
            c => s.push_str(&regex::escape(&c.to_string())),
        }
    }
    s.push('$');
    s
}

fn check(paths: &[String]) -> (usize, usize) {
    let table = PathClasses::builtin();
    let globs: Vec<Glob> = table.globs().iter().map(|(_, g)| Glob::parse(g)).collect();
    let exact = regex::Regex::new(&any_regex(&globs)).expect("the class regex compiles");
    let wild: Vec<regex::Regex> = globs
        .iter()
        .flat_map(Glob::wildcards)
        .map(|w| regex::Regex::new(&wildcard_regex(&w)).expect("wildcard"))
        .collect();
    let mut classed = 0;
    let mut wider = 0;
    for p in paths {
        let engine = !table.classify(&WinPath::new(p)).is_empty();
        assert_eq!(
            exact.is_match(p),
            engine,
            "regex and engine disagree on {p}"
        );
        let w = wild.iter().any(|r| r.is_match(p));
        assert!(
            w || !engine,
            "the wildcards miss {p}, which the engine classes"
        );
        classed += usize::from(engine);
        wider += usize::from(w && !engine);
    }
    (classed, wider)
}

#[test]
fn translations_agree_with_the_engine_on_tricky_spellings_and_a_fleet() {
    let mut paths: Vec<String> = SPELLINGS.iter().map(|s| s.to_string()).collect();
    let (groups, _) = common::fleet();
    for (_, evs) in groups {
        for e in evs {
            if let EventKind::ImageLoad(l) = e.kind {
                paths.push(l.dll.original().to_string());
            }
        }
    }
    paths.sort();
    paths.dedup();
    let (classed, _) = check(&paths);
    assert!(
        classed >= 12,
        "the list exercises the classes: {classed} classed"
    );
}

#[test]
#[ignore = "needs DLLHOUND_REAL_DATA (the shared recordings)"]
fn translations_agree_with_the_engine_on_every_module_the_recordings_load() {
    let mut paths = Vec::new();
    for (_, evs) in common::real_groups() {
        for e in evs {
            if let EventKind::ImageLoad(l) = e.kind {
                paths.push(l.dll.original().to_string());
            }
        }
    }
    paths.sort();
    paths.dedup();
    let (classed, wider) = check(&paths);
    eprintln!(
        "{} module paths, {classed} classed, {wider} more matched by the wildcards",
        paths.len()
    );
    assert!(classed > 0);
}
