//! `EXCHANGE TABLES a AND b`, and moving MergeTree data directories after the catalog
//! renamed tables (`RENAME TABLE` uses it too). A MergeTree table's parts live under
//! `data/<db>/<table>`, so a table that changes name is closed, its directory moved and
//! the table opened again from its definition under the new name.

use std::path::PathBuf;
use std::sync::Arc;

use sluice_common::{Error, Result, ch_err};
use sluice_sql::TableName;

use crate::catalog::TableKind;
use crate::session::{QueryOutput, Session};
use crate::tables::merge_tree::MergeTreeStorage;

fn resolve(session: &Session, t: &TableName) -> (String, String) {
    (
        t.database
            .clone()
            .unwrap_or_else(|| session.current_db.clone()),
        t.table.clone(),
    )
}

/// `EXCHANGE TABLES a AND b`: the two tables (or views) swap names atomically in the
/// catalog; MergeTree data directories follow their tables. Materialized views keep
/// their targets by name, so a view writing to `a` writes to the new `a` afterwards; a
/// materialized view `TO` a table may itself be exchanged.
pub async fn exchange(session: &mut Session, a: TableName, b: TableName) -> Result<QueryOutput> {
    let (fa, fb) = (resolve(session, &a), resolve(session, &b));
    let catalog = Arc::clone(&session.engine.catalog);
    for (db, name) in [&fa, &fb] {
        let entry = catalog.table_or_err(db, name)?;
        // A view's inner table is named after the view (`.inner.<view>`), so it cannot
        // follow a new name; views writing `TO` a table can.
        if let TableKind::MaterializedView(mv) = &entry.kind
            && mv.inner
        {
            return Err(Error::not_implemented(
                "EXCHANGE TABLES of a materialized view with an inner table",
            ));
        }
    }
    catalog.exchange_tables((&fa.0, &fa.1), (&fb.0, &fb.1))?;
    if fa != fb {
        move_data_dirs(session, vec![(fa.clone(), fb.clone()), (fb, fa)]).await?;
    }
    session.engine.sync_kafka_consumers();
    Ok(QueryOutput::empty())
}

/// After the catalog renamed tables `from → to` (each pair: the old name, the name the
/// table has now), moves the data directory of every MergeTree table among them and
/// reopens it there (materialized views are reopened too, under their new name). Directories go through temporary names first, so names may swap.
pub(crate) async fn move_data_dirs(
    session: &mut Session,
    moves: Vec<((String, String), (String, String))>,
) -> Result<()> {
    let catalog = Arc::clone(&session.engine.catalog);
    let mut reopen = Vec::new();
    let mut dirs: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut closed = Vec::new();
    for (from, to) in moves {
        let entry = catalog.table_or_err(&to.0, &to.1)?;
        let merge_tree = entry
            .table
            .clone()
            .filter(|t| t.as_any().downcast_ref::<MergeTreeStorage>().is_some());
        // A materialized view `TO` a table is opened again to learn its new name (one with
        // an inner table keeps it: the inner table is named after the old name).
        let view = matches!(&entry.kind, TableKind::MaterializedView(mv) if !mv.inner);
        if merge_tree.is_none() && !view {
            continue;
        }
        // Out of the catalog (its metadata file, already renamed, stays), closed, moved.
        catalog.detach_table(&to.0, &to.1, false)?;
        let Some(def) = catalog.take_detached(&to.0, &to.1)? else {
            return Err(Error::internal("renamed table vanished"));
        };
        std::mem::drop(entry);
        if let Some(storage) = merge_tree {
            dirs.push((
                session.engine.table_data_dir(&from.0, &from.1)?,
                session.engine.table_data_dir(&to.0, &to.1)?,
            ));
            closed.push(storage);
        }
        reopen.push((to, def.create_sql));
    }
    tokio::task::spawn_blocking(move || -> Result<()> {
        for storage in closed {
            super::detach::stop_background(&storage);
        }
        let mut staged = Vec::new();
        for (old, new) in dirs {
            if !old.exists() {
                continue;
            }
            let tmp = old.with_extension("moving");
            rename_dir(&old, &tmp)?;
            staged.push((tmp, new));
        }
        for (tmp, new) in staged {
            if let Some(parent) = new.parent() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    ch_err!(CANNOT_OPEN_FILE, "Cannot create {}: {e}", parent.display())
                })?;
            }
            rename_dir(&tmp, &new)?;
        }
        Ok(())
    })
    .await
    .map_err(|e| Error::internal(format!("rename task: {e}")))??;
    for ((db, name), sql) in reopen {
        session.attach_stored(&db, &name, &sql).await?;
    }
    Ok(())
}

fn rename_dir(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| {
        ch_err!(
            CANNOT_OPEN_FILE,
            "Cannot move {} to {}: {e}",
            from.display(),
            to.display()
        )
    })
}
