//! `dllhound classify`: how a path is seen by the trigger.

use crate::args::ClassifyArgs;
use anyhow::Result;
use dllhound_detect::PathClasses;
use dllhound_model::WinPath;
use dllhound_report::escape_control;
use std::process::ExitCode;

pub fn run(a: ClassifyArgs) -> Result<ExitCode> {
    let table = PathClasses::builtin();
    if a.show_table {
        print!("{}", table.source());
    }
    for p in &a.paths {
        let w = WinPath::new(p);
        let classes: Vec<&str> = table.classify(&w).iter().map(|c| c.as_str()).collect();
        println!(
            "{}\t{}\t{}",
            escape_control(p),
            if classes.is_empty() {
                "-".to_string()
            } else {
                classes.join(",")
            },
            escape_control(w.normalised())
        );
    }
    Ok(ExitCode::SUCCESS)
}
