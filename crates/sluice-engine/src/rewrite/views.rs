//! Views in a query: a view (plain or parameterized, `v(x = 1)`) becomes its query as a
//! derived table, rewritten like the rest; with ClickHouse's `_table`/`_database` when the
//! query names a virtual column.

use datafusion::sql::sqlparser::ast::{Ident, ObjectName, Query, SetExpr, TableFactor};
use sluice_common::{Error, Result};

use super::column_names::name_columns;
use super::query::{RewriteContext, rewrite_query_inner};
use crate::catalog::TableKind;

/// The database and table `t` / `db.t` names (the current database by default).
pub(super) fn db_and_table(name: &ObjectName, ctx: &RewriteContext) -> Option<(String, String)> {
    crate::mview::db_and_table(name, &ctx.current_db)
}

/// The view `name` names (`v`, `db.v`), with its query: `v(…)` is a parameterized view.
pub(super) fn view_of(name: &ObjectName, ctx: &RewriteContext) -> Option<(String, String, String)> {
    let (db, table) = db_and_table(name, ctx)?;
    let entry = ctx.catalog.table(&db, &table)?;
    match &entry.kind {
        TableKind::View { query } => Some((db, table, query.clone())),
        _ => None,
    }
}

/// A view's query as a derived table named by `alias` (else the view's name); `args` binds
/// a parameterized view's placeholders (`v(x = 1)`); without them its placeholders are
/// `UNKNOWN_QUERY_PARAMETER`.
pub(super) fn expand_view(
    query: &str,
    args: Option<&[super::view_params::ViewArg]>,
    alias: Option<datafusion::sql::sqlparser::ast::TableAlias>,
    (db, table): (&str, &str),
    ctx: &RewriteContext,
) -> Result<TableFactor> {
    if ctx.depth.get() > 32 {
        return Err(Error::new(
            sluice_common::ErrorCode::LIMIT_EXCEEDED,
            "View expansion is too deep",
        ));
    }
    let stmts = sluice_sql::parse_statements(query)?;
    let Some(first) = stmts.into_iter().next() else {
        return Err(Error::internal("empty view query"));
    };
    let sluice_sql::Statement::Query(mut vq) = first.statement else {
        return Err(Error::internal("view query is not a SELECT"));
    };
    if args.is_some() || super::view_params::is_parameterized(&vq) {
        super::view_params::bind_view(&mut vq, args.unwrap_or_default())?;
    }
    ctx.depth.set(ctx.depth.get() + 1);
    name_columns(&mut vq.body);
    let rewritten = rewrite_query_inner(&mut vq, ctx);
    ctx.depth.set(ctx.depth.get() - 1);
    rewritten?;
    if ctx.reads_virtuals.get() {
        vq = with_view_virtuals(vq, db, table, ctx)?;
    }
    let alias = alias.unwrap_or(datafusion::sql::sqlparser::ast::TableAlias {
        explicit: true,
        name: Ident::new(table),
        columns: vec![],
        at: None,
    });
    Ok(TableFactor::Derived {
        lateral: false,
        subquery: vq,
        alias: Some(alias),
        sample: None,
    })
}

/// `SELECT *, … AS _table, … AS _database FROM (view query)`: a view's rows with
/// ClickHouse's virtual columns (the view's name and database), hidden from `SELECT *`.
fn with_view_virtuals(
    view_query: Box<Query>,
    db: &str,
    table: &str,
    ctx: &RewriteContext,
) -> Result<Box<Query>> {
    let sql = format!(
        "SELECT *, {} FROM (SELECT 1) AS __view_body",
        view_virtuals_sql(db, table)
    );
    let Some(sluice_sql::Statement::Query(mut outer)) = sluice_sql::parse_statements(&sql)?
        .into_iter()
        .next()
        .map(|p| p.statement)
    else {
        return Err(Error::internal("view virtual columns"));
    };
    rewrite_query_inner(&mut outer, ctx)?;
    let SetExpr::Select(sel) = outer.body.as_mut() else {
        return Err(Error::internal("view virtual columns"));
    };
    let Some(TableFactor::Derived { subquery, .. }) = sel.from.first_mut().map(|f| &mut f.relation)
    else {
        return Err(Error::internal("view virtual columns"));
    };
    *subquery = view_query;
    ctx.hidden.borrow_mut().extend(
        crate::tables::virtuals::COMMON
            .iter()
            .map(|n| n.to_string()),
    );
    Ok(outer)
}

/// `toLowCardinality('<table>') AS _table, toLowCardinality('<db>') AS _database`.
pub(super) fn view_virtuals_sql(db: &str, table: &str) -> String {
    let q = sluice_sql::format::quote_string;
    format!(
        "toLowCardinality({}) AS _table, toLowCardinality({}) AS _database",
        q(table),
        q(db)
    )
}
