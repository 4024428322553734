//! Unfinished mutations of a MergeTree table resume when it opens (as ClickHouse's
//! background executor picks up the `mutation_<N>.txt` entries it loaded): each entry's
//! command text (`(DELETE [IN PARTITION p] WHERE …)`, `(UPDATE a = … WHERE …)`,
//! `(UPDATE _row_exists = 0 WHERE …)`, `(MATERIALIZE TTL)`, `(ALTER COLUMNS …)`) is parsed
//! and compiled against the table's columns, then run over the parts it has not rewritten
//! yet. A failure is
//! logged and shown in `system.mutations` (`latest_fail_*`); the table opens anyway.

use std::sync::Arc;

use sluice_common::{Error, Result};
use sluice_sql::{AlterCommand, Statement};
use sluice_storage::{BatchExpr, MutationCommand};

use crate::compiled_expr::compile_predicate;
use crate::session::Session;
use crate::statements::mutations::{compile_assignments, mutation_partition};
use crate::table::ColumnDesc;
use crate::tables::merge_tree::MergeTreeStorage;

/// Compiles one command text of `system.mutations`, with the id of its `IN PARTITION`.
async fn compile_command(
    session: &Session,
    mt: &MergeTreeStorage,
    columns: &[ColumnDesc],
    command: &str,
) -> Result<(MutationCommand, Option<String>)> {
    let inner = command
        .strip_prefix('(')
        .and_then(|c| c.strip_suffix(')'))
        .unwrap_or(command)
        .trim();
    if inner.eq_ignore_ascii_case("MATERIALIZE TTL") {
        return Ok((MutationCommand::MaterializeTtl, None));
    }
    if inner.starts_with("ALTER COLUMNS") {
        return Ok((MutationCommand::AlterColumns, None));
    }
    let parsed = sluice_sql::parse_statements(&format!("ALTER TABLE __mutation {inner}"))?;
    let Some(Statement::Alter(alter)) = parsed.into_iter().next().map(|p| p.statement) else {
        return Err(Error::internal(format!("cannot parse mutation {command}")));
    };
    let mut commands = alter.commands.into_iter();
    match (commands.next(), commands.next()) {
        (
            Some(AlterCommand::Delete {
                selection,
                partition,
            }),
            None,
        ) => {
            let pred = compile_predicate(session, columns, &selection).await?;
            let id = partition_id(session, mt, partition.as_ref()).await?;
            Ok((MutationCommand::Delete(pred as Arc<dyn BatchExpr>), id))
        }
        (
            Some(AlterCommand::Update {
                assignments,
                selection,
                partition,
            }),
            None,
        ) => {
            let pred = compile_predicate(session, columns, &selection).await? as Arc<dyn BatchExpr>;
            let id = partition_id(session, mt, partition.as_ref()).await?;
            if let [(col, _)] = assignments.as_slice()
                && col == "_row_exists"
            {
                return Ok((MutationCommand::LightweightDelete(pred), id));
            }
            let sets = compile_assignments(session, Some(mt.keys()), columns, assignments).await?;
            Ok((MutationCommand::Update(sets, pred), id))
        }
        _ => Err(Error::internal(format!(
            "mutation {command} cannot be resumed"
        ))),
    }
}

/// The partition id of an `IN PARTITION` clause.
async fn partition_id(
    session: &Session,
    mt: &MergeTreeStorage,
    spec: Option<&sluice_sql::PartitionSpec>,
) -> Result<Option<String>> {
    Ok(mutation_partition(session, mt, spec).await?.map(|p| p.id))
}

/// Resumes every unfinished mutation of `mt`, oldest first.
pub(super) async fn resume_mutations(session: &Session, mt: &MergeTreeStorage) {
    let storage = Arc::clone(mt.storage());
    let columns = crate::table::Table::columns(mt);
    for (id, command) in storage.unfinished_mutations() {
        let (compiled, partition) = match compile_command(session, mt, &columns, &command).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(
                    "mutation {id} of {} cannot resume: {}",
                    storage.dir().display(),
                    e.to_clickhouse_string()
                );
                storage.record_mutation_failure(&id, &e);
                continue;
            }
        };
        let s = Arc::clone(&storage);
        let mutation_id = id.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            s.resume_mutation(&mutation_id, compiled, partition.as_deref())
        })
        .await
        .map_err(|e| Error::internal(format!("mutation task: {e}")));
        if let Err(e) = outcome.and_then(|r| r) {
            tracing::error!(
                "mutation {id} of {} failed on resume: {}",
                storage.dir().display(),
                e.to_clickhouse_string()
            );
        }
    }
}
