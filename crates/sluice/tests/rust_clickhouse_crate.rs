//! The Rust `clickhouse` crate (RowBinary over HTTP) against a `sluice server` process
//! (issue 5, point 7): the checks are the program in `tests/rust_client/` (DDL,
//! `client.insert()` with `RowBinaryWithNamesAndTypes`, typed reads into
//! `#[derive(Row, Deserialize)]` structs, bound parameters, an error's code), built and run
//! with cargo in a workspace of its own (target dir `<workspace>/target/rust-client`; see
//! its Cargo.toml for why). The first run compiles the crate and its dependencies (a
//! minute or two).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Ports, start_server, terminate, wait_ready};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_clickhouse_crate() {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = tempfile::tempdir().expect("tempdir");
    let ports = Ports::free();
    let mut server = start_server(&root.path().join("data"), &ports, None);
    let http = reqwest::Client::new();
    assert!(
        wait_ready(&http, &ports, &mut server).await,
        "server did not start"
    );

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args(["run", "--quiet", "--manifest-path"])
        .arg(here.join("tests/rust_client/Cargo.toml"))
        .arg("--target-dir")
        .arg(here.join("../../target/rust-client"))
        .arg("--")
        .arg(format!("http://127.0.0.1:{}", ports.http))
        .output()
        .await
        .expect("run cargo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the clickhouse crate checks failed");
    assert!(stdout.contains("6 passed, 0 failed"), "{stdout}");
    assert!(
        terminate(&mut server, Duration::from_secs(30)),
        "clean exit"
    );
}
