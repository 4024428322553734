//! The value writer behind every text format: one Arrow value in one of ClickHouse's
//! text styles (plain, TSV-escaped, CSV, quoted). JSON lives in [`super::json`].

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type,
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use chrono_tz::Tz;
use sluice_common::ChType;

use super::access::{bytes_at, dict_key, is_null_at, list_range};
use super::datetime::{write_date, write_datetime};
use super::escape::{write_csv_quoted, write_quoted, write_tsv_escaped};
use super::ids::{write_ipv4, write_ipv6, write_uuid};
use super::number::{write_decimal128, write_decimal256, write_f32, write_f64, write_int};
use super::{Style, TextContext};

fn null_text(style: Style) -> &'static [u8] {
    match style {
        Style::Plain | Style::Quoted => b"NULL",
        Style::Tsv | Style::Csv => b"\\N",
    }
}

/// Writes a user string in `style`.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &[u8], style: Style) {
    match style {
        Style::Plain => out.extend_from_slice(s),
        Style::Tsv => write_tsv_escaped(out, s),
        Style::Csv => write_csv_quoted(out, s),
        Style::Quoted => write_quoted(out, s),
    }
}

/// Writes a value whose text never needs escaping (dates, UUIDs, addresses), in quotes
/// where `style` quotes strings.
fn wrap(out: &mut Vec<u8>, style: Style, f: impl FnOnce(&mut Vec<u8>)) {
    let q = match style {
        Style::Csv => Some(b'"'),
        Style::Quoted => Some(b'\''),
        Style::Plain | Style::Tsv => None,
    };
    if let Some(q) = q {
        out.push(q);
    }
    f(out);
    if let Some(q) = q {
        out.push(q);
    }
}

/// The time zone of a `DateTime` value: the type's, else the Arrow column's, else the
/// session's.
pub(crate) fn timezone_of(t: &ChType, dt: &DataType, ctx: &TextContext) -> Tz {
    let name = match t {
        ChType::DateTime(Some(tz)) | ChType::DateTime64(_, Some(tz)) => Some(tz.as_str()),
        _ => match dt {
            DataType::Timestamp(_, Some(tz)) => Some(tz.as_ref()),
            _ => None,
        },
    };
    name.and_then(|n| n.parse::<Tz>().ok())
        .unwrap_or(ctx.timezone)
}

/// Writes the timestamp at `row` (any `Timestamp` unit) with the precision of `t`.
pub(crate) fn write_timestamp(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    t: &ChType,
    ctx: &TextContext,
) {
    let DataType::Timestamp(unit, _) = array.data_type() else {
        return;
    };
    let (v, per_sec, unit_p) = match unit {
        TimeUnit::Second => (array.as_primitive::<TimestampSecondType>().value(row), 1, 0),
        TimeUnit::Millisecond => (
            array.as_primitive::<TimestampMillisecondType>().value(row),
            1_000,
            3,
        ),
        TimeUnit::Microsecond => (
            array.as_primitive::<TimestampMicrosecondType>().value(row),
            1_000_000,
            6,
        ),
        TimeUnit::Nanosecond => (
            array.as_primitive::<TimestampNanosecondType>().value(row),
            1_000_000_000,
            9,
        ),
    };
    let precision = match t {
        ChType::DateTime(_) => 0,
        ChType::DateTime64(p, _) => *p,
        _ => unit_p,
    };
    let tz = timezone_of(t, array.data_type(), ctx);
    write_datetime(out, v, per_sec, precision, &tz, ctx.date_time_output_format);
}

/// The ClickHouse type of a child column: taken from the parent's type when it fits,
/// otherwise derived from the Arrow field.
pub(crate) fn child_type<'a>(
    from_parent: Option<&'a ChType>,
    field: &arrow::datatypes::Field,
) -> std::borrow::Cow<'a, ChType> {
    match from_parent {
        Some(t) if t.to_arrow() == *field.data_type() => std::borrow::Cow::Borrowed(t),
        _ => std::borrow::Cow::Owned(ChType::from_field(field)),
    }
}

/// Writes one value in `style`; see [`super::write_value`].
pub(crate) fn write_styled(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    t: &ChType,
    ctx: &TextContext,
    style: Style,
) {
    if is_null_at(array, row) {
        out.extend_from_slice(null_text(style));
        return;
    }
    if let Some(dict) = array.as_any_dictionary_opt() {
        if let Some(k) = dict_key(dict, row) {
            let inner = match t {
                ChType::LowCardinality(i) => i.as_ref(),
                t => t,
            };
            write_styled(out, dict.values().as_ref(), k, inner, ctx, style);
        }
        return;
    }
    let t = t.base();
    let dt = array.data_type();
    match (t, dt) {
        (ChType::Bool, DataType::Boolean) => {
            let v = array.as_boolean().value(row);
            out.extend_from_slice(if v { b"true" } else { b"false" });
            return;
        }
        (ChType::Bool, DataType::UInt8) => {
            let v = array.as_primitive::<UInt8Type>().value(row);
            out.extend_from_slice(if v != 0 { b"true" } else { b"false" });
            return;
        }
        (ChType::IPv4, DataType::UInt32) => {
            let v = array.as_primitive::<UInt32Type>().value(row);
            wrap(out, style, |o| write_ipv4(o, v));
            return;
        }
        (ChType::IPv6, DataType::FixedSizeBinary(16)) => {
            let b = array.as_fixed_size_binary().value(row);
            wrap(out, style, |o| write_ipv6(o, b));
            return;
        }
        (ChType::Uuid, DataType::FixedSizeBinary(16)) => {
            let b = array.as_fixed_size_binary().value(row);
            wrap(out, style, |o| write_uuid(o, b));
            return;
        }
        _ => {}
    }
    match dt {
        DataType::Null => out.extend_from_slice(null_text(style)),
        DataType::Boolean => out.push(if array.as_boolean().value(row) {
            b'1'
        } else {
            b'0'
        }),
        DataType::Int8 => write_int(out, array.as_primitive::<Int8Type>().value(row)),
        DataType::Int16 => write_int(out, array.as_primitive::<Int16Type>().value(row)),
        DataType::Int32 => write_int(out, array.as_primitive::<Int32Type>().value(row)),
        DataType::Int64 => write_int(out, array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt8 => write_int(out, array.as_primitive::<UInt8Type>().value(row)),
        DataType::UInt16 => write_int(out, array.as_primitive::<UInt16Type>().value(row)),
        DataType::UInt32 => write_int(out, array.as_primitive::<UInt32Type>().value(row)),
        DataType::UInt64 => write_int(out, array.as_primitive::<UInt64Type>().value(row)),
        DataType::Float16 => {
            write_f32(out, array.as_primitive::<Float16Type>().value(row).to_f32())
        }
        DataType::Float32 => write_f32(out, array.as_primitive::<Float32Type>().value(row)),
        DataType::Float64 => write_f64(out, array.as_primitive::<Float64Type>().value(row)),
        DataType::Decimal32(_, s) => {
            let v = array.as_primitive::<Decimal32Type>().value(row);
            write_decimal128(out, v.into(), *s, ctx.decimal_trailing_zeros)
        }
        DataType::Decimal64(_, s) => {
            let v = array.as_primitive::<Decimal64Type>().value(row);
            write_decimal128(out, v.into(), *s, ctx.decimal_trailing_zeros)
        }
        DataType::Decimal128(_, s) => {
            let v = array.as_primitive::<Decimal128Type>().value(row);
            write_decimal128(out, v, *s, ctx.decimal_trailing_zeros)
        }
        DataType::Decimal256(_, s) => {
            let v = array.as_primitive::<Decimal256Type>().value(row);
            write_decimal256(out, v, *s, ctx.decimal_trailing_zeros)
        }
        DataType::Date32 => {
            let d = array.as_primitive::<Date32Type>().value(row);
            wrap(out, style, |o| write_date(o, d.into()))
        }
        DataType::Date64 => {
            let ms = array.as_primitive::<Date64Type>().value(row);
            wrap(out, style, |o| write_date(o, ms.div_euclid(86_400_000)))
        }
        DataType::Timestamp(..) => wrap(out, style, |o| write_timestamp(o, array, row, t, ctx)),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            composite(out, style, |o| write_array(o, array, row, t, ctx))
        }
        DataType::Map(..) => composite(out, style, |o| write_map(o, array, row, t, ctx)),
        DataType::Struct(_) => {
            if style == Style::Csv {
                write_tuple_csv(out, array, row, t, ctx)
            } else {
                write_tuple(out, array, row, t, ctx)
            }
        }
        _ => match bytes_at(array, row) {
            Some(b) => write_str(out, b, style),
            None => write_fallback(out, array, row, style),
        },
    }
}

/// Arrays and maps: their text form, which in CSV becomes one quoted field.
fn composite(out: &mut Vec<u8>, style: Style, f: impl FnOnce(&mut Vec<u8>)) {
    if style == Style::Csv {
        let mut tmp = Vec::new();
        f(&mut tmp);
        write_csv_quoted(out, &tmp);
    } else {
        f(out);
    }
}

fn write_fallback(out: &mut Vec<u8>, array: &dyn Array, row: usize, style: Style) {
    let opts = arrow::util::display::FormatOptions::default();
    let text = arrow::util::display::ArrayFormatter::try_new(array, &opts)
        .map(|f| f.value(row).to_string())
        .unwrap_or_default();
    write_str(out, text.as_bytes(), style);
}

fn write_array(out: &mut Vec<u8>, array: &dyn Array, row: usize, t: &ChType, ctx: &TextContext) {
    let Some((range, values)) = list_range(array, row) else {
        return;
    };
    let field = match array.data_type() {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => f,
        _ => return,
    };
    let parent = match t {
        ChType::Array(i) => Some(i.as_ref()),
        _ => None,
    };
    let et = child_type(parent, field);
    out.push(b'[');
    for (n, i) in range.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_styled(out, values, i, &et, ctx, Style::Quoted);
    }
    out.push(b']');
}

fn write_map(out: &mut Vec<u8>, array: &dyn Array, row: usize, t: &ChType, ctx: &TextContext) {
    let m = array.as_map();
    let o = m.value_offsets();
    let fields = m.entries().fields();
    if fields.len() != 2 {
        return;
    }
    let (kf, vf) = (&fields[0], &fields[1]);
    let (pk, pv) = match t {
        ChType::Map(k, v) => (Some(k.as_ref()), Some(v.as_ref())),
        _ => (None, None),
    };
    let kt = child_type(pk, kf);
    let vt = child_type(pv, vf);
    let (keys, values) = (m.keys(), m.values());
    out.push(b'{');
    for (n, i) in (o[row] as usize..o[row + 1] as usize).enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_styled(out, keys.as_ref(), i, &kt, ctx, Style::Quoted);
        out.push(b':');
        write_styled(out, values.as_ref(), i, &vt, ctx, Style::Quoted);
    }
    out.push(b'}');
}

/// Element types of a tuple value, from the ClickHouse type when it matches.
pub(crate) fn tuple_types<'a>(
    t: &'a ChType,
    array: &dyn Array,
) -> Vec<std::borrow::Cow<'a, ChType>> {
    let DataType::Struct(fields) = array.data_type() else {
        return Vec::new();
    };
    let elems = match t {
        ChType::Tuple(e) if e.len() == fields.len() => Some(e),
        _ => None,
    };
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| child_type(elems.map(|e| &e[i].1), f))
        .collect()
}

fn write_tuple(out: &mut Vec<u8>, array: &dyn Array, row: usize, t: &ChType, ctx: &TextContext) {
    let s = array.as_struct();
    let types = tuple_types(t, array);
    out.push(b'(');
    for (i, (col, et)) in s.columns().iter().zip(&types).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_styled(out, col.as_ref(), row, et, ctx, Style::Quoted);
    }
    out.push(b')');
}

/// A tuple in CSV is written as separate fields
/// (`output_format_csv_serialize_tuple_into_separate_columns`).
fn write_tuple_csv(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    t: &ChType,
    ctx: &TextContext,
) {
    let s = array.as_struct();
    let types = tuple_types(t, array);
    for (i, (col, et)) in s.columns().iter().zip(&types).enumerate() {
        if i > 0 {
            out.push(ctx.csv_delimiter);
        }
        write_styled(out, col.as_ref(), row, et, ctx, Style::Csv);
    }
}
