//! `CREATE DATABASE/TABLE/VIEW`, `DROP`, `RENAME`, `TRUNCATE`, and start-up `ATTACH`.

use std::sync::Arc;

use sluice_common::{ChType, Error, ErrorCode, Result, ch_err};
use sluice_sql::{CreateTable, ParsedStatement, Statement};

use crate::catalog::{TableDef, TableKind, quote_ident};
use crate::session::{QueryOutput, Session};
use crate::table::{ColumnDesc, DefaultKind, TableRef};
use crate::tables::memory::MemoryTable;
use crate::tables::null::NullTable;

fn resolve(session: &Session, db: &Option<String>, name: &str) -> (String, String) {
    (
        db.clone().unwrap_or_else(|| session.current_db.clone()),
        name.to_string(),
    )
}

/// `CREATE DATABASE [IF NOT EXISTS] db [ENGINE = …]`.
pub async fn create_database(
    session: &mut Session,
    cd: sluice_sql::CreateDatabase,
) -> Result<QueryOutput> {
    let engine = cd
        .engine
        .as_ref()
        .map(|e| e.name.clone())
        .unwrap_or_else(|| "Atomic".to_string());
    if engine == "Ordinary"
        && !session
            .settings()
            .get_bool("allow_deprecated_database_ordinary")
    {
        return Err(Error::new(
            ErrorCode::UNKNOWN_DATABASE_ENGINE,
            "Ordinary database engine is deprecated (see also allow_deprecated_database_ordinary \
             setting)",
        ));
    }
    if !matches!(engine.as_str(), "Atomic" | "Memory" | "Ordinary") {
        return Err(ch_err!(BAD_ARGUMENTS, "Unknown database engine: {engine}"));
    }
    if session.engine.catalog.database_detached(&cd.name) {
        // ClickHouse fails to write the metadata file, which the detached database keeps.
        return Err(Error::new(
            ErrorCode::ATOMIC_RENAME_FAIL,
            format!(
                "Cannot create database {}: a detached database keeps its metadata file \
                 (ATOMIC_RENAME_FAIL)",
                cd.name
            ),
        ));
    }
    session
        .engine
        .catalog
        .create_database(&cd.name, &engine, cd.if_not_exists, true)?;
    Ok(QueryOutput::empty())
}

/// Column descriptions from the parsed definition.
fn columns_of(ct: &CreateTable) -> Result<Vec<ColumnDesc>> {
    let mut cols: Vec<ColumnDesc> = Vec::with_capacity(ct.columns.len());
    for c in &ct.columns {
        if cols.iter().any(|x| x.name == c.name) {
            return Err(ch_err!(
                DUPLICATE_COLUMN,
                "Column {} already exists",
                c.name
            ));
        }
        cols.push(column_desc(c)?);
    }
    Ok(cols)
}

/// ClickHouse refuses a column list without a physical column (ordinary, DEFAULT or
/// MATERIALIZED) or, that passed, without an insertable one (ordinary, DEFAULT or EPHEMERAL).
/// An empty list is not checked here: its columns come from `AS` later.
fn check_column_kinds(columns: &[ColumnDesc]) -> Result<()> {
    if columns.is_empty() {
        return Ok(());
    }
    // Physical: stored (ordinary, DEFAULT, MATERIALIZED).
    if !columns.iter().any(ColumnDesc::is_stored) {
        return Err(ch_err!(
            EMPTY_LIST_OF_COLUMNS_PASSED,
            "Cannot CREATE table without physical columns"
        ));
    }
    let insertable = |c: &ColumnDesc| {
        !matches!(
            c.default,
            Some((DefaultKind::Alias | DefaultKind::Materialized, _))
        )
    };
    if !columns.iter().any(insertable) {
        return Err(ch_err!(
            EMPTY_LIST_OF_COLUMNS_PASSED,
            "Cannot CREATE table without insertable columns"
        ));
    }
    Ok(())
}

/// One column's description from its definition.
pub(crate) fn column_desc(c: &sluice_sql::ColumnDef) -> Result<ColumnDesc> {
    let mut ty = match &c.type_text {
        Some(t) => ChType::parse(t)?,
        None => {
            return Err(Error::not_implemented(format!(
                "column {} without a type (type inferred from its default expression)",
                c.name
            )));
        }
    };
    if c.null_modifier == Some(true) {
        ty = ty.into_nullable();
    }
    let default = c.default.as_ref().map(|(k, e)| {
        let kind = match k {
            sluice_sql::DefaultKind::Default => DefaultKind::Default,
            sluice_sql::DefaultKind::Materialized => DefaultKind::Materialized,
            sluice_sql::DefaultKind::Alias => DefaultKind::Alias,
            sluice_sql::DefaultKind::Ephemeral => DefaultKind::Ephemeral,
        };
        let text = match e {
            Some(e) => sluice_sql::format_expr(e),
            None => String::new(),
        };
        (kind, text)
    });
    let codec = c
        .codec
        .as_deref()
        .map(|t| crate::tables::merge_tree::normalize_codecs(t, &ty));
    Ok(ColumnDesc {
        name: c.name.clone(),
        ty,
        default,
        codec,
        comment: c.comment.clone().unwrap_or_default(),
    })
}

fn build_table(engine: &str, columns: Vec<ColumnDesc>) -> Result<TableRef> {
    Ok(match engine {
        "Memory" => Arc::new(MemoryTable::new(columns)),
        "Null" => Arc::new(NullTable::new(columns)),
        "GraphiteMergeTree" | "ReplicatedMergeTree" | "SharedMergeTree" => {
            return Err(Error::not_implemented(format!("table engine {engine}")));
        }
        other => {
            return Err(Error::new(
                ErrorCode::UNKNOWN_STORAGE,
                format!("Unknown table engine {other}"),
            ));
        }
    })
}

/// `CREATE TABLE`.
pub async fn create_table(
    session: &mut Session,
    ct: CreateTable,
    text: &str,
) -> Result<QueryOutput> {
    let (db, name) = resolve(session, &ct.name.database, &ct.name.table);
    create_table_inner(session, &db, &name, ct, text, true).await
}

pub(crate) async fn create_table_inner(
    session: &mut Session,
    db: &str,
    name: &str,
    mut ct: CreateTable,
    text: &str,
    persist: bool,
) -> Result<QueryOutput> {
    // ClickHouse checks the column list before the database and the table's existence.
    let mut columns = columns_of(&ct)?;
    check_column_kinds(&columns)?;
    let catalog = Arc::clone(&session.engine.catalog);
    if !catalog.database_exists(db) {
        return Err(ch_err!(UNKNOWN_DATABASE, "Database {db} does not exist"));
    }
    if catalog.table(db, name).is_some() {
        if ct.if_not_exists {
            return Ok(QueryOutput::empty());
        }
        return Err(ch_err!(
            TABLE_ALREADY_EXISTS,
            "Table {db}.{name} already exists"
        ));
    }
    // A detached table keeps its name (and its data directory).
    catalog.check_not_detached(db, name)?;
    let mut engine_name = ct.engine.as_ref().map(|e| e.name.clone());
    let mut engine_clause = ct.engine.clone();
    if let Some(src) = &ct.as_table {
        let (sdb, sname) = resolve(session, &src.database, &src.table);
        let entry = catalog.table_or_err(&sdb, &sname)?;
        let t = entry.table.as_ref().ok_or_else(|| {
            ch_err!(
                INCORRECT_QUERY,
                "Cannot CREATE TABLE AS a view {sdb}.{sname}"
            )
        })?;
        if columns.is_empty() {
            columns = t.columns();
        }
        if engine_name.is_none() {
            engine_name = Some(t.engine().to_string());
            // The source's full engine clause (keys, settings) comes from its definition.
            if let Ok(stmts) = sluice_sql::parse_statements(&entry.create_sql)
                && let Some(Statement::CreateTable(src_ct)) =
                    stmts.into_iter().next().map(|p| p.statement)
            {
                engine_clause = src_ct.engine;
            }
        }
    }
    let mut select_rows = None;
    if let Some(q) = ct.as_select.take() {
        let out = super::select::run_query(session, (*q).clone()).await?;
        let schema = Arc::clone(&out.schema);
        if columns.is_empty() {
            columns = schema
                .fields()
                .iter()
                .map(|f| ColumnDesc::new(f.name().clone(), ChType::from_field(f)))
                .collect();
        }
        select_rows = Some(out.collect().await?);
    }
    if columns.is_empty() {
        return Err(ch_err!(BAD_ARGUMENTS, "Empty list of columns passed"));
    }
    let engine_name = engine_name.ok_or_else(|| {
        Error::new(
            ErrorCode::ENGINE_REQUIRED,
            "Table engine is not specified in CREATE query",
        )
    })?;
    let table: TableRef = if crate::tables::merge_tree::ENGINES.contains(&engine_name.as_str()) {
        let clause = match engine_clause {
            Some(c) => c,
            None => sluice_sql::EngineClause::new(engine_name.clone()),
        };
        let dir = session.engine.table_data_dir(db, name)?;
        crate::tables::merge_tree::open(session, &columns, &clause, dir).await?
    } else if engine_name == "Kafka" {
        let clause = crate::tables::kafka_session::with_session_settings(
            session,
            engine_clause.unwrap_or_else(|| sluice_sql::EngineClause::new("Kafka")),
        );
        let engine = Arc::clone(&session.engine);
        crate::tables::kafka::KafkaTable::create(&engine, db, name, columns.clone(), &clause)?
    } else {
        build_table(&engine_name, columns.clone())?
    };
    let show = show_create(db, name, &columns, &table.engine_full());
    let create_sql = text.trim().to_string();
    catalog.add_table(
        db,
        name,
        TableDef {
            kind: TableKind::Table,
            table: Some(Arc::clone(&table)),
            create_sql,
            show_create: show,
        },
        persist,
    )?;
    if let Some(batches) = select_rows {
        let mut filled = Vec::with_capacity(batches.len());
        for b in batches {
            filled.push(super::fill::fill_batch(session, &columns, rename_to(&columns, b)?).await?);
        }
        super::insert::write_blocks(session, db, name, &table, filled).await?;
    }
    Ok(QueryOutput::empty())
}

fn rename_to(
    columns: &[ColumnDesc],
    b: datafusion::arrow::record_batch::RecordBatch,
) -> Result<datafusion::arrow::record_batch::RecordBatch> {
    let fields: Vec<_> = b
        .schema()
        .fields()
        .iter()
        .zip(columns.iter().filter(|c| c.is_stored()))
        .map(|(f, c)| f.as_ref().clone().with_name(c.name.clone()))
        .collect();
    datafusion::arrow::record_batch::RecordBatch::try_new(
        Arc::new(datafusion::arrow::datatypes::Schema::new(fields)),
        b.columns().to_vec(),
    )
    .map_err(|e| Error::internal(e.to_string()))
}

/// ClickHouse's multi-line `SHOW CREATE TABLE` text.
pub fn show_create(db: &str, name: &str, columns: &[ColumnDesc], engine: &str) -> String {
    let mut s = format!(
        "CREATE TABLE {}.{}\n(\n",
        quote_ident(db),
        quote_ident(name)
    );
    for (i, c) in columns.iter().enumerate() {
        // ClickHouse back-quotes every column name in SHOW CREATE.
        s.push_str(&format!(
            "    `{}` {}",
            c.name.replace('`', "\\`"),
            c.ty.create_query_name(1)
        ));
        if let Some((k, e)) = &c.default {
            s.push_str(&format!(" {} {e}", k.keyword()));
        }
        if !c.comment.is_empty() {
            s.push_str(&format!(" COMMENT '{}'", c.comment.replace('\'', "\\'")));
        }
        if let Some(codec) = &c.codec {
            s.push_str(&format!(" CODEC({codec})"));
        }
        if i + 1 < columns.len() {
            s.push(',');
        }
        s.push('\n');
    }
    s.push_str(&format!(")\nENGINE = {engine}"));
    s
}

/// `CREATE VIEW`.
pub async fn create_view(
    session: &mut Session,
    cv: sluice_sql::CreateView,
    text: &str,
) -> Result<QueryOutput> {
    let (db, name) = resolve(session, &cv.name.database, &cv.name.table);
    let catalog = Arc::clone(&session.engine.catalog);
    if catalog.table(&db, &name).is_some() {
        if cv.if_not_exists {
            return Ok(QueryOutput::empty());
        }
        if cv.or_replace {
            catalog.drop_table(&db, &name)?;
        } else {
            return Err(ch_err!(
                TABLE_ALREADY_EXISTS,
                "Table {db}.{name} already exists"
            ));
        }
    }
    // Validate the query now (as ClickHouse does); a parameterized view is checked when it
    // is queried with its parameters.
    let query_text = cv.query_text.clone();
    if !crate::rewrite::is_parameterized(&cv.query) {
        super::select::run_query(session, (*cv.query).clone()).await?;
    }
    let show = format!(
        "CREATE VIEW {}.{}\nAS {}",
        quote_ident(&db),
        quote_ident(&name),
        query_text
    );
    catalog.add_table(
        &db,
        &name,
        TableDef {
            kind: TableKind::View { query: query_text },
            table: None,
            create_sql: text.trim().to_string(),
            show_create: show,
        },
        true,
    )?;
    Ok(QueryOutput::empty())
}

/// `DROP TABLE/VIEW/DATABASE [IF EXISTS]`.
pub async fn drop(session: &mut Session, d: sluice_sql::Drop) -> Result<QueryOutput> {
    let catalog = Arc::clone(&session.engine.catalog);
    match d.kind {
        sluice_sql::ObjectKind::Database => {
            for n in &d.names {
                let dropped = catalog.drop_database(&n.table, d.if_exists)?;
                if session.current_db == n.table {
                    session.current_db = "default".into();
                }
                if dropped
                    .iter()
                    .any(|e| matches!(e.kind, TableKind::MaterializedView(_)))
                {
                    session.engine.sync_kafka_consumers();
                }
                // The tables' data goes too, detached tables' included.
                let tables: Vec<TableRef> =
                    dropped.iter().filter_map(|e| e.table.clone()).collect();
                let db_dir = session
                    .engine
                    .table_data_dir(&n.table, "x")?
                    .parent()
                    .map(std::path::Path::to_path_buf);
                tokio::task::spawn_blocking(move || -> Result<()> {
                    for t in tables {
                        t.drop_data()?;
                    }
                    if let Some(dir) = db_dir {
                        match std::fs::remove_dir_all(&dir) {
                            Ok(()) => {}
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                            Err(e) => {
                                return Err(ch_err!(
                                    CANNOT_OPEN_FILE,
                                    "Cannot remove {}: {e}",
                                    dir.display()
                                ));
                            }
                        }
                    }
                    Ok(())
                })
                .await
                .map_err(|e| Error::internal(format!("drop task: {e}")))??;
            }
        }
        _ => {
            for n in &d.names {
                let (db, name) = resolve(session, &n.database, &n.table);
                if !catalog.database_exists(&db) {
                    if d.if_exists {
                        continue;
                    }
                    return Err(ch_err!(UNKNOWN_DATABASE, "Database {db} does not exist"));
                }
                match catalog.table(&db, &name) {
                    None if d.if_exists => continue,
                    None => return Err(ch_err!(UNKNOWN_TABLE, "Table {db}.{name} does not exist")),
                    Some(_) => {
                        let entry = catalog.drop_table(&db, &name)?;
                        if matches!(entry.kind, TableKind::MaterializedView(_)) {
                            session.engine.sync_kafka_consumers();
                        }
                        // A view's inner table goes with it.
                        if let TableKind::MaterializedView(mv) = &entry.kind
                            && mv.inner
                            && let Ok(inner) = catalog.drop_table(&mv.target.0, &mv.target.1)
                            && let Some(t) = inner.table.clone()
                        {
                            tokio::task::spawn_blocking(move || t.drop_data())
                                .await
                                .map_err(|e| Error::internal(format!("drop task: {e}")))??;
                        }
                        if let Some(t) = &entry.table {
                            let t = Arc::clone(t);
                            tokio::task::spawn_blocking(move || t.drop_data())
                                .await
                                .map_err(|e| Error::internal(format!("drop task: {e}")))??;
                        }
                    }
                }
            }
        }
    }
    Ok(QueryOutput::empty())
}

/// `RENAME TABLE a TO b, …`. A MergeTree table's data directory moves with it: the table
/// is closed, its directory renamed and the table opened again under the new name.
pub async fn rename(
    session: &mut Session,
    pairs: Vec<(sluice_sql::TableName, sluice_sql::TableName)>,
) -> Result<QueryOutput> {
    let catalog = Arc::clone(&session.engine.catalog);
    for (from, to) in &pairs {
        let f = resolve(session, &from.database, &from.table);
        let t = resolve(session, &to.database, &to.table);
        catalog.check_not_detached(&t.0, &t.1)?;
        catalog.rename_table((&f.0, &f.1), (&t.0, &t.1))?;
        super::exchange::move_data_dirs(session, vec![(f, t)]).await?;
    }
    Ok(QueryOutput::empty())
}

/// `TRUNCATE TABLE`.
pub async fn truncate(
    session: &mut Session,
    table: sluice_sql::TableName,
    if_exists: bool,
) -> Result<QueryOutput> {
    let (db, name) = resolve(session, &table.database, &table.table);
    let entry = match session.engine.catalog.table(&db, &name) {
        Some(e) => e,
        None if if_exists => return Ok(QueryOutput::empty()),
        None => return Err(ch_err!(UNKNOWN_TABLE, "Table {db}.{name} does not exist")),
    };
    if let Some(tb) = &entry.table {
        tb.truncate()?;
    }
    Ok(QueryOutput::empty())
}

/// Re-creates a table or view from its stored definition at start-up.
pub async fn attach(
    session: &mut Session,
    db: &str,
    table: &str,
    stmt: ParsedStatement,
    sql: &str,
) -> Result<()> {
    match stmt.statement {
        Statement::CreateTable(ct) => {
            create_table_inner(session, db, table, *ct, sql, false).await?;
        }
        Statement::CreateMaterializedView(mut c) => {
            // The view is named by its metadata file (RENAME and EXCHANGE move the file,
            // not the text).
            c.name = sluice_sql::TableName {
                database: Some(db.to_string()),
                table: table.to_string(),
            };
            Box::pin(super::materialized::create(session, *c, sql, false)).await?;
        }
        Statement::CreateView(cv) => {
            let query_text = cv.query_text.clone();
            let show = format!(
                "CREATE VIEW {}.{}\nAS {}",
                quote_ident(db),
                quote_ident(table),
                query_text
            );
            session.engine.catalog.add_table(
                db,
                table,
                TableDef {
                    kind: TableKind::View { query: query_text },
                    table: None,
                    create_sql: sql.to_string(),
                    show_create: show,
                },
                false,
            )?;
        }
        _ => {
            return Err(Error::internal(format!(
                "unexpected metadata statement for {db}.{table}"
            )));
        }
    }
    Ok(())
}
