//! [`split_memory_scan`]: a scan of in-memory batches (a `Memory` table, and DataFusion's
//! other memory sources) cut into partitions of consecutive rows, for a plan whose result
//! does not depend on the order of the rows (see [`crate::parallel_numbers`], which decides
//! that and calls this).
//!
//! A `Memory` table is scanned as one partition, its batches in insertion order: an
//! un-ordered `SELECT * FROM t` returns the rows as they were inserted (ClickHouse's tests
//! and ours rely on it), and `execute_in_partition_order` streams partition after
//! partition. Under an order-insensitive aggregation the same rows can be read by
//! `target_partitions` (`max_threads`) threads instead: partition `i` gets the `i`-th run of
//! consecutive rows, as zero-copy slices of at most `batch_size` rows (an INSERT stores one
//! block of up to a million rows; smaller batches keep the aggregation's working set in
//! cache). A table of at most one block of ClickHouse's default size (65,409 rows, or
//! `batch_size` if larger) stays one stream, as ClickHouse reads a one-block `Memory` table
//! in one stream: the order of its `GROUP BY` groups stays what it was, also under
//! `max_block_size = 1`.

use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::{DataSource, DataSourceExec};
use datafusion::error::Result as DfResult;
use datafusion::physical_plan::ExecutionPlan;

/// Rows of ClickHouse's default block (`max_block_size`): a scan of at most this many rows
/// (or `batch_size`, if larger) is not split.
const MIN_SPLIT_ROWS: usize = 65_409;

/// `plan` read by `parts` partitions of consecutive rows; `None` when `plan` is not a
/// one-partition memory scan without a fetch limit or sort order, or holds too few rows
/// (see [`MIN_SPLIT_ROWS`]).
pub(crate) fn split_memory_scan(
    plan: &Arc<dyn ExecutionPlan>,
    parts: usize,
    batch_size: usize,
) -> DfResult<Option<Arc<dyn ExecutionPlan>>> {
    let Some(exec) = plan.downcast_ref::<DataSourceExec>() else {
        return Ok(None);
    };
    let Some(source) = exec.data_source().downcast_ref::<MemorySourceConfig>() else {
        return Ok(None);
    };
    let [batches] = source.partitions() else {
        return Ok(None);
    };
    if parts < 2 || source.fetch().is_some() || !source.sort_information().is_empty() {
        return Ok(None);
    }
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if rows <= batch_size.max(MIN_SPLIT_ROWS) {
        return Ok(None);
    }
    let split = consecutive_runs(batches, parts, batch_size.max(1));
    let config = MemorySourceConfig::try_new(
        &split,
        source.original_schema(),
        source.projection().clone(),
    )?
    .with_show_sizes(source.show_sizes());
    let split: Arc<dyn ExecutionPlan> = DataSourceExec::from_data_source(config);
    Ok(Some(split))
}

/// `batches` cut into `parts` runs of consecutive rows (the first ones one row longer when
/// the rows do not divide evenly), each run a list of slices of at most `batch_size` rows.
fn consecutive_runs(
    batches: &[RecordBatch],
    parts: usize,
    batch_size: usize,
) -> Vec<Vec<RecordBatch>> {
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let (base, longer) = (total / parts, total % parts);
    let run_len = |i: usize| base + usize::from(i < longer);
    let mut runs: Vec<Vec<RecordBatch>> = vec![Vec::new(); parts];
    let (mut run, mut filled) = (0, 0);
    for batch in batches {
        let mut offset = 0;
        while offset < batch.num_rows() {
            while run + 1 < parts && filled >= run_len(run) {
                run += 1;
                filled = 0;
            }
            let room = run_len(run).saturating_sub(filled).max(1);
            let len = (batch.num_rows() - offset).min(room).min(batch_size);
            if let Some(r) = runs.get_mut(run) {
                r.push(batch.slice(offset, len));
            }
            offset += len;
            filled += len;
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, UInt64Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::physical_plan::ExecutionPlanProperties;

    fn batch(from: u64, n: u64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::UInt64, false)]));
        let values: UInt64Array = (from..from + n).collect();
        RecordBatch::try_new(schema, vec![Arc::new(values)]).expect("valid batch")
    }

    fn values(run: &[RecordBatch]) -> Vec<u64> {
        run.iter()
            .flat_map(|b| {
                let a = b
                    .column(0)
                    .as_any()
                    .downcast_ref::<UInt64Array>()
                    .expect("UInt64 column");
                (0..a.len()).map(|i| a.value(i)).collect::<Vec<_>>()
            })
            .collect()
    }

    /// Every row once, in order, runs of nearly equal length, slices within `batch_size`.
    #[test]
    fn runs_are_consecutive_and_balanced() {
        let inputs = [
            vec![batch(0, 1_000)],
            vec![batch(0, 10), batch(10, 990), batch(1_000, 7)],
            vec![batch(0, 3), batch(3, 3), batch(6, 1)],
        ];
        for batches in &inputs {
            let total: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
            for parts in 2..=5 {
                for batch_size in [1, 2, 64, 10_000] {
                    let runs = consecutive_runs(batches, parts, batch_size);
                    assert_eq!(runs.len(), parts);
                    let all: Vec<u64> = runs.iter().flat_map(|r| values(r)).collect();
                    assert_eq!(all, (0..total).collect::<Vec<_>>());
                    let lens: Vec<usize> = runs.iter().map(|r| values(r).len()).collect();
                    let (min, max) = (lens.iter().min(), lens.iter().max());
                    assert!(max.zip(min).is_some_and(|(a, b)| a - b <= 1), "{lens:?}");
                    assert!(runs.iter().flatten().all(|b| b.num_rows() <= batch_size));
                    assert!(runs.iter().flatten().all(|b| b.num_rows() > 0));
                }
            }
        }
    }

    fn scan(batches: Vec<RecordBatch>) -> Arc<dyn ExecutionPlan> {
        let schema = batches[0].schema();
        MemorySourceConfig::try_new_exec(&[batches], schema, Some(vec![0])).expect("memory scan")
    }

    #[test]
    fn small_or_limited_scans_stay_whole() {
        let rows = MIN_SPLIT_ROWS as u64;
        for (batches, parts, batch_size) in [
            (vec![batch(0, rows)], 2, 100),
            (vec![batch(0, rows + 1)], 2, 100_000),
            (vec![batch(0, rows + 1)], 1, 100),
        ] {
            let split = split_memory_scan(&scan(batches), parts, batch_size).expect("split");
            assert!(split.is_none());
        }
        let split = split_memory_scan(&scan(vec![batch(0, rows + 1)]), 2, 100)
            .expect("split")
            .expect("split in two");
        assert_eq!(split.output_partitioning().partition_count(), 2);
        assert_eq!(split.schema(), scan(vec![batch(0, 1)]).schema());
    }
}

/// Plans through the engine: which queries read a Memory table on several partitions, and
/// that results and row order do not change.
#[cfg(test)]
mod plan_tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Array, UInt64Array};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, displayable};
    use datafusion::sql::parser::Statement as DfStatement;
    use datafusion::sql::sqlparser::ast::Statement as SqlStatement;

    use crate::{Engine, EngineConfig, Session};

    /// The physical plan Sluice runs for `sql` (a SELECT).
    async fn physical_plan(session: &Session, sql: &str) -> Arc<dyn ExecutionPlan> {
        let stmt = session.parse(sql).expect("parse").remove(0);
        let sluice_sql::Statement::Query(mut query) = stmt.statement else {
            panic!("not a query: {sql}");
        };
        let ctx = session.rewrite_context();
        crate::rewrite::rewrite_query(&mut query, &ctx).expect("rewrite");
        let state = session.df_state_for(&ctx);
        let logical = state
            .statement_to_plan(DfStatement::Statement(Box::new(SqlStatement::Query(query))))
            .await
            .expect("logical plan");
        let logical = state.optimize(&logical).expect("optimize");
        state
            .query_planner()
            .create_physical_plan(&logical, &state)
            .await
            .expect("physical plan")
    }

    /// Partition counts of the plan's leaves.
    fn leaf_partitions(plan: &Arc<dyn ExecutionPlan>) -> Vec<usize> {
        if plan.children().is_empty() {
            return vec![plan.output_partitioning().partition_count()];
        }
        plan.children()
            .into_iter()
            .flat_map(leaf_partitions)
            .collect()
    }

    async fn rows(session: &mut Session, sql: &str) -> Vec<RecordBatch> {
        let mut out = session.execute_sql(sql).await.expect(sql);
        out.pop().map(|(_, b)| b).unwrap_or_default()
    }

    fn column_u64(batches: &[RecordBatch]) -> Vec<u64> {
        batches
            .iter()
            .flat_map(|b| {
                let a = b
                    .column(0)
                    .as_any()
                    .downcast_ref::<UInt64Array>()
                    .expect("UInt64 column");
                (0..a.len()).map(|i| a.value(i)).collect::<Vec<_>>()
            })
            .collect()
    }

    async fn session_with_table() -> Session {
        let engine = Engine::open(EngineConfig::default()).await.expect("engine");
        let mut s = engine.session();
        // One stored block of 170,000 rows. (A table of several blocks is also cut by
        // DataFusion's own `repartition_file_scans`, which orders the blocks by size: an
        // un-ordered `SELECT *` of such a table can come out of insertion order; that is
        // not this rule's doing and not covered here.)
        s.execute_sql(
            "CREATE TABLE t (k UInt64, s String) ENGINE = Memory;
             INSERT INTO t SELECT number, toString(number % 7) FROM numbers(170000);",
        )
        .await
        .expect("setup");
        s
    }

    #[tokio::test]
    async fn order_insensitive_aggregations_read_on_every_partition() {
        let s = session_with_table().await;
        for sql in [
            "SELECT s, count() FROM t GROUP BY s",
            "SELECT s, sum(k), max(k) FROM t WHERE k % 3 = 0 GROUP BY s ORDER BY s",
            "SELECT uniqExact(s), min(k) FROM t",
        ] {
            let plan = physical_plan(&s, sql).await;
            let text = displayable(plan.as_ref()).indent(true).to_string();
            assert_eq!(leaf_partitions(&plan), vec![2], "{sql}\n{text}");
        }
        for sql in [
            "SELECT * FROM t",
            "SELECT * FROM t WHERE k % 3 = 0",
            "SELECT groupArray(k) FROM t",
            "SELECT s, any(k) FROM t GROUP BY s",
            "SELECT sum(toFloat64(k)) FROM t",
        ] {
            let plan = physical_plan(&s, sql).await;
            let text = displayable(plan.as_ref()).indent(true).to_string();
            assert_eq!(leaf_partitions(&plan), vec![1], "{sql}\n{text}");
        }
    }

    #[tokio::test]
    async fn max_threads_sets_the_partitions() {
        let mut s = session_with_table().await;
        let sql = "SELECT s, count() FROM t GROUP BY s";
        s.set_setting("max_threads", "1").expect("set");
        assert_eq!(leaf_partitions(&physical_plan(&s, sql).await), vec![1]);
        s.set_setting("max_threads", "3").expect("set");
        assert_eq!(leaf_partitions(&physical_plan(&s, sql).await), vec![3]);
    }

    #[tokio::test]
    async fn results_and_row_order_unchanged() {
        let mut s = session_with_table().await;
        let sql = "SELECT sum(k) AS x FROM t WHERE k % 3 = 0 GROUP BY s ORDER BY x";
        let split = column_u64(&rows(&mut s, sql).await);
        s.set_setting("max_threads", "1").expect("set");
        let whole = column_u64(&rows(&mut s, sql).await);
        assert_eq!(split, whole);
        assert_eq!(split.len(), 7);
        s.set_setting("max_threads", "2").expect("set");
        let all = column_u64(&rows(&mut s, "SELECT k FROM t").await);
        assert_eq!(all, (0..170_000).collect::<Vec<u64>>());
        let filtered = column_u64(&rows(&mut s, "SELECT k FROM t WHERE k % 3 = 0").await);
        assert_eq!(filtered, (0..170_000).step_by(3).collect::<Vec<u64>>());
    }
}
