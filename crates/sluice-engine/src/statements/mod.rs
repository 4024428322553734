//! Statement execution, one statement family per module.

pub mod ddl;
pub mod detach;
pub mod exchange;
pub mod fill;
pub mod insert;
mod insert_blocks;
mod join_names;
pub mod kill;
pub mod materialized;
pub mod misc;
pub mod mutations;
pub mod select;
pub mod show;
mod with_fill;

use sluice_common::{Error, Result};
use sluice_sql::{ParsedStatement, Statement};

use crate::session::{InsertInput, QueryOutput, Session};

/// Runs one statement.
pub async fn execute(
    session: &mut Session,
    mut stmt: ParsedStatement,
    input: Option<InsertInput>,
) -> Result<QueryOutput> {
    // The session's `SET param_<name>` values (a request's own were bound before).
    crate::rewrite::query_params::bind(&mut stmt, session.query_params())?;
    let text = stmt.text.clone();
    check_readonly(session, &stmt.statement)?;
    match stmt.statement {
        Statement::Query(q) => select::run_query(session, *q).await,
        Statement::Insert(ins) => insert::run(session, *ins, input).await,
        Statement::CreateTable(ct) => Box::pin(ddl::create_table(session, *ct, &text)).await,
        Statement::CreateDatabase(cd) => ddl::create_database(session, *cd).await,
        Statement::CreateView(cv) => ddl::create_view(session, *cv, &text).await,
        Statement::CreateMaterializedView(c) => {
            Box::pin(materialized::create(session, *c, &text, true)).await
        }
        Statement::Drop(d) => ddl::drop(session, d).await,
        Statement::Rename { pairs, .. } => Box::pin(ddl::rename(session, pairs)).await,
        Statement::Exchange { a, b } => Box::pin(exchange::exchange(session, a, b)).await,
        Statement::Truncate { table, if_exists } => ddl::truncate(session, table, if_exists).await,
        Statement::Use { database } => misc::use_db(session, database),
        Statement::Set(s) => misc::set(session, s),
        Statement::Show(s) => show::show(session, *s).await,
        Statement::Describe(d) => show::describe(session, d).await,
        Statement::Exists(e) => show::exists(session, e).await,
        Statement::Detach(d) => detach::detach(session, d).await,
        Statement::Attach(a) => Box::pin(detach::attach(session, a, &text)).await,
        Statement::Optimize(o) => mutations::optimize(session, o).await,
        Statement::System(c) => mutations::system(session, c).await,
        Statement::Alter(a) => mutations::alter(session, a).await,
        Statement::Delete {
            table,
            partition,
            selection,
        } => mutations::delete(session, table, partition, selection).await,
        Statement::Kill(k) => kill::kill(session, k).await,
        other => Err(Error::not_implemented(format!(
            "statement {}",
            statement_kind(&other)
        ))),
    }
}

/// `readonly = 1`: only reads; `readonly = 2`: reads and `SET` of anything but `readonly`.
/// The error names the user as ClickHouse does.
fn check_readonly(session: &Session, stmt: &Statement) -> Result<()> {
    let readonly = session.settings().get_u64("readonly");
    if readonly == 0 {
        return Ok(());
    }
    match stmt {
        Statement::Query(_)
        | Statement::Show(_)
        | Statement::Describe(_)
        | Statement::Exists(_)
        | Statement::Kill(_)
        | Statement::Use { .. } => Ok(()),
        // `readonly` itself cannot change in readonly mode (ClickHouse refuses even
        // raising it).
        Statement::Set(assignments) if readonly >= 2 => {
            if assignments.iter().any(|(k, _)| k == "readonly") {
                Err(sluice_common::ch_err!(
                    READONLY,
                    "Cannot modify 'readonly' setting in readonly mode"
                ))
            } else {
                Ok(())
            }
        }
        Statement::Set(assignments) => Err(sluice_common::ch_err!(
            READONLY,
            "Cannot modify '{}' setting in readonly mode",
            assignments.first().map(|(k, _)| k.as_str()).unwrap_or("")
        )),
        _ => Err(sluice_common::ch_err!(
            READONLY,
            "{}: Cannot execute query in readonly mode",
            session.user
        )),
    }
}

fn statement_kind(s: &Statement) -> String {
    let dbg = format!("{s:?}");
    dbg.split(['(', '{', ' ']).next().unwrap_or("?").to_string()
}
