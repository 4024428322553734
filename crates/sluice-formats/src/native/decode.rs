//! Native column data → Arrow arrays.
//!
//! Every read first checks that the bytes a column needs at minimum are present, so row and
//! element counts from the wire never size an allocation beyond the received data.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BooleanArray, DictionaryArray, FixedSizeBinaryArray, ListArray,
    MapArray, NullArray, PrimitiveArray, StringArray, StructArray, make_array,
};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Date64Type, Decimal128Type, Decimal256Type,
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type, i256,
};
use sluice_common::{ChType, Error, ErrorCode};

use super::leaf::decimal_width;
use super::wire::{DecodeError, DecodeResult, WireReader};

/// LowCardinality index-type flags.
const HAS_ADDITIONAL_KEYS: u64 = 1 << 9;
const NEED_UPDATE_DICTIONARY: u64 = 1 << 10;

fn invalid(code: ErrorCode, msg: impl Into<String>) -> DecodeError {
    DecodeError::Invalid(Error::new(code, msg))
}

fn arrow_err(e: arrow::error::ArrowError) -> DecodeError {
    invalid(
        ErrorCode::INCORRECT_DATA,
        format!("Invalid native column: {e}"),
    )
}

/// Reads the serialization state prefixes of a column of type `t`.
pub fn read_prefix(t: &ChType, r: &mut WireReader<'_>) -> DecodeResult<()> {
    match t {
        ChType::LowCardinality(_) => {
            let version = r.u64_le()?;
            if version != 1 {
                return Err(invalid(
                    ErrorCode::INCORRECT_DATA,
                    format!(
                        "Invalid version for SerializationLowCardinality key column: {version}"
                    ),
                ));
            }
            Ok(())
        }
        ChType::Nullable(x) | ChType::Array(x) => read_prefix(x, r),
        ChType::SimpleAggregateFunction { arg, .. } => read_prefix(arg, r),
        ChType::Map(k, v) => {
            read_prefix(k, r)?;
            read_prefix(v, r)
        }
        ChType::Tuple(elems) => elems.iter().try_for_each(|(_, et)| read_prefix(et, r)),
        _ => Ok(()),
    }
}

/// Fewest bytes one row of `t` takes.
fn min_width(t: &ChType) -> usize {
    match t {
        ChType::UInt8 | ChType::Int8 | ChType::Bool | ChType::Enum8(_) | ChType::Nothing => 1,
        ChType::String => 1,
        ChType::UInt16 | ChType::Int16 | ChType::Date | ChType::Enum16(_) | ChType::BFloat16 => 2,
        ChType::UInt32 | ChType::Int32 | ChType::Float32 | ChType::Date32 | ChType::IPv4 => 4,
        ChType::DateTime(_) => 4,
        ChType::UInt64 | ChType::Int64 | ChType::Float64 | ChType::DateTime64(..) => 8,
        ChType::Interval(_) | ChType::Array(_) | ChType::Map(..) => 8,
        ChType::UInt128 | ChType::Int128 | ChType::Uuid | ChType::IPv6 => 16,
        ChType::UInt256 | ChType::Int256 => 32,
        ChType::Decimal { precision, .. } => decimal_width(*precision),
        ChType::FixedString(n) => *n,
        ChType::Nullable(x) => 1 + min_width(x),
        ChType::LowCardinality(_) => 1,
        ChType::Tuple(elems) => elems.iter().map(|(_, et)| min_width(et)).sum(),
        ChType::SimpleAggregateFunction { arg, .. } => min_width(arg),
        ChType::AggregateFunction { .. } => 1,
    }
}

/// Reads `rows` values of type `t`.
pub fn read_data(t: &ChType, rows: usize, r: &mut WireReader<'_>) -> DecodeResult<ArrayRef> {
    if rows.saturating_mul(min_width(t).max(1)) > r.remaining() {
        return Err(DecodeError::Incomplete);
    }
    Ok(match t {
        ChType::Nullable(inner) => {
            let map = r.bytes(rows)?;
            let values = read_data(inner, rows, r)?;
            if matches!(values.data_type(), DataType::Null) {
                return Ok(values);
            }
            let nulls = NullBuffer::from(map.iter().map(|b| *b == 0).collect::<Vec<bool>>());
            let data = values
                .to_data()
                .into_builder()
                .nulls(Some(nulls))
                .build()
                .map_err(arrow_err)?;
            make_array(data)
        }
        ChType::Nothing => {
            r.bytes(rows)?;
            Arc::new(NullArray::new(rows))
        }
        ChType::Bool => {
            let b = r.bytes(rows)?;
            Arc::new(BooleanArray::from(
                b.iter().map(|v| *v != 0).collect::<Vec<bool>>(),
            ))
        }
        ChType::UInt8 => prim::<UInt8Type, 1>(rows, r, |b| b[0])?,
        ChType::UInt16 => prim::<UInt16Type, 2>(rows, r, u16::from_le_bytes)?,
        ChType::UInt32 | ChType::IPv4 => prim::<UInt32Type, 4>(rows, r, u32::from_le_bytes)?,
        ChType::UInt64 => prim::<UInt64Type, 8>(rows, r, u64::from_le_bytes)?,
        ChType::Int8 => prim::<Int8Type, 1>(rows, r, |b| b[0] as i8)?,
        ChType::Int16 => prim::<Int16Type, 2>(rows, r, i16::from_le_bytes)?,
        ChType::Int32 => prim::<Int32Type, 4>(rows, r, i32::from_le_bytes)?,
        ChType::Int64 | ChType::Interval(_) => prim::<Int64Type, 8>(rows, r, i64::from_le_bytes)?,
        ChType::Float32 => prim::<Float32Type, 4>(rows, r, f32::from_le_bytes)?,
        ChType::Float64 => prim::<Float64Type, 8>(rows, r, f64::from_le_bytes)?,
        ChType::BFloat16 => prim::<Float32Type, 2>(rows, r, |b| {
            f32::from_bits(u32::from(u16::from_le_bytes(b)) << 16)
        })?,
        ChType::Date => prim::<Date32Type, 2>(rows, r, |b| i32::from(u16::from_le_bytes(b)))?,
        ChType::Date32 => {
            prim::<Date64Type, 4>(rows, r, |b| i64::from(i32::from_le_bytes(b)) * 86_400_000)?
        }
        ChType::DateTime(tz) => {
            let a: PrimitiveArray<TimestampSecondType> =
                values::<TimestampSecondType, 4>(rows, r, |b| i64::from(u32::from_le_bytes(b)))?;
            Arc::new(a.with_timezone_opt(tz.clone()))
        }
        ChType::DateTime64(p, tz) => {
            let p = u32::from(*p);
            let (digits, tz): (u32, _) = (
                match p {
                    0..=3 => 3,
                    4..=6 => 6,
                    _ => 9,
                },
                tz.clone(),
            );
            let f = 10i64.pow(digits.saturating_sub(p));
            let conv = move |b: [u8; 8]| i64::from_le_bytes(b).saturating_mul(f);
            match digits {
                3 => Arc::new(
                    values::<TimestampMillisecondType, 8>(rows, r, conv)?.with_timezone_opt(tz),
                ),
                6 => Arc::new(
                    values::<TimestampMicrosecondType, 8>(rows, r, conv)?.with_timezone_opt(tz),
                ),
                _ => Arc::new(
                    values::<TimestampNanosecondType, 8>(rows, r, conv)?.with_timezone_opt(tz),
                ),
            }
        }
        ChType::Decimal { precision, scale } => {
            let w = decimal_width(*precision);
            let raw = r.bytes(rows * w)?;
            if *precision <= 38 {
                let v: Vec<i128> = raw.chunks_exact(w).map(sign_extend_i128).collect();
                Arc::new(
                    PrimitiveArray::<Decimal128Type>::new(ScalarBuffer::from(v), None)
                        .with_precision_and_scale(*precision, *scale as i8)
                        .map_err(arrow_err)?,
                )
            } else {
                let v: Vec<i256> = raw.chunks_exact(w).map(|c| i256_from(c, true)).collect();
                Arc::new(
                    PrimitiveArray::<Decimal256Type>::new(ScalarBuffer::from(v), None)
                        .with_precision_and_scale(*precision, *scale as i8)
                        .map_err(arrow_err)?,
                )
            }
        }
        ChType::Int128 | ChType::UInt128 | ChType::Int256 | ChType::UInt256 => {
            let w = min_width(t);
            let signed = matches!(t, ChType::Int128 | ChType::Int256);
            let raw = r.bytes(rows * w)?;
            let v: Vec<i256> = raw.chunks_exact(w).map(|c| i256_from(c, signed)).collect();
            Arc::new(
                PrimitiveArray::<Decimal256Type>::new(ScalarBuffer::from(v), None)
                    .with_precision_and_scale(76, 0)
                    .map_err(arrow_err)?,
            )
        }
        ChType::String => read_strings(rows, r)?,
        ChType::FixedString(n) => {
            let raw = r.bytes(rows * n)?;
            fixed_binary(*n, rows, raw.to_vec())?
        }
        ChType::Uuid => {
            let raw = r.bytes(rows * 16)?;
            let mut v = Vec::with_capacity(raw.len());
            for c in raw.chunks_exact(8) {
                v.extend(c.iter().rev());
            }
            fixed_binary(16, rows, v)?
        }
        ChType::IPv6 => fixed_binary(16, rows, r.bytes(rows * 16)?.to_vec())?,
        ChType::Enum8(names) => {
            let raw = r.bytes(rows)?;
            let out: DecodeResult<Vec<&str>> = raw
                .iter()
                .map(|b| {
                    enum_name(
                        names.iter().map(|(n, v)| (n, i64::from(*v))),
                        i64::from(*b as i8),
                    )
                })
                .collect();
            Arc::new(StringArray::from(out?))
        }
        ChType::Enum16(names) => {
            let raw = r.bytes(rows * 2)?;
            let out: DecodeResult<Vec<&str>> = raw
                .chunks_exact(2)
                .map(|c| {
                    enum_name(
                        names.iter().map(|(n, v)| (n, i64::from(*v))),
                        i64::from(i16::from_le_bytes([c[0], c[1]])),
                    )
                })
                .collect();
            Arc::new(StringArray::from(out?))
        }
        ChType::Array(inner) => {
            let offsets = read_offsets(rows, r)?;
            let total = offsets.last().copied().unwrap_or(0) as usize;
            let values = read_data(inner, total, r)?;
            let field = Arc::new(
                inner
                    .to_field("item")
                    .with_data_type(values.data_type().clone()),
            );
            Arc::new(
                ListArray::try_new(field, OffsetBuffer::new(offsets.into()), values, None)
                    .map_err(arrow_err)?,
            )
        }
        ChType::Map(k, v) => {
            let offsets = read_offsets(rows, r)?;
            let total = offsets.last().copied().unwrap_or(0) as usize;
            let keys = read_data(k, total, r)?;
            let vals = read_data(v, total, r)?;
            let kf = k.to_field("key").with_data_type(keys.data_type().clone());
            let vf = v.to_field("value").with_data_type(vals.data_type().clone());
            let entries = StructArray::try_new(vec![kf, vf].into(), vec![keys, vals], None)
                .map_err(arrow_err)?;
            let ef = Arc::new(arrow::datatypes::Field::new(
                "entries",
                entries.data_type().clone(),
                false,
            ));
            Arc::new(
                MapArray::try_new(ef, OffsetBuffer::new(offsets.into()), entries, None, false)
                    .map_err(arrow_err)?,
            )
        }
        ChType::Tuple(elems) => {
            let mut cols = Vec::with_capacity(elems.len());
            let mut fields = Vec::with_capacity(elems.len());
            for (i, (name, et)) in elems.iter().enumerate() {
                let col = read_data(et, rows, r)?;
                let fname = name.clone().unwrap_or_else(|| (i + 1).to_string());
                fields.push(et.to_field(&fname).with_data_type(col.data_type().clone()));
                cols.push(col);
            }
            if cols.is_empty() {
                Arc::new(StructArray::new_empty_fields(rows, None))
            } else {
                Arc::new(StructArray::try_new(fields.into(), cols, None).map_err(arrow_err)?)
            }
        }
        ChType::LowCardinality(inner) => read_low_cardinality(inner, rows, r)?,
        ChType::SimpleAggregateFunction { arg, .. } => read_data(arg, rows, r)?,
        ChType::AggregateFunction { .. } => {
            return Err(invalid(
                ErrorCode::NOT_IMPLEMENTED,
                format!(
                    "Reading {t} columns from the native protocol is not implemented in Sluice"
                ),
            ));
        }
    })
}

fn values<T: ArrowPrimitiveType, const W: usize>(
    rows: usize,
    r: &mut WireReader<'_>,
    f: impl Fn([u8; W]) -> T::Native,
) -> DecodeResult<PrimitiveArray<T>> {
    let raw = r.bytes(rows * W)?;
    let v: Vec<T::Native> = raw
        .chunks_exact(W)
        .map(|c| {
            let mut a = [0u8; W];
            a.copy_from_slice(c);
            f(a)
        })
        .collect();
    Ok(PrimitiveArray::<T>::new(ScalarBuffer::from(v), None))
}

fn prim<T: ArrowPrimitiveType, const W: usize>(
    rows: usize,
    r: &mut WireReader<'_>,
    f: impl Fn([u8; W]) -> T::Native,
) -> DecodeResult<ArrayRef> {
    Ok(Arc::new(values::<T, W>(rows, r, f)?))
}

fn sign_extend_i128(c: &[u8]) -> i128 {
    let mut a = [if c.last().is_some_and(|b| b & 0x80 != 0) {
        0xFF
    } else {
        0
    }; 16];
    a[..c.len()].copy_from_slice(c);
    i128::from_le_bytes(a)
}

fn i256_from(c: &[u8], signed: bool) -> i256 {
    let neg = signed && c.last().is_some_and(|b| b & 0x80 != 0);
    let mut a = [if neg { 0xFF } else { 0 }; 32];
    a[..c.len()].copy_from_slice(c);
    i256::from_le_bytes(a)
}

fn fixed_binary(n: usize, rows: usize, bytes: Vec<u8>) -> DecodeResult<ArrayRef> {
    if n == 0 {
        return Ok(Arc::new(FixedSizeBinaryArray::new_null(0, rows)));
    }
    let size =
        i32::try_from(n).map_err(|_| invalid(ErrorCode::INCORRECT_DATA, "FixedString too long"))?;
    Ok(Arc::new(
        FixedSizeBinaryArray::try_new(size, Buffer::from(bytes), None).map_err(arrow_err)?,
    ))
}

fn read_strings(rows: usize, r: &mut WireReader<'_>) -> DecodeResult<ArrayRef> {
    let mut offsets = Vec::with_capacity(rows + 1);
    let mut data = Vec::new();
    offsets.push(0i32);
    for _ in 0..rows {
        let s = r.string_bytes()?;
        data.extend_from_slice(s);
        let end = i32::try_from(data.len()).map_err(|_| {
            invalid(
                ErrorCode::TOO_LARGE_STRING_SIZE,
                "String column above 2 GiB",
            )
        })?;
        offsets.push(end);
    }
    let offsets = OffsetBuffer::new(offsets.into());
    match std::str::from_utf8(&data) {
        Ok(_) => Ok(Arc::new(
            StringArray::try_new(offsets, Buffer::from(data), None).map_err(arrow_err)?,
        )),
        // ClickHouse strings are bytes; keep them as Binary when not UTF-8.
        Err(_) => Ok(Arc::new(
            BinaryArray::try_new(offsets, Buffer::from(data), None).map_err(arrow_err)?,
        )),
    }
}

fn read_offsets(rows: usize, r: &mut WireReader<'_>) -> DecodeResult<Vec<i32>> {
    let mut offsets = Vec::with_capacity(rows + 1);
    offsets.push(0i32);
    let mut prev = 0u64;
    for _ in 0..rows {
        let o = r.u64_le()?;
        if o < prev {
            return Err(invalid(
                ErrorCode::INCORRECT_DATA,
                format!("Array offsets are not monotonic: {o} after {prev}"),
            ));
        }
        let o32 = i32::try_from(o).map_err(|_| {
            invalid(
                ErrorCode::TOO_LARGE_ARRAY_SIZE,
                format!("Array size is too large: {o}"),
            )
        })?;
        offsets.push(o32);
        prev = o;
    }
    Ok(offsets)
}

fn enum_name<'a>(
    mut names: impl Iterator<Item = (&'a String, i64)>,
    value: i64,
) -> DecodeResult<&'a str> {
    names
        .find(|(_, v)| *v == value)
        .map(|(n, _)| n.as_str())
        .ok_or_else(|| {
            invalid(
                ErrorCode::BAD_ARGUMENTS,
                format!("Unexpected value {value} in enum"),
            )
        })
}

fn read_low_cardinality(
    inner: &ChType,
    rows: usize,
    r: &mut WireReader<'_>,
) -> DecodeResult<ArrayRef> {
    let nullable = inner.is_nullable();
    let dict_type = inner.non_nullable();
    // The indexes come in one or more chunks (ClickHouse starts a new one when the keys of a
    // block pass `low_cardinality_max_dictionary_size`); each chunk's indexes point into the
    // keys last sent. The chunks' key sets are concatenated into one dictionary.
    let mut dicts: Vec<ArrayRef> = Vec::new();
    let mut base = 0usize;
    let mut current: Option<usize> = None;
    let mut keys: Vec<Option<i32>> = Vec::with_capacity(rows);
    while keys.len() < rows {
        let flags = r.u64_le()?;
        if flags & (1 << 8) != 0 {
            return Err(invalid(
                ErrorCode::INCORRECT_DATA,
                "LowCardinality with a global dictionary is not supported in the native protocol",
            ));
        }
        let key_width = match flags & 0xFF {
            0 => 1,
            1 => 2,
            2 => 4,
            3 => 8,
            other => {
                return Err(invalid(
                    ErrorCode::INCORRECT_DATA,
                    format!("Invalid type for LowCardinality index: {other}"),
                ));
            }
        };
        if flags & (HAS_ADDITIONAL_KEYS | NEED_UPDATE_DICTIONARY) != 0 {
            let num_keys = r.u64_le()?;
            if num_keys > r.remaining() as u64 {
                return Err(DecodeError::Incomplete);
            }
            let values = read_data(&dict_type, num_keys as usize, r)?;
            if let Some(len) = current {
                base += len;
            }
            current = Some(values.len());
            dicts.push(values);
        }
        let Some(num_keys) = current else {
            return Err(invalid(
                ErrorCode::INCORRECT_DATA,
                "LowCardinality indexes before any keys",
            ));
        };
        let num_rows = r.u64_le()?;
        if num_rows > (rows - keys.len()) as u64 || (num_rows == 0 && keys.len() < rows) {
            return Err(invalid(
                ErrorCode::INCORRECT_DATA,
                format!(
                    "LowCardinality column has {} indexes, block has {rows} rows",
                    keys.len() as u64 + num_rows
                ),
            ));
        }
        let raw = r.bytes(num_rows as usize * key_width)?;
        for c in raw.chunks_exact(key_width) {
            let mut a = [0u8; 8];
            a[..key_width].copy_from_slice(c);
            let k = u64::from_le_bytes(a);
            if k >= num_keys as u64 {
                return Err(invalid(
                    ErrorCode::INCORRECT_DATA,
                    format!("LowCardinality index {k} is out of the dictionary of {num_keys}"),
                ));
            }
            let key = i32::try_from(base + k as usize).map_err(|_| {
                invalid(
                    ErrorCode::INCORRECT_DATA,
                    "LowCardinality dictionary too large",
                )
            })?;
            keys.push(if nullable && k == 0 { None } else { Some(key) });
        }
    }
    let values = match dicts.len() {
        0 => read_data(&dict_type, 0, r)?,
        1 => dicts
            .pop()
            .unwrap_or_else(|| arrow::array::new_empty_array(&dict_type.to_arrow())),
        _ => {
            let parts: Vec<&dyn Array> = dicts.iter().map(|d| d.as_ref()).collect();
            arrow::compute::concat(&parts).map_err(arrow_err)?
        }
    };
    let keys = PrimitiveArray::<Int32Type>::from(keys);
    Ok(Arc::new(
        DictionaryArray::try_new(keys, values).map_err(arrow_err)?,
    ))
}
