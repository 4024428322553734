//! Arrow arrays → native column data.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use sluice_common::{ChType, Error, ErrorCode};
use sluice_formats::text::bytes_at;

use crate::native::wire::WireWrite;

type Result<T> = std::result::Result<T, Error>;

fn mismatch(t: &ChType, a: &dyn Array) -> Error {
    Error::new(
        ErrorCode::LOGICAL_ERROR,
        format!(
            "Column of ClickHouse type {t} is stored as Arrow {} (this is a bug in Sluice)",
            a.data_type()
        ),
    )
}

/// Writes `a`'s values as the bulk data of a column of type `t` (`t` already stripped of
/// `LowCardinality`, see [`super::wire_type`]).
pub fn write_data(t: &ChType, a: &dyn Array, out: &mut Vec<u8>) -> Result<()> {
    // Dictionary-encoded input for a non-LowCardinality wire type: materialize it.
    if let DataType::Dictionary(_, v) = a.data_type() {
        let plain = cast(a, v).map_err(|e| Error::internal(format!("cast dictionary: {e}")))?;
        return write_data(t, plain.as_ref(), out);
    }
    match t {
        ChType::Nullable(inner) => {
            out.reserve(a.len());
            for i in 0..a.len() {
                out.push(u8::from(
                    a.is_null(i) || matches!(a.data_type(), DataType::Null),
                ));
            }
            write_data(inner, a, out)
        }
        ChType::LowCardinality(inner) => write_data(inner, a, out),
        ChType::Nothing => {
            out.resize(out.len() + a.len(), 0);
            Ok(())
        }
        ChType::UInt8 | ChType::Bool if matches!(a.data_type(), DataType::Boolean) => {
            let b = a.as_boolean();
            out.extend((0..b.len()).map(|i| u8::from(b.value(i))));
            Ok(())
        }
        ChType::UInt8 | ChType::Bool => fixed::<UInt8Type>(t, a, out),
        ChType::UInt16 => fixed::<UInt16Type>(t, a, out),
        ChType::UInt32 | ChType::IPv4 => fixed::<UInt32Type>(t, a, out),
        ChType::UInt64 => fixed::<UInt64Type>(t, a, out),
        ChType::Int8 => fixed::<Int8Type>(t, a, out),
        ChType::Int16 => fixed::<Int16Type>(t, a, out),
        ChType::Int32 => fixed::<Int32Type>(t, a, out),
        ChType::Int64 | ChType::Interval(_) => fixed::<Int64Type>(t, a, out),
        ChType::Float32 => fixed::<Float32Type>(t, a, out),
        ChType::Float64 => fixed::<Float64Type>(t, a, out),
        ChType::BFloat16 => {
            let p = a
                .as_primitive_opt::<Float32Type>()
                .ok_or_else(|| mismatch(t, a))?;
            for v in p.values().iter() {
                out.extend_from_slice(&((v.to_bits() >> 16) as u16).to_le_bytes());
            }
            Ok(())
        }
        ChType::Date => {
            let p = a
                .as_primitive_opt::<Date32Type>()
                .ok_or_else(|| mismatch(t, a))?;
            for v in p.values().iter() {
                out.extend_from_slice(&(v.clamp(&0, &65535).to_owned() as u16).to_le_bytes());
            }
            Ok(())
        }
        ChType::Date32 => {
            let p = a
                .as_primitive_opt::<Date64Type>()
                .ok_or_else(|| mismatch(t, a))?;
            for v in p.values().iter() {
                out.put_i32_le(v.div_euclid(86_400_000) as i32);
            }
            Ok(())
        }
        ChType::DateTime(_) => {
            for v in timestamps(a, 0).ok_or_else(|| mismatch(t, a))? {
                out.put_u32_le(v as u32);
            }
            Ok(())
        }
        ChType::DateTime64(p, _) => {
            for v in timestamps(a, u32::from(*p)).ok_or_else(|| mismatch(t, a))? {
                out.extend_from_slice(&v.to_le_bytes());
            }
            Ok(())
        }
        ChType::Decimal { precision, .. } => decimal(t, a, decimal_width(*precision), out),
        ChType::Int128 | ChType::UInt128 => decimal(t, a, 16, out),
        ChType::Int256 | ChType::UInt256 => decimal(t, a, 32, out),
        ChType::String if write_strings(a, out) => Ok(()),
        ChType::String | ChType::AggregateFunction { .. }
            if bytes_at(a, 0).is_some() || a.is_empty() =>
        {
            let prefixed = matches!(t, ChType::String);
            for i in 0..a.len() {
                let b = if a.is_null(i) {
                    &[][..]
                } else {
                    bytes_at(a, i).unwrap_or_default()
                };
                if prefixed {
                    out.put_str(b);
                } else {
                    out.extend_from_slice(b);
                }
            }
            Ok(())
        }
        ChType::FixedString(n) => {
            for i in 0..a.len() {
                let b = if a.is_null(i) {
                    &[][..]
                } else {
                    bytes_at(a, i).ok_or_else(|| mismatch(t, a))?
                };
                let take = b.len().min(*n);
                out.extend_from_slice(&b[..take]);
                out.resize(out.len() + (n - take), 0);
            }
            Ok(())
        }
        ChType::Uuid => {
            for i in 0..a.len() {
                let b = bytes_at(a, i)
                    .filter(|b| b.len() == 16)
                    .ok_or_else(|| mismatch(t, a))?;
                out.extend(b[..8].iter().rev());
                out.extend(b[8..].iter().rev());
            }
            Ok(())
        }
        ChType::IPv6 => {
            for i in 0..a.len() {
                let b = bytes_at(a, i)
                    .filter(|b| b.len() == 16)
                    .ok_or_else(|| mismatch(t, a))?;
                out.extend_from_slice(b);
            }
            Ok(())
        }
        ChType::Enum8(values) => {
            for i in 0..a.len() {
                let v = enum_value(values.iter().map(|(n, v)| (n, i64::from(*v))), a, i)?;
                out.push(v as i8 as u8);
            }
            Ok(())
        }
        ChType::Enum16(values) => {
            for i in 0..a.len() {
                let v = enum_value(values.iter().map(|(n, v)| (n, i64::from(*v))), a, i)?;
                out.extend_from_slice(&(v as i16).to_le_bytes());
            }
            Ok(())
        }
        ChType::Array(inner) => {
            let (offsets, values) = list_parts(t, a)?;
            for o in &offsets[1..] {
                out.put_u64_le((o - offsets[0]) as u64);
            }
            let child = values.slice(offsets[0], offsets[a.len()] - offsets[0]);
            write_data(inner, child.as_ref(), out)
        }
        ChType::Map(k, v) => {
            let m = a.as_map_opt().ok_or_else(|| mismatch(t, a))?;
            let o = m.value_offsets();
            let (first, last) = (o[0] as usize, o[m.len()] as usize);
            for x in &o[1..] {
                out.put_u64_le((*x as usize - first) as u64);
            }
            let entries = m.entries();
            write_data(
                k,
                entries.column(0).slice(first, last - first).as_ref(),
                out,
            )?;
            write_data(
                v,
                entries.column(1).slice(first, last - first).as_ref(),
                out,
            )
        }
        ChType::Tuple(elems) => {
            let s = a.as_struct_opt().ok_or_else(|| mismatch(t, a))?;
            if s.num_columns() != elems.len() {
                return Err(mismatch(t, a));
            }
            for ((_, et), col) in elems.iter().zip(s.columns()) {
                write_data(et, col.as_ref(), out)?;
            }
            Ok(())
        }
        ChType::SimpleAggregateFunction { arg, .. } => write_data(arg, a, out),
        ChType::String | ChType::AggregateFunction { .. } => Err(mismatch(t, a)),
    }
}

/// Length-prefixed strings from the usual string layouts, downcast once (a NULL slot is
/// the empty string); false for other layouts.
fn write_strings(a: &dyn Array, out: &mut Vec<u8>) -> bool {
    fn each<'a>(n: usize, a: &dyn Array, value: impl Fn(usize) -> &'a [u8], out: &mut Vec<u8>) {
        for i in 0..n {
            out.put_str(if a.is_null(i) { &[] } else { value(i) });
        }
    }
    match a.data_type() {
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            out.reserve(s.value_data().len() + s.len());
            each(s.len(), a, |i| s.value(i).as_bytes(), out);
        }
        DataType::LargeUtf8 => {
            let s = a.as_string::<i64>();
            each(s.len(), a, |i| s.value(i).as_bytes(), out);
        }
        DataType::Utf8View => {
            let s = a.as_string_view();
            each(s.len(), a, |i| s.value(i).as_bytes(), out);
        }
        DataType::Binary => {
            let s = a.as_binary::<i32>();
            each(s.len(), a, |i| s.value(i), out);
        }
        DataType::LargeBinary => {
            let s = a.as_binary::<i64>();
            each(s.len(), a, |i| s.value(i), out);
        }
        _ => return false,
    }
    true
}

fn fixed<T: arrow::datatypes::ArrowPrimitiveType>(
    t: &ChType,
    a: &dyn Array,
    out: &mut Vec<u8>,
) -> Result<()> {
    let p = match a.as_primitive_opt::<T>() {
        Some(p) => p,
        None => {
            // Another width of the same kind (e.g. an engine returning Int64 for UInt8):
            // convert, as ClickHouse would have typed it.
            let c = cast(a, &T::DATA_TYPE).map_err(|_| mismatch(t, a))?;
            return fixed::<T>(t, c.as_ref(), out);
        }
    };
    // Arrow buffers are little-endian on every platform Sluice runs on.
    out.extend_from_slice(p.values().inner().as_slice());
    Ok(())
}

/// Timestamps of any unit converted to ticks of 10^-precision seconds.
fn timestamps(a: &dyn Array, precision: u32) -> Option<Vec<i64>> {
    let (values, unit_digits): (Vec<i64>, u32) = match a.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            (a.as_primitive::<TimestampSecondType>().values().to_vec(), 0)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => (
            a.as_primitive::<TimestampMillisecondType>()
                .values()
                .to_vec(),
            3,
        ),
        DataType::Timestamp(TimeUnit::Microsecond, _) => (
            a.as_primitive::<TimestampMicrosecondType>()
                .values()
                .to_vec(),
            6,
        ),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => (
            a.as_primitive::<TimestampNanosecondType>()
                .values()
                .to_vec(),
            9,
        ),
        DataType::UInt32 => (
            a.as_primitive::<UInt32Type>()
                .values()
                .iter()
                .map(|v| i64::from(*v))
                .collect(),
            0,
        ),
        DataType::Int64 => (a.as_primitive::<Int64Type>().values().to_vec(), precision),
        _ => return None,
    };
    Some(if unit_digits == precision {
        values
    } else if unit_digits > precision {
        let f = 10i64.pow(unit_digits - precision);
        values.into_iter().map(|v| v.div_euclid(f)).collect()
    } else {
        let f = 10i64.pow(precision - unit_digits);
        values.into_iter().map(|v| v.saturating_mul(f)).collect()
    })
}

/// Bytes of a `Decimal(P, S)` value in native form.
pub fn decimal_width(precision: u8) -> usize {
    match precision {
        0..=9 => 4,
        10..=18 => 8,
        19..=38 => 16,
        _ => 32,
    }
}

fn decimal(t: &ChType, a: &dyn Array, width: usize, out: &mut Vec<u8>) -> Result<()> {
    match a.data_type() {
        DataType::Decimal128(..) => {
            for v in a.as_primitive::<Decimal128Type>().values().iter() {
                out.extend_from_slice(&v.to_le_bytes()[..width.min(16)]);
                if width == 32 {
                    let fill = if *v < 0 { 0xFF } else { 0 };
                    out.resize(out.len() + 16, fill);
                }
            }
            Ok(())
        }
        DataType::Decimal256(..) => {
            for v in a.as_primitive::<Decimal256Type>().values().iter() {
                out.extend_from_slice(&v.to_le_bytes()[..width]);
            }
            Ok(())
        }
        _ => Err(mismatch(t, a)),
    }
}

fn enum_value<'a>(
    mut values: impl Iterator<Item = (&'a String, i64)>,
    a: &dyn Array,
    row: usize,
) -> Result<i64> {
    if a.is_null(row) {
        return Ok(0);
    }
    if let Some(name) = bytes_at(a, row) {
        return values
            .find(|(n, _)| n.as_bytes() == name)
            .map(|(_, v)| v)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::BAD_ARGUMENTS,
                    format!(
                        "Unknown element '{}' for enum",
                        String::from_utf8_lossy(name)
                    ),
                )
            });
    }
    match a.data_type() {
        DataType::Int8 => Ok(i64::from(a.as_primitive::<Int8Type>().value(row))),
        DataType::Int16 => Ok(i64::from(a.as_primitive::<Int16Type>().value(row))),
        other => Err(Error::internal(format!("Enum column stored as {other}"))),
    }
}

fn list_parts(t: &ChType, a: &dyn Array) -> Result<(Vec<usize>, ArrayRef)> {
    match a.data_type() {
        DataType::List(_) => {
            let l = a.as_list::<i32>();
            Ok((
                l.value_offsets().iter().map(|o| *o as usize).collect(),
                Arc::clone(l.values()),
            ))
        }
        DataType::LargeList(_) => {
            let l = a.as_list::<i64>();
            Ok((
                l.value_offsets().iter().map(|o| *o as usize).collect(),
                Arc::clone(l.values()),
            ))
        }
        DataType::FixedSizeList(..) => {
            let l = a.as_fixed_size_list();
            Ok((
                (0..=l.len()).map(|i| l.value_offset(i) as usize).collect(),
                Arc::clone(l.values()),
            ))
        }
        _ => Err(mismatch(t, a)),
    }
}
