//! ClickHouse type defaults as Arrow arrays (0, '', 1970-01-01, empty arrays, …) and the
//! adaptation of a stored batch to the current table schema (columns added later, renamed
//! or retyped by `ALTER`).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BinaryArray, DictionaryArray, FixedSizeBinaryArray, LargeBinaryArray,
    LargeStringArray, ListArray, MapArray, RecordBatch, RecordBatchOptions, StringArray,
    StructArray, UInt8Array, new_null_array,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, SchemaRef};
use sluice_common::{ChType, Error, ErrorCode, Result};

fn arrow_err(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::CANNOT_CONVERT_TYPE, e.to_string())
}

/// An array of `len` default values of `field` (NULL when the field is nullable).
pub fn default_array(field: &Field, len: usize) -> Result<ArrayRef> {
    if field.is_nullable() {
        return Ok(new_null_array(field.data_type(), len));
    }
    non_null_default(field.data_type(), len)
}

fn non_null_default(dt: &DataType, len: usize) -> Result<ArrayRef> {
    let arr: ArrayRef = match dt {
        DataType::Null => new_null_array(dt, len),
        DataType::Utf8 => Arc::new(StringArray::from(vec![""; len])),
        DataType::LargeUtf8 => Arc::new(LargeStringArray::from(vec![""; len])),
        DataType::Utf8View => cast_with_options(
            &(Arc::new(StringArray::from(vec![""; len])) as ArrayRef),
            dt,
            &CastOptions::default(),
        )
        .map_err(arrow_err)?,
        DataType::Binary => Arc::new(BinaryArray::from(vec![&b""[..]; len])),
        DataType::LargeBinary => Arc::new(LargeBinaryArray::from(vec![&b""[..]; len])),
        DataType::FixedSizeBinary(n) => {
            let zeros = vec![0u8; (*n).max(0) as usize];
            Arc::new(
                FixedSizeBinaryArray::try_from_iter(std::iter::repeat_n(zeros.as_slice(), len))
                    .or_else(|_| Ok::<_, Error>(FixedSizeBinaryArray::new_null(*n, 0)))?,
            )
        }
        DataType::List(f) => Arc::new(ListArray::new(
            Arc::clone(f),
            OffsetBuffer::new_zeroed(len),
            new_null_array(f.data_type(), 0),
            None,
        )),
        DataType::Struct(fields) => {
            let children = fields
                .iter()
                .map(|f| default_array(f, len))
                .collect::<Result<Vec<_>>>()?;
            Arc::new(
                StructArray::try_new(fields.clone(), children, None::<NullBuffer>)
                    .map_err(arrow_err)?,
            )
        }
        DataType::Map(entries, sorted) => {
            let DataType::Struct(kv) = entries.data_type() else {
                return Err(Error::internal("map entries are not a struct"));
            };
            let empty = StructArray::new_empty_fields(0, None);
            let entries_arr = if kv.is_empty() {
                empty
            } else {
                StructArray::try_new(
                    kv.clone(),
                    kv.iter()
                        .map(|f| new_null_array(f.data_type(), 0))
                        .collect(),
                    None,
                )
                .map_err(arrow_err)?
            };
            Arc::new(
                MapArray::try_new(
                    Arc::clone(entries),
                    OffsetBuffer::new_zeroed(len),
                    entries_arr,
                    None,
                    *sorted,
                )
                .map_err(arrow_err)?,
            )
        }
        DataType::Dictionary(k, v) if **k == DataType::Int32 => {
            let values = non_null_default(v, 1)?;
            let keys = datafusion::arrow::array::Int32Array::from(vec![0; len]);
            Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values).map_err(arrow_err)?)
        }
        _ => {
            // Numbers, dates, times, decimals, booleans: cast from zeros.
            let zeros: ArrayRef = Arc::new(UInt8Array::from(vec![0u8; len]));
            cast_with_options(&zeros, dt, &CastOptions::default()).map_err(|e| {
                Error::new(
                    ErrorCode::NOT_IMPLEMENTED,
                    format!("no default value for type {dt}: {e}"),
                )
            })?
        }
    };
    Ok(arr)
}

/// Rebuilds `batch` with exactly the fields of `schema`: columns found by name (after
/// `renames`, old name → new name) are cast when their type differs, missing columns get
/// the type default, extra columns are dropped.
pub fn adapt_batch(
    batch: &RecordBatch,
    schema: &SchemaRef,
    renames: &HashMap<String, String>,
) -> Result<RecordBatch> {
    if batch.schema().fields() == schema.fields() {
        return RecordBatch::try_new(Arc::clone(schema), batch.columns().to_vec())
            .map_err(arrow_err);
    }
    let src = batch.schema();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, f) in src.fields().iter().enumerate() {
        let name = renames
            .get(f.name())
            .cloned()
            .unwrap_or_else(|| f.name().clone());
        by_name.insert(name, i);
    }
    let rows = batch.num_rows();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let col = match by_name.get(field.name()) {
            Some(&i) => convert_column(batch.column(i), field)?,
            None => default_array(field, rows)?,
        };
        columns.push(col);
    }
    RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(arrow_err)
}

/// Casts a stored column to `field`'s type; NULLs become defaults when the field is not
/// nullable (as ClickHouse does on `MODIFY COLUMN` from `Nullable(T)` to `T`).
pub fn convert_column(col: &ArrayRef, field: &Field) -> Result<ArrayRef> {
    let mut out = if col.data_type() == field.data_type() {
        Arc::clone(col)
    } else {
        let strict = CastOptions {
            safe: false,
            ..CastOptions::default()
        };
        cast_with_options(col, field.data_type(), &strict).map_err(|e| {
            Error::new(
                ErrorCode::CANNOT_CONVERT_TYPE,
                format!(
                    "Cannot convert column {} to {}: {e}",
                    field.name(),
                    ChType::from_field(field)
                ),
            )
        })?
    };
    if !field.is_nullable() && out.null_count() > 0 {
        let defaults = non_null_default(field.data_type(), out.len())?;
        let mask = datafusion::arrow::compute::is_not_null(&out).map_err(arrow_err)?;
        out = datafusion::arrow::compute::kernels::zip::zip(&mask, &out, &defaults)
            .map_err(arrow_err)?;
    }
    Ok(out)
}
