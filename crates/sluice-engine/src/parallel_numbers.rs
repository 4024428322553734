//! [`ParallelNumbers`]: a physical optimizer rule that runs a large bounded `numbers(N)` /
//! `zeros(N)` scan on every partition when it only feeds an aggregation whose result does
//! not depend on the order of its rows.
//!
//! `numbers(N)` is one ordered stream (as in ClickHouse, whose `numbers` is single-threaded:
//! `groupArray(number)` over it is sorted and `any(number)` is 0), so the source is split
//! only under an aggregation of order-insensitive functions with exact arithmetic: `count`,
//! `sum`/`avg` of integers and decimals (wrapping integer sums are associative), `min`/`max`
//! of non-float values, the `uniq` family, and their `-If` forms. Float sums are left alone
//! (their rounding depends on the order of the additions), as are `any`, `groupArray` and
//! every other function. The split ranges are consecutive and whole blocks, so each
//! partition produces exactly the blocks of the single stream.
//!
//! A scan of in-memory batches (a `Memory` table) under such an aggregation is split the
//! same way, in runs of consecutive rows ([`crate::tables::memory_split`]); elsewhere it
//! stays one partition in insertion order.
//!
//! The rule runs first, before distribution is enforced: the partial aggregation then runs
//! per partition and DataFusion merges the partial states as for any multi-partition input.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::config::ConfigOptions;
use datafusion::error::Result as DfResult;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::memory::{LazyBatchGenerator, LazyMemoryExec};
use datafusion::physical_plan::projection::ProjectionExec;
use parking_lot::RwLock;

use crate::system::NumbersGenerator;

/// New children change the partitioning: plan properties are recomputed.
const RECOMPUTE: ReplaceChildrenOptions =
    ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute);

/// Splits a `numbers`/`zeros` source under an order-insensitive aggregation into
/// `target_partitions` consecutive ranges.
#[derive(Debug, Default)]
pub struct ParallelNumbers;

impl PhysicalOptimizerRule for ParallelNumbers {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let parts = config.execution.target_partitions;
        let batch_size = config.execution.batch_size.get();
        if parts < 2 {
            return Ok(plan);
        }
        plan.transform_down(|node| {
            let Some(agg) = node.downcast_ref::<AggregateExec>() else {
                return Ok(Transformed::no(node));
            };
            if *agg.mode() != AggregateMode::Partial || !order_insensitive(agg) {
                return Ok(Transformed::no(node));
            }
            match split_source(agg.input(), parts, batch_size)? {
                Some(input) => {
                    let rebuilt = Arc::clone(&node).replace_children(vec![input], RECOMPUTE)?;
                    Ok(Transformed::yes(rebuilt))
                }
                None => Ok(Transformed::no(node)),
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "parallel_numbers"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// True when every aggregate of `agg` gives the same result for any order of its rows.
fn order_insensitive(agg: &AggregateExec) -> bool {
    let schema = agg.input_schema();
    agg.aggr_expr().iter().all(|e| {
        if e.is_distinct() || !e.order_bys().is_empty() {
            return false;
        }
        let name = e.fun().name();
        let base = name.strip_suffix("If").unwrap_or(name);
        match base {
            "count" | "uniq" | "uniqExact" | "uniqHLL12" | "uniqCombined" | "uniqCombined64"
            | "uniqTheta" => true,
            "sum" | "avg" | "min" | "max" => {
                // `-If` has the condition last; the value arguments must not be floats.
                let args = e.expressions();
                let values = if base.len() == name.len() {
                    &args[..]
                } else {
                    &args[..args.len().saturating_sub(1)]
                };
                values
                    .iter()
                    .all(|a| a.data_type(&schema).is_ok_and(|t| !has_float(&t)))
            }
            _ => false,
        }
    })
}

fn has_float(t: &DataType) -> bool {
    match t {
        DataType::Float16 | DataType::Float32 | DataType::Float64 => true,
        DataType::Dictionary(_, v) => has_float(v),
        _ => false,
    }
}

/// The chain of projections and filters under the aggregation with its `numbers` or
/// memory source split in `parts`; `None` when the chain ends elsewhere or the source
/// stays whole.
fn split_source(
    plan: &Arc<dyn ExecutionPlan>,
    parts: usize,
    batch_size: usize,
) -> DfResult<Option<Arc<dyn ExecutionPlan>>> {
    if let Some(lazy) = plan.downcast_ref::<LazyMemoryExec>() {
        return split_lazy(lazy, parts);
    }
    if plan.children().is_empty() {
        return crate::tables::memory_split::split_memory_scan(plan, parts, batch_size);
    }
    if !plan.is::<ProjectionExec>() && !plan.is::<FilterExec>() {
        return Ok(None);
    }
    let [child] = plan.children()[..] else {
        return Ok(None);
    };
    match split_source(child, parts, batch_size)? {
        Some(c) => Ok(Some(Arc::clone(plan).replace_children(vec![c], RECOMPUTE)?)),
        None => Ok(None),
    }
}

fn split_lazy(lazy: &LazyMemoryExec, parts: usize) -> DfResult<Option<Arc<dyn ExecutionPlan>>> {
    let [generator] = &lazy.generators()[..] else {
        return Ok(None);
    };
    let (pieces, schema): (Vec<NumbersGenerator>, Arc<Schema>) = {
        let g = generator.read();
        let Some(numbers) = g.as_any().downcast_ref::<NumbersGenerator>() else {
            return Ok(None);
        };
        match numbers.split(parts) {
            Some(p) => (p, numbers.schema()),
            None => return Ok(None),
        }
    };
    if schema != lazy.schema() {
        return Ok(None); // a projection inside the exec: leave it
    }
    let generators: Vec<Arc<RwLock<dyn LazyBatchGenerator>>> = pieces
        .into_iter()
        .map(|p| Arc::new(RwLock::new(p)) as Arc<RwLock<dyn LazyBatchGenerator>>)
        .collect();
    Ok(Some(Arc::new(LazyMemoryExec::try_new(schema, generators)?)))
}
