//! [`Value`]: one parsed ClickHouse value, already converted to the representation of
//! its Arrow column, and [`build_array`] turning a column of them into an Arrow array of
//! exactly `ChType::to_arrow()`.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Date64Array, Decimal128Array,
    Decimal256Array, FixedSizeBinaryBuilder, Float32Array, Float64Array, Int8Array, Int16Array,
    Int32Array, Int64Array, ListArray, MapArray, NullArray, StringArray, StructArray,
    TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array, new_empty_array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, TimeUnit, i256};
use sluice_common::{ChType, Error, Result};

/// A parsed value. Leaves hold what the Arrow column stores: integers (also dates as
/// days, date-times as ticks of the column's unit, IPv4, decimals unscaled), floats,
/// bytes (strings, enum names, FixedString/UUID/IPv6 bytes), booleans.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// NULL (or a missing value: the type default in non-Nullable columns).
    Null,
    /// `Bool`.
    Bool(bool),
    /// Any integer up to 128 bits, dates, date-times, decimals up to 38 digits.
    Int(i128),
    /// 256-bit integers and wide decimals.
    Big(i256),
    /// `Float32`/`Float64`.
    Float(f64),
    /// Strings, enum names, fixed-size bytes.
    Bytes(Vec<u8>),
    /// `Array`.
    Array(Vec<Value>),
    /// `Tuple`.
    Tuple(Vec<Value>),
    /// `Map`.
    Map(Vec<(Value, Value)>),
}

impl Value {
    fn as_i128(&self) -> Option<i128> {
        match self {
            Value::Int(v) => Some(*v),
            Value::Bool(b) => Some(i128::from(*b)),
            Value::Big(v) => v.to_i128(),
            Value::Float(f) => Some(*f as i128),
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Int(v) => Some(*v as f64),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }
}

fn mismatch(t: &ChType, v: &Value) -> Error {
    Error::internal(format!("value {v:?} built into a column of type {t}"))
}

/// Builds an Arrow array of `t.to_arrow()` from values. NULL in a non-Nullable type
/// becomes the type's default.
pub fn build_array(values: &[Value], t: &ChType) -> Result<ArrayRef> {
    let nullable = t.is_nullable() || matches!(t, ChType::Nothing);
    let nulls = || -> Option<NullBuffer> {
        if nullable && values.contains(&Value::Null) {
            Some(NullBuffer::from(
                values.iter().map(|v| *v != Value::Null).collect::<Vec<_>>(),
            ))
        } else {
            None
        }
    };
    let base = match t {
        ChType::Nullable(i) => i.as_ref(),
        t => t,
    };
    if let ChType::LowCardinality(inner) = base {
        let plain = build_array(values, inner)?;
        let dt = t.to_arrow();
        return arrow::compute::cast(&plain, &dt)
            .map_err(|e| Error::internal(format!("LowCardinality build: {e}")));
    }
    let dt = base.to_arrow();
    macro_rules! ints {
        ($arr:ty, $n:ty) => {{
            let v: Vec<$n> = values
                .iter()
                .map(|v| v.as_i128().unwrap_or(0) as $n)
                .collect();
            Arc::new(<$arr>::new(v.into(), nulls())) as ArrayRef
        }};
    }
    Ok(match &dt {
        DataType::Null => Arc::new(NullArray::new(values.len())),
        DataType::Boolean => {
            let v: Vec<bool> = values
                .iter()
                .map(|v| v.as_i128().unwrap_or(0) != 0)
                .collect();
            Arc::new(BooleanArray::new(v.into(), nulls()))
        }
        DataType::UInt8 => ints!(UInt8Array, u8),
        DataType::UInt16 => ints!(UInt16Array, u16),
        DataType::UInt32 => ints!(UInt32Array, u32),
        DataType::UInt64 => ints!(UInt64Array, u64),
        DataType::Int8 => ints!(Int8Array, i8),
        DataType::Int16 => ints!(Int16Array, i16),
        DataType::Int32 => ints!(Int32Array, i32),
        DataType::Int64 => ints!(Int64Array, i64),
        DataType::Date32 => ints!(Date32Array, i32),
        DataType::Date64 => ints!(Date64Array, i64),
        DataType::Timestamp(unit, tz) => {
            let v: Vec<i64> = values
                .iter()
                .map(|v| v.as_i128().unwrap_or(0) as i64)
                .collect();
            let tz = tz.clone();
            match unit {
                TimeUnit::Second => {
                    Arc::new(TimestampSecondArray::new(v.into(), nulls()).with_timezone_opt(tz))
                }
                TimeUnit::Millisecond => Arc::new(
                    TimestampMillisecondArray::new(v.into(), nulls()).with_timezone_opt(tz),
                ),
                TimeUnit::Microsecond => Arc::new(
                    TimestampMicrosecondArray::new(v.into(), nulls()).with_timezone_opt(tz),
                ),
                TimeUnit::Nanosecond => {
                    Arc::new(TimestampNanosecondArray::new(v.into(), nulls()).with_timezone_opt(tz))
                }
            }
        }
        DataType::Float32 => {
            let v: Vec<f32> = values
                .iter()
                .map(|v| v.as_f64().unwrap_or(0.0) as f32)
                .collect();
            Arc::new(Float32Array::new(v.into(), nulls()))
        }
        DataType::Float64 => {
            let v: Vec<f64> = values.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect();
            Arc::new(Float64Array::new(v.into(), nulls()))
        }
        DataType::Decimal128(p, s) => {
            let v: Vec<i128> = values.iter().map(|v| v.as_i128().unwrap_or(0)).collect();
            Arc::new(
                Decimal128Array::new(v.into(), nulls())
                    .with_precision_and_scale(*p, *s)
                    .map_err(|e| Error::internal(e.to_string()))?,
            )
        }
        DataType::Decimal256(p, s) => {
            let v: Vec<i256> = values
                .iter()
                .map(|v| match v {
                    Value::Big(b) => *b,
                    v => i256::from_i128(v.as_i128().unwrap_or(0)),
                })
                .collect();
            Arc::new(
                Decimal256Array::new(v.into(), nulls())
                    .with_precision_and_scale(*p, *s)
                    .map_err(|e| Error::internal(e.to_string()))?,
            )
        }
        DataType::Utf8 => {
            let v: Vec<Option<String>> = values
                .iter()
                .map(|v| match v {
                    Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
                    Value::Null if nullable => None,
                    Value::Null => Some(default_enum_name(base)),
                    other => Some(format!("{other:?}")),
                })
                .collect();
            Arc::new(StringArray::from(v))
        }
        DataType::Binary => {
            let v: Vec<Option<&[u8]>> = values
                .iter()
                .map(|v| match v {
                    Value::Bytes(b) => Some(b.as_slice()),
                    _ if nullable => None,
                    _ => Some(&[][..]),
                })
                .collect();
            Arc::new(BinaryArray::from(v))
        }
        DataType::FixedSizeBinary(n) => {
            let n = (*n).max(0) as usize;
            let mut b = FixedSizeBinaryBuilder::with_capacity(values.len(), n as i32);
            let zeros = vec![0u8; n];
            for v in values {
                match v {
                    Value::Bytes(bytes) if bytes.len() == n => b.append_value(bytes),
                    Value::Bytes(bytes) if bytes.len() < n => {
                        let mut padded = bytes.clone();
                        padded.resize(n, 0);
                        b.append_value(&padded)
                    }
                    Value::Null if nullable => {
                        b.append_null();
                        Ok(())
                    }
                    Value::Null => b.append_value(&zeros),
                    other => return Err(mismatch(base, other)),
                }
                .map_err(|e| Error::internal(e.to_string()))?;
            }
            Arc::new(b.finish())
        }
        DataType::List(field) => {
            let et = child(base, 0, field);
            let mut flat = Vec::new();
            let mut lens = Vec::with_capacity(values.len());
            for v in values {
                match v {
                    Value::Array(items) => {
                        lens.push(items.len());
                        flat.extend(items.iter().cloned());
                    }
                    _ => lens.push(0),
                }
            }
            let child_arr = build_array(&flat, &et)?;
            Arc::new(
                ListArray::try_new(
                    Arc::clone(field),
                    OffsetBuffer::from_lengths(lens),
                    child_arr,
                    None,
                )
                .map_err(|e| Error::internal(e.to_string()))?,
            )
        }
        DataType::Struct(fields) => {
            let mut cols = Vec::with_capacity(fields.len());
            for (i, f) in fields.iter().enumerate() {
                let et = child(base, i, f);
                let col: Vec<Value> = values
                    .iter()
                    .map(|v| match v {
                        Value::Tuple(items) => items.get(i).cloned().unwrap_or(Value::Null),
                        _ => Value::Null,
                    })
                    .collect();
                cols.push(build_array(&col, &et)?);
            }
            if fields.is_empty() {
                Arc::new(StructArray::new_empty_fields(values.len(), None))
            } else {
                Arc::new(
                    StructArray::try_new(fields.clone(), cols, None)
                        .map_err(|e| Error::internal(e.to_string()))?,
                )
            }
        }
        DataType::Map(entries, ordered) => {
            let DataType::Struct(kv) = entries.data_type() else {
                return Err(Error::internal("map entries are not a struct"));
            };
            let (kt, vt) = match base {
                ChType::Map(k, v) => ((**k).clone(), (**v).clone()),
                _ => (ChType::from_field(&kv[0]), ChType::from_field(&kv[1])),
            };
            let mut keys = Vec::new();
            let mut vals = Vec::new();
            let mut lens = Vec::with_capacity(values.len());
            for v in values {
                match v {
                    Value::Map(pairs) => {
                        lens.push(pairs.len());
                        for (k, val) in pairs {
                            keys.push(k.clone());
                            vals.push(val.clone());
                        }
                    }
                    _ => lens.push(0),
                }
            }
            let entries_arr = StructArray::try_new(
                kv.clone(),
                vec![build_array(&keys, &kt)?, build_array(&vals, &vt)?],
                None,
            )
            .map_err(|e| Error::internal(e.to_string()))?;
            Arc::new(
                MapArray::try_new(
                    Arc::clone(entries),
                    OffsetBuffer::from_lengths(lens),
                    entries_arr,
                    None,
                    *ordered,
                )
                .map_err(|e| Error::internal(e.to_string()))?,
            )
        }
        other => {
            if values.is_empty() {
                new_empty_array(other)
            } else {
                return Err(Error::not_implemented(format!(
                    "Building a column of Arrow type {other}"
                )));
            }
        }
    })
}

/// The default of an `Enum` is its first element; of `String` the empty string.
fn default_enum_name(t: &ChType) -> String {
    match t {
        ChType::Enum8(v) => v.first().map(|(n, _)| n.clone()).unwrap_or_default(),
        ChType::Enum16(v) => v.first().map(|(n, _)| n.clone()).unwrap_or_default(),
        _ => String::new(),
    }
}

/// Element type `i` of a container type, or derived from the Arrow field.
fn child(t: &ChType, i: usize, field: &Field) -> ChType {
    match t {
        ChType::Array(e) => (**e).clone(),
        ChType::Tuple(elems) => elems
            .get(i)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| ChType::from_field(field)),
        _ => ChType::from_field(field),
    }
}
