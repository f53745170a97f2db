//! `dllhound`: finds MITRE ATT&CK analytic AN0052 in Windows endpoint telemetry.
//!
//! This binary is dispatch only: argument parsing lives in `args.rs`, each subcommand in `cmd/`.
//! It is the only place that prints to the terminal or picks an exit status:
//! 0 the run completed and every input was read; 2 it completed but some input could not be read or
//! decoded; 3 usage or fatal error. A closed pipe (`dllhound scan … | head`) ends quietly with 0.

mod args;
mod cmd;
mod show;
mod stats_json;
mod summary;
mod terminal;

use clap::Parser;

/// mimalloc: decoding allocates many short strings per record; measured faster than glibc's malloc
/// on the LSASS_campaign_05 scan (see BENCHMARKS.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 3 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        args::Command::Scan(a) => cmd::scan::run(a),
        args::Command::Explain(a) => cmd::explain::run(a),
        args::Command::Classify(a) => cmd::classify::run(a),
        args::Command::Tuning(args::TuningCommand::Show) => cmd::tuning::show(),
        args::Command::Tuning(args::TuningCommand::Check(a)) => cmd::tuning::check(*a),
        args::Command::Baseline(args::BaselineCommand::Learn(a)) => cmd::baseline::learn(a),
        args::Command::Coverage(a) => cmd::coverage::run(a),
        args::Command::Export(a) => cmd::export::run(a),
        args::Command::Simulate(a) => cmd::simulate::run(a),
        args::Command::Stream(a) => cmd::stream::run(*a),
        args::Command::Report(a) => cmd::report::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("dllhound: error: {e:#}");
            ExitCode::from(3)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
