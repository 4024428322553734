//! A Kafka table may have `ALIAS` columns (ClickHouse refuses only DEFAULT, MATERIALIZED
//! and EPHEMERAL ones, `sql-tests/kafka/ddl.slt`): a view reads the alias computed from
//! each consumed row, and `SHOW CREATE TABLE` prints the column as ClickHouse stores it.

mod common;

use common::{engine, produce_to, rows};
use sluice_kafka::EmbeddedBroker;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alias_columns_are_computed_for_views() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic("alias.t", 1).expect("topic");
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    for sql in [
        format!(
            "CREATE TABLE k (id UInt32, name String, name_upper String ALIAS upper(name)) \
             ENGINE = Kafka('{bootstrap}', 'alias.t', 'g_alias', 'JSONEachRow') \
             SETTINGS kafka_flush_interval_ms = 100"
        ),
        "CREATE TABLE got (id UInt32, u String) ENGINE = MergeTree ORDER BY id".to_string(),
        "CREATE MATERIALIZED VIEW mv TO got AS SELECT id, name_upper AS u FROM k".to_string(),
    ] {
        rows(&mut s, &sql).await.expect("DDL");
    }
    // ClickHouse's stored definition of the same table (the oracle's metadata file, with
    // `ATTACH TABLE _ UUID '…'` read as `CREATE TABLE default.k`).
    let show = rows(&mut s, "SHOW CREATE TABLE k").await.expect("show");
    let want = [
        "CREATE TABLE default.k".to_string(),
        "(".to_string(),
        "    `id` UInt32,".to_string(),
        "    `name` String,".to_string(),
        "    `name_upper` String ALIAS upper(name)".to_string(),
        ")".to_string(),
        format!("ENGINE = Kafka('{bootstrap}', 'alias.t', 'g_alias', 'JSONEachRow')"),
        "SETTINGS kafka_flush_interval_ms = 100".to_string(),
    ];
    assert_eq!(show, [want.join("\n")]);
    produce_to(
        &bootstrap,
        "alias.t",
        (0..3).map(|i| (i.to_string(), format!("{{\"id\":{i},\"name\":\"n{i}\"}}"))),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let got = loop {
        let r = rows(&mut s, "SELECT id, u FROM got ORDER BY id")
            .await
            .expect("rows");
        if r.len() >= 3 || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(got, ["0\tN0", "1\tN1", "2\tN2"]);
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}
