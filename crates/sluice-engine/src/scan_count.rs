//! Rows and bytes a query reads: [`CountScans`], a physical optimizer rule added to the
//! plans of server queries, wraps every leaf of the plan (table scans, `numbers()`, memory
//! tables) in a [`ScanCountExec`] that adds what the leaf produces to the query's
//! counters. `system.processes`, `system.query_log` and the servers' progress show them as
//! `read_rows` / `read_bytes` (bytes: the column data, as ClickHouse counts them
//! uncompressed: 10 `UInt64` rows are 80 bytes).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;

use crate::session::Progress;

/// Wraps the leaves of a plan in [`ScanCountExec`]s counting into `counters`.
#[derive(Debug)]
pub struct CountScans {
    counters: Arc<Progress>,
}

impl CountScans {
    /// A rule counting into `counters` (`read_rows`, `read_bytes`).
    pub fn new(counters: Arc<Progress>) -> Self {
        Self { counters }
    }
}

impl PhysicalOptimizerRule for CountScans {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if node.children().is_empty() {
                let wrapped: Arc<dyn ExecutionPlan> = Arc::new(ScanCountExec {
                    inner: node,
                    counters: Arc::clone(&self.counters),
                });
                Ok(Transformed::yes(wrapped))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "count_scans"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Passes a leaf's batches through, counting them as read.
#[derive(Debug)]
pub struct ScanCountExec {
    inner: Arc<dyn ExecutionPlan>,
    counters: Arc<Progress>,
}

impl DisplayAs for ScanCountExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScanCountExec")
    }
}

/// Bytes of a batch's column data (the slices it covers, not the buffers' capacity).
fn data_bytes(batch: &RecordBatch) -> u64 {
    batch
        .columns()
        .iter()
        .map(|c| c.to_data().get_slice_memory_size().unwrap_or(0) as u64)
        .sum()
}

impl ExecutionPlan for ScanCountExec {
    fn name(&self) -> &'static str {
        "ScanCountExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.inner.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.inner]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        match children.pop() {
            Some(inner) if children.is_empty() => Ok(Arc::new(ScanCountExec {
                inner,
                counters: Arc::clone(&self.counters),
            })),
            _ => Err(DataFusionError::Internal(
                "ScanCountExec takes one child".into(),
            )),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let stream = self.inner.execute(partition, context)?;
        let schema = stream.schema();
        let counters = Arc::clone(&self.counters);
        let counted = stream.map(move |b| {
            if let Ok(batch) = &b {
                counters
                    .read_rows
                    .fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
                counters
                    .read_bytes
                    .fetch_add(data_bytes(batch), Ordering::Relaxed);
            }
            b
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, counted)))
    }
}
