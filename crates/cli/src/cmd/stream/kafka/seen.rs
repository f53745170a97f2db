//! The seen-set: alert ids already on the alerts topic, read at start so a replay after a restart
//! or take-over does not write an id twice.

use anyhow::{anyhow, Context, Result};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::{Message, Offset, TopicPartitionList};
use std::time::{Duration, Instant};

/// The alert ids already on `topic` (its message keys): every partition read from offset 0 (or its
/// earliest, when retention has moved it) until librdkafka reports the partition's end.
pub(super) fn ids_on_topic(base: &ClientConfig, topic: &str) -> Result<Vec<String>> {
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
