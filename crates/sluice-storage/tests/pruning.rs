//! Reads skip what they can: whole parts by the manifests' min/max, row groups and pages
//! inside a part by Parquet statistics and page indexes.

mod common;

use std::sync::Arc;

use common::*;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray, UInt32Array};
use datafusion::physical_plan::{collect, displayable};
use datafusion::prelude::SessionContext;
use sluice_storage::{InsertOptions, MergeTreeEngine, MergeTreeTable};

fn batch(schema: &datafusion::arrow::datatypes::SchemaRef, from: u32, n: u32) -> RecordBatch {
    let k: ArrayRef = Arc::new(UInt32Array::from_iter_values(from..from + n));
    let s: ArrayRef = Arc::new(StringArray::from_iter_values(
        (from..from + n).map(|i| format!("value number {i} with some padding text")),
    ));
    RecordBatch::try_new(Arc::clone(schema), vec![k, s]).unwrap()
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
    let ctx = SessionContext::new();
    ctx.register_table("t", t.provider(false)).unwrap();
    let df = ctx
        .sql("SELECT k, s FROM t WHERE k = 550000")
        .await
        .unwrap();
    let plan = df.create_physical_plan().await.unwrap();
    let text = displayable(plan.as_ref()).indent(true).to_string();
    assert_eq!(text.matches("data.parquet").count(), 1, "{text}");
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
