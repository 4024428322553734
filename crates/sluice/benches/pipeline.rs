//! The seed pipeline's cost and latency (issue 4, points 13 and 14), Sluice beside
//! ClickHouse measured in the same run.
//!
//! 1. **CPU per message.** N Debezium events (default 1,000,000; `SLUICE_BENCH_EVENTS`) are
//!    produced to a `tansu` broker process and written to a local file. A release
//!    `sluice server` process runs the seed guide's three statements verbatim and consumes
//!    them into durable MergeTree parts; its CPU time (user + system, from /proc) is
//!    divided by N. ClickHouse (chdb, the oracle's Python) runs the same view over the same
//!    events read from the file into the same MergeTree table; its CPU time (getrusage) is
//!    divided by N. Also printed: msg/s, MB/s of JSON, and Sluice's peak RSS (VmHWM).
//! 2. **Latency.** Once the first phase's background merges have ended (`system.merges`
//!    empty), a second Kafka table with `kafka_flush_interval_ms = 100` gets 10,000 msg/s
//!    for 10 s; a poller asks `SELECT max(id)` over HTTP every 5 ms, and each
//!    message's latency is the time from its send to the first answer that includes it.
//!    p50/p99/max are printed. ClickHouse has no figure here: chdb's Kafka engine does not
//!    run in-process ("Shutdown was called"), so only Sluice's latency is measured.
//!
//! Also printed: the server's CPU per thread group (thread names without their numbers:
//! the consumer thread, librdkafka's threads, background merges, the runtime), so that
//! what the figure contains is visible (a block is one part, so no merge runs inside the
//! window, as chdb's one `INSERT … SELECT` merges nothing), and how contended the machine
//! was in the window: its idle share, and how long the server's threads waited runnable.
//!
//! **Rounds.** CPU time per message moves by up to a third between identical runs on a
//! shared machine (other processes' caches and preemptions; the work is the same), for
//! both systems. The first phase runs `SLUICE_BENCH_ROUNDS` rounds (default 3), each a
//! fresh server over its own topic holding the same events (round 1 is the seed guide's
//! topic and group; later rounds a fresh topic and group, or the group's committed
//! offsets would make the server resume at the end) followed by chdb, alternating, and
//! prints each round and the minimum and median of each side.
//!
//! Run: `cargo bench -p sluice --bench pipeline` (needs the `tansu` binary).
//! `SLUICE_BIN=path` runs another `sluice` binary as the server (a wrapper that
//! sets an environment, say); `SLUICE_BENCH_SKIP_LATENCY=1` stops after the first phase;
//! the latency phase uses the last round's server.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice_kafka::EmbeddedBroker;

#[path = "common/machine.rs"]
mod machine;
use machine::{chdb_python, cpu_seconds, free_port, peak_rss_mb};
#[path = "common/cpu_use.rs"]
mod cpu_use;
use cpu_use::{MachineShare, MachineTimes, ThreadGroup, since, thread_groups};

const TOPIC: &str = "postgres-server.inventory.orders";
const GROUP: &str = "clickhouse_orders_group";
const LATENCY_TOPIC: &str = "latency.events";

fn event(n: u64) -> (String, &'static str) {
    let (id, op) = if n < 1000 {
        (n, "r")
    } else {
        match n % 10 {
            0..=5 => (n, "c"),
            6..=8 => (n % 1000 + (n / 1000) * 100, "u"),
            _ => (n - 9, "d"),
        }
    };
    let row = format!(
        r#"{{"id":{id},"order_date":"2025-09-{:02}","purchaser":{},"quantity":{},"product_id":{},"created_at":"2025-09-03T10:30:00Z"}}"#,
        1 + id % 28,
        1001 + id % 50,
        1 + id % 9,
        101 + id % 20
    );
    let (before, after) = match op {
        "d" => (row.as_str(), "null"),
        "u" => (row.as_str(), row.as_str()),
        _ => ("null", row.as_str()),
    };
    (
        format!(
            r#"{{"before":{before},"after":{after},"source":{{"version":"2.6.0.Final","connector":"postgresql","name":"postgres-server","ts_ms":1725356200000,"snapshot":"false","db":"inventory","schema":"inventory","table":"orders"}},"op":"{op}","ts_ms":1725356200454}}"#
        ),
        op,
    )
}

fn producer(bootstrap: &str) -> BaseProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .expect("producer")
}

fn send(p: &BaseProducer, topic: &str, payload: &str) {
    loop {
        match p.send(BaseRecord::<(), _>::to(topic).payload(payload)) {
            Ok(()) => break,
            Err(_) => {
                p.poll(Duration::from_millis(5));
            }
        }
    }
    p.poll(Duration::ZERO);
}

struct Server {
    child: Child,
    http: u16,
    client: reqwest::blocking::Client,
}

impl Server {
    fn start(dir: &Path) -> Self {
        let http = free_port();
        let config = dir.with_extension("toml");
        std::fs::write(&config, "[kafka.consumer]\n\"fetch.wait.max.ms\" = 10\n").expect("config");
        let binary =
            std::env::var("SLUICE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sluice").into());
        let child = Command::new(binary)
            .args(["server", "--config"])
            .arg(&config)
            .arg("--path")
            .arg(dir)
            .args(["--http-port", &http.to_string()])
            .args(["--tcp-port", &free_port().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sluice server");
        let s = Self {
            child,
            http,
            client: reqwest::blocking::Client::new(),
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

    fn count(&self, sql: &str) -> u64 {
        self.query(sql)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The seed guide's statements (verbatim) with the broker address replaced, and the topic
/// and consumer group names replaced by `topic` and `group` (the guide's own in round 1).
fn seed_statements(bootstrap: &str, topic: &str, group: &str) -> Vec<String> {
    include_str!("../../../sql-tests/data/seed_pipeline.sql")
        .replace("'kafka:9092'", &format!("'{bootstrap}'"))
        .replace(&format!("'{TOPIC}'"), &format!("'{topic}'"))
        .replace(&format!("'{GROUP}'"), &format!("'{group}'"))
        .split(';')
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|s| !s.trim().is_empty())
        .collect()
}

/// ClickHouse's CPU seconds for the seed view over the events file into MergeTree.
fn chdb_cpu_seconds(events: &Path) -> Option<(f64, f64, u64)> {
    let script = r#"
import resource, sys, time
from chdb import session
path = sys.argv[1]
s = session.Session()
s.query("""CREATE TABLE orders_final (order_id UInt32, order_date Date, purchaser UInt32,
  quantity UInt32, product_id UInt32, operation_type String,
  _synced_at DateTime DEFAULT now(), _partition_date Date DEFAULT today())
  ENGINE = MergeTree() PARTITION BY _partition_date ORDER BY (order_id, _synced_at)
  SETTINGS index_granularity = 8192""")
view = """SELECT
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'id') as order_id,
    toDate(JSONExtractString(JSONExtractString(payload, 'after'), 'order_date')) as order_date,
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'purchaser') as purchaser,
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'quantity') as quantity,
    JSONExtractUInt(JSONExtractString(payload, 'after'), 'product_id') as product_id,
    JSONExtractString(payload, 'op') as operation_type,
    now() as _synced_at,
    today() as _partition_date
FROM file('%s', 'JSONAsString', 'payload String')
WHERE JSONExtractString(payload, 'op') IN ('c', 'u', 'r')""" % path
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.time()
s.query("INSERT INTO orders_final " + view)
t1 = time.time()
r1 = resource.getrusage(resource.RUSAGE_SELF)
rows = str(s.query("SELECT count() FROM orders_final", "TSV")).strip()
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(f"{cpu} {t1 - t0} {rows}")
"#;
    let out = Command::new(chdb_python())
        .arg("-c")
        .arg(script)
        .arg(events)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut f = text.split_whitespace();
    Some((
        f.next()?.parse().ok()?,
        f.next()?.parse().ok()?,
        f.next()?.parse().ok()?,
    ))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` (nothing to enumerate)
    }
    let n: u64 = std::env::var("SLUICE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    if sluice_kafka::broker::tansu_binary().is_none() {
        eprintln!("the pipeline bench needs tansu: cargo install tansu --features dynostore");
        std::process::exit(1);
    }
    let rounds: usize = std::env::var("SLUICE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let broker = EmbeddedBroker::start().expect("broker");
    let bootstrap = broker.bootstrap_servers().to_string();
    broker.create_topic(LATENCY_TOPIC, 1).expect("topic");
    let work = tempfile::tempdir().expect("tempdir");
    let events_path = work.path().join("events.jsonl");

    // The events: to the broker (one topic per round, see `round_names`) and to the file
    // ClickHouse reads.
    let mut file = std::io::BufWriter::new(std::fs::File::create(&events_path).expect("file"));
    let p = producer(&bootstrap);
    let (mut kept, mut bytes) = (0u64, 0u64);
    let t = Instant::now();
    let topics: Vec<(String, String)> = (0..rounds).map(round_names).collect();
    for (topic, _) in &topics {
        broker.create_topic(topic, 1).expect("topic");
    }
    for i in 0..n {
        let (payload, op) = event(i);
        if op != "d" {
            kept += 1;
        }
        bytes += payload.len() as u64;
        for (topic, _) in &topics {
            send(&p, topic, &payload);
        }
        file.write_all(payload.as_bytes()).expect("write");
        file.write_all(b"\n").expect("write");
    }
    p.flush(Duration::from_secs(300)).expect("flush");
    file.flush().expect("flush file");
    drop(file);
    println!(
        "produced {n} events ({:.1} MB) to {rounds} topic(s) in {:.1} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    // Rounds: Sluice (a fresh server consuming its round's topic), then chdb, alternating.
    let mut server = None;
    let (mut sluice_runs, mut ch_runs) = (Vec::new(), Vec::new());
    println!();
    println!(
        "== Seed pipeline, {n} Debezium events ({kept} kept by the view), per message, {rounds} round(s)"
    );
    for (r, (topic, group)) in topics.iter().enumerate() {
        drop(server.take()); // the previous round's server, before this round starts
        let dir = work.path().join(format!("sluice-{r}"));
        let (s, run) = sluice_round(&bootstrap, topic, group, &dir, n, kept);
        println!(
            "round {}  sluice      {:>7.3} us CPU/msg   {:>9.0} msg/s   {:>6.1} MB/s   peak RSS {:.0} MB   (broker -> parts, {:.2} s CPU, {:.2} s wall)",
            r + 1,
            run.us_per_msg,
            n as f64 / run.wall,
            bytes as f64 / 1e6 / run.wall,
            run.rss_mb,
            run.cpu,
            run.wall
        );
        let listed: Vec<String> = run
            .threads
            .iter()
            .filter(|g| g.cpu * 1e6 / n as f64 >= 0.01)
            .map(|g| {
                format!(
                    "{} {:.2} ({} waits)",
                    g.name,
                    g.cpu * 1e6 / n as f64,
                    g.waits
                )
            })
            .collect();
        println!(
            "          sluice per thread group, us CPU/msg in the window: {}",
            listed.join(", ")
        );
        let waited: f64 = run.threads.iter().map(|g| g.runnable_wait).sum();
        let preempted: u64 = run.threads.iter().map(|g| g.preempted).sum();
        println!(
            "          consumer: {} messages read, {} commits (one per poll batch with new messages: kafka_commit_every_batch = 1) = {:.0} messages per poll batch; {} active part(s)",
            run.consumer.read,
            run.consumer.commits,
            run.consumer.read as f64 / run.consumer.commits.max(1) as f64,
            run.consumer.parts
        );
        println!(
            "          contention in the window: machine idle {:.0}% of {} CPUs (steal {:.1}%); the server's threads waited {:.2} s runnable, preempted {preempted} times",
            run.machine.idle * 100.0,
            run.machine.cpus,
            run.machine.steal * 100.0,
            waited
        );
        sluice_runs.push(run.us_per_msg);
        server = Some(s);
        match chdb_cpu_seconds(&events_path) {
            Some((ch_cpu, ch_wall, rows)) => {
                let ch_us = ch_cpu * 1e6 / n as f64;
                println!(
                    "round {}  clickhouse  {ch_us:>7.3} us CPU/msg   {:>9.0} msg/s   {:>6.1} MB/s   (chdb, file -> MergeTree, {ch_cpu:.2} s CPU, {ch_wall:.2} s wall, {rows} rows); ratio {:.2}",
                    r + 1,
                    n as f64 / ch_wall,
                    bytes as f64 / 1e6 / ch_wall,
                    run.us_per_msg / ch_us
                );
                ch_runs.push(ch_us);
            }
            None => println!(
                "clickhouse  (chdb did not run: {})",
                chdb_python().display()
            ),
        }
    }
    let (s_min, s_med) = (min(&sluice_runs), median(&sluice_runs));
    println!("sluice      min {s_min:.3}  median {s_med:.3} us CPU/msg over {rounds} round(s)");
    if !ch_runs.is_empty() {
        let (c_min, c_med) = (min(&ch_runs), median(&ch_runs));
        println!("clickhouse  min {c_min:.3}  median {c_med:.3} us CPU/msg");
        println!(
            "ratio       sluice / clickhouse CPU per message: of the minima {:.2}, of the medians {:.2} (target <= 0.50)",
            s_min / c_min,
            s_med / c_med
        );
    }
    let Some(server) = server else {
        return;
    };
    if std::env::var_os("SLUICE_BENCH_SKIP_LATENCY").is_some() {
        return;
    }

    // Point 14 measures a pipeline on its own: let the first phase's background merges
    // (tens of parts of the 1M events) finish first, or they share the two cores with it.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(120)
        && server.count("SELECT count() FROM system.merges") > 0
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "(the first phase's merges ended {:.1} s after its last row was queryable)",
        settle.elapsed().as_secs_f64()
    );

    // Latency at 10k msg/s with kafka_flush_interval_ms = 100.
    for sql in [
        format!(
            "CREATE TABLE lat_queue (id UInt64) ENGINE = Kafka SETTINGS kafka_broker_list = '{bootstrap}', \
             kafka_topic_list = '{LATENCY_TOPIC}', kafka_group_name = 'latency', \
             kafka_format = 'JSONEachRow', kafka_flush_interval_ms = 100"
        ),
        "CREATE TABLE lat (id UInt64) ENGINE = MergeTree ORDER BY id".to_string(),
        "CREATE MATERIALIZED VIEW lat_mv TO lat AS SELECT id FROM lat_queue".to_string(),
    ] {
        server.query(&sql).expect("latency DDL");
    }
    std::thread::sleep(Duration::from_secs(3)); // the consumer joins its group
    let total: u64 = 100_000;
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let origin = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let seen_at: Arc<seen_times::Seen> = Arc::new(seen_times::Seen::new(total));
    let poller = {
        let done = Arc::clone(&done);
        let seen_at = Arc::clone(&seen_at);
        let http = server.http;
        std::thread::spawn(move || {
            let client = reqwest::blocking::Client::new();
            let mut last = 0u64;
            while !done.load(Ordering::SeqCst) {
                let max = client
                    .post(format!("http://127.0.0.1:{http}/"))
                    .body("SELECT count(), max(id) FROM lat")
                    .send()
                    .and_then(|r| r.text())
                    .ok()
                    .and_then(|t| {
                        let mut f = t.split_whitespace();
                        let c: u64 = f.next()?.parse().ok()?;
                        let m: u64 = f.next()?.parse().ok()?;
                        (c > 0).then_some(m + 1)
                    })
                    .unwrap_or(0);
                let now = origin.elapsed().as_micros() as u64;
                for id in last..max.min(total) {
                    seen_at.set(id, now);
                }
                last = last.max(max.min(total));
                if last >= total {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let p = producer(&bootstrap);
    for id in 0..total {
        let due = Duration::from_micros(id * 100); // 10,000 msg/s
        if let Some(wait) = due.checked_sub(origin.elapsed()) {
            std::thread::sleep(wait);
        }
        sent[id as usize].store(origin.elapsed().as_micros() as u64, Ordering::Relaxed);
        send(&p, LATENCY_TOPIC, &format!(r#"{{"id":{id}}}"#));
    }
    p.flush(Duration::from_secs(30)).expect("flush");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !seen_at.all_set() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    done.store(true, Ordering::SeqCst);
    let _ = poller.join();
    let mut lat: Vec<f64> = (0..total as usize)
        .filter_map(|i| {
            let seen = seen_at.get(i as u64)?;
            Some((seen.saturating_sub(sent[i].load(Ordering::Relaxed))) as f64 / 1000.0)
        })
        .collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    println!();
    println!(
        "== Latency, produce -> queryable, 10,000 msg/s for 10 s, kafka_flush_interval_ms = 100 ({} of {total} seen)",
        lat.len()
    );
    println!(
        "sluice      p50 {:.0} ms   p99 {:.0} ms   max {:.0} ms   (target p99 <= 250 ms; poll every 5 ms)",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "clickhouse  not measured: chdb's Kafka engine does not run in-process (\"Shutdown was called\")"
    );
}

/// Round `r`'s topic and consumer group: the seed guide's in round 0, then a fresh topic
/// holding the same events and a fresh group per round, so that each round's server reads
/// every event from the start (a group's committed offsets would make it resume).
fn round_names(r: usize) -> (String, String) {
    if r == 0 {
        (TOPIC.to_string(), GROUP.to_string())
    } else {
        (format!("{TOPIC}.round{r}"), format!("{GROUP}_round{r}"))
    }
}

/// One round's measurement of the Sluice server.
struct Run {
    us_per_msg: f64,
    cpu: f64,
    wall: f64,
    rss_mb: f64,
    threads: Vec<ThreadGroup>,
    machine: MachineShare,
    consumer: ConsumerCounts,
}

/// What the server's consumer did in a round (asked after the window).
struct ConsumerCounts {
    /// `system.kafka_consumers.num_messages_read`.
    read: u64,
    /// `system.kafka_consumers.num_commits`: with the guide's `kafka_commit_every_batch = 1`
    /// one per poll batch that read new messages, plus one per block.
    commits: u64,
    /// Active parts of `orders_final`.
    parts: u64,
}

impl ConsumerCounts {
    fn ask(server: &Server) -> Self {
        let consumers = server
            .query(
                "SELECT num_messages_read, num_commits FROM system.kafka_consumers \
                 WHERE table = 'orders_kafka_json'",
            )
            .unwrap_or_default();
        let mut f = consumers.split_whitespace().map(|v| v.parse().unwrap_or(0));
        Self {
            read: f.next().unwrap_or(0),
            commits: f.next().unwrap_or(0),
            parts: server
                .count("SELECT count() FROM system.parts WHERE table = 'orders_final' AND active"),
        }
    }
}

/// A fresh server in `dir` runs the seed statements over `topic` and consumes the `n`
/// events into parts; measured from before the statements to the first `count()` that
/// shows all `kept` rows.
fn sluice_round(
    bootstrap: &str,
    topic: &str,
    group: &str,
    dir: &Path,
    n: u64,
    kept: u64,
) -> (Server, Run) {
    let server = Server::start(dir);
    let pid = server.child.id();
    let machine0 = MachineTimes::now();
    let threads0 = thread_groups(pid);
    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    for sql in seed_statements(bootstrap, topic, group) {
        server.query(&sql).expect("seed statement");
    }
    let deadline = Instant::now() + Duration::from_secs(1800);
    // The poller's queries run inside the measured process (each `count()` costs about
    // 1.4 ms of server CPU, and a run lasts up to the 7.5 s flush interval after its last
    // message): `count()` is asked only when the files under the server's path changed
    // (a part written or merged), or once a second, so the wall time is known to within
    // the 20 ms the file check waits.
    let mut seen = tree_fingerprint(dir);
    let mut asked = Instant::now();
    while server.count("SELECT count() FROM orders_final") < kept {
        assert!(Instant::now() < deadline, "the pipeline did not finish");
        loop {
            std::thread::sleep(Duration::from_millis(20));
            let now = tree_fingerprint(dir);
            if now != seen || asked.elapsed() >= Duration::from_secs(1) {
                seen = now;
                break;
            }
        }
        asked = Instant::now();
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid) - cpu0;
    let machine = MachineTimes::now().share_since(&machine0);
    assert_eq!(
        server.count("SELECT count() FROM orders_final"),
        kept,
        "rows in orders_final"
    );
    let run = Run {
        us_per_msg: cpu * 1e6 / n as f64,
        cpu,
        wall,
        rss_mb: peak_rss_mb(pid),
        threads: since(thread_groups(pid), &threads0, cpu),
        machine,
        consumer: ConsumerCounts::ask(&server),
    };
    (server, run)
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    match s.len() {
        0 => f64::NAN,
        l if l % 2 == 1 => s[l / 2],
        l => (s[l / 2 - 1] + s[l / 2]) / 2.0,
    }
}

/// A hash of the names and sizes of every file under `dir` (changes when a part is written).
fn tree_fingerprint(dir: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    // A sum of per-file hashes: the directory listing's order does not matter.
    let mut sum = 0u64;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                e.path().hash(&mut h);
                meta.len().hash(&mut h);
                sum = sum.wrapping_add(h.finish());
            }
        }
    }
    sum
}

/// First-seen times per message id, written by the poller.
mod seen_times {
    use std::sync::atomic::{AtomicU64, Ordering};

    pub struct Seen(Vec<AtomicU64>);

    impl Seen {
        pub fn new(n: u64) -> Self {
            Self((0..n).map(|_| AtomicU64::new(u64::MAX)).collect())
        }

        pub fn set(&self, id: u64, micros: u64) {
            if let Some(slot) = self.0.get(id as usize) {
                let _ = slot.compare_exchange(u64::MAX, micros, Ordering::SeqCst, Ordering::SeqCst);
            }
        }

        pub fn get(&self, id: u64) -> Option<u64> {
            let v = self.0.get(id as usize)?.load(Ordering::SeqCst);
            (v != u64::MAX).then_some(v)
        }

        pub fn all_set(&self) -> bool {
            self.0.iter().all(|s| s.load(Ordering::SeqCst) != u64::MAX)
        }
    }
}
