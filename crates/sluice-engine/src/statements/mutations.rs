//! Statements that change a MergeTree table's parts: `OPTIMIZE`, `ALTER TABLE … DELETE /
//! UPDATE / DROP|DETACH|ATTACH PARTITION / MODIFY SETTING`, lightweight `DELETE FROM`.

use std::sync::Arc;

use datafusion::sql::sqlparser::ast::{Expr, Value};
use sluice_common::{Error, Result, ch_err};
use sluice_sql::{AlterCommand, PartitionSpec, TableName};

use crate::compiled_expr::{compile_predicate, compile_texts};
use crate::session::{QueryOutput, Session};
use crate::table::TableRef;
use crate::tables::merge_tree::MergeTreeStorage;

fn resolve(session: &Session, t: &TableName) -> (String, String) {
    (
        t.database
            .clone()
            .unwrap_or_else(|| session.current_db.clone()),
        t.table.clone(),
    )
}

fn table_of(session: &Session, t: &TableName) -> Result<TableRef> {
    let (db, name) = resolve(session, t);
    let entry = session.engine.catalog.table_or_err(&db, &name)?;
    entry
        .table
        .clone()
        .ok_or_else(|| ch_err!(NOT_IMPLEMENTED, "Table {db}.{name} is a view"))
}

fn merge_tree<'a>(t: &'a TableRef, what: &str) -> Result<&'a MergeTreeStorage> {
    t.as_any()
        .downcast_ref::<MergeTreeStorage>()
        .ok_or_else(|| {
            Error::new(
                sluice_common::ErrorCode::NOT_IMPLEMENTED,
                format!("{what} is not supported by storage {}", t.engine()),
            )
        })
}

/// Runs blocking storage work off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("storage task: {e}")))?
}

/// The partition id a `PARTITION …` clause names; `None` for `PARTITION ALL`.
fn partition_id(spec: &PartitionSpec) -> Result<Option<String>> {
    match spec {
        PartitionSpec::Id(id) => Ok(Some(id.clone())),
        PartitionSpec::All => Ok(None),
        PartitionSpec::Expr(e) => match e.as_ref() {
            // Integer-valued partition keys (toYYYYMM(d), a number column) use the number
            // itself as the id; `tuple()` is `all`.
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => Ok(Some(n.clone())),
                Value::SingleQuotedString(s) if s.chars().all(|c| c.is_ascii_digit()) => {
                    Ok(Some(s.clone()))
                }
                _ => Err(Error::not_implemented(
                    "PARTITION with a non-integer value (use PARTITION ID 'id')",
                )),
            },
            Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("tuple") => {
                Ok(Some("all".into()))
            }
            Expr::Tuple(items) if items.is_empty() => Ok(Some("all".into())),
            _ => Err(Error::not_implemented(
                "PARTITION with an expression (use PARTITION ID 'id')",
            )),
        },
    }
}

/// `OPTIMIZE TABLE t [PARTITION p] [FINAL] [DEDUPLICATE]`.
pub async fn optimize(session: &mut Session, o: sluice_sql::Optimize) -> Result<QueryOutput> {
    let t = table_of(session, &o.table)?;
    let mt = merge_tree(&t, "Method optimize")?;
    if !o.deduplicate_by.is_empty() {
        return Err(Error::not_implemented("OPTIMIZE … DEDUPLICATE BY"));
    }
    let partition = match &o.partition {
        Some(p) => partition_id(p)?,
        None => None,
    };
    let storage = Arc::clone(mt.storage());
    blocking(move || storage.optimize(partition.as_deref(), o.final_, o.deduplicate)).await?;
    Ok(QueryOutput::empty())
}

/// Lightweight `DELETE FROM t WHERE …`.
pub async fn delete(
    session: &mut Session,
    table: TableName,
    partition: Option<PartitionSpec>,
    selection: Expr,
) -> Result<QueryOutput> {
    let t = table_of(session, &table)?;
    let Some(mt) = t.as_any().downcast_ref::<MergeTreeStorage>() else {
        let (db, name) = resolve(session, &table);
        return Err(ch_err!(
            BAD_ARGUMENTS,
            "DELETE query is not supported for table {db}.{name}"
        ));
    };
    if partition.is_some() {
        return Err(Error::not_implemented("DELETE … IN PARTITION"));
    }
    let pred = compile_predicate(session, &t.columns(), &selection).await?;
    let storage = Arc::clone(mt.storage());
    blocking(move || storage.lightweight_delete(pred)).await?;
    Ok(QueryOutput::empty())
}

/// `ALTER TABLE t …` commands that act on parts and settings.
pub async fn alter(session: &mut Session, a: sluice_sql::Alter) -> Result<QueryOutput> {
    let (db, name) = resolve(session, &a.table);
    let t = match session.engine.catalog.table(&db, &name) {
        Some(e) => match &e.table {
            Some(t) => Arc::clone(t),
            None => return Err(ch_err!(NOT_IMPLEMENTED, "ALTER of a view {db}.{name}")),
        },
        None if a.if_exists => return Ok(QueryOutput::empty()),
        None => return Err(ch_err!(UNKNOWN_TABLE, "Table {db}.{name} does not exist")),
    };
    for cmd in a.commands {
        alter_one(session, &t, cmd).await?;
    }
    Ok(QueryOutput::empty())
}

async fn alter_one(session: &Session, t: &TableRef, cmd: AlterCommand) -> Result<()> {
    let columns = t.columns();
    match cmd {
        AlterCommand::Delete {
            partition,
            selection,
        } => {
            let mt = merge_tree(t, "Mutations are")?;
            if partition.is_some() {
                return Err(Error::not_implemented("ALTER TABLE … DELETE IN PARTITION"));
            }
            let pred = compile_predicate(session, &columns, &selection).await?;
            let storage = Arc::clone(mt.storage());
            blocking(move || storage.mutate_delete(pred)).await
        }
        AlterCommand::Update {
            assignments,
            partition,
            selection,
        } => {
            let mt = merge_tree(t, "Mutations are")?;
            if partition.is_some() {
                return Err(Error::not_implemented("ALTER TABLE … UPDATE IN PARTITION"));
            }
            let pred = compile_predicate(session, &columns, &selection).await?;
            let mut compiled = Vec::with_capacity(assignments.len());
            for (col, e) in assignments {
                let Some(c) = columns.iter().find(|c| c.name == col) else {
                    return Err(ch_err!(
                        NO_SUCH_COLUMN_IN_TABLE,
                        "There is no column {col} in table"
                    ));
                };
                let key = mt.keys();
                let in_key = key.sorting_key.split(", ").any(|k| k == col)
                    || key.partition_key.split(", ").any(|k| k == col);
                if in_key {
                    return Err(ch_err!(
                        CANNOT_UPDATE_COLUMN,
                        "Cannot UPDATE key column `{col}`"
                    ));
                }
                let text = format!("_CAST(({e}), '{}')", c.ty.to_string().replace('\'', "\\'"));
                let ce =
                    compile_texts(session, &columns, &[text], sluice_sql::format_expr(&e)).await?;
                compiled.push((col, ce as Arc<dyn sluice_storage::BatchExpr>));
            }
            let storage = Arc::clone(mt.storage());
            blocking(move || storage.mutate_update(compiled, pred)).await
        }
        AlterCommand::DropPartition { partition, part } => {
            let mt = merge_tree(t, "Partitioning")?;
            if part {
                return Err(Error::not_implemented("ALTER TABLE … DROP PART"));
            }
            let storage = Arc::clone(mt.storage());
            match partition_id(&partition)? {
                Some(id) => blocking(move || storage.drop_partition(&id)).await,
                None => blocking(move || storage.truncate()).await,
            }
        }
        AlterCommand::DetachPartition { partition, part } => {
            let mt = merge_tree(t, "Partitioning")?;
            if part {
                return Err(Error::not_implemented("ALTER TABLE … DETACH PART"));
            }
            let storage = Arc::clone(mt.storage());
            let Some(id) = partition_id(&partition)? else {
                return Err(Error::not_implemented("DETACH PARTITION ALL"));
            };
            blocking(move || storage.detach_partition(&id)).await
        }
        AlterCommand::AttachPartition {
            partition,
            part,
            from,
        } => {
            let mt = merge_tree(t, "Partitioning")?;
            if part || from.is_some() {
                return Err(Error::not_implemented(
                    "ALTER TABLE … ATTACH PART / ATTACH PARTITION … FROM",
                ));
            }
            let storage = Arc::clone(mt.storage());
            let Some(id) = partition_id(&partition)? else {
                return Err(Error::not_implemented("ATTACH PARTITION ALL"));
            };
            blocking(move || storage.attach_partition(&id)).await
        }
        AlterCommand::ModifySetting(pairs) => {
            let mt = merge_tree(t, "ALTER MODIFY SETTING")?;
            let pairs: Vec<(String, String)> = pairs
                .into_iter()
                .map(|(k, v)| (k, v.to_plain_string()))
                .collect();
            mt.storage().modify_settings(&pairs)
        }
        other => Err(Error::not_implemented(format!(
            "ALTER TABLE command {}",
            format!("{other:?}")
                .split(['(', '{', ' '])
                .next()
                .unwrap_or("?")
        ))),
    }
}

/// `SYSTEM STOP MERGES [t]` / `SYSTEM START MERGES [t]` (every MergeTree table without one).
pub async fn system(session: &mut Session, cmd: sluice_sql::SystemCommand) -> Result<QueryOutput> {
    let stop = match cmd.command.as_str() {
        "STOP MERGES" => true,
        "START MERGES" => false,
        // Logs are written synchronously; nothing to flush.
        "FLUSH LOGS" => return Ok(QueryOutput::empty()),
        other => return Err(Error::not_implemented(format!("SYSTEM {other}"))),
    };
    let tables: Vec<TableRef> = match &cmd.target {
        Some(t) => vec![table_of(session, t)?],
        None => session
            .engine
            .catalog
            .all_tables()
            .into_iter()
            .filter_map(|e| e.table.clone())
            .collect(),
    };
    for t in &tables {
        if let Some(mt) = t.as_any().downcast_ref::<MergeTreeStorage>() {
            if stop {
                mt.storage().stop_merges();
            } else {
                mt.storage().start_merges();
            }
        }
    }
    Ok(QueryOutput::empty())
}
