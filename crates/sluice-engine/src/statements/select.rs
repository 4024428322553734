//! `SELECT` (and everything that is a query): rewrite, plan on DataFusion, stream.

use std::sync::Arc;

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{Query, Statement as SqlStatement};
use sluice_common::{ChType, Result};

use crate::error::from_datafusion;
use crate::session::{Progress, QueryOutput, Session};

/// Plans and starts a query; the result streams.
pub async fn run_query(session: &Session, mut query: Query) -> Result<QueryOutput> {
    let ctx = session.rewrite_context();
    crate::rewrite::rewrite_query(&mut query, &ctx)?;
    let with_totals = ctx.with_totals.get();
    if with_totals {
        return Err(sluice_common::Error::not_implemented(
            "GROUP BY … WITH TOTALS",
        ));
    }
    let state = session.df_state_for(&ctx);
    let plan = state
        .statement_to_plan(DfStatement::Statement(Box::new(SqlStatement::Query(
            Box::new(query),
        ))))
        .await
        .map_err(from_datafusion)?;
    let plan = crate::comparisons::apply_comparison_rules(plan)?;
    let plan = if session.settings.get_bool("join_use_nulls") {
        plan
    } else {
        crate::join_defaults::fill_outer_join_defaults(plan).map_err(from_datafusion)?
    };
    let task_ctx = Arc::new(datafusion::execution::TaskContext::from(&state));
    let physical = state
        .create_physical_plan(&plan)
        .await
        .map_err(from_datafusion)?;
    let stream =
        crate::stream::execute_in_partition_order(physical, task_ctx).map_err(from_datafusion)?;
    let schema = output_schema(stream.schema());
    let stream = crate::stream::rename_stream(stream, Arc::clone(&schema));
    Ok(QueryOutput {
        schema,
        stream: Some(stream),
        format: None,
        totals: None,
        progress: Arc::new(Progress::default()),
    })
}

/// Runs a query to completion.
pub async fn collect_query(
    session: &Session,
    query: Query,
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let out = run_query(session, query).await?;
    let schema = Arc::clone(&out.schema);
    Ok((schema, out.collect().await?))
}

/// The schema clients see: DataFusion's with each field's ClickHouse type made explicit
/// (non-Nullable columns are never reported as Nullable just because DataFusion could not
/// prove non-nullness — ClickHouse types come from [`ChType::from_field`]).
fn output_schema(schema: SchemaRef) -> SchemaRef {
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| {
            let t = ChType::from_field(f);
            let mut md = f.metadata().clone();
            md.insert(sluice_common::CH_TYPE_KEY.to_string(), t.to_string());
            let name = f
                .name()
                .split(crate::rewrite::DUP_MARK)
                .next()
                .unwrap_or_default()
                .to_string();
            f.as_ref().clone().with_metadata(md).with_name(name)
        })
        .collect();
    Arc::new(Schema::new(fields))
}
