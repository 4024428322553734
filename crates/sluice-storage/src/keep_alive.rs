//! Keeps a query's parts alive while their files are read. DataFusion's Parquet scan holds
//! only file paths; an outdated part's directory is deleted when its last `Arc<Part>` goes
//! (see `part.rs`), so the scan's streams carry the snapshot's `Arc`s until they end.

use std::fmt;
use std::sync::Arc;

use datafusion::common::Statistics;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::config::ConfigOptions;
use datafusion::error::Result as DfResult;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::statistics::{ChildStats, StatisticsArgs};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::StreamExt;

use crate::part::Part;

/// Wraps a plan reading `parts`; every output stream owns the parts.
#[derive(Debug)]
pub(crate) struct PinPartsExec {
    inner: Arc<dyn ExecutionPlan>,
    parts: Arc<Vec<Arc<Part>>>,
}

impl PinPartsExec {
    pub(crate) fn new(inner: Arc<dyn ExecutionPlan>, parts: Vec<Arc<Part>>) -> Self {
        Self {
            inner,
            parts: Arc::new(parts),
        }
    }
}

impl DisplayAs for PinPartsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PinPartsExec: parts={}", self.parts.len())
    }
}

impl ExecutionPlan for PinPartsExec {
    fn name(&self) -> &'static str {
        "PinPartsExec"
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

    fn child_stats_requests(&self, partition: Option<usize>) -> Vec<ChildStats> {
        vec![ChildStats::At(partition)]
    }

    fn statistics_from_inputs(
        &self,
        input_stats: &[Arc<Statistics>],
        _args: &StatisticsArgs,
    ) -> DfResult<Arc<Statistics>> {
        // The wrapped scan's statistics, for the same partition (see child_stats_requests).
        Ok(match input_stats.first() {
            Some(s) => Arc::clone(s),
            None => Arc::new(Statistics::new_unknown(&self.schema())),
        })
    }

    /// The wrapped scan split into more partitions (byte ranges of the part files), so
    /// that a table merged into one big part is still read by `target_partitions` threads.
    fn repartitioned(
        &self,
        target_partitions: usize,
        config: &ConfigOptions,
    ) -> DfResult<Option<Arc<dyn ExecutionPlan>>> {
        Ok(self
            .inner
            .repartitioned(target_partitions, config)?
            .map(|inner| {
                Arc::new(PinPartsExec {
                    inner,
                    parts: Arc::clone(&self.parts),
                }) as Arc<dyn ExecutionPlan>
            }))
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        match children.pop() {
            Some(inner) if children.is_empty() => Ok(Arc::new(PinPartsExec {
                inner,
                parts: Arc::clone(&self.parts),
            })),
            _ => Err(datafusion::error::DataFusionError::Internal(
                "PinPartsExec takes one child".into(),
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
        let parts = Arc::clone(&self.parts);
        let pinned = stream.map(move |b| {
            let _alive = &parts;
            b
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, pinned)))
    }
}
