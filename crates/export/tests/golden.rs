//! Every target's export of the default analytic, as a golden file: a change to the path-class
//! table, the tuning, the windows or an emitter shows in review as a change to `tests/golden/`.
//! `DLLHOUND_UPDATE_GOLDEN=1 cargo test -p dllhound-export --test golden` rewrites them.

use dllhound_detect::Config;
use dllhound_export::{export, Analytic, Target};
use std::path::Path;

#[test]
fn every_target_matches_its_golden_file() {
    let a = Analytic::from_config(&Config::default());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("DLLHOUND_UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for t in Target::ALL {
        let text = export(t, &a).to_text();
        let path = dir.join(format!("{}.txt", t.name()));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (DLLHOUND_UPDATE_GOLDEN=1 writes it)",
                path.display()
            )
        });
        if want != text {
            stale.push(t.name());
        }
    }
    assert!(
        stale.is_empty(),
        "exports differ from tests/golden for {stale:?}: review the change, then DLLHOUND_UPDATE_GOLDEN=1"
    );
}
