//! Logical functions `and`, `or`, `xor`, `not`. Any number is a condition (non-zero is
//! true); results are ClickHouse `UInt8` stored as Arrow `Boolean` without metadata.
//! `and`/`or` are three-valued (`and(NULL, 0)` = 0, `and(NULL, 1)` = NULL); `xor` and `not`
//! return NULL for a NULL argument.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray};
use datafusion::arrow::compute::kernels::boolean::{and_kleene, not, or_kleene};
use datafusion::arrow::compute::kernels::cmp::neq;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use sluice_common::{ChType, Error, ErrorCode};

use super::num::{convert, is_float, is_int};
use super::udf::{Nulls, check_arity, illegal_types, predicate};

/// The functions of this file.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        predicate("and", &[], rule, kernel, Nulls::Own),
        predicate("or", &[], rule, kernel, Nulls::Own),
        predicate("xor", &[], rule, kernel, Nulls::Propagate),
        predicate("not", &[], rule, kernel, Nulls::Propagate),
    ]
}

fn rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    if name == "not" {
        check_arity(name, types, 1, 1)?;
    } else if types.len() < 2 {
        return Err(Error::new(
            ErrorCode::TOO_FEW_ARGUMENTS_FOR_FUNCTION,
            format!(
                "Number of arguments for function \"{name}\" should be at least 2: passed {}",
                types.len()
            ),
        ));
    }
    for t in types {
        let b = t.base();
        if !(is_int(b) || is_float(b) || matches!(b, ChType::Nothing)) {
            return Err(illegal_types(name, types));
        }
    }
    let nullable = types
        .iter()
        .any(|t| t.is_nullable() || matches!(t, ChType::Nothing));
    Ok(if nullable {
        ChType::Nullable(Box::new(ChType::UInt8))
    } else {
        ChType::UInt8
    })
}

/// A column as three-valued truth: non-zero → true, NULL stays NULL.
fn truth(a: &ArrayRef, t: &ChType) -> Result<BooleanArray> {
    Ok(match a.data_type() {
        DataType::Boolean => a
            .as_any()
            .downcast_ref::<BooleanArray>()
            .cloned()
            .unwrap_or_else(|| BooleanArray::new_null(a.len())),
        DataType::Null => BooleanArray::new_null(a.len()),
        _ if is_float(t.base()) => {
            let f = convert::<Float64Type>(a.as_ref(), t.base())?;
            BooleanArray::from_unary(&f, |v| v != 0.0)
        }
        dt => neq(a, &ScalarValue::new_zero(dt)?.to_scalar()?)?,
    })
}

fn kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    _r: &ChType,
    _rows: usize,
) -> Result<ArrayRef> {
    let mut acc = truth(&args[0], &types[0])?;
    if name == "not" {
        return Ok(Arc::new(not(&acc)?));
    }
    for (a, t) in args.iter().zip(types).skip(1) {
        let b = truth(a, t)?;
        acc = match name {
            "and" => and_kleene(&acc, &b)?,
            "or" => or_kleene(&acc, &b)?,
            _ => neq(&acc, &b)?,
        };
    }
    Ok(Arc::new(acc))
}
