//! `x IN (SELECT …)` in a select list: DataFusion plans `IN (subquery)` only as a filter, so
//! in an expression it becomes `has((SELECT groupArray(v) FROM (SELECT …) AS s(v)), x)`:
//! the subquery's values collected once into an array by an uncorrelated scalar subquery
//! (`NOT IN`: `not(has(…))`). Applied to select items only (filters plan `IN` natively).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, Query, SelectItem, SetExpr, TableAlias, TableAliasColumnDef, TableFactor,
    TableWithJoins, VisitMut, VisitorMut,
};

use super::expr::call;

const SET_ALIAS: &str = "__sluice_in_set";
const VALUE_ALIAS: &str = "__sluice_in_value";

/// Replaces the `IN (subquery)` forms of `e` (not inside nested queries).
pub fn in_subquery_as_has(e: &mut Expr) {
    let mut v = Replace { depth: 0 };
    let _ = e.visit(&mut v);
}

struct Replace {
    depth: usize,
}

impl VisitorMut for Replace {
    type Break = ();

    fn pre_visit_query(&mut self, _q: &mut Query) -> ControlFlow<()> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _q: &mut Query) -> ControlFlow<()> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if self.depth != 0 {
            return ControlFlow::Continue(());
        }
        let Expr::InSubquery {
            expr,
            subquery,
            negated,
        } = e
        else {
            return ControlFlow::Continue(());
        };
        if !single_column(subquery) {
            return ControlFlow::Continue(());
        }
        let Some(values) = collect_query(subquery.as_ref().clone()) else {
            return ControlFlow::Continue(());
        };
        let has = call(
            "has",
            vec![Expr::Subquery(Box::new(values)), expr.as_ref().clone()],
        );
        *e = if *negated {
            call("not", vec![has])
        } else {
            has
        };
        ControlFlow::Continue(())
    }
}

/// Whether `q` is a select (or set operation of selects) with one non-wildcard column.
fn single_column(q: &Query) -> bool {
    fn body(b: &SetExpr) -> bool {
        match b {
            SetExpr::Select(s) => {
                matches!(
                    s.projection.as_slice(),
                    [SelectItem::UnnamedExpr(_) | SelectItem::ExprWithAlias { .. }]
                )
            }
            SetExpr::Query(q) => body(&q.body),
            SetExpr::SetOperation { left, right, .. } => body(left) && body(right),
            _ => false,
        }
    }
    body(&q.body)
}

/// `SELECT groupArray(v) FROM (q) AS s(v)`.
fn collect_query(q: Query) -> Option<Query> {
    let sql = format!("SELECT groupArray({VALUE_ALIAS}) FROM {SET_ALIAS}");
    let parsed = sluice_sql::parse_statements(&sql)
        .ok()
        .and_then(|mut v| v.pop())
        .map(|p| p.statement);
    let Some(sluice_sql::Statement::Query(mut outer)) = parsed else {
        return None;
    };
    if let SetExpr::Select(s) = outer.body.as_mut() {
        s.projection = vec![SelectItem::UnnamedExpr(call(
            "groupArray",
            vec![Expr::Identifier(Ident::with_quote('"', VALUE_ALIAS))],
        ))];
        s.from = vec![TableWithJoins {
            relation: TableFactor::Derived {
                lateral: false,
                subquery: Box::new(q),
                alias: Some(TableAlias {
                    explicit: true,
                    name: Ident::new(SET_ALIAS),
                    columns: vec![TableAliasColumnDef::from_name(VALUE_ALIAS)],
                    at: None,
                }),
                sample: None,
            },
            joins: vec![],
        }];
    }
    Some(*outer)
}
