//! An unqualified column that more than one relation of a join has: ClickHouse takes the
//! leftmost relation's (`SELECT k FROM l JOIN r ON l.k = r.k` reads `l.k`); DataFusion
//! calls it ambiguous.
//!
//! When planning fails with DataFusion's ambiguous-reference error for a name,
//! [`join_probes`] lists, for every `SELECT` with joins in the query (in a fixed walk
//! order), a query `SELECT * FROM <its FROM>`; the caller plans them and passes, per
//! select, the qualifier of the first field with that name in the FROM's schema to
//! [`qualify_name`], which qualifies the name's unqualified uses in that select (its own
//! scope: not inside subqueries) and in its query's `ORDER BY`. The caller then plans
//! again.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, GroupByExpr, Ident, OrderByKind, Query, Select, SelectItem, SetExpr, TableFactor,
    TableWithJoins, VisitMut, VisitorMut,
};

/// The probe queries, one per `SELECT` with a join, in walk order.
pub fn join_probes(query: &Query) -> Vec<Query> {
    let mut out = Vec::new();
    walk_query(query, &mut |select| {
        let mut probe_select = select.clone();
        probe_select.projection = vec![SelectItem::Wildcard(Default::default())];
        probe_select.distinct = None;
        probe_select.selection = None;
        probe_select.prewhere = None;
        probe_select.having = None;
        probe_select.qualify = None;
        probe_select.named_window = vec![];
        probe_select.group_by = GroupByExpr::Expressions(vec![], vec![]);
        let probe = Query {
            with: query.with.clone(),
            body: Box::new(SetExpr::Select(Box::new(probe_select))),
            order_by: None,
            limit_clause: None,
            fetch: None,
            locks: vec![],
            for_clause: None,
            settings: None,
            format_clause: None,
            pipe_operators: vec![],
        };
        out.push(probe);
    });
    out
}

/// Qualifies the unqualified uses of `name` with `qualifiers[i]` in the `i`-th select with
/// a join (walk order of [`join_probes`]); `None` leaves that select alone. Returns
/// whether anything changed.
pub fn qualify_name(query: &mut Query, name: &str, qualifiers: &[Option<String>]) -> bool {
    let mut index = 0;
    let mut changed = false;
    walk_query_mut(query, &mut |select, order_by| {
        let q = qualifiers.get(index).cloned().flatten();
        index += 1;
        let Some(q) = q else {
            return;
        };
        let mut v = Qualify {
            name,
            qualifier: &q,
            depth: 0,
            changed: false,
        };
        for item in select.projection.iter_mut() {
            match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                    let _ = e.visit(&mut v);
                }
                _ => {}
            }
        }
        if let Some(e) = select.selection.as_mut() {
            let _ = e.visit(&mut v);
        }
        if let Some(e) = select.having.as_mut() {
            let _ = e.visit(&mut v);
        }
        if let Some(e) = select.qualify.as_mut() {
            let _ = e.visit(&mut v);
        }
        if let GroupByExpr::Expressions(exprs, _) = &mut select.group_by {
            for e in exprs.iter_mut() {
                let _ = e.visit(&mut v);
            }
        }
        if let Some(order) = order_by {
            for e in order.iter_mut() {
                let _ = e.visit(&mut v);
            }
        }
        changed |= v.changed;
    });
    changed
}

struct Qualify<'a> {
    name: &'a str,
    qualifier: &'a str,
    depth: usize,
    changed: bool,
}

impl VisitorMut for Qualify<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, _query: &mut Query) -> ControlFlow<()> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &mut Query) -> ControlFlow<()> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if self.depth == 0
            && let Expr::Identifier(id) = expr
            && id.value == self.name
        {
            *expr = Expr::CompoundIdentifier(vec![Ident::new(self.qualifier), id.clone()]);
            self.changed = true;
        }
        ControlFlow::Continue(())
    }
}

fn has_join(from: &[TableWithJoins]) -> bool {
    from.len() > 1 || from.iter().any(|t| !t.joins.is_empty())
}

fn walk_query(query: &Query, f: &mut dyn FnMut(&Select)) {
    if let Some(with) = &query.with {
        for cte in &with.cte_tables {
            walk_query(&cte.query, f);
        }
    }
    walk_set_expr(&query.body, f);
}

fn walk_set_expr(body: &SetExpr, f: &mut dyn FnMut(&Select)) {
    match body {
        SetExpr::Select(s) => {
            for t in &s.from {
                walk_factor(&t.relation, f);
                for j in &t.joins {
                    walk_factor(&j.relation, f);
                }
            }
            if has_join(&s.from) {
                f(s);
            }
        }
        SetExpr::Query(q) => walk_query(q, f),
        SetExpr::SetOperation { left, right, .. } => {
            walk_set_expr(left, f);
            walk_set_expr(right, f);
        }
        _ => {}
    }
}

fn walk_factor(factor: &TableFactor, f: &mut dyn FnMut(&Select)) {
    match factor {
        TableFactor::Derived { subquery, .. } => walk_query(subquery, f),
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => {
            walk_factor(&table_with_joins.relation, f);
            for j in &table_with_joins.joins {
                walk_factor(&j.relation, f);
            }
        }
        _ => {}
    }
}

type SelectFn<'a> = dyn FnMut(&mut Select, Option<&mut Vec<Expr>>) + 'a;

fn walk_query_mut(query: &mut Query, f: &mut SelectFn<'_>) {
    if let Some(with) = &mut query.with {
        for cte in with.cte_tables.iter_mut() {
            walk_query_mut(&mut cte.query, f);
        }
    }
    // The query's ORDER BY belongs to its select when the body is one.
    let mut order: Option<Vec<Expr>> = match &query.order_by {
        Some(o) => match &o.kind {
            OrderByKind::Expressions(exprs) => Some(exprs.iter().map(|e| e.expr.clone()).collect()),
            OrderByKind::All(_) => None,
        },
        None => None,
    };
    let is_select = matches!(query.body.as_ref(), SetExpr::Select(_));
    walk_set_expr_mut(
        &mut query.body,
        f,
        if is_select { order.as_mut() } else { None },
    );
    if is_select
        && let (Some(new), Some(o)) = (order, query.order_by.as_mut())
        && let OrderByKind::Expressions(exprs) = &mut o.kind
    {
        for (e, n) in exprs.iter_mut().zip(new) {
            e.expr = n;
        }
    }
}

fn walk_set_expr_mut(body: &mut SetExpr, f: &mut SelectFn<'_>, order: Option<&mut Vec<Expr>>) {
    match body {
        SetExpr::Select(s) => {
            for t in s.from.iter_mut() {
                walk_factor_mut(&mut t.relation, f);
                for j in t.joins.iter_mut() {
                    walk_factor_mut(&mut j.relation, f);
                }
            }
            if has_join(&s.from) {
                f(s, order);
            }
        }
        SetExpr::Query(q) => walk_query_mut(q, f),
        SetExpr::SetOperation { left, right, .. } => {
            walk_set_expr_mut(left, f, None);
            walk_set_expr_mut(right, f, None);
        }
        _ => {}
    }
}

fn walk_factor_mut(factor: &mut TableFactor, f: &mut SelectFn<'_>) {
    match factor {
        TableFactor::Derived { subquery, .. } => walk_query_mut(subquery, f),
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => {
            walk_factor_mut(&mut table_with_joins.relation, f);
            for j in table_with_joins.joins.iter_mut() {
                walk_factor_mut(&mut j.relation, f);
            }
        }
        _ => {}
    }
}
