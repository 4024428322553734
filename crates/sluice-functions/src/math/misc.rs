//! `abs` (signed integers become unsigned: `abs(toInt8(-128))` = 128 as UInt8), `sign`
//! (Int8), `gcd`/`lcm` (type as `plus`, `ILLEGAL_DIVISION` on zero), `greatest`/`least`
//! (least supertype; NULL arguments are skipped), `factorial` (UInt64; negative → 1, above
//! 20 `BAD_ARGUMENTS`), and `rand`/`rand32`/`rand64`/`randConstant`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::arrow::array::{Array, ArrayRef, Int8Array, UInt32Array, UInt64Array};
use datafusion::arrow::compute::kernels::cmp::{gt, lt};
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::compute::{and, cast, is_not_null, is_null, or};
use datafusion::arrow::datatypes::{Decimal256Type, Float64Type, i256};
use datafusion::common::Result;
use datafusion::logical_expr::{ScalarUDF, Volatility};
use sluice_common::ChType;

use super::arith_types::additive_type;
use super::num::{cast_to, convert, from_i256, int_info, is_float, is_int, wrap_big};
use super::udf::{Nulls, check_arity, illegal_types, make, udf};
use crate::conditional::supertype::{least_supertype, make_nullable};
use crate::util::ch_error;

/// The functions of this file.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        udf("abs", &["ABS"], abs_rule, abs_kernel, Nulls::Propagate),
        udf("sign", &["SIGN"], sign_rule, sign_kernel, Nulls::Propagate),
        udf(
            "factorial",
            &[],
            factorial_rule,
            factorial_kernel,
            Nulls::Propagate,
        ),
        udf("gcd", &[], gcd_rule, gcd_kernel, Nulls::Propagate),
        udf("lcm", &[], gcd_rule, gcd_kernel, Nulls::Propagate),
        udf(
            "greatest",
            &["GREATEST"],
            extreme_rule,
            extreme_kernel,
            Nulls::Own,
        ),
        udf(
            "least",
            &["LEAST"],
            extreme_rule,
            extreme_kernel,
            Nulls::Own,
        ),
        make(
            "rand",
            &["rand32"],
            rand_rule,
            rand_kernel,
            Nulls::Own,
            Volatility::Volatile,
        ),
        make(
            "rand64",
            &[],
            rand_rule,
            rand_kernel,
            Nulls::Own,
            Volatility::Volatile,
        ),
        make(
            "randConstant",
            &[],
            rand_rule,
            rand_kernel,
            Nulls::Own,
            Volatility::Volatile,
        ),
    ]
}

fn abs_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, 1)?;
    let t = &types[0];
    if let Some((bits, _)) = int_info(t) {
        return Ok(super::num::int_of(bits, false));
    }
    if is_float(t) || matches!(t, ChType::Decimal { .. }) {
        return Ok(t.clone());
    }
    Err(illegal_types(name, types))
}

fn abs_kernel(
    _name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    _n: usize,
) -> Result<ArrayRef> {
    let t = &types[0];
    if is_float(t) {
        let x = convert::<Float64Type>(args[0].as_ref(), t)?;
        return cast_to(
            &x.unary::<_, Float64Type>(f64::abs),
            &ChType::Float64,
            result,
        );
    }
    let raw = convert::<Decimal256Type>(args[0].as_ref(), t)?;
    let signed = int_info(t).is_none_or(|(_, s)| s);
    let out = raw.unary::<_, Decimal256Type>(|v| if signed { v.wrapping_abs() } else { v });
    if let ChType::Decimal { precision, scale } = result {
        let arr: ArrayRef = Arc::new(out.with_precision_and_scale(76, *scale as i8)?);
        return Ok(cast(&arr, &result.to_arrow()).or_else(|_| {
            cast(
                &arr,
                &datafusion::arrow::datatypes::DataType::Decimal256(*precision, *scale as i8),
            )
        })?);
    }
    let out = out.unary::<_, Decimal256Type>(|v| wrap_big(v, result));
    cast_to(&out, &ChType::Int256, result)
}

fn factorial_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, 1)?;
    match int_info(&types[0]) {
        Some((bits, _)) if bits <= 64 => Ok(ChType::UInt64),
        _ if types[0] == ChType::Bool => Ok(ChType::UInt64),
        _ => Err(sluice_common::Error::new(
            sluice_common::ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
            format!(
                "Illegal type of argument of function {name}, should not be floating point or big int"
            ),
        )),
    }
}

/// `n!` for `n` ≤ 20 (the largest that fits a UInt64); 1 for every `n` ≤ 0.
fn factorial_kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    _r: &ChType,
    _n: usize,
) -> Result<ArrayRef> {
    let x = convert::<Decimal256Type>(args[0].as_ref(), &types[0])?;
    let mut out = Vec::with_capacity(x.len());
    for (i, v) in x.values().iter().enumerate() {
        let n = if x.is_null(i) {
            0
        } else {
            v.to_i128().unwrap_or(i128::MAX)
        };
        if n > 20 {
            return Err(ch_error(sluice_common::Error::new(
                sluice_common::ErrorCode::BAD_ARGUMENTS,
                format!("The maximum value for the input argument of function {name} is 20"),
            )));
        }
        out.push((2..=n.max(1) as u64).product::<u64>());
    }
    Ok(Arc::new(UInt64Array::new(out.into(), x.nulls().cloned())))
}

fn sign_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, 1)?;
    let t = &types[0];
    if is_int(t) || is_float(t) || matches!(t, ChType::Decimal { .. }) {
        return Ok(ChType::Int8);
    }
    Err(illegal_types(name, types))
}

fn sign_kernel(
    _name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    _r: &ChType,
    _n: usize,
) -> Result<ArrayRef> {
    let t = &types[0];
    let values: Vec<i8> = if is_float(t) {
        let x = convert::<Float64Type>(args[0].as_ref(), t)?;
        x.values()
            .iter()
            .map(|v| {
                if *v > 0.0 {
                    1
                } else if *v < 0.0 {
                    -1
                } else {
                    0
                }
            })
            .collect()
    } else {
        let x = convert::<Decimal256Type>(args[0].as_ref(), t)?;
        let unsigned = int_info(t).is_some_and(|(_, s)| !s);
        x.values()
            .iter()
            .map(|v| match v.cmp(&i256::ZERO) {
                std::cmp::Ordering::Greater => 1,
                std::cmp::Ordering::Less if unsigned => 1,
                std::cmp::Ordering::Less => -1,
                std::cmp::Ordering::Equal => 0,
            })
            .collect()
    };
    Ok(Arc::new(Int8Array::new(
        values.into(),
        args[0].nulls().cloned(),
    )))
}

fn gcd_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 2, 2)?;
    if !(is_int(&types[0]) && is_int(&types[1])) {
        return Err(illegal_types(name, types));
    }
    additive_type("plus", &types[0], &types[1])
}

fn gcd_of(mut a: i256, mut b: i256) -> i256 {
    a = a.wrapping_abs();
    b = b.wrapping_abs();
    while b != i256::ZERO {
        let r = a.wrapping_rem(b);
        a = b;
        b = r;
    }
    a
}

fn gcd_kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    _n: usize,
) -> Result<ArrayRef> {
    let x = convert::<Decimal256Type>(args[0].as_ref(), &types[0])?;
    let y = convert::<Decimal256Type>(args[1].as_ref(), &types[1])?;
    let nulls = datafusion::arrow::buffer::NullBuffer::union(x.nulls(), y.nulls());
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            out.push(i256::ZERO);
            continue;
        }
        let (a, b) = (x.value(i), y.value(i));
        if a == i256::ZERO || b == i256::ZERO {
            return Err(ch_error(sluice_common::Error::new(
                sluice_common::ErrorCode::ILLEGAL_DIVISION,
                format!("Division by zero in function {name}"),
            )));
        }
        let g = gcd_of(a, b);
        out.push(if name == "gcd" {
            g
        } else {
            a.wrapping_div(g).wrapping_mul(b).wrapping_abs()
        });
    }
    from_i256(out, nulls, result)
}

fn extreme_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, usize::MAX)?;
    let t = least_supertype(types)?;
    Ok(if types.iter().any(|t| t.is_nullable()) {
        make_nullable(t)
    } else {
        t
    })
}

fn extreme_kernel(
    name: &str,
    args: &[ArrayRef],
    _types: &[ChType],
    result: &ChType,
    rows: usize,
) -> Result<ArrayRef> {
    let target = result.to_arrow();
    if target == datafusion::arrow::datatypes::DataType::Null {
        return Ok(datafusion::arrow::array::new_null_array(&target, rows));
    }
    let conv = |a: &ArrayRef| -> Result<ArrayRef> {
        if a.data_type() == &target {
            Ok(Arc::clone(a))
        } else {
            Ok(cast(a, &target)?)
        }
    };
    let mut acc = conv(&args[0])?;
    for a in &args[1..] {
        let b = conv(a)?;
        let better = if name == "greatest" {
            gt(&b, &acc)?
        } else {
            lt(&b, &acc)?
        };
        // Take b where acc is NULL, or where b is present and better.
        let take = or(&is_null(&acc)?, &and(&is_not_null(&b)?, &better)?)?;
        let take = datafusion::arrow::array::BooleanArray::new(take.values().clone(), None);
        acc = zip(&take, &b, &acc)?;
    }
    Ok(acc)
}

fn rand_rule(name: &str, _types: &[ChType]) -> sluice_common::Result<ChType> {
    Ok(if name == "rand64" {
        ChType::UInt64
    } else {
        ChType::UInt32
    })
}

static RAND_STATE: AtomicU64 = AtomicU64::new(0);

/// A splitmix64 stream seeded once per process from the clock and an address.
fn next_random() -> u64 {
    if RAND_STATE.load(Ordering::Relaxed) == 0 {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9);
        let local = 0u8;
        let _ = RAND_STATE.compare_exchange(
            0,
            t ^ (&local as *const u8 as u64) | 1,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
    let mut z = RAND_STATE
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn rand_kernel(
    name: &str,
    _args: &[ArrayRef],
    _t: &[ChType],
    _r: &ChType,
    rows: usize,
) -> Result<ArrayRef> {
    Ok(match name {
        "rand64" => Arc::new(UInt64Array::from_iter_values(
            (0..rows).map(|_| next_random()),
        )),
        "randConstant" => {
            let v = next_random() as u32;
            Arc::new(UInt32Array::from_iter_values((0..rows).map(|_| v)))
        }
        _ => Arc::new(UInt32Array::from_iter_values(
            (0..rows).map(|_| next_random() as u32),
        )),
    })
}
