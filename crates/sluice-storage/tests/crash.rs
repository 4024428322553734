//! Crash tests: a child process (this test binary re-run with `SLUICE_CRASH_CHILD` set)
//! inserts numbered blocks and prints `ACK n` after each acknowledged insert, merging
//! and mutating in between; the parent kills it (SIGKILL at random moments, or an abort
//! at a storage failpoint), reopens the table and checks that every acknowledged block is
//! there exactly once, that blocks are all-or-nothing, and that nothing else is.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use datafusion::arrow::array::{ArrayRef, AsArray, RecordBatch, UInt32Array};
use datafusion::arrow::datatypes::UInt32Type;
use datafusion::prelude::SessionContext;
use sluice_storage::{InsertOptions, MergeTreeEngine, MergeTreeTable};

const ROWS_PER_BLOCK: u32 = 50;

fn open(dir: &Path) -> Arc<MergeTreeTable> {
    let mut sp = spec(
        MergeTreeEngine::MergeTree,
        schema(&[("block", "UInt32"), ("k", "UInt32")]),
        &["k"],
    );
    sp.settings.index_granularity = 16;
    // Three partitions: every block is one insert of three parts, which must become
    // visible together.
    sp.partition_key = Some(fn_expr("k % 3", &["k"], |b| {
        let k = b
            .column_by_name("k")
            .expect("k")
            .as_primitive::<UInt32Type>();
        let m: UInt32Array = k.iter().map(|v| v.map(|v| v % 3)).collect();
        Ok(vec![Arc::new(m) as ArrayRef])
    }));
    MergeTreeTable::open(dir.to_path_buf(), sp).unwrap()
}

fn block(t: &MergeTreeTable, n: u32) -> RecordBatch {
    let b: ArrayRef = Arc::new(UInt32Array::from(vec![n; ROWS_PER_BLOCK as usize]));
    // Keys interleave across blocks so merges really reorder rows.
    let k: ArrayRef = Arc::new(UInt32Array::from_iter_values(
        (0..ROWS_PER_BLOCK).map(|i| i * 1000 + n),
    ));
    RecordBatch::try_new(t.schema(), vec![b, k]).unwrap()
}

/// The child: inserts forever (until killed), merging and mutating (a no-op delete, and
/// an update that rewrites the parts of even keys) now and then.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var("SLUICE_CRASH_CHILD") else {
        // Only meaningful when run by the parent tests below.
        return;
    };
    let t = open(Path::new(&dir));
    let start: u32 = std::env::var("SLUICE_CRASH_START")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for n in start.. {
        t.insert(block(&t, n), InsertOptions::default()).unwrap();
        println!("ACK {n}");
        if n % 5 == 4 {
            t.optimize(None, false, false).unwrap();
        }
        if n % 11 == 10 {
            let never = fn_expr("k = 4294967295", &["k"], |b| {
                let k = b
                    .column_by_name("k")
                    .expect("k")
                    .as_primitive::<UInt32Type>();
                let m: datafusion::arrow::array::BooleanArray =
                    k.iter().map(|v| v.map(|v| v == u32::MAX)).collect();
                Ok(vec![Arc::new(m) as ArrayRef])
            });
            t.mutate_delete(never).unwrap();
        }
        if n % 7 == 6 {
            // A mutation that rewrites the parts holding even keys (their rows unchanged).
            let even = fn_expr("k % 2 = 0", &["k"], |b| {
                let k = b
                    .column_by_name("k")
                    .expect("k")
                    .as_primitive::<UInt32Type>();
                let m: datafusion::arrow::array::BooleanArray =
                    k.iter().map(|v| v.map(|v| v % 2 == 0)).collect();
                Ok(vec![Arc::new(m) as ArrayRef])
            });
            let same = fn_expr("block", &["block"], |b| {
                Ok(vec![Arc::clone(b.column_by_name("block").expect("block"))])
            });
            t.mutate_update(vec![("block".to_string(), same)], even)
                .unwrap();
        }
    }
}

/// Runs the child until it has acknowledged `acks` blocks (then SIGKILL), or until it dies
/// by itself at a failpoint. Returns the acknowledged block numbers.
fn run_child(dir: &Path, start: u32, acks: usize, failpoint: Option<&str>) -> Vec<u32> {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env("SLUICE_CRASH_CHILD", dir)
        .env("SLUICE_CRASH_START", start.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(fp) = failpoint {
        cmd.env("SLUICE_STORAGE_FAILPOINT", fp);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(n) = line.strip_prefix("ACK ") {
            acked.push(n.trim().parse().unwrap());
            if acked.len() >= acks || Instant::now() > deadline {
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    acked
}

/// Rows per block number after reopening.
async fn blocks_on_disk(dir: &Path) -> BTreeMap<u32, u32> {
    let t = open(dir);
    let ctx = SessionContext::new();
    ctx.register_table("t", t.provider(false)).unwrap();
    let out = ctx
        .sql("SELECT block FROM t")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut counts = BTreeMap::new();
    for b in &out {
        for v in b.column(0).as_primitive::<UInt32Type>().iter().flatten() {
            *counts.entry(v).or_insert(0) += 1;
        }
    }
    t.shutdown();
    counts
}

fn check(counts: &BTreeMap<u32, u32>, acked: &[u32], attempted_max: u32) {
    for n in acked {
        assert_eq!(
            counts.get(n),
            Some(&ROWS_PER_BLOCK),
            "acknowledged block {n}"
        );
    }
    for (n, c) in counts {
        assert_eq!(*c, ROWS_PER_BLOCK, "block {n} is partial or duplicated");
        assert!(*n <= attempted_max, "block {n} was never inserted");
    }
}

#[tokio::test]
async fn sigkill_at_random_moments() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("t");
    let mut all_acked: Vec<u32> = Vec::new();
    let mut next = 0u32;
    // A fixed pseudo-random sequence of kill points (acknowledged blocks before the kill).
    let mut seed = 0x2545F4914F6CDD1Du64;
    for _ in 0..4 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let acks = 3 + (seed % 17) as usize;
        let acked = run_child(&dir, next, acks, None);
        assert!(!acked.is_empty());
        let last = *acked.last().unwrap();
        all_acked.extend(&acked);
        // The block after the last acknowledged one may or may not have been committed.
        let counts = blocks_on_disk(&dir).await;
        check(&counts, &all_acked, last + 1);
        if counts.contains_key(&(last + 1)) {
            all_acked.push(last + 1);
        }
        next = last + 2;
    }
}

#[tokio::test]
async fn abort_at_each_failpoint() {
    let points = [
        "part_data_written@3",
        "part_before_rename@3",
        "part_after_rename@3",
        "insert_txn_journal_written@2",
        "insert_txn_part_renamed@4",
        "merge_before_commit@1",
        "merge_after_commit@1",
        "mutation_before_commit@2",
        "mutation_part_written@2",
        "mutation_after_commit@2",
    ];
    for fp in points {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("t");
        let acked = run_child(&dir, 0, 1000, Some(fp));
        let last = acked.last().copied().unwrap_or(0);
        assert!(acked.len() < 1000, "{fp} never fired");
        let counts = blocks_on_disk(&dir).await;
        check(&counts, &acked, last + 1);
        // The table keeps working after the crash.
        let t = open(&dir);
        t.insert(block(&t, 10_000), InsertOptions::default())
            .unwrap();
        t.optimize(None, true, false).unwrap();
        t.shutdown();
        drop(t);
        let counts = blocks_on_disk(&dir).await;
        assert_eq!(counts.get(&10_000), Some(&ROWS_PER_BLOCK), "{fp}");
        for n in &acked {
            assert_eq!(counts.get(n), Some(&ROWS_PER_BLOCK), "{fp}: block {n}");
        }
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("tmp_"))
            .collect();
        assert!(leftovers.is_empty(), "{fp}: {leftovers:?}");
    }
}
