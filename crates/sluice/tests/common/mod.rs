//! Helpers of the tests that run `sluice server` as a separate process: free ports, the
//! configuration file, start/stop, and queries over the HTTP interface; [`producer`] puts
//! test messages on a broker.

#![allow(dead_code)]

pub mod producer;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free local TCP port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The ports of one server.
pub struct Ports {
    pub http: u16,
    pub tcp: u16,
}

impl Ports {
    /// Two free ports.
    pub fn free() -> Self {
        Self {
            http: free_port(),
            tcp: free_port(),
        }
    }
}

/// The servers' configuration file: a killed consumer stays in the group until its
/// session times out, so a short session timeout keeps restarts from waiting 45 s for a
/// rebalance; tansu answers fetches only after `fetch.wait.max.ms`.
pub const CONFIG: &str = r#"
[kafka]
"session.timeout.ms" = 6000
"heartbeat.interval.ms" = 500

[kafka.consumer]
"fetch.wait.max.ms" = 10
"#;

/// Starts `sluice server` on `dir` (its config file and its log, `dir.log`, next to it),
/// with a storage failpoint when given.
pub fn start_server(dir: &Path, ports: &Ports, failpoint: Option<&str>) -> Child {
    let config = dir.with_extension("toml");
    std::fs::write(&config, CONFIG).expect("config file");
    // Every start appends its log next to the data (read back by failing tests).
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.with_extension("log"))
        .expect("server log file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.args(["server", "--config"])
        .arg(&config)
        .arg("--path")
        .arg(dir)
        .args(["--http-port", &ports.http.to_string()])
        .args(["--tcp-port", &ports.tcp.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .env("RUST_LOG", "info,sluice_kafka::exactly_once=debug");
    if let Some(fp) = failpoint {
        cmd.env("SLUICE_STORAGE_FAILPOINT", fp)
            .env("SLUICE_STORAGE_FAILPOINT_PAUSE", failpoint_marker(dir));
    }
    cmd.spawn().expect("start sluice server")
}

/// The file a server started with a failpoint writes when its thread stops there
/// (`SLUICE_STORAGE_FAILPOINT_PAUSE`): the test then kills it with SIGKILL.
pub fn failpoint_marker(dir: &Path) -> std::path::PathBuf {
    dir.with_extension("failpoint")
}

/// SIGTERM, then waits (at most `timeout`) for the exit; returns whether it exited 0.
pub fn terminate(child: &mut Child, timeout: Duration) -> bool {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// Runs `sql` over HTTP: the body on success, the error text otherwise.
pub async fn query(client: &reqwest::Client, ports: &Ports, sql: &str) -> Result<String, String> {
    let resp = client
        .post(format!("http://127.0.0.1:{}/", ports.http))
        .body(sql.to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let ok = resp.status().is_success();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    if ok { Ok(text) } else { Err(text) }
}

/// A single number from `sql`.
pub async fn query_u64(client: &reqwest::Client, ports: &Ports, sql: &str) -> Option<u64> {
    query(client, ports, sql).await.ok()?.trim().parse().ok()
}

/// Waits until the server answers `/ping`; false when it exited first (a failpoint).
pub async fn wait_ready(client: &reqwest::Client, ports: &Ports, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        let ping = client
            .get(format!("http://127.0.0.1:{}/ping", ports.http))
            .send()
            .await;
        if let Ok(r) = ping
            && r.status().is_success()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("sluice server did not start within 60 s");
}

/// Whether the tansu broker can run; without it the caller skips, unless
/// `SLUICE_REQUIRE_TANSU=1` (CI), where this fails.
pub fn tansu_available(what: &str) -> bool {
    if sluice_kafka::broker::tansu_binary().is_some() {
        return true;
    }
    assert!(
        std::env::var("SLUICE_REQUIRE_TANSU").as_deref() != Ok("1"),
        "the tansu binary is missing: .ci/run must `cargo install tansu --features dynostore`"
    );
    eprintln!("tansu is not installed: skipping {what}");
    false
}
