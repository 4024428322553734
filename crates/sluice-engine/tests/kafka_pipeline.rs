//! The seed guide's pipeline end to end: Debezium events produced by a real Kafka client
//! (librdkafka) to a Kafka-protocol broker over TCP (the embedded broker: a `tansu`
//! process when installed, else librdkafka's mock cluster), consumed by a Kafka table,
//! parsed by the guide's materialized view with `JSONExtract*` into MergeTree. Then the
//! engine restarts on the same data directory and nothing is lost or doubled.

mod common;

use std::time::{Duration, Instant};

use common::{SEED_TOPIC, produce_to, query_one, seed_sql};
use sluice_engine::{Engine, EngineConfig, Session};
use sluice_kafka::EmbeddedBroker;

/// One Debezium change event for order `id`.
fn event(id: u32, op: &str) -> String {
    let after = format!(
        r#"{{"id":{id},"order_date":"2025-09-{:02}","purchaser":{},"quantity":{},"product_id":{},"created_at":"2025-09-03T10:30:00Z"}}"#,
        1 + id % 28,
        1000 + id % 7,
        1 + id % 5,
        100 + id % 3
    );
    let after = if op == "d" { "null".to_string() } else { after };
    format!(
        r#"{{"before":null,"after":{after},"source":{{"version":"2.6.0.Final","connector":"postgresql","name":"postgres-server","db":"inventory","table":"orders"}},"op":"{op}","ts_ms":1725356200454}}"#
    )
}

fn op_of(id: u32) -> &'static str {
    ["c", "u", "r", "d"][(id % 4) as usize]
}

async fn wait_count(session: &mut Session, want: u64, timeout: Duration) -> u64 {
    let start = Instant::now();
    loop {
        let n: u64 = query_one(session, "SELECT count() FROM orders_final")
            .await
            .parse()
            .expect("count");
        if n >= want || start.elapsed() > timeout {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sum of quantities and count of the events the view keeps (ops c, u, r) among `ids`.
fn expected(ids: std::ops::Range<u32>) -> (u64, u64) {
    let kept: Vec<u32> = ids.filter(|id| op_of(*id) != "d").collect();
    (
        kept.len() as u64,
        kept.iter().map(|id| u64::from(1 + id % 5)).sum(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_pipeline_survives_restart_exactly_once() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic(SEED_TOPIC, 2).expect("topic");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = EngineConfig {
        path: Some(dir.path().to_path_buf()),
        kafka: sluice_kafka::KafkaConfig {
            consumer: broker.consumer_properties(),
            ..sluice_kafka::KafkaConfig::default()
        },
        ..EngineConfig::default()
    };

    produce(&bootstrap, 0..400);
    {
        let engine = Engine::open(config.clone()).await.expect("engine");
        let mut s = engine.session();
        s.execute_sql(&seed_sql(&bootstrap))
            .await
            .expect("seed SQL");
        let (want, qty) = expected(0..400);
        let got = wait_count(&mut s, want, Duration::from_secs(90)).await;
        assert_eq!(got, want, "rows in orders_final after the first batch");
        let sum = query_one(&mut s, "SELECT sum(quantity) FROM orders_final").await;
        assert_eq!(sum, qty.to_string());
        let ops = query_one(
            &mut s,
            "SELECT arrayStringConcat(groupUniqArray(operation_type), ',') FROM (SELECT operation_type FROM orders_final ORDER BY operation_type)",
        )
        .await;
        assert!(!ops.contains('d'), "delete events are filtered: {ops}");
        let read = query_one(
            &mut s,
            "SELECT sum(num_messages_read) FROM system.kafka_consumers WHERE table = 'orders_kafka_json'",
        )
        .await;
        assert_eq!(
            read, "400",
            "system.kafka_consumers counts every message read"
        );
        // Positions are next offsets: over both partitions they add up to the messages read.
        let next = query_one(
            &mut s,
            "SELECT arraySum(assignments.current_offset) FROM system.kafka_consumers WHERE table = 'orders_kafka_json'",
        )
        .await;
        assert_eq!(next, "400", "consumer positions after 400 messages");
        tokio::task::spawn_blocking(move || engine.shutdown())
            .await
            .expect("shutdown");
    }
    // More events while the engine is down, then a restart on the same directory.
    produce(&bootstrap, 400..600);
    let engine = Engine::open(config).await.expect("engine reopened");
    let mut s = engine.session();
    let (want, qty) = expected(0..600);
    let got = wait_count(&mut s, want, Duration::from_secs(90)).await;
    assert_eq!(got, want, "every event exactly once after the restart");
    // Give a late duplicate the chance to show up before checking uniqueness.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let distinct = query_one(&mut s, "SELECT uniqExact(order_id) FROM orders_final").await;
    assert_eq!(distinct, want.to_string(), "no order doubled");
    let sum = query_one(&mut s, "SELECT sum(quantity) FROM orders_final").await;
    assert_eq!(sum, qty.to_string());
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}

fn produce(bootstrap: &str, ids: std::ops::Range<u32>) {
    produce_to(
        bootstrap,
        SEED_TOPIC,
        ids.map(|id| (id.to_string(), event(id, op_of(id)))),
    );
}
