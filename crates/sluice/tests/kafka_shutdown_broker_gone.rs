//! Stopping a Kafka table's consumers is quick and clean when the broker is already gone
//! (issue 4, point 5). A Kafka table with a view reads a backlog of messages from a `tansu`
//! broker process into its target in small blocks, and the broker is killed (SIGKILL) while
//! the consumers still hold prefetched messages (so blocks are written and their commits
//! wait for a coordinator that is gone). Then:
//! - the server gets SIGTERM: it must exit 0 within [`EXIT_BOUND`], and after a restart
//!   (broker still gone) the stored rows are still there;
//! - or the Kafka table is dropped or detached (the server keeps running): the `DROP` or
//!   `DETACH` returns within [`EXIT_BOUND`], and afterwards the table's consumer threads (`kafka-queue-*`) and
//!   librdkafka's threads (`rdk:*`, counted by name in `/proc/<pid>/task/*/comm`) are gone
//!   within [`THREADS_GONE`].
//!
//! And a direct `SELECT` from a Kafka table with the broker gone ends within
//! [`SELECT_BOUND`] with an empty result, as ClickHouse's (it waits up to 15 s for an
//! assignment, then gives up after 10 empty polls), and its consumer is destroyed: the
//! server's librdkafka threads are back to none.
//!
//! Before the bounded stop the server had not exited 6.5 min after SIGTERM: a consumer
//! thread waited in a synchronous commit (`rd_kafka_commit`, no time limit); and until the
//! handles were destroyed without the consumer close, a `DROP` left the consumer's
//! librdkafka threads running for as long as the broker stayed gone.
//!
//! The bounds: a commit waits at most 1 s once its consumer is stopping
//! (`COMMIT_STOP_GRACE` of sluice-kafka's `consumer/commit.rs`), the close of a consumer at
//! most 5 s (`STOP_TIMEOUT` of `consumer/stop.rs`), then its handle is destroyed without the
//! close (librdkafka's threads are joined in it); the consumer threads stop in parallel and
//! are waited for at most 8 s (`JOIN_TIMEOUT`): 1 + 5 s plus the destroy, within 8 s; 15 s
//! leaves room for a loaded debug build. The threads are counted after the statement
//! returned. A thread inside the start seek of an assignment callback when the broker died
//! (sluice-kafka's `context.rs`: the group's committed offsets, 10 s at most) is still running
//! at `JOIN_TIMEOUT` (the statement then returns after 8 s) and ends after that seek, its
//! close (at most 5 s) and the destroy (at most `session.timeout.ms`, 6 s here, when a commit
//! is still queued): at most 10 + 5 + 6 s after the kill, which is 2 s before the statement,
//! so 11 s after the statement returned; [`THREADS_GONE`] (15 s) leaves room. The direct read:
//! 15 s for the assignment, 10 polls of at most 50 ms, the close (5 s at most); 40 s leaves
//! the same room.

mod common;

use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

use common::producer::produce_ids;
use common::{Ports, query, query_u64, start_server, tansu_available, wait_ready};
use sluice_kafka::EmbeddedBroker;

const TOPIC: &str = "gone.events";
const PARTITIONS: i32 = 2;
const MESSAGES: u64 = 200_000;
const EXIT_BOUND: Duration = Duration::from_secs(15);
const SELECT_BOUND: Duration = Duration::from_secs(40);
const THREADS_GONE: Duration = Duration::from_secs(15);
/// A direct read destroys its consumer before it returns: this is for `/proc` to catch up.
const SELECT_THREADS_GONE: Duration = Duration::from_secs(2);

/// A `tansu` broker with [`TOPIC`] and a server on a temporary directory.
struct Setup {
    /// `None` once killed.
    broker: Option<EmbeddedBroker>,
    bootstrap: String,
    _root: tempfile::TempDir,
    dir: PathBuf,
    client: reqwest::Client,
    ports: Ports,
    server: Child,
}

impl Setup {
    async fn start() -> Self {
        let broker = EmbeddedBroker::start().expect("broker");
        broker.create_topic(TOPIC, PARTITIONS).expect("topic");
        let bootstrap = broker.bootstrap_servers().to_string();
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("data");
        let client = reqwest::Client::new();
        let ports = Ports::free();
        let mut server = start_server(&dir, &ports, None);
        assert!(wait_ready(&client, &ports, &mut server).await);
        Self {
            broker: Some(broker),
            bootstrap,
            _root: root,
            dir,
            client,
            ports,
            server,
        }
    }

    /// SIGKILLs the broker (`EmbeddedBroker`'s drop).
    fn kill_broker(&mut self) {
        drop(self.broker.take());
    }

    async fn query(&self, sql: &str) -> Result<String, String> {
        query(&self.client, &self.ports, sql).await
    }

    async fn count(&self) -> Option<u64> {
        query_u64(&self.client, &self.ports, "SELECT count() FROM events").await
    }

    /// Kafka table `queue` (2 consumers, blocks of 1,000) and view `mv` into `events`,
    /// [`MESSAGES`] produced; returns once 2,000 rows are in the target.
    async fn stream_backlog(&self) {
        let bootstrap = &self.bootstrap;
        for sql in [
            format!(
                "CREATE TABLE queue (id UInt64) ENGINE = Kafka('{bootstrap}', '{TOPIC}', 'gone_group', 'JSONEachRow') \
                 SETTINGS kafka_num_consumers = 2, kafka_max_block_size = 1000, kafka_flush_interval_ms = 200"
            ),
            "CREATE TABLE events (id UInt64) ENGINE = MergeTree ORDER BY id".to_string(),
            "CREATE MATERIALIZED VIEW mv TO events AS SELECT id FROM queue".to_string(),
        ] {
            self.query(&sql).await.expect("DDL");
        }
        produce_ids(bootstrap, TOPIC, PARTITIONS, 0..MESSAGES);
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let n = self.count().await;
            if n.is_some_and(|n| n >= 2000) {
                break;
            }
            assert!(Instant::now() < deadline, "rows in the target: {n:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The server log's lines that contain `needle`.
    fn log_lines(&self, needle: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.with_extension("log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_string)
            .collect()
    }
}

/// The names of the process's threads.
fn thread_names(pid: u32) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("comm")).ok())
        .map(|s| s.trim().to_string())
        .collect()
}

/// How many of the process's threads have a name starting with `prefix`.
fn threads(pid: u32, prefix: &str) -> usize {
    thread_names(pid)
        .iter()
        .filter(|n| n.starts_with(prefix))
        .count()
}

/// Waits up to `timeout` until `threads(pid, prefix) == n`; the last count.
async fn wait_threads(pid: u32, prefix: &str, n: usize, timeout: Duration) -> usize {
    let deadline = Instant::now() + timeout;
    loop {
        let got = threads(pid, prefix);
        if got == n || Instant::now() >= deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_the_broker_gone_exits_quickly() {
    if !tansu_available("the shutdown-without-broker test") {
        return;
    }
    // `_root` is bound: the temporary directory lives until the test ends.
    let Setup {
        broker,
        _root,
        dir,
        client,
        ports,
        mut server,
        ..
    } = {
        let s = Setup::start().await;
        s.stream_backlog().await;
        s
    };

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_table_with_the_broker_gone_is_bounded() {
    if !tansu_available("the DROP-without-broker test") {
        return;
    }
    stop_with_the_broker_gone("DROP TABLE queue").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detach_table_with_the_broker_gone_is_bounded() {
    if !tansu_available("the DETACH-without-broker test") {
        return;
    }
    stop_with_the_broker_gone("DETACH TABLE queue").await;
}

/// Streams the backlog, kills the broker, runs `statement` (which stops the Kafka table's
/// consumers) and checks its time, the threads after it and the target.
async fn stop_with_the_broker_gone(statement: &str) {
    let mut s = Setup::start().await;
    s.stream_backlog().await;
    let pid = s.server.id();
    let consumers_before = threads(pid, "kafka-queue");
    let rdk_before = threads(pid, "rdk:");
    assert_eq!(consumers_before, 2, "{:?}", thread_names(pid));

    // SIGKILL the broker (EmbeddedBroker's drop): blocks of prefetched messages are still
    // written, and their commits wait for a coordinator that is gone.
    s.kill_broker();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rows_before = s.count().await.expect("count");
    let started = Instant::now();
    let dropped = s.query(statement).await;
    let took = started.elapsed();
    let returned = Instant::now();
    let consumers_after = wait_threads(pid, "kafka-queue", 0, THREADS_GONE).await;
    let rdk_after = wait_threads(pid, "rdk:", 0, THREADS_GONE).await;
    let gone_after = returned.elapsed();
    println!(
        "{statement} with the broker gone: {took:?} ({dropped:?}); rows in the target {rows_before}; \
         consumer threads {consumers_before} -> {consumers_after}; librdkafka threads {rdk_before} -> {rdk_after} \
         ({gone_after:?} after it returned)"
    );
    for line in s.log_lines("did not") {
        println!("server log: {line}");
    }
    dropped.expect(statement);
    assert!(
        took < EXIT_BOUND,
        "{statement} took {took:?}, bound {EXIT_BOUND:?}"
    );
    assert_eq!(consumers_after, 0, "{:?}", thread_names(pid));
    assert_eq!(
        rdk_after,
        0,
        "librdkafka's threads end with their handles: {:?}",
        thread_names(pid)
    );

    // The server goes on: the target keeps what was written, no row twice.
    let n = s.count().await.expect("count");
    assert!(
        n >= rows_before,
        "{n} rows after {statement}, {rows_before} before"
    );
    let distinct = query_u64(&s.client, &s.ports, "SELECT uniqExact(id) FROM events").await;
    assert_eq!(distinct, Some(n), "no row twice");
    assert!(common::terminate(&mut s.server, Duration::from_secs(60)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_select_with_the_broker_gone_ends() {
    if !tansu_available("the direct-SELECT-without-broker test") {
        return;
    }
    let mut s = Setup::start().await;
    let pid = s.server.id();
    let bootstrap = s.bootstrap.clone();
    s.query(&format!(
        "CREATE TABLE queue (id UInt64) ENGINE = Kafka('{bootstrap}', '{TOPIC}', 'select_group', 'JSONEachRow') \
         SETTINGS kafka_poll_timeout_ms = 100"
    ))
    .await
    .expect("DDL");
    produce_ids(&bootstrap, TOPIC, PARTITIONS, 0..10);
    let select = "SELECT id FROM queue SETTINGS stream_like_engine_allow_direct_select = 1";

    // With the broker: rows, and the read's consumer is destroyed afterwards.
    let read = s.query(select).await.expect("direct SELECT");
    assert!(!read.trim().is_empty(), "rows while the broker runs");
    let rdk = wait_threads(pid, "rdk:", 0, SELECT_THREADS_GONE).await;
    assert_eq!(rdk, 0, "{:?}", thread_names(pid));

    s.kill_broker();
    let started = Instant::now();
    let read = s.query(select).await;
    let took = started.elapsed();
    let rdk = wait_threads(pid, "rdk:", 0, SELECT_THREADS_GONE).await;
    println!(
        "direct SELECT with the broker gone: {took:?}, {read:?}; librdkafka threads after it: {rdk}"
    );
    for line in s.log_lines("did not") {
        println!("server log: {line}");
    }
    assert!(took < SELECT_BOUND, "took {took:?}, bound {SELECT_BOUND:?}");
    assert_eq!(read.as_deref().map(str::trim), Ok(""), "an empty result");
    assert_eq!(
        rdk,
        0,
        "the read's consumer is destroyed: {:?}",
        thread_names(pid)
    );
    assert!(common::terminate(&mut s.server, Duration::from_secs(60)));
}
