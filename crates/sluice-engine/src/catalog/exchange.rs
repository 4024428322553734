//! `EXCHANGE TABLES a AND b` in the catalog: the two entries swap names, and so do their
//! metadata files (Atomic databases' semantics: both names stay taken throughout).

use std::path::PathBuf;

use sluice_common::{Result, ch_err};

use super::{Catalog, escape_file, io_err, unknown_database};

impl Catalog {
    /// The metadata file of `db.name` (`None` without a data path).
    pub(crate) fn metadata_file(&self, db: &str, name: &str) -> Option<PathBuf> {
        self.metadata_dir()
            .map(|d| d.join(db).join(format!("{}.sql", escape_file(name))))
    }

    /// Swaps the tables (or views) `a` and `b`: each takes the other's name. Both must
    /// exist; databases of different engines refuse it as ClickHouse does.
    pub fn exchange_tables(&self, a: (&str, &str), b: (&str, &str)) -> Result<()> {
        let mut dbs = self.dbs.write();
        for (db, name) in [a, b] {
            let d = dbs.get(db).ok_or_else(|| unknown_database(db))?;
            if !d.tables.contains_key(name) {
                return Err(ch_err!(UNKNOWN_TABLE, "Table {db}.{name} does not exist"));
            }
        }
        if a == b {
            return Ok(());
        }
        let engine = |db: &str| dbs.get(db).map(|d| d.engine.clone());
        if engine(a.0) != engine(b.0) {
            return Err(ch_err!(
                NOT_IMPLEMENTED,
                "Moving tables between databases of different engines is not supported"
            ));
        }
        if let (Some(fa), Some(fb)) = (self.metadata_file(a.0, a.1), self.metadata_file(b.0, b.1)) {
            swap_files(&fa, &fb)?;
        }
        let take = |dbs: &mut std::collections::BTreeMap<String, super::Database>,
                    (db, name): (&str, &str)| {
            dbs.get_mut(db)
                .and_then(|d| d.tables.remove(name))
                .ok_or_else(|| ch_err!(UNKNOWN_TABLE, "Table {db}.{name} does not exist"))
        };
        let ea = take(&mut dbs, a)?;
        let eb = take(&mut dbs, b)?;
        if let Some(d) = dbs.get_mut(b.0) {
            d.tables.insert(b.1.to_string(), ea.renamed(b.0, b.1));
        }
        if let Some(d) = dbs.get_mut(a.0) {
            d.tables.insert(a.1.to_string(), eb.renamed(a.0, a.1));
        }
        Ok(())
    }
}

/// Swaps two files through a temporary name next to the first; a missing file counts as
/// an empty slot (the other file moves alone).
fn swap_files(a: &std::path::Path, b: &std::path::Path) -> Result<()> {
    let tmp = a.with_extension("sql.exchange");
    let (has_a, has_b) = (a.exists(), b.exists());
    if has_a {
        std::fs::rename(a, &tmp).map_err(io_err)?;
    }
    if has_b {
        std::fs::rename(b, a).map_err(io_err)?;
    }
    if has_a {
        std::fs::rename(&tmp, b).map_err(io_err)?;
    }
    Ok(())
}
