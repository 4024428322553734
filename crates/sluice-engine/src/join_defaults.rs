//! ClickHouse's `join_use_nulls = 0` (the default): in an outer join, columns of the side
//! without a match take their type's default value (0, '', 1970-01-01 …) instead of NULL,
//! unless the column's type is itself `Nullable`. DataFusion always produces NULL there, so
//! a projection above each outer join puts the defaults back.

use std::sync::Arc;

use datafusion::arrow::datatypes::Field;
use datafusion::common::metadata::FieldMetadata;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, ScalarValue, TableReference};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan, Projection, expr::Alias};

/// Rewrites every outer join of `plan` (including those in subqueries).
pub fn fill_outer_join_defaults(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| {
        let LogicalPlan::Join(join) = &node else {
            return Ok(Transformed::no(node));
        };
        let (fill_left, fill_right) = match join.join_type {
            JoinType::Left => (false, true),
            JoinType::Right => (true, false),
            JoinType::Full => (true, true),
            _ => return Ok(Transformed::no(node)),
        };
        let left_len = join.left.schema().fields().len();
        let left_schema = Arc::clone(join.left.schema());
        let right_schema = Arc::clone(join.right.schema());
        let out_schema = Arc::clone(&join.schema);
        let mut changed = false;
        let mut exprs = Vec::with_capacity(out_schema.fields().len());
        for (i, (qualifier, field)) in out_schema.iter().enumerate() {
            let column = Expr::Column(datafusion::common::Column::new(
                qualifier.cloned(),
                field.name(),
            ));
            let (fill, source) = if i < left_len {
                (fill_left, input_field(&left_schema, i))
            } else {
                (fill_right, input_field(&right_schema, i - left_len))
            };
            // Only columns that were non-Nullable on their own side get a default.
            if fill && source == Some(false) {
                match default_in_place_of_null(column, qualifier, field) {
                    Ok(e) => {
                        changed = true;
                        exprs.push(e);
                    }
                    Err(column) => exprs.push(column),
                }
            } else {
                exprs.push(column);
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

/// `coalesce(column, <default of the field's type>)` named and typed like `field` (its
/// ClickHouse type metadata kept), or the column back when the type has no default.
pub(crate) fn default_in_place_of_null(
    column: Expr,
    qualifier: Option<&TableReference>,
    field: &Field,
) -> std::result::Result<Expr, Expr> {
    let Ok(d) = ScalarValue::new_default(field.data_type()) else {
        return Err(column);
    };
    let coalesced = Expr::ScalarFunction(datafusion::logical_expr::expr::ScalarFunction::new_udf(
        datafusion::functions::core::coalesce(),
        vec![column, Expr::Literal(d, None)],
    ));
    let metadata = (!field.metadata().is_empty()).then(|| FieldMetadata::from(field));
    Ok(Expr::Alias(
        Alias::new(coalesced, qualifier.cloned(), field.name()).with_metadata(metadata),
    ))
}

/// Whether the `i`-th field of an input schema is nullable (`None` when out of range).
fn input_field(schema: &DFSchema, i: usize) -> Option<bool> {
    (i < schema.fields().len()).then(|| schema.field(i).is_nullable())
}
