//! Walks a query (selects, set operations, subqueries, joins) applying the rewrites.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, GroupByExpr, GroupByWithModifier, Ident, JoinConstraint,
    JoinOperator, ObjectNamePart, Query, Select, SelectItem, SetExpr, TableFactor, TableWithJoins,
    Value, ValueWithSpan,
};
use datafusion::sql::sqlparser::tokenizer::Span;
use sluice_common::{Error, Result};

use super::aliases::AliasMap;
use super::column_names::name_columns;
use super::expr::{call, lit_str, rewrite_expr};
use super::views::{db_and_table, expand_view, view_of, view_virtuals_sql};
use crate::catalog::{Catalog, TableKind};

/// What the rewrites need to know about the session.
pub struct RewriteContext {
    /// The catalog (for view expansion).
    pub catalog: Arc<Catalog>,
    /// Current database.
    pub current_db: String,
    /// Registered function names (exact).
    pub functions: Arc<HashSet<String>>,
    /// Lower-case name → registered name, for case-insensitive lookups.
    pub functions_ci: Arc<HashMap<String, String>>,
    /// Set when the query has `WITH TOTALS`.
    pub with_totals: std::cell::Cell<bool>,
    /// View-expansion depth guard.
    pub depth: std::cell::Cell<usize>,
    /// `WITH expr AS name` aliases in scope.
    pub with_aliases: std::cell::RefCell<Vec<(String, Expr)>>,
    /// Columns of the tables in the FROM being rewritten that `SELECT *` must not return
    /// (MATERIALIZED, ALIAS).
    pub hidden: std::cell::RefCell<Vec<String>>,
    /// Aggregates resolved on demand (parametric, combinators) to register for the query.
    pub extra_aggregates: std::cell::RefCell<Vec<datafusion::logical_expr::AggregateUDF>>,
    /// Lambda UDFs of this query.
    pub extra_scalars: std::cell::RefCell<Vec<datafusion::logical_expr::ScalarUDF>>,
    /// The query's DataFusion state, for lambdas to plan their bodies with.
    pub lambda_state: crate::lambda::StateCell,
    /// `stream_like_engine_allow_direct_select`: a query may read a Kafka table.
    pub allow_direct_select: bool,
    /// Planning a materialized view's query: its Kafka source is read block by block, not
    /// directly.
    pub planning_view: bool,
    /// Table names and aliases of the FROM clauses seen so far: `x.y` where `x` is none of
    /// them names the column `x.y` (ClickHouse's Nested columns, `assignments.lag`).
    pub relations: std::cell::RefCell<Vec<String>>,
    /// The session time zone (`timezone()` is a constant of the query).
    pub timezone: String,
    /// The user running the query (`currentUser()`).
    pub user: String,
    /// The query's id (`queryID()`), empty outside a tracked query.
    pub query_id: String,
    /// The session's settings (`getSetting('name')`).
    pub settings: sluice_common::Settings,
    /// The query names a virtual column the engine computes (`_table`, …): its tables are
    /// read through providers that have them ([`crate::df_catalog::VIRTUALS_SUFFIX`]).
    pub reads_virtuals: std::cell::Cell<bool>,
}

impl RewriteContext {
    /// Makes sure an aggregate named `name` (`quantile(0.5)`, `sumForEachIf`) exists for
    /// this query, building it if the registry does not have it.
    pub fn require_aggregate(&self, name: &str) -> Result<()> {
        if self.functions.contains(name)
            || self
                .extra_aggregates
                .borrow()
                .iter()
                .any(|a| a.name() == name)
        {
            return Ok(());
        }
        match sluice_functions::aggregate::resolve(name).map_err(crate::error::from_datafusion)? {
            Some(udaf) => {
                self.extra_aggregates.borrow_mut().push(udaf);
                Ok(())
            }
            None => Err(sluice_common::ch_err!(
                UNKNOWN_AGGREGATE_FUNCTION,
                "Unknown aggregate function {name}"
            )),
        }
    }

    /// The registered spelling of a function name, when it differs from `name`.
    pub fn canonical_function(&self, name: &str) -> Option<String> {
        if self.functions.contains(name) {
            return None;
        }
        self.functions_ci.get(&name.to_ascii_lowercase()).cloned()
    }
}

/// Separates a duplicate output name from its disambiguating suffix (stripped on output).
pub const DUP_MARK: char = '\u{1f}';

/// Rewrites a top-level query in place. Unnamed select items get ClickHouse's column names
/// as explicit aliases (so DataFusion's output names are ClickHouse's).
pub fn rewrite_query(q: &mut Query, ctx: &RewriteContext) -> Result<()> {
    if crate::tables::virtuals::mentioned_in(&q.to_string()) {
        ctx.reads_virtuals.set(true);
    }
    name_columns(&mut q.body);
    rewrite_query_inner(q, ctx)
}

/// Rewrites a (sub)query in place.
pub fn rewrite_query_inner(q: &mut Query, ctx: &RewriteContext) -> Result<()> {
    let mut pushed = 0;
    if let Some(with) = &mut q.with {
        let mut keep = Vec::new();
        for cte in std::mem::take(&mut with.cte_tables) {
            if let Some(e) = sluice_sql::with_expression(&cte) {
                ctx.with_aliases
                    .borrow_mut()
                    .push((cte.alias.name.value.clone(), e.clone()));
                pushed += 1;
            } else {
                keep.push(cte);
            }
        }
        with.cte_tables = keep;
        for cte in with.cte_tables.iter_mut() {
            name_columns(&mut cte.query.body);
            rewrite_query_inner(&mut cte.query, ctx)?;
        }
        if with.cte_tables.is_empty() {
            q.with = None;
        }
    }
    let result = rewrite_query_body(q, ctx);
    for _ in 0..pushed {
        ctx.with_aliases.borrow_mut().pop();
    }
    result
}

/// In ClickHouse, ORDER BY and LIMIT after a UNION belong to its last SELECT.
fn attach_order_to_last_select(q: &mut Query) {
    if !matches!(q.body.as_ref(), SetExpr::SetOperation { .. }) {
        return;
    }
    if q.order_by.is_none() && q.limit_clause.is_none() && q.fetch.is_none() {
        return;
    }
    let mut template = q.clone();
    template.with = None;
    let mut cur: &mut SetExpr = q.body.as_mut();
    while let SetExpr::SetOperation { right, .. } = cur {
        cur = right.as_mut();
    }
    let leaf = std::mem::replace(
        cur,
        SetExpr::Values(datafusion::sql::sqlparser::ast::Values {
            explicit_row: false,
            value_keyword: false,
            rows: vec![],
        }),
    );
    let mut sub = template;
    sub.body = Box::new(leaf);
    *cur = SetExpr::Query(Box::new(sub));
    q.order_by = None;
    q.limit_clause = None;
    q.fetch = None;
}

fn rewrite_query_body(q: &mut Query, ctx: &RewriteContext) -> Result<()> {
    attach_order_to_last_select(q);
    let aliases = match q.body.as_ref() {
        SetExpr::Select(s) => AliasMap::collect(&s.projection, &ctx.with_aliases.borrow()),
        _ => AliasMap::default(),
    };
    rewrite_set_expr(&mut q.body, ctx)?;
    if let Some(ob) = &mut q.order_by
        && let datafusion::sql::sqlparser::ast::OrderByKind::Expressions(exprs) = &mut ob.kind
    {
        for o in exprs.iter_mut() {
            if is_positional(&o.expr) {
                continue;
            }
            // ORDER BY may name an output alias; DataFusion resolves those itself.
            if let Expr::Identifier(_) = &o.expr {
                continue;
            }
            aliases.substitute(&mut o.expr);
            rewrite_expr(&mut o.expr, ctx)?;
        }
    }
    super::with_ties::apply(q, &aliases, ctx)?;
    super::limit_by::apply(q, &aliases, ctx)
}

fn is_positional(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Value(ValueWithSpan {
            value: Value::Number(..),
            ..
        })
    )
}

fn rewrite_set_expr(body: &mut SetExpr, ctx: &RewriteContext) -> Result<()> {
    match body {
        SetExpr::Select(s) => rewrite_select(s, ctx),
        SetExpr::SetOperation { left, right, .. } => {
            rewrite_set_expr(left, ctx)?;
            rewrite_set_expr(right, ctx)
        }
        SetExpr::Query(q) => rewrite_query_inner(q, ctx),
        SetExpr::Values(v) => {
            for row in v.rows.iter_mut() {
                for e in row.iter_mut() {
                    rewrite_expr(e, ctx)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn rewrite_select(s: &mut Select, ctx: &RewriteContext) -> Result<()> {
    let with_aliases = ctx.with_aliases.borrow().clone();
    // No FROM means FROM system.one, as in ClickHouse (`SELECT dummy`, `count()` = 1).
    if s.from.is_empty() {
        s.from.push(TableWithJoins {
            relation: TableFactor::Table {
                name: datafusion::sql::sqlparser::ast::ObjectName(vec![
                    ObjectNamePart::Identifier(Ident::new("system")),
                    ObjectNamePart::Identifier(Ident::new("one")),
                ]),
                alias: None,
                args: None,
                with_hints: vec![],
                version: None,
                with_ordinality: false,
                partitions: vec![],
                json_path: None,
                sample: None,
                index_hints: vec![],
            },
            joins: vec![],
        });
    }
    super::array_join::split_array_join_calls(s);
    let aliases = AliasMap::collect(&s.projection, &with_aliases);
    let array_join_names = super::array_join::expand(s, &aliases)?;
    // PREWHERE is a WHERE that ClickHouse evaluates first; only MergeTree tables have it.
    if s.prewhere.is_some() {
        let supported = match s.from.first().map(|t| &t.relation) {
            Some(TableFactor::Table {
                name, args: None, ..
            }) => {
                let (db, t) = db_and_table(name, ctx).unwrap_or_default();
                ctx.catalog
                    .table(&db, &t)
                    .and_then(|e| e.table.as_ref().map(|t| t.engine().contains("MergeTree")))
                    .unwrap_or(false)
            }
            _ => false,
        };
        if !supported {
            return Err(sluice_common::ch_err!(
                ILLEGAL_PREWHERE,
                "Storage doesn't support PREWHERE"
            ));
        }
    }
    if let Some(pre) = s.prewhere.take() {
        s.selection = Some(match s.selection.take() {
            Some(w) => Expr::BinaryOp {
                left: Box::new(Expr::Nested(Box::new(pre))),
                op: datafusion::sql::sqlparser::ast::BinaryOperator::And,
                right: Box::new(Expr::Nested(Box::new(w))),
            },
            None => pre,
        });
    }
    super::plain_qualify::fold_plain_qualify(s);
    for twj in s.from.iter() {
        let factors = std::iter::once(&twj.relation).chain(twj.joins.iter().map(|j| &j.relation));
        for f in factors {
            match f {
                TableFactor::Table { name, alias, .. } => {
                    if let Some(a) = alias {
                        ctx.relations.borrow_mut().push(a.name.value.clone());
                    }
                    if let Some(ObjectNamePart::Identifier(i)) = name.0.last() {
                        ctx.relations.borrow_mut().push(i.value.clone());
                    }
                }
                TableFactor::Derived { alias: Some(a), .. } => {
                    ctx.relations.borrow_mut().push(a.name.value.clone());
                }
                _ => {}
            }
        }
    }
    let hidden_mark = ctx.hidden.borrow().len();
    for twj in s.from.iter_mut() {
        rewrite_table_with_joins(twj, ctx)?;
    }
    let mut hidden: Vec<String> = ctx.hidden.borrow_mut().drain(hidden_mark..).collect();
    hidden.extend(array_join_names);
    // Two tables of a join can hide the same name (`_table`); EXCEPT lists it once.
    let mut seen = std::collections::HashSet::new();
    hidden.retain(|h| seen.insert(h.clone()));
    if !hidden.is_empty() {
        for item in s.projection.iter_mut() {
            let opts = match item {
                SelectItem::Wildcard(o) | SelectItem::QualifiedWildcard(_, o) => o,
                _ => continue,
            };
            let mut names: Vec<datafusion::sql::sqlparser::ast::ObjectName> =
                match opts.opt_exclude.take() {
                    Some(datafusion::sql::sqlparser::ast::ExcludeSelectItem::Single(n)) => vec![n],
                    Some(datafusion::sql::sqlparser::ast::ExcludeSelectItem::Multiple(v)) => v,
                    None => vec![],
                };
            for h in &hidden {
                names.push(datafusion::sql::sqlparser::ast::ObjectName(vec![
                    ObjectNamePart::Identifier(Ident::with_quote('"', h.clone())),
                ]));
            }
            opts.opt_exclude =
                Some(datafusion::sql::sqlparser::ast::ExcludeSelectItem::Multiple(names));
        }
    }
    for item in s.projection.iter_mut() {
        match item {
            SelectItem::UnnamedExpr(e) => {
                aliases.substitute(e);
                super::exists_subquery::exists_as_count(e);
                rewrite_expr(e, ctx)?;
                super::in_subquery::in_subquery_as_has(e);
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                // Substitute other aliases, not this one: in `x + 1 AS x`, x is the column.
                // A bare `t` named `t` (how unnamed items are named) is the alias itself
                // (`WITH number * 3 AS t SELECT t`).
                if matches!(expr, Expr::Identifier(i) if i.value == alias.value) {
                    aliases.substitute(expr);
                } else {
                    aliases.substitute_except(expr, &alias.value);
                }
                super::exists_subquery::exists_as_count(expr);
                rewrite_expr(expr, ctx)?;
                super::in_subquery::in_subquery_as_has(expr);
            }
            // `* REPLACE (expr AS col, …)`: the replacements are select expressions too.
            SelectItem::Wildcard(o) | SelectItem::QualifiedWildcard(_, o) => {
                for r in o.opt_replace.iter_mut().flat_map(|r| r.items.iter_mut()) {
                    aliases.substitute_except(&mut r.expr, &r.column_name.value);
                    rewrite_expr(&mut r.expr, ctx)?;
                }
            }
            _ => {}
        }
    }
    if let Some(w) = &mut s.selection {
        aliases.substitute(w);
        rewrite_expr(w, ctx)?;
        let inner = std::mem::replace(w, Expr::Value(Value::Null.into()));
        *w = call("__ch_bool", vec![inner]);
    }
    if let Some(h) = &mut s.having {
        aliases.substitute(h);
        rewrite_expr(h, ctx)?;
        let inner = std::mem::replace(h, Expr::Value(Value::Null.into()));
        *h = call("__ch_bool", vec![inner]);
    }
    if let Some(qf) = &mut s.qualify {
        aliases.substitute(qf);
        rewrite_expr(qf, ctx)?;
    }
    if let GroupByExpr::Expressions(exprs, modifiers) = &mut s.group_by {
        exprs.retain(|e| !sluice_sql::totals::is_no_keys_marker(e));
        for e in exprs.iter_mut() {
            if is_positional(e) {
                continue;
            }
            aliases.substitute(e);
            rewrite_expr(e, ctx)?;
        }
        let mut rollup = false;
        let mut cube = false;
        modifiers.retain(|m| match m {
            GroupByWithModifier::Totals => {
                ctx.with_totals.set(true);
                false
            }
            GroupByWithModifier::Rollup => {
                rollup = true;
                false
            }
            GroupByWithModifier::Cube => {
                cube = true;
                false
            }
            _ => true,
        });
        if rollup || cube {
            let sets: Vec<Vec<Expr>> = exprs.iter().map(|e| vec![e.clone()]).collect();
            *exprs = vec![if rollup {
                Expr::Rollup(sets)
            } else {
                Expr::Cube(sets)
            }];
        }
    }
    Ok(())
}

fn rewrite_table_with_joins(twj: &mut TableWithJoins, ctx: &RewriteContext) -> Result<()> {
    rewrite_table_factor(&mut twj.relation, ctx)?;
    for j in twj.joins.iter_mut() {
        rewrite_table_factor(&mut j.relation, ctx)?;
        let constraint = match &mut j.join_operator {
            JoinOperator::Join(c)
            | JoinOperator::Inner(c)
            | JoinOperator::Left(c)
            | JoinOperator::LeftOuter(c)
            | JoinOperator::Right(c)
            | JoinOperator::RightOuter(c)
            | JoinOperator::FullOuter(c)
            | JoinOperator::Semi(c)
            | JoinOperator::LeftSemi(c)
            | JoinOperator::RightSemi(c)
            | JoinOperator::Anti(c)
            | JoinOperator::LeftAnti(c)
            | JoinOperator::RightAnti(c) => Some(c),
            _ => None,
        };
        if let Some(JoinConstraint::On(e)) = constraint {
            rewrite_expr(e, ctx)?;
        }
    }
    Ok(())
}

/// Names the relation `name` (its alias) when it has no alias, so that a provider read
/// under another name (`t` + FINAL_SUFFIX, `t` + VIRTUALS_SUFFIX) keeps the written one.
fn keep_name(alias: &mut Option<datafusion::sql::sqlparser::ast::TableAlias>, name: &str) {
    if alias.is_none() {
        *alias = Some(datafusion::sql::sqlparser::ast::TableAlias {
            explicit: true,
            name: Ident::new(name),
            columns: vec![],
            at: None,
        });
    }
}

fn rewrite_table_factor(tf: &mut TableFactor, ctx: &RewriteContext) -> Result<()> {
    let is_final = sluice_sql::is_final(tf);
    sluice_sql::clear_final(tf);
    match tf {
        TableFactor::Table {
            name,
            alias,
            args,
            sample,
            ..
        } => {
            if sample.is_some() {
                // No Sluice table has a sampling key (`SAMPLE BY` is NOT_IMPLEMENTED).
                let storage = if args.is_some() {
                    format!("_table_function.{}", name.to_string().trim_matches('"'))
                } else if name.0.len() == 1 {
                    format!("{}.{}", ctx.current_db, name.to_string().trim_matches('"'))
                } else {
                    name.to_string().replace('"', "")
                };
                return Err(sluice_common::ch_err!(
                    SAMPLING_NOT_SUPPORTED,
                    "Storage {storage} doesn't support sampling"
                ));
            }
            if is_final && args.is_some() {
                let f = name.to_string();
                let storage = match f.as_str() {
                    "numbers" | "zeros" => format!("System{}", camel_case(&f)),
                    _ => camel_case(&f),
                };
                return Err(sluice_common::ch_err!(
                    ILLEGAL_FINAL,
                    "Storage {storage} doesn't support FINAL"
                ));
            }
            if let Some(fargs) = args
                && name.0.len() == 1
                && name
                    .to_string()
                    .trim_matches('"')
                    .eq_ignore_ascii_case("values")
            {
                *tf = super::values_fn::values_table(&fargs.args, alias.clone(), ctx)?;
                return Ok(());
            }
            if let Some(fargs) = args
                && let Some((db, table, query)) = view_of(name, ctx)
            {
                let view_args = super::view_params::view_args(&fargs.args);
                *tf = expand_view(&query, Some(&view_args), alias.clone(), (&db, &table), ctx)?;
                return Ok(());
            }
            if let Some(args) = args {
                if ctx.reads_virtuals.get()
                    && name.0.len() == 1
                    && let Some(ObjectNamePart::Identifier(f)) = name.0.last_mut()
                    && crate::table_functions::WITH_TABLE_VIRTUALS.contains(&f.value.as_str())
                {
                    keep_name(alias, &f.value);
                    f.value = format!("{}{}", f.value, crate::df_catalog::VIRTUALS_SUFFIX);
                    ctx.hidden.borrow_mut().extend(
                        crate::tables::virtuals::COMMON
                            .iter()
                            .map(|n| n.to_string()),
                    );
                }
                // Table-function arguments: bare identifiers are strings (`file('x', CSV)`).
                for a in args.args.iter_mut() {
                    if let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = a
                        && let Expr::Identifier(id) = e
                    {
                        *e = lit_str(&id.value);
                    }
                }
                return Ok(());
            }
            let Some((db, table)) = db_and_table(name, ctx) else {
                return Ok(());
            };
            if is_final {
                let engine = match ctx.catalog.table(&db, &table) {
                    Some(e) => match (&e.kind, &e.table) {
                        (TableKind::Table, Some(t)) if t.final_provider().is_some() => None,
                        (TableKind::Table, Some(t)) => Some(t.engine().to_string()),
                        _ => Some("View".to_string()),
                    },
                    None if db == "system" => Some(format!("System{}", camel_case(&table))),
                    None => None, // unknown table: planning reports UNKNOWN_TABLE
                };
                if let Some(engine) = engine {
                    return Err(sluice_common::ch_err!(
                        ILLEGAL_FINAL,
                        "Storage {engine} doesn't support FINAL"
                    ));
                }
                // Read through the FINAL provider under the table's own name.
                keep_name(alias, &table);
                if let Some(ObjectNamePart::Identifier(last)) = name.0.last_mut() {
                    last.value = format!("{table}{}", crate::df_catalog::FINAL_SUFFIX);
                }
            }
            let mut physical = if is_final {
                format!("{table}{}", crate::df_catalog::FINAL_SUFFIX)
            } else {
                table.clone()
            };
            if ctx.reads_virtuals.get() {
                let virtuals: Vec<&str> = match ctx.catalog.table(&db, &table) {
                    Some(e) => match (&e.kind, &e.table) {
                        (TableKind::Table, Some(t)) => crate::tables::virtuals::names(t),
                        _ => Vec::new(),
                    },
                    None if db == "system" => crate::tables::virtuals::COMMON.to_vec(),
                    None => Vec::new(),
                };
                if !virtuals.is_empty() {
                    keep_name(alias, &table);
                    if let Some(ObjectNamePart::Identifier(last)) = name.0.last_mut() {
                        last.value =
                            format!("{}{}", last.value, crate::df_catalog::VIRTUALS_SUFFIX);
                    }
                    physical = format!("{physical}{}", crate::df_catalog::VIRTUALS_SUFFIX);
                    ctx.hidden
                        .borrow_mut()
                        .extend(virtuals.into_iter().map(str::to_string));
                }
            }
            if let Some(entry) = ctx.catalog.table(&db, &table) {
                if let (TableKind::Table, Some(t)) = (&entry.kind, &entry.table)
                    && t.engine() == "Kafka"
                    && !ctx.planning_view
                {
                    if !ctx.allow_direct_select {
                        return Err(sluice_common::ch_err!(
                            QUERY_NOT_ALLOWED,
                            "Direct select is not allowed. To enable use setting `stream_like_engine_allow_direct_select`"
                        ));
                    }
                    // Consumed at planning time by the schema provider, under the table's
                    // own name.
                    if alias.is_none() {
                        *alias = Some(datafusion::sql::sqlparser::ast::TableAlias {
                            explicit: true,
                            name: Ident::new(table.clone()),
                            columns: vec![],
                            at: None,
                        });
                    }
                    if let Some(ObjectNamePart::Identifier(last)) = name.0.last_mut() {
                        last.value = format!("{table}{}", crate::df_catalog::DIRECT_SUFFIX);
                    }
                }
                if let (TableKind::Table, Some(t)) = (&entry.kind, &entry.table) {
                    let cols = t.columns();
                    let mut alias_cols = Vec::new();
                    ctx.hidden.borrow_mut().extend(t.virtual_columns());
                    for c in &cols {
                        if !c.in_star() {
                            ctx.hidden.borrow_mut().push(c.name.clone());
                        }
                        if let Some((crate::table::DefaultKind::Alias, e)) = &c.default {
                            alias_cols.push((c.name.clone(), e.clone()));
                        }
                    }
                    if !alias_cols.is_empty() {
                        let alias = alias.clone().or_else(|| {
                            Some(datafusion::sql::sqlparser::ast::TableAlias {
                                explicit: true,
                                name: Ident::new(table.clone()),
                                columns: vec![],
                                at: None,
                            })
                        });
                        *tf = alias_columns_table(&db, &physical, alias, &alias_cols, ctx)?;
                    }
                    return Ok(());
                }
                if let TableKind::MaterializedView(mv) = &entry.kind {
                    let q = |s: &str| format!("`{}`", s.replace('`', "\\`"));
                    let cols: Vec<String> = if mv.columns.is_empty() {
                        vec!["*".to_string()]
                    } else {
                        mv.columns.iter().map(|c| q(&c.name)).collect()
                    };
                    let mut cols = cols;
                    if ctx.reads_virtuals.get() {
                        // The view's own name and database, hidden from `SELECT *`.
                        cols.push(view_virtuals_sql(&db, &table));
                        ctx.hidden.borrow_mut().extend(
                            crate::tables::virtuals::COMMON
                                .iter()
                                .map(|n| n.to_string()),
                        );
                    }
                    let sql = format!(
                        "SELECT * FROM (SELECT {} FROM {}.{}) AS {}",
                        cols.join(", "),
                        q(&mv.target.0),
                        q(&mv.target.1),
                        q(&table)
                    );
                    let stmts = sluice_sql::parse_statements(&sql)?;
                    let Some(sluice_sql::Statement::Query(mut vq)) =
                        stmts.into_iter().next().map(|p| p.statement)
                    else {
                        return Err(Error::internal("materialized view read"));
                    };
                    let SetExpr::Select(sel) = vq.body.as_mut() else {
                        return Err(Error::internal("materialized view read"));
                    };
                    let Some(from) = sel.from.pop() else {
                        return Err(Error::internal("materialized view read"));
                    };
                    let mut factor = from.relation;
                    if let (Some(a), TableFactor::Derived { alias: da, .. }) =
                        (alias.clone(), &mut factor)
                    {
                        *da = Some(a);
                    }
                    rewrite_table_factor(&mut factor, ctx)?;
                    *tf = factor;
                    return Ok(());
                }
                if let TableKind::View { query } = &entry.kind {
                    *tf = expand_view(query, None, alias.clone(), (&db, &table), ctx)?;
                }
            }
            Ok(())
        }
        TableFactor::Derived { subquery, .. } => {
            name_columns(&mut subquery.body);
            rewrite_query_inner(subquery, ctx)
        }
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => rewrite_table_with_joins(table_with_joins, ctx),
        _ => Ok(()),
    }
}

/// `one` → `One`, `table_engines` → `TableEngines` (system storage names in errors).
fn camel_case(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[allow(dead_code)]
fn span() -> Span {
    Span::empty()
}

/// `(SELECT *, expr AS alias_col, … FROM db.t) AS t`: a table with ALIAS columns, which are
/// computed on read.
fn alias_columns_table(
    db: &str,
    table: &str,
    alias: Option<datafusion::sql::sqlparser::ast::TableAlias>,
    alias_cols: &[(String, String)],
    ctx: &RewriteContext,
) -> Result<TableFactor> {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let items: Vec<String> = alias_cols
        .iter()
        .map(|(n, e)| format!("({e}) AS {}", q(n)))
        .collect();
    let sql = format!("SELECT *, {} FROM {}.{}", items.join(", "), q(db), q(table));
    let stmts = sluice_sql::parse_statements(&sql)?;
    let Some(sluice_sql::Statement::Query(mut inner)) =
        stmts.into_iter().next().map(|p| p.statement)
    else {
        return Err(Error::internal("alias column query"));
    };
    if let SetExpr::Select(sel) = inner.body.as_mut() {
        for item in sel.projection.iter_mut() {
            if let SelectItem::ExprWithAlias { expr, .. } = item {
                rewrite_expr(expr, ctx)?;
            }
        }
    }
    let alias = alias.unwrap_or(datafusion::sql::sqlparser::ast::TableAlias {
        explicit: true,
        name: Ident::new(table.to_string()),
        columns: vec![],
        at: None,
    });
    Ok(TableFactor::Derived {
        lateral: false,
        subquery: inner,
        alias: Some(alias),
        sample: None,
    })
}
