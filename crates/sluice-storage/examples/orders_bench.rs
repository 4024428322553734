//! Insert and merge throughput on the seed's `orders_final` schema, printed beside
//! ClickHouse (chdb through `ch-oracle`) doing the same work in the same run.
//!
//! `cargo run --release -p sluice-storage --example orders_bench`
//! (`SLUICE_BENCH_ROWS` = total rows, default 10,000,000, inserted 1,000,000 at a time;
//! `SLUICE_BENCH_ORACLE` = path of ch-oracle, empty to skip ClickHouse;
//! `SLUICE_BENCH_CODEC` = a codec such as `LZ4` for every column of Sluice's table;
//! `SLUICE_BENCH_ROUNDS` = rounds, default 2: Sluice's and ClickHouse's rounds alternate
//! and the best of each side is compared). CPU seconds are printed beside the times:
//! Sluice's whole process (its worker threads included), ClickHouse's query threads.
//!
//! The example re-executes itself with the allocator options of `sluice server`
//! (`MIMALLOC_ALLOW_THP=0`, `MIMALLOC_PURGE_DELAY=100`) unless they are set.

mod bench_env;

use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, RecordBatch, StringArray, TimestampSecondArray, UInt32Array,
};
use datafusion::arrow::datatypes::Schema;
use sluice_common::{ChType, Result};
use sluice_storage::{
    BatchExpr, InsertOptions, MergeTreeEngine, MergeTreeSettings, MergeTreeTable, TableSpec,
};

#[derive(Debug)]
struct Cols(Vec<&'static str>);

impl BatchExpr for Cols {
    fn eval(&self, batch: &RecordBatch) -> Result<Vec<ArrayRef>> {
        self.0
            .iter()
            .map(|n| {
                batch
                    .column_by_name(n)
                    .cloned()
                    .ok_or_else(|| sluice_common::Error::internal(format!("no column {n}")))
            })
            .collect()
    }
    fn text(&self) -> String {
        self.0.join(", ")
    }
    fn columns(&self) -> Vec<String> {
        self.0.iter().map(|s| s.to_string()).collect()
    }
}

/// The allocator of the `sluice` binary (mimalloc), so the figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const OPS: [&str; 3] = ["c", "u", "r"];
const TODAY: i32 = 20_418; // 2025-11-26
const NOW: i64 = 1_764_115_200;

fn batch(schema: &Arc<Schema>, from: u32, n: u32) -> RecordBatch {
    let ids = from..from + n;
    // order_id is a permutation-like spread so inserts really sort.
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

/// Peak resident memory since the last reset, in MiB (Linux).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// One Sluice round: insert the rows in 1M-row inserts into a fresh table, then merge.
struct Round {
    insert_s: f64,
    insert_cpu: f64,
    merge_s: f64,
    merge_cpu: f64,
}

fn sluice_round(schema: &Arc<Schema>, cols: &[(&str, &str)], rows: u32, chunk: u32) -> Round {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = TableSpec {
        engine: MergeTreeEngine::MergeTree,
        schema: Arc::clone(schema),
        sorting_key: Some(Arc::new(Cols(vec!["order_id", "_synced_at"]))),
        sorting_key_columns: vec!["order_id".into(), "_synced_at".into()],
        partition_key: Some(Arc::new(Cols(vec!["_partition_date"]))),
        ttl: None,
        settings: MergeTreeSettings::default(),
    };
    let table = MergeTreeTable::open(dir.path().join("orders_final"), spec).expect("open");
    table.stop_merges();
    // `SLUICE_BENCH_CODEC` (e.g. `LZ4`): that codec on every column (ClickHouse's default
    // is `LZ4`, so its side is unchanged by `LZ4`).
    if let Some(codec) = std::env::var("SLUICE_BENCH_CODEC")
        .ok()
        .filter(|c| !c.is_empty())
    {
        let codecs = cols
            .iter()
            .map(|(n, _)| (n.to_string(), vec![codec.clone()]))
            .collect();
        table.set_column_codecs(codecs).expect("codecs");
        println!("every column CODEC({codec})");
    }
    let batches: Vec<RecordBatch> = (0..rows / chunk)
        .map(|i| batch(schema, i * chunk, chunk))
        .collect();
    reset_peak_rss();
    let cpu = bench_env::cpu_seconds();
    let start = Instant::now();
    for b in batches {
        table.insert(b, InsertOptions::default()).expect("insert");
    }
    let insert_s = start.elapsed().as_secs_f64();
    let insert_cpu = bench_env::cpu_seconds() - cpu;
    let insert_peak = peak_rss_mib();
    reset_peak_rss();
    let cpu = bench_env::cpu_seconds();
    let start = Instant::now();
    table.optimize(None, true, false).expect("optimize");
    let merge_s = start.elapsed().as_secs_f64();
    let merge_cpu = bench_env::cpu_seconds() - cpu;
    let merge_peak = peak_rss_mib();
    let bytes = table.total_bytes();
    table.shutdown();
    println!(
        "sluice     insert {rows} rows in {chunk}-row inserts: {insert_s:.2}s = {:.0} rows/s, \
         CPU {insert_cpu:.2}s (peak RSS {insert_peak:.0} MiB)",
        rows as f64 / insert_s,
    );
    println!(
        "sluice     merge (OPTIMIZE FINAL) {rows} rows: {merge_s:.2}s = {:.0} rows/s, \
         CPU {merge_cpu:.2}s (peak RSS {merge_peak:.0} MiB), {:.1} MiB on disk",
        rows as f64 / merge_s,
        bytes as f64 / 1048576.0
    );
    Round {
        insert_s,
        insert_cpu,
        merge_s,
        merge_cpu,
    }
}

/// The same round in ClickHouse (rows generated by `INSERT … SELECT FROM numbers`).
fn clickhouse_round(oracle_bin: &str, rows: u32, chunk: u32) -> Round {
    let chdir = tempfile::tempdir().expect("tempdir");
    bench_env::oracle(
        oracle_bin,
        chdir.path(),
        "CREATE TABLE orders_final (order_id UInt32, order_date Date, purchaser UInt32, \
         quantity UInt32, product_id UInt32, operation_type String, _synced_at DateTime, \
         _partition_date Date) ENGINE = MergeTree() PARTITION BY _partition_date \
         ORDER BY (order_id, _synced_at) SETTINGS index_granularity = 8192; \
         SYSTEM STOP MERGES orders_final",
    );
    let mut inserts = String::new();
    for i in 0..rows / chunk {
        inserts.push_str(&format!(
            "INSERT INTO orders_final SELECT bitShiftRight(toUInt32(number * 2654435761), 4), \
             toDate({TODAY} - number % 365), 1000 + number % 5000, 1 + number % 10, \
             100 + number % 200, ['c','u','r'][number % 3 + 1], \
             toDateTime({NOW} + intDiv(number, 1000)), toDate({TODAY}) \
             FROM numbers({}, {chunk});",
            i * chunk
        ));
    }
    let insert = bench_env::oracle(oracle_bin, chdir.path(), inserts.trim_end_matches(';'));
    let merge = bench_env::oracle(
        oracle_bin,
        chdir.path(),
        "OPTIMIZE TABLE orders_final FINAL",
    );
    println!(
        "clickhouse insert {rows} rows (INSERT … SELECT FROM numbers, generation included): \
         {:.2}s = {:.0} rows/s, CPU {:.2}s",
        insert.secs,
        rows as f64 / insert.secs,
        insert.cpu
    );
    println!(
        "clickhouse merge (OPTIMIZE FINAL) {rows} rows: {:.2}s = {:.0} rows/s, CPU {:.2}s",
        merge.secs,
        rows as f64 / merge.secs,
        merge.cpu
    );
    Round {
        insert_s: insert.secs,
        insert_cpu: insert.cpu,
        merge_s: merge.secs,
        merge_cpu: merge.cpu,
    }
}

fn main() {
    bench_env::server_allocator();
    let rows: u32 = std::env::var("SLUICE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let rounds: usize = std::env::var("SLUICE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let chunk = 1_000_000u32.min(rows);
    let cols = [
        ("order_id", "UInt32"),
        ("order_date", "Date"),
        ("purchaser", "UInt32"),
        ("quantity", "UInt32"),
        ("product_id", "UInt32"),
        ("operation_type", "String"),
        ("_synced_at", "DateTime"),
        ("_partition_date", "Date"),
    ];
    let schema = Arc::new(Schema::new(
        cols.iter()
            .map(|(n, t)| ChType::parse(t).expect("type").to_field(n))
            .collect::<Vec<_>>(),
    ));
    let oracle_bin = std::env::var("SLUICE_BENCH_ORACLE")
        .unwrap_or_else(|_| "/work/shared/tools/ch-oracle".into());
    // Sluice's and ClickHouse's rounds alternate so that both see the same load; the best
    // of each side is compared.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        ours.push(sluice_round(&schema, &cols, rows, chunk));
        if !oracle_bin.is_empty() {
            theirs.push(clickhouse_round(&oracle_bin, rows, chunk));
        }
    }
    if theirs.is_empty() {
        return;
    }
    let best = |rs: &[Round], f: fn(&Round) -> f64| rs.iter().map(f).fold(f64::INFINITY, f64::min);
    let r = rows as f64;
    let (si, ci) = (best(&ours, |x| x.insert_s), best(&theirs, |x| x.insert_s));
    let (sm, cm) = (best(&ours, |x| x.merge_s), best(&theirs, |x| x.merge_s));
    println!(
        "best of {} rounds: insert {:.0} vs ClickHouse {:.0} rows/s ({:.2}x), CPU {:.2} vs {:.2} s; \
         merge {:.0} vs {:.0} rows/s ({:.2}x), CPU {:.2} vs {:.2} s",
        ours.len(),
        r / si,
        r / ci,
        ci / si,
        best(&ours, |x| x.insert_cpu),
        best(&theirs, |x| x.insert_cpu),
        r / sm,
        r / cm,
        cm / sm,
        best(&ours, |x| x.merge_cpu),
        best(&theirs, |x| x.merge_cpu),
    );
}
