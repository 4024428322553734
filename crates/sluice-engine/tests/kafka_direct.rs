//! A Kafka table read and written directly, over TCP against the embedded broker (a
//! `tansu` process when installed, else librdkafka's mock cluster): `INSERT` produces
//! messages in `kafka_format`; `SELECT` needs `stream_like_engine_allow_direct_select`
//! (446 without it), consumes one block, hides the virtual columns from `*`, and commits
//! only with `kafka_commit_on_select = 1`. `DETACH TABLE` stops a table's consumers and
//! `ATTACH TABLE` resumes from where they stopped.

mod common;

use std::time::Duration;

use common::{count, engine, kafka_table, rows, wait_for};
use sluice_kafka::EmbeddedBroker;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insert_produces_and_direct_select_consumes() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic("direct.t", 1).expect("topic");
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    rows(
        &mut s,
        &kafka_table("q", &bootstrap, "direct.t", "g_plain", ""),
    )
    .await
    .expect("create q");

    let err = rows(&mut s, "SELECT * FROM q").await.expect_err("446");
    assert!(err.starts_with("Code: 446."), "{err}");

    rows(&mut s, "INSERT INTO q VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        .await
        .expect("produce");
    let direct = "SELECT * FROM q ORDER BY id SETTINGS stream_like_engine_allow_direct_select = 1";
    let first = rows(&mut s, direct).await.expect("direct select");
    assert_eq!(
        first,
        ["1\ta", "2\tb", "3\tc"],
        "SELECT * has no virtual columns"
    );
    // Without kafka_commit_on_select the next read sees the same messages.
    let again = rows(&mut s, direct).await.expect("direct select again");
    assert_eq!(again, first);
    let virtuals = rows(
        &mut s,
        "SELECT _topic, _partition, _offset, id FROM q ORDER BY id SETTINGS stream_like_engine_allow_direct_select = 1",
    )
    .await
    .expect("virtual columns");
    assert_eq!(
        virtuals,
        [
            "direct.t\t0\t0\t1",
            "direct.t\t0\t1\t2",
            "direct.t\t0\t2\t3"
        ]
    );

    // kafka_commit_on_select = 1: a read commits, the next one starts after it.
    rows(
        &mut s,
        &kafka_table(
            "q_commit",
            &bootstrap,
            "direct.t",
            "g_commit",
            ", kafka_commit_on_select = 1, kafka_poll_timeout_ms = 100",
        ),
    )
    .await
    .expect("create q_commit");
    let direct =
        "SELECT id FROM q_commit ORDER BY id SETTINGS stream_like_engine_allow_direct_select = 1";
    assert_eq!(rows(&mut s, direct).await.expect("read"), ["1", "2", "3"]);
    assert!(rows(&mut s, direct).await.expect("read").is_empty());
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_pauses_and_attach_resumes() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic("detach.t", 1).expect("topic");
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    for sql in [
        kafka_table(
            "src",
            &bootstrap,
            "detach.t",
            "g_detach",
            ", kafka_flush_interval_ms = 100",
        ),
        kafka_table("out", &bootstrap, "detach.t", "g_out", ""),
        "CREATE TABLE sink (id UInt32, name String, off UInt64) ENGINE = MergeTree ORDER BY id"
            .to_string(),
        "CREATE MATERIALIZED VIEW mv TO sink AS SELECT id, name, _offset AS off FROM src"
            .to_string(),
    ] {
        rows(&mut s, &sql).await.expect("DDL");
    }
    rows(&mut s, "INSERT INTO out VALUES (1, 'a'), (2, 'b')")
        .await
        .expect("produce");
    assert_eq!(wait_for(&mut s, 2).await, 2);
    // ClickHouse refuses a direct read while a view consumes the table.
    let err = rows(
        &mut s,
        "SELECT * FROM src SETTINGS stream_like_engine_allow_direct_select = 1",
    )
    .await
    .expect_err("446");
    assert!(
        err.starts_with("Code: 446.") && err.contains("attached materialized views"),
        "{err}"
    );
    let deps = "SELECT toString(dependencies), toString(missing_dependencies), \
                length(assignments.intent_size) - length(assignments.topic) \
                FROM system.kafka_consumers WHERE table = 'src'";
    assert_eq!(
        rows(&mut s, deps).await.expect("dependencies"),
        ["[['default.mv','default.sink']]\t[]\t0"]
    );

    rows(&mut s, "DETACH TABLE src").await.expect("detach");
    let consumers = rows(
        &mut s,
        "SELECT count() FROM system.kafka_consumers WHERE table = 'src'",
    )
    .await
    .expect("kafka_consumers");
    assert_eq!(consumers, ["0"], "a detached table has no consumers");
    rows(&mut s, "INSERT INTO out VALUES (3, 'c'), (4, 'd')")
        .await
        .expect("produce while detached");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(count(&mut s).await, 2, "nothing is consumed while detached");

    rows(&mut s, "ATTACH TABLE src").await.expect("attach");
    assert_eq!(wait_for(&mut s, 4).await, 4);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let all = rows(&mut s, "SELECT id, off FROM sink ORDER BY id")
        .await
        .expect("rows");
    assert_eq!(
        all,
        ["1\t0", "2\t1", "3\t2", "4\t3"],
        "resumed where it stopped"
    );
    // A view whose target is detached ends its path, which is a missing dependency
    // (ClickHouse 26.9: `[['default.mv']]` in both; crates/sluice-engine/src/mview/cascade.rs).
    rows(&mut s, "DETACH TABLE sink")
        .await
        .expect("detach sink");
    assert_eq!(
        rows(&mut s, deps).await.expect("missing dependencies"),
        ["[['default.mv']]\t[['default.mv']]\t0"]
    );
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alter_modify_setting_applies_and_persists() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic("alter.t", 1).expect("topic");
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let engine = engine(&broker, dir.path()).await;
        let mut s = engine.session();
        for sql in [
            kafka_table("src", &bootstrap, "alter.t", "g_alter", ""),
            kafka_table("out", &bootstrap, "alter.t", "g_alter_out", ""),
            "CREATE TABLE sink (id UInt32, name String, off UInt64) ENGINE = MergeTree ORDER BY id"
                .to_string(),
            "CREATE MATERIALIZED VIEW mv TO sink AS SELECT id, name, _offset AS off FROM src"
                .to_string(),
        ] {
            rows(&mut s, &sql).await.expect("DDL");
        }
        rows(&mut s, "INSERT INTO out VALUES (1, 'a')")
            .await
            .expect("produce");
        assert_eq!(wait_for(&mut s, 1).await, 1);

        let err = rows(
            &mut s,
            "ALTER TABLE src MODIFY SETTING kafka_no_such_setting = 1",
        )
        .await
        .expect_err("unknown setting");
        assert!(err.starts_with("Code: 115."), "{err}");
        rows(
            &mut s,
            "ALTER TABLE src MODIFY SETTING kafka_max_block_size = 1000, kafka_flush_interval_ms = 50",
        )
        .await
        .expect("alter");
        let create = rows(&mut s, "SHOW CREATE TABLE src").await.expect("show");
        let create = create.join("\n");
        assert!(
            create.contains("kafka_max_block_size = 1000")
                && create.contains("kafka_flush_interval_ms = 50"),
            "{create}"
        );
        // The consumers restarted with the new settings and go on where they were.
        rows(&mut s, "INSERT INTO out VALUES (2, 'b')")
            .await
            .expect("produce");
        assert_eq!(wait_for(&mut s, 2).await, 2);
        tokio::task::spawn_blocking(move || engine.shutdown())
            .await
            .expect("shutdown");
    }
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    let create = rows(&mut s, "SHOW CREATE TABLE src")
        .await
        .expect("show after restart")
        .join("\n");
    assert!(create.contains("kafka_max_block_size = 1000"), "{create}");
    let all = rows(&mut s, "SELECT id, off FROM sink ORDER BY id")
        .await
        .expect("rows");
    assert_eq!(all, ["1\t0", "2\t1"]);
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_messages_go_to_the_dead_letter_queue() {
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic("dlq.t", 1).expect("topic");
    let dir = tempfile::tempdir().expect("tempdir");
    let query = "SELECT table_engine, database, table, kafka_topic_name, kafka_partition, \
                 kafka_offset, raw_message, error != '' FROM system.dead_letter_queue";
    {
        let engine = engine(&broker, dir.path()).await;
        let mut s = engine.session();
        for sql in [
            kafka_table(
                "src",
                &bootstrap,
                "dlq.t",
                "g_dlq",
                ", kafka_handle_error_mode = 'dead_letter_queue'",
            ),
            format!(
                "CREATE TABLE raw_out (line String) ENGINE = Kafka('{bootstrap}', 'dlq.t', 'g_raw', 'RawBLOB')"
            ),
            "CREATE TABLE sink (id UInt32, name String) ENGINE = MergeTree ORDER BY id".to_string(),
            "CREATE MATERIALIZED VIEW mv TO sink AS SELECT id, name FROM src".to_string(),
        ] {
            rows(&mut s, &sql).await.expect("DDL");
        }
        for line in [
            r#"{"id":1,"name":"a"}"#,
            "not json",
            r#"{"id":2,"name":"b"}"#,
        ] {
            rows(&mut s, &format!("INSERT INTO raw_out VALUES ('{line}')"))
                .await
                .expect("produce");
        }
        assert_eq!(wait_for(&mut s, 2).await, 2);
        let dlq = rows(&mut s, query).await.expect("dead_letter_queue");
        assert_eq!(dlq, ["Kafka\tdefault\tsrc\tdlq.t\t0\t1\tnot json\ttrue"]);
        tokio::task::spawn_blocking(move || engine.shutdown())
            .await
            .expect("shutdown");
    }
    // The queue survives a restart.
    let engine = engine(&broker, dir.path()).await;
    let mut s = engine.session();
    let dlq = rows(&mut s, query).await.expect("dead_letter_queue");
    assert_eq!(dlq, ["Kafka\tdefault\tsrc\tdlq.t\t0\t1\tnot json\ttrue"]);
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .expect("shutdown");
}
