//! Rounding: `round(x[, N])` (floats: half to even, as ClickHouse's `nearbyint`; integers and
//! decimals: half away from zero), `roundBankers` (half to even everywhere), `floor`,
//! `ceil`/`ceiling`, `trunc`/`truncate`, `roundToExp2`, `roundDown(x, array)`. The result
//! type is the argument's type (decimals keep their scale); `N` may be negative.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{
    Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int64Type, i256,
};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::{ChType, Error, ErrorCode};

use super::num::{cast_to, convert, from_i256, int_info, is_float, is_int, pow10};
use super::udf::{Nulls, check_arity, illegal_types, udf};
use crate::ch_bail;

/// How to round.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Half away from zero for integers/decimals, half to even for floats.
    Round,
    Bankers,
    Floor,
    Ceil,
    Trunc,
}

fn mode(name: &str) -> Mode {
    match name {
        "round" => Mode::Round,
        "roundBankers" => Mode::Bankers,
        "floor" => Mode::Floor,
        "ceil" => Mode::Ceil,
        _ => Mode::Trunc,
    }
}

/// The functions of this file.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        udf("round", &["ROUND"], rule, kernel, Nulls::Propagate),
        udf("roundBankers", &[], rule, kernel, Nulls::Propagate),
        udf("floor", &["FLOOR"], rule, kernel, Nulls::Propagate),
        udf(
            "ceil",
            &["ceiling", "CEIL", "CEILING"],
            rule,
            kernel,
            Nulls::Propagate,
        ),
        udf(
            "trunc",
            &["truncate", "TRUNC", "TRUNCATE"],
            rule,
            kernel,
            Nulls::Propagate,
        ),
        udf("roundToExp2", &[], exp2_rule, exp2_kernel, Nulls::Propagate),
    ]
}

fn rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, 2)?;
    let t = &types[0];
    if !(is_int(t) || is_float(t) || matches!(t, ChType::Decimal { .. })) {
        return Err(illegal_types(name, types));
    }
    if let Some(n) = types.get(1)
        && !is_int(n)
    {
        return Err(Error::new(
            ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
            format!("Scale argument for rounding function {name} must be an integer, got {n}"),
        ));
    }
    Ok(if matches!(t, ChType::Bool) {
        ChType::UInt8
    } else {
        t.clone()
    })
}

/// The rounding scale: the second argument's first value (ClickHouse requires a constant).
fn scale_arg(args: &[ArrayRef], types: &[ChType]) -> Result<i64> {
    let Some(a) = args.get(1) else { return Ok(0) };
    let n = convert::<Int64Type>(a.as_ref(), &types[1])?;
    if n.is_empty() {
        return Ok(0);
    }
    let first = n.value(0);
    if n.values().iter().any(|v| *v != first) {
        ch_bail!(
            ILLEGAL_COLUMN,
            "Scale argument for rounding functions must be constant"
        );
    }
    Ok(first.clamp(-100, 100))
}

fn round_float(x: f64, n: i64, m: Mode) -> f64 {
    let f = |v: f64| match m {
        Mode::Round | Mode::Bankers => v.round_ties_even(),
        Mode::Floor => v.floor(),
        Mode::Ceil => v.ceil(),
        Mode::Trunc => v.trunc(),
    };
    if n >= 0 {
        let p = 10f64.powi(n as i32);
        if !p.is_finite() { x } else { f(x * p) / p }
    } else {
        let p = 10f64.powi((-n) as i32);
        f(x / p) * p
    }
}

/// Rounds the integer `v` to a multiple of `p` (> 0).
fn round_int(v: i256, p: i256, m: Mode) -> i256 {
    let zero = i256::ZERO;
    let r = v.wrapping_rem(p);
    let down = v.wrapping_sub(r); // toward zero
    if r == zero {
        return v;
    }
    let away = if v < zero {
        down.wrapping_sub(p)
    } else {
        down.wrapping_add(p)
    };
    let twice = r.wrapping_abs().wrapping_mul(i256::from_i128(2));
    match m {
        Mode::Trunc => down,
        Mode::Floor => {
            if v < zero {
                away
            } else {
                down
            }
        }
        Mode::Ceil => {
            if v < zero {
                down
            } else {
                away
            }
        }
        Mode::Round => {
            if twice >= p {
                away
            } else {
                down
            }
        }
        Mode::Bankers => {
            if twice > p {
                away
            } else if twice < p {
                down
            } else {
                let q = down.wrapping_div(p);
                if q.wrapping_rem(i256::from_i128(2)) == zero {
                    down
                } else {
                    away
                }
            }
        }
    }
}

fn kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    _n: usize,
) -> Result<ArrayRef> {
    let m = mode(name);
    let n = scale_arg(args, types)?;
    let t = &types[0];
    let a = &args[0];
    match t {
        ChType::Float64 => {
            let x = convert::<Float64Type>(a.as_ref(), t)?;
            Ok(Arc::new(
                x.unary::<_, Float64Type>(|v| round_float(v, n, m)),
            ))
        }
        ChType::Float32 | ChType::BFloat16 => {
            let x = a.as_primitive::<Float32Type>();
            let r: PrimitiveArray<Float32Type> =
                x.unary(|v| round_float(f64::from(v), n, m) as f32);
            Ok(Arc::new(r))
        }
        ChType::Decimal { scale, .. } => {
            let s = i64::from(*scale);
            if n >= s {
                return Ok(Arc::clone(a));
            }
            let p = pow10((s - n).min(76) as u32);
            let raw = convert::<Decimal256Type>(a.as_ref(), t)?;
            let out: PrimitiveArray<Decimal256Type> = raw.unary(|v| round_int(v, p, m));
            let (pr, sc) = match result {
                ChType::Decimal { precision, scale } => (*precision, *scale as i8),
                _ => (76, 0),
            };
            if pr <= 38 {
                let vals: PrimitiveArray<Decimal128Type> = out.unary(|v| v.as_i128());
                Ok(Arc::new(vals.with_precision_and_scale(pr, sc)?))
            } else {
                Ok(Arc::new(out.with_precision_and_scale(pr, sc)?))
            }
        }
        t if n >= 0 => cast_to(a.as_ref(), t, result),
        t => {
            let p = pow10((-n).min(76) as u32);
            let raw = convert::<Decimal256Type>(a.as_ref(), t)?;
            let out: Vec<i256> = raw.values().iter().map(|v| round_int(*v, p, m)).collect();
            from_i256(out, raw.nulls().cloned(), result)
        }
    }
}

fn exp2_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, 1)?;
    let t = &types[0];
    if !(is_float(t) || int_info(t).is_some_and(|(bits, _)| bits <= 64)) {
        return Err(illegal_types(name, types));
    }
    Ok(if matches!(t, ChType::Bool) {
        ChType::UInt8
    } else {
        t.clone()
    })
}

/// `roundToExp2(x)`: the largest power of two not above `x` (0 for `x` < 1).
fn exp2_kernel(
    _name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    _n: usize,
) -> Result<ArrayRef> {
    let t = &types[0];
    if is_float(t) {
        let x = convert::<Float64Type>(args[0].as_ref(), t)?;
        let r = x.unary::<_, Float64Type>(|v| {
            if v < 1.0 {
                0.0
            } else {
                2f64.powi(v.log2().floor() as i32)
            }
        });
        return cast_to(&r, &ChType::Float64, result);
    }
    let x = convert::<Decimal128Type>(args[0].as_ref(), t)?;
    let r: Vec<i256> = x
        .values()
        .iter()
        .map(|v| {
            if *v < 1 {
                i256::ZERO
            } else {
                i256::from_i128(1i128 << (127 - v.leading_zeros()))
            }
        })
        .collect();
    let nulls: Option<NullBuffer> = x.nulls().cloned();
    from_i256(r, nulls, result)
}
