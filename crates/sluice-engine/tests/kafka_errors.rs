//! A materialized view that fails on a block (issue 4, point 7): here its target is
//! dropped. Nothing of the failing blocks is committed, the exception shows in
//! `system.kafka_consumers`, the consumer retries with back-off, and once the target is
//! back the waiting messages arrive, none lost and none doubled. Runs over TCP against the
//! embedded broker.

mod common;

use std::time::{Duration, Instant};

use common::{engine, kafka_table, rows, wait_for};
use sluice_kafka::EmbeddedBroker;

const SINK: &str =
    "CREATE TABLE sink (id UInt32, name String, off UInt64) ENGINE = MergeTree ORDER BY id";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_view_retries_and_recovers_without_loss() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic("errors.t", 1).expect("topic");
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    for sql in [
        kafka_table(
            "src",
            &bootstrap,
            "errors.t",
            "g_errors",
            ", kafka_flush_interval_ms = 100",
        ),
        kafka_table("out", &bootstrap, "errors.t", "g_errors_out", ""),
        SINK.to_string(),
        "CREATE MATERIALIZED VIEW mv TO sink AS SELECT id, name, _offset AS off FROM src"
            .to_string(),
    ] {
        rows(&mut s, &sql).await.expect("DDL");
    }
    rows(&mut s, "INSERT INTO out VALUES (1, 'a'), (2, 'b')")
        .await
        .expect("produce");
    assert_eq!(wait_for(&mut s, 2).await, 2);

    // The target disappears: every block now fails.
    rows(&mut s, "DROP TABLE sink").await.expect("drop");
    rows(&mut s, "INSERT INTO out VALUES (3, 'c'), (4, 'd')")
        .await
        .expect("produce");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut exceptions = Vec::new();
    while Instant::now() < deadline {
        exceptions = rows(
            &mut s,
            "SELECT arrayJoin(exceptions.text) FROM system.kafka_consumers WHERE table = 'src'",
        )
        .await
        .expect("kafka_consumers");
        if exceptions.iter().any(|e| e.contains("sink")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        exceptions
            .iter()
            .any(|e| e.contains("Code: 60.") && e.contains("sink")),
        "the view's failure is visible: {exceptions:?}"
    );
    let commits_while_failing = rows(
        &mut s,
        "SELECT num_commits FROM system.kafka_consumers WHERE table = 'src'",
    )
    .await
    .expect("num_commits");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let commits_later = rows(
        &mut s,
        "SELECT num_commits FROM system.kafka_consumers WHERE table = 'src'",
    )
    .await
    .expect("num_commits");
    assert_eq!(
        commits_while_failing, commits_later,
        "nothing is committed while the view fails"
    );

    // The cause is fixed: the retries succeed with exactly the waiting messages.
    rows(&mut s, SINK).await.expect("recreate");
    assert_eq!(wait_for(&mut s, 2).await, 2);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let all = rows(&mut s, "SELECT id, off FROM sink ORDER BY id")
        .await
        .expect("rows");
    assert_eq!(all, ["3\t2", "4\t3"]);
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}

/// `input_format_allow_errors_num` / `input_format_allow_errors_ratio` on messages read from
/// a broker (issue 4, point 2): counted per message as ClickHouse does. Expected rows and
/// errors: chdb 26.9 reading the same messages from a tansu broker (`CREATE TABLE k (a UInt8)
/// ENGINE = Kafka(…, 'JSONEachRow') SETTINGS …; SELECT * FROM k SETTINGS
/// stream_like_engine_allow_direct_select = 1`): with `_num = 1` on topic `t2` →
/// `1 5 6 7 2 8 3`; with `_ratio = 0.5` on `t3` → `1 5 6 7 2`; with `_ratio = 0.3` on `t3`
/// → "(Already have 1 errors out of 2 rows, which is 0.5 of all rows) … offset: 1".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_errors_num_and_ratio_apply_per_message() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    let t2 = [
        "{\"a\":1}",
        "{\"a\":5}\nbad\n{\"a\":6}\n{\"a\":7}",
        "{\"a\":2}",
        "bad\n{\"a\":8}",
        "{\"a\":3}",
    ];
    let t3 = [
        "{\"a\":1}",
        "{\"a\":5}\nbad\n{\"a\":6}\n{\"a\":7}",
        "{\"a\":2}",
    ];
    for (topic, messages) in [("errors.t2", &t2[..]), ("errors.t3", &t3[..])] {
        broker.create_topic(topic, 1).expect("topic");
        common::produce_to(
            &bootstrap,
            topic,
            messages.iter().map(|m| (String::new(), m.to_string())),
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    for (name, topic, setting) in [
        ("num1", "errors.t2", "input_format_allow_errors_num = 1"),
        (
            "ratio05",
            "errors.t3",
            "input_format_allow_errors_ratio = 0.5",
        ),
        (
            "ratio03",
            "errors.t3",
            "input_format_allow_errors_ratio = 0.3",
        ),
    ] {
        for sql in [
            format!(
                "CREATE TABLE src_{name} (a UInt8) ENGINE = Kafka('{bootstrap}', '{topic}', 'g_{name}', 'JSONEachRow') \
                 SETTINGS kafka_flush_interval_ms = 500, {setting}"
            ),
            format!(
                "CREATE TABLE sink_{name} (a UInt8, off UInt64) ENGINE = MergeTree ORDER BY (off, a)"
            ),
            format!(
                "CREATE MATERIALIZED VIEW mv_{name} TO sink_{name} AS SELECT a, _offset AS off FROM src_{name}"
            ),
        ] {
            rows(&mut s, &sql).await.expect("DDL");
        }
    }
    assert_eq!(common::wait_rows(&mut s, "sink_num1", 7).await, 7);
    assert_eq!(common::wait_rows(&mut s, "sink_ratio05", 5).await, 5);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let a = |table: &'static str| format!("SELECT a FROM {table} ORDER BY off, a");
    assert_eq!(
        rows(&mut s, &a("sink_num1")).await.expect("rows"),
        ["1", "5", "6", "7", "2", "8", "3"]
    );
    assert_eq!(
        rows(&mut s, &a("sink_ratio05")).await.expect("rows"),
        ["1", "5", "6", "7", "2"]
    );
    // Beyond the ratio: the block fails with ClickHouse's note, and retries.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut exceptions = Vec::new();
    while Instant::now() < deadline && exceptions.is_empty() {
        exceptions = rows(
            &mut s,
            "SELECT arrayJoin(exceptions.text) FROM system.kafka_consumers WHERE table = 'src_ratio03'",
        )
        .await
        .expect("kafka_consumers");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        exceptions.iter().any(|e| e.contains(
            "(Already have 1 errors out of 2 rows, which is 0.5 of all rows): while parsing Kafka message (topic: errors.t3, partition: 0, offset: 1)"
        )),
        "{exceptions:?}"
    );
    let kept = rows(&mut s, &a("sink_ratio03")).await.expect("rows");
    assert!(kept.is_empty() || kept == ["1"], "{kept:?}");
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}
