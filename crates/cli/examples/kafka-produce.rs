//! Puts telemetry on a Kafka topic the way a pipeline would: one JSON record per message, keyed by
//! the record's host identity (read with dllhound's own decoders; `dllhound_model::host`: FQDN and short
//! name are one host), so a host's records share a partition.
//! Used by `bench/stream-kafka.sh` to measure `dllhound stream` through a broker.
//!
//! ```sh
//! cargo run --release --example kafka-produce -- BROKERS TOPIC FILE.jsonl [PACE_MS]
//! ```
//! Prints the number of records produced; exits non-zero if any delivery failed. With `PACE_MS`,
//! each record is sent alone, PACE_MS apart, and printed on stderr once the broker has it as
//! `sent PARTITION OFFSET MS` (MS: Unix time in milliseconds when it was sent) — for measuring
//! alert latency against the alerts' timeline provenance.

use dllhound_ingest::{At, FormatChoice, RecordDecoder};
use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientContext, Message};
use std::io::BufRead;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the broker put the last record, and how many deliveries failed.
#[derive(Default)]
struct Delivered {
    last: Mutex<Option<(i32, i64)>>,
    failed: Mutex<u64>,
}

impl ClientContext for Delivered {}

impl ProducerContext for Delivered {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        match r {
            Ok(m) => {
                if let Ok(mut last) = self.last.lock() {
                    *last = Some((m.partition(), m.offset()));
                }
            }
            Err(_) => {
                if let Ok(mut f) = self.failed.lock() {
                    *f += 1;
                }
            }
        }
    }
}

fn unix_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (brokers, topic, file, pace) = match args.as_slice() {
        [b, t, f] => (b, t, f, None),
        [b, t, f, p] => (b, t, f, Some(Duration::from_millis(p.parse()?))),
        _ => return Err("usage: kafka-produce BROKERS TOPIC FILE.jsonl [PACE_MS]".into()),
    };
    let linger = if pace.is_some() { "0" } else { "20" };
    let producer: BaseProducer<Delivered> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", linger)
        .create_with_context(Delivered::default())?;
    let mut dec = RecordDecoder::new("produce", FormatChoice::Auto);
    let name: Arc<str> = file.as_str().into();
    let reader = std::io::BufReader::new(std::fs::File::open(file)?);
    let started = Instant::now();
    let mut n = 0u64;
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line?;
        if line.trim_ascii().is_empty() {
            continue;
        }
        let mut host = String::new();
        dec.decode(&name, At::Line(i as u64 + 1), &line, &mut |e| {
            host = dllhound_model::host::identity(&e.host).to_string()
        });
        let mut record = BaseRecord::to(topic).key(&host).payload(&line);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    producer.poll(Duration::from_millis(10));
                    record = r;
                }
                Err((e, _)) => return Err(e.into()),
            }
        }
        n += 1;
        if let Some(pace) = pace {
            let ms = unix_ms();
            producer.flush(Duration::from_secs(10))?;
            if let Ok(Some((p, o))) = producer.context().last.lock().map(|l| *l) {
                eprintln!("sent {p} {o} {ms}");
            }
            std::thread::sleep(pace);
        }
    }
    producer.flush(Duration::from_secs(120))?;
    let failed = producer.context().failed.lock().map_or(0, |f| *f);
    if failed > 0 {
        return Err(format!("{failed} of {n} deliveries failed").into());
    }
    eprintln!(
        "produced {n} records to {topic} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("{n}");
    Ok(())
}
