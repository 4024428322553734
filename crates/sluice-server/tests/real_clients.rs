//! Real ClickHouse clients against the server (engine test double):
//! - Python `clickhouse-driver` (native, with and without LZ4/ZSTD compression) and
//!   `clickhouse-connect` (HTTP), from `tests/clients/python_clients.py`, in a venv that
//!   `tests/clients/setup_venv.sh` creates at `<workspace>/target/pyenv` when missing
//!   (override with `SLUICE_PYENV`);
//! - Debian's `clickhouse-client` (18.16, protocol revision 54412) when installed
//!   (`apt-get install -y clickhouse-client`).
//!
//! Run: `cargo test -p sluice-server --test real_clients -- --nocapture`.

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use common::TestServer;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

async fn venv_python() -> PathBuf {
    let venv = std::env::var("SLUICE_PYENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/pyenv"));
    let status = Command::new("bash")
        .arg(clients_dir().join("setup_venv.sh"))
        .arg(&venv)
        .status()
        .await
        .expect("run setup_venv.sh");
    assert!(status.success(), "creating the Python venv failed");
    venv.join("bin/python")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_drivers() {
    let python = venv_python().await;
    let s = TestServer::start().await;
    let out = Command::new(python)
        .arg(clients_dir().join("python_clients.py"))
        .arg(s.tcp.port().to_string())
        .arg(s.http.port().to_string())
        .output()
        .await
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "python client checks failed");
    assert!(stdout.contains(" passed, 0 failed"));
    s.stop().await;
}

async fn clickhouse_client(
    port: u16,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut cmd = Command::new("clickhouse-client");
    cmd.arg("--host")
        .arg("127.0.0.1")
        .arg("--port")
        .arg(port.to_string())
        .args(args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn clickhouse-client");
    if let Some(mut pipe) = child.stdin.take() {
        if let Some(data) = stdin {
            pipe.write_all(data.as_bytes()).await.expect("stdin");
        }
        drop(pipe);
    }
    let out = child.wait_with_output().await.expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debian_clickhouse_client() {
    if std::process::Command::new("clickhouse-client")
        .arg("--version")
        .output()
        .is_err()
    {
        // .ci/run installs it and sets SLUICE_REQUIRE_CLIENTS, so CI never skips.
        assert!(
            std::env::var_os("SLUICE_REQUIRE_CLIENTS").is_none(),
            "clickhouse-client is required (SLUICE_REQUIRE_CLIENTS) but not installed"
        );
        eprintln!(
            "clickhouse-client is not installed (apt-get install -y clickhouse-client); skipped"
        );
        return;
    }
    let s = TestServer::start().await;
    let port = s.tcp.port();
    let (ok, out, err) = clickhouse_client(port, &["-q", "SELECT 1"], None).await;
    assert!(ok, "stdout: {out}\nstderr: {err}");
    assert_eq!(out, "1\n");
    let (ok, out, err) =
        clickhouse_client(port, &["-q", "SELECT number FROM numbers(3)"], None).await;
    assert!(ok, "{err}");
    assert_eq!(out, "0\n1\n2\n");
    // Uncompressed too.
    let (ok, out, err) =
        clickhouse_client(port, &["--compression", "0", "-q", "SELECT 1"], None).await;
    assert!(ok, "{err}");
    assert_eq!(out, "1\n");
    // INSERT with FORMAT CSV from stdin: the client parses CSV and sends Native blocks.
    let (ok, _, err) = clickhouse_client(
        port,
        &["-q", "INSERT INTO t FORMAT CSV"],
        Some("21,\"x y\"\n22,z\n"),
    )
    .await;
    assert!(ok, "{err}");
    assert!(s.handler.t.lock().contains(&(21, "x y".to_string())));
    let (ok, out, err) = clickhouse_client(port, &["-q", "SELECT * FROM t FORMAT CSV"], None).await;
    assert!(ok, "{err}");
    assert!(out.contains("22,\"z\""), "{out}");
    // Errors: code and message, exit code non-zero.
    let (ok, _, err) = clickhouse_client(port, &["-q", "SELECT syntax error"], None).await;
    assert!(!ok);
    assert!(err.contains("Code: 62"), "{err}");
    let (ok, _, err) =
        clickhouse_client(port, &["--password", "bad", "-q", "SELECT 1"], None).await;
    assert!(!ok);
    assert!(err.contains("Code: 516"), "{err}");
    s.stop().await;
}
