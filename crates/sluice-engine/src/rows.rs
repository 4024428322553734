//! Building small Arrow batches row by row (system tables, SHOW/DESCRIBE results).

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, FixedSizeBinaryBuilder, Float64Array, Int32Builder, Int64Array, Int64Builder,
    ListBuilder, StringBuilder, TimestampSecondBuilder, UInt8Builder, UInt64Builder,
};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Error, Result};

/// One cell value.
#[derive(Clone, Debug)]
pub enum Cell {
    /// NULL (Nullable columns) or the default value.
    Null,
    /// Text.
    Str(String),
    /// Unsigned integer.
    U64(u64),
    /// Signed integer (also DateTime seconds).
    I64(i64),
    /// Array of strings.
    StrArr(Vec<String>),
    /// Floating-point number.
    F64(f64),
    /// Array of signed integers.
    I64Arr(Vec<i64>),
    /// Array of nullable signed integers (`Array(Nullable(Int64))`).
    OptI64Arr(Vec<Option<i64>>),
    /// Array of arrays of strings (`Array(Array(String))`).
    StrArrArr(Vec<Vec<String>>),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Str(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Str(s)
    }
}
impl From<u64> for Cell {
    fn from(v: u64) -> Self {
        Cell::U64(v)
    }
}
impl From<bool> for Cell {
    fn from(v: bool) -> Self {
        Cell::U64(v as u64)
    }
}
impl From<Option<u64>> for Cell {
    fn from(v: Option<u64>) -> Self {
        v.map_or(Cell::Null, Cell::U64)
    }
}

/// Schema from (name, ClickHouse type name) pairs.
pub fn schema_of(cols: &[(&str, &str)]) -> Result<SchemaRef> {
    let mut fields = Vec::with_capacity(cols.len());
    for (n, t) in cols {
        fields.push(ChType::parse(t)?.to_field(n));
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// Builds a batch with `schema` from rows of cells.
pub fn build_batch(schema: SchemaRef, rows: &[Vec<Cell>]) -> Result<RecordBatch> {
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (i, f) in schema.fields().iter().enumerate() {
        let t = ChType::from_field(f);
        let cell = |r: &Vec<Cell>| r.get(i).cloned().unwrap_or(Cell::Null);
        let arr: ArrayRef = match t.non_nullable() {
            ChType::String | ChType::Enum8(_) | ChType::Enum16(_) => {
                let mut b = StringBuilder::new();
                for r in rows {
                    match cell(r) {
                        Cell::Str(s) => b.append_value(s),
                        Cell::U64(v) => b.append_value(v.to_string()),
                        Cell::I64(v) => b.append_value(v.to_string()),
                        Cell::Null if t.is_nullable() => b.append_null(),
                        _ => b.append_value(""),
                    }
                }
                Arc::new(b.finish())
            }
            ChType::UInt8 | ChType::Bool => {
                let mut b = UInt8Builder::new();
                for r in rows {
                    match cell(r) {
                        Cell::U64(v) => b.append_value(v as u8),
                        Cell::I64(v) => b.append_value(v as u8),
                        Cell::Null if t.is_nullable() => b.append_null(),
                        _ => b.append_value(0),
                    }
                }
                if matches!(t.non_nullable(), ChType::Bool) {
                    let a = b.finish();
                    let bools: datafusion::arrow::array::BooleanArray =
                        a.iter().map(|v| v.map(|x| x != 0)).collect();
                    Arc::new(bools)
                } else {
                    Arc::new(b.finish())
                }
            }
            ChType::UInt64 => {
                let mut b = UInt64Builder::new();
                for r in rows {
                    match cell(r) {
                        Cell::U64(v) => b.append_value(v),
                        Cell::I64(v) => b.append_value(v as u64),
                        Cell::Null if t.is_nullable() => b.append_null(),
                        _ => b.append_value(0),
                    }
                }
                Arc::new(b.finish())
            }
            ChType::Int32 => {
                let mut b = Int32Builder::new();
                for r in rows {
                    match cell(r) {
                        Cell::I64(v) => b.append_value(v as i32),
                        Cell::U64(v) => b.append_value(v as i32),
                        Cell::Null if t.is_nullable() => b.append_null(),
                        _ => b.append_value(0),
                    }
                }
                Arc::new(b.finish())
            }
            ChType::Int64 => {
                let mut b = Int64Builder::new();
                for r in rows {
                    match cell(r) {
                        Cell::I64(v) => b.append_value(v),
                        Cell::U64(v) => b.append_value(v as i64),
                        Cell::Null if t.is_nullable() => b.append_null(),
                        _ => b.append_value(0),
                    }
                }
                Arc::new(b.finish())
            }
            ChType::DateTime(tz) => {
                let mut b = TimestampSecondBuilder::new();
                for r in rows {
                    match cell(r) {
                        Cell::I64(v) => b.append_value(v),
                        Cell::U64(v) => b.append_value(v as i64),
                        _ => b.append_value(0),
                    }
                }
                Arc::new(b.finish().with_timezone_opt(tz))
            }
            ChType::Uuid => {
                let mut b = FixedSizeBinaryBuilder::new(16);
                for r in rows {
                    let bytes = match cell(r) {
                        Cell::Str(s) => parse_uuid(&s),
                        _ => [0u8; 16],
                    };
                    b.append_value(bytes)
                        .map_err(|e| Error::internal(e.to_string()))?;
                }
                Arc::new(b.finish())
            }
            ChType::Array(inner)
                if matches!(
                    *inner,
                    ChType::String | ChType::Enum8(_) | ChType::Enum16(_)
                ) =>
            {
                let mut b = ListBuilder::new(StringBuilder::new())
                    .with_field(Arc::new(inner.to_field("item")));
                for r in rows {
                    if let Cell::StrArr(v) = cell(r) {
                        for s in v {
                            b.values().append_value(s);
                        }
                    }
                    b.append(true);
                }
                Arc::new(b.finish())
            }
            // Other integer / DateTime arrays: built as Array(Int64), then cast.
            ChType::Array(inner)
                if matches!(
                    *inner,
                    ChType::Int32
                        | ChType::UInt32
                        | ChType::UInt64
                        | ChType::DateTime(_)
                        | ChType::DateTime64(..)
                ) =>
            {
                let mut b = ListBuilder::new(Int64Builder::new())
                    .with_field(Arc::new(ChType::Int64.to_field("item")));
                for r in rows {
                    if let Cell::I64Arr(v) = cell(r) {
                        for x in v {
                            b.values().append_value(x);
                        }
                    }
                    b.append(true);
                }
                cast_to(Arc::new(b.finish()), &t)?
            }
            ChType::DateTime64(..) => {
                let vals: Int64Array = rows
                    .iter()
                    .map(|r| match cell(r) {
                        Cell::I64(v) => Some(v),
                        Cell::U64(v) => Some(v as i64),
                        Cell::Null if t.is_nullable() => None,
                        _ => Some(0),
                    })
                    .collect();
                cast_to(Arc::new(vals), &t)?
            }
            ChType::Array(inner) if matches!(&*inner, ChType::Nullable(i) if **i == ChType::Int64) =>
            {
                let mut b = ListBuilder::new(Int64Builder::new())
                    .with_field(Arc::new(inner.to_field("item")));
                for r in rows {
                    if let Cell::OptI64Arr(v) = cell(r) {
                        for x in v {
                            b.values().append_option(x);
                        }
                    }
                    b.append(true);
                }
                Arc::new(b.finish())
            }
            ChType::Array(inner) if matches!(&*inner, ChType::Array(i) if **i == ChType::String) => {
                let mut b = ListBuilder::new(
                    ListBuilder::new(StringBuilder::new())
                        .with_field(Arc::new(ChType::String.to_field("item"))),
                )
                .with_field(Arc::new(inner.to_field("item")));
                for r in rows {
                    if let Cell::StrArrArr(v) = cell(r) {
                        for inner_row in v {
                            for s in inner_row {
                                b.values().values().append_value(s);
                            }
                            b.values().append(true);
                        }
                    }
                    b.append(true);
                }
                Arc::new(b.finish())
            }
            ChType::Array(inner) if matches!(*inner, ChType::Int64) => {
                let mut b = ListBuilder::new(Int64Builder::new())
                    .with_field(Arc::new(ChType::Int64.to_field("item")));
                for r in rows {
                    if let Cell::I64Arr(v) = cell(r) {
                        for x in v {
                            b.values().append_value(x);
                        }
                    }
                    b.append(true);
                }
                Arc::new(b.finish())
            }
            ChType::Float64 | ChType::Float32 => {
                let vals: Float64Array = rows
                    .iter()
                    .map(|r| match cell(r) {
                        Cell::F64(v) => Some(v),
                        Cell::I64(v) => Some(v as f64),
                        Cell::U64(v) => Some(v as f64),
                        Cell::Null if t.is_nullable() => None,
                        _ => Some(0.0),
                    })
                    .collect();
                cast_to(Arc::new(vals), &t)?
            }
            // Other numbers and dates: through Int64 (days for Date, seconds for DateTime).
            ChType::UInt16
            | ChType::UInt32
            | ChType::Int8
            | ChType::Int16
            | ChType::Date
            | ChType::Date32 => {
                let vals: Int64Array = rows
                    .iter()
                    .map(|r| match cell(r) {
                        Cell::I64(v) => Some(v),
                        Cell::U64(v) => Some(v as i64),
                        Cell::F64(v) => Some(v as i64),
                        Cell::Null if t.is_nullable() => None,
                        _ => Some(0),
                    })
                    .collect();
                let as_i32 = datafusion::arrow::compute::cast(
                    &(Arc::new(vals) as ArrayRef),
                    &datafusion::arrow::datatypes::DataType::Int32,
                )
                .map_err(|e| Error::internal(e.to_string()))?;
                match t.non_nullable() {
                    // Date → Date32 reinterprets the day number.
                    ChType::Date | ChType::Date32 => datafusion::arrow::compute::cast(
                        &as_i32,
                        &datafusion::arrow::datatypes::DataType::Date32,
                    )
                    .and_then(|a| datafusion::arrow::compute::cast(&a, &t.to_arrow()))
                    .map_err(|e| Error::internal(e.to_string()))?,
                    _ => cast_to(as_i32, &t)?,
                }
            }
            // LowCardinality(String): built as String, then dictionary-encoded.
            ChType::LowCardinality(inner) if matches!(*inner, ChType::String) => {
                let mut b = StringBuilder::new();
                for r in rows {
                    match cell(r) {
                        Cell::Str(s) => b.append_value(s),
                        _ => b.append_value(""),
                    }
                }
                cast_to(Arc::new(b.finish()), &t)?
            }
            // Any other array (`Array(Tuple(…))` of a column no generator fills): empty.
            ChType::Array(_) => match t.to_arrow() {
                datafusion::arrow::datatypes::DataType::List(field) => {
                    Arc::new(datafusion::arrow::array::ListArray::new(
                        Arc::clone(&field),
                        datafusion::arrow::buffer::OffsetBuffer::new_zeroed(rows.len()),
                        datafusion::arrow::array::new_empty_array(field.data_type()),
                        None,
                    ))
                }
                other => {
                    return Err(Error::internal(format!(
                        "rows: Array type {t} is {other} in Arrow"
                    )));
                }
            },
            other => {
                return Err(Error::internal(format!(
                    "rows: unsupported column type {other}"
                )));
            }
        };
        cols.push(arr);
    }
    let opts =
        datafusion::arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows.len()));
    RecordBatch::try_new_with_options(schema, cols, &opts)
        .map_err(|e| Error::internal(e.to_string()))
}

fn cast_to(a: ArrayRef, t: &ChType) -> Result<ArrayRef> {
    datafusion::arrow::compute::cast(&a, &t.to_arrow()).map_err(|e| Error::internal(e.to_string()))
}

fn parse_uuid(s: &str) -> [u8; 16] {
    let hex: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        if let Some(h) = hex.get(i * 2..i * 2 + 2) {
            *o = u8::from_str_radix(h, 16).unwrap_or(0);
        }
    }
    out
}
