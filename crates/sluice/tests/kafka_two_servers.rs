//! Two `sluice server` processes with the same `kafka_group_name` share a topic's
//! partitions (issue 4, point 10); when one stops (SIGTERM), the other takes its
//! partitions over from the group's committed offsets; when it comes back, the partitions
//! it gets start at the group's offsets rather than at its own stale records. Across both
//! servers every message is stored exactly once. Runs against a `tansu` broker process with a librdkafka
//! producer.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use common::producer::produce_ids;
use common::{Ports, query, query_u64, start_server, tansu_available, terminate, wait_ready};
use sluice_kafka::EmbeddedBroker;

const TOPIC: &str = "shared.events";
const PARTITIONS: i32 = 4;
const BATCH: u64 = 20_000;

fn schema_sql(bootstrap: &str) -> [String; 3] {
    [
        format!(
            "CREATE TABLE queue (id UInt64) ENGINE = Kafka('{bootstrap}', '{TOPIC}', 'shared_group', 'JSONEachRow') \
             SETTINGS kafka_num_consumers = 2, kafka_flush_interval_ms = 200"
        ),
        "CREATE TABLE events (id UInt64, partition UInt64, offset UInt64) \
         ENGINE = MergeTree ORDER BY (partition, offset)"
            .to_string(),
        "CREATE MATERIALIZED VIEW mv TO events AS \
         SELECT id, _partition AS partition, _offset AS offset FROM queue"
            .to_string(),
    ]
}

/// `(partition, offset)` rows of one server's target.
async fn stored(client: &reqwest::Client, ports: &Ports) -> Vec<(u64, u64)> {
    let text = query(client, ports, "SELECT partition, offset FROM events")
        .await
        .expect("rows");
    text.lines()
        .filter_map(|l| {
            let (p, o) = l.split_once('\t')?;
            Some((p.parse().ok()?, o.parse().ok()?))
        })
        .collect()
}

async fn total(client: &reqwest::Client, a: &Ports, b: &Ports) -> u64 {
    let n = |ports| query_u64(client, ports, "SELECT count() FROM events");
    n(a).await.unwrap_or(0) + n(b).await.unwrap_or(0)
}

/// Partitions assigned to a server's consumers, from `system.kafka_consumers`.
async fn assigned(client: &reqwest::Client, ports: &Ports) -> BTreeSet<u64> {
    let text = query(
        client,
        ports,
        "SELECT arrayJoin(assignments.partition_id) FROM system.kafka_consumers",
    )
    .await
    .expect("kafka_consumers");
    text.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_a_group_and_hand_over_partitions() {
    if !tansu_available("the two-server test") {
        return;
    }
    let broker = EmbeddedBroker::start().expect("broker");
    broker.create_topic(TOPIC, PARTITIONS).expect("topic");
    let bootstrap = broker.bootstrap_servers().to_string();
    let root = tempfile::tempdir().expect("tempdir");
    let client = reqwest::Client::new();

    let (pa, pb) = (Ports::free(), Ports::free());
    let mut a = start_server(&root.path().join("a"), &pa, None);
    let mut b = start_server(&root.path().join("b"), &pb, None);
    assert!(wait_ready(&client, &pa, &mut a).await);
    assert!(wait_ready(&client, &pb, &mut b).await);
    for sql in schema_sql(&bootstrap) {
        query(&client, &pa, &sql).await.expect("DDL on a");
        query(&client, &pb, &sql).await.expect("DDL on b");
    }

    // Both servers' consumers join the group and split the partitions.
    let deadline = Instant::now() + Duration::from_secs(90);
    let (mut sa, mut sb) = (BTreeSet::new(), BTreeSet::new());
    while Instant::now() < deadline {
        sa = assigned(&client, &pa).await;
        sb = assigned(&client, &pb).await;
        if !sa.is_empty() && !sb.is_empty() && sa.len() + sb.len() == PARTITIONS as usize {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("assignments: a {sa:?}, b {sb:?}");
    assert!(sa.is_disjoint(&sb), "a {sa:?} and b {sb:?} overlap");
    assert!(!sa.is_empty() && !sb.is_empty(), "a {sa:?}, b {sb:?}");
    assert_eq!(sa.len() + sb.len(), PARTITIONS as usize);

    let b1 = bootstrap.clone();
    tokio::task::spawn_blocking(move || produce_ids(&b1, TOPIC, PARTITIONS, 0..BATCH))
        .await
        .expect("producer");
    let deadline = Instant::now() + Duration::from_secs(120);
    while total(&client, &pa, &pb).await < BATCH && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rows_a = stored(&client, &pa).await;
    let rows_b = stored(&client, &pb).await;
    let parts_a: BTreeSet<u64> = rows_a.iter().map(|r| r.0).collect();
    let parts_b: BTreeSet<u64> = rows_b.iter().map(|r| r.0).collect();
    eprintln!(
        "first {BATCH}: a stored {} rows of partitions {parts_a:?}, b {} of {parts_b:?}",
        rows_a.len(),
        rows_b.len()
    );
    assert!(!rows_a.is_empty() && !rows_b.is_empty());
    assert!(parts_a.is_disjoint(&parts_b));

    // a stops cleanly: b takes all partitions and continues where a committed.
    assert!(
        terminate(&mut a, Duration::from_secs(30)),
        "a did not exit cleanly"
    );
    let b2 = bootstrap.clone();
    tokio::task::spawn_blocking(move || produce_ids(&b2, TOPIC, PARTITIONS, BATCH..2 * BATCH))
        .await
        .expect("producer");
    let want = 2 * BATCH - rows_a.len() as u64;
    let deadline = Instant::now() + Duration::from_secs(120);
    while query_u64(&client, &pb, "SELECT count() FROM events")
        .await
        .unwrap_or(0)
        < want
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sb = assigned(&client, &pb).await;
    eprintln!("after a stopped: b holds partitions {sb:?}");
    assert_eq!(sb.len(), PARTITIONS as usize);

    // a comes back: the partitions it gets start at the group's committed offsets (b
    // consumed past what a's own parts recorded), not at a's stale records.
    let mut a = start_server(&root.path().join("a"), &pa, None);
    assert!(wait_ready(&client, &pa, &mut a).await);
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        let (x, y) = (assigned(&client, &pa).await, assigned(&client, &pb).await);
        if !x.is_empty() && x.len() + y.len() == PARTITIONS as usize {
            eprintln!("a is back: a {x:?}, b {y:?}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let b3 = bootstrap.clone();
    tokio::task::spawn_blocking(move || produce_ids(&b3, TOPIC, PARTITIONS, 2 * BATCH..3 * BATCH))
        .await
        .expect("producer");
    let deadline = Instant::now() + Duration::from_secs(120);
    while total(&client, &pa, &pb).await < 3 * BATCH && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rows_a = stored(&client, &pa).await;
    let rows_b = stored(&client, &pb).await;
    assert!(
        terminate(&mut a, Duration::from_secs(30)),
        "a did not exit cleanly"
    );
    assert!(
        terminate(&mut b, Duration::from_secs(30)),
        "b did not exit cleanly"
    );
    eprintln!(
        "at the end: a {} rows, b {} rows",
        rows_a.len(),
        rows_b.len()
    );

    // Every message exactly once across the two servers.
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let twice: Vec<(u64, u64)> = rows_a
        .iter()
        .chain(&rows_b)
        .filter(|r| !seen.insert(**r))
        .copied()
        .collect();
    if !twice.is_empty() {
        // Where each server started its partitions and what each block held (the servers
        // log `sluice_kafka::exactly_once` at debug).
        for name in ["a", "b"] {
            let log = std::fs::read_to_string(root.path().join(name).with_extension("log"))
                .unwrap_or_default();
            eprintln!("--- server {name}'s exactly-once log:");
            for line in log.lines().filter(|l| l.contains("exactly_once")) {
                eprintln!("{line}");
            }
        }
    }
    assert!(
        twice.is_empty(),
        "{} messages stored twice, the first {:?}",
        twice.len(),
        twice.iter().min()
    );
    assert_eq!(seen.len() as u64, 3 * BATCH);
    for p in 0..PARTITIONS as u64 {
        let n = seen.iter().filter(|r| r.0 == p).count() as u64;
        let max = seen.iter().filter(|r| r.0 == p).map(|r| r.1).max();
        assert_eq!(max, Some(n - 1), "partition {p}: offsets 0..{n} dense");
    }
}
