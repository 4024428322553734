//! `sluice demo`: the seed guide's pipeline running on one machine. It starts the embedded
//! Kafka-protocol broker, a Sluice server (8123/9000, or free ports when those are taken),
//! a generator of Debezium change events for `inventory.orders`, runs the guide's three
//! statements unchanged (only the broker address differs), and prints live progress with
//! the commands to try.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice_engine::{Engine, EngineConfig, EngineRef};
use sluice_kafka::EmbeddedBroker;

use crate::cli::DemoArgs;

/// The Debezium topic of the guide.
const TOPIC: &str = "postgres-server.inventory.orders";

/// The query of the clickhouse-client command to try: the Kafka table's consumer, its
/// partitions' offsets and lag.
const CONSUMERS_QUERY: &str = "SELECT table, assignments.partition_id, assignments.current_offset, \
    assignments.lag, num_messages_read, num_commits FROM system.kafka_consumers FORMAT Vertical";

/// Runs the demo; returns the exit code.
pub fn run(args: DemoArgs) -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start runtime: {e}");
            return 1;
        }
    };
    rt.block_on(run_async(args))
}

fn fail(what: &str, e: impl std::fmt::Display) -> i32 {
    eprintln!("sluice demo: {what}: {e}");
    1
}

/// `port` when it can be bound on 127.0.0.1, else a free one.
fn port_or_free(port: u16) -> u16 {
    if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
        return port;
    }
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(port)
}

async fn run_async(args: DemoArgs) -> i32 {
    // Its own process group: Ctrl-C stops the server first, then the broker is dropped.
    let broker = match EmbeddedBroker::start_in_own_process_group() {
        Ok(b) => b,
        Err(e) => return fail("starting the embedded broker", e.to_clickhouse_string()),
    };
    let bootstrap = broker.bootstrap_servers().to_string();
    if let Err(e) = broker.create_topic(TOPIC, 4) {
        return fail("creating the topic", e.to_clickhouse_string());
    }
    let temp = tempfile_dir();
    let path = args.path.clone().unwrap_or_else(|| temp.clone());
    // The broker's recommended consumer properties (tansu answers fetches after
    // fetch.wait.max.ms, so the default 500 ms would cap throughput).
    let kafka = sluice_kafka::KafkaConfig {
        consumer: broker.consumer_properties(),
        ..sluice_kafka::KafkaConfig::default()
    };
    let engine = match Engine::open(EngineConfig {
        path: Some(path.clone()),
        kafka,
        ..EngineConfig::default()
    })
    .await
    {
        Ok(e) => e,
        Err(e) => return fail("opening the engine", e.to_clickhouse_string()),
    };
    let mut session = engine.session();
    if let Err(e) = session.execute_sql(&seed_sql(&bootstrap)).await {
        return fail("running the guide's statements", e.to_clickhouse_string());
    }
    let http = port_or_free(args.http_port);
    let tcp = port_or_free(args.tcp_port);
    println!("Sluice demo");
    println!("  broker     {bootstrap} ({})", broker.kind());
    println!("  data       {}", path.display());
    println!("  HTTP       http://127.0.0.1:{http}/   native TCP 127.0.0.1:{tcp}");
    println!(
        "  generating {} Debezium events/s (ops r, c, u, d) into {TOPIC}",
        args.rate
    );
    println!("  ran the guide's three statements:");
    for line in statement_heads(SEED_SQL) {
        println!("    {line}");
    }
    println!();
    println!("Try:");
    println!(
        "  curl 'http://127.0.0.1:{http}/?query=SELECT+operation_type,count()+FROM+orders_final+GROUP+BY+1+FORMAT+PrettyCompact'"
    );
    // Named columns, not `*`: Debian's clickhouse-client (18.16, the one `.ci/run` installs)
    // knows no DateTime64 (`last_used`) and parses the query itself (no `* EXCEPT`).
    println!("  clickhouse-client --port {tcp} -q '{CONSUMERS_QUERY}'");
    println!();

    let stop = Arc::new(AtomicBool::new(false));
    let produced = Arc::new(AtomicU64::new(0));
    let generator = {
        let stop = Arc::clone(&stop);
        let produced = Arc::clone(&produced);
        let rate = args.rate.max(1);
        let bootstrap = bootstrap.clone();
        // Named, so that per-thread CPU figures (docs/benchmarks.md, "Demo") can tell it
        // from the server's threads.
        let spawned = std::thread::Builder::new()
            .name("demo-generator".into())
            .spawn(move || generate(&bootstrap, rate, &stop, &produced));
        match spawned {
            Ok(handle) => Some(handle),
            Err(e) => {
                eprintln!("sluice demo: cannot start the event generator: {e}");
                None
            }
        }
    };
    let progress = tokio::spawn(progress(Arc::clone(&engine), Arc::clone(&produced)));
    let code =
        crate::server::serve_engine(engine, crate::server::ServeOptions::local(http, tcp)).await;
    stop.store(true, Ordering::SeqCst);
    progress.abort();
    if let Some(generator) = generator {
        let _ = generator.join();
    }
    drop(broker);
    if args.path.is_none() {
        let _ = std::fs::remove_dir_all(&temp);
    }
    code
}

fn tempfile_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("sluice-demo-{}", std::process::id()))
}

/// The guide's three statements ("Step-by-Step Implementation"), verbatim.
const SEED_SQL: &str = include_str!("../../../sql-tests/data/seed_pipeline.sql");

/// The first line of each statement in `sql` (lines starting `CREATE`).
fn statement_heads(sql: &str) -> impl Iterator<Item = &str> {
    sql.lines()
        .map(str::trim)
        .filter(|l| l.to_ascii_uppercase().starts_with("CREATE"))
}

/// The guide's statements with its broker address replaced by the embedded broker's.
fn seed_sql(bootstrap: &str) -> String {
    SEED_SQL.replace("'kafka:9092'", &format!("'{bootstrap}'"))
}

/// One Debezium event for order `id` with operation `op`, written into `out` (cleared
/// first: the generator reuses one buffer).
fn write_event(out: &mut String, id: u64, op: &str) {
    use std::fmt::Write;
    out.clear();
    let row = |out: &mut String| {
        let _ = write!(
            out,
            r#"{{"id":{id},"order_date":"2025-09-{:02}","purchaser":{},"quantity":{},"product_id":{},"created_at":"2025-09-03T10:30:00Z"}}"#,
            1 + id % 28,
            1001 + id % 50,
            1 + id % 9,
            101 + id % 20
        );
    };
    out.push_str(r#"{"before":"#);
    match op {
        "d" | "u" => row(out),
        _ => out.push_str("null"),
    }
    out.push_str(r#","after":"#);
    match op {
        "d" => out.push_str("null"),
        _ => row(out),
    }
    let _ = write!(
        out,
        r#","source":{{"version":"2.6.0.Final","connector":"postgresql","name":"postgres-server","ts_ms":1725356200000,"snapshot":"false","db":"inventory","schema":"inventory","table":"orders"}},"op":"{op}","ts_ms":1725356200454}}"#
    );
}

/// Produces events at `rate` per second until `stop`: a snapshot (`r`) of 1 000 orders,
/// then creates, updates and deletes.
fn generate(bootstrap: &str, rate: u64, stop: &AtomicBool, produced: &AtomicU64) {
    let producer: BaseProducer = match ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "1000000")
        // Delivery reports for failures only: one per message (an event, clock reads in
        // `poll`) was about a fifth of this thread's samples in a profile at 100k msg/s.
        .set("delivery.report.only.error", "true")
        .create()
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("generator: {e}");
            return;
        }
    };
    let start = Instant::now();
    let mut n: u64 = 0;
    let (mut payload, mut key) = (String::new(), String::new());
    while !stop.load(Ordering::SeqCst) {
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
        while n < due {
            let (id, op) = if n < 1000 {
                (n, "r")
            } else {
                match n % 10 {
                    0..=5 => (n, "c"),
                    6..=8 => (n % 1000 + (n / 1000) * 100, "u"),
                    _ => (n - 9, "d"),
                }
            };
            write_event(&mut payload, id, op);
            key.clear();
            let _ = std::fmt::Write::write_fmt(&mut key, format_args!("{id}"));
            if producer
                .send(BaseRecord::to(TOPIC).payload(&payload).key(&key))
                .is_err()
            {
                producer.poll(Duration::from_millis(10));
                continue;
            }
            n += 1;
            produced.store(n, Ordering::Relaxed);
        }
        producer.poll(Duration::from_millis(5));
    }
    let _ = producer.flush(Duration::from_secs(5));
}

/// Prints messages/s, rows and lag once a second.
async fn progress(engine: EngineRef, produced: Arc<AtomicU64>) {
    let mut session = engine.session();
    let mut last = (Instant::now(), 0u64);
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rows = scalar(&mut session, "SELECT count() FROM orders_final").await;
        let read = scalar(
            &mut session,
            "SELECT sum(num_messages_read) FROM system.kafka_consumers",
        )
        .await;
        let read_n: u64 = read.parse().unwrap_or(0);
        if read_n < last.1 {
            // The consumers are gone: the server is shutting down.
            return;
        }
        let now = Instant::now();
        let rate =
            (read_n.saturating_sub(last.1)) as f64 / now.duration_since(last.0).as_secs_f64();
        last = (now, read_n);
        let p = produced.load(Ordering::Relaxed);
        println!(
            "produced {p:>9}  consumed {read_n:>9} ({rate:>8.0} msg/s)  lag {:>7}  orders_final rows {rows}",
            p.saturating_sub(read_n)
        );
    }
}

async fn scalar(session: &mut sluice_engine::Session, sql: &str) -> String {
    match session.execute_sql(sql).await {
        Ok(out) => out
            .last()
            .and_then(|(_, b)| b.first().cloned())
            .and_then(|b| datafusion_display(&b))
            .unwrap_or_else(|| "0".into()),
        Err(e) => e.to_clickhouse_string(),
    }
}

fn datafusion_display(b: &sluice_engine::RecordBatch) -> Option<String> {
    if b.num_rows() == 0 || b.num_columns() == 0 {
        return None;
    }
    sluice_engine::display_value(b.column(0), 0)
}
