//! The catalog: databases and their tables/views, persisted as `metadata/<db>/<table>.sql`
//! when the engine has a data path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::RwLock;
use sluice_common::{Error, ErrorCode, Result, ch_err};

use crate::table::TableRef;

mod detached_db;
mod exchange;

pub use detached_db::DetachedDatabase;

/// What kind of object a catalog entry is.
#[derive(Clone, Debug)]
pub enum TableKind {
    /// A table with storage.
    Table,
    /// `CREATE VIEW`: the query text, expanded at query time.
    View {
        /// The view's SELECT, as written.
        query: String,
    },
    /// `CREATE MATERIALIZED VIEW`.
    MaterializedView(Arc<crate::mview::MaterializedView>),
}

/// One table or view.
#[derive(Debug)]
pub struct TableEntry {
    /// Database name.
    pub database: String,
    /// Table name.
    pub name: String,
    /// Table or view.
    pub kind: TableKind,
    /// Storage (None for views).
    pub table: Option<TableRef>,
    /// The statement that recreates it (persisted in `metadata/`), with the table's own name.
    pub create_sql: String,
    /// Text `SHOW CREATE TABLE` prints.
    pub show_create: String,
    /// Stable id.
    pub uuid: String,
    /// When the definition was last changed.
    pub metadata_time: SystemTime,
}

impl TableEntry {
    /// The same object under another database and name (`RENAME`, `EXCHANGE`).
    pub(crate) fn renamed(&self, db: &str, name: &str) -> Arc<TableEntry> {
        // `SHOW CREATE` names the object on its first line.
        let old = format!(
            "{}.{}",
            quote_ident(&self.database),
            quote_ident(&self.name)
        );
        let new = format!("{}.{}", quote_ident(db), quote_ident(name));
        let (first, rest) = self
            .show_create
            .split_once('\n')
            .map_or((self.show_create.as_str(), None), |(a, b)| (a, Some(b)));
        let mut show_create = first.replacen(&old, &new, 1);
        if let Some(rest) = rest {
            show_create.push('\n');
            show_create.push_str(rest);
        }
        Arc::new(TableEntry {
            database: db.to_string(),
            name: name.to_string(),
            kind: self.kind.clone(),
            table: self.table.clone(),
            create_sql: self.create_sql.clone(),
            show_create,
            uuid: self.uuid.clone(),
            metadata_time: SystemTime::now(),
        })
    }
}

/// One database.
#[derive(Debug, Default)]
pub struct Database {
    /// Engine name (`Atomic`, `Memory`).
    pub engine: String,
    /// Tables by name.
    pub tables: BTreeMap<String, Arc<TableEntry>>,
    /// Stable id.
    pub uuid: String,
}

/// A table taken out of the catalog by `DETACH TABLE` (listed in
/// `system.detached_tables`); `ATTACH TABLE` re-creates it from `create_sql`.
#[derive(Debug, Clone)]
pub struct DetachedTable {
    /// Database name.
    pub database: String,
    /// Table name.
    pub name: String,
    /// The stored definition.
    pub create_sql: String,
    /// The id it had while attached.
    pub uuid: String,
    /// `DETACH … PERMANENTLY`: it stays detached across restarts (its metadata file is
    /// renamed `<name>.sql.detached`, as ClickHouse does).
    pub permanently: bool,
}

/// Suffix of the metadata file of a permanently detached table.
const DETACHED_SUFFIX: &str = ".sql.detached";

/// All databases. Thread-safe; shared by every session of an engine.
#[derive(Debug)]
pub struct Catalog {
    dbs: RwLock<BTreeMap<String, Database>>,
    detached: RwLock<BTreeMap<(String, String), DetachedTable>>,
    detached_dbs: RwLock<BTreeMap<String, detached_db::DetachedDatabase>>,
    path: Option<PathBuf>,
}

/// Databases that always exist and are not stored.
pub const SYSTEM_DATABASES: [&str; 3] = ["system", "information_schema", "INFORMATION_SCHEMA"];

fn new_uuid() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let c = COUNTER.fetch_add(1, Ordering::Relaxed);
    let a = nanos ^ c.rotate_left(32);
    let b = c.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ nanos.rotate_left(17);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        (a & 0xfff) as u16,
        (b >> 48) as u16 & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

impl Catalog {
    /// A catalog with `default` (and the virtual `system`), persisted under `path` if given.
    pub fn new(path: Option<PathBuf>) -> Self {
        let mut dbs = BTreeMap::new();
        dbs.insert(
            "default".to_string(),
            Database {
                engine: "Atomic".into(),
                tables: BTreeMap::new(),
                uuid: new_uuid(),
            },
        );
        Self {
            dbs: RwLock::new(dbs),
            detached: RwLock::new(BTreeMap::new()),
            detached_dbs: RwLock::new(BTreeMap::new()),
            path,
        }
    }

    /// Data path, if persistent.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn metadata_dir(&self) -> Option<PathBuf> {
        self.path.as_ref().map(|p| p.join("metadata"))
    }

    /// True if the database exists (including the system ones).
    pub fn database_exists(&self, name: &str) -> bool {
        SYSTEM_DATABASES.contains(&name) || self.dbs.read().contains_key(name)
    }

    /// Names of all databases, sorted, including the system ones.
    pub fn database_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.dbs.read().keys().cloned().collect();
        v.extend(SYSTEM_DATABASES.iter().map(|s| s.to_string()));
        v.sort();
        v
    }

    /// Engine and uuid of a database.
    pub fn database_info(&self, name: &str) -> Option<(String, String)> {
        if SYSTEM_DATABASES.contains(&name) {
            return Some((
                "Memory".into(),
                "00000000-0000-0000-0000-000000000000".into(),
            ));
        }
        self.dbs
            .read()
            .get(name)
            .map(|d| (d.engine.clone(), d.uuid.clone()))
    }

    /// `CREATE DATABASE`.
    pub fn create_database(
        &self,
        name: &str,
        engine: &str,
        if_not_exists: bool,
        persist: bool,
    ) -> Result<()> {
        if self.database_exists(name) {
            if if_not_exists {
                return Ok(());
            }
            return Err(ch_err!(
                DATABASE_ALREADY_EXISTS,
                "Database {name} already exists"
            ));
        }
        if persist && let Some(dir) = self.metadata_dir() {
            std::fs::create_dir_all(dir.join(name)).map_err(io_err)?;
            write_atomic(
                &dir.join(format!("{name}.sql")),
                &format!("ATTACH DATABASE {} ENGINE = {engine}\n", quote_ident(name)),
            )?;
        }
        self.dbs.write().insert(
            name.to_string(),
            Database {
                engine: engine.to_string(),
                tables: BTreeMap::new(),
                uuid: new_uuid(),
            },
        );
        Ok(())
    }

    /// `DROP DATABASE`; returns the dropped tables so their storage can be removed.
    pub fn drop_database(&self, name: &str, if_exists: bool) -> Result<Vec<Arc<TableEntry>>> {
        if SYSTEM_DATABASES.contains(&name) {
            return Err(ch_err!(BAD_ARGUMENTS, "Cannot drop system database {name}"));
        }
        let removed = self.dbs.write().remove(name);
        match removed {
            None if if_exists => Ok(Vec::new()),
            None => Err(unknown_database(name)),
            Some(db) => {
                self.detached.write().retain(|(d, _), _| d != name);
                if let Some(dir) = self.metadata_dir() {
                    let _ = std::fs::remove_dir_all(dir.join(name));
                    let _ = std::fs::remove_file(dir.join(format!("{name}.sql")));
                }
                Ok(db.tables.into_values().collect())
            }
        }
    }

    /// Looks a table up.
    pub fn table(&self, db: &str, name: &str) -> Option<Arc<TableEntry>> {
        self.dbs.read().get(db)?.tables.get(name).cloned()
    }

    /// Looks a table up or fails with UNKNOWN_DATABASE / UNKNOWN_TABLE.
    pub fn table_or_err(&self, db: &str, name: &str) -> Result<Arc<TableEntry>> {
        let dbs = self.dbs.read();
        let d = dbs.get(db).ok_or_else(|| unknown_database(db))?;
        d.tables
            .get(name)
            .cloned()
            .ok_or_else(|| ch_err!(UNKNOWN_TABLE, "Table {db}.{name} does not exist"))
    }

    /// Tables of a database, sorted by name.
    pub fn tables(&self, db: &str) -> Vec<Arc<TableEntry>> {
        self.dbs
            .read()
            .get(db)
            .map(|d| d.tables.values().cloned().collect())
            .unwrap_or_default()
    }

    /// All (database, entry) pairs.
    pub fn all_tables(&self) -> Vec<Arc<TableEntry>> {
        self.dbs
            .read()
            .values()
            .flat_map(|d| d.tables.values().cloned())
            .collect()
    }

    /// Adds a table; persists its definition unless `persist` is false (used while loading).
    pub fn add_table(
        &self,
        db: &str,
        name: &str,
        def: TableDef,
        persist: bool,
    ) -> Result<Arc<TableEntry>> {
        let TableDef {
            kind,
            table,
            create_sql,
            show_create,
        } = def;
        let mut dbs = self.dbs.write();
        let d = dbs.get_mut(db).ok_or_else(|| unknown_database(db))?;
        if d.tables.contains_key(name) {
            return Err(ch_err!(
                TABLE_ALREADY_EXISTS,
                "Table {db}.{name} already exists"
            ));
        }
        self.check_not_detached(db, name)?;
        if persist && let Some(dir) = self.metadata_dir() {
            let dbdir = dir.join(db);
            std::fs::create_dir_all(&dbdir).map_err(io_err)?;
            write_atomic(
                &dbdir.join(format!("{}.sql", escape_file(name))),
                &create_sql,
            )?;
        }
        let entry = Arc::new(TableEntry {
            database: db.to_string(),
            name: name.to_string(),
            kind,
            table,
            create_sql,
            show_create,
            uuid: new_uuid(),
            metadata_time: SystemTime::now(),
        });
        d.tables.insert(name.to_string(), Arc::clone(&entry));
        Ok(entry)
    }

    /// Removes a table from the catalog and its metadata file.
    pub fn drop_table(&self, db: &str, name: &str) -> Result<Arc<TableEntry>> {
        let mut dbs = self.dbs.write();
        let d = dbs.get_mut(db).ok_or_else(|| unknown_database(db))?;
        let entry = d
            .tables
            .remove(name)
            .ok_or_else(|| ch_err!(UNKNOWN_TABLE, "Table {db}.{name} does not exist"))?;
        if let Some(dir) = self.metadata_dir() {
            let _ = std::fs::remove_file(dir.join(db).join(format!("{}.sql", escape_file(name))));
        }
        Ok(entry)
    }

    /// Replaces a table's definition after `ALTER` (same storage), persisting it.
    pub fn replace_definition(
        &self,
        db: &str,
        name: &str,
        create_sql: String,
        show_create: String,
    ) -> Result<()> {
        let mut dbs = self.dbs.write();
        let d = dbs.get_mut(db).ok_or_else(|| unknown_database(db))?;
        let old = d
            .tables
            .get(name)
            .cloned()
            .ok_or_else(|| ch_err!(UNKNOWN_TABLE, "Table {db}.{name} does not exist"))?;
        if !matches!(old.kind, TableKind::Table) {
            return Err(ch_err!(NOT_IMPLEMENTED, "ALTER of a view {db}.{name}"));
        }
        self.persist_definition(db, name, &create_sql)?;
        d.tables.insert(
            name.to_string(),
            Arc::new(TableEntry {
                database: old.database.clone(),
                name: old.name.clone(),
                kind: TableKind::Table,
                table: old.table.clone(),
                create_sql,
                show_create,
                uuid: old.uuid.clone(),
                metadata_time: SystemTime::now(),
            }),
        );
        Ok(())
    }

    /// Writes (or rewrites) the stored definition of `db.name` (no-op without a path).
    pub fn persist_definition(&self, db: &str, name: &str, sql: &str) -> Result<()> {
        if let Some(dir) = self.metadata_dir() {
            let dbdir = dir.join(db);
            std::fs::create_dir_all(&dbdir).map_err(io_err)?;
            write_atomic(&dbdir.join(format!("{}.sql", escape_file(name))), sql)?;
        }
        Ok(())
    }

    /// `RENAME TABLE a TO b` (across databases too).
    pub fn rename_table(&self, from: (&str, &str), to: (&str, &str)) -> Result<()> {
        let mut dbs = self.dbs.write();
        if !dbs.contains_key(to.0) {
            return Err(unknown_database(to.0));
        }
        if dbs.get(to.0).is_some_and(|d| d.tables.contains_key(to.1)) {
            return Err(ch_err!(
                TABLE_ALREADY_EXISTS,
                "Table {}.{} already exists",
                to.0,
                to.1
            ));
        }
        let src = dbs
            .get_mut(from.0)
            .ok_or_else(|| unknown_database(from.0))?;
        let entry = src
            .tables
            .remove(from.1)
            .ok_or_else(|| ch_err!(UNKNOWN_TABLE, "Table {}.{} does not exist", from.0, from.1))?;
        let renamed = entry.renamed(to.0, to.1);
        if let Some(dir) = self.metadata_dir() {
            let old = dir
                .join(from.0)
                .join(format!("{}.sql", escape_file(from.1)));
            let new_dir = dir.join(to.0);
            std::fs::create_dir_all(&new_dir).map_err(io_err)?;
            let new = new_dir.join(format!("{}.sql", escape_file(to.1)));
            std::fs::rename(&old, &new).map_err(io_err)?;
        }
        if let Some(d) = dbs.get_mut(to.0) {
            d.tables.insert(to.1.to_string(), renamed);
        }
        Ok(())
    }

    /// Fails with `TABLE_ALREADY_EXISTS` when `db.name` is detached (ClickHouse refuses to
    /// create a table over a detached one).
    pub fn check_not_detached(&self, db: &str, name: &str) -> Result<()> {
        if self
            .detached
            .read()
            .contains_key(&(db.to_string(), name.to_string()))
        {
            return Err(ch_err!(
                TABLE_ALREADY_EXISTS,
                "Table {db}.{name} already exists (detached)"
            ));
        }
        Ok(())
    }

    /// `DETACH TABLE db.name [PERMANENTLY]`: the entry leaves the catalog (the caller stops
    /// its background work); its definition is kept for `ATTACH`. A non-permanent detach
    /// keeps the metadata file, so the table is back after a restart.
    pub fn detach_table(&self, db: &str, name: &str, permanently: bool) -> Result<Arc<TableEntry>> {
        let mut dbs = self.dbs.write();
        let d = dbs.get_mut(db).ok_or_else(|| unknown_database(db))?;
        let entry = d
            .tables
            .get(name)
            .cloned()
            .ok_or_else(|| ch_err!(UNKNOWN_TABLE, "Table {db}.{name} does not exist"))?;
        if permanently && let Some(dir) = self.metadata_dir() {
            let from = dir.join(db).join(format!("{}.sql", escape_file(name)));
            let to = dir
                .join(db)
                .join(format!("{}{DETACHED_SUFFIX}", escape_file(name)));
            std::fs::rename(&from, &to).map_err(io_err)?;
        }
        d.tables.remove(name);
        self.detached.write().insert(
            (db.to_string(), name.to_string()),
            DetachedTable {
                database: db.to_string(),
                name: name.to_string(),
                create_sql: entry.create_sql.clone(),
                uuid: entry.uuid.clone(),
                permanently,
            },
        );
        Ok(entry)
    }

    /// Takes a detached table's definition out for `ATTACH TABLE` (a permanently detached
    /// table's metadata file gets its `.sql` name back). `None` when it is not detached.
    pub fn take_detached(&self, db: &str, name: &str) -> Result<Option<DetachedTable>> {
        let key = (db.to_string(), name.to_string());
        let Some(t) = self.detached.write().remove(&key) else {
            return Ok(None);
        };
        if t.permanently
            && let Some(dir) = self.metadata_dir()
        {
            let from = dir
                .join(db)
                .join(format!("{}{DETACHED_SUFFIX}", escape_file(name)));
            let to = dir.join(db).join(format!("{}.sql", escape_file(name)));
            if let Err(e) = std::fs::rename(&from, &to) {
                self.detached.write().insert(key, t);
                return Err(io_err(e));
            }
        }
        Ok(Some(t))
    }

    /// Puts back a definition [`Catalog::take_detached`] returned when attaching failed.
    pub fn restore_detached(&self, t: DetachedTable) {
        if t.permanently
            && let Some(dir) = self.metadata_dir()
        {
            let db = &t.database;
            let from = dir.join(db).join(format!("{}.sql", escape_file(&t.name)));
            let to = dir
                .join(db)
                .join(format!("{}{DETACHED_SUFFIX}", escape_file(&t.name)));
            let _ = std::fs::rename(from, to);
        }
        self.detached
            .write()
            .insert((t.database.clone(), t.name.clone()), t);
    }

    /// Detached tables (`system.detached_tables`), by database and name.
    pub fn detached_tables(&self) -> Vec<DetachedTable> {
        self.detached.read().values().cloned().collect()
    }

    /// Persisted definitions to replay at start-up: databases, then (db, table, sql).
    pub fn stored_definitions(&self) -> Result<StoredDefinitions> {
        let Some(dir) = self.metadata_dir() else {
            return Ok((Vec::new(), Vec::new()));
        };
        if !dir.exists() {
            std::fs::create_dir_all(&dir).map_err(io_err)?;
            return Ok((Vec::new(), Vec::new()));
        }
        let mut dbs = Vec::new();
        let mut tables = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(&dir).map_err(io_err)?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                let db = unescape_file(&e.file_name().to_string_lossy());
                let engine = std::fs::read_to_string(dir.join(format!("{db}.sql")))
                    .ok()
                    .and_then(|s| s.split("ENGINE = ").nth(1).map(|x| x.trim().to_string()))
                    .unwrap_or_else(|| "Atomic".into());
                dbs.push((db.clone(), engine));
                let mut files: Vec<_> = std::fs::read_dir(&p).map_err(io_err)?.flatten().collect();
                files.sort_by_key(|e| e.file_name());
                for f in files {
                    let name = f.file_name().to_string_lossy().to_string();
                    if let Some(t) = name.strip_suffix(".sql") {
                        let sql = std::fs::read_to_string(f.path()).map_err(io_err)?;
                        tables.push((db.clone(), unescape_file(t), sql));
                    } else if let Some(t) = name.strip_suffix(DETACHED_SUFFIX) {
                        // Permanently detached: listed, attached only by `ATTACH TABLE`.
                        let sql = std::fs::read_to_string(f.path()).map_err(io_err)?;
                        let t = unescape_file(t);
                        self.detached.write().insert(
                            (db.clone(), t.clone()),
                            DetachedTable {
                                database: db.clone(),
                                name: t,
                                create_sql: sql,
                                uuid: new_uuid(),
                                permanently: true,
                            },
                        );
                    } else if name.starts_with("tmp") {
                        let _ = std::fs::remove_file(f.path());
                    }
                }
            }
        }
        Ok((dbs, tables))
    }
}

/// What [`Catalog::add_table`] registers besides the name.
pub struct TableDef {
    /// Table or view.
    pub kind: TableKind,
    /// The storage, `None` for views.
    pub table: Option<TableRef>,
    /// The `CREATE` statement as written, persisted to `metadata/`.
    pub create_sql: String,
    /// What `SHOW CREATE TABLE` prints.
    pub show_create: String,
}

/// Databases `(name, engine)` and tables `(database, name, create sql)` found on disk.
pub type StoredDefinitions = (Vec<(String, String)>, Vec<(String, String, String)>);

fn unknown_database(name: &str) -> Error {
    Error::new(
        ErrorCode::UNKNOWN_DATABASE,
        format!("Database {name} does not exist"),
    )
}

fn io_err(e: std::io::Error) -> Error {
    Error::new(
        ErrorCode::CANNOT_OPEN_FILE,
        format!("I/O error in metadata: {e}"),
    )
}

/// Writes a file atomically: temp file, fsync, rename, fsync of the directory.
pub fn write_atomic(path: &Path, content: &str) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let tmp = dir.join(format!(
        "tmp_{}",
        path.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    ));
    let mut f = std::fs::File::create(&tmp).map_err(io_err)?;
    f.write_all(content.as_bytes()).map_err(io_err)?;
    f.sync_all().map_err(io_err)?;
    std::fs::rename(&tmp, path).map_err(io_err)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Backquotes an identifier when ClickHouse would.
pub fn quote_ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
    }
}

pub(crate) fn escape_file(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unescape_file(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && i + 2 < bytes.len()
            && let Ok(v) = u8::from_str_radix(&name[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
