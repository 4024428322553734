//! `GROUP BY … WITH TOTALS`: the query that computes the totals row, built from the
//! rewritten query (without `GROUP BY` it is the query itself, which must aggregate). As in ClickHouse (`totals_mode = 'after_having_exclusive'`):
//!
//! - the aggregates run over every row of the groups that pass `HAVING` (all rows without
//!   `HAVING`), in one group, so the result always has one row (`count()` is 0 on no rows);
//! - outside aggregate calls, each grouping key takes its type's default value, and
//!   expressions over keys are computed from those defaults (`toString(k)` is `'0'`);
//! - `ORDER BY`, `LIMIT` and `LIMIT BY` do not apply.
//!
//! ```sql
//! SELECT k, count() FROM t WHERE w GROUP BY k WITH TOTALS HAVING h
//! -- totals:
//! SELECT defaultValueOfArgumentType(any(k)), count() FROM t
//! WHERE w AND k IN (SELECT k FROM t WHERE w GROUP BY k HAVING h)
//! ```
//! Several keys are compared as one tuple.
//!
//! Order-dependent aggregates (`groupArray`) see the rows in scan order, where ClickHouse
//! merges the groups' states in group order.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Function, GroupByExpr, Ident, Query, SelectItem, SetExpr, TableAlias, TableFactor, Value,
    ValueWithSpan, VisitMut, VisitorMut,
};
use sluice_common::{Error, Result};

use super::expr::call;
use super::functions::function_name;

/// The totals query of `q` (already rewritten). `is_aggregate` tells aggregate function
/// names apart.
pub fn totals_query(q: &Query, is_aggregate: &dyn Fn(&str) -> bool) -> Result<Query> {
    let mut t = q.clone();
    t.order_by = None;
    t.limit_clause = None;
    t.fetch = None;
    let shell = t.clone();
    let SetExpr::Select(select) = t.body.as_mut() else {
        return Err(Error::not_implemented("WITH TOTALS on a UNION"));
    };
    let keys: Vec<Expr> = match &select.group_by {
        GroupByExpr::Expressions(exprs, _) => exprs
            .iter()
            .map(|e| positional(e, &select.projection).unwrap_or_else(|| e.clone()))
            .collect(),
        GroupByExpr::All(_) => return Err(Error::not_implemented("GROUP BY ALL WITH TOTALS")),
    };
    // A select without keys and aggregates over a table (not over a subquery, whose own
    // `WITH TOTALS` this may be) is ClickHouse's error.
    let over_subquery = select
        .from
        .iter()
        .any(|f| matches!(f.relation, TableFactor::Derived { .. }));
    if keys.is_empty() && !over_subquery && !has_aggregate(&select.projection, is_aggregate) {
        return Err(sluice_common::ch_err!(
            NOT_IMPLEMENTED,
            "WITH TOTALS, ROLLUP, CUBE or GROUPING SETS are not supported without aggregation"
        ));
    }
    if keys
        .iter()
        .any(|k| matches!(k, Expr::Rollup(_) | Expr::Cube(_) | Expr::GroupingSets(_)))
    {
        return Err(Error::not_implemented(
            "WITH TOTALS together with ROLLUP/CUBE",
        ));
    }
    if let Some(having) = select.having.take()
        && !keys.is_empty()
    {
        let mut passing = (**select).clone();
        passing.having = Some(having);
        passing.projection = vec![SelectItem::UnnamedExpr(key_tuple(&keys))];
        // Unaliased derived tables in both scopes make the keys ambiguous to DataFusion.
        name_derived_tables(&mut passing.from, "__sluice_totals_inner");
        name_derived_tables(&mut select.from, "__sluice_totals");
        let sub = Query {
            body: Box::new(SetExpr::Select(Box::new(passing))),
            ..shell
        };
        let cond = Expr::InSubquery {
            expr: Box::new(key_tuple(&keys)),
            subquery: Box::new(sub),
            negated: false,
        };
        select.selection = Some(match select.selection.take() {
            Some(w) => Expr::BinaryOp {
                left: Box::new(Expr::Nested(Box::new(w))),
                op: datafusion::sql::sqlparser::ast::BinaryOperator::And,
                right: Box::new(call("__ch_bool", vec![cond])),
            },
            None => call("__ch_bool", vec![cond]),
        });
    }
    select.group_by = GroupByExpr::Expressions(vec![], vec![]);
    let mut defaults = KeyDefaults {
        keys: keys.iter().map(strip_nested).collect(),
        is_aggregate,
        depth: 0,
    };
    for item in select.projection.iter_mut() {
        if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
            let _ = e.visit(&mut defaults);
        }
    }
    Ok(t)
}

/// Whether a select list calls an aggregate function (outside window calls).
fn has_aggregate(projection: &[SelectItem], is_aggregate: &dyn Fn(&str) -> bool) -> bool {
    let mut found = false;
    for item in projection {
        if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
            let _ = datafusion::sql::sqlparser::ast::visit_expressions(e, |x: &Expr| {
                if let Expr::Function(f @ Function { over: None, .. }) = x
                    && is_aggregate(&function_name(f))
                {
                    found = true;
                }
                ControlFlow::<()>::Continue(())
            });
        }
    }
    found
}

fn name_derived_tables(from: &mut [datafusion::sql::sqlparser::ast::TableWithJoins], name: &str) {
    for twj in from.iter_mut() {
        if let TableFactor::Derived {
            alias: a @ None, ..
        } = &mut twj.relation
        {
            *a = Some(TableAlias {
                explicit: true,
                name: Ident::new(name),
                columns: vec![],
                at: None,
            });
        }
    }
}

/// `GROUP BY 2` → the second select item's expression.
fn positional(e: &Expr, projection: &[SelectItem]) -> Option<Expr> {
    let Expr::Value(ValueWithSpan {
        value: Value::Number(n, _),
        ..
    }) = e
    else {
        return None;
    };
    let idx: usize = n.parse().ok()?;
    match projection.get(idx.checked_sub(1)?)? {
        SelectItem::UnnamedExpr(x) | SelectItem::ExprWithAlias { expr: x, .. } => Some(x.clone()),
        _ => None,
    }
}

fn key_tuple(keys: &[Expr]) -> Expr {
    match keys {
        [k] => k.clone(),
        _ => call("tuple", keys.to_vec()),
    }
}

fn strip_nested(e: &Expr) -> Expr {
    match e {
        Expr::Nested(inner) => strip_nested(inner),
        other => other.clone(),
    }
}

/// Replaces grouping keys outside aggregate calls by their type's default value.
struct KeyDefaults<'a> {
    keys: Vec<Expr>,
    is_aggregate: &'a dyn Fn(&str) -> bool,
    depth: usize,
}

impl KeyDefaults<'_> {
    fn is_aggregate_call(&self, e: &Expr) -> bool {
        matches!(e, Expr::Function(f @ Function { over: None, .. })
            if (self.is_aggregate)(&function_name(f)))
    }
}

impl VisitorMut for KeyDefaults<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if self.is_aggregate_call(e) {
            self.depth += 1;
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if self.is_aggregate_call(e) {
            self.depth -= 1;
            return ControlFlow::Continue(());
        }
        if self.depth == 0 && !matches!(e, Expr::Nested(_)) && self.keys.contains(e) {
            let key = std::mem::replace(e, Expr::Value(Value::Null.into()));
            *e = call("defaultValueOfArgumentType", vec![call("any", vec![key])]);
        }
        ControlFlow::Continue(())
    }
}
