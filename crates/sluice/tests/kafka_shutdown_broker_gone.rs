//! Server shutdown is quick and clean when the broker is already gone (issue 4, point 5):
//! a Kafka table with a view reads a backlog of messages from a `tansu` broker process into
//! its target in small blocks, the broker is killed (SIGKILL) while the consumers still hold
//! prefetched messages (so blocks are written and their commits wait for a coordinator
//! that is gone), and then the server gets SIGTERM. It must exit 0 within [`EXIT_BOUND`],
//! and after a restart (broker still gone) the stored rows are still there.
//!
//! Before the bounded stop the server had not exited 6.5 min after SIGTERM: a consumer
//! thread waited in a synchronous commit (`rd_kafka_commit`, no time limit).
//!
//! The bound: every librdkafka call on the stop path is bounded by
//! `STOP_TIMEOUT` of sluice-kafka's `consumer/stop.rs` (5 s for the consumer's close, 8 s for
//! the threads), and the consumer threads stop
//! in parallel; 15 s leaves room for a loaded debug build.

mod common;

use std::time::{Duration, Instant};

use common::producer::produce_ids;
use common::{Ports, query, query_u64, start_server, tansu_available, wait_ready};
use sluice_kafka::EmbeddedBroker;

const TOPIC: &str = "gone.events";
const PARTITIONS: i32 = 2;
const MESSAGES: u64 = 200_000;
const EXIT_BOUND: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_the_broker_gone_exits_quickly() {
    if !tansu_available("the shutdown-without-broker test") {
        return;
    }
    let broker = EmbeddedBroker::start().expect("broker");
    broker.create_topic(TOPIC, PARTITIONS).expect("topic");
    let bootstrap = broker.bootstrap_servers().to_string();
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("data");
    let client = reqwest::Client::new();
    let ports = Ports::free();
    let mut server = start_server(&dir, &ports, None);
    assert!(wait_ready(&client, &ports, &mut server).await);
    for sql in [
        format!(
            "CREATE TABLE queue (id UInt64) ENGINE = Kafka('{bootstrap}', '{TOPIC}', 'gone_group', 'JSONEachRow') \
             SETTINGS kafka_num_consumers = 2, kafka_max_block_size = 1000, kafka_flush_interval_ms = 200"
        ),
        "CREATE TABLE events (id UInt64) ENGINE = MergeTree ORDER BY id".to_string(),
        "CREATE MATERIALIZED VIEW mv TO events AS SELECT id FROM queue".to_string(),
    ] {
        query(&client, &ports, &sql).await.expect("DDL");
    }
    produce_ids(&bootstrap, TOPIC, PARTITIONS, 0..MESSAGES);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let n = query_u64(&client, &ports, "SELECT count() FROM events").await;
        if n.is_some_and(|n| n >= 2000) {
            break;
        }
        assert!(Instant::now() < deadline, "rows in the target: {n:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // SIGKILL the broker (EmbeddedBroker's drop), let the consumers notice, then SIGTERM.
    drop(broker);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = query_u64(&client, &ports, "SELECT count() FROM events")
        .await
        .expect("count");
    println!("rows in the target at SIGTERM: {before} of {MESSAGES}");
    let signalled = Instant::now();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let status = loop {
        if let Some(s) = server.try_wait().expect("wait") {
            break s;
        }
        if signalled.elapsed() > Duration::from_secs(600) {
            let _ = server.kill();
            panic!("the server did not exit within 600 s of SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let took = signalled.elapsed();
    println!("exit after SIGTERM with the broker gone: {took:?}, {status}");
    let log = std::fs::read_to_string(dir.with_extension("log")).unwrap_or_default();
    for line in log.lines().filter(|l| l.contains("did not")) {
        println!("server log: {line}");
    }
    assert!(status.success(), "exit status {status}");
    assert!(took < EXIT_BOUND, "took {took:?}, bound {EXIT_BOUND:?}");

    // What was acknowledged into the target is still there.
    let mut server = start_server(&dir, &ports, None);
    assert!(wait_ready(&client, &ports, &mut server).await);
    let n = query_u64(&client, &ports, "SELECT count() FROM events")
        .await
        .expect("count");
    assert!(n >= before, "{n} rows after the restart, {before} before");
    let distinct = query_u64(&client, &ports, "SELECT uniqExact(id) FROM events").await;
    assert_eq!(distinct, Some(n), "no row twice");
    let signalled = Instant::now();
    assert!(common::terminate(&mut server, Duration::from_secs(60)));
    println!(
        "second exit (broker gone from the start): {:?}",
        signalled.elapsed()
    );
}
