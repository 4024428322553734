//! JSON extraction over 1M Debezium events: the seed view's expressions
//! (`../shared/seed/clickhouse-kafka-engine-guide.md`, "Materialized View") evaluated by
//! DataFusion with Sluice's UDFs on batches of 65 536 rows, one partition (one core).
//!
//! The seven JSON expressions: five `JSONExtract{UInt,String}(JSONExtractString(payload,
//! 'after'), key)`, `JSONExtractString(payload, 'op')` in the projection and the same in the
//! `WHERE … IN ('c', 'u', 'r')`. Throughput is bytes of input JSON per second.
//!
//! `SLUICE_BENCH_EVENTS=N` changes the event count; `SLUICE_BENCH_DUMP=path` also writes the
//! events as JSON lines (used by `benches/json_vs_clickhouse.sh` to feed ClickHouse).

use std::io::Write;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::execution::SessionStateBuilder;
use datafusion::physical_optimizer::optimizer::PhysicalOptimizer;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion::prelude::{SessionConfig, SessionContext};

const BATCH: usize = 65_536;

/// A tiny deterministic generator (SplitMix64), so runs and ClickHouse see the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One Debezium change event, shaped as in the seed guide (compact JSON, one line).
fn event(rng: &mut Rng, i: u64) -> String {
    let op = ["c", "u", "r", "c", "c", "u", "r", "d"][rng.below(8) as usize];
    let id = 10_000 + i;
    let day = 1 + rng.below(28);
    let after = format!(
        r#"{{"id":{id},"order_date":"2025-09-{day:02}","purchaser":{},"quantity":{},"product_id":{},"created_at":"2025-09-{day:02}T{:02}:{:02}:00Z"}}"#,
        1000 + rng.below(100),
        1 + rng.below(20),
        100 + rng.below(50),
        rng.below(24),
        rng.below(60)
    );
    let (before, after) = match op {
        "c" | "r" => ("null".to_string(), after),
        "u" => (after.clone(), after),
        _ => (after, "null".to_string()),
    };
    let ts = 1_725_356_200_000u64 + i * 37;
    format!(
        r#"{{"before":{before},"after":{after},"source":{{"version":"2.6.0.Final","connector":"postgresql","name":"postgres-server","ts_ms":{ts},"snapshot":"false","db":"inventory","schema":"inventory","table":"orders","txId":{},"lsn":{}}},"op":"{op}","ts_ms":{}}}"#,
        493 + i,
        24_023_928 + i * 64,
        ts + 454
    )
}

fn events(n: usize) -> Vec<String> {
    let mut rng = Rng(42);
    (0..n as u64).map(|i| event(&mut rng, i)).collect()
}

/// The view's query; function names are quoted, as the engine's rewrite quotes them
/// (unquoted, DataFusion looks them up in lower case).
const VIEW: &str = "SELECT \
    \"JSONExtractUInt\"(\"JSONExtractString\"(payload, 'after'), 'id') AS order_id, \
    \"JSONExtractString\"(\"JSONExtractString\"(payload, 'after'), 'order_date') AS order_date, \
    \"JSONExtractUInt\"(\"JSONExtractString\"(payload, 'after'), 'purchaser') AS purchaser, \
    \"JSONExtractUInt\"(\"JSONExtractString\"(payload, 'after'), 'quantity') AS quantity, \
    \"JSONExtractUInt\"(\"JSONExtractString\"(payload, 'after'), 'product_id') AS product_id, \
    \"JSONExtractString\"(payload, 'op') AS operation_type \
    FROM orders_kafka_json \
    WHERE \"JSONExtractString\"(payload, 'op') IN ('c', 'u', 'r')";

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("SLUICE_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let evs = events(n);
    if let Ok(path) = std::env::var("SLUICE_BENCH_DUMP") {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("dump file"));
        for e in &evs {
            writeln!(f, "{e}").expect("write dump");
        }
    }
    let bytes: usize = evs.iter().map(String::len).sum();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "payload",
        DataType::Utf8,
        false,
    )]));
    let batches: Vec<RecordBatch> = evs
        .chunks(BATCH)
        .map(|chunk| {
            let mut b =
                StringBuilder::with_capacity(chunk.len(), chunk.iter().map(String::len).sum());
            for e in chunk {
                b.append_value(e);
            }
            let a: ArrayRef = Arc::new(b.finish());
            RecordBatch::try_new(Arc::clone(&schema), vec![a]).expect("batch")
        })
        .collect();
    drop(evs);
    // `SLUICE_BENCH_PROFILE=N`: only run the plan N times (for `perf record`).
    let profile = std::env::var("SLUICE_BENCH_PROFILE")
        .ok()
        .and_then(|s| s.parse::<usize>().ok());
    if profile.is_none() {
        parse_only(&batches, bytes);
    }
    let table = Arc::new(MemTable::try_new(schema, vec![batches]).expect("table"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let (ctx, plan) = planned(&rt, &table, true);
    println!("plan:\n{}", displayable(plan.as_ref()).indent(false));
    if let Some(times) = profile {
        for _ in 0..times {
            rt.block_on(datafusion::physical_plan::collect(
                Arc::clone(&plan),
                ctx.task_ctx(),
            ))
            .expect("run");
        }
        return;
    }
    let mut group = c.benchmark_group("json_extract");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function(format!("seed_view_{n}_debezium_events"), |b| {
        b.iter(|| {
            rt.block_on(async {
                let task = ctx.task_ctx();
                let out = datafusion::physical_plan::collect(Arc::clone(&plan), task)
                    .await
                    .expect("run");
                std::hint::black_box(out.iter().map(|b| b.num_rows()).sum::<usize>())
            })
        })
    });
    group.finish();
    println!(
        "input: {n} events, {bytes} bytes ({:.1} bytes/event)",
        bytes as f64 / n as f64
    );
    // Per-core figure: bytes over the CPU time of this thread (the plan runs on it: one
    // partition, current-thread runtime), so other processes on a shared machine do not
    // count against it. Best of 5.
    let run = |ctx: &SessionContext, plan: &Arc<dyn ExecutionPlan>| {
        rt.block_on(async {
            let out = datafusion::physical_plan::collect(Arc::clone(plan), ctx.task_ctx())
                .await
                .expect("run");
            out.iter().map(|b| b.num_rows()).sum::<usize>()
        })
    };
    report_cpu("seed view", bytes, 5, || run(&ctx, &plan));
    // For comparison in the same process: the plan DataFusion makes without the JSON rule
    // (the filter copies the documents, the projection's calls match the copy's rows).
    let (ctx_df, plan_df) = planned(&rt, &table, false);
    report_cpu(
        "seed view, plan without json_calls_below_filter",
        bytes,
        5,
        || run(&ctx_df, &plan_df),
    );
}

/// A session as the engine's for this plan (one partition, 65 536-row batches, Sluice's
/// JSON functions, DataFusion's physical rules plus, when `rule`, the JSON rule the engine
/// registers the same way, `engine.rs`), and the view's physical plan over `table`.
fn planned(
    rt: &tokio::runtime::Runtime,
    table: &Arc<MemTable>,
    rule: bool,
) -> (SessionContext, Arc<dyn ExecutionPlan>) {
    let mut cfg = SessionConfig::new()
        .with_target_partitions(1)
        .with_batch_size(BATCH);
    cfg.options_mut().sql_parser.enable_ident_normalization = false;
    let mut rules = PhysicalOptimizer::new().rules;
    if rule {
        sluice_functions::json::below_filter::add_physical_rule(&mut rules);
    }
    let state = SessionStateBuilder::new()
        .with_config(cfg)
        .with_default_features()
        .with_physical_optimizer_rules(rules)
        .build();
    let ctx = SessionContext::new_with_state(state);
    // Registered as the engine registers them (no alias wrapper: the JSON rule recognises
    // the functions by their type).
    for f in sluice_functions::json::functions() {
        ctx.register_udf(f);
    }
    ctx.register_table("orders_kafka_json", Arc::clone(table) as _)
        .expect("register");
    let plan = rt.block_on(async {
        let df = ctx.sql(VIEW).await.expect("plan");
        df.create_physical_plan().await.expect("physical plan")
    });
    (ctx, plan)
}

/// Runs `f` `runs` times and prints `bytes` over the least CPU time of this thread.
fn report_cpu(what: &str, bytes: usize, runs: usize, mut f: impl FnMut() -> usize) {
    let best = (0..runs)
        .map(|_| {
            let t0 = thread_cpu_ns();
            std::hint::black_box(f());
            thread_cpu_ns().saturating_sub(t0)
        })
        .min()
        .unwrap_or(0);
    println!(
        "cpu: {what} {:.3} s of CPU, {:.3} GB/s per core",
        best as f64 / 1e9,
        bytes as f64 / best.max(1) as f64
    );
}

/// The validating parse alone (one tape per document, buffer reused), for comparison with
/// the whole view: bytes over CPU time, best of 3. The full tape (every value recorded) and
/// the selective tape the view's fused pass builds (only `op` and `after`).
fn parse_only(batches: &[RecordBatch], bytes: usize) {
    use datafusion::arrow::array::AsArray;
    use sluice_functions::json::select::{PathHits, PathSet, Shape, parse_selected};
    use sluice_functions::json::tape::parse;
    let mut nodes = Vec::new();
    let mut each = |f: &mut dyn FnMut(&[u8], &mut Vec<_>) -> bool| {
        let mut valid = 0usize;
        for b in batches {
            for v in b.column(0).as_string::<i32>().iter().flatten() {
                nodes.clear();
                valid += usize::from(f(v.as_bytes(), &mut nodes));
            }
        }
        valid
    };
    report_cpu("tape parse alone", bytes, 3, || {
        each(&mut |v, n| parse(v, n).is_ok())
    });
    let mut paths = PathSet::new();
    for key in ["id", "order_date", "purchaser", "quantity", "product_id"] {
        paths.add(&[b"after", key.as_bytes()], &[1, 1]);
    }
    paths.add(&[b"op"], &[1]);
    report_cpu("selective parse alone", bytes, 3, || {
        let mut found = PathHits::new();
        let mut shape = Shape::new();
        each(&mut |v, n| parse_selected(v, &paths, &mut shape, n, &mut found).is_ok())
    });
}

/// CPU time of the calling thread in nanoseconds (Linux `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

criterion_group!(benches, bench);
criterion_main!(benches);
