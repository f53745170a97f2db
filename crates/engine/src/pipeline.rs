//! The batch pipeline behind `dllhound scan`: read inputs, order each host by event time, correlate.

use dllhound_detect::baseline::{Baseline, BaselineBuilder};
use dllhound_detect::coverage::{CoverageBuilder, HostCoverage};
use dllhound_detect::{trigger, Config, Correlator, Outcome, PathClasses, Stats};
use dllhound_ingest::{read_input, Input, InputStats, ReadOptions};
use dllhound_model::Footprint;
use dllhound_model::{Event, EventKind, ImageLoad, Timestamp};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// What a batch scan yields.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// Per input, in the order given.
    pub inputs: Vec<InputStats>,
    pub outcome: Outcome,
    /// Events that went to the correlators in arrival order because holding them for sorting
    /// would have passed the memory cap (0 when the scan stayed exact).
    pub spilled_events: u64,
}

/// Share of [`Config::memory_cap`] that `scan` may spend holding events for sorting; the rest is the
/// correlators' state budget.
const SORT_SHARE: usize = 2;

/// Reads every input (in parallel across inputs on the current rayon pool), then correlates each host
/// over its events sorted by event time. Because each host is sorted first, the result is independent
/// of file order, channel split and record order, not merely within the lateness; the streaming path
/// (one event at a time) relies on the lateness instead.
///
/// Memory: events held for sorting are counted against half of [`Config::memory_cap`]. If they reach
/// it, every reader from then on hands its events to the correlators in sorted batches as it goes
/// (counted in [`ScanOutput::spilled_events`]): the scan stays within its cap and its results are then
/// exact within the lateness, as in [`scan_streaming`].
pub fn scan(inputs: &[Input], opts: &ReadOptions, cfg: &Config) -> ScanOutput {
    let shards = shard_correlators(cfg, cfg.memory_cap / SORT_SHARE);
    let budget = cfg.memory_cap - cfg.memory_cap / SORT_SHARE;
    let held = AtomicUsize::new(0);
    let spilling = AtomicBool::new(false);
    let spilled = AtomicU64::new(0);
    let per_input = read_each(inputs, opts, Held::default, |acc: &mut Held, e| {
        if spilling.load(Ordering::Relaxed) {
            acc.events.push(e);
            if acc.events.len() >= STREAM_BATCH {
                acc.spill(&shards, &held, &spilled);
            }
            return;
        }
        // The event, and the slot a doubling vector may leave empty beside it.
        let bytes = e.footprint() + std::mem::size_of::<Event>();
        acc.events.push(e);
        acc.bytes += bytes;
        if held.fetch_add(bytes, Ordering::Relaxed) + bytes > budget {
            spilling.store(true, Ordering::Relaxed);
            acc.spill(&shards, &held, &spilled);
        }
    });
    let n = shards.len();
    let mut parts: Vec<Vec<Event>> = (0..n).map(|_| Vec::new()).collect();
    let mut stats = Vec::with_capacity(per_input.len());
    for (acc, st) in per_input {
        if spilling.load(Ordering::Relaxed) {
            spilled.fetch_add(acc.events.len() as u64, Ordering::Relaxed);
        }
        for e in acc.events {
            parts[shard_of(&e.host, n)].push(e);
        }
        stats.push(st);
    }
    let outcomes: Vec<Outcome> = shards
        .into_par_iter()
        .zip(parts)
        .map(|(c, mut events)| {
            let mut c = c.into_inner().unwrap_or_else(PoisonError::into_inner);
            // Stable: events of one time keep input order, so the result does not depend on threads.
            events.sort_by_key(|e| e.time);
            events.into_iter().for_each(|e| c.push(e));
            c.finish()
        })
        .collect();
    ScanOutput {
        inputs: stats,
        outcome: merge_outcomes(outcomes),
        spilled_events: spilled.into_inner(),
    }
}

/// Events one reader holds for sorting, and their estimated bytes.
#[derive(Default)]
struct Held {
    events: Vec<Event>,
    bytes: usize,
}

impl Held {
    /// Sends the held events to the correlators now, sorted, and gives their bytes back.
    fn spill(&mut self, shards: &[Mutex<Correlator>], held: &AtomicUsize, spilled: &AtomicU64) {
        spilled.fetch_add(self.events.len() as u64, Ordering::Relaxed);
        held.fetch_sub(self.bytes, Ordering::Relaxed);
        self.bytes = 0;
        self.events.sort_by_key(|e| e.time);
        let n = shards.len();
        let mut parts: Vec<Vec<Event>> = (0..n).map(|_| Vec::new()).collect();
        for e in self.events.drain(..) {
            parts[shard_of(&e.host, n)].push(e);
        }
        for (shard, part) in shards.iter().zip(parts) {
            if !part.is_empty() {
                let mut c = shard.lock().unwrap_or_else(PoisonError::into_inner);
                part.into_iter().for_each(|e| c.push(e));
            }
        }
    }
}

/// One correlator per worker thread, each with an equal share of `state_budget` bytes of state.
///
/// Not one shared budget ([`dllhound_detect::SharedBudget`], which a stream member's partitions
/// use): each worker allocates from its own thread's heap, and a heap keeps its high-water mark,
/// so a shard allowed to grow to the whole budget while another shrinks leaves resident memory
/// near the sum of both peaks. Measured on `simulate --flood --hosts 50000 --events 400000`,
/// `scan --max-memory 128MiB`, 2 threads: 114 MB peak with equal shares, 126 MB shared.
fn shard_correlators(cfg: &Config, state_budget: usize) -> Vec<Mutex<Correlator>> {
    let n = rayon::current_num_threads().max(1);
    let mut c = cfg.clone();
    c.max_state_bytes = c.max_state_bytes.min(state_budget / n);
    (0..n)
        .map(|_| Mutex::new(Correlator::new(c.clone())))
        .collect()
}

/// Reads every input in parallel, folding its events into a fresh `T` each; results keep input order.
fn read_each<T: Send>(
    inputs: &[Input],
    opts: &ReadOptions,
    init: impl Fn() -> T + Sync,
    fold: impl Fn(&mut T, Event) + Sync,
) -> Vec<(T, InputStats)> {
    inputs
        .par_iter()
        .map(|input| {
            let mut acc = init();
            let stats = read_input(input, opts, &mut |e| fold(&mut acc, e));
            (acc, stats)
        })
        .collect()
}

/// Adds one host's counters into a run's.
pub fn add_stats(into: &mut Stats, s: Stats) {
    for (k, v) in s.events {
        *into.events.entry(k).or_default() += v;
    }
    into.triggers += s.triggers;
    into.corroborated += s.corroborated;
    into.uncorroborated += s.uncorroborated;
    for (k, v) in s.suppressed {
        *into.suppressed.entry(k).or_default() += v;
    }
    into.main_module_loads += s.main_module_loads;
    into.child_image_loads += s.child_image_loads;
    into.late_events += s.late_events;
    into.forced_evictions += s.forced_evictions;
    into.memory_evictions += s.memory_evictions;
    into.decided_early += s.decided_early;
    into.clock_outliers += s.clock_outliers;
    let room = dllhound_detect::MAX_OUTLIER_SAMPLES.saturating_sub(into.outlier_samples.len());
    into.outlier_samples
        .extend(s.outlier_samples.into_iter().take(room));
    into.history_evictions += s.history_evictions;
    into.hosts += s.hosts;
}

/// A trigger load as the baseline counts it: host, time, load.
type TriggerLoad = (Arc<str>, Timestamp, ImageLoad);

/// Reads the inputs and learns a prevalence baseline over their trigger loads (see
/// [`dllhound_detect::baseline`]). Returns the per-input reading statistics with it.
pub fn learn_baseline(
    inputs: &[Input],
    opts: &ReadOptions,
    classes: &PathClasses,
) -> (Vec<InputStats>, Baseline) {
    let per_input = read_each(
        inputs,
        opts,
        Vec::new,
        |triggers: &mut Vec<TriggerLoad>, e| {
            if let EventKind::ImageLoad(l) = e.kind {
                if trigger::evaluate(&l, classes).is_some() {
                    triggers.push((e.host, e.time, l));
                }
            }
        },
    );
    let mut b = BaselineBuilder::default();
    let mut stats = Vec::new();
    for (triggers, st) in per_input {
        for (host, time, load) in &triggers {
            b.add(host, *time, load);
        }
        stats.push(st);
    }
    let names = inputs.iter().map(Input::name).collect();
    (stats, b.finish(names))
}

/// Reads the inputs and reports telemetry coverage per host (see [`dllhound_detect::coverage`]).
pub fn coverage(inputs: &[Input], opts: &ReadOptions) -> (Vec<InputStats>, Vec<HostCoverage>) {
    let per_input = read_each(
        inputs,
        opts,
        CoverageBuilder::default,
        |b: &mut CoverageBuilder, e| b.add(&e),
    );
    let mut all = CoverageBuilder::default();
    let mut stats = Vec::new();
    for (b, st) in per_input {
        all.merge(b);
        stats.push(st);
    }
    (stats, all.finish())
}

/// Events handed to the correlators at a time in [`scan_streaming`].
const STREAM_BATCH: usize = 1 << 13;

/// The bounded-memory pipeline: inputs are read one after another (each in parallel blocks) and
/// their events go straight to host-sharded correlators, in arrival order. Memory follows the
/// events inside the window, not the input; the price is that order independence holds within
/// [`Config::lateness_ms`] only, so inputs of one host should be given in time order (as exports and
/// rotated logs are).
pub fn scan_streaming(inputs: &[Input], opts: &ReadOptions, cfg: &Config) -> ScanOutput {
    let mut correlators: Vec<Correlator> = shard_correlators(cfg, cfg.memory_cap)
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(PoisonError::into_inner))
        .collect();
    let mut batch: Vec<Event> = Vec::with_capacity(STREAM_BATCH);
    let mut stats = Vec::with_capacity(inputs.len());
    for input in inputs {
        let st = read_input(input, opts, &mut |e| {
            batch.push(e);
            if batch.len() >= STREAM_BATCH {
                route(&mut batch, &mut correlators);
            }
        });
        stats.push(st);
    }
    route(&mut batch, &mut correlators);
    let outcomes: Vec<Outcome> = correlators
        .into_par_iter()
        .map(Correlator::finish)
        .collect();
    ScanOutput {
        inputs: stats,
        outcome: merge_outcomes(outcomes),
        spilled_events: 0,
    }
}

/// Which correlator owns a host (the same key would partition a Kafka topic).
/// The shard of a host: by its identity, so its FQDN and short name meet (dllhound_model::host).
fn shard_of(host: &str, shards: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dllhound_model::host::identity(host).hash(&mut h);
    (h.finish() % shards as u64) as usize
}

fn route(batch: &mut Vec<Event>, correlators: &mut [Correlator]) {
    let n = correlators.len();
    let mut parts: Vec<Vec<Event>> = (0..n)
        .map(|_| Vec::with_capacity(batch.len() / n + 1))
        .collect();
    for e in batch.drain(..) {
        parts[shard_of(&e.host, n)].push(e);
    }
    correlators
        .par_iter_mut()
        .zip(parts)
        .for_each(|(c, part)| part.into_iter().for_each(|e| c.push(e)));
}

fn merge_outcomes(outcomes: Vec<Outcome>) -> Outcome {
    let mut outcome = Outcome::default();
    for o in outcomes {
        outcome.alerts.extend(o.alerts);
        outcome.signals.extend(o.signals);
        outcome.suppressed.extend(o.suppressed);
        add_stats(&mut outcome.stats, o.stats);
        outcome.prevalence.merge(o.prevalence);
    }
    for v in [
        &mut outcome.alerts,
        &mut outcome.signals,
        &mut outcome.suppressed,
    ] {
        v.sort_by(|x, y| (x.time, &x.host, &x.id).cmp(&(y.time, &y.host, &y.id)));
    }
    // Prevalence spans the shards' hosts; incidents are recounted over the merged alerts.
    dllhound_detect::finalize(&mut outcome);
    outcome
}
