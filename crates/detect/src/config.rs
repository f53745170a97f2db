//! Detection settings.

use crate::baseline::BaselinePolicy;
use crate::branches::DEFAULT_WINDOW_MS;
use crate::tuning::Tuning;
use crate::PathClasses;
use std::collections::BTreeMap;

/// How the correlator matches and how much it remembers. Times are milliseconds of event time.
#[derive(Debug, Clone)]
pub struct Config {
    /// Each branch's window, by its window name ([`crate::branches::WindowInfo::flag`]): how far
    /// from the load (before, after or both: the branch's file says) its evidence may be.
    pub windows: BTreeMap<&'static str, i64>,
    /// How late (in event time) an event may arrive behind the newest one of its host and still count.
    pub lateness_ms: i64,
    /// How long process-start details are kept for enrichment (loader command line, parent). An
    /// hour: long-lived loaders (services started at boot) then lose their command line in the alert,
    /// in exchange for memory that does not grow with the number of processes a fleet starts.
    pub process_retention_ms: i64,
    /// Per-host cap on held records of each kind; the oldest are dropped first, and counted.
    pub max_records_per_host: usize,
    /// The run's memory cap in bytes (`usize::MAX`: none): the pipelines in [`crate::pipeline`] split
    /// it between events held for sorting and the correlators' [`Config::max_state_bytes`].
    pub memory_cap: usize,
    /// One correlator's budget for the estimated bytes of held state (records, pending triggers, hosts); when it is
    /// reached the oldest state is evicted (counted in `Stats::memory_evictions`). `usize::MAX`: none.
    pub max_state_bytes: usize,
    /// Correlators that share [`Config::max_state_bytes`] as one budget (the shards of one run):
    /// the sum of their held state is what the budget caps, so a shard holding a busy host may use
    /// what idle shards do not. `None`: this correlator alone.
    pub shared_budget: Option<std::sync::Arc<SharedBudget>>,
    /// Emit uncorroborated triggers as low-severity signals.
    pub signals: bool,
    /// The path-class table.
    pub path_classes: PathClasses,
    /// Allowlist entries (default tuning, then the user's), in evaluation order.
    pub tuning: Tuning,
    /// A learned baseline and when it suppresses.
    pub baseline: Option<BaselinePolicy>,
    /// Keep suppressed triggers (with what suppressed them) in the outcome.
    pub keep_suppressed: bool,
    /// Streaming: release each alert as soon as its first corroborator is in, and later evidence
    /// as updates of the same id (`Correlator::take_emissions`), instead of building them all at the
    /// end of the run.
    pub emit_early: bool,
}

impl Default for Config {
    fn default() -> Self {
        const FIVE_MIN: i64 = 5 * 60 * 1000;
        Config {
            windows: crate::branches::windows()
                .into_iter()
                .map(|w| (w.flag, DEFAULT_WINDOW_MS))
                .collect(),
            lateness_ms: FIVE_MIN,
            process_retention_ms: 3600 * 1000,
            max_records_per_host: 1_000_000,
            memory_cap: usize::MAX,
            max_state_bytes: usize::MAX,
            shared_budget: None,
            signals: false,
            path_classes: PathClasses::builtin(),
            tuning: Tuning::default_tuning(),
            baseline: None,
            keep_suppressed: false,
            emit_early: false,
        }
    }
}

impl Config {
    /// The same window for every branch.
    pub fn with_window(mut self, ms: i64) -> Self {
        for w in self.windows.values_mut() {
            *w = ms;
        }
        self
    }

    /// The window named `flag` (the default when it was never set).
    pub fn window(&self, flag: &str) -> i64 {
        self.windows.get(flag).copied().unwrap_or(DEFAULT_WINDOW_MS)
    }

    /// Sets the window named `flag`; false when no branch has a window of that name.
    pub fn set_window(&mut self, flag: &str, ms: i64) -> bool {
        match self.windows.get_mut(flag) {
            Some(w) => {
                *w = ms;
                true
            }
            None => false,
        }
    }

    /// The widest branch window.
    pub fn max_window_ms(&self) -> i64 {
        self.windows
            .values()
            .copied()
            .max()
            .unwrap_or(DEFAULT_WINDOW_MS)
    }
}

/// The held bytes of correlators sharing one memory budget ([`Config::shared_budget`]).
#[derive(Debug)]
pub struct SharedBudget {
    held: std::sync::atomic::AtomicUsize,
    shards: std::sync::atomic::AtomicUsize,
}

impl SharedBudget {
    /// A budget shared by `shards` correlators.
    pub fn new(shards: usize) -> SharedBudget {
        SharedBudget {
            held: std::sync::atomic::AtomicUsize::new(0),
            shards: std::sync::atomic::AtomicUsize::new(shards.max(1)),
        }
    }

    /// Adds `add` and removes `sub` bytes; returns the total held now.
    pub fn update(&self, add: usize, sub: usize) -> usize {
        use std::sync::atomic::Ordering::Relaxed;
        let after_add = self.held.fetch_add(add, Relaxed).saturating_add(add);
        if sub == 0 {
            return after_add;
        }
        self.held.fetch_sub(sub.min(after_add), Relaxed);
        after_add.saturating_sub(sub)
    }

    /// How many correlators share it.
    pub fn shards(&self) -> usize {
        self.shards
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(1)
    }

    /// Sets how many correlators share it (a stream member's partitions change with rebalances).
    pub fn set_shards(&self, n: usize) {
        self.shards
            .store(n.max(1), std::sync::atomic::Ordering::Relaxed);
    }
}
