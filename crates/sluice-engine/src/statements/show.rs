//! `SHOW DATABASES/TABLES/CREATE`, `SHOW [FULL] COLUMNS`, `SHOW [CHANGED] SETTINGS`,
//! `SHOW FUNCTIONS`, `SHOW ENGINES`, `SHOW PROCESSLIST` (the last five as ClickHouse runs them:
//! a `SELECT` over the system tables), `DESCRIBE`, `EXISTS`.

use std::sync::Arc;

use datafusion::sql::sqlparser::ast::Query;
use sluice_common::{Result, ch_err};

use crate::catalog::TableKind;
use crate::rows::{Cell, build_batch, schema_of};
use crate::session::{QueryOutput, Session};

fn show_like(p: &sluice_sql::ShowLike, s: &str) -> bool {
    let m = if p.case_insensitive {
        like(&p.pattern.to_lowercase(), &s.to_lowercase())
    } else {
        like(&p.pattern, s)
    };
    m != p.negated
}

fn like(pattern: &str, s: &str) -> bool {
    // SQL LIKE with % and _.
    fn rec(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'%'), _) => rec(&p[1..], s) || (!s.is_empty() && rec(p, &s[1..])),
            (Some(b'_'), Some(_)) => rec(&p[1..], &s[1..]),
            (Some(b'\\'), Some(c)) if p.len() > 1 && p[1] == *c => rec(&p[2..], &s[1..]),
            (Some(a), Some(b)) if a == b => rec(&p[1..], &s[1..]),
            _ => false,
        }
    }
    rec(pattern.as_bytes(), s.as_bytes())
}

/// `SHOW …`.
pub async fn show(session: &mut Session, s: sluice_sql::Show) -> Result<QueryOutput> {
    use sluice_sql::Show;
    match s {
        Show::Databases { like: pat, .. } => {
            let schema = schema_of(&[("name", "String")])?;
            let rows: Vec<Vec<Cell>> = session
                .engine
                .catalog
                .database_names()
                .into_iter()
                .filter(|n| pat.as_ref().is_none_or(|p| show_like(p, n)))
                .map(|n| vec![Cell::Str(n)])
                .collect();
            let b = build_batch(Arc::clone(&schema), &rows)?;
            QueryOutput::batches(schema, vec![b])
        }
        Show::Tables {
            database,
            like: pat,
            ..
        } => {
            let db = database.unwrap_or_else(|| session.current_db.clone());
            if !session.engine.catalog.database_exists(&db) {
                return Err(ch_err!(UNKNOWN_DATABASE, "Database {db} does not exist"));
            }
            let schema = schema_of(&[("name", "String")])?;
            let names: Vec<String> = if db == "system" {
                crate::system::NAMES.iter().map(|s| s.to_string()).collect()
            } else {
                session
                    .engine
                    .catalog
                    .tables(&db)
                    .iter()
                    .map(|t| t.name.clone())
                    .collect()
            };
            let mut names: Vec<String> = names
                .into_iter()
                .filter(|n| pat.as_ref().is_none_or(|p| show_like(p, n)))
                .collect();
            names.sort();
            let rows: Vec<Vec<Cell>> = names.into_iter().map(|n| vec![Cell::Str(n)]).collect();
            let b = build_batch(Arc::clone(&schema), &rows)?;
            QueryOutput::batches(schema, vec![b])
        }
        Show::Create { name, .. } => {
            let db = name.database.unwrap_or_else(|| session.current_db.clone());
            let entry = session.engine.catalog.table_or_err(&db, &name.table)?;
            let schema = schema_of(&[("statement", "String")])?;
            let text = entry.show_create.clone();
            let b = build_batch(Arc::clone(&schema), &[vec![Cell::Str(text)]])?;
            QueryOutput::batches(schema, vec![b])
        }
        Show::Columns {
            table,
            like: pat,
            limit,
            full,
        } => {
            // An unknown table gives no rows, as in ClickHouse (the query reads system.columns).
            let db = table.database.unwrap_or_else(|| session.current_db.clone());
            let mut sql = String::from(
                "SELECT name AS field, type AS type, \
                 multiIf(startsWith(type, 'Nullable('), 'YES', \
                         startsWith(type, 'LowCardinality(Nullable('), 'YES', 'NO') AS `null`, \
                 trim(concatWithSeparator(' ', if(is_in_primary_key, 'PRI', ''), \
                                          if(is_in_sorting_key, 'SOR', ''))) AS key, \
                 if(default_kind IN ('ALIAS', 'DEFAULT', 'MATERIALIZED'), \
                    default_expression, NULL) AS `default`, '' AS extra",
            );
            if full {
                sql.push_str(", NULL AS collation, comment, '' AS privileges");
            }
            sql.push_str(&format!(
                " FROM system.columns WHERE database = {} AND table = {}",
                sluice_sql::format::quote_string(&db),
                sluice_sql::format::quote_string(&table.table)
            ));
            push_like(&mut sql, "name", pat.as_ref());
            sql.push_str(" ORDER BY field, type, `null`, key, `default`, extra");
            push_limit(&mut sql, limit.as_ref());
            select_sql(session, &sql).await
        }
        Show::Settings { like: pat, changed } => {
            let mut sql = String::from("SELECT name, type, value FROM system.settings WHERE 1");
            if changed {
                sql.push_str(" AND changed");
            }
            push_like(&mut sql, "name", pat.as_ref());
            sql.push_str(" ORDER BY name");
            select_sql(session, &sql).await
        }
        Show::Functions { like: pat } => {
            let mut sql = String::from("SELECT * FROM system.functions WHERE 1");
            push_like(&mut sql, "name", pat.as_ref());
            select_sql(session, &sql).await
        }
        Show::Engines => select_sql(session, "SELECT * FROM system.table_engines").await,
        Show::Processlist => {
            select_sql(
                session,
                "SELECT * FROM system.processes ORDER BY elapsed DESC",
            )
            .await
        }
        other => Err(sluice_common::Error::not_implemented(format!("{other:?}"))),
    }
}

/// ` AND <column> [NOT] [I]LIKE '<pattern>'` for a `SHOW … LIKE` filter.
fn push_like(sql: &mut String, column: &str, like: Option<&sluice_sql::ShowLike>) {
    let Some(p) = like else { return };
    sql.push_str(&format!(
        " AND {column} {}{} {}",
        if p.negated { "NOT " } else { "" },
        if p.case_insensitive { "ILIKE" } else { "LIKE" },
        sluice_sql::format::quote_string(&p.pattern)
    ));
}

/// ` LIMIT <n>` of a `SHOW … LIMIT n`.
fn push_limit(sql: &mut String, limit: Option<&datafusion::sql::sqlparser::ast::Expr>) {
    if let Some(n) = limit {
        sql.push_str(&format!(" LIMIT {n}"));
    }
}

/// Runs `sql` (a `SELECT` over system tables a `SHOW` statement stands for).
async fn select_sql(session: &mut Session, sql: &str) -> Result<QueryOutput> {
    let parsed = sluice_sql::parse_statements(sql)?;
    let Some(sluice_sql::Statement::Query(q)) = parsed.into_iter().next().map(|p| p.statement)
    else {
        return Err(sluice_common::Error::internal(format!(
            "SHOW: the rewritten query did not parse as a query: {sql}"
        )));
    };
    super::select::run_query(session, *q).await
}

/// `DESCRIBE TABLE t`; with `describe_include_virtual_columns = 1` also the virtual columns
/// and ClickHouse's `is_virtual` column.
pub async fn describe(session: &mut Session, d: sluice_sql::Describe) -> Result<QueryOutput> {
    let with_virtuals = session
        .settings()
        .get_bool("describe_include_virtual_columns");
    let mut columns = vec![
        ("name", "String"),
        ("type", "String"),
        ("default_type", "String"),
        ("default_expression", "String"),
        ("comment", "String"),
        ("codec_expression", "String"),
        ("ttl_expression", "String"),
    ];
    if with_virtuals {
        columns.push(("is_virtual", "UInt8"));
    }
    let schema = schema_of(&columns)?;
    let (mut rows, virtuals) = describe_rows(session, d).await?;
    for r in &mut rows {
        r.resize(7, Cell::Str(String::new()));
    }
    if with_virtuals {
        for r in &mut rows {
            r.push(Cell::U64(0));
        }
        rows.extend(virtuals.into_iter().map(|(name, ty, comment, codec)| {
            vec![
                Cell::Str(name.to_string()),
                Cell::Str(ty),
                Cell::Str(String::new()),
                Cell::Str(String::new()),
                Cell::Str(comment.to_string()),
                Cell::Str(codec.to_string()),
                Cell::Str(String::new()),
                Cell::U64(1),
            ]
        }));
    }
    let b = build_batch(Arc::clone(&schema), &rows)?;
    QueryOutput::batches(schema, vec![b])
}

/// A virtual column's `DESCRIBE` row: name, type, comment, codec.
type VirtualRow = (&'static str, String, &'static str, &'static str);

/// `_table` and `_database`: the virtual columns ClickHouse 26.9 lists for views, system
/// tables, table functions and engines without their own (oracle: `DESCRIBE system.one
/// SETTINGS describe_include_virtual_columns = 1`).
fn common_virtuals() -> Vec<VirtualRow> {
    ["_table", "_database"]
        .into_iter()
        .map(|n| (n, "LowCardinality(String)".to_string(), "", ""))
        .collect()
}

/// The virtual columns ClickHouse 26.9 lists for a table of `table`'s engine.
fn table_virtuals(table: &crate::table::TableRef) -> Vec<VirtualRow> {
    let engine = table.engine();
    if engine == "Kafka" {
        // The table's own list (`_raw_message`/`_error` in stream mode only).
        return table
            .virtual_columns()
            .iter()
            .filter_map(|n| sluice_kafka::VirtualColumn::from_name(n))
            .map(|v| (v.name(), v.ch_type().to_string(), "", ""))
            .collect();
    }
    if engine.ends_with("MergeTree") {
        let stored: Vec<String> = table.columns().into_iter().map(|c| c.name).collect();
        let stored: Vec<&str> = stored.iter().map(String::as_str).collect();
        return sluice_storage::virtual_columns::described_virtuals(&stored)
            .into_iter()
            .map(|(n, t, c, codec)| (n, t.to_string(), c, codec))
            .collect();
    }
    if engine == "Null" {
        return Vec::new();
    }
    common_virtuals()
}

/// The `DESCRIBE` rows of `d`'s columns (up to seven cells each) and its virtual columns.
async fn describe_rows(
    session: &mut Session,
    d: sluice_sql::Describe,
) -> Result<(Vec<Vec<Cell>>, Vec<VirtualRow>)> {
    Ok(match d.target {
        sluice_sql::DescribeTarget::Table(name) => {
            let db = name.database.unwrap_or_else(|| session.current_db.clone());
            if db == "system" && session.engine.catalog.table(&db, &name.table).is_none() {
                // System tables live in the query catalog, not the engine's (ClickHouse's
                // column comments are not kept).
                let from = format!("system.`{}`", name.table.replace('`', "``"));
                let rows = select_star_columns(session, &from, "a system table").await?;
                return Ok((rows, common_virtuals()));
            }
            let entry = session.engine.catalog.table_or_err(&db, &name.table)?;
            match &entry.table {
                Some(t) => {
                    let rows = t
                        .columns()
                        .into_iter()
                        .map(|c| {
                            let (k, e) = c
                                .default
                                .map(|(k, e)| (k.keyword().to_string(), e))
                                .unwrap_or_default();
                            vec![
                                Cell::Str(c.name),
                                Cell::Str(c.ty.pretty_name(0)),
                                Cell::Str(k),
                                Cell::Str(e),
                                Cell::Str(c.comment),
                                Cell::Str(c.codec.unwrap_or_default()),
                                Cell::Str(String::new()),
                            ]
                        })
                        .collect();
                    (rows, table_virtuals(t))
                }
                None => {
                    if let TableKind::MaterializedView(mv) = &entry.kind {
                        let rows: Vec<Vec<Cell>> = mv
                            .columns
                            .iter()
                            .map(|c| {
                                vec![Cell::Str(c.name.clone()), Cell::Str(c.ty.pretty_name(0))]
                            })
                            .collect();
                        // A view with an inner table lists that table's virtual columns.
                        let inner = mv
                            .inner
                            .then(|| session.engine.catalog.table(&mv.target.0, &mv.target.1))
                            .flatten()
                            .and_then(|e| e.table.clone());
                        let virtuals = match inner {
                            Some(t) => table_virtuals(&t),
                            None => common_virtuals(),
                        };
                        return Ok((rows, virtuals));
                    }
                    let TableKind::View { query } = &entry.kind else {
                        return Ok((Vec::new(), Vec::new()));
                    };
                    let q = sluice_sql::parse_statements(query)?;
                    let Some(sluice_sql::Statement::Query(q)) =
                        q.into_iter().next().map(|p| p.statement)
                    else {
                        return Ok((Vec::new(), Vec::new()));
                    };
                    if crate::rewrite::is_parameterized(&q) {
                        return Err(ch_err!(
                            UNSUPPORTED_METHOD,
                            "Cannot infer table schema for the parameterized view when no query parameters are provided"
                        ));
                    }
                    (query_columns(session, *q).await?, common_virtuals())
                }
            }
        }
        sluice_sql::DescribeTarget::TableFunction(e) => (
            select_star_columns(session, &e.to_string(), "a table function").await?,
            common_virtuals(),
        ),
        sluice_sql::DescribeTarget::Query(q) => (query_columns(session, *q).await?, Vec::new()),
    })
}

/// `DESCRIBE` rows (name, type) of a query's result columns.
async fn query_columns(session: &mut Session, q: Query) -> Result<Vec<Vec<Cell>>> {
    let out = super::select::run_query(session, q).await?;
    Ok(out
        .schema
        .fields()
        .iter()
        .map(|f| {
            vec![
                Cell::Str(f.name().clone()),
                Cell::Str(sluice_common::ChType::from_field(f).pretty_name(0)),
            ]
        })
        .collect())
}

/// `DESCRIBE` rows of `SELECT * FROM <from>` (`what` names the source in errors).
async fn select_star_columns(
    session: &mut Session,
    from: &str,
    what: &str,
) -> Result<Vec<Vec<Cell>>> {
    let q = sluice_sql::parse_statements(&format!("SELECT * FROM {from} LIMIT 0"))?;
    let Some(sluice_sql::Statement::Query(q)) = q.into_iter().next().map(|p| p.statement) else {
        return Err(sluice_common::Error::internal(format!(
            "DESCRIBE of {what}: the SELECT did not parse as a query"
        )));
    };
    query_columns(session, *q).await
}

/// `EXISTS [TABLE|DATABASE] name`.
pub async fn exists(session: &mut Session, e: sluice_sql::Exists) -> Result<QueryOutput> {
    let found = match e.kind {
        sluice_sql::ObjectKind::Database => session.engine.catalog.database_exists(&e.name.table),
        _ => {
            let name = e.name;
            let db = name.database.unwrap_or_else(|| session.current_db.clone());
            session.engine.catalog.table(&db, &name.table).is_some()
                || (db == "system"
                    && session
                        .df_state()
                        .catalog_list()
                        .catalog(crate::df_catalog::CATALOG_NAME)
                        .and_then(|c| c.schema("system"))
                        .is_some_and(|s| s.table_exist(&name.table)))
        }
    };
    let schema = schema_of(&[("result", "UInt8")])?;
    let b = build_batch(Arc::clone(&schema), &[vec![Cell::U64(found as u64)]])?;
    QueryOutput::batches(schema, vec![b])
}
