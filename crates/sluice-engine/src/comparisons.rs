//! ClickHouse's argument rules for the SQL comparison operators (`=`, `!=`, `<`, `<=`, `>`,
//! `>=`), applied to the logical plan before DataFusion's analyzer coerces it. The operators
//! stay DataFusion's native ones so that predicates still reach table scans; only the
//! argument pairs where the two systems disagree are handled here:
//!
//! - `Date`/`Date32` with a number (`toDate('2018-01-01') < 1`) is `ILLEGAL_TYPE_OF_ARGUMENT`;
//! - `DateTime` with a number compares the Unix time in seconds with the number, and
//!   `DateTime64(p)` compares its value in seconds with fraction (`= 1514764800` holds for
//!   `2018-01-01 00:00:00.000`); DataFusion cannot coerce the pair at all. Its SQL planner
//!   rejects the pair while planning a select list, so [`TimeNumberComparisons`] (an
//!   `ExprPlanner` the engine registers) rewrites it as the SQL is planned; the plan pass
//!   covers comparisons built otherwise.

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::DFSchema;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{BinaryExpr, Cast, Expr, ExprSchemable, LogicalPlan, Operator, lit};
use datafusion::sql::sqlparser::ast::BinaryOperator;
use sluice_common::{ChType, Error, ErrorCode, Result};

/// Applies the rules to every comparison of `plan`, subqueries included. Expressions whose
/// type cannot be derived here are left to DataFusion. Output names are preserved.
pub fn apply_comparison_rules(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| {
        let schema = input_schema(&node);
        let names = NamePreserver::new(&node);
        node.map_expressions(|e| {
            let saved = names.save(&e);
            e.transform_up(|sub| rewrite_comparison(sub, &schema))
                .map(|t| t.update_data(|e| saved.restore(e)))
        })
    })
    .map(|t| t.data)
    .map_err(crate::error::from_datafusion)
}

/// The schema a node's expressions are resolved against: its inputs' columns together.
fn input_schema(node: &LogicalPlan) -> DFSchema {
    let mut schema = DFSchema::empty();
    for input in node.inputs() {
        schema.merge(input.schema());
    }
    schema
}

fn function_name(op: Operator) -> Option<&'static str> {
    Some(match op {
        Operator::Eq => "equals",
        Operator::NotEq => "notEquals",
        Operator::Lt => "less",
        Operator::LtEq => "lessOrEquals",
        Operator::Gt => "greater",
        Operator::GtEq => "greaterOrEquals",
        _ => return None,
    })
}

/// Plans `DateTime`/`DateTime64` compared with a number (`SELECT now() > 0`) while the SQL
/// is planned, before DataFusion's type check of the pair can reject it.
#[derive(Debug)]
pub struct TimeNumberComparisons;

impl ExprPlanner for TimeNumberComparisons {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> datafusion::error::Result<PlannerResult<RawBinaryExpr>> {
        let op = match expr.op {
            BinaryOperator::Eq => Operator::Eq,
            BinaryOperator::NotEq => Operator::NotEq,
            BinaryOperator::Lt => Operator::Lt,
            BinaryOperator::LtEq => Operator::LtEq,
            BinaryOperator::Gt => Operator::Gt,
            BinaryOperator::GtEq => Operator::GtEq,
            _ => return Ok(PlannerResult::Original(expr)),
        };
        let (Ok(l), Ok(r)) = (expr.left.get_type(schema), expr.right.get_type(schema)) else {
            return Ok(PlannerResult::Original(expr));
        };
        let RawBinaryExpr {
            op: raw_op,
            left,
            right,
        } = expr;
        let (left, right) = match (&l, &r) {
            (DataType::Timestamp(unit, _), n) if is_number(n) => {
                time_vs_number(left, *unit, right, n)
            }
            (n, DataType::Timestamp(unit, _)) if is_number(n) => {
                let (t, n) = time_vs_number(right, *unit, left, n);
                (n, t)
            }
            _ => {
                return Ok(PlannerResult::Original(RawBinaryExpr {
                    op: raw_op,
                    left,
                    right,
                }));
            }
        };
        Ok(PlannerResult::Planned(Expr::BinaryExpr(BinaryExpr::new(
            Box::new(left),
            op,
            Box::new(right),
        ))))
    }
}

fn is_number(t: &DataType) -> bool {
    t.is_integer()
        || t.is_floating()
        || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..))
}

fn rewrite_comparison(e: Expr, schema: &DFSchema) -> datafusion::error::Result<Transformed<Expr>> {
    let Expr::BinaryExpr(b) = &e else {
        return Ok(Transformed::no(e));
    };
    let Some(name) = function_name(b.op) else {
        return Ok(Transformed::no(e));
    };
    let (Ok((_, left)), Ok((_, right))) = (b.left.to_field(schema), b.right.to_field(schema))
    else {
        return Ok(Transformed::no(e));
    };
    let (l, r) = (left.data_type(), right.data_type());
    let date = |t: &DataType| matches!(t, DataType::Date32 | DataType::Date64);
    if (date(l) && is_number(r)) || (is_number(l) && date(r)) {
        let (lt, rt) = (ChType::from_field(&left), ChType::from_field(&right));
        return Err(datafusion::error::DataFusionError::External(Box::new(
            Error::new(
                ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
                format!("Illegal types of arguments (`{lt}`, `{rt}`) of function `{name}`"),
            ),
        )));
    }
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = e else {
        return Ok(Transformed::no(e));
    };
    let (left, right) = match (l, r) {
        (DataType::Timestamp(unit, _), n) if is_number(n) => {
            let (t, n) = time_vs_number(*left, *unit, *right, n);
            (t, n)
        }
        (n, DataType::Timestamp(unit, _)) if is_number(n) => {
            let (t, n) = time_vs_number(*right, *unit, *left, n);
            (n, t)
        }
        _ => {
            return Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr {
                left,
                op,
                right,
            })));
        }
    };
    Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr {
        left: Box::new(left),
        op,
        right: Box::new(right),
    })))
}

/// The time as its raw `Int64` count of `unit`s, and the number scaled to that unit.
fn time_vs_number(time: Expr, unit: TimeUnit, number: Expr, nt: &DataType) -> (Expr, Expr) {
    let raw = Expr::Cast(Cast::new(Box::new(time), DataType::Int64));
    let scale: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    if scale == 1 {
        return (raw, number);
    }
    let scaled = if nt.is_integer() {
        Expr::Cast(Cast::new(Box::new(number), DataType::Int64)) * lit(scale)
    } else {
        Expr::Cast(Cast::new(Box::new(number), DataType::Float64)) * lit(scale as f64)
    };
    (raw, scaled)
}
