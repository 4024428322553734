//! `KILL QUERY WHERE cond [SYNC|ASYNC|TEST]`: the condition selects rows of
//! `system.processes` (as `SELECT query_id, user, query FROM system.processes WHERE cond`),
//! every match but the KILL itself is cancelled (its output then ends with
//! `QUERY_WAS_CANCELLED`), and the result has one row per match:
//! `kill_status, query_id, user, query` — `waiting` once the cancel is sent (`ASYNC`, the
//! default), `finished` once the query is gone (`SYNC` waits for it), `unknown_status`
//! for `TEST`. Nothing matched: no result at all, as in ClickHouse. A `readonly` user may
//! kill only its own queries. `KILL MUTATION` is not implemented.

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::sql::sqlparser::ast::SetExpr;
use sluice_common::{Error, ErrorCode, Result};
use sluice_sql::{Kill, KillKind, Statement};

use crate::session::{QueryOutput, Session};

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
        return Err(Error::not_implemented("KILL MUTATION"));
    }
    let matched = select_processes(session, &kill).await?;
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
    let schema = Arc::new(Schema::new(
        ["kill_status", "query_id", "user", "query"]
            .into_iter()
            .map(|n| Field::new(n, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<Arc<dyn Array>> = vec![
        Arc::new(StringArray::from_iter_values(statuses.iter().copied())),
        Arc::new(StringArray::from_iter_values(
            targets.iter().map(|t| t.query_id.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            targets.iter().map(|t| t.user.as_str()),
        )),
        Arc::new(StringArray::from_iter_values(
            targets.iter().map(|t| t.query.as_str()),
        )),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns)
        .map_err(|e| Error::internal(e.to_string()))?;
    QueryOutput::batches(schema, vec![batch])
}

/// `SELECT query_id, user, query FROM system.processes WHERE <cond>`, run as any query.
async fn select_processes(session: &Session, kill: &Kill) -> Result<Vec<Target>> {
    let parsed =
        sluice_sql::parse_statements("SELECT query_id, user, query FROM system.processes")?;
    let Some(Statement::Query(mut query)) = parsed.into_iter().next().map(|p| p.statement) else {
        return Err(Error::internal("KILL: the process query did not parse"));
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Err(Error::internal("KILL: the process query is not a SELECT"));
    };
    select.selection = Some(kill.selection.clone());
    let out = crate::statements::select::run_query(session, *query).await?;
    let mut targets = Vec::new();
    for batch in out.collect().await? {
        let col = |i: usize| -> Result<StringArray> {
            let c = datafusion::arrow::compute::cast(batch.column(i), &DataType::Utf8)
                .map_err(|e| Error::internal(e.to_string()))?;
            c.as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .ok_or_else(|| Error::internal("KILL: a process column is not text"))
        };
        let (ids, users, queries) = (col(0)?, col(1)?, col(2)?);
        for row in 0..batch.num_rows() {
            targets.push(Target {
                query_id: ids.value(row).to_string(),
                user: users.value(row).to_string(),
                query: queries.value(row).to_string(),
            });
        }
    }
    Ok(targets)
}
