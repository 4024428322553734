//! `sluice demo` as a user runs it (issue 4, point 12): the built binary, in a process group
//! of its own like a command started from a terminal, with a temporary `--path`, a free
//! native port and an HTTP port that is taken (so the demo must pick a free one and print
//! it). The broker is found the way the demo finds it (`tansu` on `PATH` or in
//! `~/.cargo/bin`); without it the test skips, unless `SLUICE_REQUIRE_TANSU=1` (CI).
//!
//! Checked, from what the demo prints and from the running pipeline:
//! - the header: the broker (tansu) and its address, the data directory, the HTTP and
//!   native ports, the generator's rate, ops and topic, the guide's three statements;
//! - the two commands to try: the printed `curl` command, run as printed (or its URL
//!   fetched when curl is not installed), answers on the printed HTTP port with
//!   `operation_type` counts in ClickHouse's `PrettyCompact` layout; the printed
//!   `clickhouse-client` command, run as printed (by Debian's client 18.16 in CI), shows
//!   the Kafka table's consumer with its four partitions;
//! - progress lines every second with produced/consumed counts, msg/s, lag (= produced −
//!   consumed) and the rows of `orders_final`, which grow;
//! - the three statements' objects in `system.tables`, the Kafka table on the printed broker;
//! - all four Debezium ops: the topic holds `r`, `c`, `u` and `d` events of
//!   `inventory.orders`; the seed's view keeps `c`, `u`, `r` (its `WHERE`), so
//!   `orders_final.operation_type` has exactly those three, with the 1 000 snapshot (`r`)
//!   events once each;
//! - a terminal's Ctrl-C (SIGINT to the process group): exit code 0 within [`EXIT_BOUND`],
//!   the broker and the HTTP port closed afterwards, no `ERROR` in the log.
//!
//! Nothing here measures speed (docs/benchmarks.md has the demo's throughput).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use common::{free_port, tansu_available};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};

/// The guide's Debezium topic (its `kafka_topic_list`).
const TOPIC: &str = "postgres-server.inventory.orders";

/// Events per second: enough for every op within the first seconds, little CPU beside the
/// other tests.
const RATE: u64 = 3000;

/// How long the demo may take to exit after SIGINT. Its stop, in order: the server stops
/// accepting and closes idle connections at once (running queries get up to 30 s, but none
/// runs); the Kafka consumer stops within `sluice_kafka::JOIN_TIMEOUT` (8 s: its close is
/// bounded by `STOP_TIMEOUT`, 5 s) plus the block it is writing (local work); then the
/// generator's flush, bounded by 5 s in demo.rs, and killing the broker process. That is
/// at most ~13 s plus one block; 30 s leaves room for a loaded debug build. The runs of
/// session 14 exited in 0.7 s.
const EXIT_BOUND: Duration = Duration::from_secs(30);

/// How long the pipeline may take to show each expected state.
const PIPELINE_WAIT: Duration = Duration::from_secs(120);

/// ClickHouse's answer to the printed curl query's shape: `ch-oracle -q "SELECT
/// operation_type, count() FROM values('operation_type String', 'c', 'r', 'u') GROUP BY 1
/// ORDER BY 1 FORMAT PrettyCompact"` (the counts differ run to run; the frame does not).
const PRETTY_COMPACT_HEADER: &str = "   ┌─operation_type─┬─count()─┐";

/// `system.tables` after the guide's three statements: `ch-oracle --path … -q "<the three
/// statements>; SELECT name, engine FROM system.tables WHERE database = currentDatabase()
/// ORDER BY name"`.
const SEED_TABLES: &str =
    "orders_final\tMergeTree\norders_kafka_json\tKafka\norders_mv\tMaterializedView\n";

/// The running demo: its stdout lines arrive on a channel; dropped, it gets SIGINT, then
/// SIGKILL (SIGINT first, so that it stops the broker process it started).
struct Demo {
    child: Child,
    lines: Receiver<String>,
    printed: Vec<String>,
    log: PathBuf,
}

impl Demo {
    fn start(dir: &Path, http_port: u16, tcp_port: u16) -> Self {
        let log = dir.with_extension("log");
        let stderr = std::fs::File::create(&log).expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["demo", "--rate", &RATE.to_string(), "--path"])
            .arg(dir)
            .args(["--http-port", &http_port.to_string()])
            .args(["--tcp-port", &tcp_port.to_string()])
            .env("RUST_LOG", "info")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .expect("start sluice demo");
        let stdout = child.stdout.take().expect("stdout pipe");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            printed: Vec::new(),
            log,
        }
    }

    /// The next line the demo prints; fails the test at `deadline` or when stdout ends.
    fn next_line(&mut self, deadline: Instant) -> String {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(wait) {
            Ok(line) => {
                self.printed.push(line.clone());
                line
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "sluice demo printed nothing more in time; so far:\n{}\nlog:\n{}",
                self.printed.join("\n"),
                self.log_text()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "sluice demo's stdout ended ({:?}); so far:\n{}\nlog:\n{}",
                self.child.try_wait(),
                self.printed.join("\n"),
                self.log_text()
            ),
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGINT to the demo's process group: what a terminal's Ctrl-C sends.
    fn interrupt(&self) {
        let group = format!("-{}", self.child.id());
        let status = Command::new("kill")
            .args(["-s", "INT", "--", &group])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -INT {group}: {status}");
    }

    /// Waits for the exit at most `bound`.
    fn wait_exit(&mut self, bound: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + bound;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The lines printed after the last one read (after the exit: all of them).
    fn rest(&mut self) -> Vec<String> {
        let rest: Vec<String> = self.lines.try_iter().collect();
        self.printed.extend(rest.iter().cloned());
        rest
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill")
                .args(["-s", "INT", "--", &group])
                .status();
            if self.wait_exit(EXIT_BOUND).is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

/// The header, up to the commands to try.
struct Header {
    broker: String,
    broker_kind: String,
    data: PathBuf,
    http: u16,
    tcp: u16,
    generating: String,
    statements: Vec<String>,
    curl: String,
    clickhouse_client: String,
}

/// The port of `host:port` (after an optional `http://`, before an optional `/`).
fn port_of(addr: &str) -> u16 {
    let addr = addr.trim_start_matches("http://").trim_end_matches('/');
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    assert_eq!(host, "127.0.0.1", "{addr}");
    port.parse().expect("port")
}

/// Reads the header: every line before the progress lines.
fn read_header(demo: &mut Demo, deadline: Instant) -> Header {
    assert_eq!(demo.next_line(deadline), "Sluice demo");
    let mut field = |name: &str| {
        let line = demo.next_line(deadline);
        let rest = line.trim_start().strip_prefix(name);
        rest.map(|r| r.trim().to_string())
            .unwrap_or_else(|| panic!("expected `{name} …`, got {line:?}"))
    };
    let broker_line = field("broker");
    let data = PathBuf::from(field("data"));
    let http_line = field("HTTP");
    let generating = field("generating");
    let _ = field("ran the guide's three statements:");
    let (broker, broker_kind) = broker_line
        .split_once(' ')
        .expect("`broker address (kind)`");
    let broker_kind = broker_kind
        .trim_start_matches('(')
        .trim_end_matches(')')
        .to_string();
    // `http://127.0.0.1:H/   native TCP 127.0.0.1:T`
    let words: Vec<&str> = http_line.split_whitespace().collect();
    assert_eq!(words.len(), 4, "{http_line:?}");
    assert_eq!(&words[1..3], ["native", "TCP"], "{http_line:?}");
    let (http, tcp) = (port_of(words[0]), port_of(words[3]));
    let statements: Vec<String> = (0..3)
        .map(|_| demo.next_line(deadline).trim().to_string())
        .collect();
    assert_eq!(demo.next_line(deadline), "");
    assert_eq!(demo.next_line(deadline), "Try:");
    let curl = demo.next_line(deadline).trim().to_string();
    let clickhouse_client = demo.next_line(deadline).trim().to_string();
    assert_eq!(demo.next_line(deadline), "");
    Header {
        broker: broker.to_string(),
        broker_kind,
        data,
        http,
        tcp,
        generating,
        statements,
        curl,
        clickhouse_client,
    }
}

/// One progress line: `produced P  consumed C (R msg/s)  lag L  orders_final rows N`.
#[derive(Debug, Clone, Copy)]
struct Progress {
    produced: u64,
    consumed: u64,
    rate: f64,
    lag: u64,
    rows: u64,
}

fn parse_progress(line: &str) -> Option<Progress> {
    let spaced = line.replace(['(', ')'], " ");
    let w: Vec<&str> = spaced.split_whitespace().collect();
    let shape = [
        "produced",
        "",
        "consumed",
        "",
        "",
        "msg/s",
        "lag",
        "",
        "orders_final",
        "rows",
    ];
    if w.len() != 11 || shape.iter().zip(&w).any(|(s, w)| !s.is_empty() && s != w) {
        return None;
    }
    Some(Progress {
        produced: w[1].parse().ok()?,
        consumed: w[3].parse().ok()?,
        rate: w[4].parse().ok()?,
        lag: w[7].parse().ok()?,
        rows: w[10].parse().ok()?,
    })
}

/// Checks one progress line against the one before it.
fn check_progress(p: &Progress, before: Option<&Progress>) {
    assert_eq!(p.lag, p.produced.saturating_sub(p.consumed), "lag of {p:?}");
    assert!(p.rate >= 0.0, "{p:?}");
    if let Some(b) = before {
        assert!(
            p.produced >= b.produced,
            "produced went down: {b:?} → {p:?}"
        );
        assert!(
            p.consumed >= b.consumed,
            "consumed went down: {b:?} → {p:?}"
        );
        assert!(p.rows >= b.rows, "rows went down: {b:?} → {p:?}");
    }
}

/// Whether a client program runs; when not, the check that needs it fails under
/// `SLUICE_REQUIRE_CLIENTS=1` (CI) and is skipped otherwise.
fn client_available(program: &str) -> bool {
    if Command::new(program).arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("SLUICE_REQUIRE_CLIENTS").as_deref() != Ok("1"),
        "{program} is required (SLUICE_REQUIRE_CLIENTS=1)"
    );
    false
}

/// Runs a printed command line as a shell would; its stdout, or the failure.
fn run_printed(command: &str) -> Result<String, String> {
    let out = Command::new("sh")
        .args(["-c", command])
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{}: {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The printed curl command's answer: run as printed, or its URL fetched when curl is
/// not installed.
fn run_curl(command: &str, with_curl: bool) -> Result<String, String> {
    if with_curl {
        return run_printed(command);
    }
    let url = command
        .strip_prefix("curl '")
        .and_then(|r| r.strip_suffix('\''))
        .ok_or_else(|| format!("not `curl 'URL'`: {command}"))?;
    let resp = reqwest::blocking::get(url).map_err(|e| e.to_string())?;
    resp.text().map_err(|e| e.to_string())
}

/// `operation_type → count` from a `PrettyCompact` answer, after checking its frame.
fn operation_counts(answer: &str) -> BTreeMap<String, u64> {
    let mut lines = answer.lines();
    assert_eq!(lines.next(), Some(PRETTY_COMPACT_HEADER), "{answer}");
    let mut counts = BTreeMap::new();
    for line in lines.filter(|l| l.contains('│')) {
        let cells: Vec<&str> = line.split('│').map(str::trim).collect();
        assert_eq!(cells.len(), 4, "{line:?}");
        let n = cells[2]
            .parse()
            .unwrap_or_else(|_| panic!("count in {line:?}"));
        counts.insert(cells[1].to_string(), n);
    }
    counts
}

fn http_query(http: u16, sql: &str) -> String {
    let resp = reqwest::blocking::Client::new()
        .post(format!("http://127.0.0.1:{http}/"))
        .body(sql.to_string())
        .send()
        .expect("HTTP query");
    let ok = resp.status().is_success();
    let text = resp.text().expect("HTTP body");
    assert!(ok, "{sql}: {text}");
    text
}

/// The `op` of every event read from the start of the topic's partitions, until all four
/// were seen or `deadline`; each event must be a change of `inventory.orders`.
fn ops_in_topic(bootstrap: &str, deadline: Instant) -> BTreeMap<char, u64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "sluice_demo_test_reader")
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", "10")
        .create()
        .expect("consumer");
    let metadata = consumer
        .fetch_metadata(Some(TOPIC), Duration::from_secs(10))
        .expect("metadata");
    let partitions = metadata
        .topics()
        .iter()
        .find(|t| t.name() == TOPIC)
        .map(|t| t.partitions().len())
        .expect("the topic");
    let mut assignment = TopicPartitionList::new();
    for p in 0..partitions {
        assignment
            .add_partition_offset(TOPIC, p as i32, Offset::Beginning)
            .expect("partition");
    }
    consumer.assign(&assignment).expect("assign");
    let mut ops: BTreeMap<char, u64> = BTreeMap::new();
    while ops.len() < 4 && Instant::now() < deadline {
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = message.expect("message");
        let payload = std::str::from_utf8(message.payload().unwrap_or_default()).expect("UTF-8");
        for field in [r#""db":"inventory""#, r#""table":"orders""#] {
            assert!(payload.contains(field), "{field} not in {payload}");
        }
        let op = payload
            .rsplit_once(r#""op":""#)
            .and_then(|(_, rest)| rest.chars().next())
            .unwrap_or_else(|| panic!("no op in {payload}"));
        *ops.entry(op).or_default() += 1;
    }
    ops
}

#[test]
fn demo_runs_the_seed_pipeline_and_stops_on_ctrl_c() {
    if !tansu_available("the demo test") {
        return;
    }
    let with_curl = client_available("curl");
    let with_clickhouse_client = client_available("clickhouse-client");
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("data");
    // Held for the whole run: the demo must take another HTTP port and say which.
    let taken = TcpListener::bind("127.0.0.1:0").expect("listener");
    let taken_port = taken.local_addr().expect("address").port();
    let tcp_port = free_port();
    let mut demo = Demo::start(&dir, taken_port, tcp_port);

    let deadline = Instant::now() + PIPELINE_WAIT;
    let header = read_header(&mut demo, deadline);
    assert_eq!(header.broker_kind, "tansu");
    assert_eq!(header.data, dir);
    assert_ne!(header.http, taken_port, "the taken HTTP port was printed");
    assert_eq!(header.tcp, tcp_port);
    assert_eq!(
        header.generating,
        format!("{RATE} Debezium events/s (ops r, c, u, d) into {TOPIC}")
    );
    assert_eq!(
        header.statements,
        [
            "CREATE TABLE orders_kafka_json (",
            "CREATE TABLE orders_final (",
            "CREATE MATERIALIZED VIEW orders_mv TO orders_final AS",
        ]
    );
    let http = header.http;
    assert!(
        header
            .curl
            .starts_with(&format!("curl 'http://127.0.0.1:{http}/?query=")),
        "{}",
        header.curl
    );
    assert!(
        header
            .clickhouse_client
            .starts_with(&format!("clickhouse-client --port {} -q '", header.tcp)),
        "{}",
        header.clickhouse_client
    );

    // Progress once a second; the target's rows grow (a block is flushed every
    // kafka_flush_interval_ms, 7.5 s by default, so this takes two flushes).
    let mut progress: Vec<Progress> = Vec::new();
    while progress.len() < 3
        || progress
            .iter()
            .find(|p| p.rows > 0)
            .is_none_or(|first| progress.last().is_some_and(|l| l.rows <= first.rows))
    {
        let line = demo.next_line(deadline);
        let p = parse_progress(&line).unwrap_or_else(|| panic!("not a progress line: {line:?}"));
        check_progress(&p, progress.last());
        progress.push(p);
    }
    assert!(progress.iter().any(|p| p.rate > 0.0), "{progress:?}");
    eprintln!(
        "{} progress lines, the last: {:?}",
        progress.len(),
        progress.last()
    );

    // The printed curl command: operation_type counts in orders_final.
    let counts = loop {
        let counts = operation_counts(&run_curl(&header.curl, with_curl).expect("curl"));
        if counts.get("r") == Some(&1000) || Instant::now() > deadline {
            break counts;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    eprintln!("curl: {counts:?}");
    let ops: BTreeSet<&str> = counts.keys().map(String::as_str).collect();
    assert_eq!(
        ops,
        BTreeSet::from(["c", "r", "u"]),
        "the view keeps c, u, r"
    );
    assert_eq!(counts["r"], 1000, "each snapshot event once");

    // The printed clickhouse-client command: the Kafka table's consumer.
    if with_clickhouse_client {
        let out = run_printed(&header.clickhouse_client).expect("clickhouse-client");
        let fields: BTreeMap<&str, &str> = out
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        assert_eq!(fields.get("table"), Some(&"orders_kafka_json"), "{out}");
        // The demo's topic has four partitions, all with the one consumer.
        let partitions: BTreeSet<&str> = fields
            .get("assignments.partition_id")
            .map(|a| a.trim_matches(['[', ']']).split(',').collect())
            .unwrap_or_default();
        assert_eq!(partitions, BTreeSet::from(["0", "1", "2", "3"]), "{out}");
        assert!(fields.contains_key("assignments.lag"), "{out}");
        let read: u64 = fields
            .get("num_messages_read")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("num_messages_read in {out}"));
        assert!(read > 0, "{out}");
    } else {
        eprintln!("clickhouse-client is not installed: its command was not run");
    }

    // The three statements' objects, the Kafka table on the printed broker.
    assert_eq!(
        http_query(
            http,
            "SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name"
        ),
        SEED_TABLES
    );
    let create = http_query(http, "SHOW CREATE TABLE orders_kafka_json");
    assert!(create.contains(&header.broker), "{create}");

    // The generator's events: all four ops in the topic.
    let ops = ops_in_topic(&header.broker, deadline);
    eprintln!("ops in the topic: {ops:?}");
    assert_eq!(ops.keys().copied().collect::<String>(), "cdru", "{ops:?}");

    // A terminal's Ctrl-C.
    let rows_before = progress.last().map_or(0, |p| p.rows);
    let interrupted = Instant::now();
    demo.interrupt();
    let status = demo.wait_exit(EXIT_BOUND);
    let took = interrupted.elapsed();
    eprintln!("exit after SIGINT: {took:?}, {status:?}");
    let status = status.unwrap_or_else(|| {
        panic!(
            "no exit within {EXIT_BOUND:?} of SIGINT; log:\n{}",
            demo.log_text()
        )
    });
    assert!(
        status.success(),
        "exit status {status}; log:\n{}",
        demo.log_text()
    );
    // Progress lines printed until the stop: still consistent (no line of the stopping
    // consumers' zero counts).
    let mut last = progress.last().copied();
    for line in demo.rest() {
        if let Some(p) = parse_progress(&line) {
            check_progress(&p, last.as_ref());
            last = Some(p);
        }
    }
    assert!(last.map_or(0, |p| p.rows) >= rows_before);
    let broker: SocketAddr = header.broker.parse().expect("broker address");
    assert!(
        TcpStream::connect_timeout(&broker, Duration::from_secs(1)).is_err(),
        "the broker still listens after the demo exited"
    );
    let http_addr = SocketAddr::from(([127, 0, 0, 1], http));
    assert!(TcpStream::connect_timeout(&http_addr, Duration::from_secs(1)).is_err());
    let log = demo.log_text();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(
        errors.is_empty(),
        "errors in the log:\n{}",
        errors.join("\n")
    );
    drop(taken);
}
