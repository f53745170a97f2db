//! Command-line arguments (DESIGN.md §7).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// Finds MITRE ATT&CK AN0052 in Windows telemetry: a DLL loaded from a temp, user-writable or network
/// path, or unsigned, that was also freshly written, run through rundll32/regsvr32, or followed by an
/// outbound connection from its loader.
#[derive(Debug, Parser)]
#[command(name = "dllhound", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, folders, .zip/.gz archives or stdin (-) and report AN0052 alerts.
    Scan(ScanArgs),
    /// Show how dllhound classifies module paths (path classes and comparison key), one per line.
    Classify(ClassifyArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Sniff each input (EVTX, zip, gzip, JSON lines) and each JSON record's shape.
    Auto,
    /// Binary EVTX only.
    Evtx,
    /// JSON lines in any Sysmon shape (evtx_dump, OTRF, NXLog, Winlogbeat 6).
    SysmonJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Ndjson,
    Csv,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, folders (walked recursively), .zip/.gz archives, or - for stdin.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    /// Default: table on a terminal, ndjson otherwise.
    #[arg(long, value_enum)]
    pub output_format: Option<OutputFormat>,
    /// Write alerts here instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Correlation window for every branch (e.g. 90s, 5m).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub window: Duration,
    /// Override the window of branch (a), fresh write.
    #[arg(long, value_parser = parse_duration)]
    pub window_fresh_write: Option<Duration>,
    /// Override the window of branch (b), rundll32/regsvr32 run.
    #[arg(long, value_parser = parse_duration)]
    pub window_follow_on: Option<Duration>,
    /// Override the window of branch (c), outbound network.
    #[arg(long, value_parser = parse_duration)]
    pub window_network: Option<Duration>,
    /// How late an event may arrive behind its host's newest event and still be matched.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub lateness: Duration,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Also emit uncorroborated triggers as low-severity signals.
    #[arg(long)]
    pub signals: bool,
    /// Replace the built-in path-class table with this YAML file (see `dllhound classify --show-table`).
    #[arg(long)]
    pub path_classes: Option<PathBuf>,
    /// How many located decode errors to print per input.
    #[arg(long, default_value_t = 5)]
    pub max_errors_shown: usize,
    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Module paths to classify.
    pub paths: Vec<String>,
    /// Print the built-in path-class table.
    #[arg(long)]
    pub show_table: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (try 90s, 5m, 1h)"))
}
