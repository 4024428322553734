//! Table functions: `numbers`, `numbers_mt`, `zeros`, `values`, `file`.

mod file;
mod infer;
mod named;
mod numbers;
mod values;

use std::sync::Arc;

use datafusion::catalog::TableFunctionImpl;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::Expr;
use sluice_common::{Error, ErrorCode};

/// All table functions with their names.
pub fn table_functions() -> Vec<(String, Arc<dyn TableFunctionImpl>)> {
    let mut out: Vec<(String, Arc<dyn TableFunctionImpl>)> = vec![
        ("values".into(), Arc::new(values::ValuesFunc)),
        ("file".into(), Arc::new(file::FileFunc)),
    ];
    for &name in WITH_TABLE_VIRTUALS {
        let numbers: Arc<dyn TableFunctionImpl> = Arc::new(numbers::NumbersFunc {
            zeros: name.starts_with("zeros"),
        });
        // Under `name` + VIRTUALS_SUFFIX (what a query reading `_table`/`_database` is
        // rewritten to call), the provider has them.
        out.push((
            format!("{name}{}", crate::df_catalog::VIRTUALS_SUFFIX),
            Arc::new(named::Named {
                name,
                inner: Arc::clone(&numbers),
            }),
        ));
        out.push((name.to_string(), numbers));
    }
    out
}

/// The table functions whose rows have ClickHouse's `_table` and `_database` virtual
/// columns (the function's name, `_table_function`).
pub const WITH_TABLE_VIRTUALS: &[&str] = &["numbers", "numbers_mt", "zeros", "zeros_mt"];

pub(crate) fn ch(code: ErrorCode, msg: impl Into<String>) -> DataFusionError {
    DataFusionError::External(Box::new(Error::new(code, msg)))
}

/// A constant argument as a scalar value (literals, casts of literals, negations).
pub(crate) fn const_arg(e: &Expr) -> DfResult<ScalarValue> {
    match e {
        Expr::Literal(v, _) => Ok(v.clone()),
        Expr::Cast(c) => const_arg(&c.expr),
        Expr::Alias(a) => const_arg(&a.expr),
        Expr::Negative(inner) => match const_arg(inner)? {
            ScalarValue::Int64(Some(v)) => Ok(ScalarValue::Int64(Some(-v))),
            ScalarValue::Float64(Some(v)) => Ok(ScalarValue::Float64(Some(-v))),
            other => Err(ch(
                ErrorCode::BAD_ARGUMENTS,
                format!("Cannot negate table function argument {other}"),
            )),
        },
        other => Err(ch(
            ErrorCode::BAD_ARGUMENTS,
            format!("Table function argument must be a constant, got {other}"),
        )),
    }
}

pub(crate) fn const_u64(e: &Expr) -> DfResult<u64> {
    match const_arg(e)? {
        ScalarValue::Int64(Some(v)) if v >= 0 => Ok(v as u64),
        ScalarValue::UInt64(Some(v)) => Ok(v),
        ScalarValue::Int32(Some(v)) if v >= 0 => Ok(v as u64),
        ScalarValue::UInt8(Some(v)) => Ok(v as u64),
        ScalarValue::UInt16(Some(v)) => Ok(v as u64),
        ScalarValue::UInt32(Some(v)) => Ok(v as u64),
        other => Err(ch(
            ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
            format!("Illegal type of argument: expected an unsigned integer, got {other}"),
        )),
    }
}
