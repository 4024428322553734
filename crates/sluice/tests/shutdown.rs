//! SIGTERM on a `sluice server` process (issue 5, point 1): a query running when the signal
//! arrives still gets its whole answer, the process exits 0, and every acknowledged insert
//! is there after a restart on the same `--path`. Expected values come from ch-oracle
//! (`SELECT sleep(2)` → `0`; `SELECT count(), sum(number) FROM numbers(1000)` →
//! `1000\t499500`).

mod common;

use std::time::{Duration, Instant};

use common::{Ports, query, start_server, wait_ready};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_running_queries_finish_and_keeps_acknowledged_rows() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("data");
    let ports = Ports::free();
    let mut server = start_server(&dir, &ports, None);
    let http = reqwest::Client::new();
    assert!(
        wait_ready(&http, &ports, &mut server).await,
        "server did not start"
    );

    query(
        &http,
        &ports,
        "CREATE TABLE t (n UInt64) ENGINE = MergeTree ORDER BY n",
    )
    .await
    .expect("create");
    for start in [0, 500] {
        query(
            &http,
            &ports,
            &format!("INSERT INTO t SELECT number FROM numbers({start}, 500)"),
        )
        .await
        .expect("acknowledged insert");
    }

    // A two-second query, then SIGTERM while it runs.
    let running = {
        let http = http.clone();
        let ports = Ports {
            http: ports.http,
            tcp: ports.tcp,
        };
        tokio::spawn(async move { query(&http, &ports, "SELECT sleep(2)").await })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen = loop {
        let n = query(
            &http,
            &ports,
            "SELECT count() FROM system.processes WHERE query LIKE 'SELECT sleep(2)%'",
        )
        .await
        .unwrap_or_default();
        if n.trim() == "1" || Instant::now() > deadline {
            break n.trim() == "1";
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(seen, "the query never showed in system.processes");
    let signalled = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());

    let answer = running.await.expect("task");
    assert_eq!(answer.as_deref(), Ok("0\n"), "the running query's answer");
    let exit = loop {
        if let Some(s) = server.try_wait().expect("wait") {
            break s;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(30),
            "no exit 30 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "exit status {exit}");
    // Logs go through `tracing` to stderr (`RUST_LOG`, set by `start_server`).
    let log = std::fs::read_to_string(dir.with_extension("log")).expect("server log");
    for line in [
        "HTTP interface listening",
        "native protocol listening",
        "shutting down",
    ] {
        assert!(log.contains(line), "no {line:?} in the server log:\n{log}");
    }

    let mut again = start_server(&dir, &ports, None);
    assert!(wait_ready(&http, &ports, &mut again).await, "restart");
    let rows = query(&http, &ports, "SELECT count(), sum(n) FROM t").await;
    assert_eq!(rows.as_deref(), Ok("1000\t499500\n"));
    assert!(common::terminate(&mut again, Duration::from_secs(30)));
}
