//! The hooks the engine implements so storage can evaluate SQL without depending on the
//! SQL crates: [`BatchExpr`] (sorting key, partition key, TTL, mutation predicates and
//! assignments) and [`StateMerger`] (`AggregateFunction` state columns).

use std::fmt::Debug;
use std::ops::Range;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::record_batch::RecordBatch;

/// Evaluates compiled expressions over a batch of the table's stored columns (the engine
/// implements it with DataFusion physical expressions).
pub trait BatchExpr: Send + Sync + Debug {
    /// One output array per expression, each `batch.num_rows()` long.
    fn eval(&self, batch: &RecordBatch) -> sluice_common::Result<Vec<ArrayRef>>;

    /// SQL text of the expression(s), for SHOW CREATE / system tables / manifests.
    fn text(&self) -> String;

    /// The stored columns the expression reads (used for `min_date`/`max_date` of
    /// `system.parts` and for pruning). Empty when unknown.
    fn columns(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Merges `AggregateFunction(...)` states (stored as `Binary`) of rows that share a
/// sorting key, for `AggregatingMergeTree` merges and `FINAL`.
pub trait StateMerger: Send + Sync + Debug {
    /// `states` holds the states of `column` (of ClickHouse type `ch_type`) in merge
    /// order; returns one merged state per range of `groups`, in order.
    fn merge_states(
        &self,
        column: &str,
        ch_type: &str,
        states: &ArrayRef,
        groups: &[Range<usize>],
    ) -> sluice_common::Result<ArrayRef>;
}
