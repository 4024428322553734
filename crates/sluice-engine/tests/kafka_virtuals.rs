//! The consumer builds only the virtual columns the views of a Kafka table may read (the
//! others are zero values no view sees): a view reading `_offset` and `_key` gets their
//! values, a view reading no virtual column gets its rows, and a direct `SELECT` still
//! reads every virtual column.

mod common;

use std::time::Duration;

use common::{engine, kafka_table, produce_to, rows, wait_rows};
use sluice_kafka::EmbeddedBroker;

/// `{"id":N,"name":"nN"}` with key `kN` for N in `ids`.
fn produce(bootstrap: &str, topic: &str, ids: std::ops::Range<u32>) {
    produce_to(
        bootstrap,
        topic,
        ids.map(|id| {
            (
                format!("k{id}"),
                format!("{{\"id\":{id},\"name\":\"n{id}\"}}"),
            )
        }),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_get_the_virtual_columns_they_read() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic("virtuals.t", 1).expect("topic");
    produce(&bootstrap, "virtuals.t", 0..4);
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    let flush = ", kafka_flush_interval_ms = 100";
    for sql in [
        kafka_table("src_read", &bootstrap, "virtuals.t", "g_read", flush),
        "CREATE TABLE with_virtuals (id UInt32, off UInt64, k String) ENGINE = MergeTree ORDER BY id"
            .to_string(),
        "CREATE MATERIALIZED VIEW mv_read TO with_virtuals AS SELECT id, _offset AS off, _key AS k FROM src_read"
            .to_string(),
        kafka_table("src_none", &bootstrap, "virtuals.t", "g_none", flush),
        "CREATE TABLE without_virtuals (id UInt32, name String, _partition_date Date DEFAULT '2025-01-01') ENGINE = MergeTree ORDER BY id"
            .to_string(),
        "CREATE MATERIALIZED VIEW mv_none TO without_virtuals AS SELECT id, name, toDate('2025-01-02') AS _partition_date FROM src_none"
            .to_string(),
    ] {
        rows(&mut s, &sql).await.expect("DDL");
    }
    assert_eq!(wait_rows(&mut s, "with_virtuals", 4).await, 4);
    assert_eq!(wait_rows(&mut s, "without_virtuals", 4).await, 4);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        rows(&mut s, "SELECT id, off, k FROM with_virtuals ORDER BY id")
            .await
            .expect("rows"),
        ["0\t0\tk0", "1\t1\tk1", "2\t2\tk2", "3\t3\tk3"]
    );
    assert_eq!(
        rows(
            &mut s,
            "SELECT id, name, _partition_date FROM without_virtuals ORDER BY id"
        )
        .await
        .expect("rows"),
        [
            "0\tn0\t2025-01-02",
            "1\tn1\t2025-01-02",
            "2\tn2\t2025-01-02",
            "3\tn3\t2025-01-02"
        ]
    );

    // A direct SELECT (no view) reads every virtual column.
    rows(
        &mut s,
        &kafka_table("direct", &bootstrap, "virtuals.t", "g_direct", ""),
    )
    .await
    .expect("create direct");
    let direct = rows(
        &mut s,
        "SELECT id, _topic, _key, _offset, _partition FROM direct ORDER BY id LIMIT 2 SETTINGS stream_like_engine_allow_direct_select = 1",
    )
    .await
    .expect("direct select");
    assert_eq!(
        direct,
        ["0\tvirtuals.t\tk0\t0\t0", "1\tvirtuals.t\tk1\t1\t0"]
    );
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}
