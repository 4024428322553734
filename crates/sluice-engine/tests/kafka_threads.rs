//! `kafka_thread_per_consumer` (issue 4, point 5) with `kafka_num_consumers = 2` on a topic
//! of 4 partitions, against the embedded broker over TCP.
//!
//! ClickHouse (`StorageKafka::streamToViews`): with `= 0` (the default) one task reads both
//! consumers in parallel and writes their blocks as one insert into the views, then commits
//! both consumers; with `= 1` each consumer has its own task, insert and commit. A
//! MergeTree target (merges stopped) shows it in its parts: with `= 0` a part holds the rows
//! of both consumers' partitions, with `= 1` every part holds one consumer's partitions
//! only. Both ways every message arrives once, and both consumers commit. (chdb, the
//! oracle, cannot create a Kafka table — "Code: 49. Shutdown was called" — so the part
//! shapes follow ClickHouse's source; the counts come from the oracle.)

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::{engine, kafka_table, query_one, rows, wait_rows};
use sluice_engine::{EngineRef, Session};
use sluice_kafka::EmbeddedBroker;
use tempfile::TempDir;

const MESSAGES: u32 = 4000;
const PARTITIONS: i32 = 4;
const ROUND: u32 = 400;

/// Produces `{"id":N,"name":"nN"}` for N in `ids` to partition `N % PARTITIONS`,
/// in rounds of `ROUND` messages 300 ms apart: several flushes find messages for both
/// consumers (one round may reach one consumer just before a flush and the other after it).
fn produce(bootstrap: &str, topic: &str, ids: std::ops::Range<u32>) {
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let p: BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    for id in ids {
        let payload = format!(r#"{{"id":{id},"name":"n{id}"}}"#);
        let key = id.to_string();
        let mut rec = BaseRecord::to(topic)
            .payload(&payload)
            .key(&key)
            .partition(id as i32 % PARTITIONS);
        loop {
            match p.send(rec) {
                Ok(()) => break,
                Err((_, back)) => {
                    rec = back;
                    p.poll(Duration::from_millis(50));
                }
            }
        }
        p.poll(Duration::ZERO);
        if (id + 1) % ROUND == 0 {
            p.flush(Duration::from_secs(60)).expect("flush");
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    p.flush(Duration::from_secs(60)).expect("flush");
}

/// Partition → consumer, once both consumers hold two partitions each.
async fn settled_assignment(s: &mut Session) -> BTreeMap<u64, String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = rows(
            s,
            "SELECT consumer_id, arrayJoin(assignments.partition_id) FROM system.kafka_consumers \
             WHERE table = 'src'",
        )
        .await
        .expect("kafka_consumers");
        let mut owner = BTreeMap::new();
        for line in &got {
            if let Some((consumer, partition)) = line.split_once('\t')
                && let Ok(p) = partition.parse::<u64>()
            {
                owner.insert(p, consumer.to_string());
            }
        }
        let consumers: BTreeSet<&String> = owner.values().collect();
        let per_consumer_two = consumers
            .iter()
            .all(|c| owner.values().filter(|o| o == c).count() == 2);
        if got.len() == PARTITIONS as usize
            && owner.len() == PARTITIONS as usize
            && consumers.len() == 2
            && per_consumer_two
        {
            return owner;
        }
        assert!(
            Instant::now() < deadline,
            "the two consumers did not share the 4 partitions: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A broker with topic `topic` (4 partitions), an engine, and `src` (Kafka, 2 consumers,
/// `kafka_thread_per_consumer = mode`) → `mv` → `sink` (MergeTree, merges stopped).
async fn start(mode: u8, topic: &str) -> (EmbeddedBroker, EngineRef, Session, TempDir) {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic(topic, PARTITIONS).expect("topic");
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    for sql in [
        kafka_table(
            "src",
            &bootstrap,
            topic,
            &format!("g_{topic}"),
            &format!(
                ", kafka_num_consumers = 2, kafka_thread_per_consumer = {mode}, \
                 kafka_flush_interval_ms = 1000, kafka_poll_timeout_ms = 100"
            ),
        ),
        "CREATE TABLE sink (id UInt32, p UInt64) ENGINE = MergeTree ORDER BY id".to_string(),
        "SYSTEM STOP MERGES sink".to_string(),
        "CREATE MATERIALIZED VIEW mv TO sink AS SELECT id, _partition AS p FROM src".to_string(),
    ] {
        rows(&mut s, &sql).await.expect("DDL");
    }
    (broker, engine, s, dir)
}

/// Runs the pipeline with `kafka_thread_per_consumer = mode`; returns, per part of the
/// target, the consumers whose partitions it holds.
async fn parts_by_consumer(mode: u8) -> Vec<BTreeSet<String>> {
    let topic = format!("tpc{mode}");
    let (broker, engine, mut s, _dir) = start(mode, &topic).await;
    let bootstrap = broker.bootstrap_servers().to_string();
    let owner = settled_assignment(&mut s).await;
    produce(&bootstrap, &topic, 0..MESSAGES);
    assert_eq!(
        wait_rows(&mut s, "sink", u64::from(MESSAGES)).await,
        u64::from(MESSAGES)
    );
    // A block written twice would show after the count reached the total.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let check = rows(
        &mut s,
        "SELECT count(), uniqExact(id), min(id), max(id) FROM sink",
    )
    .await
    .expect("check");
    // ch-oracle -q "SELECT count(), uniqExact(id), min(id), max(id)
    //   FROM (SELECT toUInt32(number) AS id FROM numbers(4000))"
    assert_eq!(
        check,
        ["4000\t4000\t0\t3999"],
        "mode {mode}: every message once"
    );
    // ch-oracle -q "SELECT count(), uniqExact(id, p) FROM (SELECT toUInt32(number) AS id,
    //   number % 4 AS p FROM numbers(4000))"
    let pairs = rows(&mut s, "SELECT count(), uniqExact(id, p) FROM sink")
        .await
        .expect("pairs");
    assert_eq!(pairs, ["4000\t4000"], "mode {mode}: partitions");
    let committed = query_one(
        &mut s,
        "SELECT countIf(num_commits > 0) FROM system.kafka_consumers WHERE table = 'src'",
    )
    .await;
    assert_eq!(committed, "2", "mode {mode}: both consumers commit");
    // The assignment did not move while the messages were read.
    assert_eq!(settled_assignment(&mut s).await, owner, "mode {mode}");
    let mut parts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in rows(&mut s, "SELECT _part, p FROM sink GROUP BY _part, p")
        .await
        .expect("parts")
    {
        let (part, p) = line.split_once('\t').expect("two columns");
        let p: u64 = p.parse().expect("partition");
        parts
            .entry(part.to_string())
            .or_default()
            .insert(owner[&p].clone());
    }
    println!(
        "kafka_thread_per_consumer = {mode}: {} parts, consumers per part {:?}; rows per part and partition: {:?}",
        parts.len(),
        parts.values().map(BTreeSet::len).collect::<Vec<_>>(),
        rows(
            &mut s,
            "SELECT _part, p, count() FROM sink GROUP BY _part, p ORDER BY _part, p"
        )
        .await
        .expect("parts")
    );
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
    parts.into_values().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_unites_the_consumers_blocks_in_one_insert() {
    let parts = parts_by_consumer(0).await;
    assert!(
        parts.iter().any(|consumers| consumers.len() == 2),
        "no part holds both consumers' partitions: {parts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_gives_each_consumer_its_own_inserts() {
    let parts = parts_by_consumer(1).await;
    assert!(parts.len() >= 2, "{parts:?}");
    assert!(
        parts.iter().all(|consumers| consumers.len() == 1),
        "a part holds two consumers' partitions: {parts:?}"
    );
}

/// `= 0` through stops and starts: the Kafka table is detached and attached three times
/// while 8000 messages arrive in rounds; the united blocks given up by the stops are read
/// again, and every message is in the target once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_detach_and_attach_while_producing_lose_and_double_nothing() {
    const TOTAL: u32 = 8000;
    let (broker, engine, mut s, _dir) = start(0, "tpcd").await;
    let bootstrap = broker.bootstrap_servers().to_string();
    settled_assignment(&mut s).await;
    let producer = std::thread::spawn(move || produce(&bootstrap, "tpcd", 0..TOTAL));
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        rows(&mut s, "DETACH TABLE src").await.expect("detach");
        tokio::time::sleep(Duration::from_millis(400)).await;
        rows(&mut s, "ATTACH TABLE src").await.expect("attach");
    }
    producer.join().expect("producer");
    assert_eq!(
        wait_rows(&mut s, "sink", u64::from(TOTAL)).await,
        u64::from(TOTAL)
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // ch-oracle -q "SELECT count(), uniqExact(id), min(id), max(id)
    //   FROM (SELECT toUInt32(number) AS id FROM numbers(8000))"
    assert_eq!(
        rows(
            &mut s,
            "SELECT count(), uniqExact(id), min(id), max(id) FROM sink"
        )
        .await
        .expect("check"),
        ["8000\t8000\t0\t7999"]
    );
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}

/// `= 0` with more consumers than partitions: the consumer without a partition ends its
/// part of each flush at once (ClickHouse's source stops after its empty polls), so a block
/// full at `kafka_max_block_size` is written without waiting for `kafka_flush_interval_ms`
/// (30 s here: 1000 messages in blocks of 100 would take 10 flush intervals).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_does_not_wait_for_a_consumer_without_partitions() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic("tpc1p", 1).expect("topic");
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    for sql in [
        kafka_table(
            "src",
            &bootstrap,
            "tpc1p",
            "g_tpc1p",
            ", kafka_num_consumers = 2, kafka_max_block_size = 100, \
             kafka_flush_interval_ms = 30000, kafka_poll_timeout_ms = 100",
        ),
        "CREATE TABLE sink (id UInt32, p UInt64) ENGINE = MergeTree ORDER BY id".to_string(),
        "CREATE MATERIALIZED VIEW mv TO sink AS SELECT id, _partition AS p FROM src".to_string(),
    ] {
        rows(&mut s, &sql).await.expect("DDL");
    }
    // Partition 0 only (`N % 1`).
    {
        use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
        let p: BaseProducer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .create()
            .expect("producer");
        for id in 0..1000u32 {
            let payload = format!(r#"{{"id":{id},"name":"n{id}"}}"#);
            p.send(
                BaseRecord::<(), str>::to("tpc1p")
                    .payload(&payload)
                    .partition(0),
            )
            .expect("send");
            p.poll(Duration::ZERO);
        }
        p.flush(Duration::from_secs(60)).expect("flush");
    }
    assert_eq!(wait_rows(&mut s, "sink", 1000).await, 1000);
    // ch-oracle -q "SELECT count(), uniqExact(id), min(id), max(id)
    //   FROM (SELECT toUInt32(number) AS id FROM numbers(1000))"
    assert_eq!(
        rows(
            &mut s,
            "SELECT count(), uniqExact(id), min(id), max(id) FROM sink"
        )
        .await
        .expect("check"),
        ["1000\t1000\t0\t999"]
    );
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}
