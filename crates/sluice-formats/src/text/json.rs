//! Values as JSON, following ClickHouse's `output_format_json_*` settings: 64-bit
//! integers, floats and decimals bare unless asked to be quoted, `inf`/`nan` as `null`,
//! named tuples as objects, maps as objects with string keys, and the pretty layout of
//! the `JSON` format (tuples and maps one element per line, arrays of simple values
//! inline).

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float32Type, Float64Type};
use sluice_common::ChType;

use super::access::{bytes_at, dict_key, is_null_at, list_range};
use super::escape::write_json_string;
use super::value::{child_type, tuple_types, write_styled};
use super::{Style, TextContext};

fn is_composite(t: &ChType) -> bool {
    matches!(
        t.base(),
        ChType::Array(_) | ChType::Tuple(_) | ChType::Map(..)
    )
}

fn newline_indent(out: &mut Vec<u8>, level: usize) {
    out.push(b'\n');
    out.extend(std::iter::repeat_n(b'\t', level));
}

/// Writes one value as JSON. `indent` is `Some(level)` for the pretty layout of the
/// `JSON`/`JSONCompact` formats (the nesting level of the line the value starts on), or
/// `None` for the compact layout of `JSONEachRow`.
pub fn write_json(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    t: &ChType,
    ctx: &TextContext,
    indent: Option<usize>,
) {
    if is_null_at(array, row) {
        out.extend_from_slice(b"null");
        return;
    }
    if let Some(dict) = array.as_any_dictionary_opt() {
        if let Some(k) = dict_key(dict, row) {
            let inner = match t {
                ChType::LowCardinality(i) => i.as_ref(),
                t => t,
            };
            write_json(out, dict.values().as_ref(), k, inner, ctx, indent);
        }
        return;
    }
    let t = t.base();
    let o = &ctx.json;
    match array.data_type() {
        DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16 => write_styled(out, array, row, t, ctx, Style::Plain),
        DataType::UInt32 if *t == ChType::IPv4 => json_text(out, array, row, t, ctx),
        DataType::UInt32 => write_styled(out, array, row, t, ctx, Style::Plain),
        DataType::Int64 | DataType::UInt64 => {
            maybe_quoted(out, array, row, t, ctx, o.quote_64bit_integers)
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let finite = match array.data_type() {
                DataType::Float32 => array.as_primitive::<Float32Type>().value(row).is_finite(),
                DataType::Float64 => array.as_primitive::<Float64Type>().value(row).is_finite(),
                _ => true,
            };
            if finite {
                let quote = o.quote_64bit_floats && *array.data_type() == DataType::Float64;
                maybe_quoted(out, array, row, t, ctx, quote)
            } else if o.quote_denormals {
                maybe_quoted(out, array, row, t, ctx, true)
            } else {
                out.extend_from_slice(b"null")
            }
        }
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => {
            let big_int = matches!(
                t,
                ChType::Int128 | ChType::Int256 | ChType::UInt128 | ChType::UInt256
            );
            let quote = if big_int {
                o.quote_64bit_integers
            } else {
                o.quote_decimals
            };
            maybe_quoted(out, array, row, t, ctx, quote)
        }
        DataType::Null => out.extend_from_slice(b"null"),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            write_json_array(out, array, row, t, ctx, indent)
        }
        DataType::Struct(_) => write_json_tuple(out, array, row, t, ctx, indent),
        DataType::Map(..) => write_json_map(out, array, row, t, ctx, indent),
        _ => match (t, bytes_at(array, row)) {
            (ChType::Uuid | ChType::IPv6, _) | (_, None) => json_text(out, array, row, t, ctx),
            (_, Some(b)) => write_json_string(out, b, o.escape_forward_slashes),
        },
    }
}

/// The plain text of a value as a JSON string.
fn json_text(out: &mut Vec<u8>, array: &dyn Array, row: usize, t: &ChType, ctx: &TextContext) {
    let mut tmp = Vec::new();
    write_styled(&mut tmp, array, row, t, ctx, Style::Plain);
    write_json_string(out, &tmp, ctx.json.escape_forward_slashes);
}

fn maybe_quoted(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    t: &ChType,
    ctx: &TextContext,
    quote: bool,
) {
    if quote {
        out.push(b'"');
    }
    write_styled(out, array, row, t, ctx, Style::Plain);
    if quote {
        out.push(b'"');
    }
}

fn write_json_array(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    t: &ChType,
    ctx: &TextContext,
    indent: Option<usize>,
) {
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
    let multiline = indent.filter(|_| is_composite(&et) && !range.is_empty());
    out.push(b'[');
    for (n, i) in range.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        if let Some(level) = multiline {
            newline_indent(out, level + 1);
        }
        write_json(out, values, i, &et, ctx, multiline.map(|l| l + 1));
    }
    if let Some(level) = multiline {
        newline_indent(out, level);
    }
    out.push(b']');
}

fn write_json_tuple(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    t: &ChType,
    ctx: &TextContext,
    indent: Option<usize>,
) {
    let s = array.as_struct();
    let types = tuple_types(t, array);
    let named = match t {
        ChType::Tuple(e) => e.iter().all(|(n, _)| n.is_some()) && !e.is_empty(),
        _ => false,
    } && ctx.json.named_tuples_as_objects;
    let DataType::Struct(fields) = array.data_type() else {
        return;
    };
    out.push(if named { b'{' } else { b'[' });
    for (i, (col, et)) in s.columns().iter().zip(&types).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if let Some(level) = indent {
            newline_indent(out, level + 1);
        }
        if named {
            write_json_string(
                out,
                fields[i].name().as_bytes(),
                ctx.json.escape_forward_slashes,
            );
            out.push(b':');
            if indent.is_some() {
                out.push(b' ');
            }
        }
        write_json(out, col.as_ref(), row, et, ctx, indent.map(|l| l + 1));
    }
    if let (Some(level), false) = (indent, s.columns().is_empty()) {
        newline_indent(out, level);
    }
    out.push(if named { b'}' } else { b']' });
}

fn write_json_map(
    out: &mut Vec<u8>,
    array: &dyn Array,
    row: usize,
    t: &ChType,
    ctx: &TextContext,
    indent: Option<usize>,
) {
    let m = array.as_map();
    let offsets = m.value_offsets();
    let fields: Vec<_> = m.entries().fields().iter().cloned().collect();
    let [kf, vf] = fields.as_slice() else {
        return;
    };
    let (pk, pv) = match t {
        ChType::Map(k, v) => (Some(k.as_ref()), Some(v.as_ref())),
        _ => (None, None),
    };
    let kt = child_type(pk, kf);
    let vt = child_type(pv, vf);
    let (keys, values) = (m.keys(), m.values());
    let range = offsets[row] as usize..offsets[row + 1] as usize;
    let empty = range.is_empty();
    out.push(b'{');
    for (n, i) in range.enumerate() {
        if n > 0 {
            out.push(b',');
        }
        if let Some(level) = indent {
            newline_indent(out, level + 1);
        }
        let mut key = Vec::new();
        write_styled(&mut key, keys.as_ref(), i, &kt, ctx, Style::Plain);
        write_json_string(out, &key, ctx.json.escape_forward_slashes);
        out.push(b':');
        if indent.is_some() {
            out.push(b' ');
        }
        write_json(out, values.as_ref(), i, &vt, ctx, indent.map(|l| l + 1));
    }
    if let (Some(level), false) = (indent, empty) {
        newline_indent(out, level);
    }
    out.push(b'}');
}
