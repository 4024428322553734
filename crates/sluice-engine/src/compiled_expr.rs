//! ClickHouse expressions compiled once into DataFusion physical expressions over a table's
//! stored columns, and evaluated on every batch: sorting keys, partition keys, TTL and
//! mutation predicates for `sluice-storage` (which sees them as [`BatchExpr`]).

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::sql::sqlparser::ast::Expr as SqlExpr;
use sluice_common::{Error, Result};
use sluice_storage::BatchExpr;

use crate::error::from_datafusion;
use crate::session::Session;
use crate::table::{ColumnDesc, stored_schema};

/// Expressions compiled against a table's stored schema.
pub struct CompiledExprs {
    text: String,
    exprs: Vec<Arc<dyn PhysicalExpr>>,
    columns: Vec<String>,
}

impl std::fmt::Debug for CompiledExprs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledExprs")
            .field("text", &self.text)
            .finish()
    }
}

impl BatchExpr for CompiledExprs {
    fn eval(&self, batch: &RecordBatch) -> Result<Vec<ArrayRef>> {
        self.exprs
            .iter()
            .map(|e| {
                e.evaluate(batch)
                    .and_then(|v| v.into_array(batch.num_rows()))
                    .map_err(from_datafusion)
            })
            .collect()
    }

    fn text(&self) -> String {
        self.text.clone()
    }

    fn columns(&self) -> Vec<String> {
        self.columns.clone()
    }
}

/// Compiles `exprs` (ClickHouse SQL, rewritten as in queries) over the stored columns of
/// `columns`. `text` is how the expressions are shown (`toYYYYMM(d)`, `id, s`).
pub async fn compile(
    session: &Session,
    columns: &[ColumnDesc],
    exprs: &[SqlExpr],
    text: String,
) -> Result<Arc<CompiledExprs>> {
    let texts: Vec<String> = exprs.iter().map(|e| e.to_string()).collect();
    compile_texts(session, columns, &texts, text).await
}

/// A mutation's `WHERE`: one Boolean column (ClickHouse's UInt8 truth, NULL = false).
pub async fn compile_predicate(
    session: &Session,
    columns: &[ColumnDesc],
    predicate: &SqlExpr,
) -> Result<Arc<CompiledExprs>> {
    let text = sluice_sql::format_expr(predicate);
    compile_texts(
        session,
        columns,
        &[format!("__ch_bool(({predicate}))")],
        text,
    )
    .await
}

/// Like [`compile`], from SQL texts.
pub async fn compile_texts(
    session: &Session,
    columns: &[ColumnDesc],
    exprs: &[String],
    text: String,
) -> Result<Arc<CompiledExprs>> {
    let schema = stored_schema(columns);
    let select: Vec<String> = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{e} AS \"__e{i}\""))
        .collect();
    let sql = format!(
        "SELECT {} FROM __compile.public.__batch",
        if select.is_empty() {
            "1".to_string()
        } else {
            select.join(", ")
        }
    );
    let stmts = sluice_sql::parse_statements(&sql)?;
    let Some(sluice_sql::Statement::Query(mut q)) = stmts.into_iter().next().map(|p| p.statement)
    else {
        return Err(Error::internal("compiled expression is not a query"));
    };
    let rctx = session.rewrite_context();
    crate::rewrite::rewrite_query(&mut q, &rctx)?;
    let state = session.df_state_for(&rctx);
    let ctx = datafusion::prelude::SessionContext::new_with_state(state);
    let mem = MemTable::try_new(Arc::clone(&schema), vec![vec![]]).map_err(from_datafusion)?;
    let tmp_schema = Arc::new(datafusion::catalog::memory::MemorySchemaProvider::new());
    datafusion::catalog::SchemaProvider::register_table(
        tmp_schema.as_ref(),
        "__batch".into(),
        Arc::new(mem),
    )
    .map_err(from_datafusion)?;
    let mem_cat = Arc::new(datafusion::catalog::MemoryCatalogProvider::new());
    datafusion::catalog::CatalogProvider::register_schema(mem_cat.as_ref(), "public", tmp_schema)
        .map_err(from_datafusion)?;
    ctx.register_catalog("__compile", mem_cat);
    let state = ctx.state();
    let plan = state
        .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
            datafusion::sql::sqlparser::ast::Statement::Query(q),
        )))
        .await
        .map_err(from_datafusion)?;
    // Find the projection computing the expressions; its input is the full-table scan.
    let mut node = &plan;
    let projection = loop {
        match node {
            LogicalPlan::Projection(p) => break p,
            other => match other.inputs().first() {
                Some(next) => node = next,
                None => return Err(Error::internal("compiled expression has no projection")),
            },
        }
    };
    let input_schema = projection.input.schema();
    let mut compiled = Vec::with_capacity(exprs.len());
    for e in projection.expr.iter().take(exprs.len()) {
        let physical = state
            .create_physical_expr(e.clone().unalias(), input_schema)
            .map_err(from_datafusion)?;
        compiled.push(physical);
    }
    let mut referenced = Vec::new();
    for e in projection.expr.iter() {
        for c in e.column_refs() {
            if !referenced.contains(&c.name) {
                referenced.push(c.name.clone());
            }
        }
    }
    Ok(Arc::new(CompiledExprs {
        text,
        exprs: compiled,
        columns: referenced,
    }))
}
