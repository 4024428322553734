//! `x IN (SELECT …)` in a select list: DataFusion plans `IN (subquery)` only as a filter, so
//! in an expression it becomes `has((SELECT groupArray(v) FROM (SELECT …) AS s(v)), x)`:
//! the subquery's values collected once into an array by an uncorrelated scalar subquery
//! (`NOT IN`: `not(has(…))`). A subquery of several columns (`(a, b) IN (SELECT x, y …)`)
//! collects tuples: `has((SELECT groupArray(tuple(v1, v2)) FROM (SELECT …) AS s(v1, v2)),
//! (a, b))`. Applied to select items only (filters plan `IN` natively).

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
    replace_outside_queries(e, replace_in);
}

/// Calls `f` on every expression of `e` bottom-up, except those inside nested queries.
pub(super) fn replace_outside_queries(e: &mut Expr, f: fn(&mut Expr)) {
    let mut v = Replace { depth: 0, f };
    let _ = e.visit(&mut v);
}

struct Replace {
    depth: usize,
    f: fn(&mut Expr),
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
        if self.depth == 0 {
            (self.f)(e);
        }
        ControlFlow::Continue(())
    }
}

fn replace_in(e: &mut Expr) {
    let Expr::InSubquery {
        expr,
        subquery,
        negated,
    } = e
    else {
        return;
    };
    let Some(columns) = column_count(subquery) else {
        return;
    };
    let Some(values) = collect_query(subquery.as_ref().clone(), columns) else {
        return;
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
}

/// The number of columns of `q`, a select (or set operation of selects) without wildcards.
fn column_count(q: &Query) -> Option<usize> {
    fn body(b: &SetExpr) -> Option<usize> {
        match b {
            SetExpr::Select(s) => s
                .projection
                .iter()
                .all(|i| {
                    matches!(
                        i,
                        SelectItem::UnnamedExpr(_) | SelectItem::ExprWithAlias { .. }
                    )
                })
                .then_some(s.projection.len())
                .filter(|n| *n > 0),
            SetExpr::Query(q) => body(&q.body),
            SetExpr::SetOperation { left, right, .. } => {
                let n = body(left)?;
                (body(right)? == n).then_some(n)
            }
            _ => None,
        }
    }
    body(&q.body)
}

/// `SELECT groupArray(v) FROM (q) AS s(v)`, or with several columns
/// `SELECT groupArray(tuple(v1, v2)) FROM (q) AS s(v1, v2)`.
fn collect_query(q: Query, columns: usize) -> Option<Query> {
    let sql = format!("SELECT groupArray({VALUE_ALIAS}) FROM {SET_ALIAS}");
    let parsed = sluice_sql::parse_statements(&sql)
        .ok()
        .and_then(|mut v| v.pop())
        .map(|p| p.statement);
    let Some(sluice_sql::Statement::Query(mut outer)) = parsed else {
        return None;
    };
    if let SetExpr::Select(s) = outer.body.as_mut() {
        let names: Vec<String> = if columns == 1 {
            vec![VALUE_ALIAS.to_string()]
        } else {
            (1..=columns).map(|i| format!("{VALUE_ALIAS}{i}")).collect()
        };
        let mut values: Vec<Expr> = names
            .iter()
            .map(|n| Expr::Identifier(Ident::with_quote('"', n.as_str())))
            .collect();
        let value = if columns == 1 {
            values.pop()?
        } else {
            call("tuple", values)
        };
        s.projection = vec![SelectItem::UnnamedExpr(call("groupArray", vec![value]))];
        s.from = vec![TableWithJoins {
            relation: TableFactor::Derived {
                lateral: false,
                subquery: Box::new(q),
                alias: Some(TableAlias {
                    explicit: true,
                    name: Ident::new(SET_ALIAS),
                    columns: names
                        .iter()
                        .map(|n| TableAliasColumnDef::from_name(n.as_str()))
                        .collect(),
                    at: None,
                }),
                sample: None,
            },
            joins: vec![],
        }];
    }
    Some(*outer)
}
