//! Streaming a large result to clients (issue 5, point 9), Sluice beside ClickHouse
//! measured in the same run.
//!
//! A release `sluice server` process answers a 6-column query over N rows (default
//! 10,000,000; `SLUICE_BENCH_ROWS`) from two sources:
//! - `numbers`: `SELECT number, toString(number), number*2.5, toDate(number % 20000),
//!   toDateTime(number), number % 7 = 0 FROM numbers(N)` (computed while streaming);
//! - `mergetree`: `SELECT * FROM stream_bench`, a MergeTree table holding that result.
//!
//! Consumers:
//! - curl over HTTP reading to /dev/null, in `Null` (the query alone, nothing sent),
//!   `TSV`, `Native` and `Parquet`;
//! - Debian's `clickhouse-client` over the native protocol (`--format Null`, a C++ client
//!   that keeps up with the server), without and with LZ4 compression;
//! - the Python `clickhouse-driver` over the native protocol (`execute_iter`, blocks of
//!   65,536 rows) without and with LZ4 compression (numbers source only; skip with
//!   `SLUICE_BENCH_DRIVER=0`). The driver builds a Python tuple per row, so it is the
//!   bottleneck there; its own CPU time is printed to show it.
//!
//! Printed per run: rows/s and MB/s (wall time seen by the client), the server's CPU time
//! per row (user + system of the whole process, from /proc), and the server's CPU per row
//! spent on the format itself (the run's CPU minus the same source's `Null` run: encoding,
//! compression and sending).
//!
//! ClickHouse's figures: chdb (ClickHouse in-process, the oracle's Python) running the same
//! query in the same format through `Session.send_query` (a streamed result, chunk by
//! chunk), timed the same way: wall time, CPU time of the process (getrusage), bytes
//! produced. There is no socket on the ClickHouse side, so its figures are a lower bound
//! of what a server would spend.
//!
//! Run: `cargo bench -p sluice --bench streaming` (`SLUICE_BIN=path` runs another build of
//! the server, e.g. to compare two commits).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/machine.rs"]
mod machine;
use machine::{chdb_python, cpu_seconds, free_port, peak_rss_mb};

const FORMATS: [&str; 4] = ["Null", "TSV", "Native", "Parquet"];

fn numbers_query(rows: u64) -> String {
    format!(
        "SELECT number, toString(number), number*2.5, toDate(number % 20000), \
         toDateTime(number), number % 7 = 0 FROM numbers({rows})"
    )
}

const TABLE_DDL: &str = "CREATE TABLE stream_bench (n UInt64, s String, f Float64, d Date, \
                         t DateTime, b UInt8) ENGINE = MergeTree ORDER BY n";
const TABLE_QUERY: &str = "SELECT * FROM stream_bench";

struct Server {
    child: Child,
    http: u16,
    tcp: u16,
    client: reqwest::blocking::Client,
}

impl Server {
    fn start(dir: &Path) -> Self {
        let (http, tcp) = (free_port(), free_port());
        let bin = std::env::var_os("SLUICE_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sluice")));
        let child = Command::new(bin)
            .arg("server")
            .arg("--path")
            .arg(dir)
            .args(["--http-port", &http.to_string()])
            .args(["--tcp-port", &tcp.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sluice server");
        let s = Self {
            child,
            http,
            tcp,
            client: reqwest::blocking::Client::builder()
                .timeout(None)
                .build()
                .expect("http client"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while s.query("SELECT 1").is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    fn query(&self, sql: &str) -> Result<String, String> {
        let r = self
            .client
            .post(format!("http://127.0.0.1:{}/", self.http))
            .body(sql.to_string())
            .send()
            .map_err(|e| e.to_string())?;
        let ok = r.status().is_success();
        let text = r.text().map_err(|e| e.to_string())?;
        if ok { Ok(text) } else { Err(text) }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One measured run.
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    wall: f64,
    cpu: f64,
    bytes: u64,
}

impl Run {
    fn rows_per_sec(&self, rows: u64) -> f64 {
        rows as f64 / self.wall
    }

    fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.wall
    }

    fn cpu_us_per_row(&self, rows: u64) -> f64 {
        self.cpu * 1e6 / rows as f64
    }
}

/// curl POSTs `sql FORMAT fmt` and writes the body to /dev/null.
fn curl_run(server: &Server, sql: &str, fmt: &str) -> Run {
    let pid = server.pid();
    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    let out = Command::new("curl")
        .args(["-sS", "--fail", "-o", "/dev/null", "-w", "%{size_download}"])
        .args(["--data-binary", &format!("{sql} FORMAT {fmt}")])
        .arg(format!("http://127.0.0.1:{}/", server.http))
        .output()
        .expect("run curl");
    let wall = t0.elapsed().as_secs_f64();
    // The server's accounting of the query may end a moment after the last byte.
    std::thread::sleep(Duration::from_millis(100));
    let cpu = cpu_seconds(pid) - cpu0;
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    Run { wall, cpu, bytes }
}

fn pyenv_python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = std::env::var("SLUICE_PYENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target/pyenv"));
    let status = Command::new("bash")
        .arg(root.join("crates/sluice-server/tests/clients/setup_venv.sh"))
        .arg(&venv)
        .stdout(Stdio::null())
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "creating the Python venv failed"
    );
    venv.join("bin/python")
}

const DRIVER_SCRIPT: &str = r#"
import resource, sys, time
from clickhouse_driver import Client
port, compression, sql = int(sys.argv[1]), sys.argv[2], sys.argv[3]
kw = {"compression": compression} if compression != "none" else {}
c = Client("127.0.0.1", port=port, **kw)
c.execute("SELECT 1")
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.time()
rows = 0
for _ in c.execute_iter(sql, settings={"max_block_size": 65536}):
    rows += 1
t1 = time.time()
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(f"{rows} {t1 - t0} {cpu}")
"#;

/// clickhouse-driver streams `sql`; returns the run (bytes unknown: 0) and the client's CPU.
fn driver_run(server: &Server, python: &Path, sql: &str, compression: &str) -> (Run, f64, u64) {
    let pid = server.pid();
    let cpu0 = cpu_seconds(pid);
    let out = Command::new(python)
        .arg("-c")
        .arg(DRIVER_SCRIPT)
        .arg(server.tcp.to_string())
        .arg(compression)
        .arg(sql)
        .output()
        .expect("run python");
    std::thread::sleep(Duration::from_millis(100));
    let cpu = cpu_seconds(pid) - cpu0;
    assert!(
        out.status.success(),
        "clickhouse-driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<f64> = text
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let (rows, wall, client_cpu) = (
        f.first().copied().unwrap_or(0.0) as u64,
        f.get(1).copied().unwrap_or(f64::NAN),
        f.get(2).copied().unwrap_or(f64::NAN),
    );
    (
        Run {
            wall,
            cpu,
            bytes: 0,
        },
        client_cpu,
        rows,
    )
}

/// Debian's `clickhouse-client` (C++) reads `sql` over the native protocol and discards
/// it (`--format Null`); `None` when it is not installed.
fn native_client_run(server: &Server, sql: &str, compression: bool) -> Option<Run> {
    let pid = server.pid();
    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    let out = Command::new("clickhouse-client")
        .args(["--host", "127.0.0.1", "--port", &server.tcp.to_string()])
        .args(["--compression", if compression { "1" } else { "0" }])
        .args(["--format", "Null", "-q", sql])
        .output()
        .ok()?;
    let wall = t0.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(100));
    let cpu = cpu_seconds(pid) - cpu0;
    assert!(
        out.status.success(),
        "clickhouse-client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(Run {
        wall,
        cpu,
        bytes: 0,
    })
}

const CHDB_SCRIPT: &str = r#"
import resource, sys, time
from chdb import session
numbers_sql, ddl, table_sql = sys.argv[1], sys.argv[2], sys.argv[3]
formats = sys.argv[4].split(",")
s = session.Session()
s.query(ddl)
s.query("INSERT INTO stream_bench " + numbers_sql)
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
for source, sql in (("numbers", numbers_sql), ("mergetree", table_sql)):
    for fmt in formats:
        c0 = cpu()
        t0 = time.time()
        size = 0
        for chunk in s.send_query(sql, fmt):
            size += chunk.size()
        t1 = time.time()
        print(f"{source} {fmt} {t1 - t0} {cpu() - c0} {size}", flush=True)
"#;

/// ClickHouse's runs keyed by (source, format).
fn chdb_runs(rows: u64) -> Vec<(String, String, Run)> {
    let out = Command::new(chdb_python())
        .arg("-c")
        .arg(CHDB_SCRIPT)
        .arg(numbers_query(rows))
        .arg(TABLE_DDL)
        .arg(TABLE_QUERY)
        .arg(FORMATS.join(","))
        .output();
    let Ok(out) = out else {
        return Vec::new();
    };
    if !out.status.success() {
        eprintln!("chdb failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some((
                (*f.first()?).to_string(),
                (*f.get(1)?).to_string(),
                Run {
                    wall: f.get(2)?.parse().ok()?,
                    cpu: f.get(3)?.parse().ok()?,
                    bytes: f.get(4)?.parse().ok()?,
                },
            ))
        })
        .collect()
}

fn line(who: &str, what: &str, r: &Run, rows: u64, format_cpu: Option<f64>) -> String {
    let format_part = match format_cpu {
        Some(c) => format!(
            "   format {:>6.3} us/row ({:>5.1}M rows/s/core)",
            c * 1e6 / rows as f64,
            if c > 0.0 {
                rows as f64 / c / 1e6
            } else {
                f64::INFINITY
            }
        ),
        None => String::new(),
    };
    format!(
        "{who:<11} {what:<26} {:>6.2}M rows/s {:>7.1} MB/s   CPU {:>6.3} us/row{format_part}   ({:.2} s wall, {:.2} s CPU, {:.1} MB)",
        r.rows_per_sec(rows) / 1e6,
        r.mb_per_sec(),
        r.cpu_us_per_row(rows),
        r.wall,
        r.cpu,
        r.bytes as f64 / 1e6,
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` (nothing to enumerate)
    }
    let rows: u64 = std::env::var("SLUICE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let with_driver = std::env::var("SLUICE_BENCH_DRIVER").map_or(true, |v| v != "0");
    let work = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&work.path().join("sluice"));
    let numbers = numbers_query(rows);
    server.query(TABLE_DDL).expect("create table");
    let t = Instant::now();
    server
        .query(&format!("INSERT INTO stream_bench {numbers}"))
        .expect("fill table");
    println!(
        "filled stream_bench with {rows} rows in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let ch = chdb_runs(rows);
    let ch_run = |source: &str, fmt: &str| {
        ch.iter()
            .find(|(s, f, _)| s == source && f == fmt)
            .map(|(_, _, r)| *r)
    };

    let mut numbers_null_cpu = None;
    // The native protocol carries the Native payload (plus a few bytes per block): its MB/s
    // are counted with the HTTP `Native` body's size.
    let mut native_bytes = 0;
    for (source, sql) in [("numbers", numbers.as_str()), ("mergetree", TABLE_QUERY)] {
        println!();
        println!("== {source}: {sql} ({rows} rows, 6 columns)");
        println!(
            "   sluice: curl over HTTP to /dev/null; clickhouse: chdb send_query in-process, same SQL and format"
        );
        let mut null_cpu = (None, None);
        for fmt in FORMATS {
            let r = curl_run(&server, sql, fmt);
            let c = ch_run(source, fmt);
            if fmt == "Null" {
                null_cpu = (Some(r.cpu), c.map(|c| c.cpu));
                if source == "numbers" {
                    numbers_null_cpu = Some(r.cpu);
                }
            }
            if fmt == "Native" && source == "numbers" {
                native_bytes = r.bytes;
            }
            let fmt_cpu = |cpu: f64, null: Option<f64>| {
                null.filter(|_| fmt != "Null").map(|n| (cpu - n).max(0.0))
            };
            println!(
                "{}",
                line("sluice", fmt, &r, rows, fmt_cpu(r.cpu, null_cpu.0))
            );
            match c {
                Some(c) => {
                    println!(
                        "{}",
                        line("clickhouse", fmt, &c, rows, fmt_cpu(c.cpu, null_cpu.1))
                    );
                    println!(
                        "ratio       {fmt:<26} sluice/clickhouse: wall {:.2}x, CPU per row {:.2}x, bytes {:.3}",
                        r.wall / c.wall,
                        r.cpu / c.cpu,
                        r.bytes as f64 / c.bytes.max(1) as f64
                    );
                }
                None => println!(
                    "clickhouse  {fmt:<26} (chdb did not run: {})",
                    chdb_python().display()
                ),
            }
        }
    }

    println!();
    println!("== native protocol to Debian's clickhouse-client --format Null (C++): {numbers}");
    println!("   clickhouse: chdb send_query(sql, 'Native') in-process");
    for compression in [false, true] {
        match native_client_run(&server, &numbers, compression) {
            Some(mut r) => {
                r.bytes = native_bytes;
                println!(
                    "{}",
                    line(
                        "sluice",
                        &format!("native, compression={}", u8::from(compression)),
                        &r,
                        rows,
                        numbers_null_cpu.map(|n| (r.cpu - n).max(0.0))
                    )
                );
            }
            None => println!("sluice      clickhouse-client is not installed"),
        }
    }
    if let Some(c) = ch_run("numbers", "Native") {
        println!("{}", line("clickhouse", "Native (chdb)", &c, rows, None));
    }

    if with_driver {
        let python = pyenv_python();
        println!();
        println!(
            "== clickhouse-driver execute_iter over the native protocol: {numbers} (max_block_size 65536)"
        );
        println!(
            "   the driver builds a Python tuple per row: its own CPU is the limit; clickhouse: chdb send_query(sql, 'Native')"
        );
        for compression in ["none", "lz4"] {
            let (mut r, client_cpu, got) = driver_run(&server, &python, &numbers, compression);
            r.bytes = native_bytes;
            assert_eq!(got, rows, "clickhouse-driver received {got} rows");
            println!(
                "{}   client CPU {:.2} s",
                line(
                    "sluice",
                    &format!("native, compression={compression}"),
                    &r,
                    rows,
                    None
                ),
                client_cpu
            );
        }
        if let Some(c) = ch_run("numbers", "Native") {
            println!("{}", line("clickhouse", "Native (chdb)", &c, rows, None));
        }
    }
    println!();
    println!("sluice server peak RSS {:.0} MB", peak_rss_mb(server.pid()));
}
