//! Shaping inserted data into a table's stored columns: casting provided columns to the
//! column types, computing DEFAULT/MATERIALIZED expressions, and type defaults for the rest
//! (non-Nullable columns never hold NULL).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, new_null_array};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use sluice_common::{ChType, Error, Result};

use crate::error::from_datafusion;
use crate::session::Session;
use crate::table::{ColumnDesc, DefaultKind};

/// The default value of a ClickHouse type, `len` times.
pub fn default_array(t: &ChType, len: usize) -> Result<ArrayRef> {
    let dt = t.to_arrow();
    if t.is_nullable() || matches!(t, ChType::Nothing) {
        return Ok(new_null_array(&dt, len));
    }
    let v = ScalarValue::new_default(&dt).map_err(from_datafusion)?;
    v.to_array_of_size(len).map_err(from_datafusion)
}

fn quote_ident(n: &str) -> String {
    format!("\"{}\"", n.replace('"', "\"\""))
}

fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Builds the stored batch for `columns` from `input` (whose fields are named after the
/// target columns they fill).
pub async fn fill_batch(
    session: &Session,
    columns: &[ColumnDesc],
    input: RecordBatch,
) -> Result<RecordBatch> {
    let rows = input.num_rows();
    let provided: Vec<String> = input
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let (stored, target_schema) = stored_columns(columns);
    // Fast path: every stored column provided with exactly the right Arrow type.
    let exact = stored.iter().all(|c| {
        input
            .schema()
            .field_with_name(&c.name)
            .is_ok_and(|f| f.data_type() == &c.ty.to_arrow())
    });
    if exact {
        let mut cols = Vec::with_capacity(stored.len());
        for c in &stored {
            let idx = input
                .schema()
                .index_of(&c.name)
                .map_err(|e| Error::internal(e.to_string()))?;
            cols.push(Arc::clone(input.column(idx)));
        }
        return batch(target_schema, cols, rows);
    }
    // General path: one SELECT over the input computing every stored column.
    let needs_sql = stored.iter().any(|c| {
        !provided.contains(&c.name)
            && matches!(
                c.default,
                Some((DefaultKind::Default | DefaultKind::Materialized, _))
            )
    }) || stored.iter().any(|c| {
        input
            .schema()
            .field_with_name(&c.name)
            .is_ok_and(|f| f.data_type() != &c.ty.to_arrow())
    });
    if !needs_sql {
        let mut cols = Vec::with_capacity(stored.len());
        for c in &stored {
            match input.schema().index_of(&c.name) {
                Ok(i) => cols.push(Arc::clone(input.column(i))),
                Err(_) => cols.push(default_array(&c.ty, rows)?),
            }
        }
        return batch(target_schema, cols, rows);
    }
    let (select, no_value) = select_list(&stored, &provided);
    let sql = format!("SELECT {select} FROM __insert_input");
    let state = session.df_state();
    let ctx = datafusion::prelude::SessionContext::new_with_state(state);
    let mem = MemTable::try_new(input.schema(), vec![vec![input]]).map_err(from_datafusion)?;
    let tmp_schema = Arc::new(datafusion::catalog::memory::MemorySchemaProvider::new());
    datafusion::catalog::SchemaProvider::register_table(
        tmp_schema.as_ref(),
        "__insert_input".into(),
        Arc::new(mem),
    )
    .map_err(from_datafusion)?;
    if let Some(cat) = ctx.catalog(crate::df_catalog::CATALOG_NAME) {
        let _ = cat;
    }
    let mem_cat = Arc::new(datafusion::catalog::MemoryCatalogProvider::new());
    datafusion::catalog::CatalogProvider::register_schema(mem_cat.as_ref(), "public", tmp_schema)
        .map_err(from_datafusion)?;
    ctx.register_catalog("__insert", mem_cat);
    let sql = sql.replace("FROM __insert_input", "FROM __insert.public.__insert_input");
    let stmts = sluice_sql::parse_statements(&sql)?;
    let Some(first) = stmts.into_iter().next() else {
        return Err(Error::internal("empty insert projection"));
    };
    let sluice_sql::Statement::Query(mut q) = first.statement else {
        return Err(Error::internal("insert projection is not a query"));
    };
    let rctx = session.rewrite_context();
    crate::rewrite::rewrite_query(&mut q, &rctx)?;
    let plan = ctx
        .state()
        .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
            datafusion::sql::sqlparser::ast::Statement::Query(q),
        )))
        .await
        .map_err(from_datafusion)?;
    let df = datafusion::prelude::DataFrame::new(ctx.state(), plan);
    let out = df.collect().await.map_err(from_datafusion)?;
    selected_batch(&stored, &out, &no_value, target_schema, rows)
}

/// The stored columns of `columns`, and their schema.
pub(crate) fn stored_columns(columns: &[ColumnDesc]) -> (Vec<&ColumnDesc>, Arc<Schema>) {
    let stored: Vec<&ColumnDesc> = columns.iter().filter(|c| c.is_stored()).collect();
    let schema = Arc::new(Schema::new(
        stored
            .iter()
            .map(|c| c.ty.to_field(&c.name))
            .collect::<Vec<Field>>(),
    ));
    (stored, schema)
}

/// Whether every stored column of `columns` is in `input` by name and some has another
/// Arrow type: the stored batch is then the input's columns cast, an expression of the
/// input alone (no DEFAULT expression, nothing that depends on the time of the insert),
/// which a caller may plan once and run over many inputs of the same schema.
pub(crate) fn casts_only(columns: &[ColumnDesc], input: &Schema) -> bool {
    let mut cast = false;
    for c in columns.iter().filter(|c| c.is_stored()) {
        match input.field_with_name(&c.name) {
            Ok(f) => cast |= f.data_type() != &c.ty.to_arrow(),
            Err(_) => return false,
        }
    }
    cast
}

/// The SELECT list over the input (columns named `provided`) computing every stored
/// column with its type, and the columns left for the type default (no value, no
/// DEFAULT expression).
pub(crate) fn select_list<'a>(
    stored: &[&'a ColumnDesc],
    provided: &[String],
) -> (String, Vec<&'a str>) {
    // Aliases usable by default expressions: provided columns, ALIAS/EPHEMERAL expressions.
    let mut select = Vec::new();
    let mut no_value: Vec<&str> = Vec::new();
    for c in stored {
        let ty = quote_str(&c.ty.to_string());
        let expr = if provided.contains(&c.name) {
            format!("_CAST({}, {ty})", quote_ident(&c.name))
        } else if let Some((DefaultKind::Default | DefaultKind::Materialized, e)) = &c.default {
            format!("_CAST(({e}), {ty})")
        } else {
            // No value and no default: the type's default, filled below.
            no_value.push(c.name.as_str());
            "NULL".to_string()
        };
        select.push(format!("{expr} AS {}", quote_ident(&c.name)));
    }
    (select.join(", "), no_value)
}

/// The stored batch from the output of [`select_list`]'s SELECT: the type default for
/// `no_value` columns and in place of NULLs of non-Nullable columns.
pub(crate) fn selected_batch(
    stored: &[&ColumnDesc],
    out: &[RecordBatch],
    no_value: &[&str],
    target_schema: Arc<Schema>,
    rows: usize,
) -> Result<RecordBatch> {
    let out = datafusion::arrow::compute::concat_batches(
        &out.first()
            .map(|b| b.schema())
            .unwrap_or_else(|| Arc::clone(&target_schema)),
        out,
    )
    .map_err(|e| Error::internal(e.to_string()))?;
    // Replace NULLs of non-Nullable columns by the type default.
    let mut cols = Vec::with_capacity(stored.len());
    for (i, c) in stored.iter().enumerate() {
        if no_value.contains(&c.name.as_str()) {
            cols.push(default_array(&c.ty, rows)?);
            continue;
        }
        let a = Arc::clone(out.column(i));
        if !c.ty.is_nullable() && a.null_count() > 0 {
            let d = default_array(&c.ty, a.len())?;
            let mask = datafusion::arrow::compute::is_null(&a)
                .map_err(|e| Error::internal(e.to_string()))?;
            cols.push(
                datafusion::arrow::compute::kernels::zip::zip(&mask, &d, &a)
                    .map_err(|e| Error::internal(e.to_string()))?,
            );
        } else {
            cols.push(a);
        }
    }
    batch(target_schema, cols, rows)
}

fn batch(schema: Arc<Schema>, cols: Vec<ArrayRef>, rows: usize) -> Result<RecordBatch> {
    // Field nullability follows the ClickHouse type; arrays of non-Nullable columns have
    // no nulls by construction.
    RecordBatch::try_new_with_options(
        schema,
        cols,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(|e| Error::internal(format!("building inserted block: {e}")))
}
