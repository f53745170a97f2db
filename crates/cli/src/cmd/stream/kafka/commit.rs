//! Committing: each assigned partition's window state and low-water mark, the commit after the
//! alerts are durable, and the per-partition gauges the metrics show.

use super::context::Ctx;
use super::lock;
use crate::cmd::stream::metrics::{Metrics, PartitionGauges};
use crate::cmd::stream::sink::AlertSink;
use anyhow::{Context, Result};
use dllhound_detect::{Config, Correlator};
use dllhound_engine::OffsetTracker;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Offsets remembered per partition for the low-water mark; past this the oldest are let go.
const MAX_TRACKED: usize = 4_000_000;

/// One assigned partition's window state.
pub(super) struct Partition {
    pub(super) name: Arc<str>,
    pub(super) corr: Correlator,
    /// Offsets and event times for the low-water mark (dllhound_engine).
    pub(super) offsets: OffsetTracker,
    pub(super) committed: i64,
    /// librdkafka said the partition was read to its end, and nothing came since.
    pub(super) at_end: bool,
}

impl Partition {
    pub(super) fn new(topic: &str, p: i32, cfg: Config) -> Partition {
        let offsets = OffsetTracker::new(cfg.lateness_ms, cfg.max_window_ms(), MAX_TRACKED);
        Partition {
            name: format!("{topic}/{p}").into(),
            corr: Correlator::new(cfg),
            offsets,
            committed: -1,
            at_end: false,
        }
    }

    /// The offset a restart must read from: see the module docs.
    pub(super) fn low_water(&mut self) -> i64 {
        self.offsets.low_water(self.corr.oldest_pending())
    }
}

/// Makes the alerts durable, then commits each partition's low-water mark (or, with `all`, every
/// offset read, and waits for the broker to confirm). A tick's commit does not wait: a lost one is
/// superseded by the next, and a lower commit only means more replay.
pub(super) fn commit(
    consumer: &BaseConsumer<Ctx>,
    topic: &str,
    parts: &mut BTreeMap<i32, Partition>,
    sink: &mut AlertSink,
    all: bool,
) -> Result<()> {
    sink.flush()?;
    let mut tpl = TopicPartitionList::new();
    let mut safe = lock(&consumer.context().safe);
    for (p, part) in parts.iter_mut() {
        let o = if all {
            part.offsets.next()
        } else {
            part.low_water()
        };
        if o >= 0 && o != part.committed {
            tpl.add_partition_offset(topic, *p, Offset::Offset(o))?;
            part.committed = o;
            safe.insert(*p, o);
        }
    }
    drop(safe);
    if tpl.count() > 0 {
        let mode = if all {
            CommitMode::Sync
        } else {
            CommitMode::Async
        };
        consumer.commit(&tpl, mode).context("committing offsets")?;
    }
    Ok(())
}

/// Lag and watermark per partition, for the metrics (lag only once librdkafka knows it).
pub(super) fn gauges(consumer: &BaseConsumer<Ctx>, parts: &BTreeMap<i32, Partition>, m: &Metrics) {
    let lag = lock(&consumer.context().lag);
    let mut g = lock(&m.partitions);
    g.clear();
    for (p, part) in parts {
        g.insert(
            *p,
            PartitionGauges {
                lag: if part.at_end {
                    Some(0)
                } else {
                    lag.get(p).copied()
                },
                watermark_ms: part.offsets.max_time().max(0),
                committed: part.committed,
            },
        );
    }
}
