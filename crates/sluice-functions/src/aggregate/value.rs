//! Single values of any ClickHouse type inside aggregate states: ClickHouse's binary
//! encoding of a [`ScalarValue`] (as `RowBinary` writes it), decoding back to the Arrow
//! representation `sluice_common::types` prescribes, type defaults, and building
//! `Array(T)` results with the exact Arrow field ClickHouse types map to.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, ListArray, new_empty_array};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, TimeUnit, i256};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::{Reader, write_string, write_var_uint};
use crate::ch_bail;

/// The value a non-Nullable column of type `t` holds by default (`0`, `''`, `[]`, …);
/// `NULL` for Nullable types.
pub fn default_value(t: &ChType) -> Result<ScalarValue> {
    let dt = t.to_arrow();
    if t.is_nullable() || matches!(t, ChType::Nothing) {
        return ScalarValue::try_from(&dt);
    }
    match t {
        ChType::Enum8(v) => Ok(ScalarValue::Utf8(Some(enum_default(
            v.iter().map(|(n, x)| (n, *x as i16)),
        )))),
        ChType::Enum16(v) => Ok(ScalarValue::Utf8(Some(enum_default(
            v.iter().map(|(n, x)| (n, *x)),
        )))),
        ChType::Array(item) => list_scalar(item, new_empty_array(&item.to_arrow())),
        ChType::LowCardinality(inner) => Ok(ScalarValue::Dictionary(
            Box::new(DataType::Int32),
            Box::new(default_value(inner)?),
        )),
        _ => ScalarValue::new_default(&dt),
    }
}

fn enum_default<'a>(vals: impl Iterator<Item = (&'a String, i16)>) -> String {
    vals.min_by_key(|(_, v)| *v)
        .map(|(n, _)| n.clone())
        .unwrap_or_default()
}

/// A one-row `Array(item)` value holding `values`, with the Arrow list field exactly as
/// [`ChType::to_arrow`] builds it (values are cast when their Arrow type differs).
pub fn list_scalar(item: &ChType, values: ArrayRef) -> Result<ScalarValue> {
    let field = Arc::new(item.to_field("item"));
    let values = if values.data_type() == field.data_type() {
        values
    } else {
        datafusion::arrow::compute::cast(&values, field.data_type())?
    };
    let offsets = OffsetBuffer::from_lengths([values.len()]);
    Ok(ScalarValue::List(Arc::new(ListArray::try_new(
        field, offsets, values, None,
    )?)))
}

/// Builds an array of type `t` from scalars (empty vector allowed).
pub fn scalars_to_array(t: &ChType, values: Vec<ScalarValue>) -> Result<ArrayRef> {
    if values.is_empty() {
        return Ok(new_empty_array(&t.to_arrow()));
    }
    let arr = ScalarValue::iter_to_array(values)?;
    let dt = t.to_arrow();
    if arr.data_type() == &dt {
        Ok(arr)
    } else {
        Ok(datafusion::arrow::compute::cast(&arr, &dt)?)
    }
}

fn dt64_divisor(p: u8) -> i64 {
    let unit_digits = match p {
        0..=3 => 3,
        4..=6 => 6,
        _ => 9,
    };
    10i64.pow(u32::from(unit_digits - p.min(unit_digits)))
}

fn str_bytes(v: &ScalarValue) -> Option<&[u8]> {
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s.as_bytes()),
        ScalarValue::Binary(Some(b))
        | ScalarValue::LargeBinary(Some(b))
        | ScalarValue::BinaryView(Some(b))
        | ScalarValue::FixedSizeBinary(_, Some(b)) => Some(b),
        _ => None,
    }
}

fn int_of(v: &ScalarValue) -> Option<i128> {
    Some(match v {
        ScalarValue::Int8(Some(x)) => i128::from(*x),
        ScalarValue::Int16(Some(x)) => i128::from(*x),
        ScalarValue::Int32(Some(x)) => i128::from(*x),
        ScalarValue::Int64(Some(x)) => i128::from(*x),
        ScalarValue::UInt8(Some(x)) => i128::from(*x),
        ScalarValue::UInt16(Some(x)) => i128::from(*x),
        ScalarValue::UInt32(Some(x)) => i128::from(*x),
        ScalarValue::UInt64(Some(x)) => i128::from(*x),
        ScalarValue::Date32(Some(x)) => i128::from(*x),
        ScalarValue::Date64(Some(x)) => i128::from(*x),
        ScalarValue::TimestampSecond(Some(x), _)
        | ScalarValue::TimestampMillisecond(Some(x), _)
        | ScalarValue::TimestampMicrosecond(Some(x), _)
        | ScalarValue::TimestampNanosecond(Some(x), _) => i128::from(*x),
        ScalarValue::Boolean(Some(b)) => i128::from(*b),
        ScalarValue::Decimal128(Some(x), _, _) => *x,
        _ => return None,
    })
}

fn mismatch(t: &ChType, v: &ScalarValue) -> datafusion::error::DataFusionError {
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::LOGICAL_ERROR,
        format!("Value {v:?} does not match type {t} in an aggregate state (a bug)"),
    ))
}

/// Appends `v` (a value of ClickHouse type `t`) in ClickHouse's binary encoding.
pub fn write_value(out: &mut Vec<u8>, t: &ChType, v: &ScalarValue) -> Result<()> {
    if let ChType::Nullable(inner) = t {
        if v.is_null() {
            out.push(1);
            return Ok(());
        }
        out.push(0);
        return write_value(out, inner, v);
    }
    if let ScalarValue::Dictionary(_, inner_v) = v {
        return write_value(out, t.base(), inner_v);
    }
    if let ChType::LowCardinality(inner) = t {
        return write_value(out, inner, v);
    }
    let int = || int_of(v).ok_or_else(|| mismatch(t, v));
    match t {
        ChType::UInt8 | ChType::Int8 | ChType::Bool => out.push(int()? as u8),
        ChType::UInt16 | ChType::Int16 | ChType::Date => {
            out.extend_from_slice(&(int()? as u16).to_le_bytes())
        }
        ChType::UInt32 | ChType::Int32 | ChType::IPv4 | ChType::DateTime(_) => {
            out.extend_from_slice(&(int()? as u32).to_le_bytes())
        }
        ChType::UInt64 | ChType::Int64 | ChType::Interval(_) => {
            out.extend_from_slice(&(int()? as u64).to_le_bytes())
        }
        ChType::Date32 => out.extend_from_slice(&((int()? / 86_400_000) as i32).to_le_bytes()),
        ChType::DateTime64(p, _) => {
            out.extend_from_slice(&((int()? as i64) / dt64_divisor(*p)).to_le_bytes())
        }
        ChType::Float32 | ChType::BFloat16 => match v {
            ScalarValue::Float32(Some(x)) => out.extend_from_slice(&x.to_le_bytes()),
            _ => return Err(mismatch(t, v)),
        },
        ChType::Float64 => match v {
            ScalarValue::Float64(Some(x)) => out.extend_from_slice(&x.to_le_bytes()),
            _ => return Err(mismatch(t, v)),
        },
        ChType::UInt128 | ChType::Int128 | ChType::UInt256 | ChType::Int256 => match v {
            ScalarValue::Decimal256(Some(x), _, _) => {
                let b = x.to_le_bytes();
                let n = if matches!(t, ChType::UInt128 | ChType::Int128) {
                    16
                } else {
                    32
                };
                out.extend_from_slice(&b[..n]);
            }
            _ => return Err(mismatch(t, v)),
        },
        ChType::Decimal { precision, .. } => match v {
            ScalarValue::Decimal128(Some(x), _, _) => {
                let b = x.to_le_bytes();
                let n = match precision {
                    0..=9 => 4,
                    10..=18 => 8,
                    _ => 16,
                };
                out.extend_from_slice(&b[..n]);
            }
            ScalarValue::Decimal256(Some(x), _, _) => out.extend_from_slice(&x.to_le_bytes()),
            _ => return Err(mismatch(t, v)),
        },
        ChType::String => write_string(out, str_bytes(v).ok_or_else(|| mismatch(t, v))?),
        ChType::FixedString(_) | ChType::IPv6 => {
            out.extend_from_slice(str_bytes(v).ok_or_else(|| mismatch(t, v))?)
        }
        ChType::Uuid => {
            let b = str_bytes(v).ok_or_else(|| mismatch(t, v))?;
            if b.len() != 16 {
                return Err(mismatch(t, v));
            }
            out.extend(b[..8].iter().rev());
            out.extend(b[8..].iter().rev());
        }
        ChType::Enum8(vals) => {
            let s = str_bytes(v).ok_or_else(|| mismatch(t, v))?;
            let code = vals
                .iter()
                .find(|(n, _)| n.as_bytes() == s)
                .map(|(_, c)| *c)
                .unwrap_or(0);
            out.push(code as u8);
        }
        ChType::Enum16(vals) => {
            let s = str_bytes(v).ok_or_else(|| mismatch(t, v))?;
            let code = vals
                .iter()
                .find(|(n, _)| n.as_bytes() == s)
                .map(|(_, c)| *c)
                .unwrap_or(0);
            out.extend_from_slice(&code.to_le_bytes());
        }
        ChType::Array(item) => {
            let ScalarValue::List(list) = v else {
                return Err(mismatch(t, v));
            };
            let values = list.value(0);
            write_var_uint(out, values.len() as u64);
            for i in 0..values.len() {
                write_value(out, item, &ScalarValue::try_from_array(&values, i)?)?;
            }
        }
        ChType::Tuple(elems) => {
            let ScalarValue::Struct(s) = v else {
                return Err(mismatch(t, v));
            };
            for (i, (_, et)) in elems.iter().enumerate() {
                let col = s.column(i);
                write_value(out, et, &ScalarValue::try_from_array(col, 0)?)?;
            }
        }
        ChType::Map(kt, vt) => {
            let ScalarValue::Map(m) = v else {
                return Err(mismatch(t, v));
            };
            let entries = m.value(0);
            write_var_uint(out, entries.len() as u64);
            for i in 0..entries.len() {
                write_value(out, kt, &ScalarValue::try_from_array(entries.column(0), i)?)?;
                write_value(out, vt, &ScalarValue::try_from_array(entries.column(1), i)?)?;
            }
        }
        ChType::AggregateFunction { .. } => {
            write_string(out, str_bytes(v).ok_or_else(|| mismatch(t, v))?)
        }
        ChType::SimpleAggregateFunction { arg, .. } => write_value(out, arg, v)?,
        ChType::Nothing => {}
        ChType::Nullable(_) | ChType::LowCardinality(_) => return Err(mismatch(t, v)),
    }
    Ok(())
}

/// Reads one value of ClickHouse type `t` written by [`write_value`].
pub fn read_value(r: &mut Reader, t: &ChType) -> Result<ScalarValue> {
    let dt = t.to_arrow();
    Ok(match t {
        ChType::Nullable(inner) => {
            if r.u8()? != 0 {
                ScalarValue::try_from(&dt)?
            } else {
                read_value(r, inner)?
            }
        }
        ChType::LowCardinality(inner) => {
            ScalarValue::Dictionary(Box::new(DataType::Int32), Box::new(read_value(r, inner)?))
        }
        ChType::UInt8 => ScalarValue::UInt8(Some(r.u8()?)),
        ChType::Int8 => ScalarValue::Int8(Some(r.u8()? as i8)),
        ChType::Bool => ScalarValue::Boolean(Some(r.u8()? != 0)),
        ChType::UInt16 => ScalarValue::UInt16(Some(u16::from_le_bytes(r.array()?))),
        ChType::Int16 => ScalarValue::Int16(Some(i16::from_le_bytes(r.array()?))),
        ChType::Date => ScalarValue::Date32(Some(i32::from(u16::from_le_bytes(r.array()?)))),
        ChType::UInt32 | ChType::IPv4 => ScalarValue::UInt32(Some(r.u32()?)),
        ChType::Int32 => ScalarValue::Int32(Some(r.i32()?)),
        ChType::DateTime(tz) => {
            ScalarValue::TimestampSecond(Some(i64::from(r.u32()?)), tz.as_deref().map(Arc::from))
        }
        ChType::UInt64 => ScalarValue::UInt64(Some(r.u64()?)),
        ChType::Int64 | ChType::Interval(_) => ScalarValue::Int64(Some(r.i64()?)),
        ChType::Date32 => ScalarValue::Date64(Some(i64::from(r.i32()?) * 86_400_000)),
        ChType::DateTime64(p, tz) => {
            let v = r.i64()?.wrapping_mul(dt64_divisor(*p));
            let tz = tz.as_deref().map(Arc::from);
            match dt {
                DataType::Timestamp(TimeUnit::Millisecond, _) => {
                    ScalarValue::TimestampMillisecond(Some(v), tz)
                }
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    ScalarValue::TimestampMicrosecond(Some(v), tz)
                }
                _ => ScalarValue::TimestampNanosecond(Some(v), tz),
            }
        }
        ChType::Float32 | ChType::BFloat16 => {
            ScalarValue::Float32(Some(f32::from_le_bytes(r.array()?)))
        }
        ChType::Float64 => ScalarValue::Float64(Some(r.f64()?)),
        ChType::UInt128 | ChType::Int128 | ChType::UInt256 | ChType::Int256 => {
            let n = if matches!(t, ChType::UInt128 | ChType::Int128) {
                16
            } else {
                32
            };
            let b = r.bytes(n)?;
            let signed = matches!(t, ChType::Int128 | ChType::Int256);
            let fill = if signed && b[n - 1] & 0x80 != 0 {
                0xFF
            } else {
                0
            };
            let mut full = [fill; 32];
            full[..n].copy_from_slice(b);
            ScalarValue::Decimal256(Some(i256::from_le_bytes(full)), 76, 0)
        }
        ChType::Decimal { precision, scale } => {
            if *precision > 38 {
                ScalarValue::Decimal256(
                    Some(i256::from_le_bytes(r.array()?)),
                    *precision,
                    *scale as i8,
                )
            } else {
                let v = match precision {
                    0..=9 => i128::from(r.i32()?),
                    10..=18 => i128::from(r.i64()?),
                    _ => i128::from_le_bytes(r.array()?),
                };
                ScalarValue::Decimal128(Some(v), *precision, *scale as i8)
            }
        }
        ChType::String => {
            ScalarValue::Utf8(Some(String::from_utf8_lossy(r.string()?).into_owned()))
        }
        ChType::FixedString(n) => {
            ScalarValue::FixedSizeBinary(*n as i32, Some(r.bytes(*n)?.to_vec()))
        }
        ChType::IPv6 => ScalarValue::FixedSizeBinary(16, Some(r.bytes(16)?.to_vec())),
        ChType::Uuid => {
            let b = r.bytes(16)?;
            let mut v: Vec<u8> = b[..8].iter().rev().copied().collect();
            v.extend(b[8..].iter().rev());
            ScalarValue::FixedSizeBinary(16, Some(v))
        }
        ChType::Enum8(vals) => {
            let c = r.u8()? as i8;
            let name = vals
                .iter()
                .find(|(_, v)| *v == c)
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            ScalarValue::Utf8(Some(name))
        }
        ChType::Enum16(vals) => {
            let c = i16::from_le_bytes(r.array()?);
            let name = vals
                .iter()
                .find(|(_, v)| *v == c)
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            ScalarValue::Utf8(Some(name))
        }
        ChType::Array(item) => {
            let n = r.count(0)?;
            let mut vals = Vec::with_capacity(n.min(1 << 16));
            for _ in 0..n {
                vals.push(read_value(r, item)?);
            }
            list_scalar(item, scalars_to_array(item, vals)?)?
        }
        ChType::Tuple(elems) => {
            let mut vals = Vec::with_capacity(elems.len());
            for (_, et) in elems {
                vals.push(read_value(r, et)?);
            }
            let DataType::Struct(fields) = &dt else {
                ch_bail!(LOGICAL_ERROR, "Tuple is not a struct")
            };
            let cols = vals
                .iter()
                .zip(elems)
                .map(|(v, (_, et))| scalars_to_array(et, vec![v.clone()]))
                .collect::<Result<Vec<_>>>()?;
            ScalarValue::Struct(Arc::new(datafusion::arrow::array::StructArray::try_new(
                fields.clone(),
                cols,
                None,
            )?))
        }
        ChType::Map(..) => {
            let n = r.count(0)?;
            let ChType::Map(kt, vt) = t else {
                ch_bail!(LOGICAL_ERROR, "not a map")
            };
            let mut keys = Vec::new();
            let mut values = Vec::new();
            for _ in 0..n {
                keys.push(read_value(r, kt)?);
                values.push(read_value(r, vt)?);
            }
            let DataType::Map(entries_field, sorted) = &dt else {
                ch_bail!(LOGICAL_ERROR, "not a map")
            };
            let DataType::Struct(kv) = entries_field.data_type() else {
                ch_bail!(LOGICAL_ERROR, "map entries are not a struct")
            };
            let entries = datafusion::arrow::array::StructArray::try_new(
                kv.clone(),
                vec![scalars_to_array(kt, keys)?, scalars_to_array(vt, values)?],
                None,
            )?;
            ScalarValue::Map(Arc::new(datafusion::arrow::array::MapArray::try_new(
                Arc::clone(entries_field),
                OffsetBuffer::from_lengths([n]),
                entries,
                None,
                *sorted,
            )?))
        }
        ChType::AggregateFunction { .. } => ScalarValue::Binary(Some(r.string()?.to_vec())),
        ChType::SimpleAggregateFunction { arg, .. } => read_value(r, arg)?,
        ChType::Nothing => ScalarValue::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_values() {
        for (ty, v) in [
            ("UInt8", ScalarValue::UInt8(Some(7))),
            ("Int64", ScalarValue::Int64(Some(-5))),
            ("String", ScalarValue::Utf8(Some("abc".into()))),
            ("Nullable(String)", ScalarValue::Utf8(None)),
            ("Date", ScalarValue::Date32(Some(19000))),
            ("Decimal(9, 2)", ScalarValue::Decimal128(Some(-1234), 9, 2)),
            ("Float64", ScalarValue::Float64(Some(1.5))),
        ] {
            let t = ChType::parse(ty).unwrap();
            let mut out = Vec::new();
            write_value(&mut out, &t, &v).unwrap();
            let mut r = Reader::new(&out);
            assert_eq!(read_value(&mut r, &t).unwrap(), v, "{ty}");
            assert!(r.is_empty());
        }
        let t = ChType::parse("Array(UInt32)").unwrap();
        let v = list_scalar(
            &ChType::UInt32,
            scalars_to_array(&ChType::UInt32, vec![ScalarValue::UInt32(Some(1))]).unwrap(),
        )
        .unwrap();
        let mut out = Vec::new();
        write_value(&mut out, &t, &v).unwrap();
        assert_eq!(out, vec![1, 1, 0, 0, 0]);
        assert_eq!(read_value(&mut Reader::new(&out), &t).unwrap(), v);
    }
}
