//! Debian's `clickhouse-client` against a real `sluice server` process (engine included):
//! DDL, an `INSERT … VALUES` the client parses and sends as Native blocks (the server
//! answers with the sample block and the columns' defaults), an `INSERT … FORMAT CSV` from
//! stdin, and reads. Expected results come from ClickHouse (`ch-oracle --path`, the same
//! statements). `.ci/run` installs the client and sets `SLUICE_REQUIRE_CLIENTS`, so CI never
//! skips.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Ports, start_server, terminate, wait_ready};

fn client(port: u16, query: &str, stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new("clickhouse-client")
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "-q",
            query,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn clickhouse-client");
    if let Some(mut pipe) = child.stdin.take() {
        if let Some(data) = stdin {
            pipe.write_all(data.as_bytes()).expect("stdin");
        }
        drop(pipe);
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clickhouse_client_inserts_blocks_into_mergetree() {
    if Command::new("clickhouse-client")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("SLUICE_REQUIRE_CLIENTS").is_none(),
            "clickhouse-client is required (SLUICE_REQUIRE_CLIENTS) but not installed"
        );
        eprintln!("clickhouse-client is not installed; skipped");
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let ports = Ports::free();
    let mut server = start_server(&root.path().join("data"), &ports, None);
    let http = reqwest::Client::new();
    assert!(wait_ready(&http, &ports, &mut server).await);
    let port = ports.tcp;
    let run = move |q: &'static str, stdin: Option<&'static str>| {
        tokio::task::spawn_blocking(move || client(port, q, stdin))
    };

    let (ok, _, err) = run(
        "CREATE TABLE t (id UInt32, name String, d Date DEFAULT '2025-01-01') ENGINE = MergeTree ORDER BY id",
        None,
    )
    .await
    .expect("join");
    assert!(ok, "{err}");
    let (ok, _, err) = run("INSERT INTO t (id, name) VALUES (1, 'a'), (2, 'b')", None)
        .await
        .expect("join");
    assert!(ok, "{err}");
    let (ok, _, err) = run("INSERT INTO t FORMAT CSV", Some("3,c,2025-09-01\n"))
        .await
        .expect("join");
    assert!(ok, "{err}");
    // ch-oracle: the same statements.
    let (ok, out, err) = run("SELECT * FROM t ORDER BY id", None)
        .await
        .expect("join");
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "1\ta\t2025-01-01\n2\tb\t2025-01-01\n3\tc\t2025-09-01\n"
    );
    let (ok, out, err) = run("SELECT count(), sum(id) FROM t", None)
        .await
        .expect("join");
    assert!(ok, "{err}");
    assert_eq!(out, "3\t6\n");
    // A block the table cannot take is an error, and nothing of it is written.
    let (ok, _, err) = run("INSERT INTO t (id, missing) VALUES (4, 'x')", None)
        .await
        .expect("join");
    assert!(!ok);
    assert!(err.contains("Code: 16"), "{err}");
    let (_, out, _) = run("SELECT count() FROM t", None).await.expect("join");
    assert_eq!(out, "3\n");
    assert!(terminate(&mut server, std::time::Duration::from_secs(30)));
}
