//! Decimal arithmetic on raw scaled integers, computed in 256 bits and checked against the
//! result's storage width (`DECIMAL_OVERFLOW`, as ClickHouse's default
//! `decimal_check_overflow = 1`); division by zero is `ILLEGAL_DIVISION`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, PrimitiveArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{Decimal128Type, Decimal256Type, i256};
use datafusion::common::Result;
use sluice_common::ChType;

use super::num::{convert, pow10};

/// A decimal operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DecOp {
    Add,
    Sub,
    Mul,
    Div,
    /// ClickHouse's decimal `%`: remainder of the raw stored integers.
    Mod,
    /// `intDiv` of decimals: the truncated quotient of the values, as an integer.
    IntDiv,
}

fn scale_of(t: &ChType) -> u32 {
    match t {
        ChType::Decimal { scale, .. } => u32::from(*scale),
        _ => 0,
    }
}

/// Inclusive bound of the storage integer of a decimal of precision `p`.
fn storage_bounds(p: u8) -> (i256, i256) {
    match p {
        0..=9 => (i256::from(i32::MIN), i256::from(i32::MAX)),
        10..=18 => (i256::from(i64::MIN), i256::from(i64::MAX)),
        19..=38 => (i256::from_i128(i128::MIN), i256::from_i128(i128::MAX)),
        _ => (i256::MIN, i256::MAX),
    }
}

/// Raw i256 values of `arr` (decimals: stored integer; integers: the value).
pub(crate) fn raw_values(arr: &ArrayRef, t: &ChType) -> Result<PrimitiveArray<Decimal256Type>> {
    convert::<Decimal256Type>(arr.as_ref(), t)
}

/// Computes `a op b` where at least one side is a decimal; `result` is the ClickHouse result
/// type (a `Decimal`, or an integer type for [`DecOp::IntDiv`]).
pub(crate) fn decimal_binary(
    name: &str,
    op: DecOp,
    a: &ArrayRef,
    ta: &ChType,
    b: &ArrayRef,
    tb: &ChType,
    result: &ChType,
) -> Result<ArrayRef> {
    let x = raw_values(a, ta)?;
    let y = raw_values(b, tb)?;
    let (sa, sb) = (scale_of(ta), scale_of(tb));
    let nulls = NullBuffer::union(x.nulls(), y.nulls());
    let (rp, rs) = match result {
        ChType::Decimal { precision, scale } => (*precision, u32::from(*scale)),
        _ => (76, 0),
    };
    let (lo, hi) = storage_bounds(rp);
    let overflow = || {
        crate::util::ch_error(sluice_common::Error::new(
            sluice_common::ErrorCode::DECIMAL_OVERFLOW,
            format!("Decimal math overflow in function {name}"),
        ))
    };
    let div_zero = || {
        crate::util::ch_error(sluice_common::Error::new(
            sluice_common::ErrorCode::ILLEGAL_DIVISION,
            "Division by zero",
        ))
    };
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            out.push(i256::ZERO);
            continue;
        }
        let (p, q) = (x.value(i), y.value(i));
        let v = match op {
            DecOp::Add | DecOp::Sub => {
                let p = p.checked_mul(pow10(rs - sa)).ok_or_else(overflow)?;
                let q = q.checked_mul(pow10(rs - sb)).ok_or_else(overflow)?;
                if op == DecOp::Add {
                    p.checked_add(q)
                } else {
                    p.checked_sub(q)
                }
                .ok_or_else(overflow)?
            }
            DecOp::Mul => p.checked_mul(q).ok_or_else(overflow)?,
            DecOp::Div => {
                if q == i256::ZERO {
                    return Err(div_zero());
                }
                // Bring the dividend to the result scale, then keep the divisor's scale.
                let shift = rs + sb - sa;
                p.checked_mul(pow10(shift))
                    .ok_or_else(overflow)?
                    .checked_div(q)
                    .ok_or_else(overflow)?
            }
            DecOp::Mod => {
                if q == i256::ZERO {
                    return Err(div_zero());
                }
                p.checked_rem(q).ok_or_else(overflow)?
            }
            DecOp::IntDiv => {
                if q == i256::ZERO {
                    return Err(div_zero());
                }
                let (p, q) = if sa >= sb {
                    (p, q.checked_mul(pow10(sa - sb)).ok_or_else(overflow)?)
                } else {
                    (p.checked_mul(pow10(sb - sa)).ok_or_else(overflow)?, q)
                };
                p.checked_div(q).ok_or_else(overflow)?
            }
        };
        if op != DecOp::IntDiv && (v < lo || v > hi) {
            return Err(overflow());
        }
        out.push(v);
    }
    match result {
        ChType::Decimal { precision, scale } if *precision <= 38 => {
            let vals: Vec<i128> = out.iter().map(|v| v.as_i128()).collect();
            let arr = PrimitiveArray::<Decimal128Type>::new(vals.into(), nulls)
                .with_precision_and_scale(*precision, *scale as i8)?;
            Ok(Arc::new(arr))
        }
        ChType::Decimal { precision, scale } => {
            let arr = PrimitiveArray::<Decimal256Type>::new(out.into(), nulls)
                .with_precision_and_scale(*precision, *scale as i8)?;
            Ok(Arc::new(arr))
        }
        other => {
            let arr: ArrayRef = Arc::new(
                PrimitiveArray::<Decimal256Type>::new(out.into(), nulls)
                    .with_precision_and_scale(76, 0)?,
            );
            // Integer results (intDiv): wrap into the integer type.
            super::num::cast_to(arr.as_ref(), &ChType::Int256, other)
        }
    }
}
