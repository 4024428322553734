//! ClickHouse TSV rendering of result values, for comparing with oracle output.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::array_value_to_string;
use sluice_common::ChType;

/// Hex (upper case) of a Binary value.
pub fn binary_hex(a: &ArrayRef, row: usize) -> String {
    match a.data_type() {
        DataType::Binary => a
            .as_binary::<i32>()
            .value(row)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect(),
        _ => format!("<not binary: {}>", a.data_type()),
    }
}

fn escape(s: &str, quoted: bool) -> String {
    let mut out = String::new();
    if quoted {
        out.push('\'');
    }
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\\' => out.push_str("\\\\"),
            '\'' if quoted => out.push_str("\\'"),
            c => out.push(c),
        }
    }
    if quoted {
        out.push('\'');
    }
    out
}

fn float(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{v}")
    }
}

/// The value as ClickHouse's TSV prints it (`quoted` inside arrays/tuples).
pub fn value(a: &ArrayRef, row: usize, t: &ChType, quoted: bool) -> String {
    if a.is_null(row) {
        return if quoted { "NULL".into() } else { "\\N".into() };
    }
    match (t.base(), a.data_type()) {
        (_, DataType::Float64) => float(
            a.as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .value(row),
        ),
        (_, DataType::Float32) => {
            let v = a
                .as_primitive::<datafusion::arrow::datatypes::Float32Type>()
                .value(row);
            if v.is_finite() {
                format!("{v}")
            } else {
                float(f64::from(v))
            }
        }
        (ChType::String, _) => escape(&array_value_to_string(a, row).unwrap_or_default(), quoted),
        (ChType::Array(item), DataType::List(_)) => {
            let l = a.as_list::<i32>();
            let vals = l.value(row);
            let parts: Vec<String> = (0..vals.len())
                .map(|i| value(&vals, i, item, true))
                .collect();
            format!("[{}]", parts.join(","))
        }
        (ChType::Tuple(elems), DataType::Struct(_)) => {
            let s = a.as_struct();
            let parts: Vec<String> = elems
                .iter()
                .enumerate()
                .map(|(i, (_, et))| value(s.column(i), row, et, true))
                .collect();
            format!("({})", parts.join(","))
        }
        (ChType::Decimal { .. }, _) => {
            let s = array_value_to_string(a, row).unwrap_or_default();
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        }
        (ChType::Date | ChType::Date32 | ChType::DateTime(_), _) => {
            let s = array_value_to_string(a, row)
                .unwrap_or_default()
                .replace('T', " ");
            if quoted { format!("'{s}'") } else { s }
        }
        _ => array_value_to_string(a, row).unwrap_or_default(),
    }
}

/// The TSV cell of `a[row]`.
pub fn tsv(a: &ArrayRef, row: usize, t: &ChType) -> String {
    value(a, row, t, false)
}
