//! Virtual columns the engine computes over a table's provider (ClickHouse 26.9's values,
//! checked with the oracle in `sql-tests/storage/virtual_columns.slt`):
//! - `_table`, `_database` (`LowCardinality(String)`): the table's name and database, for
//!   every engine ClickHouse gives them to (all but `Null`; Kafka tables have their own);
//! - of the MergeTree family, from the storage's `_part` and `_part_offset`:
//!   `_block_offset` (the row's number in its part: what ClickHouse reads when the part has
//!   no persisted `_block_offset` column, i.e. without `enable_block_offset_column`),
//!   `_block_number` (the part's first block number, the second field of its name, likewise
//!   without `enable_block_number_column`), `_part_granule_offset` (`_part_offset /
//!   index_granularity`, the last granule of a compact part taking a remainder of less than
//!   half a granule, as `sluice-storage`'s marks count it) and `_distance` (0 outside a
//!   vector search).
//!
//! A stored column of the same name hides the virtual one.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session as DfSession;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    Cast, Expr, ExprSchemable, TableProviderFilterPushDown, col, lit, when,
};
use datafusion::physical_expr::projection::ProjectionExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::expressions::Column;
use datafusion::physical_plan::projection::ProjectionExec;

use crate::table::TableRef;
use crate::tables::merge_tree::MergeTreeStorage;

/// `_table` and `_database`.
pub const COMMON: &[&str] = &["_table", "_database"];
/// The MergeTree family's virtual columns computed here.
const MERGE_TREE: &[&str] = &[
    "_part_granule_offset",
    "_distance",
    "_block_number",
    "_block_offset",
];

/// Whether `text` (a query) names one of [`ALL`] as a whole identifier.
pub fn mentioned_in(text: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    ALL.iter().any(|n| {
        text.match_indices(n).any(|(i, _)| {
            !text[..i].chars().next_back().is_some_and(word)
                && !text[i + n.len()..].chars().next().is_some_and(word)
        })
    })
}

/// Every name this module can add (a query naming none reads the plain providers).
pub const ALL: &[&str] = &[
    "_table",
    "_database",
    "_part_granule_offset",
    "_distance",
    "_block_number",
    "_block_offset",
];

/// The names of the virtual columns this module adds to `table` (left out of `SELECT *`).
pub fn names(table: &TableRef) -> Vec<&'static str> {
    let engine = table.engine();
    if engine == "Null" || engine == "Kafka" {
        return Vec::new();
    }
    let stored: Vec<String> = table.columns().into_iter().map(|c| c.name).collect();
    let mut out: Vec<&'static str> = COMMON.to_vec();
    let storage_virtuals = table.virtual_columns();
    if table.as_any().downcast_ref::<MergeTreeStorage>().is_some()
        && storage_virtuals.iter().any(|n| n == "_part_offset")
        && storage_virtuals.iter().any(|n| n == "_part")
    {
        out.extend_from_slice(MERGE_TREE);
    }
    out.retain(|n| !stored.iter().any(|s| s == n));
    out
}

/// `provider` (the table's plain or `FINAL` provider) with the virtual columns of
/// [`names`] appended; `provider` itself when there are none.
pub fn wrap(
    table: &TableRef,
    database: &str,
    name: &str,
    provider: Arc<dyn TableProvider>,
) -> DfResult<Arc<dyn TableProvider>> {
    let extras = names(table)
        .into_iter()
        .map(|n| (n, value_of(n, database, name)))
        .collect();
    with_extras(provider, extras, Some(Arc::clone(table)))
}

/// A system table's or a table function's provider with `_table` and `_database`
/// (ClickHouse: `system` / the table's name, `_table_function` / the function's name).
pub fn wrap_named(
    database: &str,
    name: &str,
    provider: Arc<dyn TableProvider>,
) -> DfResult<Arc<dyn TableProvider>> {
    let schema = provider.schema();
    let extras = COMMON
        .iter()
        .filter(|n| schema.index_of(n).is_err())
        .map(|&n| (n, value_of(n, database, name)))
        .collect();
    with_extras(provider, extras, None)
}

fn with_extras(
    provider: Arc<dyn TableProvider>,
    extras: Vec<(&'static str, Expr)>,
    table: Option<TableRef>,
) -> DfResult<Arc<dyn TableProvider>> {
    if extras.is_empty() {
        return Ok(provider);
    }
    let inner_schema = provider.schema();
    let df_schema = DFSchema::try_from(inner_schema.as_ref().clone())?;
    let mut fields: Vec<Field> = inner_schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for (n, expr) in &extras {
        let (_, field) = expr.to_field(&df_schema)?;
        // Never NULL (a part name always has its block numbers), as ClickHouse types them.
        fields.push(Field::new(*n, field.data_type().clone(), false));
    }
    Ok(Arc::new(VirtualsProvider {
        inner: provider,
        schema: Arc::new(Schema::new_with_metadata(
            fields,
            inner_schema.metadata().clone(),
        )),
        extras,
        table,
    }))
}

fn lc_string(v: &str) -> Expr {
    lit(ScalarValue::Dictionary(
        Box::new(DataType::Int32),
        Box::new(ScalarValue::Utf8(Some(v.to_string()))),
    ))
}

/// The expression over the storage's columns giving virtual column `n`
/// (`_part_granule_offset` only typed here: [`granule_offset`] builds it at scan time).
fn value_of(n: &str, database: &str, name: &str) -> Expr {
    match n {
        "_table" => lc_string(name),
        "_database" => lc_string(database),
        "_distance" => lit(0f32),
        "_block_offset" => col("_part_offset"),
        "_block_number" => Expr::Cast(Cast::new(
            Box::new(datafusion::functions::string::expr_fn::split_part(
                Expr::Cast(Cast::new(Box::new(col("_part")), DataType::Utf8)),
                lit("_"),
                lit(2i64),
            )),
            DataType::UInt64,
        )),
        _ => col("_part_offset") / lit(1u64),
    }
}

/// `_part_granule_offset`: `_part_offset / index_granularity`, capped at the last granule
/// of the parts whose last granule took in a short remainder.
fn granule_offset(table: &TableRef) -> Expr {
    let Some(mt) = table.as_any().downcast_ref::<MergeTreeStorage>() else {
        return lit(0u64);
    };
    let storage = mt.storage();
    let granularity = storage.spec().settings.index_granularity.max(1);
    let plain = col("_part_offset") / lit(granularity);
    let capped: Vec<(String, u64)> = storage
        .parts()
        .into_iter()
        .filter(|p| p.active && p.marks > 1 && p.rows.div_ceil(granularity) > p.marks - 1)
        .map(|p| (p.name, p.marks - 2))
        .collect();
    let Some(((first, last), rest)) = capped.split_first() else {
        return plain;
    };
    let part = || Expr::Cast(Cast::new(Box::new(col("_part")), DataType::Utf8));
    let at = |p: &str| part().eq(lit(p.to_string()));
    // Non-NULL branches only, so the column stays non-nullable as `wrap` typed it.
    let beyond = |p: &str, l: u64| at(p).and(plain.clone().gt(lit(l)));
    let mut case = when(beyond(first, *last), lit(*last));
    for (p, l) in rest {
        case = case.when(beyond(p, *l), lit(*l));
    }
    case.otherwise(plain.clone()).unwrap_or(plain)
}

/// A provider with computed virtual columns after the inner provider's columns.
#[derive(Debug)]
struct VirtualsProvider {
    inner: Arc<dyn TableProvider>,
    schema: SchemaRef,
    extras: Vec<(&'static str, Expr)>,
    /// The MergeTree table whose parts `_part_granule_offset` needs (read at scan time).
    table: Option<TableRef>,
}

impl VirtualsProvider {
    fn refers_to_extras(&self, e: &Expr) -> bool {
        e.column_refs()
            .iter()
            .any(|c| self.extras.iter().any(|(n, _)| *n == c.name))
    }
}

#[async_trait]
impl TableProvider for VirtualsProvider {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        let mut out = vec![TableProviderFilterPushDown::Unsupported; filters.len()];
        let inner: Vec<(usize, &Expr)> = filters
            .iter()
            .enumerate()
            .filter(|(_, f)| !self.refers_to_extras(f))
            .map(|(i, f)| (i, *f))
            .collect();
        if inner.is_empty() {
            return Ok(out);
        }
        let inner_filters: Vec<&Expr> = inner.iter().map(|(_, f)| *f).collect();
        let answers = self.inner.supports_filters_pushdown(&inner_filters)?;
        for ((i, _), a) in inner.iter().zip(answers) {
            out[*i] = a;
        }
        Ok(out)
    }

    async fn scan(
        &self,
        state: &dyn DfSession,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let n_inner = self.inner.schema().fields().len();
        let wanted: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        if wanted.iter().all(|&i| i < n_inner) {
            return self.inner.scan(state, Some(&wanted), filters, limit).await;
        }
        let inner_schema = self.inner.schema();
        // The inner columns read: those projected, then the ones the virtual columns use.
        let mut read: Vec<usize> = wanted.iter().copied().filter(|&i| i < n_inner).collect();
        for &i in wanted.iter().filter(|&&i| i >= n_inner) {
            for c in self.extras[i - n_inner].1.column_refs() {
                if let Ok(j) = inner_schema.index_of(&c.name)
                    && !read.contains(&j)
                {
                    read.push(j);
                }
            }
        }
        let input = self.inner.scan(state, Some(&read), filters, limit).await?;
        let input_schema = input.schema();
        let df_schema = DFSchema::try_from(input_schema.as_ref().clone())?;
        let mut exprs = Vec::with_capacity(wanted.len());
        for &i in &wanted {
            let field = self.schema.field(i);
            let expr: Arc<dyn datafusion::physical_expr::PhysicalExpr> = if i < n_inner {
                let pos = input_schema.index_of(field.name())?;
                Arc::new(Column::new(field.name(), pos))
            } else {
                let (name, expr) = &self.extras[i - n_inner];
                let expr = match (*name, &self.table) {
                    ("_part_granule_offset", Some(t)) => granule_offset(t),
                    // Non-nullable as the schema says: `split_part` is typed nullable.
                    ("_block_number", _) => match state.scalar_functions().get("assumeNotNull") {
                        Some(f) => Expr::ScalarFunction(ScalarFunction::new_udf(
                            Arc::clone(f),
                            vec![expr.clone()],
                        )),
                        None => expr.clone(),
                    },
                    _ => expr.clone(),
                };
                state.create_physical_expr(expr, &df_schema)?
            };
            exprs.push(ProjectionExpr {
                expr,
                alias: field.name().clone(),
            });
        }
        Ok(Arc::new(ProjectionExec::try_new(exprs, input)?))
    }
}

#[cfg(test)]
mod tests {
    use super::mentioned_in;

    #[test]
    fn names_count_as_whole_identifiers_only() {
        assert!(mentioned_in("SELECT _table FROM t"));
        assert!(mentioned_in("SELECT a FROM t WHERE _block_number>1"));
        assert!(mentioned_in("SELECT t.`_database` FROM t"));
        assert!(!mentioned_in("SELECT * FROM user_table"));
        assert!(!mentioned_in(
            "SELECT * FROM numbers(1) WHERE x = '_table_function'"
        ));
        assert!(!mentioned_in("SELECT _tables FROM t"));
    }
}
