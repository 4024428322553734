//! Test helpers: building one-typed Arrow arrays, calling a UDF the way DataFusion does
//! (fields with ClickHouse metadata), and printing values the way ClickHouse's `toString`
//! does for the numbers these tests use.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, new_null_array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal256Type, i256};
use datafusion::common::config::ConfigOptions;
use datafusion::logical_expr::{ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF};
use sluice_common::ChType;

use super::num::u256_to_f64;
use crate::util::ch_field;

/// A column of ClickHouse type `t` holding `values` (integers; decimals get scaled; `None`
/// is NULL).
pub(crate) fn column(t: &ChType, values: &[Option<i64>]) -> ArrayRef {
    let base = t.non_nullable();
    let scale = match base {
        ChType::Decimal { scale, .. } => i32::from(scale),
        _ => 0,
    };
    if matches!(base, ChType::Nothing) {
        return new_null_array(&DataType::Null, values.len());
    }
    let raw: Vec<Option<i128>> = values
        .iter()
        .map(|v| v.map(|v| i128::from(v) * 10i128.pow(scale as u32)))
        .collect();
    match &base {
        ChType::Decimal { precision, scale } => {
            let wide: datafusion::arrow::array::Decimal256Array =
                raw.iter().map(|v| v.map(i256::from_i128)).collect();
            let wide = wide
                .with_precision_and_scale(76, *scale as i8)
                .expect("valid");
            cast(&wide, &DataType::Decimal256(*precision, *scale as i8))
                .and_then(|a| cast(&a, &base.to_arrow()))
                .expect("decimal")
        }
        ChType::Date | ChType::Date32 | ChType::DateTime(_) | ChType::DateTime64(..) => {
            let ints: ArrayRef =
                Arc::new(datafusion::arrow::array::Int64Array::from(values.to_vec()));
            let ints = if matches!(base, ChType::Date) {
                cast(&ints, &DataType::Int32).expect("int32")
            } else {
                ints
            };
            cast(&ints, &base.to_arrow()).expect("date")
        }
        ChType::String => Arc::new(datafusion::arrow::array::StringArray::from(
            values
                .iter()
                .map(|v| v.map(|v| v.to_string()))
                .collect::<Vec<_>>(),
        )),
        _ => {
            let ints = datafusion::arrow::array::Int64Array::from(values.to_vec());
            let to = if matches!(base, ChType::Bool) {
                ChType::UInt8
            } else {
                base.clone()
            };
            let r = super::num::cast_to(&ints, &ChType::Int64, &to).expect("number");
            if matches!(base, ChType::Bool) {
                cast(&r, &DataType::Boolean).expect("bool")
            } else {
                r
            }
        }
    }
}

/// Calls `udf` on `args` (column + ClickHouse type) and returns the result type and array.
pub(crate) fn call(
    udf: &ScalarUDF,
    args: &[(ArrayRef, ChType)],
) -> datafusion::common::Result<(ChType, ArrayRef)> {
    let fields: Vec<_> = args.iter().map(|(_, t)| ch_field("x", t)).collect();
    let scalars: Vec<Option<&datafusion::common::ScalarValue>> = vec![None; args.len()];
    let rf = udf.return_field_from_args(ReturnFieldArgs {
        arg_fields: &fields,
        scalar_arguments: &scalars,
    })?;
    let rows = args.first().map(|(a, _)| a.len()).unwrap_or(1);
    let out = udf.invoke_with_args(ScalarFunctionArgs {
        args: args
            .iter()
            .map(|(a, _)| ColumnarValue::Array(Arc::clone(a)))
            .collect(),
        arg_fields: fields,
        number_rows: rows,
        return_field: Arc::clone(&rf),
        config_options: Arc::new(ConfigOptions::default()),
    })?;
    Ok((ChType::from_field(&rf), out.to_array(rows)?))
}

fn trim_decimal(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn fmt_float(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{v}")
    }
}

/// Row `i` of `arr` (ClickHouse type `t`) as ClickHouse's `toString` prints it.
pub(crate) fn fmt_value(arr: &ArrayRef, i: usize, t: &ChType) -> String {
    if arr.is_null(i) || arr.data_type() == &DataType::Null {
        return "\\N".into();
    }
    let base = t.non_nullable();
    match (&base, arr.data_type()) {
        (ChType::Decimal { scale, .. }, _) => {
            let raw = match arr.data_type() {
                DataType::Decimal128(..) => i256::from_i128(
                    arr.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>()
                        .value(i),
                ),
                _ => arr.as_primitive::<Decimal256Type>().value(i),
            };
            let neg = raw < i256::ZERO;
            let digits = raw.wrapping_abs().to_string();
            let s = *scale as usize;
            let padded = format!("{digits:0>width$}", width = s + 1);
            let (int, frac) = padded.split_at(padded.len() - s);
            let body = trim_decimal(format!("{int}.{frac}"));
            if neg { format!("-{body}") } else { body }
        }
        (ChType::UInt128 | ChType::UInt256, _) => {
            let v = arr.as_primitive::<Decimal256Type>().value(i);
            if v < i256::ZERO {
                format!("{}", u256_to_f64(v))
            } else {
                v.to_string()
            }
        }
        (ChType::Int128 | ChType::Int256, _) => {
            arr.as_primitive::<Decimal256Type>().value(i).to_string()
        }
        (ChType::UInt8, DataType::Boolean) => {
            if arr.as_boolean().value(i) {
                "1".into()
            } else {
                "0".into()
            }
        }
        (_, DataType::Float64) => fmt_float(
            arr.as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                .value(i),
        ),
        (_, DataType::Float32) => fmt_float(f64::from(
            arr.as_primitive::<datafusion::arrow::datatypes::Float32Type>()
                .value(i),
        )),
        _ => {
            let s = cast(&arr.slice(i, 1), &DataType::Utf8).expect("to string");
            s.as_string::<i32>().value(0).to_string()
        }
    }
}

/// Unescapes `\'` in oracle TSV type names.
pub(crate) fn unescape(s: &str) -> String {
    s.replace("\\'", "'")
}

/// A one-row column of type `t` from a literal: `NULL`, a float (`2.5`, `nan`, `-inf`) for
/// float types, a decimal literal (`-2.77`) for decimals, an integer otherwise.
pub(crate) fn lit_column(t: &ChType, s: &str) -> ArrayRef {
    if s == "NULL" {
        return column(t, &[None]);
    }
    match t.non_nullable() {
        ChType::Float64 => Arc::new(datafusion::arrow::array::Float64Array::from(vec![
            s.parse::<f64>().expect("float"),
        ])),
        ChType::Float32 => Arc::new(datafusion::arrow::array::Float32Array::from(vec![
            s.parse::<f32>().expect("float"),
        ])),
        ChType::Decimal { precision, scale } => {
            let (int, frac) = s.split_once('.').unwrap_or((s, ""));
            let frac = format!("{frac:0<width$}", width = scale as usize);
            let raw: i128 = format!("{int}{frac}").parse().expect("decimal");
            let wide = datafusion::arrow::array::Decimal256Array::from(vec![i256::from_i128(raw)])
                .with_precision_and_scale(76, scale as i8)
                .expect("valid");
            cast(&wide, &DataType::Decimal256(precision, scale as i8))
                .and_then(|a| cast(&a, &t.non_nullable().to_arrow()))
                .expect("decimal")
        }
        _ => column(t, &[Some(s.parse::<i64>().expect("int"))]),
    }
}
