//! Test harness for the string, array and hash families: builds typed constants and
//! columns, calls UDFs the way DataFusion does (return field first, then invoke) and renders
//! results as ClickHouse text, so expectations can be pasted from the oracle's TSV output.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::FieldRef;
use datafusion::common::ScalarValue;
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::{ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF};
use sluice_common::ChType;

/// An expression: a typed constant, a typed column, or a call.
pub(crate) enum E {
    Lit(ChType, ScalarValue),
    Col(ChType, ArrayRef),
    Call(&'static str, Vec<E>),
}

/// A `String` constant.
pub(crate) fn s(v: &str) -> E {
    E::Lit(ChType::String, ScalarValue::Utf8(Some(v.to_string())))
}

/// A constant typed as ClickHouse types the literal (`1` → UInt8, `-1` → Int8, …).
pub(crate) fn n(v: i64) -> E {
    let (t, sv) = if v >= 0 {
        if v <= u8::MAX as i64 {
            (ChType::UInt8, ScalarValue::UInt8(Some(v as u8)))
        } else if v <= u16::MAX as i64 {
            (ChType::UInt16, ScalarValue::UInt16(Some(v as u16)))
        } else if v <= u32::MAX as i64 {
            (ChType::UInt32, ScalarValue::UInt32(Some(v as u32)))
        } else {
            (ChType::UInt64, ScalarValue::UInt64(Some(v as u64)))
        }
    } else if v >= i8::MIN as i64 {
        (ChType::Int8, ScalarValue::Int8(Some(v as i8)))
    } else if v >= i16::MIN as i64 {
        (ChType::Int16, ScalarValue::Int16(Some(v as i16)))
    } else if v >= i32::MIN as i64 {
        (ChType::Int32, ScalarValue::Int32(Some(v as i32)))
    } else {
        (ChType::Int64, ScalarValue::Int64(Some(v)))
    };
    E::Lit(t, sv)
}

/// A Float64 constant.
pub(crate) fn f(v: f64) -> E {
    E::Lit(ChType::Float64, ScalarValue::Float64(Some(v)))
}

/// The `NULL` literal (`Nullable(Nothing)`).
pub(crate) fn null() -> E {
    E::Lit(
        ChType::Nullable(Box::new(ChType::Nothing)),
        ScalarValue::Null,
    )
}

/// A call.
pub(crate) fn call(name: &'static str, args: Vec<E>) -> E {
    E::Call(name, args)
}

/// A constant of an explicit type from a scalar.
pub(crate) fn typed(t: &str, v: ScalarValue) -> E {
    E::Lit(ChType::parse(t).unwrap_or(ChType::Nothing), v)
}

fn registry() -> Vec<ScalarUDF> {
    let mut v = super::functions();
    v.extend(crate::array::functions());
    v.extend(crate::hash::functions());
    v
}

/// Finds a function as the engine is expected to: exact name first, then the lower-case
/// spelling (ClickHouse's case-insensitive functions register it as an alias).
fn find(name: &str) -> Option<ScalarUDF> {
    let all = registry();
    let hit = |n: &str| {
        all.iter()
            .find(|u| u.name() == n || u.aliases().iter().any(|a| a == n))
            .cloned()
    };
    hit(name).or_else(|| hit(&name.to_ascii_lowercase()))
}

/// Evaluates `e` over `rows` rows: its field and value.
pub(crate) fn eval(e: &E, rows: usize) -> Result<(FieldRef, ColumnarValue), String> {
    match e {
        E::Lit(t, v) => {
            let f: FieldRef = Arc::new(t.to_field("lit"));
            let v = if *v == ScalarValue::Null
                && *f.data_type() != datafusion::arrow::datatypes::DataType::Null
            {
                ScalarValue::try_from(f.data_type()).map_err(|e| e.to_string())?
            } else {
                v.clone()
            };
            Ok((f, ColumnarValue::Scalar(v)))
        }
        E::Col(t, a) => Ok((
            Arc::new(t.to_field("col")),
            ColumnarValue::Array(Arc::clone(a)),
        )),
        E::Call(name, args) => {
            let udf = find(name).ok_or_else(|| format!("no function {name}"))?;
            let mut fields = Vec::new();
            let mut vals = Vec::new();
            for a in args {
                let (f, v) = eval(a, rows)?;
                fields.push(f);
                vals.push(v);
            }
            let scalars: Vec<Option<&ScalarValue>> = vals
                .iter()
                .map(|v| match v {
                    ColumnarValue::Scalar(s) => Some(s),
                    ColumnarValue::Array(_) => None,
                })
                .collect();
            let rf = udf
                .return_field_from_args(ReturnFieldArgs {
                    arg_fields: &fields,
                    scalar_arguments: &scalars,
                })
                .map_err(err_text)?;
            let out = udf
                .invoke_with_args(ScalarFunctionArgs {
                    args: vals,
                    arg_fields: fields,
                    number_rows: rows,
                    return_field: Arc::clone(&rf),
                    config_options: Arc::new(ConfigOptions::default()),
                })
                .map_err(err_text)?;
            let dt = match &out {
                ColumnarValue::Array(a) => a.data_type().clone(),
                ColumnarValue::Scalar(s) => s.data_type(),
            };
            if dt != *rf.data_type() {
                return Err(format!(
                    "{name}: produced {dt} but declared {}",
                    rf.data_type()
                ));
            }
            Ok((rf, out))
        }
    }
}

pub(crate) fn err_text(e: datafusion::error::DataFusionError) -> String {
    match e.find_root() {
        datafusion::error::DataFusionError::External(x) => {
            match x.downcast_ref::<sluice_common::Error>() {
                Some(ce) => ce.to_clickhouse_string(),
                None => x.to_string(),
            }
        }
        other => other.to_string(),
    }
}

/// Renders row values as the oracle prints them in TSV (strings escaped, NULL as `\N`).
pub(crate) fn render(f: &FieldRef, v: &ColumnarValue, rows: usize) -> Vec<String> {
    let arr = match v.to_array(rows) {
        Ok(a) => a,
        Err(e) => return vec![format!("error: {e}")],
    };
    let t = ChType::from_field(f);
    let ctx = sluice_formats::text::TextContext::default();
    (0..arr.len())
        .map(|i| {
            let mut o = Vec::new();
            sluice_formats::text::write_tsv(&mut o, arr.as_ref(), i, &t, &ctx);
            let mut s = String::new();
            for chunk in o.utf8_chunks() {
                s.push_str(chunk.valid());
                for x in chunk.invalid() {
                    s.push_str(&format!("<{x:02X}>"));
                }
            }
            s
        })
        .collect()
}

/// `(toTypeName(e), value)` of a constant expression, or the ClickHouse error text.
pub(crate) fn one(e: E) -> String {
    match eval(&e, 1) {
        Ok((f, v)) => {
            let t = ChType::from_field(&f).to_string();
            format!("{t}\t{}", render(&f, &v, 1).join(","))
        }
        Err(e) => e,
    }
}

/// The values of `e` over `rows` rows, one per line.
pub(crate) fn rows(e: E, rows: usize) -> String {
    match eval(&e, rows) {
        Ok((f, v)) => render(&f, &v, rows).join("\n"),
        Err(e) => e,
    }
}

/// A column of an explicit type from Arrow data (cast to the type's exact Arrow form).
pub(crate) fn col(t: &str, a: ArrayRef) -> E {
    let ct = ChType::parse(t).unwrap_or(ChType::Nothing);
    let a = crate::array::lists::cast_col(&a, &ct).unwrap_or(a);
    E::Col(ct, a)
}

/// Asserts `one(e)` starts with the error code `Code: N.`.
#[track_caller]
pub(crate) fn assert_code(e: E, code: i32) {
    let r = one(e);
    assert!(
        r.starts_with(&format!("Code: {code}.")),
        "expected code {code}, got {r}"
    );
}
