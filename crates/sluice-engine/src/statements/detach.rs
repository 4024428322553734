//! `DETACH TABLE|VIEW t [PERMANENTLY]` and `ATTACH TABLE t`: a detached table leaves the
//! catalog (queries see `UNKNOWN_TABLE`, `system.tables` omits it, its background work
//! stops) but keeps its definition and data; `ATTACH` opens it again from its definition.
//! A Memory table comes back empty, as in ClickHouse. A non-permanent detach keeps the
//! metadata file, so the table is back after a restart; a permanent one does not.

use std::sync::Arc;

use sluice_common::{Error, Result, ch_err};
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
    if matches!(d.kind, ObjectKind::Database | ObjectKind::Dictionary) {
        return Err(Error::not_implemented(format!(
            "DETACH {}",
            if d.kind == ObjectKind::Database {
                "DATABASE"
            } else {
                "DICTIONARY"
            }
        )));
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

/// `ATTACH TABLE|VIEW [IF NOT EXISTS] t`: re-attaches a detached table (the full form
/// with a definition is `NOT_IMPLEMENTED`).
pub async fn attach(session: &mut Session, a: Attach) -> Result<QueryOutput> {
    if matches!(a.kind, ObjectKind::Database | ObjectKind::Dictionary) {
        return Err(Error::not_implemented("ATTACH DATABASE / DICTIONARY"));
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
    if a.definition.is_some() {
        return Err(Error::not_implemented(
            "ATTACH TABLE with a definition (use CREATE TABLE over the data directory)",
        ));
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
