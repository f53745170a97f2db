//! `dllhound stream` against a real Kafka-API broker: tansu (Apache-2.0, a Kafka broker in Rust),
//! started here from an empty folder with in-memory storage on a free port. The tests are
//! `#[ignore]`d (they need a `tansu` binary on PATH or in `DLLHOUND_TANSU`, and `DLLHOUND_REAL_DATA`);
//! `.ci/run` installs tansu and runs them with `--include-ignored`, where a missing one fails.
//!
//! tansu 0.6.0 behaves differently from Kafka in ways the tests stay clear of:
//! * a group wedges if all members leave at once or one leaves mid-rebalance: each test uses a fresh
//!   topic and group, and members stop one at a time, after their assignment settled;
//! * a killed member's partitions are not handed to the survivor: crash recovery is tested by
//!   restarting the killed member;
//! * a fetch from an offset inside a stored batch skips to the next batch, and large batches sent
//!   several requests at a time have lost records: the tests produce one record per batch, one
//!   request at a time, and compare with a scan of what the topic really holds;
//! * watermark queries (ListOffsets) from a client that is also fetching timed out here: the tests,
//!   like dllhound itself, find a partition's end by librdkafka's partition-EOF event.
#![cfg(feature = "kafka")]

mod common;
use common::{free_addr, scrape, wait_until};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Message, Offset, TopicPartitionList};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn tansu_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DLLHOUND_TANSU") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo/bin")))
        .map(|d| d.join("tansu"))
        .find(|p| p.is_file())
}

/// The tests run one at a time: each starts a broker and members, and two cores are few.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A message read back: partition, key, payload, headers.
type Msg = (i32, String, Vec<u8>, Vec<(String, String)>);

/// A broker of this test's own, stopped when dropped.
struct Broker {
    _turn: std::sync::MutexGuard<'static, ()>,
    child: Child,
    url: String,
    addr: String,
    bin: PathBuf,
    _dir: PathBuf,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Broker {
    /// Starts a broker; the tests calling this are `#[ignore]`d, and fail (rather than pass
    /// untested) when run without tansu or the shared recordings.
    fn start() -> Broker {
        let turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bin = tansu_bin().expect(
            "the Kafka tests need a tansu binary (PATH, ~/.cargo/bin or DLLHOUND_TANSU; .ci/run installs it)",
        );
        assert!(
            std::env::var_os("DLLHOUND_REAL_DATA").is_some(),
            "the Kafka tests need DLLHOUND_REAL_DATA (the shared recordings)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let url = format!("tcp://{addr}");
        let dir =
            std::env::temp_dir().join(format!("dllhound-tansu-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new(&bin)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .env_remove("LISTENER_URL")
            .env_remove("ADVERTISED_LISTENER_URL")
            .env_remove("STORAGE_ENGINE")
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tansu");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not start listening on {addr}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Broker {
            _turn: turn,
            child,
            url,
            addr,
            bin,
            _dir: dir,
        }
    }

    fn topic(&self, name: &str, partitions: u32) {
        let out = Command::new(&self.bin)
            .args([
                "topic",
                "create",
                name,
                "--partitions",
                &partitions.to_string(),
            ])
            .args(["--broker", &self.url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "creating {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn producer(&self) -> BaseProducer<Deliveries> {
        ClientConfig::new()
            .set("bootstrap.servers", &self.addr)
            .set("linger.ms", "5")
            // One record per batch. tansu 0.6.0 answers a fetch from an offset inside a stored
            // batch with the batches that start after it (tansu-storage dynostore.rs, `fetch`:
            // `offsets.split_off(&offset)`), so a member resuming from a committed low-water mark
            // mid-batch would silently skip the rest of that batch. Kafka returns the batch.
            .set("batch.num.messages", "1")
            // It has also acknowledged and then lost records of large batches sent several
            // requests at a time (≈0.5% at librdkafka's defaults): one request at a time, and the
            // tests compare with a scan of what the topic really holds.
            .set("max.in.flight.requests.per.connection", "1")
            .create_with_context(Deliveries::default())
            .unwrap()
    }

    /// Every message on `topic`: (partition, key, payload, headers), read from offset 0 until
    /// librdkafka reports each partition's end (see the module docs).
    fn read_all(&self, topic: &str) -> Vec<Msg> {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &self.addr)
            .set("group.id", format!("reader-{topic}-{}", rand_suffix()))
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "true")
            .create()
            .unwrap();
        let meta = c
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        let mut open = BTreeSet::new();
        for t in meta.topics() {
            for p in t.partitions() {
                tpl.add_partition_offset(topic, p.id(), Offset::Offset(0))
                    .unwrap();
                open.insert(p.id());
            }
        }
        let mut out = Vec::new();
        c.assign(&tpl).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !open.is_empty() {
            assert!(
                Instant::now() < deadline,
                "timed out reading {topic}: partitions {open:?} never reached their end"
            );
            let m = match c.poll(Duration::from_millis(200)) {
                Some(Ok(m)) => m,
                Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) => {
                    open.remove(&p);
                    continue;
                }
                _ => continue,
            };
            let headers = m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|x| {
                            let v = x.value.map(|v| String::from_utf8_lossy(v).into_owned());
                            (x.key.to_string(), v.unwrap_or_default())
                        })
                        .collect()
                })
                .unwrap_or_default();
            let key = m
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .unwrap_or_default();
            out.push((
                m.partition(),
                key,
                m.payload().unwrap_or_default().to_vec(),
                headers,
            ));
        }
        out
    }
}

/// A group name no earlier reader used.
fn rand_suffix() -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{n}", std::process::id())
}

/// One raw record of the shared recordings: its host (the message key), event time and JSON text.
struct Record {
    host: String,
    time: i64,
    json: Vec<u8>,
}

/// Every record of the shared recordings as the JSON text a pipeline would carry (EVTX rendered
/// by the `evtx` crate, JSON lines as they are, zip members unpacked), each host's in time order.
fn recordings() -> Vec<Record> {
    let root = PathBuf::from(std::env::var_os("DLLHOUND_REAL_DATA").unwrap());
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    // Every recording but the zip archives (the LSASS campaigns and two lateral-movement sets,
    // ≈215k of the 234k records; their alerts are covered by the scan tests): produced one record
    // per batch (see the module docs), the rest takes ≈3 s, the zips more than a minute.
    files.retain(|f| {
        f.extension().is_none_or(|x| x != "zip")
            && std::fs::metadata(f).is_ok_and(|m| m.len() <= 20 << 20)
    });
    files.sort();
    let mut texts: Vec<Vec<u8>> = Vec::new();
    for f in files {
        match f.extension().and_then(|x| x.to_str()).unwrap_or("") {
            "evtx" => {
                let mut p = evtx::EvtxParser::from_path(&f).unwrap();
                for r in p.records_json().flatten() {
                    texts.push(r.data.into_bytes());
                }
            }
            "json" | "txt" => {
                let bytes = std::fs::read(&f).unwrap();
                texts.extend(bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec));
            }
            "zip" => {
                let mut z = zip::ZipArchive::new(std::fs::File::open(&f).unwrap()).unwrap();
                for i in 0..z.len() {
                    let mut m = z.by_index(i).unwrap();
                    if m.is_dir() || m.name().starts_with("__MACOSX/") {
                        continue;
                    }
                    let mut bytes = Vec::new();
                    m.read_to_end(&mut bytes).unwrap();
                    texts.extend(bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec));
                }
            }
            _ => {}
        }
    }
    let mut dec = dllhound_ingest::RecordDecoder::new("x", dllhound_ingest::FormatChoice::Auto);
    let name: Arc<str> = "x".into();
    let mut out = Vec::new();
    for json in texts {
        if json.trim_ascii().is_empty() {
            continue;
        }
        let mut ev = None;
        dec.decode(&name, dllhound_ingest::At::Line(0), &json, &mut |e| {
            ev = Some(e)
        });
        let (host, time) = ev.map_or((String::new(), 0), |e| {
            // Keyed as a pipeline should: by host identity (FQDN and short name share a partition).
            (
                dllhound_model::host::identity(&e.host).to_string(),
                e.time.millis(),
            )
        });
        out.push(Record { host, time, json });
    }
    // Each host in time order; records that carry no event (no host) last, so that the first half
    // of the stream holds hosts with alerts.
    out.sort_by(|a, b| {
        (a.host.is_empty(), &a.host, a.time).cmp(&(b.host.is_empty(), &b.host, b.time))
    });
    out
}

/// Counts failed deliveries (librdkafka reports them after the fact).
#[derive(Default)]
struct Deliveries {
    failed: std::sync::atomic::AtomicU64,
    first: std::sync::Mutex<Option<String>>,
}

impl rdkafka::ClientContext for Deliveries {}

impl rdkafka::producer::ProducerContext for Deliveries {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &rdkafka::message::DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = r {
            self.failed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.first
                .lock()
                .unwrap()
                .get_or_insert_with(|| e.to_string());
        }
    }
}

fn produce(p: &BaseProducer<Deliveries>, topic: &str, records: &[Record]) {
    for r in records {
        let mut rec = BaseRecord::to(topic).key(&r.host).payload(&r.json);
        loop {
            match p.send(rec) {
                Ok(()) => break,
                Err((_, back)) => {
                    p.poll(Duration::from_millis(20));
                    rec = back;
                }
            }
        }
    }
    p.flush(Duration::from_secs(60)).unwrap();
    let ctx = p.context();
    let failed = ctx.failed.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        failed,
        0,
        "deliveries failed, first: {:?}",
        ctx.first.lock().unwrap()
    );
}

/// The alert ids `dllhound scan` gives on exactly the records `topic` holds (in partition order,
/// one compact JSON record per line), garbage included.
fn scan_ids(b: &Broker, topic: &str) -> BTreeSet<String> {
    let path = std::env::temp_dir().join(format!(
        "dllhound-kafka-{}-{topic}.jsonl",
        std::process::id()
    ));
    let mut text = Vec::new();
    for (_, _, payload, _) in b.read_all(topic) {
        match serde_json::from_slice::<serde_json::Value>(&payload) {
            Ok(v) => text.extend(v.to_string().into_bytes()),
            Err(_) => continue,
        }
        text.push(b'\n');
    }
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dllhound"))
        .args([
            "scan",
            path.to_str().unwrap(),
            "--output-format",
            "ndjson",
            "-q",
        ])
        .output()
        .unwrap();
    let ids: BTreeSet<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(ids.len() >= 10, "the recordings give alerts: {ids:?}");
    ids
}

/// A running `dllhound stream` member, killed if the test fails before it was waited for (so a
/// failed test leaves no member behind).
struct Member(Option<Child>);

impl Member {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("a member not yet waited for")
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn member(b: &Broker, topic: &str, group: &str, alerts: &str, extra: &[&str]) -> Member {
    let child = Command::new(env!("CARGO_BIN_EXE_dllhound"))
        .args([
            "stream",
            "--kafka-brokers",
            &b.addr,
            "--topic",
            topic,
            "--group",
            group,
        ])
        .args(["--alerts-topic", alerts, "--no-stdout"])
        .args(extra)
        .stdout(Stdio::null())
        // Inherited: librdkafka logs there, and an undrained pipe would stall the member.
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    Member(Some(child))
}

/// The lines of a member's metrics text that start with `prefix`.
fn series<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// Partitions a member holds (it publishes gauges for each).
fn held(addr: &str) -> usize {
    series(&scrape(addr), "dllhound_partition_committed_offset{").len()
}

/// True when a member holds partitions and each is known to be read to its end.
fn caught_up(addr: &str) -> bool {
    let text = scrape(addr);
    let lags = series(&text, "dllhound_partition_lag{");
    let held = series(&text, "dllhound_partition_committed_offset{").len();
    held > 0 && lags.len() == held && lags.iter().all(|l| l.ends_with(" 0"))
}

/// SIGTERM, then the exit status must be 0 (a clean stop: alerts flushed, offsets committed).
fn stop(mut m: Member) {
    let pid = m.child().id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let (code, err) = finish(m);
    assert_eq!(code, 0, "{err}");
}

/// A counter or gauge without labels, 0 when absent.
fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Waits for a member; its exit status (its stderr went to the test's).
fn finish(mut m: Member) -> (i32, String) {
    let status = m.child().wait().unwrap();
    m.0 = None;
    (
        status.code().unwrap_or(-1),
        format!("member exited with {status}"),
    )
}

fn alert_ids(b: &Broker, topic: &str) -> Vec<String> {
    b.read_all(topic)
        .into_iter()
        .map(|(_, k, _, _)| k)
        .collect()
}

#[test]
#[ignore = "needs tansu and DLLHOUND_REAL_DATA (.ci/run installs and sets both)"]
fn two_group_members_give_the_alert_ids_of_scan() {
    let b = Broker::start();
    let (topic, alerts) = ("telemetry-two", "alerts-two");
    b.topic(topic, 4);
    b.topic(alerts, 2);
    // Both members join the group on the empty topic and wait until each holds partitions; then
    // the telemetry arrives. Once both have read all of it, they are stopped with SIGTERM one at a
    // time (tansu 0.6.0 wedges a group that all members leave at once): the second takes the
    // first's partitions over (from their committed offsets) before it is stopped in turn.
    let addrs = [free_addr(), free_addr()];
    let stats: Vec<PathBuf> = (0..2)
        .map(|i| {
            std::env::temp_dir().join(format!(
                "dllhound-kafka-two-{}-{i}.json",
                std::process::id()
            ))
        })
        .collect();
    let mut members: Vec<Member> = (0..2)
        .map(|i| {
            member(
                &b,
                topic,
                "g-two",
                alerts,
                &[
                    "--metrics-addr",
                    &addrs[i],
                    "--stats-json",
                    stats[i].to_str().unwrap(),
                ],
            )
        })
        .collect();
    wait_until(
        Duration::from_secs(60),
        "the group split the partitions",
        || {
            let (a, b) = (held(&addrs[0]), held(&addrs[1]));
            a > 0 && b > 0 && a + b == 4
        },
    );

    let records = recordings();
    produce(&b.producer(), topic, &records);
    let on = b.read_all(topic).len() as u64;
    if on != records.len() as u64 {
        eprintln!(
            "tansu kept {on} of {} records: the scan to compare with reads what it kept",
            records.len()
        );
    }
    wait_until(Duration::from_secs(900), "both members read it all", || {
        let read: u64 = addrs
            .iter()
            .map(|a| metric(&scrape(a), "dllhound_records_total"))
            .sum();
        read >= on && addrs.iter().all(|a| caught_up(a))
    });
    let second = members.pop().unwrap();
    stop(members.pop().unwrap());
    wait_until(
        Duration::from_secs(300),
        "the second member took all four partitions over and read them",
        || held(&addrs[1]) == 4 && caught_up(&addrs[1]),
    );
    stop(second);

    let read: Vec<u64> = stats
        .iter()
        .map(|s| {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(s).unwrap()).unwrap();
            v["records"]["seen"].as_u64().unwrap()
        })
        .collect();
    eprintln!("records read by each member: {read:?} of {on}");
    assert!(
        read.iter().all(|&n| n > 0),
        "each member read a share: {read:?}"
    );
    assert!(read.iter().sum::<u64>() >= on, "{read:?} of {on}");

    let got = alert_ids(&b, alerts);
    let unique: BTreeSet<String> = got.iter().cloned().collect();
    assert_eq!(got.len(), unique.len(), "an id written twice: {got:?}");
    assert_eq!(unique, scan_ids(&b, topic));
}

#[test]
#[ignore = "needs tansu and DLLHOUND_REAL_DATA (.ci/run installs and sets both)"]
fn a_member_killed_mid_stream_and_restarted_loses_and_doubles_nothing() {
    let b = Broker::start();
    let (topic, alerts) = ("telemetry-kill", "alerts-kill");
    b.topic(topic, 4);
    b.topic(alerts, 1);
    // Before the crash, the first half of every host's records; after it, the rest. Chains that
    // straddle the split need the state the restarted member rebuilds by replaying from the
    // committed low-water mark.
    let (before_crash, after_crash) = split_each_host(recordings());
    let p = b.producer();
    produce(&p, topic, &before_crash);

    let metrics = free_addr();
    let mut m = member(
        &b,
        topic,
        "g-kill",
        alerts,
        &["--partitions", "0,1,2,3", "--metrics-addr", &metrics],
    );
    // Wait until it has read the first half, then kill it without warning.
    wait_until(
        Duration::from_secs(400),
        "the member read the first half",
        || {
            metric(&scrape(&metrics), "dllhound_records_total") > 0
                && held(&metrics) == 4
                && caught_up(&metrics)
        },
    );
    std::thread::sleep(Duration::from_secs(2));
    let mut killed = m.0.take().unwrap();
    killed.kill().unwrap(); // SIGKILL
    killed.wait().unwrap();
    let before = alert_ids(&b, alerts);
    assert!(!before.is_empty(), "alerts were written before the kill");

    produce(&p, topic, &after_crash);
    let again = member(
        &b,
        topic,
        "g-kill",
        alerts,
        &[
            "--partitions",
            "0,1,2,3",
            "--until-end",
            "--idle-exit",
            "20s",
        ],
    );
    let (code, err) = finish(again);
    assert_eq!(code, 0, "{err}");

    let got = alert_ids(&b, alerts);
    let unique: BTreeSet<String> = got.iter().cloned().collect();
    assert_eq!(
        got.len(),
        unique.len(),
        "an id written twice across the crash: {got:?}"
    );
    let expected = scan_ids(&b, topic);
    assert_eq!(unique, expected, "an alert lost across the crash");
    assert!(
        before.len() < expected.len(),
        "alerts come after the restart too ({} of {})",
        before.len(),
        expected.len()
    );
}

/// Each host's records (in time order) cut in two halves: all first halves, then all second ones.
fn split_each_host(records: Vec<Record>) -> (Vec<Record>, Vec<Record>) {
    let mut count: std::collections::HashMap<String, usize> = Default::default();
    for r in &records {
        *count.entry(r.host.clone()).or_default() += 1;
    }
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for r in records {
        let i = seen.entry(r.host.clone()).or_default();
        *i += 1;
        if *i <= count[&r.host] / 2 {
            first.push(r);
        } else {
            second.push(r);
        }
    }
    (first, second)
}

#[test]
#[ignore = "needs tansu and DLLHOUND_REAL_DATA (.ci/run installs and sets both)"]
fn garbage_messages_are_counted_dead_lettered_and_the_alerts_still_arrive() {
    let b = Broker::start();
    let (topic, alerts, dead) = ("telemetry-junk", "alerts-junk", "dead-junk");
    b.topic(topic, 4);
    b.topic(alerts, 1);
    b.topic(dead, 1);
    let mut records = recordings();
    let garbage: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02 not json".to_vec(),
        b"{\"EventID\": 7, \"truncated".to_vec(),
        vec![0xff; 300],
        b"[1,2,".to_vec(),
        b"{\"a\":".repeat(1000),
    ];
    // Spread the garbage through the stream, on the keys real records use.
    let step = records.len() / (garbage.len() + 1);
    for (i, g) in garbage.iter().enumerate() {
        let at = step * (i + 1);
        let host = records[at].host.clone();
        records.insert(
            at,
            Record {
                host,
                time: 0,
                json: g.clone(),
            },
        );
    }
    produce(&b.producer(), topic, &records);
    let stats =
        std::env::temp_dir().join(format!("dllhound-kafka-junk-{}.json", std::process::id()));
    let m = member(
        &b,
        topic,
        "g-junk",
        alerts,
        &[
            "--partitions",
            "0,1,2,3",
            "--dead-letter-topic",
            dead,
            "--until-end",
            "--idle-exit",
            "20s",
            "--stats-json",
            stats.to_str().unwrap(),
        ],
    );
    let (code, err) = finish(m);
    assert_eq!(code, 2, "bad records make the exit status 2\n{err}");
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(s["records"]["bad"], garbage.len() as u64, "{s:#}");

    let dead_letters = b.read_all(dead);
    assert_eq!(dead_letters.len(), garbage.len());
    let payloads: BTreeSet<Vec<u8>> = dead_letters.iter().map(|(_, _, p, _)| p.clone()).collect();
    assert_eq!(payloads, garbage.iter().cloned().collect());
    for (_, _, _, headers) in &dead_letters {
        let source = headers
            .iter()
            .find(|(k, _)| k == "dllhound.source")
            .map(|(_, v)| v.as_str());
        assert!(
            source.is_some_and(|s| s.starts_with("telemetry-junk/")),
            "{headers:?}"
        );
        assert!(
            headers
                .iter()
                .any(|(k, v)| k == "dllhound.reason" && v.contains("JSON")),
            "{headers:?}"
        );
    }
    let got: BTreeSet<String> = alert_ids(&b, alerts).into_iter().collect();
    assert_eq!(got, scan_ids(&b, topic));
}
