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

use super::metrics::{Metrics, PartitionGauges};
use super::sink::{AlertOut, AlertSink};
use super::{publish, Ended};
use crate::args::StreamArgs;
use anyhow::{anyhow, Context, Result};
use dllhound_detect::{Config, Correlator, Stats};
use dllhound_engine::OffsetTracker;
use dllhound_ingest::{At, RecordDecoder};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientContext, Message, Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Offsets remembered per partition for the low-water mark; past this the oldest are let go.
const MAX_TRACKED: usize = 4_000_000;
/// Located errors printed per run (the rest are counted).
const MAX_LOGGED: u64 = 20;

/// Rebalance events, handed from librdkafka's callbacks (inside `poll`) to the loop.
#[derive(Default)]
struct Ctx {
    assigned: Mutex<Vec<i32>>,
    revoked: Mutex<Vec<i32>>,
    /// Offsets safe to commit (their alerts are durable), by partition.
    safe: Mutex<HashMap<i32, i64>>,
    topic: String,
    /// The alerts producer, flushed before partitions are given up.
    producer: Option<Arc<BaseProducer>>,
    /// Messages behind each partition's end, from librdkafka's last statistics.
    lag: Mutex<HashMap<i32, i64>>,
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

/// One assigned partition's window state.
struct Partition {
    name: Arc<str>,
    corr: Correlator,
    /// Offsets and event times for the low-water mark (dllhound_engine).
    offsets: OffsetTracker,
    committed: i64,
    /// librdkafka said the partition was read to its end, and nothing came since.
    at_end: bool,
}

impl Partition {
    fn new(topic: &str, p: i32, cfg: Config) -> Partition {
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
    fn low_water(&mut self) -> i64 {
        self.offsets.low_water(self.corr.oldest_pending())
    }
}

/// Alerts to a Kafka topic, keyed by alert id.
struct KafkaOut {
    producer: Arc<BaseProducer>,
    topic: String,
}

impl AlertOut for KafkaOut {
    fn send(&mut self, id: &str, line: &[u8]) -> Result<()> {
        send(
            &self.producer,
            BaseRecord::to(&self.topic).key(id).payload(line),
        )
    }
    fn flush(&mut self) -> Result<()> {
        self.producer
            .flush(Duration::from_secs(30))
            .with_context(|| format!("flushing alerts to topic {}", self.topic))
    }
}

/// Sends, waiting for room when the producer's queue is full.
fn send<K: rdkafka::message::ToBytes + ?Sized>(
    producer: &BaseProducer,
    mut record: BaseRecord<'_, K, [u8]>,
) -> Result<()> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                producer.poll(Duration::from_millis(50));
                record = r;
            }
            Err((e, r)) => return Err(anyhow!("producing to topic {}: {e}", r.topic)),
        }
    }
}

fn client_config(a: &StreamArgs, brokers: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    for (k, v) in &a.kafka_config {
        c.set(k, v);
    }
    c
}

/// The alert ids already on `topic` (its message keys): every partition read from offset 0 (or its
/// earliest, when retention has moved it) until librdkafka reports the partition's end.
fn ids_on_topic(base: &ClientConfig, topic: &str) -> Result<Vec<String>> {
    let consumer: BaseConsumer = base
        .clone()
        .set("group.id", format!("dllhound-seen-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        .create()
        .context("creating the alerts-topic reader")?;
    let meta = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .with_context(|| format!("reading metadata of topic {topic}"))?;
    let mut tpl = TopicPartitionList::new();
    let mut open: Vec<i32> = Vec::new();
    for t in meta.topics() {
        for p in t.partitions() {
            tpl.add_partition_offset(topic, p.id(), Offset::Offset(0))?;
            open.push(p.id());
        }
    }
    if open.is_empty() {
        return Err(anyhow!("topic {topic} has no partitions (does it exist?)"));
    }
    consumer.assign(&tpl)?;
    let mut ids = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !open.is_empty() {
        if Instant::now() > deadline {
            return Err(anyhow!(
                "timed out reading the alert ids already on topic {topic} (partitions {open:?} never reached their end)"
            ));
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                if let Some(k) = m.key().and_then(|k| std::str::from_utf8(k).ok()) {
                    ids.push(k.to_string());
                }
            }
            Some(Err(KafkaError::PartitionEOF(p))) => open.retain(|&q| q != p),
            Some(Err(_)) | None => {}
        }
    }
    Ok(ids)
}

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
    let part_cfg = |n: usize| {
        let mut c = cfg.clone();
        c.max_state_bytes = cfg.memory_cap / n.max(1);
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Makes the alerts durable, then commits each partition's low-water mark (or, with `all`, every
/// offset read, and waits for the broker to confirm). A tick's commit does not wait: a lost one is
/// superseded by the next, and a lower commit only means more replay.
fn commit(
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
fn gauges(consumer: &BaseConsumer<Ctx>, parts: &BTreeMap<i32, Partition>, m: &Metrics) {
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
