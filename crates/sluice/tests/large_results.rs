//! Large results stream without being buffered (issue 5, point 7): the Python
//! `clickhouse-driver` reads 10,000,000 rows from a `sluice server` process with
//! `execute_iter` (blocks of 65,536 rows), without and with LZ4 compression, and checks the
//! row count and sum (from ClickHouse: `ch-oracle -q "SELECT count(), sum(number) FROM
//! numbers(10000000)"` → `10000000\t49999995000000`). The server's peak RSS (VmHWM) may not
//! grow by more than a tenth of the result's 80 MB while they stream: after a 1M-row
//! warm-up (first-query allocations), it does not grow at all when the result streams.
//!
//! The venv is `<workspace>/target/pyenv` (override with `SLUICE_PYENV`), created by
//! `crates/sluice-server/tests/clients/setup_venv.sh` when missing.
//!
//! Takes about 25 s with a debug build (most of it LZ4 compression of 80 MB in debug code).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Ports, start_server, terminate, wait_ready};
use tokio::process::Command;

const ROWS: u64 = 10_000_000;
const SUM: u64 = 49_999_995_000_000;
/// Bytes of the result: one UInt64 column.
const RESULT_BYTES: u64 = ROWS * 8;

const DRIVER: &str = r#"
import sys
from clickhouse_driver import Client
port, compression, sql = int(sys.argv[1]), sys.argv[2], sys.argv[3]
kw = {"compression": compression} if compression != "none" else {}
c = Client("127.0.0.1", port=port, **kw)
rows = total = 0
for row in c.execute_iter(sql, settings={"max_block_size": 65536}):
    rows += 1
    total += row[0]
print(rows, total)
"#;

async fn venv_python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var("SLUICE_PYENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target/pyenv"));
    let status = Command::new("bash")
        .arg(root.join("crates/sluice-server/tests/clients/setup_venv.sh"))
        .arg(&venv)
        .status()
        .await
        .expect("run setup_venv.sh");
    assert!(status.success(), "creating the Python venv failed");
    venv.join("bin/python")
}

/// (rows, sum) clickhouse-driver received.
async fn stream(python: &PathBuf, port: u16, compression: &str, rows: u64) -> (u64, u64) {
    let out = Command::new(python)
        .arg("-c")
        .arg(DRIVER)
        .arg(port.to_string())
        .arg(compression)
        .arg(format!("SELECT number FROM numbers({rows})"))
        .output()
        .await
        .expect("run python");
    assert!(
        out.status.success(),
        "clickhouse-driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut f = text.split_whitespace().map(|v| v.parse::<u64>());
    match (f.next(), f.next()) {
        (Some(Ok(r)), Some(Ok(s))) => (r, s),
        _ => panic!("unexpected driver output: {text}"),
    }
}

/// Peak resident set size of a process, in bytes.
fn peak_rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .expect("VmHWM of the server")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clickhouse_driver_streams_ten_million_rows() {
    let python = venv_python().await;
    let root = tempfile::tempdir().expect("tempdir");
    let ports = Ports::free();
    let mut server = start_server(&root.path().join("data"), &ports, None);
    let http = reqwest::Client::new();
    assert!(
        wait_ready(&http, &ports, &mut server).await,
        "server did not start"
    );

    // Warm-up: the first queries' one-time allocations (function registry, plans).
    for compression in ["none", "lz4"] {
        let got = stream(&python, ports.tcp, compression, 1_000_000).await;
        assert_eq!(got, (1_000_000, 499_999_500_000), "{compression}");
    }
    let before = peak_rss(server.id());
    for compression in ["none", "lz4"] {
        let got = stream(&python, ports.tcp, compression, ROWS).await;
        assert_eq!(got, (ROWS, SUM), "compression {compression}");
    }
    let growth = peak_rss(server.id()).saturating_sub(before);
    eprintln!(
        "server peak RSS grew by {:.1} MB while streaming 2 x {:.0} MB",
        growth as f64 / 1e6,
        RESULT_BYTES as f64 / 1e6
    );
    assert!(
        growth < RESULT_BYTES / 10,
        "the server's peak RSS grew by {growth} bytes: the result was buffered"
    );
    assert!(
        terminate(&mut server, Duration::from_secs(30)),
        "clean exit"
    );
}
