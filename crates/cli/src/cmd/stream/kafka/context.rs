//! The consumer's librdkafka context: rebalance callbacks (commit what is safe before partitions
//! go) and the statistics callback (lag per partition).

use super::lock;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::producer::{BaseProducer, Producer};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Rebalance events, handed from librdkafka's callbacks (inside `poll`) to the loop.
#[derive(Default)]
pub(super) struct Ctx {
    pub(super) assigned: Mutex<Vec<i32>>,
    pub(super) revoked: Mutex<Vec<i32>>,
    /// Offsets safe to commit (their alerts are durable), by partition.
    pub(super) safe: Mutex<HashMap<i32, i64>>,
    pub(super) topic: String,
    /// The alerts producer, flushed before partitions are given up.
    pub(super) producer: Option<Arc<BaseProducer>>,
    /// Messages behind each partition's end, from librdkafka's last statistics.
    pub(super) lag: Mutex<HashMap<i32, i64>>,
}

impl ClientContext for Ctx {
    fn stats(&self, s: Statistics) {
        let Some(t) = s.topics.get(&self.topic) else {
            return;
        };
        let mut lag = lock(&self.lag);
        lag.clear();
        for (p, part) in &t.partitions {
            // -1 is librdkafka's internal "unassigned" partition; a lag of -1 means not known yet.
            if *p >= 0 && part.consumer_lag >= 0 {
                lag.insert(*p, part.consumer_lag);
            }
        }
    }
}

impl ConsumerContext for Ctx {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            let parts: Vec<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
            // Alerts already released must be on the alerts topic before the next owner looks.
            if let Some(p) = &self.producer {
                let _ = p.flush(Duration::from_secs(30));
            }
            // Commit what is safe before the partitions go, so the next owner starts there.
            let mut commit = TopicPartitionList::new();
            if let Ok(safe) = self.safe.lock() {
                for p in &parts {
                    if let Some(o) = safe.get(p) {
                        let _ = commit.add_partition_offset(&self.topic, *p, Offset::Offset(*o));
                    }
                }
            }
            if commit.count() > 0 {
                let _ = consumer.commit(&commit, CommitMode::Sync);
            }
            if let Ok(mut r) = self.revoked.lock() {
                r.extend(parts);
            }
        }
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            if let Ok(mut a) = self.assigned.lock() {
                a.extend(tpl.elements().iter().map(|e| e.partition()));
            }
        }
    }
}
