//! One `--output-format` vocabulary: `table` and `json` mean the same in every subcommand that
//! writes findings, coverage or a check, and `json` is machine-readable in each.

mod fixtures;

use fixtures::{dllhound, EXAMPLE};

fn run(args: &[&str]) -> (i32, String) {
    let o = dllhound(args);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn table_and_json_are_accepted_everywhere_and_json_parses() {
    let allow = std::env::temp_dir().join(format!("dllhound-formats-{}.yaml", std::process::id()));
    std::fs::write(&allow, "- id: x\n  reason: y\n  loader: 'C:\\x.exe'\n").unwrap();
    let allow = allow.to_str().unwrap().to_string();
    let commands: [Vec<&str>; 4] = [
        vec!["scan", "-q", EXAMPLE],
        vec!["explain", "05ce45b8", EXAMPLE],
        vec!["coverage", EXAMPLE],
        vec!["tuning", "check", &allow],
    ];
    for c in &commands {
        for f in ["table", "json"] {
            let mut args = c.clone();
            args.extend(["--output-format", f]);
            let (code, out) = run(&args);
            assert_eq!(code, 0, "{args:?}");
            assert!(!out.trim().is_empty(), "{args:?}");
            if f == "json" {
                let whole = serde_json::from_str::<serde_json::Value>(&out).is_ok();
                let lines = out
                    .lines()
                    .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok());
                assert!(whole || lines, "{args:?} is not JSON:\n{out}");
            }
        }
    }
}
