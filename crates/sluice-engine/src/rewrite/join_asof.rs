//! `ASOF [LEFT] JOIN`: ClickHouse's closest-match join, on DataFusion's joins.
//!
//! `l ASOF JOIN r ON l.k = r.k AND l.t >= r.t` pairs each left row with, among the right
//! rows of equal keys that satisfy the one inequality, the one whose `r.t` is closest: the
//! greatest for `>`/`>=`, the least for `<`/`<=`; of equally close rows the first in scan
//! order (what ClickHouse's `ASOF` hash table keeps). `USING (k, t)` means `l.t >= r.t` on
//! its last column. `ASOF LEFT` keeps left rows without a match (the other side's columns
//! at their defaults, filled later like any outer join's).
//!
//! Planned as: both inputs numbered, the equi-join with the inequality as its filter, then
//! per left row the first match ordered by the right side's value of the inequality and the
//! right row number. ClickHouse's refusals are mirrored: no inequality, two of them, or any
//! other condition (`INVALID_JOIN_ON_EXPRESSION` 403), no equality (`NOT_IMPLEMENTED` 48).

use std::sync::Arc;

use datafusion::common::{Column, DFSchema};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::expr::Sort;
use datafusion::logical_expr::{
    BinaryExpr, Expr, ExprFunctionExt, Filter, Join, JoinConstraint, LogicalPlan, Operator,
    Projection, Window, lit,
};
use sluice_common::{Error, ErrorCode};

use super::join_strictness::{
    LEFT_ROW, MATCH_RANK, RIGHT_ROW, columns_of, number_rows, unqualified,
};

/// Which input a join condition's operand reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
    /// Both, or neither (a constant).
    Mixed,
}

/// The inequality of an ASOF join, written left operand first.
struct Inequality {
    left: Expr,
    op: Operator,
    right: Expr,
}

/// Rewrites the join `join` (its marker stripped; `left` is its real left input) as an
/// ASOF join.
pub(super) fn rewrite_asof(join: &Join, left: Arc<LogicalPlan>) -> DfResult<LogicalPlan> {
    let left_schema = Arc::clone(left.schema());
    let right_schema = Arc::clone(join.right.schema());
    let side = |e: &Expr| side_of(e, &left_schema, &right_schema);
    let mut on = join.on.clone();
    let mut inequality: Option<Inequality> = None;
    if let Some(filter) = &join.filter {
        let mut conjuncts = Vec::new();
        split_and(filter, &mut conjuncts);
        for c in conjuncts {
            let Expr::BinaryExpr(BinaryExpr {
                left: a,
                op,
                right: b,
            }) = c
            else {
                return Err(non_equi(c));
            };
            let (a_side, b_side) = (side(a), side(b));
            let (l, r, op) = match (a_side, b_side) {
                (Side::Left, Side::Right) => (a.as_ref().clone(), b.as_ref().clone(), *op),
                (Side::Right, Side::Left) => match op.swap() {
                    Some(swapped) => (b.as_ref().clone(), a.as_ref().clone(), swapped),
                    None => return Err(non_equi(c)),
                },
                _ => return Err(non_equi(c)),
            };
            match op {
                Operator::Eq => on.push((l, r)),
                Operator::Lt | Operator::LtEq | Operator::Gt | Operator::GtEq => {
                    if inequality.is_some() {
                        return Err(ch_error(
                            ErrorCode::INVALID_JOIN_ON_EXPRESSION,
                            "ASOF join does not support multiple inequality predicates in JOIN ON expression",
                        ));
                    }
                    inequality = Some(Inequality {
                        left: l,
                        op,
                        right: r,
                    });
                }
                _ => return Err(non_equi(c)),
            }
        }
    }
    if inequality.is_none() && join.join_constraint == JoinConstraint::Using {
        // `USING (k, t)`: the last column is compared, `l.t >= r.t`.
        inequality = on.pop().map(|(l, r)| Inequality {
            left: l,
            op: Operator::GtEq,
            right: r,
        });
    }
    let Some(inequality) = inequality else {
        return Err(ch_error(
            ErrorCode::INVALID_JOIN_ON_EXPRESSION,
            "ASOF join requires one inequality predicate (<, <=, > or >=) in the JOIN ON \
             expression, in addition to the equality predicates",
        ));
    };
    if on.is_empty() {
        return Err(ch_error(
            ErrorCode::NOT_IMPLEMENTED,
            "ASOF join with hash algorithm needs at least one equi-join column",
        ));
    }
    let closest_first_descending = matches!(inequality.op, Operator::Gt | Operator::GtEq);
    let filter = Expr::BinaryExpr(BinaryExpr::new(
        Box::new(inequality.left),
        inequality.op,
        Box::new(inequality.right.clone()),
    ));
    let joined = LogicalPlan::Join(Join::try_new(
        number_rows(left, LEFT_ROW)?,
        number_rows(Arc::clone(&join.right), RIGHT_ROW)?,
        on,
        Some(filter),
        join.join_type,
        join.join_constraint,
        join.null_equality,
        false,
    )?);
    let rank = datafusion::functions_window::expr_fn::row_number()
        .partition_by(vec![unqualified(joined.schema(), LEFT_ROW)?])
        .order_by(vec![
            Sort::new(inequality.right, !closest_first_descending, false),
            Sort::new(unqualified(joined.schema(), RIGHT_ROW)?, true, false),
        ])
        .build()?
        .alias(MATCH_RANK);
    let window = LogicalPlan::Window(Window::try_new(vec![rank], Arc::new(joined))?);
    let rank_col = unqualified(window.schema(), MATCH_RANK)?;
    let closest = LogicalPlan::Filter(Filter::try_new(rank_col.eq(lit(1u64)), Arc::new(window))?);
    Ok(LogicalPlan::Projection(Projection::try_new(
        columns_of(&join.schema),
        Arc::new(closest),
    )?))
}

/// The conditions of `e`'s `AND`s, each without the `__ch_bool` wrapper that gives
/// ClickHouse's `UInt8` result to comparisons.
fn split_and<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    let e = unwrap_bool(e);
    match e {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And,
            right,
        }) => {
            split_and(left, out);
            split_and(right, out);
        }
        e => out.push(e),
    }
}

fn unwrap_bool(e: &Expr) -> &Expr {
    match e {
        Expr::ScalarFunction(f) if f.func.name() == "__ch_bool" && f.args.len() == 1 => {
            unwrap_bool(&f.args[0])
        }
        e => e,
    }
}

/// The input whose columns `e` reads.
fn side_of(e: &Expr, left: &DFSchema, right: &DFSchema) -> Side {
    let columns = e.column_refs();
    let in_schema = |s: &DFSchema, c: &Column| s.has_column(c);
    if columns.is_empty() {
        Side::Mixed
    } else if columns.iter().all(|c| in_schema(left, c)) {
        Side::Left
    } else if columns.iter().all(|c| in_schema(right, c)) {
        Side::Right
    } else {
        Side::Mixed
    }
}

/// ClickHouse's refusal of a condition other than the equalities and the inequality.
fn non_equi(c: &Expr) -> DataFusionError {
    ch_error(
        ErrorCode::INVALID_JOIN_ON_EXPRESSION,
        &format!(
            "Non equi condition '{c}' from JOIN ON section is supported only for ALL \
             INNER/LEFT/FULL/RIGHT JOINs"
        ),
    )
}

fn ch_error(code: ErrorCode, message: &str) -> DataFusionError {
    DataFusionError::External(Box::new(Error::new(code, message)))
}
