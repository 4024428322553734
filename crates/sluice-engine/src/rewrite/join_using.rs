//! The key column of a `RIGHT`/`FULL JOIN … USING (k)`: ClickHouse's `k` is the right
//! side's value in rows only the right side has (DataFusion resolves the unqualified `k`
//! and `SELECT *` to the left side's column, which is empty there).
//!
//! [`using_keys_from_both_sides`] puts a projection above each such join that replaces the
//! left key with `coalesce(left.k, right.k)` (`FULL`) or `right.k` (`RIGHT`), cast to the
//! left key's type. It runs after the outer-join defaults are filled (those projections sit
//! right above the join, so they see the replaced key). Known difference: an explicitly
//! qualified `left.k` of a right-only row shows the right value too (ClickHouse: default).

use std::sync::Arc;

use datafusion::common::Column;
use datafusion::common::tree_node::Transformed;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::expr::Alias;
use datafusion::logical_expr::{
    Cast, Expr, ExprSchemable, JoinConstraint, JoinType, LogicalPlan, Projection,
};

/// Rewrites every `RIGHT`/`FULL` `USING` join of `plan` (subqueries included).
pub fn using_keys_from_both_sides(plan: LogicalPlan) -> DfResult<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| {
        let LogicalPlan::Join(join) = &node else {
            return Ok(Transformed::no(node));
        };
        let full = match join.join_type {
            JoinType::Full => true,
            JoinType::Right => false,
            _ => return Ok(Transformed::no(node)),
        };
        if join.join_constraint != JoinConstraint::Using {
            return Ok(Transformed::no(node));
        }
        let keys: Vec<(Column, Expr)> = join
            .on
            .iter()
            .filter_map(|(l, r)| match l {
                Expr::Column(c) => Some((c.clone(), r.clone())),
                _ => None,
            })
            .collect();
        if keys.is_empty() {
            return Ok(Transformed::no(node));
        }
        let left_schema = Arc::clone(join.left.schema());
        let out_schema = Arc::clone(&join.schema);
        let mut exprs = Vec::with_capacity(out_schema.fields().len());
        for (qualifier, field) in out_schema.iter() {
            let column = Column::new(qualifier.cloned(), field.name());
            let key = keys.iter().find(|(c, _)| {
                c.name == column.name
                    && (c.relation == column.relation || c.relation.is_none())
                    && left_schema.has_column(&column)
            });
            let Some((_, right_key)) = key else {
                exprs.push(Expr::Column(column));
                continue;
            };
            let right_type = right_key.get_type(join.right.schema())?;
            let right_value = if &right_type == field.data_type() {
                right_key.clone()
            } else {
                Expr::Cast(Cast::new(
                    Box::new(right_key.clone()),
                    field.data_type().clone(),
                ))
            };
            let value = if full {
                Expr::ScalarFunction(datafusion::logical_expr::expr::ScalarFunction::new_udf(
                    datafusion::functions::core::coalesce(),
                    vec![Expr::Column(column), right_value],
                ))
            } else {
                right_value
            };
            exprs.push(Expr::Alias(Alias::new(
                value,
                qualifier.cloned(),
                field.name(),
            )));
        }
        let projection = Projection::try_new(exprs, Arc::new(node))?;
        Ok(Transformed::yes(LogicalPlan::Projection(projection)))
    })
    .map(|t| t.data)
}
