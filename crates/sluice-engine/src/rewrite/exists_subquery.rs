//! `EXISTS (SELECT …)` in a select list: DataFusion plans `EXISTS` only as a filter (a
//! semi or mark join), so in an expression it becomes a scalar subquery that counts rows,
//! `ifNull((SELECT count() > 0 …), 0)`, which DataFusion decorrelates when the subquery
//! refers to the outer query (ClickHouse 26.9 accepts correlated `EXISTS` there too).
//!
//! A plain `SELECT … FROM … WHERE …` (no grouping, aggregates, `DISTINCT`, `LIMIT` or set
//! operation) keeps its `FROM` and `WHERE` and gets `count() > 0` as its projection, so
//! its outer references stay where DataFusion finds them; any other subquery is counted
//! from outside: `SELECT count() > 0 FROM (subquery)` (uncorrelated only). `NOT EXISTS`
//! is `not(…)`. The result is `UInt8`, as ClickHouse's.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Function, GroupByExpr, Ident, Query, Select, SetExpr, TableAlias, TableFactor,
    TableWithJoins, Visit, Visitor,
};

use super::expr::{call, lit_num};
use super::functions::function_name;

const ALIAS: &str = "__sluice_exists";

/// Replaces the `EXISTS (subquery)` forms of `e` (not inside nested queries).
pub fn exists_as_count(e: &mut Expr) {
    super::in_subquery::replace_outside_queries(e, replace_exists);
}

fn replace_exists(e: &mut Expr) {
    let Expr::Exists { subquery, negated } = e else {
        return;
    };
    let Some(counted) = counting_query(subquery.as_ref().clone()) else {
        return;
    };
    let exists = call(
        "ifNull",
        vec![Expr::Subquery(Box::new(counted)), lit_num("0")],
    );
    *e = if *negated {
        call("not", vec![exists])
    } else {
        exists
    };
}

/// `SELECT count() > 0 FROM __sluice_exists`, parsed.
fn counting_select() -> Option<Query> {
    let sql = format!("SELECT count() > 0 FROM {ALIAS}");
    let parsed = sluice_sql::parse_statements(&sql)
        .ok()
        .and_then(|mut v| v.pop())
        .map(|p| p.statement);
    match parsed {
        Some(sluice_sql::Statement::Query(q)) => Some(*q),
        _ => None,
    }
}

/// `q` with `count() > 0` as its projection when it is a plain select, else
/// `SELECT count() > 0 FROM (q) AS __sluice_exists`.
fn counting_query(mut q: Query) -> Option<Query> {
    let mut outer = counting_select()?;
    let SetExpr::Select(counting) = outer.body.as_mut() else {
        return None;
    };
    if q.limit_clause.is_none()
        && q.fetch.is_none()
        && let SetExpr::Select(s) = q.body.as_mut()
        && is_plain(s)
    {
        s.projection = std::mem::take(&mut counting.projection);
        q.order_by = None;
        return Some(q);
    }
    counting.from = vec![TableWithJoins {
        relation: TableFactor::Derived {
            lateral: false,
            subquery: Box::new(q),
            alias: Some(TableAlias {
                explicit: true,
                name: Ident::new(ALIAS),
                columns: vec![],
                at: None,
            }),
            sample: None,
        },
        joins: vec![],
    }];
    Some(outer)
}

/// No grouping, `DISTINCT`, `HAVING`, windows or aggregate calls in the projection.
fn is_plain(s: &Select) -> bool {
    let no_group =
        matches!(&s.group_by, GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty());
    no_group
        && s.distinct.is_none()
        && s.top.is_none()
        && s.having.is_none()
        && s.qualify.is_none()
        && s.named_window.is_empty()
        && !s.projection.iter().any(|i| {
            let mut v = FindAggregate;
            i.visit(&mut v).is_break()
        })
}

/// Breaks at an aggregate or window call (outside nested queries it does not matter: a
/// nested query's aggregates are its own, and the visitor stops early at worst).
struct FindAggregate;

impl Visitor for FindAggregate {
    type Break = ();

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = e
            && (f.over.is_some() || is_aggregate(f))
        {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

fn is_aggregate(f: &Function) -> bool {
    let name = function_name(f);
    matches!(
        sluice_functions::aggregate::resolve(&name),
        Ok(Some(_)) | Err(_)
    )
}
