//! ClickHouse refuses a sorting or partition key with a Nullable element (`ILLEGAL_COLUMN`
//! 44, "Sorting key contains nullable columns, but merge tree setting `allow_nullable_key`
//! is disabled") unless the table sets `allow_nullable_key`. An element's type is the one
//! `toTypeName` gives it; Nullable counts anywhere inside (`LowCardinality(Nullable(…))`,
//! `Array(Nullable(…))`, a Tuple or Map element), as ClickHouse's `hasNullable`.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int32Array, Int64Array, RecordBatch, RecordBatchOptions, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::Field;
use datafusion::sql::sqlparser::ast::Expr;
use sluice_common::{ChType, Error, Result, ch_err};
use sluice_sql::EngineClause;
use sluice_storage::BatchExpr;

use crate::compiled_expr::compile_texts;
use crate::session::Session;
use crate::table::{ColumnDesc, stored_schema};

/// Nullable anywhere in `ty`.
fn has_nullable(ty: &ChType) -> bool {
    match ty {
        ChType::Nullable(_) => true,
        ChType::LowCardinality(t) | ChType::Array(t) => has_nullable(t),
        ChType::Tuple(items) => items.iter().any(|(_, t)| has_nullable(t)),
        ChType::Map(k, v) => has_nullable(k) || has_nullable(v),
        _ => false,
    }
}

/// True when the table's `SETTINGS` turn `allow_nullable_key` on.
fn allowed(clause: &EngineClause) -> bool {
    clause.settings.iter().any(|(k, v)| {
        k == "allow_nullable_key" && matches!(v.to_plain_string().as_str(), "1" | "true")
    })
}

/// The ClickHouse types of `items` over the table's columns.
async fn item_types(
    session: &Session,
    columns: &[ColumnDesc],
    items: &[Expr],
) -> Result<Vec<ChType>> {
    let texts: Vec<String> = items.iter().map(|e| format!("toTypeName({e})")).collect();
    let compiled = compile_texts(session, columns, &texts, String::new()).await?;
    let schema = stored_schema(columns);
    let arrays = schema
        .fields()
        .iter()
        .map(|f| one_value(f))
        .collect::<Result<Vec<_>>>()?;
    let one_row = RecordBatch::try_new_with_options(
        Arc::clone(&schema),
        arrays,
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )
    .map_err(|e| Error::internal(format!("key type probe: {e}")))?;
    let mut out = Vec::with_capacity(items.len());
    for col in compiled.eval(&one_row)? {
        let names = col
            .as_string_opt::<i32>()
            .ok_or_else(|| Error::internal("toTypeName did not return a String"))?;
        if names.is_empty() {
            return Err(Error::internal("toTypeName returned no row"));
        }
        out.push(ChType::parse(names.value(0))?);
    }
    Ok(out)
}

/// One value of `field`'s type (its default; the type's zero where `default_array` has
/// none, e.g. `Date`): only its type matters.
fn one_value(field: &Field) -> Result<ArrayRef> {
    if let Ok(a) = sluice_storage::defaults::default_array(field, 1) {
        return Ok(a);
    }
    let zeros: [ArrayRef; 3] = [
        Arc::new(Int32Array::from(vec![0])),
        Arc::new(Int64Array::from(vec![0])),
        Arc::new(StringArray::from(vec![""])),
    ];
    zeros
        .iter()
        .find_map(|z| cast(z, field.data_type()).ok())
        .ok_or_else(|| {
            Error::internal(format!(
                "key type probe: no value of type {}",
                field.data_type()
            ))
        })
}

/// Checks the sorting key, then the partition key (ClickHouse's order).
pub(super) async fn check(
    session: &Session,
    columns: &[ColumnDesc],
    clause: &EngineClause,
    sorting_items: &[Expr],
    partition_items: &[Expr],
) -> Result<()> {
    if allowed(clause) {
        return Ok(());
    }
    for (key, items) in [("Sorting", sorting_items), ("Partition", partition_items)] {
        if items.is_empty() {
            continue;
        }
        if item_types(session, columns, items)
            .await?
            .iter()
            .any(has_nullable)
        {
            return Err(ch_err!(
                ILLEGAL_COLUMN,
                "{key} key contains nullable columns, but merge tree setting \
                 `allow_nullable_key` is disabled"
            ));
        }
    }
    Ok(())
}
