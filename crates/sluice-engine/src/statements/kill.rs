//! `KILL QUERY|MUTATION WHERE cond [SYNC|ASYNC|TEST]`.
//!
//! `KILL QUERY`: the condition selects rows of `system.processes` (as `SELECT query_id,
//! user, query FROM system.processes WHERE cond`), every match but the KILL itself is
//! cancelled (its output then ends with `QUERY_WAS_CANCELLED`), and the result has one row
//! per match: `kill_status, query_id, user, query` — `waiting` once the cancel is sent
//! (`ASYNC`, the default), `finished` once the query is gone (`SYNC` waits for it),
//! `unknown_status` for `TEST`. A `readonly` user may kill only its own queries.
//!
//! `KILL MUTATION`: the condition selects rows of `system.mutations`; each match is
//! killed (a running mutation stops and leaves nothing; a finished or failed one leaves
//! `system.mutations`) and reported as `kill_status, database, table, mutation_id,
//! command` with `waiting` (ClickHouse's "cancel sent", `SYNC` too), `unknown_status`
//! for `TEST`. Nothing matched: no result at all, as in ClickHouse.

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::sql::sqlparser::ast::SetExpr;
use sluice_common::{Error, ErrorCode, Result};
use sluice_sql::{Kill, KillKind, Statement};

use crate::session::{QueryOutput, Session};
use crate::tables::merge_tree::MergeTreeStorage;

/// How often `SYNC` looks whether the killed queries are gone.
const SYNC_POLL: Duration = Duration::from_millis(20);

/// One matched process.
struct Target {
    query_id: String,
    user: String,
    query: String,
}

/// Runs `KILL QUERY|MUTATION`.
pub async fn kill(session: &mut Session, kill: Kill) -> Result<QueryOutput> {
    if kill.kind == KillKind::Mutation {
        return kill_mutations(session, &kill).await;
    }
    let matched: Vec<Target> = select_rows(
        session,
        "SELECT query_id, user, query FROM system.processes",
        &kill,
    )
    .await?
    .into_iter()
    .map(|mut r| Target {
        query: r.pop().unwrap_or_default(),
        user: r.pop().unwrap_or_default(),
        query_id: r.pop().unwrap_or_default(),
    })
    .collect();
    if matched.is_empty() {
        return Ok(QueryOutput::empty());
    }
    let me = session
        .current_query
        .as_ref()
        .map(|q| (q.query_id.clone(), q.user.clone()));
    let readonly = session.settings().get_u64("readonly") > 0;
    let mut denied_owner = None;
    let mut targets = Vec::new();
    for t in matched {
        if me
            .as_ref()
            .is_some_and(|(id, user)| *id == t.query_id && *user == t.user)
        {
            continue;
        }
        if readonly && t.user != session.user {
            denied_owner = Some(t.user.clone());
            continue;
        }
        targets.push(t);
    }
    if targets.is_empty()
        && let Some(owner) = denied_owner
    {
        return Err(Error::new(
            ErrorCode::ACCESS_DENIED,
            format!(
                "User {} attempts to kill query created by {owner}",
                session.user
            ),
        ));
    }
    let processes = Arc::clone(&session.engine.processes);
    let mut statuses = Vec::with_capacity(targets.len());
    for t in &targets {
        let status = if kill.test {
            "unknown_status"
        } else {
            match processes.find(&t.query_id) {
                Some(q) if q.user == t.user => {
                    q.cancel();
                    "waiting"
                }
                _ => "finished",
            }
        };
        statuses.push(status);
    }
    if kill.sync && !kill.test {
        // Wait until every killed query has left the process list.
        while targets
            .iter()
            .any(|t| processes.find(&t.query_id).is_some())
        {
            tokio::time::sleep(SYNC_POLL).await;
        }
        statuses.iter_mut().for_each(|s| *s = "finished");
    }
    let rows = targets
        .iter()
        .zip(statuses)
        .map(|(t, s)| {
            vec![
                s.to_string(),
                t.query_id.clone(),
                t.user.clone(),
                t.query.clone(),
            ]
        })
        .collect();
    text_result(&["kill_status", "query_id", "user", "query"], rows)
}

/// `KILL MUTATION WHERE cond [TEST]` (see the module doc).
async fn kill_mutations(session: &Session, kill: &Kill) -> Result<QueryOutput> {
    let matched = select_rows(
        session,
        "SELECT database, table, mutation_id, command FROM system.mutations",
        kill,
    )
    .await?;
    if matched.is_empty() {
        return Ok(QueryOutput::empty());
    }
    if session.settings().get_u64("readonly") > 0 {
        let (db, table) = (&matched[0][0], &matched[0][1]);
        return Err(Error::new(
            ErrorCode::ACCESS_DENIED,
            format!(
                "Not allowed to kill mutation. To execute this query, it's necessary to have \
                 the grant GRANT ALTER DELETE ON {db}.{table}"
            ),
        ));
    }
    let catalog = Arc::clone(&session.engine.catalog);
    let mut rows = Vec::with_capacity(matched.len());
    for row in matched {
        let status = if kill.test {
            "unknown_status"
        } else {
            let killed = catalog
                .table(&row[0], &row[1])
                .and_then(|e| e.table.clone())
                .is_some_and(|t| {
                    t.as_any()
                        .downcast_ref::<MergeTreeStorage>()
                        .is_some_and(|m| m.storage().kill_mutation(&row[2]))
                });
            if killed { "waiting" } else { "not_found" }
        };
        let mut out = vec![status.to_string()];
        out.extend(row);
        rows.push(out);
    }
    text_result(
        &["kill_status", "database", "table", "mutation_id", "command"],
        rows,
    )
}

/// A result of `String` columns named `names`, one row per entry of `rows`.
fn text_result(names: &[&str], rows: Vec<Vec<String>>) -> Result<QueryOutput> {
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<Arc<dyn Array>> = (0..names.len())
        .map(|i| {
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.get(i).map_or("", String::as_str)),
            )) as Arc<dyn Array>
        })
        .collect();
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns)
        .map_err(|e| Error::internal(e.to_string()))?;
    QueryOutput::batches(schema, vec![batch])
}

/// Runs `select` (a `SELECT … FROM system.…` without `WHERE`) with the KILL's condition
/// as its `WHERE`, as any query, and returns its rows as text.
async fn select_rows(session: &Session, select: &str, kill: &Kill) -> Result<Vec<Vec<String>>> {
    let parsed = sluice_sql::parse_statements(select)?;
    let Some(Statement::Query(mut query)) = parsed.into_iter().next().map(|p| p.statement) else {
        return Err(Error::internal(
            "KILL: the system table query did not parse",
        ));
    };
    let SetExpr::Select(sel) = query.body.as_mut() else {
        return Err(Error::internal(
            "KILL: the system table query is not a SELECT",
        ));
    };
    sel.selection = Some(kill.selection.clone());
    let out = crate::statements::select::run_query(session, *query).await?;
    let mut rows = Vec::new();
    for batch in out.collect().await? {
        let mut columns = Vec::with_capacity(batch.num_columns());
        for c in batch.columns() {
            let c = datafusion::arrow::compute::cast(c, &DataType::Utf8)
                .map_err(|e| Error::internal(e.to_string()))?;
            let c = c
                .as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .ok_or_else(|| Error::internal("KILL: a system table column is not text"))?;
            columns.push(c);
        }
        for row in 0..batch.num_rows() {
            rows.push(columns.iter().map(|c| c.value(row).to_string()).collect());
        }
    }
    Ok(rows)
}
