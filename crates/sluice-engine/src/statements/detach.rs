//! `DETACH TABLE|VIEW t [PERMANENTLY]` and `ATTACH TABLE t`: a detached table leaves the
//! catalog (queries see `UNKNOWN_TABLE`, `system.tables` omits it, its background work
//! stops) but keeps its definition and data; `ATTACH` opens it again from its definition.
//! A Memory table comes back empty, as in ClickHouse. A non-permanent detach keeps the
//! metadata file, so the table is back after a restart; a permanent one does not.

use std::sync::Arc;

use sluice_common::{Error, ErrorCode, Result, ch_err};
use sluice_sql::{Attach, Detach, ObjectKind};

use crate::catalog::TableKind;
use crate::session::{QueryOutput, Session};
use crate::table::TableRef;
use crate::tables::merge_tree::MergeTreeStorage;

fn resolve(session: &Session, t: &sluice_sql::TableName) -> (String, String) {
    (
        t.database
            .clone()
            .unwrap_or_else(|| session.current_db.clone()),
        t.table.clone(),
    )
}

/// Stops what a table runs in the background (Kafka consumers, merges); blocking.
pub(crate) fn stop_background(t: &TableRef) {
    if let Some(k) = crate::tables::kafka::as_kafka(t) {
        k.stop();
    }
    if let Some(m) = t.as_any().downcast_ref::<MergeTreeStorage>() {
        m.storage().shutdown();
    }
}

/// `DETACH TABLE|VIEW [IF EXISTS] t [PERMANENTLY]`.
pub async fn detach(session: &mut Session, d: Detach) -> Result<QueryOutput> {
    match d.kind {
        ObjectKind::Database => return detach_database(session, d).await,
        ObjectKind::Dictionary => return Err(Error::not_implemented("DETACH DICTIONARY")),
        _ => {}
    }
    let (db, name) = resolve(session, &d.name);
    let catalog = Arc::clone(&session.engine.catalog);
    if !catalog.database_exists(&db) {
        return Err(ch_err!(UNKNOWN_DATABASE, "Database {db} does not exist"));
    }
    if crate::catalog::SYSTEM_DATABASES.contains(&db.as_str()) {
        return Err(ch_err!(
            NOT_IMPLEMENTED,
            "Cannot detach a table of the system database {db}"
        ));
    }
    if catalog.table(&db, &name).is_none() {
        if d.if_exists {
            return Ok(QueryOutput::empty());
        }
        return Err(ch_err!(UNKNOWN_TABLE, "Table {db}.{name} does not exist"));
    }
    let entry = catalog.detach_table(&db, &name, d.permanently)?;
    if let Some(t) = entry.table.clone() {
        tokio::task::spawn_blocking(move || stop_background(&t))
            .await
            .map_err(|e| Error::internal(format!("detach task: {e}")))?;
    }
    if matches!(entry.kind, TableKind::MaterializedView(_)) {
        // A source Kafka table without views left stops consuming.
        session.engine.sync_kafka_consumers();
    }
    Ok(QueryOutput::empty())
}

/// `ATTACH TABLE|VIEW [IF NOT EXISTS] t [UUID '…'] [definition]`: the short form
/// re-attaches a detached table; the full form creates the table over the data its
/// directory holds (see [`attach_definition`]).
pub async fn attach(session: &mut Session, a: Attach, text: &str) -> Result<QueryOutput> {
    match a.kind {
        ObjectKind::Database => return Box::pin(attach_database(session, a)).await,
        ObjectKind::Dictionary => return Err(Error::not_implemented("ATTACH DICTIONARY")),
        _ => {}
    }
    let (db, name) = resolve(session, &a.name);
    let catalog = Arc::clone(&session.engine.catalog);
    if !catalog.database_exists(&db) {
        return Err(ch_err!(UNKNOWN_DATABASE, "Database {db} does not exist"));
    }
    if catalog.table(&db, &name).is_some() {
        if a.if_not_exists {
            return Ok(QueryOutput::empty());
        }
        return Err(ch_err!(
            TABLE_ALREADY_EXISTS,
            "Table {db}.{name} already exists"
        ));
    }
    if let Some(def) = a.definition {
        return attach_definition(session, (&db, &name), a.uuid.is_some(), *def, text).await;
    }
    let Some(detached) = catalog.take_detached(&db, &name)? else {
        return Err(ch_err!(
            CANNOT_GET_CREATE_TABLE_QUERY,
            "There is no metadata of table `{name}` in database `{db}`"
        ));
    };
    let sql = detached.create_sql.clone();
    if let Err(e) = session.attach_stored(&db, &name, &sql).await {
        catalog.restore_detached(detached);
        return Err(e);
    }
    session.engine.sync_kafka_consumers();
    Ok(QueryOutput::empty())
}

/// `DETACH DATABASE [IF EXISTS] db`: its tables leave the catalog and stop their
/// background work; the metadata stays, so the database is back after a restart.
async fn detach_database(session: &mut Session, d: Detach) -> Result<QueryOutput> {
    let name = d.name.table.clone();
    let catalog = Arc::clone(&session.engine.catalog);
    if d.permanently && catalog.database_info(&name).is_some() {
        return Err(ch_err!(
            NOT_IMPLEMENTED,
            "DETACH PERMANENTLY is not implemented for databases"
        ));
    }
    let entries = match catalog.detach_database(&name) {
        Err(e) if d.if_exists && e.code == ErrorCode::UNKNOWN_DATABASE => {
            return Ok(QueryOutput::empty());
        }
        other => other?,
    };
    let tables: Vec<TableRef> = entries.iter().filter_map(|e| e.table.clone()).collect();
    tokio::task::spawn_blocking(move || tables.iter().for_each(stop_background))
        .await
        .map_err(|e| Error::internal(format!("detach task: {e}")))?;
    session.engine.sync_kafka_consumers();
    Ok(QueryOutput::empty())
}

/// `ATTACH DATABASE [IF NOT EXISTS] db`: a detached database comes back with its tables
/// (opened again from their definitions, MergeTree data included). The full form with
/// an engine creates a database for engines without a UUID; `Atomic` needs one, as in
/// ClickHouse.
async fn attach_database(session: &mut Session, a: Attach) -> Result<QueryOutput> {
    let name = a.name.table.clone();
    let catalog = Arc::clone(&session.engine.catalog);
    if catalog.database_exists(&name) {
        if a.if_not_exists {
            return Ok(QueryOutput::empty());
        }
        return Err(ch_err!(
            DATABASE_ALREADY_EXISTS,
            "Database {name} already exists"
        ));
    }
    if let Some(def) = a.definition {
        let sluice_sql::Statement::CreateDatabase(cd) = *def else {
            return Err(Error::internal(
                "ATTACH DATABASE: not a database definition",
            ));
        };
        let engine = cd.engine.as_ref().map_or("Atomic", |e| e.name.as_str());
        if engine == "Atomic" {
            return Err(ch_err!(
                INCORRECT_QUERY,
                "UUID must be specified for ATTACH. If you want to attach existing database, \
                 use just ATTACH DATABASE {name};"
            ));
        }
        return super::ddl::create_database(session, *cd).await;
    }
    let Some(detached) = catalog.attach_database(&name)? else {
        return Err(Error::new(
            ErrorCode::UNKNOWN_DATABASE_ENGINE,
            "Database engine must be specified for ATTACH DATABASE query",
        ));
    };
    // Definitions are replayed as at start-up (a fresh session in `default`).
    let mut replay = session.engine.session();
    for (table, sql) in &detached.tables {
        if let Err(e) = replay.attach_stored(&name, table, sql).await {
            tracing::error!(
                "Cannot attach table {name}.{table}: {}",
                e.to_clickhouse_string()
            );
        }
    }
    session.engine.sync_kafka_consumers();
    Ok(QueryOutput::empty())
}

/// The full form `ATTACH TABLE t [UUID '…'] (…) ENGINE = …` (also views): the table is
/// created from the definition over whatever its data directory holds, so parts left
/// by a table whose metadata was removed come back. An `Atomic` database wants the
/// `UUID` form, as in ClickHouse; Sluice keeps data by table name, so any UUID attaches
/// the directory of that name. A detached table of that name is replaced.
async fn attach_definition(
    session: &mut Session,
    (db, name): (&str, &str),
    has_uuid: bool,
    def: sluice_sql::Statement,
    text: &str,
) -> Result<QueryOutput> {
    let catalog = Arc::clone(&session.engine.catalog);
    let engine = catalog
        .database_info(db)
        .map(|(e, _)| e)
        .unwrap_or_default();
    if engine == "Atomic" && !has_uuid {
        return Err(ch_err!(
            INCORRECT_QUERY,
            "Incorrect ATTACH TABLE query for Atomic database engine. Use one of the \
             following queries instead:\n1. ATTACH TABLE {name};\n2. CREATE TABLE {name} \
             <table definition>;\n3. ATTACH TABLE {name} FROM '/path/to/data/' <table \
             definition>;\n4. ATTACH TABLE {name} UUID '<uuid>' <table definition>;"
        ));
    }
    // Stored as the CREATE statement it is (metadata files are replayed as CREATE).
    let body = text.trim_start();
    let create_text = match body.get(..6) {
        Some(kw) if kw.eq_ignore_ascii_case("ATTACH") => format!("CREATE{}", &body[6..]),
        _ => body.to_string(),
    };
    let detached = catalog.take_detached(db, name)?;
    let result = match def {
        sluice_sql::Statement::CreateTable(ct) => {
            Box::pin(super::ddl::create_table_inner(
                session,
                db,
                name,
                *ct,
                &create_text,
                true,
            ))
            .await
        }
        sluice_sql::Statement::CreateView(cv) => {
            super::ddl::create_view(session, *cv, &create_text).await
        }
        sluice_sql::Statement::CreateMaterializedView(c) => {
            Box::pin(super::materialized::create(session, *c, &create_text, true)).await
        }
        _ => Err(Error::internal("ATTACH: not a table definition")),
    };
    if result.is_err()
        && let Some(d) = detached
    {
        catalog.restore_detached(d);
    }
    let out = result?;
    session.engine.sync_kafka_consumers();
    Ok(out)
}
