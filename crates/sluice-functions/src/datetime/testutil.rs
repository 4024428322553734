//! Test helper: calls a date/time or conversion UDF the way DataFusion does (plan-time
//! `return_field_from_args`, then `invoke_with_args`) and renders the result as ClickHouse
//! TSV text, so tests compare against the oracle's output directly.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::common::ScalarValue;
use datafusion::common::config::ConfigOptions;
use datafusion::logical_expr::{ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF};
use sluice_common::{ChType, ErrorCode};
use sluice_formats::text::{TextContext, write_tsv};

/// One argument: a constant or a column, with its ClickHouse type.
pub enum Arg {
    /// A constant.
    Const(ChType, ScalarValue),
    /// A column.
    Col(ChType, ArrayRef),
}

/// A `String` constant.
pub fn s(v: &str) -> Arg {
    Arg::Const(ChType::String, ScalarValue::Utf8(Some(v.to_string())))
}

/// An integer constant typed as ClickHouse would type the literal.
pub fn i(v: i64) -> Arg {
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
    Arg::Const(t, sv)
}

/// A `Float64` constant.
pub fn f(v: f64) -> Arg {
    Arg::Const(ChType::Float64, ScalarValue::Float64(Some(v)))
}

/// `NULL`.
pub fn null() -> Arg {
    Arg::Const(
        ChType::Nullable(Box::new(ChType::Nothing)),
        ScalarValue::Null,
    )
}

fn find(name: &str) -> ScalarUDF {
    let all: Vec<ScalarUDF> = crate::conversion::functions()
        .into_iter()
        .chain(crate::datetime::functions())
        .collect();
    match all
        .into_iter()
        .find(|u| u.name() == name || u.aliases().iter().any(|a| a == name))
    {
        Some(u) => u,
        None => panic!("no function {name}"),
    }
}

fn code_of(e: &datafusion::error::DataFusionError) -> ErrorCode {
    match e {
        datafusion::error::DataFusionError::External(b) => {
            match b.downcast_ref::<sluice_common::Error>() {
                Some(x) => x.code,
                None => ErrorCode::LOGICAL_ERROR,
            }
        }
        datafusion::error::DataFusionError::Context(_, inner) => code_of(inner),
        _ => ErrorCode::LOGICAL_ERROR,
    }
}

/// Calls `name(args)` in session zone `tz`; returns the result's type name and rows as TSV.
pub fn call_tz(name: &str, args: Vec<Arg>, tz: &str) -> Result<(String, Vec<String>), ErrorCode> {
    let udf = find(name);
    let mut fields = Vec::new();
    let mut scalars: Vec<Option<ScalarValue>> = Vec::new();
    let mut values = Vec::new();
    let mut rows = 1;
    for a in &args {
        match a {
            Arg::Const(t, v) => {
                let mut fld = t.to_field("a");
                if matches!(v, ScalarValue::Null) {
                    fld = datafusion::arrow::datatypes::Field::new(
                        "a",
                        datafusion::arrow::datatypes::DataType::Null,
                        true,
                    );
                }
                fields.push(Arc::new(fld));
                scalars.push(Some(v.clone()));
                values.push(ColumnarValue::Scalar(v.clone()));
            }
            Arg::Col(t, arr) => {
                fields.push(Arc::new(t.to_field("a")));
                scalars.push(None);
                rows = arr.len();
                values.push(ColumnarValue::Array(Arc::clone(arr)));
            }
        }
    }
    let refs: Vec<Option<&ScalarValue>> = scalars.iter().map(|s| s.as_ref()).collect();
    let ret = udf
        .return_field_from_args(ReturnFieldArgs {
            arg_fields: &fields,
            scalar_arguments: &refs,
        })
        .map_err(|e| code_of(&e))?;
    let mut cfg = ConfigOptions::default();
    cfg.execution.time_zone = Some(tz.to_string());
    let out = udf
        .invoke_with_args(ScalarFunctionArgs {
            args: values,
            arg_fields: fields,
            number_rows: rows,
            return_field: Arc::clone(&ret),
            config_options: Arc::new(cfg),
        })
        .map_err(|e| code_of(&e))?;
    let arr = out.to_array(rows).map_err(|e| code_of(&e))?;
    let t = ChType::from_field(&ret);
    assert_eq!(
        arr.data_type(),
        ret.data_type(),
        "{name}: array type differs from the declared field"
    );
    if !ret.is_nullable() {
        assert_eq!(arr.null_count(), 0, "{name}: NULL in a non-Nullable result");
    }
    let ctx = TextContext {
        timezone: tz.parse().unwrap_or(chrono_tz::Tz::UTC),
        ..TextContext::default()
    };
    let mut rendered = Vec::new();
    for r in 0..arr.len() {
        let mut buf = Vec::new();
        write_tsv(&mut buf, arr.as_ref(), r, &t, &ctx);
        rendered.push(String::from_utf8_lossy(&buf).into_owned());
    }
    Ok((t.to_string(), rendered))
}

/// [`call_tz`] in UTC.
pub fn call(name: &str, args: Vec<Arg>) -> Result<(String, Vec<String>), ErrorCode> {
    call_tz(name, args, "UTC")
}

/// The single rendered value of a constant call (panics with the error code otherwise).
pub fn one(name: &str, args: Vec<Arg>) -> String {
    match call(name, args) {
        Ok((_, v)) => v.into_iter().next().unwrap_or_default(),
        Err(c) => panic!("{name} failed with {c:?}"),
    }
}

/// The type name of a call's result.
pub fn type_of(name: &str, args: Vec<Arg>) -> String {
    match call(name, args) {
        Ok((t, _)) => t,
        Err(c) => panic!("{name} failed with {c:?}"),
    }
}

/// The error code of a call that must fail.
pub fn err(name: &str, args: Vec<Arg>) -> ErrorCode {
    match call(name, args) {
        Ok(v) => panic!("{name} unexpectedly returned {v:?}"),
        Err(c) => c,
    }
}

/// A constant of ClickHouse type `t` made by `_CAST(text, t)`.
pub fn typed(text: &str, t: &str) -> Arg {
    let ct = ChType::parse(t).unwrap_or(ChType::String);
    let udf = find("_CAST");
    let fields = vec![
        Arc::new(ChType::String.to_field("a")),
        Arc::new(ChType::String.to_field("b")),
    ];
    let sv = [
        ScalarValue::Utf8(Some(text.to_string())),
        ScalarValue::Utf8(Some(t.to_string())),
    ];
    let refs: Vec<Option<&ScalarValue>> = sv.iter().map(Some).collect();
    let ret = match udf.return_field_from_args(ReturnFieldArgs {
        arg_fields: &fields,
        scalar_arguments: &refs,
    }) {
        Ok(r) => r,
        Err(e) => panic!("cannot type {t}: {e}"),
    };
    let mut cfg = ConfigOptions::default();
    cfg.execution.time_zone = Some("UTC".into());
    let out = udf.invoke_with_args(ScalarFunctionArgs {
        args: sv.iter().cloned().map(ColumnarValue::Scalar).collect(),
        arg_fields: fields,
        number_rows: 1,
        return_field: ret,
        config_options: Arc::new(cfg),
    });
    match out {
        Ok(ColumnarValue::Scalar(v)) => Arg::Const(ct, v),
        Ok(ColumnarValue::Array(a)) => Arg::Col(ct, a),
        Err(e) => panic!("cannot make {text} as {t}: {e}"),
    }
}

/// A column of ClickHouse type `t` from texts (`None` = NULL).
pub fn column(t: &str, texts: &[Option<&str>]) -> Arg {
    let ct = ChType::parse(t).unwrap_or(ChType::String);
    let strings: ArrayRef = Arc::new(datafusion::arrow::array::StringArray::from(texts.to_vec()));
    let opts = crate::conversion::cast::CastOptions {
        session: super::tz::Zone::Utc,
        accurate: false,
        on_error: crate::conversion::cast::OnError::Throw,
        zone: None,
    };
    match crate::conversion::cast::cast_array(
        &strings,
        &ChType::Nullable(Box::new(ChType::String)),
        &ct,
        &opts,
    ) {
        Ok(a) => Arg::Col(ct, a),
        Err(e) => panic!("cannot build column {t}: {e}"),
    }
}
