//! Back-pressure (issue 4, point 5): when the target is slow, the consumer reads no faster
//! than the target accepts. The target here is a MergeTree table whose every insert is
//! delayed by its own settings (`parts_to_delay_insert = 1`, `min_delay_to_insert_ms`: the
//! "too many parts" throttle ClickHouse applies), so 10,000 waiting messages in blocks of
//! 500 take several seconds to land. Throughout, the messages the consumer has taken from
//! librdkafka (`system.kafka_consumers.num_messages_read`) stay within two blocks of the
//! rows in the target, and in the end every message is there exactly once. Runs over TCP
//! against the embedded broker.

mod common;

use std::time::{Duration, Instant};

use common::{engine, kafka_table, produce_to, query_one, rows};
use sluice_kafka::EmbeddedBroker;

const MESSAGES: u64 = 10_000;
const BLOCK: u64 = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_target_slows_the_consumer_without_loss() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic("bp.t", 1).expect("topic");
    produce_to(
        &bootstrap,
        "bp.t",
        (0..MESSAGES).map(|i| (i.to_string(), format!(r#"{{"id":{i},"name":"n{i}"}}"#))),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    for sql in [
        kafka_table(
            "src",
            &bootstrap,
            "bp.t",
            "g_bp",
            &format!(", kafka_max_block_size = {BLOCK}, kafka_flush_interval_ms = 100"),
        ),
        "CREATE TABLE sink (id UInt32, name String) ENGINE = MergeTree ORDER BY id \
         SETTINGS parts_to_delay_insert = 1, parts_to_throw_insert = 1000000, \
         min_delay_to_insert_ms = 150, max_delay_to_insert = 1"
            .to_string(),
        "CREATE MATERIALIZED VIEW mv TO sink AS SELECT id, name FROM src".to_string(),
    ] {
        rows(&mut s, &sql).await.expect("DDL");
    }

    let deadline = Instant::now() + Duration::from_secs(120);
    let mut samples_behind = 0;
    let mut max_ahead = 0u64;
    loop {
        // Rows first, then messages read: a block polled in between only widens the gap.
        let stored: u64 = query_one(&mut s, "SELECT count() FROM sink")
            .await
            .parse()
            .expect("count");
        let read: u64 = query_one(
            &mut s,
            "SELECT num_messages_read FROM system.kafka_consumers WHERE table = 'src'",
        )
        .await
        .parse()
        .unwrap_or(0);
        max_ahead = max_ahead.max(read.saturating_sub(stored));
        assert!(
            read <= stored + 2 * BLOCK,
            "the consumer read {read} messages while the target holds {stored} rows"
        );
        if read < MESSAGES && stored > 0 {
            samples_behind += 1;
        }
        if stored >= MESSAGES {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {stored} of {MESSAGES} rows arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        samples_behind >= 5,
        "the target was never the bottleneck ({samples_behind} samples with messages left unread)"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let check = rows(
        &mut s,
        "SELECT count(), uniqExact(id), min(id), max(id) FROM sink",
    )
    .await
    .expect("check");
    // ch-oracle -q "SELECT count(), uniqExact(id), min(id), max(id)
    //   FROM (SELECT toUInt32(number) AS id FROM numbers(10000))"
    assert_eq!(check, ["10000\t10000\t0\t9999"], "every message once");
    println!("consumer ahead of the target by at most {max_ahead} messages (blocks of {BLOCK})");
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}
