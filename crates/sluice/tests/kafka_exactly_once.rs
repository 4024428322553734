//! Exactly-once ingestion across crashes (issue 4, point 9): one million events stream from
//! a real Kafka-protocol broker process (`tansu`) into a `sluice server` process whose
//! Kafka table feeds two MergeTree targets through two materialized views. The server is
//! killed with SIGKILL 20 times: at pseudo-random moments, between the two targets' inserts
//! of one block (failpoint `mview_after_target`) and right after a merge commits (failpoint
//! `merge_after_commit`): the thread that reaches a failpoint stops there and writes a
//! marker file, and the test kills the process then. After the last restart every
//! message is in each target exactly once, checked on `(_partition, _offset)` and on the
//! event id.
//!
//! The table has two consumers. It runs twice, one run after the other: with
//! `kafka_thread_per_consumer = 0` (ClickHouse's default: one block of both consumers per
//! flush) and `= 1` (each consumer writes its own blocks).
//!
//! `SLUICE_TEST_KEEP_LOG=FILE` keeps a copy of the server's log (its exactly-once lines at
//! `debug`) in `FILE`.
//!
//! Needs the `tansu` binary (`.ci/run` installs it and sets `SLUICE_REQUIRE_TANSU=1`, which
//! turns a missing broker into a failure); librdkafka's mock cluster is too slow for a
//! million messages.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Ports, failpoint_marker, query, start_server, tansu_available, wait_ready};
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use sluice_kafka::EmbeddedBroker;

const TOPIC: &str = "crash.events";
const PARTITIONS: i32 = 4;
const EVENTS: u64 = 1_000_000;
const KILLS: usize = 20;
/// Production rate: the million events take about 25 s, so most kills land mid-stream.
const RATE_PER_SEC: u64 = 40_000;

/// xorshift64: a fixed, reproducible sequence of kill moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Counts failed deliveries and keeps their ids, to send them again: the broker answering
/// a produce request with an error must not make the test's input smaller.
#[derive(Default)]
struct Deliveries {
    failed: std::sync::Mutex<Vec<u64>>,
    failures: AtomicU64,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, id: usize) {
        if result.is_err() {
            self.failures.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut f) = self.failed.lock() {
                f.push(id as u64);
            }
        }
    }
}

/// Sends event `id` (partition `id % PARTITIONS`), waiting while the local queue is full.
fn send(p: &BaseProducer<Deliveries>, id: u64) {
    let payload = format!(r#"{{"id":{id},"payload":"event-{id}-{}"}}"#, id % 977);
    let key = id.to_string();
    loop {
        let record = BaseRecord::with_opaque_to(TOPIC, id as usize)
            .payload(&payload)
            .key(&key)
            .partition((id % PARTITIONS as u64) as i32);
        match p.send(record) {
            Ok(()) => break,
            Err(_) => {
                p.poll(Duration::from_millis(20));
            }
        }
    }
    p.poll(Duration::ZERO);
}

/// Produces `EVENTS` JSON events at about `RATE_PER_SEC`, then sends again any whose
/// delivery failed. Returns the number of failed deliveries.
fn produce(bootstrap: String, produced: Arc<AtomicU64>) -> u64 {
    let p: BaseProducer<Deliveries> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "200000")
        .create_with_context(Deliveries::default())
        .expect("producer");
    let start = Instant::now();
    for id in 0..EVENTS {
        send(&p, id);
        if id % 1000 == 999 {
            produced.store(id + 1, Ordering::Relaxed);
            let due = Duration::from_micros((id + 1) * 1_000_000 / RATE_PER_SEC);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    for _ in 0..10 {
        p.flush(Duration::from_secs(120)).expect("flush");
        let again = std::mem::take(&mut *p.context().failed.lock().expect("failed ids"));
        if again.is_empty() {
            break;
        }
        for id in again {
            send(&p, id);
        }
    }
    p.flush(Duration::from_secs(120)).expect("flush");
    produced.store(EVENTS, Ordering::Relaxed);
    p.context().failures.load(Ordering::Relaxed)
}

/// Holes in each partition's offsets: `(partition, first missing, count)`.
fn offset_gaps(topic: &[(u64, u64, u64)]) -> String {
    let mut gaps = Vec::new();
    for w in topic.windows(2) {
        if w[0].0 == w[1].0 && w[1].1 > w[0].1 + 1 {
            gaps.push((w[0].0, w[0].1 + 1, w[1].1 - w[0].1 - 1));
        }
    }
    format!("{gaps:?}")
}

/// The event id at the start of a payload `{"id":N,...`.
fn payload_id(payload: &[u8]) -> Option<u64> {
    let rest = payload.strip_prefix(br#"{"id":"#)?;
    let end = rest.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// Every message in the topic, read by a plain consumer of its own: `(partition, offset,
/// id)` in partition and offset order. This, not the producer's count, is what the
/// targets must hold exactly once.
fn read_topic(bootstrap: &str) -> Vec<(u64, u64, u64)> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "exactly_once_checker")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10")
        .create()
        .expect("checking consumer");
    let mut tpl = TopicPartitionList::new();
    let mut high = Vec::new();
    for p in 0..PARTITIONS {
        let (_, h) = c
            .fetch_watermarks(TOPIC, p, Duration::from_secs(10))
            .expect("watermarks");
        high.push(h);
        tpl.add_partition_offset(TOPIC, p, Offset::Beginning)
            .expect("partition");
    }
    c.assign(&tpl).expect("assign");
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    // Up to the high watermarks, and then until nothing more comes for 3 s: tansu 0.6
    // reports the base offset of a partition's last record batch as its high watermark.
    let reached = |c: &BaseConsumer| {
        let Ok(pos) = c.position() else { return false };
        (0..PARTITIONS).all(|p| {
            high[p as usize] == 0
                || matches!(pos.find_partition(TOPIC, p).map(|e| e.offset()),
                    Some(Offset::Offset(o)) if o >= high[p as usize])
        })
    };
    let mut last_message = Instant::now();
    while !reached(&c) || last_message.elapsed() < Duration::from_secs(3) {
        assert!(
            Instant::now() < deadline,
            "reading the topic back timed out"
        );
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                last_message = Instant::now();
                let id = m
                    .payload()
                    .and_then(payload_id)
                    .expect("an event id in every payload");
                out.push((m.partition() as u64, m.offset() as u64, id));
            }
            Some(Err(e)) => panic!("reading the topic back: {e}"),
            None => {}
        }
    }
    for p in 0..PARTITIONS {
        let rows = out.iter().filter(|r| r.0 == p as u64);
        eprintln!(
            "topic partition {p}: high watermark {} at the start, {} messages read, last offset {:?}",
            high[p as usize],
            rows.clone().count(),
            rows.map(|r| r.1).max()
        );
    }
    out.sort_unstable();
    out
}

/// `(partition, offset, id)` of every row of `table`, sorted.
async fn table_rows(client: &reqwest::Client, ports: &Ports, table: &str) -> Vec<(u64, u64, u64)> {
    let text = query(
        client,
        ports,
        &format!("SELECT partition, offset, id FROM {table} ORDER BY partition, offset, id"),
    )
    .await
    .expect("rows of a target");
    text.lines()
        .map(|l| {
            let mut f = l.split('\t').map(|v| v.parse::<u64>().expect("a number"));
            let mut next = || f.next().expect("three columns");
            (next(), next(), next())
        })
        .collect()
}

/// What `got` misses of `want` and holds beyond it (both sorted), first few of each.
fn differences(want: &[(u64, u64, u64)], got: &[(u64, u64, u64)]) -> String {
    let (mut i, mut j) = (0, 0);
    let (mut missing, mut extra) = (Vec::new(), Vec::new());
    while i < want.len() || j < got.len() {
        match (want.get(i), got.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                missing.push(*a);
                i += 1;
            }
            (Some(_), Some(b)) | (None, Some(b)) => {
                extra.push(*b);
                j += 1;
            }
            (Some(a), None) => {
                missing.push(*a);
                i += 1;
            }
            (None, None) => break,
        }
    }
    format!(
        "{} missing (partition, offset, id), first: {:?}; {} extra or duplicated, first: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)],
        extra.len(),
        &extra[..extra.len().min(10)]
    )
}

fn schema_sql(bootstrap: &str, thread_per_consumer: bool) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE queue (id UInt64, payload String) ENGINE = Kafka SETTINGS \
             kafka_broker_list = '{bootstrap}', kafka_topic_list = '{TOPIC}', \
             kafka_group_name = 'crash_test', kafka_format = 'JSONEachRow', \
             kafka_num_consumers = 2, kafka_max_block_size = 20000, \
             kafka_flush_interval_ms = 200, kafka_thread_per_consumer = {}",
            u8::from(thread_per_consumer)
        ),
        // Two partitions: each block is a two-part insert. Small parts merge often.
        "CREATE TABLE by_offset (partition UInt64, offset UInt64, id UInt64) \
         ENGINE = MergeTree PARTITION BY partition % 2 ORDER BY (partition, offset)"
            .to_string(),
        "CREATE TABLE by_id (id UInt64, partition UInt64, offset UInt64, payload String) \
         ENGINE = MergeTree ORDER BY id"
            .to_string(),
        "CREATE MATERIALIZED VIEW mv_a TO by_offset AS \
         SELECT _partition AS partition, _offset AS offset, id FROM queue"
            .to_string(),
        "CREATE MATERIALIZED VIEW mv_b TO by_id AS \
         SELECT id, _partition AS partition, _offset AS offset, payload FROM queue"
            .to_string(),
    ]
}

async fn count_both(client: &reqwest::Client, ports: &Ports) -> Option<(u64, u64)> {
    let a = query(client, ports, "SELECT count() FROM by_offset")
        .await
        .ok()?;
    let b = query(client, ports, "SELECT count() FROM by_id")
        .await
        .ok()?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// The two runs share the machine's cores one after the other.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_events_survive_twenty_crashes_exactly_once_united() {
    let _one = ONE_AT_A_TIME.lock().await;
    survive_crashes(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_events_survive_twenty_crashes_exactly_once_thread_per_consumer() {
    let _one = ONE_AT_A_TIME.lock().await;
    survive_crashes(true).await;
}

async fn survive_crashes(thread_per_consumer: bool) {
    if !tansu_available("the kill -9 test") {
        return;
    }
    let broker = EmbeddedBroker::start().expect("broker");
    assert_eq!(broker.kind(), "tansu");
    broker.create_topic(TOPIC, PARTITIONS).expect("topic");
    let bootstrap = broker.bootstrap_servers().to_string();

    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("data");
    let ports = Ports::free();
    let client = reqwest::Client::new();

    // First start: create the pipeline, then start producing.
    let mut server = start_server(&dir, &ports, None);
    assert!(wait_ready(&client, &ports, &mut server).await);
    for sql in schema_sql(&bootstrap, thread_per_consumer) {
        query(&client, &ports, &sql).await.expect("DDL");
    }
    let produced = Arc::new(AtomicU64::new(0));
    let producer = {
        let produced = Arc::clone(&produced);
        let bootstrap = bootstrap.clone();
        std::thread::spawn(move || produce(bootstrap, produced))
    };

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut by_failpoint = 0;
    let mut seen = (0u64, 0u64);
    for round in 0..KILLS {
        let failpoint = match round % 4 {
            1 => Some(format!("mview_after_target@{}", 2 + rng.next() % 6)),
            3 => Some("merge_after_commit@1".to_string()),
            _ => None,
        };
        let marker = failpoint_marker(&dir);
        let _ = std::fs::remove_file(&marker);
        if round > 0 {
            server = start_server(&dir, &ports, failpoint.as_deref());
            wait_ready(&client, &ports, &mut server).await;
        }
        // Kill only once this run has written something (the consumers rejoined the group
        // and a block went through the views), then after a random delay; a failpoint run
        // is killed once its marker file says a thread stopped at the failpoint.
        let started = Instant::now();
        let mut progressed_at = None;
        let delay = Duration::from_millis(rng.next() % 1500);
        let mut at_failpoint = false;
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(status)) = server.try_wait() {
                panic!("round {round}: the server exited by itself ({status})");
            }
            if failpoint.is_some() && marker.exists() {
                at_failpoint = true;
                break;
            }
            if progressed_at.is_none()
                && let Some(c) = count_both(&client, &ports).await
                && (c.0 > seen.0 || c.1 > seen.1)
            {
                seen = c;
                progressed_at = Some(Instant::now());
            }
            if failpoint.is_none()
                && let Some(at) = progressed_at
                && at.elapsed() >= delay
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if at_failpoint {
            by_failpoint += 1;
        }
        server.kill().expect("SIGKILL the server");
        let _ = server.wait();
        eprintln!(
            "round {round}: {} after {:?} (produced {}, targets at least {seen:?})",
            if at_failpoint {
                format!("SIGKILL at {}", failpoint.as_deref().unwrap_or("?"))
            } else {
                format!("SIGKILL {delay:?} after progress")
            },
            started.elapsed(),
            produced.load(Ordering::Relaxed)
        );
    }
    assert!(
        by_failpoint >= 5,
        "only {by_failpoint} rounds were killed at a failpoint"
    );
    let failed_deliveries = producer.join().expect("producer thread");
    // The ground truth: what the topic holds (a produce request the broker answered with
    // an error was sent again, so every event is there at least once).
    let topic = read_topic(&bootstrap);
    let ids: std::collections::HashSet<u64> = topic.iter().map(|r| r.2).collect();
    eprintln!(
        "topic: {} messages, {} distinct ids; {failed_deliveries} deliveries failed and were sent again; offset gaps: {}",
        topic.len(),
        ids.len(),
        offset_gaps(&topic)
    );
    assert_eq!(ids.len() as u64, EVENTS, "events missing from the topic");
    let total = topic.len() as u64;

    // The last start: no more crashes; wait for every message.
    let mut server = start_server(&dir, &ports, None);
    assert!(wait_ready(&client, &ports, &mut server).await);
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut last = (0, 0);
    while Instant::now() < deadline {
        if let Some(c) = count_both(&client, &ports).await {
            last = c;
            if c.0 >= total && c.1 >= total {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Give a stray duplicate time to show up before checking.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let by_offset = table_rows(&client, &ports, "by_offset").await;
    let by_id = table_rows(&client, &ports, "by_id").await;
    let merged = query(
        &client,
        &ports,
        "SELECT count() FROM system.parts WHERE active AND level > 0 AND table IN ('by_offset', 'by_id')",
    )
    .await
    .expect("parts");
    let _ = server.kill();
    let _ = server.wait();
    eprintln!(
        "counts while waiting: {last:?} of {total}; merged parts now: {}",
        merged.trim()
    );
    if let Some(keep) = std::env::var_os("SLUICE_TEST_KEEP_LOG") {
        let _ = std::fs::copy(dir.with_extension("log"), keep);
    }
    if by_offset != topic || by_id != topic {
        // Where it went wrong: the exactly-once seeks and block writes of every start.
        let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
        for line in log.lines().filter(|l| {
            l.contains("sluice_kafka::exactly_once") && !l.contains(" wrote ")
                || l.contains("ERROR")
        }) {
            eprintln!("{line}");
        }
    }
    assert!(
        by_offset == topic,
        "by_offset against the topic: {}",
        differences(&topic, &by_offset)
    );
    assert!(
        by_id == topic,
        "by_id against the topic: {}",
        differences(&topic, &by_id)
    );
    assert!(
        merged.trim().parse::<u64>().is_ok_and(|m| m > 0),
        "no merged parts: {merged}"
    );
}
