//! The NULL family: `coalesce`, `ifNull`, `nullIf`, `isNull`, `isNotNull`, `isZeroOrNull`,
//! `assumeNotNull`, `toNullable`, `identity`, and `throwIf`.
//!
//! `coalesce`/`ifNull` consider their arguments up to the first non-`Nullable` one (later
//! ones can never be reached, and ClickHouse ignores their types); the result is their least
//! supertype, `Nullable` only when every considered argument is.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, UInt8Array, make_array, new_null_array,
};
use datafusion::arrow::compute::kernels::cmp::eq;
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::compute::{cast, is_not_null, is_null, nullif};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use sluice_common::{ChType, Error, ErrorCode};

use super::supertype::{least_supertype, make_nullable};
use crate::ch_bail;
use crate::math::udf::{Nulls, check_arity, predicate, udf};

/// The functions of this file.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        udf(
            "coalesce",
            &["COALESCE"],
            coalesce_rule,
            coalesce_kernel,
            Nulls::Own,
        ),
        udf(
            "ifNull",
            &["IFNULL", "ifnull", "nvl", "NVL"],
            coalesce_rule,
            coalesce_kernel,
            Nulls::Own,
        ),
        udf(
            "nullIf",
            &["NULLIF", "nullif"],
            null_if_rule,
            null_if_kernel,
            Nulls::Own,
        ),
        predicate(
            "isNull",
            &["ISNULL", "isnull"],
            flag_rule,
            is_null_kernel,
            Nulls::Own,
        ),
        predicate("isNotNull", &[], flag_rule, is_null_kernel, Nulls::Own),
        predicate("isZeroOrNull", &[], flag_rule, is_null_kernel, Nulls::Own),
        udf("assumeNotNull", &[], unwrap_rule, unwrap_kernel, Nulls::Own),
        udf("toNullable", &[], unwrap_rule, unwrap_kernel, Nulls::Own),
        udf("identity", &[], unwrap_rule, unwrap_kernel, Nulls::Own),
        udf(
            "throwIf",
            &[],
            throw_if_rule,
            throw_if_kernel,
            Nulls::Propagate,
        ),
    ]
}

fn is_null_type(t: &ChType) -> bool {
    matches!(t.non_nullable(), ChType::Nothing)
}

/// The arguments `coalesce` can reach: up to and including the first non-nullable one,
/// skipping bare NULLs.
fn reachable(types: &[ChType]) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, t) in types.iter().enumerate() {
        if is_null_type(t) {
            continue;
        }
        out.push(i);
        if !t.is_nullable() {
            break;
        }
    }
    out
}

fn coalesce_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    if name == "ifNull" {
        check_arity(name, types, 2, 2)?;
    } else {
        check_arity(name, types, 1, usize::MAX)?;
    }
    let idx = reachable(types);
    if idx.is_empty() {
        return Ok(ChType::Nullable(Box::new(ChType::Nothing)));
    }
    let picked: Vec<ChType> = idx.iter().map(|i| types[*i].clone()).collect();
    let t = least_supertype(&picked)?;
    let last_nullable = picked.last().is_some_and(ChType::is_nullable);
    Ok(if last_nullable {
        make_nullable(t)
    } else {
        t.non_nullable()
    })
}

fn coalesce_kernel(
    _name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    rows: usize,
) -> Result<ArrayRef> {
    let target = result.to_arrow();
    let idx = reachable(types);
    let Some(last) = idx.last() else {
        return Ok(new_null_array(&target, rows));
    };
    let conv = |a: &ArrayRef| -> Result<ArrayRef> {
        if a.data_type() == &target {
            Ok(Arc::clone(a))
        } else {
            Ok(cast(a, &target)?)
        }
    };
    let mut out = conv(&args[*last])?;
    for i in idx.iter().rev().skip(1) {
        let a = conv(&args[*i])?;
        out = zip(&is_not_null(&a)?, &a, &out)?;
    }
    Ok(out)
}

fn null_if_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 2, 2)?;
    least_supertype(types)?;
    Ok(make_nullable(types[0].clone()))
}

fn null_if_kernel(
    _name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    rows: usize,
) -> Result<ArrayRef> {
    if is_null_type(&types[0]) {
        return Ok(new_null_array(&result.to_arrow(), rows));
    }
    if is_null_type(&types[1]) {
        return Ok(Arc::clone(&args[0]));
    }
    let common = least_supertype(types)
        .map_err(crate::util::ch_error)?
        .to_arrow();
    let a = cast(&args[0], &common)?;
    let b = cast(&args[1], &common)?;
    let same = eq(&a, &b)?;
    let same = BooleanArray::new(same.values().clone(), None)
        .iter()
        .zip(same.iter())
        .map(|(_, v)| Some(v == Some(true)))
        .collect::<BooleanArray>();
    Ok(nullif(&args[0], &same)?)
}

fn flag_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, 1)?;
    if name == "isZeroOrNull" {
        let base = types[0].base();
        let numeric = crate::math::num::is_number(base)
            || matches!(base, ChType::Decimal { .. } | ChType::Nothing);
        if !numeric {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                format!(
                    "Illegal type {} of argument of function isZeroOrNull",
                    types[0]
                ),
            ));
        }
    }
    Ok(ChType::UInt8)
}

fn is_null_kernel(
    name: &str,
    args: &[ArrayRef],
    _types: &[ChType],
    _result: &ChType,
    _rows: usize,
) -> Result<ArrayRef> {
    let a = &args[0];
    let mask = match name {
        "isNull" => is_null(a)?,
        "isNotNull" => is_not_null(a)?,
        _ => {
            let nulls = is_null(a)?;
            if a.data_type() == &DataType::Null {
                nulls
            } else {
                let zero = ScalarValue::new_zero(a.data_type())?.to_scalar()?;
                let z = eq(a, &zero)?;
                let z = BooleanArray::new(z.values().clone(), None);
                datafusion::arrow::compute::or(&nulls, &z)?
            }
        }
    };
    Ok(Arc::new(BooleanArray::new(mask.values().clone(), None)))
}

fn unwrap_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, 1)?;
    let t = &types[0];
    Ok(match name {
        "assumeNotNull" => {
            if is_null_type(t) {
                return Err(Error::new(
                    ErrorCode::ILLEGAL_COLUMN,
                    "Cannot convert a NULL constant to non-Nullable type (function assumeNotNull)",
                ));
            }
            t.non_nullable()
        }
        "toNullable" => make_nullable(t.clone()),
        _ => t.clone(),
    })
}

fn unwrap_kernel(
    name: &str,
    args: &[ArrayRef],
    _types: &[ChType],
    _result: &ChType,
    _rows: usize,
) -> Result<ArrayRef> {
    if name == "assumeNotNull" && args[0].null_count() > 0 {
        // Nulls become whatever value sits under them (the type default for Arrow builders).
        let data = args[0].to_data().into_builder().nulls(None).build()?;
        return Ok(make_array(data));
    }
    Ok(Arc::clone(&args[0]))
}

fn throw_if_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, 2)?;
    if !crate::math::num::is_int(types[0].base()) {
        return Err(Error::new(
            ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
            format!("Illegal type {} of argument of function {name}", types[0]),
        ));
    }
    Ok(ChType::UInt8)
}

fn throw_if_kernel(
    _name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    _result: &ChType,
    rows: usize,
) -> Result<ArrayRef> {
    let nonzero = crate::math::num::cast_to(args[0].as_ref(), types[0].base(), &ChType::UInt8)
        .and_then(|_| {
            let zero = ScalarValue::new_zero(args[0].data_type())?.to_scalar()?;
            Ok(datafusion::arrow::compute::kernels::cmp::neq(
                &args[0], &zero,
            )?)
        })?;
    if nonzero.iter().any(|v| v == Some(true)) {
        let message = match args.get(1) {
            Some(m) if m.data_type() == &DataType::Utf8 && !m.is_empty() => {
                m.as_string::<i32>().value(0).to_string()
            }
            Some(_) => ch_bail!(
                ILLEGAL_COLUMN,
                "Second argument of function throwIf must be a constant string"
            ),
            None => "Value passed to 'throwIf' function is non-zero".to_string(),
        };
        ch_bail!(FUNCTION_THROW_IF_VALUE_IS_NON_ZERO, "{message}");
    }
    Ok(Arc::new(UInt8Array::from(vec![0u8; rows])))
}
