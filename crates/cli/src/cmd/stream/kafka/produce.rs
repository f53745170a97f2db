//! Producing: alerts to the alerts topic, keyed by id, and the client configuration both ends share.

use crate::args::StreamArgs;
use crate::cmd::stream::sink::AlertOut;
use anyhow::{anyhow, Context, Result};
use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use std::sync::Arc;
use std::time::Duration;

/// Alerts to a Kafka topic, keyed by alert id.
pub(super) struct KafkaOut {
    pub(super) producer: Arc<BaseProducer>,
    pub(super) topic: String,
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
pub(super) fn send<K: rdkafka::message::ToBytes + ?Sized>(
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

pub(super) fn client_config(a: &StreamArgs, brokers: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    for (k, v) in &a.kafka_config {
        c.set(k, v);
    }
    c
}
