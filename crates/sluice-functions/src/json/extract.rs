//! Typed extraction: `JSONExtract(json, path…, 'T')` and
//! `JSONExtractKeysAndValues(json, path…, 'T')` for any ClickHouse type `T`.
//!
//! A [`Col`] tree mirrors `T` and is filled value by value straight from the tape
//! ([`Col::try_push`] converts one JSON value with ClickHouse's rules and reports failure;
//! the caller then stores the default, or NULL for `Nullable`). Arrays convert element by
//! element (failed elements become defaults), tuples by name from objects or by position,
//! maps member by member; `JSONExtractKeysAndValues` skips members whose value does not
//! convert, as ClickHouse does.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Decimal128Array, Decimal256Array, FixedSizeBinaryArray, Float64Array,
    Int64Array, ListArray, MapArray, NullBufferBuilder, StructArray, UInt64Array,
};
use datafusion::arrow::buffer::{OffsetBuffer, ScalarBuffer};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, i256};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::ColumnarValue;
use sluice_common::ChType;

use super::doc::{Doc, Kind};
use super::eval::{Found, Options, for_each_row};
use super::number::{IntTarget, float_to, int_to, str_to_f64, str_to_int, write_double};
use super::out::StrOut;
use super::serialize::write_value;
use super::typed_scalar::{
    parse_date, parse_datetime, parse_decimal, parse_ipv4, parse_uuid, scaled_digits,
};
use crate::ch_bail;

/// ClickHouse refuses some result types when the input is `Nullable`.
pub fn check_nullable_target(t: &ChType) -> Result<()> {
    if matches!(t, ChType::LowCardinality(_)) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Nested type {t} cannot be inside Nullable type"
        );
    }
    Ok(())
}

/// Runs a typed extraction; `kv` selects `JSONExtractKeysAndValues`.
#[allow(clippy::too_many_arguments)]
pub fn run(
    args: &[ColumnarValue],
    path_len: usize,
    rows: usize,
    opts: Options<'_>,
    t: &ChType,
    kv: bool,
    nullable: bool,
    out_type: &DataType,
) -> Result<ArrayRef> {
    let row_type = if kv {
        ChType::Array(Box::new(ChType::Tuple(vec![
            (None, ChType::String),
            (None, t.clone()),
        ])))
    } else {
        t.clone()
    };
    let mut col = Col::new(&row_type, opts.case_insensitive)?;
    let mut nulls = NullBufferBuilder::new(rows);
    let mut err: Option<DataFusionError> = None;
    for_each_row(args, path_len, rows, opts, |f| {
        let r = match f {
            Found::Null => {
                nulls.append_null();
                col.push_default()
            }
            Found::Missing => {
                nulls.append_non_null();
                col.push_default()
            }
            Found::Value(d, i) => {
                nulls.append_non_null();
                if kv {
                    col.push_kv(&d, i)
                } else {
                    col.push(&d, i)
                }
            }
        };
        if let Err(e) = r {
            err.get_or_insert(e);
        }
    })?;
    if let Some(e) = err {
        return Err(e);
    }
    let arr = col.finish()?;
    let arr = if nullable {
        let outer = nulls.finish();
        let combined = datafusion::arrow::buffer::NullBuffer::union(arr.nulls(), outer.as_ref());
        let data = arr.to_data().into_builder().nulls(combined).build()?;
        datafusion::arrow::array::make_array(data)
    } else {
        arr
    };
    if arr.data_type() != out_type {
        return Ok(cast(&arr, out_type)?);
    }
    Ok(arr)
}

/// A column under construction for ClickHouse type `t`.
struct Col {
    t: ChType,
    ci: bool,
    nulls: Option<NullBufferBuilder>,
    data: Data,
}

enum Data {
    Int(Vec<i64>),
    UInt(Vec<u64>),
    Wide(Vec<i128>),
    Float(Vec<f64>),
    Bool(Vec<bool>),
    Str(StrOut),
    Fixed(usize, Vec<u8>),
    Dec(Vec<i128>),
    Dec256(Vec<i256>),
    List(Vec<i32>, Box<Col>),
    Tuple(Vec<Col>),
    Map(Vec<i32>, Box<Col>, Box<Col>),
}

fn unsupported(t: &ChType) -> DataFusionError {
    crate::util::ch_error(sluice_common::Error::not_implemented(format!(
        "JSONExtract to type {t}"
    )))
}

impl Col {
    fn new(t: &ChType, ci: bool) -> Result<Col> {
        let (inner, nullable) = match t {
            ChType::Nullable(x) => ((**x).clone(), true),
            ChType::LowCardinality(x) => match &**x {
                ChType::Nullable(y) => ((**y).clone(), true),
                y => (y.clone(), false),
            },
            x => (x.clone(), false),
        };
        use ChType as T;
        let data = match &inner {
            T::Int8
            | T::Int16
            | T::Int32
            | T::Int64
            | T::Date
            | T::Date32
            | T::DateTime(_)
            | T::DateTime64(..) => Data::Int(Vec::new()),
            T::UInt8 | T::UInt16 | T::UInt32 | T::UInt64 | T::IPv4 => Data::UInt(Vec::new()),
            T::Int128 | T::UInt128 | T::Int256 | T::UInt256 => Data::Wide(Vec::new()),
            T::Float32 | T::Float64 => Data::Float(Vec::new()),
            T::Bool => Data::Bool(Vec::new()),
            T::String | T::Enum8(_) | T::Enum16(_) => Data::Str(StrOut::new(0)),
            T::FixedString(n) => Data::Fixed(*n, Vec::new()),
            T::Uuid | T::IPv6 => Data::Fixed(16, Vec::new()),
            T::Decimal { precision, .. } if *precision > 38 => Data::Dec256(Vec::new()),
            T::Decimal { .. } => Data::Dec(Vec::new()),
            T::Array(e) => Data::List(vec![0], Box::new(Col::new(e, ci)?)),
            T::Tuple(es) => Data::Tuple(
                es.iter()
                    .map(|(_, e)| Col::new(e, ci))
                    .collect::<Result<_>>()?,
            ),
            T::Map(k, v) => Data::Map(
                vec![0],
                Box::new(Col::new(k, ci)?),
                Box::new(Col::new(v, ci)?),
            ),
            _ => return Err(unsupported(t)),
        };
        Ok(Col {
            t: t.clone(),
            ci,
            nulls: nullable.then(|| NullBufferBuilder::new(0)),
            data,
        })
    }

    /// The type without `Nullable`/`LowCardinality`.
    fn inner(&self) -> &ChType {
        self.t.base()
    }

    /// Appends the conversion of value `i`, or the default / NULL when it fails.
    fn push(&mut self, d: &Doc<'_>, i: usize) -> Result<()> {
        if self.try_push(d, i)? {
            if let Some(n) = &mut self.nulls {
                n.append_non_null();
            }
            Ok(())
        } else {
            self.push_default()
        }
    }

    /// Appends the default value (NULL for `Nullable`).
    fn push_default(&mut self) -> Result<()> {
        if let Some(n) = &mut self.nulls {
            n.append_null();
        }
        let t = self.inner().clone();
        match &mut self.data {
            Data::Int(v) => v.push(0),
            Data::UInt(v) => v.push(0),
            Data::Wide(v) | Data::Dec(v) => v.push(0),
            Data::Dec256(v) => v.push(i256::ZERO),
            Data::Float(v) => v.push(0.0),
            Data::Bool(v) => v.push(false),
            Data::Str(s) => match &t {
                ChType::Enum8(vals) if self.nulls.is_none() => {
                    match vals.iter().find(|(_, v)| *v == 0) {
                        Some((n, _)) => s.push(n.as_bytes()),
                        None => return Err(enum_zero_error()),
                    }
                }
                ChType::Enum16(vals) if self.nulls.is_none() => {
                    match vals.iter().find(|(_, v)| *v == 0) {
                        Some((n, _)) => s.push(n.as_bytes()),
                        None => return Err(enum_zero_error()),
                    }
                }
                _ => s.push(b""),
            },
            Data::Fixed(n, v) => v.extend(std::iter::repeat_n(0u8, *n)),
            Data::List(o, _) | Data::Map(o, ..) => o.push(*o.last().unwrap_or(&0)),
            Data::Tuple(cols) => {
                for c in cols {
                    c.push_default()?;
                }
            }
        }
        Ok(())
    }

    /// Tries to append the conversion of value `i`; `Ok(false)` (nothing appended) when the
    /// value does not convert.
    fn try_push(&mut self, d: &Doc<'_>, i: usize) -> Result<bool> {
        use ChType as T;
        let kind = d.kind(i);
        let t = self.inner().clone();
        let ci = self.ci;
        Ok(match &mut self.data {
            Data::Int(v) => {
                let x = match &t {
                    T::Int8 => to_int::<i8>(d, i, kind).map(i64::from),
                    T::Int16 => to_int::<i16>(d, i, kind).map(i64::from),
                    T::Int32 => to_int::<i32>(d, i, kind).map(i64::from),
                    T::Int64 => to_int::<i64>(d, i, kind),
                    T::Date => match kind {
                        Kind::Str => parse_date(&d.str_content(i)).map(i64::from),
                        _ => None,
                    },
                    T::Date32 => match kind {
                        Kind::Str => parse_date(&d.str_content(i)).map(|x| x as i64 * 86_400_000),
                        _ => None,
                    },
                    T::DateTime(tz) => match kind {
                        Kind::Str => parse_datetime(&d.str_content(i), tz.as_deref(), 0),
                        _ => to_int::<u32>(d, i, kind).map(i64::from),
                    },
                    T::DateTime64(p, tz) => match kind {
                        Kind::Str => parse_datetime(&d.str_content(i), tz.as_deref(), *p),
                        _ => to_int::<i64>(d, i, kind).map(|x| x * scale_of(*p)),
                    },
                    _ => None,
                };
                push_opt(v, x)
            }
            Data::UInt(v) => {
                let x = match &t {
                    T::UInt8 => to_int::<u8>(d, i, kind).map(u64::from),
                    T::UInt16 => to_int::<u16>(d, i, kind).map(u64::from),
                    T::UInt32 => to_int::<u32>(d, i, kind).map(u64::from),
                    T::UInt64 => to_int::<u64>(d, i, kind),
                    T::IPv4 => match kind {
                        Kind::Str => parse_ipv4(&d.str_content(i)).map(u64::from),
                        _ => None,
                    },
                    _ => None,
                };
                push_opt(v, x)
            }
            Data::Wide(v) => {
                let unsigned = matches!(t, T::UInt128 | T::UInt256);
                let x = match kind {
                    Kind::Int(x) => Some(x as i128),
                    Kind::UInt(x) => Some(x as i128),
                    Kind::Bool(b) => Some(b as i128),
                    Kind::Double(f) => float_to::<i64>(f).map(i128::from),
                    Kind::Str => std::str::from_utf8(&d.str_content(i))
                        .ok()
                        .and_then(|s| s.parse().ok()),
                    _ => None,
                }
                .filter(|x| !unsigned || *x >= 0);
                push_opt(v, x)
            }
            Data::Float(v) => {
                let x = match kind {
                    Kind::Int(x) => Some(x as f64),
                    Kind::UInt(x) => Some(x as f64),
                    Kind::Double(x) => Some(x),
                    Kind::Bool(b) => Some(f64::from(u8::from(b))),
                    Kind::Str => str_to_f64(&d.str_content(i)),
                    _ => None,
                };
                push_opt(v, x)
            }
            Data::Bool(v) => push_opt(v, to_int::<u8>(d, i, kind).map(|x| x != 0)),
            Data::Str(s) => match &t {
                T::Enum8(vals) => {
                    let name = enum_name(d, i, kind, vals.iter().map(|(n, v)| (n, *v as i64)));
                    push_name(s, name)
                }
                T::Enum16(vals) => {
                    let name = enum_name(d, i, kind, vals.iter().map(|(n, v)| (n, *v as i64)));
                    push_name(s, name)
                }
                _ => match kind {
                    Kind::Null => false,
                    Kind::Str => {
                        d.push_str_content(i, &mut s.values);
                        s.commit();
                        true
                    }
                    _ => {
                        write_value(d, i, &mut s.values);
                        s.commit();
                        true
                    }
                },
            },
            Data::Fixed(n, v) => {
                let bytes: Option<Vec<u8>> = match (&t, kind) {
                    (T::Uuid, Kind::Str) => parse_uuid(&d.str_content(i)).map(|u| u.to_vec()),
                    (T::IPv6, Kind::Str) => std::str::from_utf8(&d.str_content(i))
                        .ok()
                        .and_then(|s| s.parse::<std::net::Ipv6Addr>().ok())
                        .map(|a| a.octets().to_vec()),
                    (T::Uuid | T::IPv6, _) => None,
                    (_, Kind::Null) => None,
                    (_, Kind::Str) => Some(d.str_content(i).into_owned()),
                    _ => {
                        let mut b = Vec::new();
                        write_value(d, i, &mut b);
                        Some(b)
                    }
                };
                match bytes {
                    Some(b) if b.len() <= *n => {
                        v.extend_from_slice(&b);
                        v.extend(std::iter::repeat_n(0u8, *n - b.len()));
                        true
                    }
                    _ => false,
                }
            }
            Data::Dec(v) => {
                let T::Decimal { precision, scale } = t else {
                    return Ok(false);
                };
                let x = decimal_text(d, i, kind)
                    .and_then(|text| parse_decimal(&text, precision, scale));
                push_opt(v, x)
            }
            Data::Dec256(v) => {
                let T::Decimal { scale, .. } = t else {
                    return Ok(false);
                };
                let x = decimal_text(d, i, kind)
                    .and_then(|text| scaled_digits(&text, scale))
                    .and_then(|digits| i256::from_string(&digits));
                push_opt(v, x)
            }
            Data::List(o, e) => {
                if !d.is_array(i) {
                    return Ok(false);
                }
                for c in d.children(i) {
                    e.push(d, c)?;
                }
                o.push(*o.last().unwrap_or(&0) + d.len(i) as i32);
                true
            }
            Data::Tuple(cols) => {
                let T::Tuple(elems) = &t else {
                    return Ok(false);
                };
                let named = elems.iter().all(|(n, _)| n.is_some());
                if d.is_object(i) && named {
                    for (c, (name, _)) in cols.iter_mut().zip(elems) {
                        let key = name.as_deref().unwrap_or_default().as_bytes();
                        match d.member(i, key, ci) {
                            Some(m) => c.push(d, m)?,
                            None => c.push_default()?,
                        }
                    }
                } else if d.is_container(i) {
                    let mut it = d.children(i);
                    for c in cols.iter_mut() {
                        match it.next() {
                            Some(m) => c.push(d, m)?,
                            None => c.push_default()?,
                        }
                    }
                } else {
                    return Ok(false);
                }
                true
            }
            Data::Map(o, k, val) => {
                if !d.is_object(i) {
                    return Ok(false);
                }
                let mut n = 0;
                for c in d.children(i) {
                    k.push_key(d, c)?;
                    val.push(d, c)?;
                    n += 1;
                }
                o.push(*o.last().unwrap_or(&0) + n);
                true
            }
        })
    }

    /// Appends member `c`'s key (a `String` column).
    fn push_key(&mut self, d: &Doc<'_>, c: usize) -> Result<()> {
        if let Some(n) = &mut self.nulls {
            n.append_non_null();
        }
        match &mut self.data {
            Data::Str(s) => {
                s.push(&d.key(c));
                Ok(())
            }
            _ => Err(unsupported(&self.t)),
        }
    }

    /// `JSONExtractKeysAndValues`: this is `Array(Tuple(String, T))`; members whose value
    /// does not convert are skipped.
    fn push_kv(&mut self, d: &Doc<'_>, i: usize) -> Result<()> {
        let Data::List(o, e) = &mut self.data else {
            return Err(unsupported(&self.t));
        };
        let Data::Tuple(cols) = &mut e.data else {
            return Err(unsupported(&self.t));
        };
        let mut n = 0;
        if d.is_object(i) {
            for c in d.children(i) {
                let (kc, rest) = cols.split_at_mut(1);
                if rest[0].try_push(d, c)? {
                    if let Some(nb) = &mut rest[0].nulls {
                        nb.append_non_null();
                    }
                    kc[0].push_key(d, c)?;
                    n += 1;
                }
            }
        }
        o.push(*o.last().unwrap_or(&0) + n);
        Ok(())
    }

    fn finish(self) -> Result<ArrayRef> {
        let dt = self.t.to_arrow();
        let plain_dt = match &dt {
            DataType::Dictionary(_, v) => (**v).clone(),
            d => d.clone(),
        };
        let mut nulls = self.nulls;
        let nulls = nulls.as_mut().and_then(|n| n.finish());
        let arr: ArrayRef = match self.data {
            Data::Int(v) => Arc::new(Int64Array::new(v.into(), nulls)),
            Data::UInt(v) => Arc::new(UInt64Array::new(v.into(), nulls)),
            Data::Wide(v) => Arc::new(
                Decimal256Array::new(v.into_iter().map(i256::from_i128).collect(), nulls)
                    .with_precision_and_scale(76, 0)?,
            ),
            Data::Float(v) => Arc::new(Float64Array::new(v.into(), nulls)),
            Data::Bool(v) => Arc::new(BooleanArray::new(v.into(), nulls)),
            Data::Str(s) => {
                let a = s.finish()?;
                let data = datafusion::arrow::array::Array::into_data(a)
                    .into_builder()
                    .nulls(nulls)
                    .build()?;
                datafusion::arrow::array::make_array(data)
            }
            Data::Fixed(n, v) => {
                Arc::new(FixedSizeBinaryArray::try_new(n as i32, v.into(), nulls)?)
            }
            Data::Dec(v) => {
                let (p, s) = match plain_dt {
                    DataType::Decimal128(p, s) => (p, s),
                    _ => return Err(unsupported(&self.t)),
                };
                Arc::new(Decimal128Array::new(v.into(), nulls).with_precision_and_scale(p, s)?)
            }
            Data::Dec256(v) => {
                let (p, s) = match plain_dt {
                    DataType::Decimal256(p, s) => (p, s),
                    _ => return Err(unsupported(&self.t)),
                };
                Arc::new(Decimal256Array::new(v.into(), nulls).with_precision_and_scale(p, s)?)
            }
            Data::List(o, e) => {
                let DataType::List(f) = &plain_dt else {
                    return Err(unsupported(&self.t));
                };
                let values = e.finish()?;
                let f = Arc::new(
                    Field::new(f.name(), values.data_type().clone(), f.is_nullable())
                        .with_metadata(f.metadata().clone()),
                );
                Arc::new(ListArray::try_new(
                    f,
                    OffsetBuffer::new(ScalarBuffer::from(o)),
                    values,
                    nulls,
                )?)
            }
            Data::Tuple(cols) => {
                let DataType::Struct(fields) = &plain_dt else {
                    return Err(unsupported(&self.t));
                };
                let arrays = cols
                    .into_iter()
                    .map(Col::finish)
                    .collect::<Result<Vec<_>>>()?;
                let fields: Vec<Field> = fields
                    .iter()
                    .zip(&arrays)
                    .map(|(f, a)| {
                        Field::new(f.name(), a.data_type().clone(), f.is_nullable())
                            .with_metadata(f.metadata().clone())
                    })
                    .collect();
                Arc::new(StructArray::try_new(fields.into(), arrays, nulls)?)
            }
            Data::Map(o, k, v) => {
                let DataType::Map(entries, sorted) = &plain_dt else {
                    return Err(unsupported(&self.t));
                };
                let DataType::Struct(kv) = entries.data_type() else {
                    return Err(unsupported(&self.t));
                };
                let (ka, va) = (k.finish()?, v.finish()?);
                let kv_fields: Vec<Field> = kv
                    .iter()
                    .zip([&ka, &va])
                    .map(|(f, a)| {
                        Field::new(f.name(), a.data_type().clone(), f.is_nullable())
                            .with_metadata(f.metadata().clone())
                    })
                    .collect();
                let st = StructArray::try_new(kv_fields.into(), vec![ka, va], None)?;
                let ef = Arc::new(Field::new(
                    entries.name(),
                    datafusion::arrow::array::Array::data_type(&st).clone(),
                    false,
                ));
                Arc::new(MapArray::try_new(
                    ef,
                    OffsetBuffer::new(ScalarBuffer::from(o)),
                    st,
                    nulls,
                    *sorted,
                )?)
            }
        };
        if arr.data_type() != &dt {
            return Ok(cast(&arr, &dt)?);
        }
        Ok(arr)
    }
}

/// ClickHouse's `UNKNOWN_ELEMENT_OF_ENUM` (691) for a default 0 that is not in the enum.
fn enum_zero_error() -> DataFusionError {
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode(691),
        "Unexpected value 0 in enum",
    ))
}

fn push_opt<T>(v: &mut Vec<T>, x: Option<T>) -> bool {
    match x {
        Some(x) => {
            v.push(x);
            true
        }
        None => false,
    }
}

fn push_name(s: &mut StrOut, name: Option<String>) -> bool {
    match name {
        Some(n) => {
            s.push(n.as_bytes());
            true
        }
        None => false,
    }
}

fn enum_name<'a>(
    d: &Doc<'_>,
    i: usize,
    kind: Kind,
    vals: impl Iterator<Item = (&'a String, i64)> + Clone,
) -> Option<String> {
    match kind {
        Kind::Str => {
            let s = d.str_content(i);
            vals.clone()
                .find(|(n, _)| n.as_bytes() == &*s)
                .map(|(n, _)| n.clone())
        }
        Kind::Int(x) => vals.clone().find(|(_, v)| *v == x).map(|(n, _)| n.clone()),
        Kind::UInt(x) => vals
            .clone()
            .find(|(_, v)| i128::from(*v) == i128::from(x))
            .map(|(n, _)| n.clone()),
        _ => None,
    }
}

/// The decimal text of a value for a `Decimal` target (doubles in their shortest form).
fn decimal_text(d: &Doc<'_>, i: usize, kind: Kind) -> Option<Vec<u8>> {
    match kind {
        Kind::Int(x) => Some(x.to_string().into_bytes()),
        Kind::UInt(x) => Some(x.to_string().into_bytes()),
        Kind::Double(x) => {
            let mut b = Vec::new();
            write_double(x, &mut b);
            Some(b)
        }
        Kind::Str => Some(d.str_content(i).into_owned()),
        _ => None,
    }
}

fn scale_of(p: u8) -> i64 {
    // DateTime64(p) is stored in ms (p ≤ 3), µs (p ≤ 6) or ns.
    match p {
        0..=3 => 1_000,
        4..=6 => 1_000_000,
        _ => 1_000_000_000,
    }
}

/// ClickHouse's conversion of a JSON value to integer type `T` in `JSONExtract`
/// (booleans convert, doubles truncate when in range, strings are parsed).
fn to_int<T: IntTarget>(d: &Doc<'_>, i: usize, kind: Kind) -> Option<T> {
    match kind {
        Kind::Int(x) => int_to::<T>(x as i128),
        Kind::UInt(x) => int_to::<T>(x as i128),
        Kind::Double(x) => float_to::<T>(x),
        Kind::Bool(b) => int_to::<T>(b as i128),
        Kind::Str => str_to_int::<T>(&d.str_content(i)),
        _ => None,
    }
}
