//! `DESCRIBE` of a Kafka table with `describe_include_virtual_columns = 1` (issue 4, point
//! 3): the virtual columns with ClickHouse's names, types and order, `_raw_message` and
//! `_error` in stream mode only. Expected: chdb 26.9 with a reachable tansu broker,
//! `CREATE TABLE k (a UInt8) ENGINE = Kafka('127.0.0.1:39192', 's1', 'gdesc', 'JSONEachRow')
//! [SETTINGS kafka_handle_error_mode = 'stream']; DESCRIBE k SETTINGS
//! describe_include_virtual_columns = 1` (the MergeTree, Memory, … cases are in
//! `sql-tests/ddl/describe_virtual_columns.slt`).

mod common;

use common::{engine, rows};
use sluice_kafka::EmbeddedBroker;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_lists_the_kafka_virtual_columns() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    for (name, extra) in [
        ("k", ""),
        ("k_stream", " SETTINGS kafka_handle_error_mode = 'stream'"),
    ] {
        rows(
            &mut s,
            &format!(
                "CREATE TABLE {name} (a UInt8) ENGINE = Kafka('{bootstrap}', 'd.t', 'g_{name}', 'JSONEachRow'){extra}"
            ),
        )
        .await
        .expect("DDL");
    }
    let virtual_row = |name: &str, ty: &str| format!("{name}\t{ty}\t\t\t\t\t\t1");
    let mut want = vec!["a\tUInt8\t\t\t\t\t\t0".to_string()];
    for (name, ty) in [
        ("_topic", "LowCardinality(String)"),
        ("_key", "String"),
        ("_offset", "UInt64"),
        ("_partition", "UInt64"),
        ("_timestamp", "Nullable(DateTime)"),
        ("_timestamp_ms", "Nullable(DateTime64(3))"),
        ("_headers.name", "Array(String)"),
        ("_headers.value", "Array(String)"),
        ("_table", "LowCardinality(String)"),
    ] {
        want.push(virtual_row(name, ty));
    }
    let describe = |t: &str| format!("DESCRIBE {t} SETTINGS describe_include_virtual_columns = 1");
    assert_eq!(rows(&mut s, &describe("k")).await.expect("describe"), want);
    want.push(virtual_row("_raw_message", "String"));
    want.push(virtual_row("_error", "String"));
    assert_eq!(
        rows(&mut s, &describe("k_stream")).await.expect("describe"),
        want
    );
    // Without the setting: the table's own columns, no is_virtual.
    assert_eq!(
        rows(&mut s, "DESCRIBE k").await.expect("describe"),
        ["a\tUInt8\t\t\t\t\t"]
    );
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}
