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
