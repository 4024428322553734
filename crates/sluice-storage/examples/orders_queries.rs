//! The seed guide's four dashboard queries (sales per hour, fraud per purchaser,
//! inventory, customer journey; columns adapted to the generated data) over
//! `orders_final`, run through the Sluice engine (ClickHouse SQL) and printed beside
//! ClickHouse (chdb through `ch-oracle`) running the same SQL on the same rows in the same
//! run; then a point query on the sorting key, run as a server query so that
//! `system.query_log` records the rows and bytes it read (`read_rows`, `read_bytes`:
//! what the part scan passed up after part, row-group and page pruning, uncompressed), beside
//! a full scan of every column logged the same way, and the Parquet bytes the point query's
//! scan fetched from the files against the parts' size on disk.
//!
//! `SLUICE_BENCH_CODEC` = a codec (e.g. `LZ4`) given to every column of `orders_final`
//! (on both sides). `SLUICE_BENCH_ONLY` = a query name (e.g. `customer journey`) runs only that query, and
//! `SLUICE_BENCH_REPEAT` = how many times (default 5; Sluice's and ClickHouse's runs
//! alternate, and the best time of each is printed, with the best CPU seconds: Sluice's
//! process, ClickHouse's query threads).
//!
//! The example re-executes itself with the allocator options of `sluice server`
//! (`MIMALLOC_ALLOW_THP=0`, `MIMALLOC_PURGE_DELAY=100`) unless they are set.
//!
//! `cargo run --release -p sluice-storage --example orders_queries`
//! (`SLUICE_BENCH_ROWS` = rows, default 10,000,000; `SLUICE_BENCH_ORACLE` = ch-oracle path,
//! empty to skip ClickHouse).

mod bench_env;

use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, RecordBatch, StringArray, TimestampSecondArray, UInt32Array,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_plan::{ExecutionPlan, collect};
use datafusion::prelude::SessionContext;
use sluice_engine::tables::merge_tree::MergeTreeStorage;
use sluice_engine::{Engine, EngineConfig, QueryClient, QueryContext, Session};
use sluice_storage::InsertOptions;

/// The allocator of the `sluice` binary (mimalloc), so the figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const OPS: [&str; 3] = ["c", "u", "r"];
const TODAY: i32 = 20_418; // 2025-11-26
const NOW: i64 = 1_764_115_200; // 2025-11-26 00:00:00

/// `orders_final`'s DDL; with `codec` (`SLUICE_BENCH_CODEC`, e.g. `LZ4`), every column
/// gets `CODEC(codec)` (in both Sluice and ClickHouse, whose default is `LZ4`).
fn orders_ddl(codec: Option<&str>) -> String {
    let c = codec.map(|c| format!(" CODEC({c})")).unwrap_or_default();
    format!(
        "CREATE TABLE orders_final (order_id UInt32{c}, order_date Date{c}, \
         purchaser UInt32{c}, quantity UInt32{c}, product_id UInt32{c}, operation_type String{c}, \
         _synced_at DateTime DEFAULT now(){c}, _partition_date Date DEFAULT today(){c}) \
         ENGINE = MergeTree() PARTITION BY _partition_date ORDER BY (order_id, _synced_at) \
         SETTINGS index_granularity = 8192"
    )
}

const PRODUCTS_DDL: &str = "CREATE TABLE products_final (product_id UInt32, price Float64, \
    stock Int64) ENGINE = MergeTree ORDER BY product_id";

const PRODUCTS_FILL: &str = "INSERT INTO products_final SELECT 100 + number, 1 + number % 50, \
    1000 + number * 10 FROM numbers(200)";

/// The same rows as `orders_bench`: row `i` of the generated data.
fn batch(schema: &SchemaRef, from: u32, n: u32) -> RecordBatch {
    let ids = from..from + n;
    let order_id =
        UInt32Array::from_iter_values(ids.clone().map(|i| i.wrapping_mul(2_654_435_761) >> 4));
    let order_date = Date32Array::from_iter_values(ids.clone().map(|i| TODAY - (i % 365) as i32));
    let purchaser = UInt32Array::from_iter_values(ids.clone().map(|i| 1000 + i % 5000));
    let quantity = UInt32Array::from_iter_values(ids.clone().map(|i| 1 + i % 10));
    let product_id = UInt32Array::from_iter_values(ids.clone().map(|i| 100 + i % 200));
    let op = StringArray::from_iter_values(ids.clone().map(|i| OPS[(i % 3) as usize]));
    let synced =
        TimestampSecondArray::from_iter_values(ids.clone().map(|i| NOW + (i / 1000) as i64));
    let part_date = Date32Array::from_iter_values(ids.map(|_| TODAY));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(order_id),
        Arc::new(order_date),
        Arc::new(purchaser),
        Arc::new(quantity),
        Arc::new(product_id),
        Arc::new(op),
        Arc::new(synced),
        Arc::new(part_date),
    ];
    RecordBatch::try_new(Arc::clone(schema), cols).expect("batch")
}

/// The generated rows as ClickHouse SQL (for chdb).
fn ch_insert(from: u32, n: u32) -> String {
    format!(
        "INSERT INTO orders_final SELECT bitShiftRight(toUInt32(number * 2654435761), 4), \
         toDate({TODAY} - number % 365), 1000 + number % 5000, 1 + number % 10, \
         100 + number % 200, ['c','u','r'][number % 3 + 1], \
         toDateTime({NOW} + intDiv(number, 1000)), toDate({TODAY}) FROM numbers({from}, {n})"
    )
}

/// The dashboard queries; each wrapped so that only a small result is printed while every
/// column (the groupArray too) is computed.
fn queries(rows: u32) -> Vec<(&'static str, String)> {
    // The generated `_synced_at` spans rows/1000 seconds; "the last hour" is its tail.
    let last_hour = NOW + i64::from(rows / 1000) - 3600;
    vec![
        (
            "sales per hour",
            "SELECT count(), sum(orders_count), round(sum(revenue)), round(sum(avg_order_size), 3) FROM (\
             SELECT toStartOfHour(_synced_at) AS hour, count() AS orders_count, \
             sum(quantity * price) AS revenue, avg(quantity) AS avg_order_size \
             FROM orders_final AS o JOIN products_final AS p ON o.product_id = p.product_id \
             WHERE order_date >= toDate('2025-01-01') GROUP BY hour ORDER BY hour DESC)"
                .to_string(),
        ),
        (
            "fraud per purchaser",
            format!(
                "SELECT count(), sum(order_count), sum(total_items), sum(unique_products) FROM (\
                 SELECT purchaser, count() AS order_count, sum(quantity) AS total_items, \
                 countDistinct(product_id) AS unique_products FROM orders_final \
                 WHERE _synced_at >= toDateTime({last_hour}) GROUP BY purchaser \
                 HAVING order_count > 10 OR total_items > 100)"
            ),
        ),
        (
            "inventory",
            "SELECT count(), sum(sold), sum(current_stock) FROM (\
             SELECT product_id, initial_stock, \
             sum(CASE WHEN operation_type = 'c' THEN -quantity ELSE 0 END) AS sold, \
             initial_stock + sum(CASE WHEN operation_type = 'c' THEN -quantity ELSE 0 END) AS current_stock \
             FROM orders_final AS o RIGHT JOIN (SELECT product_id, stock AS initial_stock \
             FROM products_final) AS p USING (product_id) \
             GROUP BY product_id, initial_stock HAVING current_stock < 10)"
                .to_string(),
        ),
        (
            "customer journey",
            format!(
                "SELECT count(), sum(length(purchase_sequence)), sum(total_orders), max(last_activity) FROM (\
                 SELECT purchaser, groupArray(product_id) AS purchase_sequence, \
                 count() AS total_orders, max(_synced_at) AS last_activity FROM orders_final \
                 WHERE _synced_at >= toDateTime({NOW}) GROUP BY purchaser \
                 ORDER BY last_activity DESC)"
            ),
        ),
    ]
}

/// Runs `sql` in Sluice; returns (seconds, CPU seconds of the process, output as TSV,
/// rendered after the timing).
async fn sluice(session: &mut Session, sql: &str) -> (f64, f64, String) {
    let cpu = bench_env::cpu_seconds();
    let start = Instant::now();
    let out = session.execute_sql(sql).await.expect("sluice query");
    let secs = start.elapsed().as_secs_f64();
    let cpu = bench_env::cpu_seconds() - cpu;
    let mut text = Vec::new();
    for (q, batches) in out {
        let fs = sluice_formats::FormatSettings::default();
        let mut w =
            sluice_formats::output_format("TSV", Arc::clone(&q.schema), &fs).expect("TSV writer");
        w.write_prefix(&mut text).expect("prefix");
        for b in &batches {
            w.write_batch(b, &mut text).expect("write");
        }
        w.write_suffix(&mut text, &sluice_formats::QueryStatistics::default())
            .expect("suffix");
    }
    let text = String::from_utf8_lossy(&text).trim_end().to_string();
    (secs, cpu, text)
}

/// Runs `sql` as a tracked (server) query with id `id`; returns its result rows and
/// `system.query_log`'s `read_rows` and `read_bytes` for it.
async fn logged_read(session: &mut Session, id: &str, sql: &str) -> (usize, u64, u64) {
    let stmt = session.parse(sql).expect("parse").remove(0);
    let ctx = QueryContext {
        query_id: id.to_string(),
        client: QueryClient::default(),
        cancel: tokio_util::sync::CancellationToken::new(),
    };
    let out = session
        .execute_tracked(ctx, stmt, None)
        .await
        .expect("tracked query");
    let rows = out
        .collect()
        .await
        .expect("result")
        .iter()
        .map(RecordBatch::num_rows)
        .sum();
    let log = session
        .execute_sql(&format!(
            "SELECT read_rows, read_bytes FROM system.query_log \
             WHERE query_id = '{id}' AND type = 'QueryFinish'"
        ))
        .await
        .expect("system.query_log");
    let batch = &log[0].1[0];
    let cell = |c: usize| {
        batch
            .column(c)
            .as_any()
            .downcast_ref::<datafusion::arrow::array::UInt64Array>()
            .expect("UInt64")
            .value(0)
    };
    (rows, cell(0), cell(1))
}

/// Sum of a metric over a plan tree.
fn metric_sum(plan: &Arc<dyn ExecutionPlan>, name: &str) -> usize {
    let own = plan
        .metrics()
        .and_then(|m| m.sum_by_name(name))
        .map(|v| v.as_usize())
        .unwrap_or(0);
    own + plan
        .children()
        .iter()
        .map(|c| metric_sum(c, name))
        .sum::<usize>()
}

fn main() {
    bench_env::server_allocator();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run());
}

async fn run() {
    let rows: u32 = std::env::var("SLUICE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let chunk = 1_000_000u32.min(rows);
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::open(EngineConfig {
        path: Some(dir.path().to_path_buf()),
        ..EngineConfig::default()
    })
    .await
    .expect("engine");
    let codec = std::env::var("SLUICE_BENCH_CODEC")
        .ok()
        .filter(|c| !c.is_empty());
    let orders_ddl = orders_ddl(codec.as_deref());
    let mut s = engine.session();
    s.execute_sql(&format!("{orders_ddl}; {PRODUCTS_DDL}; {PRODUCTS_FILL}"))
        .await
        .expect("tables");
    let entry = engine
        .catalog()
        .table("default", "orders_final")
        .expect("orders_final");
    let table = entry.table.clone().expect("storage");
    let mt = table
        .as_any()
        .downcast_ref::<MergeTreeStorage>()
        .expect("a MergeTree table");
    if let Some(c) = &codec {
        // The engine does not hand DDL codecs to the storage yet: set them directly.
        let codecs = mt
            .storage()
            .schema()
            .fields()
            .iter()
            .map(|f| (f.name().clone(), vec![c.clone()]))
            .collect();
        mt.storage().set_column_codecs(codecs).expect("codecs");
    }
    let schema = mt.storage().schema();
    for i in 0..rows / chunk {
        mt.insert_with(batch(&schema, i * chunk, chunk), InsertOptions::default())
            .expect("insert");
    }
    s.execute_sql("OPTIMIZE TABLE orders_final FINAL")
        .await
        .expect("optimize");

    let oracle_bin = std::env::var("SLUICE_BENCH_ORACLE")
        .unwrap_or_else(|_| "/work/shared/tools/ch-oracle".into());
    let chdir = tempfile::tempdir().expect("tempdir");
    if !oracle_bin.is_empty() {
        let mut setup = format!("{orders_ddl}; {PRODUCTS_DDL}; {PRODUCTS_FILL}");
        for i in 0..rows / chunk {
            setup.push_str(&format!("; {}", ch_insert(i * chunk, chunk)));
        }
        setup.push_str("; OPTIMIZE TABLE orders_final FINAL");
        bench_env::oracle(&oracle_bin, chdir.path(), &setup);
    }

    println!(
        "orders_final: {} bytes on disk in Sluice{}",
        mt.storage().total_bytes(),
        codec
            .as_deref()
            .map(|c| format!(" (every column CODEC({c}))"))
            .unwrap_or_default()
    );
    let only = std::env::var("SLUICE_BENCH_ONLY").ok();
    let repeat: usize = std::env::var("SLUICE_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    println!("{rows} rows of orders_final, best of {repeat} runs (seconds):");
    for (name, sql) in queries(rows) {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        // Sluice's and ClickHouse's runs alternate, so that both see the same load on a
        // shared machine; the best of each is kept (time and CPU seconds separately).
        let (mut best, mut ch_best) = (f64::INFINITY, f64::NAN);
        let (mut cpu, mut ch_cpu) = (f64::INFINITY, f64::NAN);
        let (mut out, mut ch_out) = (String::new(), String::new());
        for _ in 0..repeat {
            let (t, c, o) = sluice(&mut s, &sql).await;
            best = best.min(t);
            cpu = cpu.min(c);
            out = o;
            if !oracle_bin.is_empty() {
                let r = bench_env::oracle(&oracle_bin, chdir.path(), &sql);
                ch_best = if ch_best.is_nan() {
                    r.secs
                } else {
                    ch_best.min(r.secs)
                };
                ch_cpu = if ch_cpu.is_nan() {
                    r.cpu
                } else {
                    ch_cpu.min(r.cpu)
                };
                ch_out = r.out;
            }
        }
        println!(
            "{name:<20} sluice {best:>7.3}  clickhouse {ch_best:>7.3}  ratio {:>5.2}  \
             (CPU s {cpu:.2} vs {ch_cpu:.2}, {:.2})  results {}",
            best / ch_best,
            cpu / ch_cpu,
            if oracle_bin.is_empty() {
                "not compared"
            } else if out == ch_out {
                "equal"
            } else {
                "DIFFER"
            }
        );
        if !oracle_bin.is_empty() && out != ch_out {
            println!("  sluice:     {out}\n  clickhouse: {ch_out}");
        }
    }

    // Point query on the sorting key as system.query_log counts it, against a full scan of
    // every column counted the same way.
    let probe = 77u32.wrapping_mul(2_654_435_761) >> 4;
    let (found, point_rows, point_bytes) = logged_read(
        &mut s,
        "orders_point_query",
        &format!("SELECT * FROM orders_final WHERE order_id = {probe}"),
    )
    .await;
    let (_, all_rows, all_bytes) = logged_read(
        &mut s,
        "orders_full_scan",
        "SELECT max(order_id), max(order_date), max(purchaser), max(quantity), \
         max(product_id), max(operation_type), max(_synced_at), max(_partition_date) \
         FROM orders_final",
    )
    .await;
    println!(
        "point query order_id = {probe}: {found} row(s); system.query_log: read_rows {point_rows} \
         of {all_rows} ({:.3}%), read_bytes {point_bytes} of {all_bytes} ({:.3}%) \
         (a full scan of every column)",
        point_rows as f64 * 100.0 / all_rows as f64,
        point_bytes as f64 * 100.0 / all_bytes as f64
    );
    // The same query's Parquet scan: bytes fetched from the files against the parts' size.
    let ctx = SessionContext::new();
    ctx.register_table("t", mt.storage().provider(false))
        .expect("register");
    let df = ctx
        .sql(&format!("SELECT * FROM t WHERE order_id = {probe}"))
        .await
        .expect("plan");
    let plan = df.create_physical_plan().await.expect("physical plan");
    let start = Instant::now();
    let found: usize = collect(Arc::clone(&plan), ctx.task_ctx())
        .await
        .expect("point query")
        .iter()
        .map(RecordBatch::num_rows)
        .sum();
    let secs = start.elapsed().as_secs_f64();
    let scanned = metric_sum(&plan, "bytes_scanned");
    let total = mt.storage().total_bytes();
    println!(
        "  its Parquet scan: {found} row(s) in {secs:.4}s, fetched {scanned} of the parts' {total} bytes on disk ({:.3}%)",
        scanned as f64 * 100.0 / total as f64
    );
    let e = Arc::clone(&engine);
    tokio::task::spawn_blocking(move || e.shutdown())
        .await
        .expect("shutdown");
}
