//! `DETACH TABLE` of a Kafka table stops its consumers and `ATTACH TABLE` starts them again;
//! detaching the materialized view that reads it stops consumption too (a Kafka table
//! without views does not consume). Messages produced meanwhile arrive exactly once after
//! the attach. Runs the seed guide's pipeline on the embedded broker.

mod common;

use std::time::{Duration, Instant};

use common::{SEED_TOPIC, produce_to, query_one, seed_sql};
use sluice_engine::{Engine, EngineConfig, Session};
use sluice_kafka::EmbeddedBroker;

/// One Debezium insert event for order `id` with quantity `1 + id % 5`.
fn event(id: u32) -> String {
    format!(
        r#"{{"before":null,"after":{{"id":{id},"order_date":"2025-09-03","purchaser":1001,"quantity":{},"product_id":101,"created_at":"2025-09-03T10:30:00Z"}},"source":{{"version":"2.6.0.Final","connector":"postgresql","name":"postgres-server","db":"inventory","table":"orders"}},"op":"c","ts_ms":1725356200454}}"#,
        1 + id % 5
    )
}

async fn count(session: &mut Session) -> u64 {
    query_one(session, "SELECT count() FROM orders_final")
        .await
        .parse()
        .expect("count")
}

async fn wait_count(session: &mut Session, want: u64, timeout: Duration) -> u64 {
    let start = Instant::now();
    loop {
        let n = count(session).await;
        if n >= want || start.elapsed() > timeout {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn consumers(session: &mut Session) -> String {
    query_one(
        session,
        "SELECT count() FROM system.kafka_consumers WHERE table = 'orders_kafka_json'",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_stops_and_attach_restarts_kafka_consumers() {
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
    let engine = Engine::open(config).await.expect("engine");
    let mut s = engine.session();
    s.execute_sql(&seed_sql(&bootstrap))
        .await
        .expect("seed SQL");
    produce(&bootstrap, 0..100);
    assert_eq!(wait_count(&mut s, 100, Duration::from_secs(90)).await, 100);

    // The Kafka table detached: no consumer, nothing read.
    s.execute_sql("DETACH TABLE orders_kafka_json")
        .await
        .expect("detach kafka");
    assert_eq!(consumers(&mut s).await, "0");
    produce(&bootstrap, 100..200);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count(&mut s).await, 100, "nothing consumed while detached");
    let err = s
        .execute_sql("SELECT * FROM orders_kafka_json")
        .await
        .expect_err("a detached table is unknown");
    assert_eq!(err.code.0, 60);

    // Attached again: the consumers resume from the committed offsets.
    s.execute_sql("ATTACH TABLE orders_kafka_json")
        .await
        .expect("attach kafka");
    assert_eq!(wait_count(&mut s, 200, Duration::from_secs(90)).await, 200);

    // The view detached: the Kafka table has no reader and stops consuming.
    s.execute_sql("DETACH TABLE orders_mv")
        .await
        .expect("detach view");
    produce(&bootstrap, 200..300);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(count(&mut s).await, 200, "nothing consumed without a view");
    s.execute_sql("ATTACH TABLE orders_mv")
        .await
        .expect("attach view");
    assert_eq!(wait_count(&mut s, 300, Duration::from_secs(90)).await, 300);

    // Exactly once: every order id once, quantities add up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        query_one(&mut s, "SELECT uniqExact(order_id) FROM orders_final").await,
        "300"
    );
    let qty: u32 = (0..300).map(|id| 1 + id % 5).sum();
    assert_eq!(
        query_one(&mut s, "SELECT sum(quantity) FROM orders_final").await,
        qty.to_string()
    );
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}

fn produce(bootstrap: &str, ids: std::ops::Range<u32>) {
    produce_to(
        bootstrap,
        SEED_TOPIC,
        ids.map(|id| (id.to_string(), event(id))),
    );
}
