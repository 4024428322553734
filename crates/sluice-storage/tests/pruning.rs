//! Reads skip what they can: whole parts by the manifests' min/max, row groups and pages
//! inside a part by Parquet statistics and page indexes.

mod common;

use std::sync::Arc;

use common::*;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray, UInt32Array};
use datafusion::physical_plan::{ExecutionPlan, collect, displayable};
use datafusion::prelude::SessionContext;
use sluice_storage::{InsertOptions, MergeTreeEngine, MergeTreeTable};

fn batch(schema: &datafusion::arrow::datatypes::SchemaRef, from: u32, n: u32) -> RecordBatch {
    let k: ArrayRef = Arc::new(UInt32Array::from_iter_values(from..from + n));
    let s: ArrayRef = Arc::new(StringArray::from_iter_values(
        (from..from + n).map(|i| format!("value number {i} with some padding text")),
    ));
    RecordBatch::try_new(Arc::clone(schema), vec![k, s]).unwrap()
}

/// `sql` over `t` planned: the context, the plan and its text, which reads one part.
async fn plan_one_part(
    t: &MergeTreeTable,
    sql: &str,
) -> (SessionContext, Arc<dyn ExecutionPlan>, String) {
    let ctx = SessionContext::new();
    ctx.register_table("t", t.provider(false)).unwrap();
    let plan = ctx
        .sql(sql)
        .await
        .unwrap()
        .create_physical_plan()
        .await
        .unwrap();
    let text = displayable(plan.as_ref()).indent(true).to_string();
    assert_eq!(text.matches("data.parquet").count(), 1, "{text}");
    (ctx, plan, text)
}

#[tokio::test]
async fn point_query_reads_one_part_and_few_pages() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("k", "UInt32"), ("s", "String")]);
    let mut sp = spec(MergeTreeEngine::MergeTree, Arc::clone(&s), &["k"]);
    sp.settings.index_granularity = 1024;
    let t = MergeTreeTable::open(dir.path().join("t"), sp).unwrap();
    t.stop_merges();
    for i in 0..10 {
        t.insert(batch(&s, i * 100_000, 100_000), InsertOptions::default())
            .unwrap();
    }
    let (ctx, plan, text) = plan_one_part(&t, "SELECT k, s FROM t WHERE k = 550000").await;
    let out = collect(Arc::clone(&plan), ctx.task_ctx()).await.unwrap();
    assert_eq!(
        tsv(&out),
        ["550000\tvalue number 550000 with some padding text"]
    );
    // Bytes read by the Parquet scan, against the bytes of all parts.
    let mut scanned = 0usize;
    let mut stack = vec![Arc::clone(&plan)];
    while let Some(p) = stack.pop() {
        if let Some(m) = p.metrics()
            && let Some(v) = m.sum_by_name("bytes_scanned")
        {
            scanned += v.as_usize();
        }
        stack.extend(p.children().into_iter().cloned());
    }
    let total = t.total_bytes() as usize;
    assert!(scanned > 0, "no bytes_scanned metric:\n{text}");
    // Page and column indexes dominate what is read; at 1M rows that is about 1%, and
    // the share falls as parts grow (the footer is read, the data pages mostly not).
    assert!(scanned * 50 < total, "scanned {scanned} of {total} bytes");
    t.shutdown();
}

/// A merged part writes its non-key columns in pages of 8 granules; its key column keeps
/// pages of one granule, so a point query still reads one granule's rows.
#[tokio::test]
async fn point_query_on_a_merged_part_reads_one_granule() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema(&[("k", "UInt32"), ("v", "UInt32"), ("s", "String")]);
    let mut sp = spec(MergeTreeEngine::MergeTree, Arc::clone(&s), &["k"]);
    sp.settings.index_granularity = 1024;
    let t = MergeTreeTable::open(dir.path().join("t"), sp).unwrap();
    t.stop_merges();
    for i in 0..4u32 {
        let from = i * 50_000;
        let k: ArrayRef = Arc::new(UInt32Array::from_iter_values(from..from + 50_000));
        let v: ArrayRef = Arc::new(UInt32Array::from_iter_values(
            (from..from + 50_000).map(|x| x.wrapping_mul(2_654_435_761) % 1000),
        ));
        let st: ArrayRef = Arc::new(StringArray::from_iter_values(
            (from..from + 50_000).map(|x| format!("s{}", x % 7)),
        ));
        let b = RecordBatch::try_new(Arc::clone(&s), vec![k, v, st]).unwrap();
        t.insert(b, InsertOptions::default()).unwrap();
    }
    t.optimize(None, true, false).unwrap();
    let (ctx, plan, text) = plan_one_part(&t, "SELECT k, v, s FROM t WHERE k = 123457").await;
    let out = collect(Arc::clone(&plan), ctx.task_ctx()).await.unwrap();
    let v = 123_457u32.wrapping_mul(2_654_435_761) % 1000;
    assert_eq!(tsv(&out), [format!("123457\t{v}\ts{}", 123_457 % 7)]);
    let mut scanned_rows = None;
    let mut stack = vec![Arc::clone(&plan)];
    while let Some(p) = stack.pop() {
        if p.name() == "DataSourceExec" {
            scanned_rows = p.metrics().and_then(|m| m.output_rows());
        }
        stack.extend(p.children().into_iter().cloned());
    }
    assert_eq!(scanned_rows, Some(1024), "{text}");
    // Every row reads back.
    let all = ctx
        .sql("SELECT count(), sum(k), sum(v), count(DISTINCT s) FROM t")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let want_v: u64 = (0..200_000u32)
        .map(|x| u64::from(x.wrapping_mul(2_654_435_761) % 1000))
        .sum();
    assert_eq!(
        tsv(&all),
        [format!("200000\t{}\t{want_v}\t7", 199_999u64 * 200_000 / 2)]
    );
    t.shutdown();
}
