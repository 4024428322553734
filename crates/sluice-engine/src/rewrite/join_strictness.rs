//! ClickHouse join strictness on DataFusion joins: `ANY`, `SEMI` and `ANTI`
//! (`ALL`, the default, is DataFusion's join).
//!
//! `sluice-sql` puts a zero-column marker relation before a join with such a strictness
//! (`l CROSS JOIN __sluice_join_any() LEFT JOIN r`, see [`sluice_sql::JoinStrictness`]);
//! [`register_markers`] makes the markers plannable and [`apply_join_strictness`] finds
//! each one in the logical plan, removes it and rewrites the join after it:
//!
//! - `ANY LEFT` / `SEMI LEFT`: every left row numbered, every right row numbered; the
//!   join (`LEFT` / `INNER`) keeps, per left row, the match with the lowest right number
//!   (the first right row in scan order, as ClickHouse's hash table keeps the first row
//!   of a key). `ANY RIGHT` / `SEMI RIGHT` mirror it.
//! - `ANY INNER`: per left row its first match, then per right row its first left row, so
//!   each key pairs its first left row with its first right row (ClickHouse ≥ 20).
//! - `ANTI LEFT` / `ANTI RIGHT`: DataFusion's `LeftAnti` / `RightAnti`, the other side's
//!   columns filled with their type's default (`NULL` with `join_use_nulls`).
//! - `ASOF [LEFT]`: see [`super::join_asof`].

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, DFSchema, ScalarValue};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::SessionState;
use datafusion::logical_expr::expr::{Alias, Sort};
use datafusion::logical_expr::{
    Cast, Expr, ExprFunctionExt, Filter, Join, JoinConstraint, JoinType, LogicalPlan, Projection,
    TableType, Window, lit,
};
use datafusion::physical_plan::ExecutionPlan;
use sluice_common::{Error, ErrorCode};
use sluice_sql::JoinStrictness;

/// Column numbering the rows of a join's left input.
pub(super) const LEFT_ROW: &str = "__sluice_left_row";
/// Column numbering the rows of a join's right input.
pub(super) const RIGHT_ROW: &str = "__sluice_right_row";
/// Column ranking the matches of one row.
pub(super) const MATCH_RANK: &str = "__sluice_match_rank";

/// Registers the marker table functions on `state`.
pub fn register_markers(state: &mut SessionState) {
    for s in JoinStrictness::ALL {
        state.register_udtf(s.marker_name(), Arc::new(MarkerFunc));
    }
}

#[derive(Debug)]
struct MarkerFunc;

impl TableFunctionImpl for MarkerFunc {
    fn call_with_args(&self, _args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        Ok(Arc::new(MarkerTable {
            schema: Arc::new(datafusion::arrow::datatypes::Schema::empty()),
        }))
    }
}

/// The marker relation: zero columns; reading it means the marker was not consumed.
#[derive(Debug)]
struct MarkerTable {
    schema: SchemaRef,
}

#[async_trait::async_trait]
impl TableProvider for MarkerTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        _projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Err(DataFusionError::External(Box::new(Error::new(
            ErrorCode::NOT_IMPLEMENTED,
            "ANY/SEMI/ANTI/ASOF join strictness is not supported in this context",
        ))))
    }
}

/// Rewrites every join that follows a strictness marker (subqueries included). Run on the
/// plan as DataFusion's SQL planner made it, before the outer-join defaults are filled.
pub fn apply_join_strictness(plan: LogicalPlan, join_use_nulls: bool) -> DfResult<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| {
        let LogicalPlan::Join(join) = &node else {
            return Ok(Transformed::no(node));
        };
        let Some((strictness, left)) = strip_marker(&join.left) else {
            return Ok(Transformed::no(node));
        };
        rewrite_join(join, strictness, left, join_use_nulls).map(Transformed::yes)
    })
    .map(|t| t.data)
}

/// When `plan` is `X CROSS JOIN marker`, the marker's strictness and `X`.
fn strip_marker(plan: &LogicalPlan) -> Option<(JoinStrictness, Arc<LogicalPlan>)> {
    let LogicalPlan::Join(cross) = plan else {
        return None;
    };
    if cross.join_type != JoinType::Inner || !cross.on.is_empty() || cross.filter.is_some() {
        return None;
    }
    let mut right = cross.right.as_ref();
    while let LogicalPlan::SubqueryAlias(a) = right {
        right = a.input.as_ref();
    }
    let LogicalPlan::TableScan(scan) = right else {
        return None;
    };
    // DataFusion names a table function's scan with its call (`__sluice_join_any()`).
    let name = scan.table_name.table();
    let strictness = JoinStrictness::from_marker_name(name.split('(').next().unwrap_or(name))?;
    Some((strictness, Arc::clone(&cross.left)))
}

fn rewrite_join(
    join: &Join,
    strictness: JoinStrictness,
    left: Arc<LogicalPlan>,
    join_use_nulls: bool,
) -> DfResult<LogicalPlan> {
    let kind = join.join_type;
    if strictness == JoinStrictness::Asof {
        return super::join_asof::rewrite_asof(join, left);
    }
    if strictness == JoinStrictness::Anti {
        let anti = match kind {
            JoinType::Left => JoinType::LeftAnti,
            JoinType::Right => JoinType::RightAnti,
            other => return Err(internal(&format!("ANTI join planned as {other}"))),
        };
        let joined = Join::try_new(
            Arc::clone(&left),
            Arc::clone(&join.right),
            join.on.clone(),
            join.filter.clone(),
            anti,
            join.join_constraint,
            join.null_equality,
            false,
        )?;
        let filled = if kind == JoinType::Left {
            join.right.schema()
        } else {
            left.schema()
        };
        let mut exprs = Vec::with_capacity(join.schema.fields().len());
        let left_len = left.schema().fields().len();
        for (i, (qualifier, field)) in join.schema.iter().enumerate() {
            let from_filled = if kind == JoinType::Left {
                i >= left_len
            } else {
                i < left_len
            };
            let using_key = (kind == JoinType::Right
                && join.join_constraint == JoinConstraint::Using)
                .then(|| {
                    join.on.iter().find_map(|(l, r)| match l {
                        Expr::Column(c)
                            if c.name == *field.name() && c.relation.as_ref() == qualifier =>
                        {
                            Some(r.clone())
                        }
                        _ => None,
                    })
                })
                .flatten();
            if let Some(right_key) = using_key {
                // `RIGHT ANTI JOIN … USING (k)`: `k` is the right row's.
                exprs.push(Expr::Alias(Alias::new(
                    Expr::Cast(Cast::new(Box::new(right_key), field.data_type().clone())),
                    qualifier.cloned(),
                    field.name(),
                )));
            } else if from_filled {
                let source = if kind == JoinType::Left {
                    filled.field(i - left_len)
                } else {
                    filled.field(i)
                };
                let value = if join_use_nulls || source.is_nullable() {
                    ScalarValue::try_from(field.data_type())?
                } else {
                    ScalarValue::new_default(field.data_type())?
                };
                let metadata = (!source.metadata().is_empty()).then(|| {
                    datafusion::common::metadata::FieldMetadata::from(source.metadata().clone())
                });
                exprs.push(Expr::Alias(Alias::new(
                    Expr::Literal(value, metadata),
                    qualifier.cloned(),
                    field.name(),
                )));
            } else {
                exprs.push(Expr::Column(Column::new(qualifier.cloned(), field.name())));
            }
        }
        let projection = Projection::try_new(exprs, Arc::new(LogicalPlan::Join(joined)))?;
        return Ok(LogicalPlan::Projection(projection));
    }
    let numbered_left = number_rows(left, LEFT_ROW)?;
    let numbered_right = number_rows(Arc::clone(&join.right), RIGHT_ROW)?;
    let inner_kind = match (strictness, kind) {
        (JoinStrictness::Semi, _) => JoinType::Inner,
        (_, k) => k,
    };
    let joined = LogicalPlan::Join(Join::try_new(
        numbered_left,
        numbered_right,
        join.on.clone(),
        join.filter.clone(),
        inner_kind,
        join.join_constraint,
        join.null_equality,
        false,
    )?);
    let deduped = match kind {
        JoinType::Left => first_match(joined, LEFT_ROW, RIGHT_ROW)?,
        JoinType::Right => first_match(joined, RIGHT_ROW, LEFT_ROW)?,
        JoinType::Inner => {
            let per_left = first_match(joined, LEFT_ROW, RIGHT_ROW)?;
            first_match(per_left, RIGHT_ROW, LEFT_ROW)?
        }
        other => return Err(internal(&format!("ANY join planned as {other}"))),
    };
    // Back to the join's own columns (the row numbers dropped).
    let exprs = columns_of(&join.schema);
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(deduped),
    )?))
}

/// `plan` with a column `name` numbering its rows in the order they arrive.
pub(super) fn number_rows(plan: Arc<LogicalPlan>, name: &str) -> DfResult<Arc<LogicalPlan>> {
    let number = datafusion::functions_window::expr_fn::row_number().alias(name);
    Ok(Arc::new(LogicalPlan::Window(Window::try_new(
        vec![number],
        plan,
    )?)))
}

/// The rows of `plan` with the lowest `order` among those with the same `per` value.
fn first_match(plan: LogicalPlan, per: &str, order: &str) -> DfResult<LogicalPlan> {
    let per_col = unqualified(plan.schema(), per)?;
    let order_col = unqualified(plan.schema(), order)?;
    let rank = datafusion::functions_window::expr_fn::row_number()
        .partition_by(vec![per_col])
        .order_by(vec![Sort::new(order_col, true, false)])
        .build()?
        .alias(MATCH_RANK);
    let window = LogicalPlan::Window(Window::try_new(vec![rank], Arc::new(plan))?);
    let rank_col = unqualified(window.schema(), MATCH_RANK)?;
    let filtered = LogicalPlan::Filter(Filter::try_new(rank_col.eq(lit(1u64)), Arc::new(window))?);
    // Drop the rank so that the next step can add its own.
    let keep: Vec<Expr> = filtered
        .schema()
        .iter()
        .filter(|(_, f)| f.name() != MATCH_RANK)
        .map(|(q, f)| Expr::Column(Column::new(q.cloned(), f.name())))
        .collect();
    Ok(LogicalPlan::Projection(Projection::try_new(
        keep,
        Arc::new(filtered),
    )?))
}

/// The column of `schema` named `name`, with its qualifier.
pub(super) fn unqualified(schema: &DFSchema, name: &str) -> DfResult<Expr> {
    let (q, f) = schema.qualified_field_with_unqualified_name(name)?;
    Ok(Expr::Column(Column::new(q.cloned(), f.name())))
}

/// Column references to every field of `schema` (by qualifier and name).
pub(super) fn columns_of(schema: &DFSchema) -> Vec<Expr> {
    schema
        .iter()
        .map(|(q, f)| Expr::Column(Column::new(q.cloned(), f.name())))
        .collect()
}

fn internal(what: &str) -> DataFusionError {
    DataFusionError::External(Box::new(Error::internal(format!(
        "join strictness: {what} (a bug)"
    ))))
}
