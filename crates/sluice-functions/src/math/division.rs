//! `divide` (`/`, always Float64 or Decimal), `intDiv` (`DIV`), `intDivOrZero`, `modulo`
//! (`%`), `moduloOrZero`, `positiveModulo` (`pmod`). Integer division by zero and
//! `MIN / -1` raise `ILLEGAL_DIVISION` (the `OrZero` forms return 0); float division follows
//! IEEE (`1 / 0` = inf). Integer operands are read the way ClickHouse's C++ kernels read
//! them: for `intDiv` with a signed side both are reinterpreted as signed integers of the
//! wider relevant width; `modulo` uses the true values and takes the dividend's sign.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, PrimitiveArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::kernels::arity::binary;
use datafusion::arrow::datatypes::{Decimal128Type, Decimal256Type, Float64Type, i256};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::arith_types::{divide_type, int_div_type, modulo_type};
use super::decimal::{DecOp, decimal_binary};
use super::num::{cast_to, convert, from_i128, from_i256, int_info, is_float};
use super::udf::{Nulls, check_arity, expand, udf, udf_broadcast};
use crate::util::ch_error;

/// The functions of this file.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        udf_broadcast("divide", &[], rule, divide_kernel),
        udf("intDiv", &[], rule, int_div_kernel, Nulls::Propagate),
        udf("intDivOrZero", &[], rule, int_div_kernel, Nulls::Propagate),
        udf_broadcast("modulo", &["mod"], rule, modulo_kernel),
        udf_broadcast("moduloOrZero", &[], rule, modulo_kernel),
        udf_broadcast(
            "positiveModulo",
            &["pmod", "positive_modulo"],
            rule,
            modulo_kernel,
        ),
    ]
}

fn rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 2, 2)?;
    let (a, b) = (types[0].base(), types[1].base());
    match name {
        "divide" => divide_type(name, a, b),
        "intDiv" | "intDivOrZero" => int_div_type(name, a, b),
        _ => modulo_type(name, a, b),
    }
}

fn illegal_division(msg: &str) -> datafusion::error::DataFusionError {
    ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::ILLEGAL_DIVISION,
        msg,
    ))
}

fn is_decimal(t: &ChType) -> bool {
    matches!(t, ChType::Decimal { .. })
}

fn divide_kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    _rows: usize,
) -> Result<ArrayRef> {
    let (ta, tb) = (types[0].base(), types[1].base());
    if is_decimal(result) {
        let rows = args[0].len().max(args[1].len());
        let (a, b) = (expand(&args[0], rows)?, expand(&args[1], rows)?);
        return decimal_binary(name, DecOp::Div, &a, ta, &b, tb, result);
    }
    let x = convert::<Float64Type>(args[0].as_ref(), ta)?;
    let y = convert::<Float64Type>(args[1].as_ref(), tb)?;
    // A constant divisor or dividend: one pass over the other side.
    let r: PrimitiveArray<Float64Type> = match (x.len(), y.len()) {
        (1, n) if n != 1 => match x.is_valid(0) {
            true => {
                let c = x.value(0);
                y.unary(|q| c / q)
            }
            false => PrimitiveArray::new_null(n),
        },
        (n, 1) if n != 1 => match y.is_valid(0) {
            true => {
                let c = y.value(0);
                x.unary(|p| p / c)
            }
            false => PrimitiveArray::new_null(n),
        },
        _ => binary(&x, &y, |p, q| p / q)?,
    };
    Ok(Arc::new(r))
}

/// Sign-extends the low `bits` of `v`.
fn sext(v: i128, bits: u16) -> i128 {
    let shift = 128 - u32::from(bits);
    (v << shift) >> shift
}

fn int_div_kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    _rows: usize,
) -> Result<ArrayRef> {
    let or_zero = name == "intDivOrZero";
    let (ta, tb) = (types[0].base(), types[1].base());
    let (a, b) = (&args[0], &args[1]);
    if is_float(ta) || is_float(tb) {
        return float_int_div(a, ta, b, tb, result, or_zero);
    }
    if is_decimal(ta) || is_decimal(tb) {
        if or_zero {
            return decimal_or_zero(name, a, ta, b, tb, result);
        }
        return decimal_binary(name, DecOp::IntDiv, a, ta, b, tb, result);
    }
    let (Some((bits_a, signed_a)), Some((bits_b, signed_b))) = (int_info(ta), int_info(tb)) else {
        return Err(ch_error(super::udf::illegal_types(
            name,
            &[ta.clone(), tb.clone()],
        )));
    };
    if bits_a > 64 || bits_b > 64 {
        return big_int_div(a, ta, b, tb, result, or_zero);
    }
    let x = convert::<Decimal128Type>(a.as_ref(), ta)?;
    let y = convert::<Decimal128Type>(b.as_ref(), tb)?;
    let nulls = NullBuffer::union(x.nulls(), y.nulls());
    let signed = signed_a || signed_b;
    let bits_b_cast = if bits_a <= bits_b { bits_b } else { bits_a };
    let min_a = -(1i128 << (bits_a - 1));
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            out.push(0);
            continue;
        }
        let (p, q) = if signed {
            (sext(x.value(i), bits_a), sext(y.value(i), bits_b_cast))
        } else {
            (x.value(i), y.value(i))
        };
        if q == 0 || (signed && p == min_a && q == -1) {
            if or_zero {
                out.push(0);
                continue;
            }
            return Err(illegal_division(if q == 0 {
                "Division by zero"
            } else {
                "Division of minimal signed number by minus one"
            }));
        }
        out.push(p / q);
    }
    from_i128(out, nulls, result)
}

fn big_int_div(
    a: &ArrayRef,
    ta: &ChType,
    b: &ArrayRef,
    tb: &ChType,
    result: &ChType,
    or_zero: bool,
) -> Result<ArrayRef> {
    let x = convert::<Decimal256Type>(a.as_ref(), ta)?;
    let y = convert::<Decimal256Type>(b.as_ref(), tb)?;
    let nulls = NullBuffer::union(x.nulls(), y.nulls());
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            out.push(i256::ZERO);
            continue;
        }
        match x.value(i).checked_div(y.value(i)) {
            Some(v) => out.push(v),
            None if or_zero => out.push(i256::ZERO),
            None => return Err(illegal_division("Division by zero")),
        }
    }
    from_i256(out, nulls, result)
}

/// Bounds of the integer type `t` as f64 (for the range checks ClickHouse makes).
fn float_bounds(t: &ChType) -> (f64, f64) {
    match int_info(t) {
        Some((bits, true)) => (
            -(2f64.powi(i32::from(bits) - 1)),
            2f64.powi(i32::from(bits) - 1),
        ),
        Some((bits, false)) => (0.0, 2f64.powi(i32::from(bits))),
        None => (f64::MIN, f64::MAX),
    }
}

fn float_int_div(
    a: &ArrayRef,
    ta: &ChType,
    b: &ArrayRef,
    tb: &ChType,
    result: &ChType,
    or_zero: bool,
) -> Result<ArrayRef> {
    let x = convert::<Float64Type>(a.as_ref(), ta)?;
    let y = convert::<Float64Type>(b.as_ref(), tb)?;
    let nulls = NullBuffer::union(x.nulls(), y.nulls());
    let (lo, hi) = float_bounds(result);
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            out.push(0.0);
            continue;
        }
        let (p, q) = (x.value(i), y.value(i));
        let bad = |v: f64| v.is_nan() || v.is_infinite();
        let r = p / q;
        if q == 0.0 || bad(p) || bad(q) || r.is_nan() || r >= hi || r <= lo - 1.0 {
            if or_zero {
                out.push(0.0);
                continue;
            }
            return Err(illegal_division(if q == 0.0 {
                "Division by zero"
            } else {
                "Cannot perform integer division, because it will produce infinite or too large number"
            }));
        }
        out.push(r.trunc());
    }
    let carrier = PrimitiveArray::<Float64Type>::new(out.into(), nulls);
    cast_to(&carrier, &ChType::Float64, result)
}

fn decimal_or_zero(
    name: &str,
    a: &ArrayRef,
    ta: &ChType,
    b: &ArrayRef,
    tb: &ChType,
    result: &ChType,
) -> Result<ArrayRef> {
    // Rows dividing by zero yield 0: evaluate row by row only when some divisor is zero.
    match decimal_binary(name, DecOp::IntDiv, a, ta, b, tb, result) {
        Ok(r) => Ok(r),
        Err(_) => {
            let mut parts = Vec::with_capacity(a.len());
            for i in 0..a.len() {
                let (x, y) = (a.slice(i, 1), b.slice(i, 1));
                let r =
                    decimal_binary(name, DecOp::IntDiv, &x, ta, &y, tb, result).or_else(|_| {
                        cast_to(
                            &PrimitiveArray::<Float64Type>::from(vec![0.0]),
                            &ChType::Float64,
                            result,
                        )
                    })?;
                parts.push(r);
            }
            let refs: Vec<&dyn Array> = parts.iter().map(|p| p.as_ref()).collect();
            Ok(datafusion::arrow::compute::concat(&refs)?)
        }
    }
}

/// The variant of `modulo` being computed.
#[derive(Clone, Copy)]
pub(super) struct ModOps {
    /// `positiveModulo`: a negative remainder gets the divisor's absolute value added.
    pub positive: bool,
    /// `moduloOrZero`: division by zero gives 0 instead of an error.
    pub or_zero: bool,
}

/// `ILLEGAL_DIVISION` for a zero divisor or `MIN % -1`.
pub(super) fn modulo_error(zero: bool) -> datafusion::error::DataFusionError {
    illegal_division(if zero {
        "Division by zero"
    } else {
        "Division of minimal signed number by minus one"
    })
}

fn modulo_kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    rows: usize,
) -> Result<ArrayRef> {
    let positive = name == "positiveModulo";
    let or_zero = name == "moduloOrZero";
    let (ta, tb) = (types[0].base(), types[1].base());
    // `x % c`: one pass over `x` into the result type, no column of `c`s.
    if args[0].len() == rows
        && args[1].len() == 1
        && let Some(r) =
            super::modulo_native::modulo_by_constant(&args[0], ta, &args[1], tb, result)
    {
        return Ok(r);
    }
    let (a, b) = (&expand(&args[0], rows)?, &expand(&args[1], rows)?);
    if is_float(result) {
        let x = convert::<Float64Type>(a.as_ref(), ta)?;
        let y = convert::<Float64Type>(b.as_ref(), tb)?;
        let r: PrimitiveArray<Float64Type> = binary(&x, &y, |p, q| {
            let r = p - (p / q).trunc() * q;
            if positive && r < 0.0 { r + q.abs() } else { r }
        })?;
        return Ok(Arc::new(r));
    }
    if is_decimal(result) {
        return decimal_binary(name, DecOp::Mod, a, ta, b, tb, result);
    }
    let (Some((bits_a, signed_a)), Some((bits_b, signed_b))) = (int_info(ta), int_info(tb)) else {
        return Err(ch_error(super::udf::illegal_types(
            name,
            &[ta.clone(), tb.clone()],
        )));
    };
    let ops = ModOps { positive, or_zero };
    if bits_a <= 64 && bits_b <= 64 {
        if !signed_a && !signed_b {
            return super::modulo_native::modulo_u64(a, ta, b, tb, result, ops);
        }
        // Every value of both sides fits Int64 (no UInt64 beside a signed side).
        let fits_i64 = |bits: u16, signed: bool| bits < 64 || signed;
        if fits_i64(bits_a, signed_a) && fits_i64(bits_b, signed_b) {
            return super::modulo_native::modulo_i64(a, ta, b, tb, result, ops);
        }
    }
    let x = convert::<Decimal256Type>(a.as_ref(), ta)?;
    let y = convert::<Decimal256Type>(b.as_ref(), tb)?;
    let nulls = NullBuffer::union(x.nulls(), y.nulls());
    let min_a = if bits_a >= 256 {
        i256::MIN
    } else {
        i256::from_i128(-1).wrapping_mul(i256::from_i128(2).wrapping_pow(u32::from(bits_a) - 1))
    };
    let minus_one = i256::from_i128(-1);
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            out.push(i256::ZERO);
            continue;
        }
        let (p, q) = (x.value(i), y.value(i));
        if q == i256::ZERO || (signed_a && signed_b && p == min_a && q == minus_one) {
            if or_zero {
                out.push(i256::ZERO);
                continue;
            }
            return Err(illegal_division(if q == i256::ZERO {
                "Division by zero"
            } else {
                "Division of minimal signed number by minus one"
            }));
        }
        let mut r = p.wrapping_rem(q);
        if positive && r < i256::ZERO {
            r = r.wrapping_add(q.wrapping_abs());
        }
        out.push(r);
    }
    from_i256(out, nulls, result)
}
