//! `system.kafka_consumers.dependencies` / `missing_dependencies` of a cascade (issue 4,
//! point 8): every path of views and targets below the Kafka table, as ClickHouse 26.9
//! lists them. Expected values: chdb 26.9 reading a tansu broker with the same statements
//! (`CREATE TABLE k (a UInt8) ENGINE = Kafka('127.0.0.1:…', 'dt', 'gdeps', 'JSONEachRow')`,
//! the views below, then `SELECT dependencies, missing_dependencies FROM
//! system.kafka_consumers`), printed there:
//! `[['default.v5','default.t4'],['default.v1','default.t1','default.v3','default.t3'],
//! ['default.v1','default.t1','d2.v2','d2.t2','default.v4','default.t4']]  []`;
//! after `DETACH TABLE d2.t2`: `…,['default.v1','default.t1','d2.v2']]` in both; after
//! `DETACH TABLE t1` instead: `[['default.v5','default.t4'],['default.v1']]  [['default.v1']]`;
//! a detached view leaves the paths (chdb: `DETACH TABLE x2` removed `[…,'default.x2',…]`).
//! ClickHouse's order of the paths changes between runs (its dependency sets), so the paths
//! are compared sorted.

mod common;

use common::{engine, rows};
use sluice_engine::Session;
use sluice_kafka::EmbeddedBroker;

/// The paths of `dependencies` and of `missing_dependencies`, each sorted.
async fn chains(s: &mut Session) -> (Vec<String>, Vec<String>) {
    let mut out = Vec::new();
    for column in ["dependencies", "missing_dependencies"] {
        let mut paths = rows(
            s,
            &format!(
                "SELECT toString(arrayJoin({column})) FROM system.kafka_consumers WHERE table = 'k'"
            ),
        )
        .await
        .expect(column);
        paths.sort();
        out.push(paths);
    }
    let missing = out.pop().unwrap_or_default();
    (out.pop().unwrap_or_default(), missing)
}

fn sorted(paths: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependencies_follow_the_cascade() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic("dt", 1).expect("topic");
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    for sql in [
        "CREATE DATABASE d2".to_string(),
        format!(
            "CREATE TABLE k (a UInt8) ENGINE = Kafka('{bootstrap}', 'dt', 'gdeps', 'JSONEachRow')"
        ),
        "CREATE TABLE t1 (a UInt8) ENGINE = MergeTree ORDER BY a".to_string(),
        "CREATE TABLE d2.t2 (a UInt8) ENGINE = MergeTree ORDER BY a".to_string(),
        "CREATE TABLE t3 (a UInt8) ENGINE = MergeTree ORDER BY a".to_string(),
        "CREATE TABLE t4 (a UInt8) ENGINE = MergeTree ORDER BY a".to_string(),
        "CREATE MATERIALIZED VIEW v1 TO t1 AS SELECT a FROM k".to_string(),
        "CREATE MATERIALIZED VIEW d2.v2 TO d2.t2 AS SELECT a FROM t1".to_string(),
        "CREATE MATERIALIZED VIEW v3 TO t3 AS SELECT a FROM t1".to_string(),
        "CREATE MATERIALIZED VIEW v4 TO t4 AS SELECT a FROM d2.t2".to_string(),
        "CREATE MATERIALIZED VIEW v5 TO t4 AS SELECT a FROM k".to_string(),
    ] {
        rows(&mut s, &sql).await.expect("DDL");
    }
    let v5 = "['default.v5','default.t4']";
    let v3 = "['default.v1','default.t1','default.v3','default.t3']";
    let v4 = "['default.v1','default.t1','d2.v2','d2.t2','default.v4','default.t4']";
    assert_eq!(chains(&mut s).await, (sorted(&[v5, v3, v4]), Vec::new()));

    // A missing target ends its view's path, which is a missing dependency too.
    rows(&mut s, "DETACH TABLE d2.t2").await.expect("detach");
    let cut = "['default.v1','default.t1','d2.v2']";
    assert_eq!(
        chains(&mut s).await,
        (sorted(&[v5, v3, cut]), sorted(&[cut]))
    );
    rows(&mut s, "ATTACH TABLE d2.t2").await.expect("attach");
    rows(&mut s, "DETACH TABLE t1").await.expect("detach");
    let cut = "['default.v1']";
    assert_eq!(chains(&mut s).await, (sorted(&[v5, cut]), sorted(&[cut])));
    rows(&mut s, "ATTACH TABLE t1").await.expect("attach");
    assert_eq!(chains(&mut s).await, (sorted(&[v5, v3, v4]), Vec::new()));

    // A detached view is in no path.
    rows(&mut s, "DETACH TABLE v3").await.expect("detach view");
    assert_eq!(chains(&mut s).await, (sorted(&[v5, v4]), Vec::new()));

    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}
