//! ClickHouse's `group_by_use_nulls = 0` (the default): in the rows `ROLLUP`, `CUBE` and
//! `GROUPING SETS` add, a grouping key that is not part of the row's set takes its type's
//! default value (0, '', 1970-01-01 …) instead of NULL, unless the key's type is itself
//! `Nullable`. DataFusion always produces NULL there, so a projection above each such
//! aggregation puts the defaults back.

use std::sync::Arc;

use datafusion::common::Column;
use datafusion::common::tree_node::Transformed;
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, Projection};

use crate::join_defaults::default_in_place_of_null;

/// Rewrites every aggregation over grouping sets in `plan` (including subqueries).
pub fn fill_grouping_set_defaults(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| {
        let LogicalPlan::Aggregate(agg) = &node else {
            return Ok(Transformed::no(node));
        };
        let [Expr::GroupingSet(sets)] = agg.group_expr.as_slice() else {
            return Ok(Transformed::no(node));
        };
        let keys = sets.distinct_expr();
        let input = agg.input.schema();
        // The key columns come first in the aggregation's output, in `keys` order.
        let mut nullable_key = Vec::with_capacity(keys.len());
        for k in &keys {
            nullable_key.push(k.nullable(input.as_ref())?);
        }
        let out_schema = Arc::clone(&agg.schema);
        let mut changed = false;
        let mut exprs = Vec::with_capacity(out_schema.fields().len());
        for (i, (qualifier, field)) in out_schema.iter().enumerate() {
            // The set id is read only by `grouping()`, which DataFusion's analyzer resolves
            // later with a projection of its own directly over the aggregation.
            if field.name() == datafusion::logical_expr::Aggregate::INTERNAL_GROUPING_ID {
                continue;
            }
            let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
            match nullable_key.get(i) {
                Some(false) => match default_in_place_of_null(column, qualifier, field) {
                    Ok(e) => {
                        changed = true;
                        exprs.push(e);
                    }
                    Err(column) => exprs.push(column),
                },
                _ => exprs.push(column),
            }
        }
        if !changed {
            return Ok(Transformed::no(node));
        }
        let projection = Projection::try_new(exprs, Arc::new(node))?;
        Ok(Transformed::yes(LogicalPlan::Projection(projection)))
    })
    .map(|t| t.data)
}
