//! `DETACH DATABASE` / `ATTACH DATABASE` in the catalog. A detached database leaves the
//! catalog with its tables (queries see `UNKNOWN_DATABASE`) but keeps its metadata files,
//! so it is back after a restart, as in ClickHouse; `ATTACH DATABASE` re-creates its
//! tables from their definitions. Tables detached non-permanently come back attached
//! (ClickHouse reloads the database from its metadata); permanently detached ones stay
//! detached.

use std::sync::Arc;

use sluice_common::{Result, ch_err};

use super::{Catalog, Database, DetachedTable, TableEntry, TableKind, unknown_database};

/// A database taken out by `DETACH DATABASE`.
#[derive(Debug, Clone)]
pub struct DetachedDatabase {
    /// Database name.
    pub name: String,
    /// Its engine (`Atomic`, `Memory`, …).
    pub engine: String,
    /// Its id.
    pub uuid: String,
    /// `(table, stored definition)` to attach again: tables first, then views, then
    /// materialized views (which need their source and target).
    pub tables: Vec<(String, String)>,
    /// Tables that stay detached (`DETACH … PERMANENTLY`).
    pub permanently_detached: Vec<DetachedTable>,
}

/// Attach order of an entry: plain tables, views, materialized views.
fn attach_rank(kind: &TableKind) -> u8 {
    match kind {
        TableKind::Table => 0,
        TableKind::View { .. } => 1,
        TableKind::MaterializedView(_) => 2,
    }
}

impl Catalog {
    /// True while `name` is detached by `DETACH DATABASE`.
    pub fn database_detached(&self, name: &str) -> bool {
        self.detached_dbs.read().contains_key(name)
    }

    /// `DETACH DATABASE name`: the database and its tables leave the catalog (the caller
    /// stops the returned tables' background work); its metadata stays on disk.
    pub fn detach_database(&self, name: &str) -> Result<Vec<Arc<TableEntry>>> {
        if super::SYSTEM_DATABASES.contains(&name) {
            return Err(unknown_database(name));
        }
        let mut dbs = self.dbs.write();
        let db = dbs.remove(name).ok_or_else(|| unknown_database(name))?;
        let mut detached = self.detached.write();
        let keys: Vec<(String, String)> = detached
            .keys()
            .filter(|(d, _)| d == name)
            .cloned()
            .collect();
        let mut entries: Vec<Arc<TableEntry>> = db.tables.into_values().collect();
        entries.sort_by_key(|e| (attach_rank(&e.kind), e.name.clone()));
        let mut tables: Vec<(String, String)> = entries
            .iter()
            .map(|e| (e.name.clone(), e.create_sql.clone()))
            .collect();
        let mut permanently_detached = Vec::new();
        for k in keys {
            if let Some(t) = detached.remove(&k) {
                if t.permanently {
                    permanently_detached.push(t);
                } else {
                    tables.push((t.name.clone(), t.create_sql.clone()));
                }
            }
        }
        self.detached_dbs.write().insert(
            name.to_string(),
            DetachedDatabase {
                name: name.to_string(),
                engine: db.engine,
                uuid: db.uuid,
                tables,
                permanently_detached,
            },
        );
        Ok(entries)
    }

    /// `ATTACH DATABASE name`: the database is back in the catalog, empty; the caller
    /// attaches the returned definitions. `None` when it is not detached.
    pub fn attach_database(&self, name: &str) -> Result<Option<DetachedDatabase>> {
        let mut dbs = self.dbs.write();
        if dbs.contains_key(name) {
            return Err(ch_err!(
                DATABASE_ALREADY_EXISTS,
                "Database {name} already exists"
            ));
        }
        let Some(d) = self.detached_dbs.write().remove(name) else {
            return Ok(None);
        };
        dbs.insert(
            name.to_string(),
            Database {
                engine: d.engine.clone(),
                tables: Default::default(),
                uuid: d.uuid.clone(),
            },
        );
        let mut detached = self.detached.write();
        for t in &d.permanently_detached {
            detached.insert((t.database.clone(), t.name.clone()), t.clone());
        }
        Ok(Some(d))
    }
}
