//! Exactly-once ingestion across crashes (issue 4, point 9): one million events stream from
//! a real Kafka-protocol broker process (`tansu`) into a `sluice server` process whose
//! Kafka table feeds two MergeTree targets through two materialized views. The server is
//! killed 20 times: by SIGKILL at pseudo-random moments, by an abort between the two
//! targets' inserts of one block (failpoint `mview_after_target`), and by an abort right
//! after a merge commits (failpoint `merge_after_commit`). After the last restart every
//! message is in each target exactly once, checked on `(_partition, _offset)` and on the
//! event id.
//!
//! Needs the `tansu` binary (`.ci/run` installs it and sets `SLUICE_REQUIRE_TANSU=1`, which
//! turns a missing broker into a failure); librdkafka's mock cluster is too slow for a
//! million messages.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Ports, query, start_server, tansu_available, wait_ready};
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
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

/// Produces `EVENTS` JSON events at about `RATE_PER_SEC`, partition `id % PARTITIONS`.
fn produce(bootstrap: String, produced: Arc<AtomicU64>) {
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "200000")
        .create()
        .expect("producer");
    let start = Instant::now();
    for id in 0..EVENTS {
        let payload = format!(r#"{{"id":{id},"payload":"event-{id}-{}"}}"#, id % 977);
        let key = id.to_string();
        loop {
            let record = BaseRecord::to(TOPIC)
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
        if id % 1000 == 999 {
            produced.store(id + 1, Ordering::Relaxed);
            let due = Duration::from_micros((id + 1) * 1_000_000 / RATE_PER_SEC);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    p.flush(Duration::from_secs(120)).expect("flush");
    produced.store(EVENTS, Ordering::Relaxed);
}

fn schema_sql(bootstrap: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE queue (id UInt64, payload String) ENGINE = Kafka SETTINGS \
             kafka_broker_list = '{bootstrap}', kafka_topic_list = '{TOPIC}', \
             kafka_group_name = 'crash_test', kafka_format = 'JSONEachRow', \
             kafka_num_consumers = 2, kafka_max_block_size = 20000, \
             kafka_flush_interval_ms = 200"
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_events_survive_twenty_crashes_exactly_once() {
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
    for sql in schema_sql(&bootstrap) {
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
        if round > 0 {
            server = start_server(&dir, &ports, failpoint.as_deref());
            wait_ready(&client, &ports, &mut server).await;
        }
        // Kill only once this run has written something (the consumers rejoined the group
        // and a block went through the views), then after a random delay; a failpoint run
        // dies by itself.
        let started = Instant::now();
        let mut progressed_at = None;
        let delay = Duration::from_millis(rng.next() % 1500);
        let mut died = false;
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(_)) = server.try_wait() {
                died = true;
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
        if died {
            by_failpoint += 1;
        }
        let _ = server.kill(); // SIGKILL
        let _ = server.wait();
        eprintln!(
            "round {round}: {} after {:?} (produced {}, targets at least {seen:?})",
            if died {
                format!("aborted at {}", failpoint.as_deref().unwrap_or("?"))
            } else {
                format!("SIGKILL {delay:?} after progress")
            },
            started.elapsed(),
            produced.load(Ordering::Relaxed)
        );
    }
    assert!(
        by_failpoint >= 5,
        "only {by_failpoint} rounds died at a failpoint"
    );
    producer.join().expect("producer thread");

    // The last start: no more crashes; wait for every event.
    let mut server = start_server(&dir, &ports, None);
    assert!(wait_ready(&client, &ports, &mut server).await);
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut last = (0, 0);
    while Instant::now() < deadline {
        if let Some(c) = count_both(&client, &ports).await {
            last = c;
            if c.0 >= EVENTS && c.1 >= EVENTS {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Give a stray duplicate time to show up before checking.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let a = query(
        &client,
        &ports,
        "SELECT count(), uniqExact(partition, offset), uniqExact(id), min(id), max(id) FROM by_offset",
    )
    .await
    .expect("check by_offset");
    let b = query(
        &client,
        &ports,
        "SELECT count(), uniqExact(partition, offset), uniqExact(id), min(id), max(id) FROM by_id",
    )
    .await
    .expect("check by_id");
    // Offsets are dense from 0 in each partition: their count per partition is max + 1.
    let dense = query(
        &client,
        &ports,
        "SELECT sum(m + 1) FROM (SELECT partition, max(offset) AS m FROM by_offset GROUP BY partition)",
    )
    .await
    .expect("offsets");
    let merged = query(
        &client,
        &ports,
        "SELECT count() FROM system.parts WHERE active AND level > 0 AND table IN ('by_offset', 'by_id')",
    )
    .await
    .expect("parts");
    // Per partition: rows, distinct offsets, min and max offset (to locate a failure).
    for t in ["by_offset", "by_id"] {
        let detail = query(
            &client,
            &ports,
            &format!(
                "SELECT partition, count(), uniqExact(offset), min(offset), max(offset) FROM {t} GROUP BY partition ORDER BY partition"
            ),
        )
        .await
        .unwrap_or_default();
        eprintln!("{t} per partition (rows, distinct, min, max):\n{detail}");
    }
    let _ = server.kill();
    let _ = server.wait();
    eprintln!(
        "counts while waiting: {last:?}; merged parts now: {}",
        merged.trim()
    );
    let want = format!("{EVENTS}\t{EVENTS}\t{EVENTS}\t0\t{}\n", EVENTS - 1);
    assert_eq!(
        a, want,
        "by_offset: count, distinct (partition, offset), distinct id, min, max"
    );
    assert_eq!(
        b, want,
        "by_id: count, distinct (partition, offset), distinct id, min, max"
    );
    assert_eq!(dense.trim(), EVENTS.to_string());
}
