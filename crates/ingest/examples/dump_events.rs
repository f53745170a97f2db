//! Prints every decoded event of the inputs given, one per line (a debugging aid for decoders).
//!
//! `cargo run --example dump_events -p dllhound-ingest -- FILE...`

use dllhound_ingest::{expand_inputs, read_input, ReadOptions};
use std::path::PathBuf;

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let (inputs, errors) = expand_inputs(&args);
    for e in errors {
        eprintln!("{e}");
    }
    for input in &inputs {
        let stats = read_input(input, &ReadOptions::default(), &mut |e| {
            println!("{} {} {:?}", e.time, e.provenance, e.kind)
        });
        eprintln!(
            "{}: {} ok, {} bad",
            stats.input, stats.records_ok, stats.records_bad
        );
    }
}
