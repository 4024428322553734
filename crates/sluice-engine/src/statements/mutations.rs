//! Statements that change a MergeTree table's parts: `OPTIMIZE`, `ALTER TABLE … DELETE /
//! UPDATE / DROP|DETACH|ATTACH PARTITION / MODIFY SETTING`, lightweight `DELETE FROM`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, RecordBatch, RecordBatchOptions};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::sql::sqlparser::ast::{Expr, FunctionArg, FunctionArgExpr, FunctionArguments};
use sluice_common::{Error, Result, ch_err};
use sluice_sql::{AlterCommand, PartitionSpec, TableName};
use sluice_storage::BatchExpr;

use crate::compiled_expr::{compile_predicate, compile_texts};
use crate::session::{QueryOutput, Session};
use crate::table::TableRef;
use crate::tables::memory::MemoryTable;
use crate::tables::merge_tree::{KeyTexts, MergeTreeStorage};

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

/// The partition id a `PARTITION …` clause names in table `mt`; `None` for `PARTITION ALL`.
/// A value (`PARTITION 202509`, `'abc'`, `'2025-09-01'`, `-5`, `(1, 'x')`) is the
/// partition expression's value: each field is cast to the key's type and the id is
/// computed as at insert (ClickHouse's rules, `sluice_storage::partition_id`).
async fn partition_id(
    session: &Session,
    mt: &MergeTreeStorage,
    spec: &PartitionSpec,
) -> Result<Option<String>> {
    let e = match spec {
        PartitionSpec::Id(id) => return Ok(Some(id.clone())),
        PartitionSpec::All => return Ok(None),
        PartitionSpec::Expr(e) => e.as_ref(),
    };
    let fields: Vec<&Expr> = match e {
        Expr::Tuple(items) => items.iter().collect(),
        Expr::Nested(inner) => vec![inner.as_ref()],
        Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("tuple") => match &f.args {
            FunctionArguments::List(l) => l
                .args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => Ok(x),
                    _ => Err(ch_err!(
                        INVALID_PARTITION_VALUE,
                        "Invalid partition value: {e}"
                    )),
                })
                .collect::<Result<_>>()?,
            _ => Vec::new(),
        },
        other => vec![other],
    };
    let Some(key) = mt.storage().spec().partition_key else {
        // An unpartitioned table has the one partition `all` (`PARTITION tuple()`).
        return match fields.as_slice() {
            [] => Ok(Some("all".into())),
            _ => Err(ch_err!(
                INVALID_PARTITION_VALUE,
                "Wrong number of fields in the partition expression: {}, must be: 0",
                fields.len()
            )),
        };
    };
    let schema = mt.storage().schema();
    let key_types: Vec<DataType> = key
        .eval(&RecordBatch::new_empty(schema))?
        .iter()
        .map(|a| a.data_type().clone())
        .collect();
    if fields.len() != key_types.len() {
        return Err(ch_err!(
            INVALID_PARTITION_VALUE,
            "Wrong number of fields in the partition expression: {}, must be: {}",
            fields.len(),
            key_types.len()
        ));
    }
    // ClickHouse takes literals here (a function call other than `tuple` is a syntax
    // error).
    if let Some(f) = fields.iter().find(|f| !is_literal(f)) {
        return Err(ch_err!(
            SYNTAX_ERROR,
            "Syntax error: PARTITION takes a literal value or a tuple of literals, not {f}"
        ));
    }
    let texts: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    let values = compile_texts(session, &[], &texts, e.to_string()).await?;
    let one_row = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )
    .map_err(|err| Error::internal(format!("partition value batch: {err}")))?;
    let mut key_values = Vec::with_capacity(key_types.len());
    for ((v, ty), text) in values.eval(&one_row)?.iter().zip(&key_types).zip(&texts) {
        let value = cast(v, ty).map_err(|err| {
            ch_err!(
                INVALID_PARTITION_VALUE,
                "Invalid partition value {e} for the partition key's type {ty}: {err}"
            )
        })?;
        // A value that does not convert (`'abc'` for a UInt32 key) is TYPE_MISMATCH.
        if value.null_count() > v.null_count() {
            return Err(ch_err!(
                TYPE_MISMATCH,
                "Cannot convert {} {text} to type {}",
                if v.data_type().is_numeric() {
                    "value"
                } else {
                    "string"
                },
                sluice_common::ChType::from_arrow(ty, false)
            ));
        }
        key_values.push(value);
    }
    Ok(Some(sluice_storage::partition_id(&key_values, 0)?.0))
}

/// The `IN PARTITION p` of a mutation: the partition's id and the clause's text
/// (`PARTITION 202510`, `PARTITION ID '202509'`); `None` without one (or `PARTITION ALL`).
pub(crate) async fn mutation_partition(
    session: &Session,
    mt: &MergeTreeStorage,
    spec: Option<&PartitionSpec>,
) -> Result<Option<sluice_storage::MutationPartition>> {
    let Some(spec) = spec else {
        return Ok(None);
    };
    let text = match spec {
        PartitionSpec::Id(id) => format!("PARTITION ID '{}'", id.replace('\'', "\\\'")),
        PartitionSpec::All => return Ok(None),
        PartitionSpec::Expr(e) => format!("PARTITION {}", sluice_sql::format_expr(e)),
    };
    Ok(partition_id(session, mt, spec)
        .await?
        .map(|id| sluice_storage::MutationPartition { id, text }))
}

/// A literal, a signed literal, or an array/tuple of them.
fn is_literal(e: &Expr) -> bool {
    match e {
        Expr::Value(_) => true,
        Expr::UnaryOp { expr, .. } | Expr::Nested(expr) => is_literal(expr),
        Expr::Tuple(items) => items.iter().all(is_literal),
        Expr::Array(a) => a.elem.iter().all(is_literal),
        _ => false,
    }
}

/// `OPTIMIZE TABLE t [PARTITION p] [FINAL] [DEDUPLICATE [BY …]]`.
pub async fn optimize(session: &mut Session, o: sluice_sql::Optimize) -> Result<QueryOutput> {
    let t = table_of(session, &o.table)?;
    let mt = merge_tree(&t, "Method optimize")?;
    let dedup_by = if o.deduplicate_by.is_empty() {
        None
    } else {
        let (db, name) = resolve(session, &o.table);
        let table = format!("{db}.{name}");
        Some(
            crate::tables::merge_tree_dedup_by::deduplicate_by_columns(session, mt, &table, &o)
                .await?,
        )
    };
    let partition = match &o.partition {
        Some(p) => partition_id(session, mt, p).await?,
        None => None,
    };
    let storage = Arc::clone(mt.storage());
    blocking(move || match dedup_by {
        Some(cols) => storage.optimize_deduplicate_by(partition.as_deref(), o.final_, cols),
        None => storage.optimize(partition.as_deref(), o.final_, o.deduplicate),
    })
    .await?;
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
    let partition = mutation_partition(session, mt, partition.as_ref()).await?;
    let pred = compile_predicate(session, &t.columns(), &selection).await?;
    let storage = Arc::clone(mt.storage());
    blocking(move || storage.lightweight_delete_in(partition, pred)).await?;
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
        if is_column_command(&cmd) {
            alter_column(session, (&db, &name), &t, cmd).await?;
        } else {
            alter_one(session, (&db, &name), &t, cmd).await?;
        }
    }
    Ok(QueryOutput::empty())
}

/// Rewrites the stored definition of a table from its current columns and engine clause
/// (after `ALTER … SETTING` / `TTL`), so the change survives a restart.
fn persist(session: &Session, (db, name): (&str, &str), t: &TableRef) -> Result<()> {
    let columns = t.columns();
    let show = super::ddl::show_create(db, name, &columns, &t.engine_full());
    let stored = match t.as_any().downcast_ref::<MergeTreeStorage>() {
        Some(mt) => super::ddl::show_create(db, name, &columns, &mt.stored_engine_full()),
        None => show.clone(),
    };
    session
        .engine
        .catalog
        .replace_definition(db, name, stored, show)
}

async fn alter_one(
    session: &Session,
    (db, name): (&str, &str),
    t: &TableRef,
    cmd: AlterCommand,
) -> Result<()> {
    let columns = t.columns();
    match cmd {
        AlterCommand::Delete { .. } | AlterCommand::Update { .. }
            if t.as_any().is::<MemoryTable>() =>
        {
            mutate_memory(session, t, cmd).await
        }
        AlterCommand::Delete {
            partition,
            selection,
        } => {
            let mt = merge_tree(t, "Mutations are")?;
            let partition = mutation_partition(session, mt, partition.as_ref()).await?;
            let pred = compile_predicate(session, &columns, &selection).await?;
            let storage = Arc::clone(mt.storage());
            blocking(move || storage.mutate_delete_in(partition, pred)).await
        }
        AlterCommand::Update {
            assignments,
            partition,
            selection,
        } => {
            let mt = merge_tree(t, "Mutations are")?;
            let partition = mutation_partition(session, mt, partition.as_ref()).await?;
            let pred = compile_predicate(session, &columns, &selection).await?;
            let compiled =
                compile_assignments(session, Some(mt.keys()), &columns, assignments).await?;
            let storage = Arc::clone(mt.storage());
            blocking(move || storage.mutate_update_in(partition, compiled, pred)).await
        }
        AlterCommand::DropPartition { partition, part } => {
            let mt = merge_tree(t, "Partitioning")?;
            if part {
                return Err(Error::not_implemented("ALTER TABLE … DROP PART"));
            }
            let storage = Arc::clone(mt.storage());
            match partition_id(session, mt, &partition).await? {
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
            let Some(id) = partition_id(session, mt, &partition).await? else {
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
            let Some(id) = partition_id(session, mt, &partition).await? else {
                return Err(Error::not_implemented("ATTACH PARTITION ALL"));
            };
            blocking(move || storage.attach_partition(&id)).await
        }
        AlterCommand::ModifySetting(pairs) => {
            if crate::tables::kafka::as_kafka(t).is_some() {
                let kafka_table = Arc::clone(t);
                blocking(move || {
                    crate::tables::kafka::as_kafka(&kafka_table)
                        .map_or(Ok(()), |k| k.modify_settings(&pairs))
                })
                .await?;
                return persist(session, (db, name), t);
            }
            let mt = merge_tree(t, "ALTER MODIFY SETTING")?;
            mt.modify_settings(&pairs)?;
            persist(session, (db, name), t)
        }
        AlterCommand::ResetSetting(names) => {
            let mt = merge_tree(t, "ALTER RESET SETTING")?;
            mt.reset_settings(&names)?;
            persist(session, (db, name), t)
        }
        AlterCommand::ModifyTtl(elements) => {
            let mt = merge_tree(t, "ALTER MODIFY TTL")?;
            let compiled =
                crate::tables::merge_tree::compile_ttl(session, &columns, &elements).await?;
            mt.set_ttl(elements, compiled);
            persist(session, (db, name), t)?;
            // `materialize_ttl_after_modify` (default 1): existing parts lose their expired
            // rows now, as a `MATERIALIZE TTL` mutation.
            if session.settings().get_bool("materialize_ttl_after_modify") {
                let storage = Arc::clone(mt.storage());
                blocking(move || storage.materialize_ttl()).await?;
            }
            Ok(())
        }
        AlterCommand::RemoveTtl => {
            let mt = merge_tree(t, "ALTER REMOVE TTL")?;
            if mt.clause().ttl.is_empty() {
                return Err(ch_err!(
                    BAD_ARGUMENTS,
                    "Table doesn't have any table TTL expression, cannot remove"
                ));
            }
            mt.set_ttl(Vec::new(), None);
            persist(session, (db, name), t)
        }
        AlterCommand::MaterializeTtl { partition } => {
            let mt = merge_tree(t, "ALTER MATERIALIZE TTL")?;
            if partition.is_some() {
                return Err(Error::not_implemented("MATERIALIZE TTL IN PARTITION"));
            }
            let storage = Arc::clone(mt.storage());
            blocking(move || storage.materialize_ttl()).await
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

/// The `col = expr` pairs of `ALTER TABLE … UPDATE`, each cast to its column's type. A
/// key column cannot be updated (`CANNOT_UPDATE_COLUMN`, as ClickHouse).
pub(crate) async fn compile_assignments(
    session: &Session,
    keys: Option<&KeyTexts>,
    columns: &[crate::table::ColumnDesc],
    assignments: Vec<(String, Expr)>,
) -> Result<Vec<(String, Arc<dyn BatchExpr>)>> {
    let mut compiled = Vec::with_capacity(assignments.len());
    for (col, e) in assignments {
        let Some(c) = columns.iter().find(|c| c.name == col) else {
            return Err(ch_err!(
                NO_SUCH_COLUMN_IN_TABLE,
                "There is no column {col} in table"
            ));
        };
        let in_key = keys.is_some_and(|key| {
            key.sorting_key.split(", ").any(|k| k == col)
                || key.partition_key.split(", ").any(|k| k == col)
        });
        if in_key {
            return Err(ch_err!(
                CANNOT_UPDATE_COLUMN,
                "Cannot UPDATE key column `{col}`"
            ));
        }
        let text = format!("_CAST(({e}), '{}')", c.ty.to_string().replace('\'', "\\'"));
        let ce = compile_texts(session, columns, &[text], sluice_sql::format_expr(&e)).await?;
        compiled.push((col, ce as Arc<dyn BatchExpr>));
    }
    Ok(compiled)
}

/// `ALTER TABLE <Memory table> DELETE / UPDATE`: ClickHouse rewrites the table's blocks at
/// once (no `system.mutations` entry); `IN PARTITION` has no meaning there.
async fn mutate_memory(session: &Session, t: &TableRef, cmd: AlterCommand) -> Result<()> {
    let columns = t.columns();
    let (partition, selection, assignments) = match cmd {
        AlterCommand::Delete {
            partition,
            selection,
        } => (partition, selection, None),
        AlterCommand::Update {
            assignments,
            partition,
            selection,
        } => (partition, selection, Some(assignments)),
        _ => return Err(Error::internal("not a Memory mutation")),
    };
    if partition.is_some() {
        return Err(ch_err!(
            NOT_IMPLEMENTED,
            "ALTER UPDATE/DELETE ... IN PARTITION is not supported for non-MergeTree tables"
        ));
    }
    let pred = compile_predicate(session, &columns, &selection).await?;
    let sets = match assignments {
        Some(a) => Some(compile_assignments(session, None, &columns, a).await?),
        None => None,
    };
    let table = Arc::clone(t);
    blocking(move || {
        let mem = table
            .as_any()
            .downcast_ref::<MemoryTable>()
            .ok_or_else(|| Error::internal("not a Memory table"))?;
        match &sets {
            Some(sets) => mem.mutate_update(sets, pred.as_ref()),
            None => mem.mutate_delete(pred.as_ref()),
        }
    })
    .await
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

fn is_column_command(cmd: &AlterCommand) -> bool {
    matches!(
        cmd,
        AlterCommand::AddColumn { .. }
            | AlterCommand::DropColumn { .. }
            | AlterCommand::RenameColumn { .. }
            | AlterCommand::ModifyColumn { .. }
    )
}

/// `ALTER TABLE … ADD / DROP / RENAME / MODIFY COLUMN` of a MergeTree table: the storage
/// schema changes (old parts are read with the new one), the definition is persisted.
async fn alter_column(
    session: &Session,
    (db, name): (&str, &str),
    t: &TableRef,
    cmd: AlterCommand,
) -> Result<()> {
    let mt = merge_tree(t, "ALTER COLUMN")?;
    let mut cols = t.columns();
    let keys = mt.keys().clone();
    let in_key = |c: &str| {
        [&keys.sorting_key, &keys.partition_key, &keys.primary_key]
            .iter()
            .any(|k| k.split([',', ' ', '(', ')']).any(|w| w == c))
    };
    let mut renames = Vec::new();
    let position =
        |cols: &[crate::table::ColumnDesc], n: &str| cols.iter().position(|c| c.name == n);
    match cmd {
        AlterCommand::AddColumn {
            column,
            if_not_exists,
            after,
            first,
        } => {
            if position(&cols, &column.name).is_some() {
                if if_not_exists {
                    return Ok(());
                }
                return Err(ch_err!(
                    DUPLICATE_COLUMN,
                    "Cannot add column `{}`: column with this name already exists",
                    column.name
                ));
            }
            let desc = super::ddl::column_desc(&column)?;
            let at = if first {
                0
            } else if let Some(a) = after {
                match position(&cols, &a) {
                    Some(i) => i + 1,
                    None => {
                        return Err(ch_err!(
                            NOT_FOUND_COLUMN_IN_BLOCK,
                            "Wrong column name. Cannot find column `{a}` to insert after"
                        ));
                    }
                }
            } else {
                cols.len()
            };
            cols.insert(at, desc);
        }
        AlterCommand::DropColumn { name: c, if_exists } => {
            let Some(i) = position(&cols, &c) else {
                if if_exists {
                    return Ok(());
                }
                return Err(ch_err!(
                    NOT_FOUND_COLUMN_IN_BLOCK,
                    "Wrong column name. Cannot find column `{c}` to drop"
                ));
            };
            if in_key(&c) {
                return Err(ch_err!(
                    ALTER_OF_COLUMN_IS_FORBIDDEN,
                    "Trying to ALTER DROP key {c} column which is a part of key expression"
                ));
            }
            cols.remove(i);
        }
        AlterCommand::RenameColumn {
            from,
            to,
            if_exists,
        } => {
            let Some(i) = position(&cols, &from) else {
                if if_exists {
                    return Ok(());
                }
                return Err(ch_err!(
                    NOT_FOUND_COLUMN_IN_BLOCK,
                    "Wrong column name. Cannot find column `{from}` to rename"
                ));
            };
            if in_key(&from) {
                return Err(ch_err!(
                    ALTER_OF_COLUMN_IS_FORBIDDEN,
                    "Trying to ALTER RENAME key {from} column which is a part of key expression"
                ));
            }
            if position(&cols, &to).is_some() {
                return Err(ch_err!(
                    DUPLICATE_COLUMN,
                    "Cannot rename to `{to}`: column with this name already exists"
                ));
            }
            cols[i].name = to.clone();
            renames.push((from, to));
        }
        AlterCommand::ModifyColumn {
            column, if_exists, ..
        } => {
            let Some(i) = position(&cols, &column.name) else {
                if if_exists {
                    return Ok(());
                }
                return Err(ch_err!(
                    NOT_FOUND_COLUMN_IN_BLOCK,
                    "Wrong column name. Cannot find column `{}` to modify",
                    column.name
                ));
            };
            let mut desc = super::ddl::column_desc(&column)?;
            // MODIFY COLUMN x T keeps what it does not mention (default, codec, comment).
            if desc.default.is_none() {
                desc.default = cols[i].default.clone();
            }
            if desc.codec.is_none() {
                desc.codec = cols[i].codec.clone();
            }
            if desc.comment.is_empty() {
                desc.comment = cols[i].comment.clone();
            }
            if in_key(&column.name) && desc.ty != cols[i].ty {
                return Err(ch_err!(
                    ALTER_OF_COLUMN_IS_FORBIDDEN,
                    "Trying to ALTER key column {} from type {} to type {} is not safe",
                    column.name,
                    cols[i].ty,
                    desc.ty
                ));
            }
            cols[i] = desc;
        }
        _ => return Ok(()),
    }
    // Defaults for rows of parts written before the column existed.
    let mut defaults = Vec::new();
    for c in &cols {
        if let Some((
            crate::table::DefaultKind::Default | crate::table::DefaultKind::Materialized,
            e,
        )) = &c.default
        {
            let text = format!("_CAST(({e}), '{}')", c.ty.to_string().replace('\'', "\\'"));
            let ce = compile_texts(session, &cols, &[text], e.clone()).await?;
            defaults.push((c.name.clone(), ce as Arc<dyn sluice_storage::BatchExpr>));
        }
    }
    let storage = Arc::clone(mt.storage());
    let schema = crate::table::stored_schema(&cols);
    blocking(move || storage.alter_schema(schema, renames)).await?;
    mt.storage().set_column_defaults(defaults);
    mt.set_columns(cols);
    persist(session, (db, name), t)
}
