//! [`DenseAggregateExec`]: a `Partial` or `Single` [`AggregateExec`] over one or two integer
//! keys of known small ranges, run with a direct-indexed group table ([`super::groups`],
//! [`super::pair`]) and the
//! aggregates' own `GroupsAccumulator`s. Its output is the wrapped `AggregateExec`'s: same
//! schema, same groups in the same (first-seen) order, same states or values.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use datafusion::arrow::array::{ArrayRef, BooleanArray};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use datafusion::physical_expr::aggregate::AggregateFunctionExpr;
use datafusion::physical_expr::{GroupsAccumulatorAdapter, PhysicalExpr};
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode, aggregate_expressions};
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, InputDistributionRequirements, PlanProperties,
};
use futures::{Stream, StreamExt};

use super::fused_filter::FusedFilter;
use super::groups::{GroupIndex, KeyRange, group_index};
use super::pair::pair_index;

/// An [`AggregateExec`] (mode `Partial` or `Single`, one or two integer group keys whose
/// values lie in `ranges`) executed with a dense group table.
#[derive(Debug)]
pub struct DenseAggregateExec {
    agg: Arc<AggregateExec>,
    /// One range per group key.
    ranges: Vec<KeyRange>,
}

impl DenseAggregateExec {
    /// Wraps `agg`; the caller has checked its shape (see `super::DenseGroupBy`).
    pub(crate) fn new(agg: Arc<AggregateExec>, ranges: Vec<KeyRange>) -> Self {
        Self { agg, ranges }
    }
}

impl DisplayAs for DenseAggregateExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sizes: Vec<String> = self.ranges.iter().map(|r| r.size.to_string()).collect();
        write!(f, "DenseAggregateExec: range={} ", sizes.join("x"))?;
        self.agg.fmt_as(t, f)
    }
}

impl ExecutionPlan for DenseAggregateExec {
    fn name(&self) -> &'static str {
        "DenseAggregateExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.agg.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![self.agg.input()]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        self.agg.apply_expressions(f)
    }

    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        self.agg.input_distribution_requirements()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![false]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        self.agg.benefits_from_input_partitioning()
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let recompute = ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute);
        self.replace_children(children, recompute)
    }

    fn replace_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
        options: ReplaceChildrenOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let agg = Arc::clone(&self.agg).replace_children(children, options)?;
        match agg.downcast_ref::<AggregateExec>() {
            Some(a) => Ok(Arc::new(DenseAggregateExec {
                agg: Arc::new(a.clone()),
                ranges: self.ranges.clone(),
            })),
            None => Err(DataFusionError::Internal(
                "DenseAggregateExec lost its AggregateExec".into(),
            )),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let agg = &self.agg;
        let mut key_exprs: Vec<Arc<dyn PhysicalExpr>> = agg
            .group_expr()
            .expr()
            .iter()
            .map(|(e, _)| Arc::clone(e))
            .collect();
        let key_types = key_exprs
            .iter()
            .map(|e| e.data_type(&agg.input_schema()))
            .collect::<DfResult<Vec<_>>>()?;
        let groups = match (key_types.as_slice(), self.ranges.as_slice()) {
            ([t], [r]) => group_index(t, *r),
            ([t, u], [r, q]) => pair_index([t, u], [*r, *q], usize::MAX),
            _ => None,
        };
        let Some(groups) = groups else {
            return Err(DataFusionError::Internal(format!(
                "DenseAggregateExec cannot group by {key_types:?}"
            )));
        };
        let mut args = aggregate_expressions(agg.aggr_expr(), agg.mode(), 0)?;
        let mut filters = agg.filter_expr().to_vec();
        // A FilterExec below is applied here, on the columns read (super::fused_filter).
        let mut exprs: Vec<&mut Arc<dyn PhysicalExpr>> = key_exprs
            .iter_mut()
            .chain(args.iter_mut().flatten())
            .chain(filters.iter_mut().flatten())
            .collect();
        let (input, fused) = match FusedFilter::under(agg.input(), &mut exprs)? {
            Some((fused, below)) => (below.execute(partition, Arc::clone(&context))?, Some(fused)),
            None => (agg.input().execute(partition, Arc::clone(&context))?, None),
        };
        let accumulators = agg
            .aggr_expr()
            .iter()
            .map(groups_accumulator)
            .collect::<DfResult<Vec<_>>>()?;
        let reservation = MemoryConsumer::new(format!("DenseAggregateExec[{partition}]"))
            .register(context.memory_pool());
        Ok(Box::pin(DenseAggregateStream {
            schema: agg.schema(),
            input,
            fused,
            key_exprs,
            args,
            filters,
            partial: *agg.mode() == AggregateMode::Partial,
            groups,
            accumulators,
            group_ids: Vec::new(),
            reservation,
            batch_size: context.session_config().batch_size().max(1),
            output: Vec::new(),
            done: false,
        }))
    }
}

/// The aggregate's vectorized accumulator, or its row accumulator behind DataFusion's
/// adapter (as `AggregateExec` does).
fn groups_accumulator(expr: &Arc<AggregateFunctionExpr>) -> DfResult<Box<dyn GroupsAccumulator>> {
    if expr.groups_accumulator_supported() {
        return expr.create_groups_accumulator();
    }
    let expr = Arc::clone(expr);
    Ok(Box::new(GroupsAccumulatorAdapter::new(move || {
        expr.create_accumulator()
    })))
}

/// Reads the whole input, then yields the groups in `batch_size` slices.
struct DenseAggregateStream {
    schema: SchemaRef,
    input: SendableRecordBatchStream,
    /// The `WHERE` of a `FilterExec` below, applied here (`input` is then its input).
    fused: Option<FusedFilter>,
    key_exprs: Vec<Arc<dyn PhysicalExpr>>,
    /// Argument expressions of each aggregate.
    args: Vec<Vec<Arc<dyn PhysicalExpr>>>,
    /// `FILTER (WHERE …)` of each aggregate.
    filters: Vec<Option<Arc<dyn PhysicalExpr>>>,
    /// States out (`Partial`) rather than values (`Single`).
    partial: bool,
    groups: Box<dyn GroupIndex>,
    accumulators: Vec<Box<dyn GroupsAccumulator>>,
    group_ids: Vec<usize>,
    reservation: MemoryReservation,
    batch_size: usize,
    /// Output batches not yet returned, last first.
    output: Vec<RecordBatch>,
    done: bool,
}

impl DenseAggregateStream {
    fn aggregate(&mut self, batch: &RecordBatch) -> DfResult<()> {
        let kept;
        let batch = match &self.fused {
            Some(f) => match f.apply(batch)? {
                Some(b) => {
                    kept = b;
                    &kept
                }
                None => return Ok(()),
            },
            None => batch,
        };
        let keys = self
            .key_exprs
            .iter()
            .map(|e| e.evaluate(batch)?.into_array(batch.num_rows()))
            .collect::<DfResult<Vec<_>>>()?;
        self.groups.intern(&keys, &mut self.group_ids)?;
        let total = self.groups.len();
        for ((acc, args), filter) in self
            .accumulators
            .iter_mut()
            .zip(&self.args)
            .zip(&self.filters)
        {
            let values = args
                .iter()
                .map(|e| e.evaluate(batch)?.into_array(batch.num_rows()))
                .collect::<DfResult<Vec<ArrayRef>>>()?;
            let filter = match filter {
                Some(f) => Some(f.evaluate(batch)?.into_array(batch.num_rows())?),
                None => None,
            };
            let filter = match &filter {
                Some(f) => Some(f.as_any().downcast_ref::<BooleanArray>().ok_or_else(|| {
                    DataFusionError::Internal("aggregate FILTER is not boolean".into())
                })?),
                None => None,
            };
            acc.update_batch(&values, &self.group_ids, filter, total)?;
        }
        Ok(())
    }

    fn memory(&self) -> usize {
        self.groups.size() + self.accumulators.iter().map(|a| a.size()).sum::<usize>()
    }

    /// Every group so far as output batches (`self.output`), emptying the table.
    fn emit(&mut self) -> DfResult<()> {
        let n = self.groups.len();
        let mut columns = self.groups.emit();
        for acc in &mut self.accumulators {
            if self.partial {
                columns.extend(acc.state(EmitTo::All)?);
            } else {
                columns.push(acc.evaluate(EmitTo::All)?);
            }
        }
        if n == 0 {
            return Ok(());
        }
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns)?;
        let mut offset = n;
        while offset > 0 {
            let start = offset.saturating_sub(self.batch_size);
            self.output.push(batch.slice(start, offset - start));
            offset = start;
        }
        Ok(())
    }

    fn poll_inner(&mut self, cx: &mut Context<'_>) -> Poll<Option<DfResult<RecordBatch>>> {
        loop {
            if let Some(batch) = self.output.pop() {
                return Poll::Ready(Some(Ok(batch)));
            }
            if self.done {
                let _ = self.reservation.try_resize(0);
                return Poll::Ready(None);
            }
            match self.input.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(batch))) => {
                    self.aggregate(&batch)?;
                    if let Err(e) = self.reservation.try_resize(self.memory()) {
                        if !self.partial {
                            return Poll::Ready(Some(Err(e)));
                        }
                        // A partial aggregation may hand over what it has and start afresh:
                        // the final stage merges the states of the same key.
                        self.emit()?;
                        self.reservation.resize(self.memory());
                    }
                }
                Poll::Ready(None) => {
                    self.done = true;
                    self.emit()?;
                }
            }
        }
    }
}

impl Stream for DenseAggregateStream {
    type Item = DfResult<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.poll_inner(cx) {
            Poll::Ready(Some(Err(e))) => {
                this.done = true;
                this.output.clear();
                Poll::Ready(Some(Err(e)))
            }
            other => other,
        }
    }
}

impl RecordBatchStream for DenseAggregateStream {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
