//! A `WHERE` read by the dense aggregation itself: when the wrapped aggregation's input is a
//! [`FilterExec`] (without a row limit), [`DenseAggregateExec`](super::DenseAggregateExec)
//! executes the filter's input and keeps each batch's rows that pass the predicate, only
//! in the columns its keys and aggregates read.
//!
//! Through the `FilterExec` every column of a kept row was copied (the predicate's own
//! column too, which nothing above reads), then copied again into batches of `batch_size`
//! rows by its coalescer, which a grouping that reads each batch once has no use for
//! (fraud per purchaser: ~8% of its profile between the two). The rows, their order and
//! their values are the ones the `FilterExec` passes on, so groups, states and the
//! first-seen order of the groups are unchanged.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::{FilterBuilder, prep_null_mask_filter};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::filter::FilterExec;

/// The predicate of a [`FilterExec`] and the input columns an aggregation reads from it.
pub(super) struct FusedFilter {
    predicate: Arc<dyn PhysicalExpr>,
    /// Per column of the compact batch, its index in the filter's input batches.
    sources: Vec<usize>,
    /// The compact batch's schema (the filter's output fields that are read).
    schema: SchemaRef,
}

impl FusedFilter {
    /// The filter under an aggregation, when `input` is a [`FilterExec`] without a row
    /// limit: its own input, and `exprs` (the aggregation's key, argument and `FILTER`
    /// expressions over the filter's output) rewritten over the compact batches.
    pub(super) fn under(
        input: &Arc<dyn ExecutionPlan>,
        exprs: &mut [&mut Arc<dyn PhysicalExpr>],
    ) -> DfResult<Option<(Self, Arc<dyn ExecutionPlan>)>> {
        let Some(filter) = input.downcast_ref::<FilterExec>() else {
            return Ok(None);
        };
        if filter.fetch().is_some() {
            return Ok(None);
        }
        let output = filter.schema();
        let mut read: Vec<usize> = exprs
            .iter()
            .flat_map(|e| collect_columns(e))
            .map(|c| c.index())
            .collect();
        read.sort_unstable();
        read.dedup();
        if read.iter().any(|&i| i >= output.fields().len()) {
            return Ok(None);
        }
        let sources = match filter.projection() {
            Some(p) => read
                .iter()
                .map(|&i| p.get(i).copied())
                .collect::<Option<Vec<_>>>(),
            None => Some(read.clone()),
        };
        let Some(sources) = sources else {
            return Ok(None);
        };
        for e in exprs.iter_mut() {
            **e = compact(Arc::clone(e), &read)?;
        }
        let schema = Arc::new(Schema::new(
            read.iter()
                .map(|&i| Arc::clone(&output.fields()[i]))
                .collect::<Vec<_>>(),
        ));
        let fused = FusedFilter {
            predicate: Arc::clone(filter.predicate()),
            sources,
            schema,
        };
        Ok(Some((fused, Arc::clone(filter.input()))))
    }

    /// The rows of `batch` that pass the predicate, in the columns that are read; `None`
    /// when no row passes.
    pub(super) fn apply(&self, batch: &RecordBatch) -> DfResult<Option<RecordBatch>> {
        let mask = self
            .predicate
            .evaluate(batch)?
            .into_array(batch.num_rows())?;
        let mask = mask.as_boolean_opt().ok_or_else(|| {
            DataFusionError::Internal("the fused WHERE is not boolean (a bug)".into())
        })?;
        let mask = if mask.null_count() > 0 {
            prep_null_mask_filter(mask)
        } else {
            mask.clone()
        };
        let kept = mask.true_count();
        if kept == 0 {
            return Ok(None);
        }
        let columns: Vec<ArrayRef> = if kept == batch.num_rows() {
            self.sources
                .iter()
                .map(|&i| Arc::clone(batch.column(i)))
                .collect()
        } else {
            let filter = FilterBuilder::new(&mask).optimize().build();
            self.sources
                .iter()
                .map(|&i| filter.filter(batch.column(i)))
                .collect::<Result<_, _>>()?
        };
        let options = RecordBatchOptions::new().with_row_count(Some(kept));
        Ok(Some(RecordBatch::try_new_with_options(
            Arc::clone(&self.schema),
            columns,
            &options,
        )?))
    }
}

/// `e` over the compact batch: column `read[k]` of the filter's output becomes column `k`.
fn compact(e: Arc<dyn PhysicalExpr>, read: &[usize]) -> DfResult<Arc<dyn PhysicalExpr>> {
    e.transform_up(|node| {
        let Some(c) = node.downcast_ref::<Column>() else {
            return Ok(Transformed::no(node));
        };
        let k = read
            .binary_search(&c.index())
            .map_err(|_| DataFusionError::Internal(format!("column {c} is not read (a bug)")))?;
        Ok(Transformed::yes(Arc::new(Column::new(c.name(), k)) as _))
    })
    .map(|t| t.data)
}
