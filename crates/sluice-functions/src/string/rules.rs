//! Argument checks and result-type rules shared by the string, array and hash families,
//! with ClickHouse's error codes and messages.

use datafusion::common::Result;
use sluice_common::ChType;

use super::udf::{Ret, TypeArgs};
use crate::ch_bail;

/// Fails with `NUMBER_OF_ARGUMENTS_DOESNT_MATCH` unless `min <= n <= max`.
pub(crate) fn arity(a: &TypeArgs, min: usize, max: usize) -> Result<()> {
    let n = a.types.len();
    if n < min || n > max {
        let should = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} or {max}")
        };
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Number of arguments for function {} doesn't match: passed {n}, should be {should}",
            a.name
        );
    }
    Ok(())
}

/// `String` or `FixedString`.
pub(crate) fn is_string(t: &ChType) -> bool {
    matches!(t, ChType::String | ChType::FixedString(_))
}

/// Any integer type (including `Bool`).
pub(crate) fn is_int(t: &ChType) -> bool {
    matches!(
        t,
        ChType::UInt8
            | ChType::UInt16
            | ChType::UInt32
            | ChType::UInt64
            | ChType::Int8
            | ChType::Int16
            | ChType::Int32
            | ChType::Int64
            | ChType::Bool
    )
}

/// Any number type.
pub(crate) fn is_number(t: &ChType) -> bool {
    is_int(t)
        || matches!(
            t,
            ChType::UInt128
                | ChType::UInt256
                | ChType::Int128
                | ChType::Int256
                | ChType::Float32
                | ChType::Float64
                | ChType::BFloat16
                | ChType::Decimal { .. }
        )
}

/// `ILLEGAL_TYPE_OF_ARGUMENT` for argument `i` (0-based).
pub(crate) fn illegal(a: &TypeArgs, i: usize) -> datafusion::error::DataFusionError {
    let t = a.types.get(i).map(|t| t.to_string()).unwrap_or_default();
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
        format!(
            "Illegal type {t} of argument {} of function {}",
            i + 1,
            a.name
        ),
    ))
}

/// Requires argument `i` to be a string.
pub(crate) fn want_string(a: &TypeArgs, i: usize) -> Result<()> {
    if a.types.get(i).is_some_and(is_string) {
        Ok(())
    } else {
        Err(illegal(a, i))
    }
}

/// Requires argument `i` to be an integer.
pub(crate) fn want_int(a: &TypeArgs, i: usize) -> Result<()> {
    if a.types.get(i).is_some_and(is_int) {
        Ok(())
    } else {
        Err(illegal(a, i))
    }
}

/// Requires argument `i` to be a constant; `ILLEGAL_COLUMN` otherwise.
pub(crate) fn want_const(a: &TypeArgs, i: usize) -> Result<()> {
    if a.consts.get(i).is_some_and(|c| c.is_some()) {
        Ok(())
    } else {
        ch_bail!(
            ILLEGAL_COLUMN,
            "Argument {} of function {} must be constant",
            i + 1,
            a.name
        )
    }
}

/// Whether argument `i` is stored as bytes that may not be UTF-8 (Binary or FixedString),
/// so a byte-slicing result should be stored as Binary.
pub(crate) fn binary_arg(a: &TypeArgs, i: usize) -> bool {
    use datafusion::arrow::datatypes::DataType;
    matches!(
        a.arrow.get(i),
        Some(
            DataType::Binary
                | DataType::LargeBinary
                | DataType::BinaryView
                | DataType::FixedSizeBinary(_)
        )
    )
}

/// A `String` result stored like argument `i`.
pub(crate) fn string_like(a: &TypeArgs, i: usize) -> Ret {
    Ret {
        t: ChType::String,
        binary: binary_arg(a, i),
    }
}
