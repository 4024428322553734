//! `CREATE MATERIALIZED VIEW v [TO target | ENGINE = … [POPULATE]] AS SELECT …`; the
//! views themselves run in [`crate::mview`].

use std::sync::Arc;

use sluice_common::{ChType, Error, Result, ch_err};
use sluice_sql::CreateMaterializedView;

use crate::catalog::{TableDef, TableKind, quote_ident};
use crate::mview::{MaterializedView, source_of};
use crate::session::{QueryOutput, Session};
use crate::table::ColumnDesc;

/// The inner table of a view created with `ENGINE = …`.
pub fn inner_table_name(view: &str) -> String {
    format!(".inner.{view}")
}

/// `CREATE MATERIALIZED VIEW`. `persist` is false when re-attaching at start-up, where the
/// source and target may not be loaded yet (nothing is planned then).
pub async fn create(
    session: &mut Session,
    cmv: CreateMaterializedView,
    text: &str,
    persist: bool,
) -> Result<QueryOutput> {
    let db = cmv
        .name
        .database
        .clone()
        .unwrap_or_else(|| session.current_db.clone());
    let name = cmv.name.table.clone();
    let catalog = Arc::clone(&session.engine.catalog);
    if !catalog.database_exists(&db) {
        return Err(ch_err!(UNKNOWN_DATABASE, "Database {db} does not exist"));
    }
    if catalog.table(&db, &name).is_some() {
        if cmv.if_not_exists {
            return Ok(QueryOutput::empty());
        }
        return Err(ch_err!(
            TABLE_ALREADY_EXISTS,
            "Table {db}.{name} already exists"
        ));
    }
    let source = source_of(&cmv.query, &session.current_db);
    if source.is_none() {
        return Err(Error::not_implemented(
            "materialized view whose query does not read a table first in FROM",
        ));
    }
    // The query's output columns (planned only; nothing is read).
    // Planning the view reads nothing, so a Kafka source may be named here.
    session.planning_view = true;
    let planned = super::select::run_query(session, (*cmv.query).clone()).await;
    session.planning_view = false;
    let output: Vec<ColumnDesc> = match planned {
        Ok(out) => out
            .schema
            .fields()
            .iter()
            .map(|f| ColumnDesc::new(f.name().clone(), ChType::from_field(f)))
            .collect(),
        Err(e) if persist => return Err(e),
        // At start-up the source may load after the view.
        Err(_) => Vec::new(),
    };
    let (target, inner, columns) = match &cmv.to {
        Some(t) => {
            let tdb = t
                .database
                .clone()
                .unwrap_or_else(|| session.current_db.clone());
            let target = (tdb, t.table.clone());
            let mut columns = output.clone();
            let entry = match catalog.table(&target.0, &target.1) {
                Some(e) => Some(e),
                None if persist => Some(catalog.table_or_err(&target.0, &target.1)?),
                None => None,
            };
            if let Some(entry) = entry {
                let tcols = entry
                    .table
                    .as_ref()
                    .map(|t| t.columns())
                    .unwrap_or_default();
                for c in columns.iter_mut() {
                    match tcols.iter().find(|t| t.name == c.name) {
                        Some(t) => c.ty = t.ty.clone(),
                        None => {
                            return Err(ch_err!(
                                THERE_IS_NO_COLUMN,
                                "SELECT query outputs column with name '{}', which is not found in the target table. Use 'AS' to assign alias that matches a column name",
                                c.name
                            ));
                        }
                    }
                }
            }
            (target, false, columns)
        }
        None => {
            let Some(engine) = cmv.engine.clone() else {
                return Err(ch_err!(
                    INCORRECT_QUERY,
                    "ENGINE or TO must be specified for CREATE MATERIALIZED VIEW"
                ));
            };
            let inner_name = inner_table_name(&name);
            if catalog.table(&db, &inner_name).is_none() {
                let cols: Vec<String> = output
                    .iter()
                    .map(|c| format!("{} {}", quote_ident(&c.name), c.ty))
                    .collect();
                let sql = format!(
                    "CREATE TABLE {}.{} ({}) ENGINE = Memory",
                    quote_ident(&db),
                    quote_ident(&inner_name),
                    cols.join(", ")
                );
                let Some(sluice_sql::Statement::CreateTable(mut ct)) =
                    sluice_sql::parse_statements(&sql)?
                        .into_iter()
                        .next()
                        .map(|p| p.statement)
                else {
                    return Err(Error::internal("inner table definition"));
                };
                ct.engine = Some(engine);
                Box::pin(super::ddl::create_table_inner(
                    session,
                    &db,
                    &inner_name,
                    *ct,
                    &sql,
                    false,
                ))
                .await?;
                if let Some(e) = catalog.table(&db, &inner_name) {
                    catalog.persist_definition(&db, &inner_name, &e.show_create)?;
                }
            }
            ((db.clone(), inner_name), true, output.clone())
        }
    };
    let mut show = format!(
        "CREATE MATERIALIZED VIEW {}.{}",
        quote_ident(&db),
        quote_ident(&name)
    );
    if !inner {
        show.push_str(&format!(
            " TO {}.{}",
            quote_ident(&target.0),
            quote_ident(&target.1)
        ));
    }
    if !columns.is_empty() {
        show.push_str("\n(\n");
        let cols: Vec<String> = columns
            .iter()
            .map(|c| format!("    `{}` {}", c.name.replace('`', "\\`"), c.ty))
            .collect();
        show.push_str(&cols.join(",\n"));
        show.push_str("\n)");
    }
    if inner
        && let Some(e) = catalog.table(&target.0, &target.1)
        && let Some(t) = &e.table
    {
        show.push_str(&format!("\nENGINE = {}", t.engine_full()));
    }
    show.push_str(&format!("\nAS {}", cmv.query_text.trim()));
    let view = Arc::new(MaterializedView::new(
        db.clone(),
        name.clone(),
        cmv.query_text.clone(),
        source.clone(),
        target.clone(),
        inner,
        columns,
    ));
    catalog.add_table(
        &db,
        &name,
        TableDef {
            kind: TableKind::MaterializedView(Arc::clone(&view)),
            table: None,
            create_sql: text.trim().to_string(),
            show_create: show,
        },
        persist,
    )?;
    if persist {
        session.engine.sync_kafka_consumers();
    }
    if cmv.populate && persist {
        if !inner {
            return Err(ch_err!(
                INCORRECT_QUERY,
                "POPULATE is not supported with TO clause"
            ));
        }
        // The whole source, as one query, into the target.
        let out = super::select::run_query(session, (*cmv.query).clone()).await?;
        let batches = out.collect().await?;
        let entry = catalog.table_or_err(&target.0, &target.1)?;
        if let Some(t) = entry.table.clone() {
            let tcols = t.columns();
            let mut filled = Vec::new();
            for b in batches {
                filled.push(super::fill::fill_batch(session, &tcols, b).await?);
            }
            super::insert::write_blocks(session, &target.0, &target.1, &t, filled).await?;
        }
    }
    Ok(QueryOutput::empty())
}
