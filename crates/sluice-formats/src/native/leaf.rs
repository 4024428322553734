//! Binary encoding of scalar ClickHouse values (the same in `Native` columns and
//! `RowBinary` rows): little-endian numbers of the type's width, strings with a var-int
//! length, `Date` as `u16` days, `DateTime64` as ticks of `10^-p` s, UUID as two
//! little-endian 64-bit halves, Enum as its number.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type,
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type, i256,
};
use sluice_common::{ChType, Error, ErrorCode, Result};

use super::cursor::Cursor;
use super::wire::write_bytes;
use crate::parse::Value;
use crate::text::bytes_at;

/// An integer-like value at `row` (ints, bool, dates, timestamps, decimals ≤ 128 bits).
pub(crate) fn int_at(a: &dyn Array, row: usize) -> i128 {
    match a.data_type() {
        DataType::Boolean => i128::from(a.as_boolean().value(row)),
        DataType::Int8 => a.as_primitive::<Int8Type>().value(row).into(),
        DataType::Int16 => a.as_primitive::<Int16Type>().value(row).into(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(row).into(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(row).into(),
        DataType::UInt8 => a.as_primitive::<UInt8Type>().value(row).into(),
        DataType::UInt16 => a.as_primitive::<UInt16Type>().value(row).into(),
        DataType::UInt32 => a.as_primitive::<UInt32Type>().value(row).into(),
        DataType::UInt64 => a.as_primitive::<UInt64Type>().value(row).into(),
        DataType::Date32 => a.as_primitive::<Date32Type>().value(row).into(),
        DataType::Date64 => a.as_primitive::<Date64Type>().value(row).into(),
        DataType::Timestamp(TimeUnit::Second, _) => {
            a.as_primitive::<TimestampSecondType>().value(row).into()
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => a
            .as_primitive::<TimestampMillisecondType>()
            .value(row)
            .into(),
        DataType::Timestamp(TimeUnit::Microsecond, _) => a
            .as_primitive::<TimestampMicrosecondType>()
            .value(row)
            .into(),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => a
            .as_primitive::<TimestampNanosecondType>()
            .value(row)
            .into(),
        DataType::Decimal32(..) => a.as_primitive::<Decimal32Type>().value(row).into(),
        DataType::Decimal64(..) => a.as_primitive::<Decimal64Type>().value(row).into(),
        DataType::Decimal128(..) => a.as_primitive::<Decimal128Type>().value(row),
        DataType::Decimal256(..) => a.as_primitive::<Decimal256Type>().value(row).as_i128(),
        _ => 0,
    }
}

fn f64_at(a: &dyn Array, row: usize) -> f64 {
    match a.data_type() {
        DataType::Float16 => a.as_primitive::<Float16Type>().value(row).to_f64(),
        DataType::Float32 => a.as_primitive::<Float32Type>().value(row).into(),
        DataType::Float64 => a.as_primitive::<Float64Type>().value(row),
        _ => int_at(a, row) as f64,
    }
}

fn i256_at(a: &dyn Array, row: usize) -> i256 {
    match a.data_type() {
        DataType::Decimal256(..) => a.as_primitive::<Decimal256Type>().value(row),
        _ => i256::from_i128(int_at(a, row)),
    }
}

/// Arrow ticks per second of a timestamp column.
fn units_per_sec(dt: &DataType) -> i128 {
    match dt {
        DataType::Timestamp(TimeUnit::Millisecond, _) => 1_000,
        DataType::Timestamp(TimeUnit::Microsecond, _) => 1_000_000,
        DataType::Timestamp(TimeUnit::Nanosecond, _) => 1_000_000_000,
        _ => 1,
    }
}

/// Byte width of a `Decimal(P, S)` value.
/// Bytes of a `Decimal(P, S)` value in the Native layout.
pub fn decimal_width(p: u8) -> usize {
    match p {
        0..=9 => 4,
        10..=18 => 8,
        19..=38 => 16,
        _ => 32,
    }
}

fn enum_values(t: &ChType) -> Vec<(&str, i16)> {
    match t {
        ChType::Enum8(v) => v.iter().map(|(n, x)| (n.as_str(), i16::from(*x))).collect(),
        ChType::Enum16(v) => v.iter().map(|(n, x)| (n.as_str(), *x)).collect(),
        _ => Vec::new(),
    }
}

/// Writes the scalar at `row` (a NULL slot writes the type default). `t` is the
/// non-Nullable scalar type.
pub(crate) fn write_leaf(out: &mut Vec<u8>, a: &dyn Array, row: usize, t: &ChType) -> Result<()> {
    let null = a.is_null(row) || matches!(a.data_type(), DataType::Null);
    let iv = || if null { 0 } else { int_at(a, row) };
    match t {
        ChType::UInt8 | ChType::Int8 | ChType::Bool => out.push(iv() as u8),
        ChType::UInt16 | ChType::Int16 => out.extend_from_slice(&(iv() as u16).to_le_bytes()),
        ChType::UInt32 | ChType::Int32 | ChType::IPv4 => {
            out.extend_from_slice(&(iv() as u32).to_le_bytes())
        }
        ChType::UInt64 | ChType::Int64 | ChType::Interval(_) => {
            out.extend_from_slice(&(iv() as u64).to_le_bytes())
        }
        ChType::UInt128 | ChType::Int128 => {
            let v = if null { i256::ZERO } else { i256_at(a, row) };
            out.extend_from_slice(&v.to_le_bytes()[..16]);
        }
        ChType::UInt256 | ChType::Int256 => {
            let v = if null { i256::ZERO } else { i256_at(a, row) };
            out.extend_from_slice(&v.to_le_bytes());
        }
        ChType::Float32 => {
            out.extend_from_slice(&(if null { 0.0 } else { f64_at(a, row) as f32 }).to_le_bytes())
        }
        ChType::BFloat16 => {
            let f = if null { 0.0 } else { f64_at(a, row) as f32 };
            out.extend_from_slice(&((f.to_bits() >> 16) as u16).to_le_bytes());
        }
        ChType::Float64 => {
            out.extend_from_slice(&(if null { 0.0 } else { f64_at(a, row) }).to_le_bytes())
        }
        ChType::Decimal { precision, .. } => {
            let v = if null { i256::ZERO } else { i256_at(a, row) };
            out.extend_from_slice(&v.to_le_bytes()[..decimal_width(*precision)]);
        }
        ChType::Date => out.extend_from_slice(&(iv() as u16).to_le_bytes()),
        ChType::Date32 => {
            let days = if matches!(a.data_type(), DataType::Date64) {
                iv().div_euclid(86_400_000)
            } else {
                iv()
            };
            out.extend_from_slice(&(days as i32).to_le_bytes());
        }
        ChType::DateTime(_) => {
            let secs = iv().div_euclid(units_per_sec(a.data_type()));
            out.extend_from_slice(&(secs as u32).to_le_bytes());
        }
        ChType::DateTime64(p, _) => {
            let per = units_per_sec(a.data_type());
            let target = 10i128.pow(u32::from(*p));
            let v = iv();
            let ticks = if per >= target {
                v.div_euclid(per / target)
            } else {
                v * (target / per)
            };
            out.extend_from_slice(&(ticks as i64).to_le_bytes());
        }
        ChType::Uuid => {
            let b = if null { None } else { bytes_at(a, row) };
            let mut u = [0u8; 16];
            if let Some(b) = b.filter(|b| b.len() == 16) {
                u.copy_from_slice(b);
            }
            u[..8].reverse();
            u[8..].reverse();
            out.extend_from_slice(&u);
        }
        ChType::IPv6 | ChType::FixedString(_) => {
            let n = if let ChType::FixedString(n) = t {
                *n
            } else {
                16
            };
            let b = if null {
                &[][..]
            } else {
                bytes_at(a, row).unwrap_or(&[])
            };
            let take = b.len().min(n);
            out.extend_from_slice(&b[..take]);
            out.extend(std::iter::repeat_n(0u8, n - take));
        }
        ChType::String => write_bytes(
            out,
            if null {
                &[]
            } else {
                bytes_at(a, row).unwrap_or(&[])
            },
        ),
        ChType::Enum8(_) | ChType::Enum16(_) => {
            let vals = enum_values(t);
            let name = if null { None } else { bytes_at(a, row) };
            let v = name
                .and_then(|n| vals.iter().find(|(x, _)| x.as_bytes() == n))
                .or(vals.first())
                .map(|(_, v)| *v)
                .unwrap_or(0);
            if matches!(t, ChType::Enum8(_)) {
                out.push(v as u8);
            } else {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        ChType::AggregateFunction { .. } => out.extend_from_slice(if null {
            &[]
        } else {
            bytes_at(a, row).unwrap_or(&[])
        }),
        ChType::Nothing => out.push(b'0'),
        ChType::SimpleAggregateFunction { arg, .. } => write_leaf(out, a, row, arg)?,
        other => return Err(Error::internal(format!("{other} is not a scalar type"))),
    }
    Ok(())
}

/// Reads one scalar of type `t` into the representation of its Arrow column.
pub(crate) fn read_leaf(c: &mut Cursor<'_>, t: &ChType) -> Result<Value> {
    Ok(match t {
        ChType::UInt8 => Value::Int(c.u8()?.into()),
        ChType::Bool => Value::Bool(c.u8()? != 0),
        ChType::Int8 => Value::Int((c.u8()? as i8).into()),
        ChType::UInt16 | ChType::Date => Value::Int(u16::from_le_bytes(c.array()?).into()),
        ChType::Int16 => Value::Int(i16::from_le_bytes(c.array()?).into()),
        ChType::UInt32 | ChType::IPv4 | ChType::DateTime(_) => {
            Value::Int(u32::from_le_bytes(c.array()?).into())
        }
        ChType::Int32 => Value::Int(i32::from_le_bytes(c.array()?).into()),
        ChType::Date32 => Value::Int(i128::from(i32::from_le_bytes(c.array()?)) * 86_400_000),
        ChType::UInt64 => Value::Int(u64::from_le_bytes(c.array()?).into()),
        ChType::Int64 | ChType::Interval(_) => Value::Int(i64::from_le_bytes(c.array()?).into()),
        ChType::UInt128 => Value::Big(i256::from_parts(u128::from_le_bytes(c.array()?), 0)),
        ChType::Int128 => Value::Big(i256::from_i128(i128::from_le_bytes(c.array()?))),
        ChType::UInt256 | ChType::Int256 => Value::Big(i256::from_le_bytes(c.array()?)),
        ChType::Float32 => Value::Float(f32::from_le_bytes(c.array()?).into()),
        ChType::BFloat16 => {
            Value::Float(f32::from_bits(u32::from(u16::from_le_bytes(c.array()?)) << 16).into())
        }
        ChType::Float64 => Value::Float(f64::from_le_bytes(c.array()?)),
        ChType::Decimal { precision, .. } => {
            let w = decimal_width(*precision);
            let b = c.take(w)?;
            let mut full = [if b[w - 1] & 0x80 != 0 { 0xff } else { 0 }; 32];
            full[..w].copy_from_slice(b);
            let v = i256::from_le_bytes(full);
            if *precision <= 38 {
                Value::Int(v.as_i128())
            } else {
                Value::Big(v)
            }
        }
        ChType::DateTime64(p, _) => {
            let ticks = i128::from(i64::from_le_bytes(c.array()?));
            let per = units_per_sec(&t.to_arrow());
            let src = 10i128.pow(u32::from(*p));
            Value::Int(if per >= src {
                ticks * (per / src)
            } else {
                ticks / (src / per)
            })
        }
        ChType::Uuid => {
            let mut u: [u8; 16] = c.array()?;
            u[..8].reverse();
            u[8..].reverse();
            Value::Bytes(u.to_vec())
        }
        ChType::IPv6 => Value::Bytes(c.take(16)?.to_vec()),
        ChType::FixedString(n) => Value::Bytes(c.take(*n)?.to_vec()),
        ChType::String => Value::Bytes(c.bytes()?.to_vec()),
        ChType::Enum8(_) | ChType::Enum16(_) => {
            let v = if matches!(t, ChType::Enum8(_)) {
                i16::from(c.u8()? as i8)
            } else {
                i16::from_le_bytes(c.array()?)
            };
            let vals = enum_values(t);
            let name = vals
                .iter()
                .find(|(_, x)| *x == v)
                .map(|(n, _)| n.to_string())
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::BAD_ARGUMENTS,
                        format!("Unexpected value {v} in enum"),
                    )
                })?;
            Value::Bytes(name.into_bytes())
        }
        ChType::Nothing => {
            c.u8()?;
            Value::Null
        }
        ChType::SimpleAggregateFunction { arg, .. } => read_leaf(c, arg)?,
        ChType::AggregateFunction { .. } => {
            return Err(Error::not_implemented(format!(
                "Reading {t} states from binary formats"
            )));
        }
        other => return Err(Error::internal(format!("{other} is not a scalar type"))),
    })
}
