//! `stream --kafka-brokers`: one member of a consumer group (DESIGN §5).
//!
//! * Telemetry is keyed by host, so a host's records stay in one partition; each assigned partition
//!   has its own correlator (its window state), created on assignment and dropped on revocation.
//! * Offsets are committed by hand, at each partition's low-water mark: the oldest offset whose
//!   record may still matter — anything newer than the partition's clock minus (lateness + two
//!   windows), and anything a still-pending trigger may need. A member that restarts (or takes the
//!   partition over) re-reads from there and rebuilds the same state.
//! * Alerts are made durable (the alerts topic flushed) before the offsets that produced them are
//!   committed; replayed alerts are dropped by id in the sink, whose seen-set is rebuilt at start
//!   from the alerts topic itself. So each alert id reaches the alerts topic once.
//! * A message that does not decode is counted, logged with topic/partition/offset, optionally
//!   copied to the dead-letter topic (headers: where it came from and why), and skipped.
//! * Nothing here asks the broker for offsets out of band: a partition's end is librdkafka's
//!   partition-EOF event (from the fetch responses), its lag comes from librdkafka's statistics.
//!   Watermark queries (ListOffsets) cost a round trip per partition per tick, and against tansu
//!   they timed out while fetches were in flight, stalling the loop.
//!
//! Split by job: [`context`] (librdkafka callbacks), [`produce`] (alerts out), [`seen`] (the
//! seen-set read at start), [`commit`] (partition state, low-water marks, commits, gauges); the
//! offset arithmetic itself is `dllhound_engine::OffsetTracker`, tested without a broker.

mod commit;
mod context;
mod produce;
mod seen;

use super::metrics::Metrics;
use super::sink::AlertSink;
use super::{publish, Ended};
use crate::args::StreamArgs;
use anyhow::{Context, Result};
use commit::{commit, gauges, Partition};
use context::Ctx;
use dllhound_detect::{Config, Stats};
use dllhound_ingest::{At, RecordDecoder};
use produce::{client_config, send, KafkaOut};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord};
use rdkafka::{Message, Offset, TopicPartitionList};
use seen::ids_on_topic;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Located errors printed per run (the rest are counted).
const MAX_LOGGED: u64 = 20;

pub fn run(
    a: &StreamArgs,
    cfg: Config,
    sink: &mut AlertSink,
    metrics: &Metrics,
    stop: &Arc<AtomicBool>,
) -> Result<Ended> {
    let brokers = a.kafka_brokers.as_deref().unwrap_or_default();
    let topic = a.topic.clone().unwrap_or_default();
    let group = a.group.clone().unwrap_or_default();
    let base = client_config(a, brokers);

    let producer: Option<Arc<BaseProducer>> =
        if a.alerts_topic.is_some() || a.dead_letter_topic.is_some() {
            let p: BaseProducer = base
                .clone()
                .set("linger.ms", "5")
                .create()
                .context("creating the Kafka producer")?;
            Some(Arc::new(p))
        } else {
            None
        };
    if let (Some(t), Some(p)) = (&a.alerts_topic, &producer) {
        let ids = ids_on_topic(&base, t)?;
        let known = ids.iter().filter(|id| sink.seen.insert(id)).count();
        if !a.quiet {
            eprintln!("dllhound: {known} alert ids already on topic {t}: not written again");
        }
        sink.outs.push(Box::new(KafkaOut {
            producer: p.clone(),
            topic: t.clone(),
        }));
    }

    let ctx = Ctx {
        topic: topic.clone(),
        producer: producer.clone(),
        ..Ctx::default()
    };
    let consumer: BaseConsumer<Ctx> = base
        .clone()
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "true")
        .set("statistics.interval.ms", "1000")
        .create_with_context(ctx)
        .context("creating the Kafka consumer")?;
    if a.partitions.is_empty() {
        consumer
            .subscribe(&[&topic])
            .with_context(|| format!("subscribing to {topic}"))?;
    } else {
        let mut tpl = TopicPartitionList::new();
        for p in &a.partitions {
            tpl.add_partition_offset(&topic, *p, Offset::Stored)?;
        }
        consumer.assign(&tpl).context("assigning partitions")?;
        if let Ok(mut g) = consumer.context().assigned.lock() {
            g.extend(&a.partitions);
        }
    }

    let mut parts: BTreeMap<i32, Partition> = BTreeMap::new();
    let mut dec = RecordDecoder::new(&format!("kafka:{topic}"), a.input_format);
    let mut finished = Stats::default();
    let mut logged = 0u64;
    let mut last_input = Instant::now();
    let mut last_tick = Instant::now();
    let mut idle = false;
    // One budget for every partition this member holds, however many rebalances bring.
    let shared = Arc::new(dllhound_detect::SharedBudget::new(1));
    let part_cfg = |n: usize| {
        shared.set_shards(n);
        let mut c = cfg.clone();
        c.max_state_bytes = cfg.memory_cap;
        if c.max_state_bytes != usize::MAX {
            c.shared_budget = Some(shared.clone());
        }
        c
    };

    while !stop.load(Ordering::Relaxed) {
        // Rebalances seen inside the last poll.
        let revoked: Vec<i32> = std::mem::take(&mut *lock(&consumer.context().revoked));
        for p in revoked {
            if let Some(part) = parts.remove(&p) {
                dllhound_engine::add_stats(&mut finished, part.corr.finish().stats);
            }
            lock(&consumer.context().safe).remove(&p);
        }
        shared.set_shards(parts.len());
        let assigned: Vec<i32> = std::mem::take(&mut *lock(&consumer.context().assigned));
        if !assigned.is_empty() && a.partitions.is_empty() {
            // A rebalance: partitions arrive with what their last owner wrote; learn those ids
            // before replaying (the previous owner flushed them before letting go).
            if let Some(t) = &a.alerts_topic {
                for id in ids_on_topic(&base, t)? {
                    sink.seen.insert(&id);
                }
            }
        }
        if !assigned.is_empty() {
            // Waiting to join is not idleness: the idle clock starts with the partitions.
            last_input = Instant::now();
        }
        let n = assigned.len() + parts.len();
        for p in assigned {
            parts
                .entry(p)
                .or_insert_with(|| Partition::new(&topic, p, part_cfg(n)));
        }

        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(KafkaError::PartitionEOF(p))) => {
                if let Some(part) = parts.get_mut(&p) {
                    part.at_end = true;
                }
            }
            Some(Err(e)) if logged < MAX_LOGGED => {
                logged += 1;
                eprintln!("dllhound: kafka: {e}");
            }
            Some(Err(_)) => {}
            Some(Ok(m)) => {
                last_input = Instant::now();
                let p = m.partition();
                let n = parts.len() + 1;
                let part = parts
                    .entry(p)
                    .or_insert_with(|| Partition::new(&topic, p, part_cfg(n)));
                let payload = m.payload().unwrap_or_default();
                let mut time = None;
                let corr = &mut part.corr;
                let ok = dec.decode(
                    &part.name,
                    At::Offset(m.offset() as u64),
                    payload,
                    &mut |e| {
                        time = Some(e.time.millis());
                        corr.push(e)
                    },
                );
                // The wall clock now, not at start: a member runs for days.
                let now = chrono::Utc::now().timestamp_millis();
                part.offsets.record(m.offset(), time, now);
                part.at_end = false;
                if !ok {
                    let reason = dec
                        .stats
                        .record_errors
                        .last()
                        .map(|e| e.reason.clone())
                        .unwrap_or_else(|| "undecodable".into());
                    if logged < MAX_LOGGED {
                        logged += 1;
                        eprintln!(
                            "dllhound: {topic}/{p}/{}: {}",
                            m.offset(),
                            dllhound_report::escape_control(&reason)
                        );
                    }
                    if let (Some(dl), Some(prod)) = (&a.dead_letter_topic, &producer) {
                        let source = format!("{topic}/{p}/{}", m.offset());
                        let headers = OwnedHeaders::new()
                            .insert(Header {
                                key: "dllhound.source",
                                value: Some(&source),
                            })
                            .insert(Header {
                                key: "dllhound.reason",
                                value: Some(&reason),
                            });
                        let mut rec = BaseRecord::to(dl).payload(payload).headers(headers);
                        if let Some(k) = m.key() {
                            rec = rec.key(k);
                        }
                        send(prod, rec)?;
                        metrics.dead_lettered.fetch_add(1, Ordering::Relaxed);
                    }
                }
                for em in part.corr.take_emissions() {
                    sink.write(&em)?;
                }
            }
        }
        if let Some(p) = &producer {
            p.poll(Duration::ZERO);
        }
        // Errors (a broker hiccup, a partition moving) are not input: only messages reset this.
        let quiet = last_input.elapsed();
        let all_read = !parts.is_empty() && parts.values().all(|p| p.at_end);
        if quiet >= Duration::from_millis(500)
            && (a.idle_exit.is_some_and(|d| quiet >= d) || (a.until_end && all_read))
        {
            idle = true;
            break;
        }
        if last_tick.elapsed() >= Duration::from_secs(1) {
            last_tick = Instant::now();
            commit(&consumer, &topic, &mut parts, sink, false)?;
            gauges(&consumer, &parts, metrics);
            let stats: Vec<&Stats> = parts.values().map(|p| p.corr.stats()).collect();
            let held: usize = parts.values().map(|p| p.corr.held_bytes()).sum();
            publish(metrics, &dec.stats, &stats, held as u64, sink);
        }
    }

    // Idle (or --until-end): the topic is read to its end, so every pending trigger is decided and everything read
    // can be committed. Signalled: what is pending stays undecided, and the commit stays at the
    // low-water mark so the next owner rebuilds it.
    if idle {
        for part in parts.values_mut() {
            for em in part.corr.flush() {
                sink.write(&em)?;
            }
        }
    }
    commit(&consumer, &topic, &mut parts, sink, idle)?;
    for (_, part) in std::mem::take(&mut parts) {
        dllhound_engine::add_stats(&mut finished, part.corr.finish().stats);
    }
    // Dropping the consumer closes it: it leaves the group.
    drop(consumer);
    Ok(Ended {
        input: dec.stats,
        stats: finished,
    })
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
