//! [`rewrite_aggregate_args`]: an [`AggregateExec`] with the argument expressions of its
//! aggregates rewritten, for the physical rules that replace expressions
//! ([`crate::modulo_equals`], [`crate::case_branches`]).

use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::common::tree_node::Transformed;
use datafusion::error::Result as DfResult;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::aggregates::AggregateExec;

/// `agg` with every aggregate argument passed through `rewrite` (given the aggregation's
/// input schema); `None` when nothing changed. `ORDER BY` expressions stay.
pub(crate) fn rewrite_aggregate_args(
    agg: &AggregateExec,
    rewrite: impl Fn(Arc<dyn PhysicalExpr>, &Schema) -> DfResult<Transformed<Arc<dyn PhysicalExpr>>>,
) -> DfResult<Option<AggregateExec>> {
    let schema = agg.input_schema();
    let mut changed = false;
    let mut exprs = Vec::with_capacity(agg.aggr_expr().len());
    for e in agg.aggr_expr() {
        let mut args = Vec::new();
        let mut any = false;
        for a in e.expressions() {
            let t = rewrite(a, &schema)?;
            any |= t.transformed;
            args.push(t.data);
        }
        let order: Vec<Arc<dyn PhysicalExpr>> =
            e.order_bys().iter().map(|s| Arc::clone(&s.expr)).collect();
        match any.then(|| e.with_new_expressions(args, order)).flatten() {
            Some(new) => {
                changed = true;
                exprs.push(Arc::new(new));
            }
            None => exprs.push(Arc::clone(e)),
        }
    }
    Ok(changed.then(|| agg.with_new_aggr_exprs(exprs)))
}
