//! `SELECT` (and everything that is a query): rewrite, plan on DataFusion, stream.

use std::sync::Arc;

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{Query, Statement as SqlStatement};
use sluice_common::{ChType, Result};

use crate::error::from_datafusion;
use crate::session::{Progress, QueryOutput, Session};

/// Plans and starts a query; the result streams. A `WITH TOTALS` query computes its totals
/// row first (see [`crate::rewrite::totals_query`]).
pub async fn run_query(session: &Session, mut query: Query) -> Result<QueryOutput> {
    if let Some(fill) = super::with_fill::take_fill(&mut query)? {
        return Box::pin(super::with_fill::run_filled(session, query, fill)).await;
    }
    let ctx = session.rewrite_context();
    crate::rewrite::rewrite_query(&mut query, &ctx)?;
    let mut state = session.df_state_for(&ctx);
    crate::rewrite::join_strictness::register_markers(&mut state);
    let totals_query = if ctx.with_totals.get() {
        let aggregates = state.aggregate_functions();
        Some(crate::rewrite::totals_query(&query, &|name| {
            aggregates.contains_key(name)
        })?)
    } else {
        None
    };
    let (schema, stream) = plan_and_stream(session, &state, query).await?;
    let totals = match totals_query {
        Some(q) => {
            let (_, mut s) = Box::pin(plan_and_stream(session, &state, q)).await?;
            let mut batches = Vec::new();
            use futures::StreamExt;
            while let Some(b) = s.next().await {
                batches.push(b.map_err(from_datafusion)?);
            }
            Some(totals_batch(&schema, &batches)?)
        }
        None => None,
    };
    Ok(QueryOutput {
        schema,
        stream: Some(stream),
        format: None,
        totals,
        progress: Arc::new(Progress::default()),
    })
}

async fn plan_and_stream(
    session: &Session,
    state: &datafusion::execution::SessionState,
    query: Query,
) -> Result<(SchemaRef, datafusion::execution::SendableRecordBatchStream)> {
    let plan = Box::pin(plan_query(state, query)).await?;
    let names = super::join_names::join_column_names(&plan);
    let join_use_nulls = session.settings.get_bool("join_use_nulls");
    let plan = crate::rewrite::join_strictness::apply_join_strictness(plan, join_use_nulls)
        .map_err(from_datafusion)?;
    let plan = crate::comparisons::apply_comparison_rules(plan)?;
    let plan = if join_use_nulls {
        plan
    } else {
        crate::join_defaults::fill_outer_join_defaults(plan).map_err(from_datafusion)?
    };
    let plan = if session.settings.get_bool("group_by_use_nulls") {
        plan
    } else {
        crate::grouping_defaults::fill_grouping_set_defaults(plan).map_err(from_datafusion)?
    };
    let plan =
        crate::rewrite::join_using::using_keys_from_both_sides(plan).map_err(from_datafusion)?;
    let task_ctx = session.task_ctx(state);
    // `create_physical_plan` with the unnest element types fixed after optimization (the
    // optimizer rebuilds unnest nodes with DataFusion's nullable element fields).
    let plan = state.optimize(&plan).map_err(from_datafusion)?;
    let plan =
        crate::rewrite::zero_column_window::give_windows_a_column(plan).map_err(from_datafusion)?;
    let plan = crate::unnest_types::exact_unnest_types(plan).map_err(from_datafusion)?;
    let physical = state
        .query_planner()
        .create_physical_plan(&plan, state)
        .await
        .map_err(from_datafusion)?;
    let physical = session.count_scans(physical, state)?;
    let stream =
        crate::stream::execute_in_partition_order(physical, task_ctx).map_err(from_datafusion)?;
    let schema = output_schema(stream.schema(), &names);
    let stream = crate::stream::rename_stream(stream, Arc::clone(&schema));
    Ok((schema, stream))
}

/// DataFusion's plan of `query`. A column name that more than one relation of a join has,
/// used unqualified, is the leftmost relation's (ClickHouse); DataFusion calls it ambiguous,
/// so such names are qualified and the query planned again.
async fn plan_query(
    state: &datafusion::execution::SessionState,
    mut query: Query,
) -> Result<datafusion::logical_expr::LogicalPlan> {
    use crate::rewrite::join_ambiguity::{join_probes, qualify_name};
    let mut attempts = 0;
    loop {
        let planned = state
            .statement_to_plan(DfStatement::Statement(Box::new(SqlStatement::Query(
                Box::new(query.clone()),
            ))))
            .await;
        let err = match planned {
            Ok(plan) => return Ok(plan),
            Err(e) => e,
        };
        let Some(name) = ambiguous_name(&err).filter(|_| attempts < 8) else {
            return Err(from_datafusion(err));
        };
        attempts += 1;
        let mut qualifiers = Vec::new();
        for probe in join_probes(&query) {
            let plan = state
                .statement_to_plan(DfStatement::Statement(Box::new(SqlStatement::Query(
                    Box::new(probe),
                ))))
                .await
                .ok();
            qualifiers.push(plan.and_then(|p| first_qualifier(&p, &name)));
        }
        if !qualify_name(&mut query, &name, &qualifiers) {
            return Err(from_datafusion(err));
        }
    }
}

/// The unqualified column an "ambiguous reference" planning error is about.
fn ambiguous_name(e: &datafusion::error::DataFusionError) -> Option<String> {
    use datafusion::error::DataFusionError as E;
    match e {
        E::SchemaError(s, _) => match s.as_ref() {
            datafusion::common::SchemaError::AmbiguousReference { field }
                if field.relation.is_none() =>
            {
                Some(field.name.clone())
            }
            _ => None,
        },
        E::Context(_, inner) | E::Diagnostic(_, inner) => ambiguous_name(inner),
        E::Shared(inner) => ambiguous_name(inner),
        _ => None,
    }
}

/// The table name qualifying the first field called `name` of a `SELECT * FROM …` probe's
/// FROM clause (the input of its projection).
fn first_qualifier(plan: &datafusion::logical_expr::LogicalPlan, name: &str) -> Option<String> {
    let from = match plan {
        datafusion::logical_expr::LogicalPlan::Projection(p) => p.input.as_ref(),
        other => other,
    };
    from.schema()
        .iter()
        .find(|(_, f)| f.name() == name)
        .and_then(|(q, _)| q)
        .and_then(|q| match q {
            datafusion::common::TableReference::Bare { table } => Some(table.to_string()),
            _ => None,
        })
}

/// The totals row in the main result's schema (same columns; types cast where the totals
/// query typed a column differently, e.g. Nullable).
fn totals_batch(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    let to_err = |e: datafusion::arrow::error::ArrowError| {
        from_datafusion(datafusion::error::DataFusionError::ArrowError(
            Box::new(e),
            None,
        ))
    };
    let Some(first) = batches.iter().find(|b| b.num_rows() > 0) else {
        return Ok(RecordBatch::new_empty(Arc::clone(schema)));
    };
    if first.num_columns() != schema.fields().len() {
        return Err(sluice_common::Error::internal(
            "the totals row has a different number of columns than the result",
        ));
    }
    let columns = first
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            let c = c.slice(0, 1);
            if c.data_type() == f.data_type() {
                Ok(c)
            } else {
                datafusion::arrow::compute::cast(&c, f.data_type())
            }
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(to_err)?;
    let options =
        datafusion::arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(1));
    if let Ok(b) = RecordBatch::try_new_with_options(Arc::clone(schema), columns.clone(), &options)
    {
        return Ok(b);
    }
    // A NULL where the result column is not Nullable (a key of a Nullable-less type read
    // through an outer join): keep the value, relax the field.
    let relaxed = Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ));
    RecordBatch::try_new_with_options(relaxed, columns, &options).map_err(to_err)
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
/// `names` replaces DataFusion's names where given (see [`super::join_names`]).
fn output_schema(schema: SchemaRef, names: &[Option<String>]) -> SchemaRef {
    // Positions hold only while the plan's columns are the projection's.
    let names = if names.len() == schema.fields().len() {
        names
    } else {
        &[]
    };
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let t = ChType::from_field(f);
            let mut md = f.metadata().clone();
            md.insert(sluice_common::CH_TYPE_KEY.to_string(), t.to_string());
            let name = match names.get(i) {
                Some(Some(n)) => n.clone(),
                _ => f
                    .name()
                    .split(crate::rewrite::DUP_MARK)
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            };
            f.as_ref().clone().with_metadata(md).with_name(name)
        })
        .collect();
    Arc::new(Schema::new(fields))
}
