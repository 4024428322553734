//! Argument plumbing shared by the date/time and conversion UDFs: a permissive signature
//! (ClickHouse checks types itself), constant arguments at plan time, turning arguments into
//! arrays and results back into scalars when every input was constant.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, Signature, TypeSignature, Volatility,
};
use sluice_common::ChType;

use crate::ch_bail;
use crate::util::arg_type;

/// Any number of arguments of any type, including none.
pub fn any_signature(volatility: Volatility) -> Signature {
    Signature::one_of(
        vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
        volatility,
    )
}

/// The text of a string scalar.
pub fn scalar_str(v: &ScalarValue) -> Option<String> {
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s.clone()),
        ScalarValue::Binary(Some(b))
        | ScalarValue::LargeBinary(Some(b))
        | ScalarValue::BinaryView(Some(b)) => Some(String::from_utf8_lossy(b).into_owned()),
        ScalarValue::Dictionary(_, v) => scalar_str(v),
        _ => None,
    }
}

/// The value of an integer scalar.
pub fn scalar_int(v: &ScalarValue) -> Option<i64> {
    Some(match v {
        ScalarValue::Int8(Some(x)) => *x as i64,
        ScalarValue::Int16(Some(x)) => *x as i64,
        ScalarValue::Int32(Some(x)) => *x as i64,
        ScalarValue::Int64(Some(x)) => *x,
        ScalarValue::UInt8(Some(x)) => *x as i64,
        ScalarValue::UInt16(Some(x)) => *x as i64,
        ScalarValue::UInt32(Some(x)) => *x as i64,
        ScalarValue::UInt64(Some(x)) => i64::try_from(*x).ok()?,
        ScalarValue::Dictionary(_, v) => return scalar_int(v),
        _ => return None,
    })
}

/// The constant arguments of a call (`None` for column arguments), in the form the
/// planning-time checks take.
pub fn scalar_refs(args: &ScalarFunctionArgs) -> Vec<Option<&ScalarValue>> {
    args.args
        .iter()
        .map(|a| match a {
            ColumnarValue::Scalar(s) => Some(s),
            ColumnarValue::Array(_) => None,
        })
        .collect()
}

/// Constant string argument `i` at plan time, or `ILLEGAL_TYPE_OF_ARGUMENT`/`ILLEGAL_COLUMN`.
pub fn const_str_arg(
    fname: &str,
    scalars: &[Option<&ScalarValue>],
    fields: &[FieldRef],
    i: usize,
    what: &str,
) -> Result<String> {
    if let Some(f) = fields.get(i).filter(|f| !is_string_type(f.data_type())) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument #{} ({what}) of function {fname}, expected const String",
            arg_type(f),
            i + 1
        );
    }
    match scalars.get(i).copied().flatten().and_then(scalar_str) {
        Some(s) => Ok(s),
        None => ch_bail!(
            ILLEGAL_COLUMN,
            "Argument #{} ({what}) of function {fname} must be a constant string",
            i + 1
        ),
    }
}

/// Constant integer argument `i` at plan time.
pub fn const_int_arg(
    fname: &str,
    scalars: &[Option<&ScalarValue>],
    fields: &[FieldRef],
    i: usize,
    what: &str,
) -> Result<i64> {
    if let Some(f) = fields.get(i).filter(|f| !f.data_type().is_integer()) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument #{} ({what}) of function {fname}, expected const integer",
            arg_type(f),
            i + 1
        );
    }
    match scalars.get(i).copied().flatten().and_then(scalar_int) {
        Some(s) => Ok(s),
        None => ch_bail!(
            ILLEGAL_COLUMN,
            "Argument #{} ({what}) of function {fname} must be a constant integer",
            i + 1
        ),
    }
}

/// True for every Arrow layout that holds a ClickHouse `String`.
pub fn is_string_type(dt: &DataType) -> bool {
    match dt {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView => true,
        DataType::Dictionary(_, v) => is_string_type(v),
        _ => false,
    }
}

/// The arguments as arrays (length 1 when all are constants) and whether all were constant.
pub fn arrays(args: &ScalarFunctionArgs) -> Result<(Vec<ArrayRef>, bool)> {
    let all_scalar = args
        .args
        .iter()
        .all(|a| matches!(a, ColumnarValue::Scalar(_)));
    let n = if all_scalar { 1 } else { args.number_rows };
    let mut out = Vec::with_capacity(args.args.len());
    for a in &args.args {
        let arr = a.to_array(n)?;
        // LowCardinality arguments are processed as their plain values.
        let arr = match arr.data_type() {
            DataType::Dictionary(_, v) => datafusion::arrow::compute::cast(&arr, v)?,
            _ => arr,
        };
        out.push(arr);
    }
    Ok((out, all_scalar))
}

/// Wraps a result array, turning it back into a scalar when every input was constant.
pub fn output(arr: ArrayRef, all_scalar: bool) -> Result<ColumnarValue> {
    if all_scalar && arr.len() == 1 {
        // Nested values keep their exact fields (with ClickHouse metadata) as one-row arrays.
        let scalar = match arr.data_type() {
            DataType::List(_) => ScalarValue::List(Arc::new(arr.as_list::<i32>().clone())),
            DataType::LargeList(_) => {
                ScalarValue::LargeList(Arc::new(arr.as_list::<i64>().clone()))
            }
            DataType::Struct(_) => ScalarValue::Struct(Arc::new(arr.as_struct().clone())),
            DataType::Map(..) => ScalarValue::Map(Arc::new(arr.as_map().clone())),
            _ => ScalarValue::try_from_array(&arr, 0)?,
        };
        return Ok(ColumnarValue::Scalar(scalar));
    }
    Ok(ColumnarValue::Array(arr))
}

/// A result field with the ClickHouse type `t` (see [`crate::util::ch_field`]).
pub fn field(name: &str, t: &ChType) -> FieldRef {
    crate::util::ch_field(name, t)
}

/// `NUMBER_OF_ARGUMENTS_DOESNT_MATCH` unless `min <= n <= max`.
pub fn check_arity(fname: &str, n: usize, min: usize, max: usize) -> Result<()> {
    if n < min || n > max {
        let expected = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Number of arguments for function {fname} doesn't match: passed {n}, should be {expected}"
        );
    }
    Ok(())
}

/// An always-nullable field (used for NULL-only inputs).
pub fn null_field(name: &str) -> FieldRef {
    Arc::new(Field::new(name, DataType::Null, true))
}

/// True when the argument is the `NULL` literal / `Nullable(Nothing)`.
pub fn is_null_type(f: &Field) -> bool {
    matches!(f.data_type(), DataType::Null)
}

/// True when `arr` has no non-null rows.
pub fn all_null(arr: &dyn Array) -> bool {
    arr.null_count() == arr.len()
}
