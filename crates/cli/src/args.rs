//! Command-line arguments (DESIGN.md §7).

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use dllhound_ingest::FormatChoice;
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
    /// Everything known about one alert or incident: re-reads the inputs and prints the evidence,
    /// lineage, children, the DLL's file history and prevalence, each line with its record.
    Explain(ExplainArgs),
    /// Show how dllhound classifies module paths (path classes and comparison key), one per line.
    Classify(ClassifyArgs),
    /// The tuning shipped in the binary.
    #[command(subcommand)]
    Tuning(TuningCommand),
    /// Learn a prevalence baseline of trigger loads.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Can AN0052 fire? Per host from the telemetry, and from a Sysmon configuration (--sysmon-config).
    Coverage(CoverageArgs),
    /// Write the tuned analytic as rules in a SIEM's language (Sigma, EQL, ES|QL, KQL, SPL), with
    /// what the language cannot express exactly.
    Export(ExportArgs),
    /// Write synthetic fleet telemetry (Sysmon JSON lines) with planted AN0052 chains.
    Simulate(SimulateArgs),
    /// Turn saved alerts (NDJSON) into a self-contained HTML triage report.
    Report(ReportArgs),
    /// Detect continuously: stdin (-), a growing file (--follow), or a Kafka consumer group.
    /// Each alert is written as soon as its first corroborator arrives, each id once.
    Stream(Box<StreamArgs>),
}

#[derive(Debug, Args)]
pub struct StreamArgs {
    /// `-` reads stdin until it ends.
    #[arg(required_unless_present_any = ["follow", "kafka_brokers"], conflicts_with_all = ["follow", "kafka_brokers"])]
    pub source: Option<String>,
    /// Follow a growing file (JSON lines), like `tail -F`: across rotation and truncation.
    #[arg(long, conflicts_with = "kafka_brokers")]
    pub follow: Option<PathBuf>,
    /// Consume a Kafka topic as a member of a consumer group (HOST:PORT[,HOST:PORT…]).
    #[arg(long, requires_all = ["topic", "group"])]
    pub kafka_brokers: Option<String>,
    /// The telemetry topic (records keyed by host).
    #[arg(long, requires = "kafka_brokers")]
    pub topic: Option<String>,
    /// The consumer group.
    #[arg(long, requires = "kafka_brokers")]
    pub group: Option<String>,
    /// Static assignment of these partitions (e.g. 0,1) instead of the group's.
    #[arg(long, value_delimiter = ',', requires = "kafka_brokers")]
    pub partitions: Vec<i32>,
    /// A librdkafka setting (SASL, TLS, …), e.g. security.protocol=SASL_SSL; may be repeated.
    #[arg(long = "kafka-config", value_parser = parse_key_value, requires = "kafka_brokers")]
    pub kafka_config: Vec<(String, String)>,
    /// Also write alerts to this Kafka topic, keyed by alert id.
    #[arg(long, requires = "kafka_brokers")]
    pub alerts_topic: Option<String>,
    /// Copy undecodable messages here (headers say where they came from and why).
    #[arg(long, requires = "kafka_brokers")]
    pub dead_letter_topic: Option<String>,
    /// Append alerts (NDJSON) to this file instead of writing them to stdout; ids already in it are
    /// not written again.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Write no alerts to stdout (with --alerts-topic).
    #[arg(long)]
    pub no_stdout: bool,
    #[command(flatten)]
    pub show: crate::show::ShowArgs,
    /// Also write an update record (same id, `event.action: "update"`) when an alert's window closes
    /// with more evidence, children or file history than it was first written with.
    #[arg(long)]
    pub updates: bool,
    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9464).
    #[arg(long)]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Stop after this long without new input (e.g. 30s; with Kafka, counted from the last message
    /// or partition assignment); default: run until the input ends or a signal (SIGINT/SIGTERM).
    #[arg(long, value_parser = parse_duration)]
    pub idle_exit: Option<Duration>,
    /// Kafka: stop once librdkafka reports every assigned partition read to its end (and nothing
    /// came for half a second): a replay of a topic, then exit.
    #[arg(long, requires = "kafka_brokers")]
    pub until_end: bool,
    /// How to read records (auto: sniffed per record).
    #[arg(long, default_value = "auto", value_parser = input_format())]
    pub input_format: FormatChoice,
    #[command(flatten)]
    pub detect: DetectArgs,
    /// At exit, write the run's accounting as JSON to this file.
    #[arg(long)]
    pub stats_json: Option<PathBuf>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("{s:?} is not key=value")),
    }
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Hosts in the fleet.
    #[arg(long, default_value_t = 10)]
    pub hosts: u32,
    /// Background records to write (ignored with --size).
    #[arg(long, default_value_t = 100_000)]
    pub events: u64,
    /// Approximate output size instead of --events (e.g. 500MB, 10GB).
    #[arg(long, value_parser = parse_size)]
    pub size: Option<u64>,
    /// Attack chains to plant (branches rotate: fresh write, rundll32, outbound network).
    #[arg(long, default_value_t = 9)]
    pub attacks: u32,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 52)]
    pub seed: u64,
    /// Length of the recording (e.g. 8h, 1d).
    #[arg(long, default_value = "8h", value_parser = parse_duration)]
    pub span: Duration,
    /// Where to write the telemetry (default: stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Where to write the ground truth (JSON lines, one planted chain each).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Write a hostile flood instead of a fleet: --events records inside one minute, every one a new
    /// process and DLL path, some dated 9999 or 1970, then one real chain on the first host. For
    /// testing the memory cap (`scan --max-memory`).
    #[arg(long)]
    pub flood: bool,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_uppercase();
    let (num, mult) = [
        ("GIB", 1u64 << 30),
        ("MIB", 1 << 20),
        ("KIB", 1 << 10),
        ("GB", 1 << 30),
        ("G", 1 << 30),
        ("MB", 1 << 20),
        ("M", 1 << 20),
        ("KB", 1 << 10),
        ("K", 1 << 10),
        ("B", 1),
    ]
    .iter()
    .find_map(|(suf, m)| t.strip_suffix(suf).map(|n| (n.trim().to_string(), *m)))
    .unwrap_or((t.clone(), 1));
    num.parse::<f64>()
        .map(|n| (n * mult as f64) as u64)
        .map_err(|_| format!("{s:?} is not a size (try 500MB, 10GB)"))
}

#[derive(Debug, Subcommand)]
pub enum TuningCommand {
    /// Print the default tuning (YAML; the same format --allowlist reads).
    Show,
    /// Check an allowlist before you rely on it: schema, types, globs, hashes, duplicate ids and
    /// expiry dates, every mistake at once; with --against, how many triggers each entry would
    /// suppress in those inputs. Exit 0: valid; 1: valid, but an entry has expired; 3: invalid.
    Check(Box<TuningCheckArgs>),
}

#[derive(Debug, Args)]
pub struct TuningCheckArgs {
    /// The allowlist (YAML, the format `dllhound tuning show` prints).
    pub file: PathBuf,
    /// Telemetry to try it on (files, folders, archives; not stdin, which is read twice): each
    /// entry's count of triggers it would suppress, and how many of those are corroborated.
    #[arg(long, num_args = 1.., value_name = "PATHS")]
    pub against: Vec<PathBuf>,
    /// How to read the --against inputs.
    #[arg(long, default_value = "auto", value_parser = input_format())]
    pub input_format: FormatChoice,
    /// table (default) or json.
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub output_format: CheckFormat,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// The rest of the tuning the entries would run with (--allowlist, --no-default-tuning,
    /// --baseline) and the windows, as given to `scan`.
    #[command(flatten)]
    pub detect: DetectArgs,
}

/// `tuning check --output-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Count normalised (loader, DLL path pattern, signer) triples of trigger loads over hosts and days.
    Learn(BaselineLearnArgs),
}

#[derive(Debug, Args)]
pub struct BaselineLearnArgs {
    /// Files, folders, archives or - for stdin: telemetry from the environment to learn.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Where to write the baseline (JSON).
    #[arg(short, long)]
    pub output: PathBuf,
    /// How to read the inputs: sniffed (auto), or one format only (see README: Using it).
    #[arg(long, default_value = "auto", value_parser = input_format())]
    pub input_format: FormatChoice,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Files, folders, archives or - for stdin (optional with --sysmon-config).
    #[arg(required_unless_present = "sysmon_config")]
    pub paths: Vec<PathBuf>,
    /// Judge this Sysmon configuration (XML): which parts of AN0052 it lets Sysmon log, and the
    /// rule that drops each probe. With PATHS too, compares it with what each host sent.
    #[arg(long, value_name = "FILE.xml")]
    pub sysmon_config: Option<PathBuf>,
    /// With --sysmon-config: the smallest change that makes every part logged, at bounded volume
    /// (checked by evaluating the changed configuration).
    #[arg(long, requires = "sysmon_config")]
    pub suggest: bool,
    /// With --sysmon-config: write the configuration with the suggestion applied to this file.
    #[arg(long, value_name = "FILE.xml", requires = "sysmon_config")]
    pub write_config: Option<PathBuf>,
    /// With --sysmon-config: your own probe table instead of the shipped one (same TSV shape;
    /// see crates/sysmon/data/README.md).
    #[arg(long, value_name = "FILE.tsv", requires = "sysmon_config")]
    pub probes: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = CoverageFormat::Table)]
    pub output_format: CoverageFormat,
    /// How to read the inputs: sniffed (auto), or one format only (see README: Using it).
    #[arg(long, default_value = "auto", value_parser = input_format())]
    pub input_format: FormatChoice,
    /// Write the report here instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// An alert id or an incident id (or a unique prefix of one, 6 digits or more).
    pub id: String,
    /// The inputs the alert came from (as given to `scan`).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[arg(long, default_value = "auto", value_parser = input_format())]
    pub input_format: FormatChoice,
    /// Default: table on a terminal, markdown otherwise.
    #[arg(long, value_enum)]
    pub output_format: Option<ExplainFormat>,
    #[command(flatten)]
    pub color: crate::terminal::ColorArgs,
    /// Write the page here instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// The same detection options as the scan that found the alert.
    #[command(flatten)]
    pub detect: DetectArgs,
}

/// `explain --output-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Table,
    Markdown,
    Json,
    Html,
}

/// `--group-by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    Incident,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    /// One JSON record per line (also `jsonl`, `json`).
    #[value(aliases = ["jsonl", "json"])]
    Ndjson,
    /// One row per finding.
    Csv,
    /// One row per evidence event, sorted by time, Hayabusa-style columns (also `timeline`).
    #[value(alias = "timeline")]
    TimelineCsv,
    /// A self-contained triage report (use with -o report.html).
    Html,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Saved alerts: NDJSON from `scan` or `stream` (- for stdin).
    #[arg(required = true)]
    pub alerts: Vec<PathBuf>,
    /// Where to write the report.
    #[arg(short, long)]
    pub output: PathBuf,
    /// The run's accounting (`scan --stats-json`), shown in the overview.
    #[arg(long)]
    pub stats: Option<PathBuf>,
    /// Coverage verdicts (`dllhound coverage --output-format json`), shown in the overview.
    #[arg(long)]
    pub coverage: Option<PathBuf>,
    /// The report's title.
    #[arg(long, default_value = "dllhound triage report")]
    pub title: String,
}

/// The analytic itself: shared by `scan`, `stream`, `explain` and `export`.
#[derive(Debug, Args)]
pub struct AnalyticArgs {
    /// Correlation window for every branch (e.g. 90s, 5m).
    #[arg(long, default_value = "5m", value_parser = parse_window)]
    pub window: Duration,
    /// `--window-<name>` for each branch window (generated from the branch registry).
    #[command(flatten)]
    pub branch_windows: BranchWindows,
    /// Replace the built-in path-class table with this YAML file (see `dllhound classify --show-table`).
    #[arg(long)]
    pub path_classes: Option<PathBuf>,
    /// An allowlist (YAML, the format `dllhound tuning show` prints); may be repeated.
    #[arg(long)]
    pub allowlist: Vec<PathBuf>,
    /// Do not apply the default tuning shipped in the binary.
    #[arg(long)]
    pub no_default_tuning: bool,
}

/// `dllhound export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The language to write (sigma, eql, esql, kql, spl, …).
    #[arg(long = "to", value_parser = export_target(), required_unless_present = "explain")]
    pub to: Option<dllhound_export::Target>,
    /// The data profile whose field names the rules use (each target's default is the one it has).
    #[arg(long)]
    pub profile: Option<String>,
    /// text: the rules under a commented header; json: the manifest (target, profile, rules with
    /// their approximations, excluded entries).
    #[arg(long, value_enum, default_value = "text")]
    pub format: ExportFormat,
    /// Write here instead of stdout (a folder for targets that write one file per rule).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Print what TARGET can express exactly and what it approximates (`all`: the languages side
    /// by side, as a Markdown table), and exit.
    #[arg(long, value_name = "TARGET", value_parser = explain_target(), conflicts_with = "to")]
    pub explain: Option<ExplainTarget>,
    #[command(flatten)]
    pub analytic: AnalyticArgs,
    /// The learned baseline (exported only with --include-baseline).
    #[command(flatten)]
    pub baseline: BaselineArgs,
    /// Export --baseline's rows that are common enough to suppress as exclusions, as
    /// `scan --baseline` applies them.
    #[arg(long, requires = "baseline")]
    pub include_baseline: bool,
}

/// A learned baseline and when its rows suppress: shared by `scan`, `stream`, `explain`, `export`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// A baseline from `dllhound baseline learn`: suppress triggers whose pattern is common.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// With --baseline: a pattern seen on at least this many hosts is common.
    #[arg(long, default_value_t = 3)]
    pub baseline_min_hosts: u32,
    /// With --baseline: a pattern seen on at least this many distinct days is common.
    #[arg(long, default_value_t = 3)]
    pub baseline_min_days: u32,
    /// With --baseline: also let it suppress unsigned, invalid and expired modules.
    #[arg(long)]
    pub baseline_unsigned: bool,
}

/// `export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Text,
    Json,
}

/// `export --explain`: one target, or `all` (`None`).
#[derive(Debug, Clone, Copy)]
pub struct ExplainTarget(pub Option<dllhound_export::Target>);

fn explain_target() -> impl TypedValueParser<Value = ExplainTarget> {
    let mut names: Vec<&'static str> = dllhound_export::Target::ALL.map(|t| t.name()).to_vec();
    names.push("all");
    PossibleValuesParser::new(names).map(|s| ExplainTarget(dllhound_export::Target::parse(&s)))
}

fn export_target() -> impl TypedValueParser<Value = dllhound_export::Target> {
    PossibleValuesParser::new(dllhound_export::Target::ALL.map(|t| t.name()))
        .map(|s| dllhound_export::Target::parse(&s).unwrap_or(dllhound_export::Target::ALL[0]))
}

/// What to detect and how much to remember: shared by `scan` and `stream`.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// The windows, path classes and allowlists.
    #[command(flatten)]
    pub analytic: AnalyticArgs,
    /// How late an event may arrive behind its host's newest event and still be matched.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub lateness: Duration,
    /// Also emit uncorroborated triggers as low-severity signals.
    #[arg(long)]
    pub signals: bool,
    /// The learned baseline and when it suppresses.
    #[command(flatten)]
    pub baseline: BaselineArgs,
    /// Also list suppressed triggers, each with the allowlist entry or baseline row responsible.
    #[arg(long)]
    pub show_suppressed: bool,
    /// Resident-memory cap (e.g. 512MiB, 4GiB; `none` for no cap). Held events and correlation state
    /// are kept under it; state evicted to stay under it is counted in the summary.
    #[arg(long, default_value = "1GiB", value_parser = parse_memory_cap)]
    pub max_memory: MemoryCap,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, folders (walked recursively), .zip/.gz archives, or - for stdin.
    #[arg(required_unless_present_any = ["directory", "file"])]
    pub paths: Vec<PathBuf>,
    /// A folder to scan (Hayabusa's and Chainsaw's `-d`; the same as giving it as a path). May be
    /// repeated.
    #[arg(short = 'd', long, value_name = "DIR")]
    pub directory: Vec<PathBuf>,
    /// A file to scan (Hayabusa's `-f`; the same as giving it as a path). May be repeated.
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// How to read the inputs: sniffed (auto), or one format only (see README: Using it).
    #[arg(long, default_value = "auto", value_parser = input_format())]
    pub input_format: FormatChoice,
    /// Default: table on a terminal, ndjson otherwise.
    #[arg(long, value_enum)]
    pub output_format: Option<OutputFormat>,
    /// The same as `--output-format ndjson` (Hayabusa's JSONL).
    #[arg(long, conflicts_with = "output_format")]
    pub jsonl: bool,
    #[command(flatten)]
    pub show: crate::show::ShowArgs,
    #[command(flatten)]
    pub color: crate::terminal::ColorArgs,
    /// Table and HTML: alerts of one DLL on one host under one incident (default), or flat.
    /// NDJSON and CSV are always one record per alert, each with its incident id.
    #[arg(long, value_enum, default_value = "incident")]
    pub group_by: GroupBy,
    /// Write alerts here instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub detect: DetectArgs,
    /// Correlate while reading, in bounded memory, instead of ordering each host's events first.
    /// Exact within --lateness; inputs of one host should then come in time order. Chosen
    /// automatically when the inputs are larger than --sort-limit.
    #[arg(long)]
    pub streaming: bool,
    /// Inputs larger than this in total are scanned in streaming mode (e.g. 2GB).
    #[arg(long, default_value = "2GB", value_parser = parse_size)]
    pub sort_limit: u64,
    /// Also write the run's accounting (per input: records seen, decoded, bad and why; engine
    /// counters and evictions) as JSON to this file.
    #[arg(long)]
    pub stats_json: Option<PathBuf>,
    /// How many located decode errors to print per input.
    #[arg(long, default_value_t = 5)]
    pub max_errors_shown: usize,
    /// No summary on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Also list, under the summary, the far-future or far-past events that did not move their
    /// host's clock (host, time, record; the first 20).
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
}

/// A resident-memory cap in bytes; `None`: no cap.
#[derive(Debug, Clone, Copy)]
pub struct MemoryCap(pub Option<u64>);

/// `--max-memory`: a size, or `none`.
fn parse_memory_cap(s: &str) -> Result<MemoryCap, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(MemoryCap(None));
    }
    match parse_size(s)? {
        n if n < 64 << 20 => Err(format!("{s:?} is below the 64MiB the program itself needs")),
        n => Ok(MemoryCap(Some(n))),
    }
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

/// A correlation window: a duration of at least a millisecond. A zero window would keep only
/// evidence logged in the same millisecond as the load, silently turning most alerts off.
fn parse_window(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.as_millis() == 0 {
        return Err(format!(
            "a window must be positive ({s:?} matches only evidence in the same millisecond as the load; try 90s, 5m, 1h)"
        ));
    }
    Ok(d)
}

/// `--input-format`: the names the ingest registry knows.
fn input_format() -> impl TypedValueParser<Value = FormatChoice> {
    PossibleValuesParser::new(FormatChoice::NAMES)
        .map(|s| FormatChoice::from_name(&s).unwrap_or_default())
}

/// The per-branch window overrides: one `--window-<flag>` option for every distinct window in
/// [`dllhound_detect::branches::windows`], so a new branch brings its option with it.
#[derive(Debug, Clone, Default)]
pub struct BranchWindows(pub Vec<(&'static str, Duration)>);

fn window_id(flag: &str) -> String {
    format!("window-{flag}")
}

impl clap::FromArgMatches for BranchWindows {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut v = BranchWindows::default();
        v.update_from_arg_matches(m)?;
        Ok(v)
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        for w in dllhound_detect::branches::windows() {
            if let Some(d) = m.get_one::<Duration>(&window_id(w.flag)) {
                self.0.retain(|(f, _)| *f != w.flag);
                self.0.push((w.flag, *d));
            }
        }
        Ok(())
    }
}

impl clap::Args for BranchWindows {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        dllhound_detect::branches::windows()
            .into_iter()
            .fold(cmd, |cmd, w| {
                cmd.arg(
                    clap::Arg::new(window_id(w.flag))
                        .long(window_id(w.flag))
                        .value_name("DURATION")
                        .help(w.help)
                        .value_parser(parse_window),
                )
            })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}
