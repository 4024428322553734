//! Float-valued math: `sqrt`, `cbrt`, `exp`, `exp2`, `exp10`, `log`/`ln`, `log2`, `log10`,
//! `log1p`, trigonometric and hyperbolic functions, `pow`/`power`, `atan2`, `hypot`, the
//! constants `e()` and `pi()`, and the float predicates `isNaN`, `isFinite`, `isInfinite`.
//! Any number (integer, big integer, float, decimal) is accepted and read as Float64; the
//! result is Float64 (also for Float32 input, as ClickHouse does).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, PrimitiveArray};
use datafusion::arrow::compute::kernels::arity::binary;
use datafusion::arrow::datatypes::Float64Type;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::num::{convert, is_float, is_int};
use super::udf::{Nulls, check_arity, illegal_types, predicate, udf};
use crate::ch_bail;

const UNARY: &[(&str, &[&str])] = &[
    ("sqrt", &["SQRT"]),
    ("cbrt", &[]),
    ("exp", &["EXP"]),
    ("exp2", &[]),
    ("exp10", &[]),
    ("log", &["ln", "LN", "LOG"]),
    ("log2", &["LOG2"]),
    ("log10", &["LOG10"]),
    ("log1p", &[]),
    ("sin", &["SIN"]),
    ("cos", &["COS"]),
    ("tan", &["TAN"]),
    ("asin", &["ASIN"]),
    ("acos", &["ACOS"]),
    ("atan", &["ATAN"]),
    ("sinh", &[]),
    ("cosh", &[]),
    ("tanh", &[]),
    ("asinh", &[]),
    ("acosh", &[]),
    ("atanh", &[]),
    ("erf", &[]),
    ("degrees", &["DEGREES"]),
    ("radians", &["RADIANS"]),
];

/// The functions of this file.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v: Vec<ScalarUDF> = UNARY
        .iter()
        .map(|(name, aliases)| udf(name, aliases, unary_rule, unary_kernel, Nulls::Propagate))
        .collect();
    v.push(udf(
        "pow",
        &["power", "POW", "POWER"],
        binary_rule,
        binary_kernel,
        Nulls::Propagate,
    ));
    v.push(udf(
        "atan2",
        &[],
        binary_rule,
        binary_kernel,
        Nulls::Propagate,
    ));
    v.push(udf(
        "hypot",
        &[],
        binary_rule,
        binary_kernel,
        Nulls::Propagate,
    ));
    v.push(udf("e", &["E"], const_rule, const_kernel, Nulls::Propagate));
    v.push(udf(
        "pi",
        &["PI"],
        const_rule,
        const_kernel,
        Nulls::Propagate,
    ));
    for name in ["isNaN", "isFinite", "isInfinite"] {
        v.push(predicate(name, &[], is_rule, is_kernel, Nulls::Propagate));
    }
    v
}

fn numeric(t: &ChType) -> bool {
    is_int(t) || is_float(t) || matches!(t, ChType::Decimal { .. })
}

fn unary_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, 1)?;
    if !numeric(&types[0]) {
        return Err(illegal_types(name, types));
    }
    Ok(ChType::Float64)
}

fn binary_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 2, 2)?;
    if !types.iter().all(numeric) {
        return Err(illegal_types(name, types));
    }
    Ok(ChType::Float64)
}

fn const_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 0, 0)?;
    Ok(ChType::Float64)
}

fn is_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, 1)?;
    if !(is_int(&types[0]) || is_float(&types[0])) {
        return Err(illegal_types(name, types));
    }
    Ok(ChType::UInt8)
}

fn apply(name: &str) -> Option<fn(f64) -> f64> {
    Some(match name {
        "sqrt" => f64::sqrt,
        "cbrt" => f64::cbrt,
        "exp" => f64::exp,
        "exp2" => f64::exp2,
        "exp10" => |x| 10f64.powf(x),
        "log" => f64::ln,
        "log2" => f64::log2,
        "log10" => f64::log10,
        "log1p" => f64::ln_1p,
        "sin" => f64::sin,
        "cos" => f64::cos,
        "tan" => f64::tan,
        "asin" => f64::asin,
        "acos" => f64::acos,
        "atan" => f64::atan,
        "sinh" => f64::sinh,
        "cosh" => f64::cosh,
        "tanh" => f64::tanh,
        "asinh" => f64::asinh,
        "acosh" => f64::acosh,
        "atanh" => f64::atanh,
        "erf" => erf,
        "degrees" => f64::to_degrees,
        "radians" => f64::to_radians,
        _ => return None,
    })
}

/// Error function (Abramowitz–Stegun 7.1.26 refined by one Newton-free series for small x).
fn erf(x: f64) -> f64 {
    // Series for |x| < 2.5 converges fast; beyond, erf is 1 to double precision after ~6.
    if x.abs() < 2.5 {
        let mut sum = x;
        let mut term = x;
        let x2 = x * x;
        let mut n = 0.0;
        while term.abs() > 1e-17 * sum.abs().max(1e-300) {
            n += 1.0;
            term *= -x2 / n;
            sum += term / (2.0 * n + 1.0);
            if n > 200.0 {
                break;
            }
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // Continued fraction for erfc.
        let ax = x.abs();
        let mut f = 0.0;
        for k in (1..60).rev() {
            f = (k as f64 / 2.0) / (ax + f);
        }
        let erfc = (-ax * ax).exp() / (std::f64::consts::PI.sqrt() * (ax + f));
        if x > 0.0 { 1.0 - erfc } else { erfc - 1.0 }
    }
}

fn unary_kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    _r: &ChType,
    _n: usize,
) -> Result<ArrayRef> {
    let Some(f) = apply(name) else {
        ch_bail!(
            LOGICAL_ERROR,
            "unknown math function {name} (this is a bug in Sluice)"
        );
    };
    let x = convert::<Float64Type>(args[0].as_ref(), &types[0])?;
    Ok(Arc::new(x.unary::<_, Float64Type>(f)))
}

fn binary_kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    _r: &ChType,
    _n: usize,
) -> Result<ArrayRef> {
    let x = convert::<Float64Type>(args[0].as_ref(), &types[0])?;
    let y = convert::<Float64Type>(args[1].as_ref(), &types[1])?;
    let r: PrimitiveArray<Float64Type> = match name {
        "pow" => binary(&x, &y, f64::powf)?,
        "atan2" => binary(&x, &y, f64::atan2)?,
        _ => binary(&x, &y, f64::hypot)?,
    };
    Ok(Arc::new(r))
}

fn const_kernel(
    name: &str,
    _args: &[ArrayRef],
    _t: &[ChType],
    _r: &ChType,
    rows: usize,
) -> Result<ArrayRef> {
    let v = if name == "e" {
        std::f64::consts::E
    } else {
        std::f64::consts::PI
    };
    Ok(Arc::new(Float64Array::from_value(v, rows)))
}

fn is_kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    _r: &ChType,
    _n: usize,
) -> Result<ArrayRef> {
    let x = convert::<Float64Type>(args[0].as_ref(), &types[0])?;
    let f: fn(f64) -> bool = match name {
        "isNaN" => f64::is_nan,
        "isFinite" => f64::is_finite,
        _ => f64::is_infinite,
    };
    let values: Vec<bool> = x.values().iter().map(|v| f(*v)).collect();
    Ok(Arc::new(BooleanArray::new(
        values.into(),
        x.nulls().cloned(),
    )))
}
