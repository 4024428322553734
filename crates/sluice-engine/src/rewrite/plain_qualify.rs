//! `QUALIFY` without a window function. ClickHouse runs `QUALIFY cond` as a filter after
//! the window functions, whether or not the query has any; DataFusion plans `QUALIFY` only
//! next to a window function. Without one, the filter runs at the same point as `HAVING`
//! (a grouping or aggregating query) or `WHERE` (any other), so it is folded into that
//! clause (`AND`), aliases included (they are substituted there afterwards).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Function, GroupByExpr, Select, SelectItem, visit_expressions,
};

use super::functions::function_name;

/// Moves a window-free `QUALIFY` of `s` into its `HAVING` or `WHERE`.
pub(super) fn fold_plain_qualify(s: &mut Select) {
    let Some(cond) = s.qualify.take() else {
        return;
    };
    let items = || {
        s.projection.iter().filter_map(|i| match i {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
            _ => None,
        })
    };
    let any_call = |pred: &dyn Fn(&Function) -> bool| {
        items()
            .chain(std::iter::once(&cond))
            .any(|e| calls(e, pred))
    };
    if any_call(&|f| f.over.is_some()) || !s.named_window.is_empty() {
        s.qualify = Some(cond);
        return;
    }
    let grouped = match &s.group_by {
        GroupByExpr::All(_) => true,
        GroupByExpr::Expressions(keys, _) => !keys.is_empty(),
    };
    let aggregating = grouped || s.having.is_some() || any_call(&is_aggregate);
    let target = if aggregating {
        &mut s.having
    } else {
        &mut s.selection
    };
    *target = Some(match target.take() {
        Some(existing) => Expr::BinaryOp {
            left: Box::new(Expr::Nested(Box::new(existing))),
            op: BinaryOperator::And,
            right: Box::new(Expr::Nested(Box::new(cond))),
        },
        None => cond,
    });
}

/// Whether `e` calls a function `pred` accepts.
fn calls(e: &Expr, pred: &dyn Fn(&Function) -> bool) -> bool {
    visit_expressions(e, |x: &Expr| match x {
        Expr::Function(f) if pred(f) => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

fn is_aggregate(f: &Function) -> bool {
    f.over.is_none()
        && matches!(
            sluice_functions::aggregate::resolve(&function_name(f)),
            Ok(Some(_))
        )
}
