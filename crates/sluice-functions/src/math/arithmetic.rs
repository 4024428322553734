//! `plus`, `minus`, `multiply` and `negate` (the engine rewrites `a + b`, `a - b`, `a * b`,
//! `-a` into them): ClickHouse result types (see [`super::arith_types`]), wrapping integer
//! arithmetic in the result width, checked decimal arithmetic (`DECIMAL_OVERFLOW`), and
//! date/time arithmetic (`Date + n` days, `DateTime + n` seconds, `Date - Date`).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use datafusion::arrow::compute::kernels::arity::{binary, unary};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Date64Type, Decimal128Type, Decimal256Type,
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::arith_types::{additive_type, negate_type};
use super::decimal::{DecOp, decimal_binary};
use super::num::{Native, convert, is_float, wrap_big};
use super::udf::{Nulls, check_arity, expand, udf, udf_broadcast};
use crate::ch_bail;

/// The functions of this file.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        udf_broadcast("plus", &[], binary_rule, additive_kernel),
        udf_broadcast("minus", &[], binary_rule, additive_kernel),
        udf_broadcast("multiply", &[], binary_rule, additive_kernel),
        udf("negate", &[], negate_rule, negate_kernel, Nulls::Propagate),
    ]
}

fn binary_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 2, 2)?;
    if super::state_arith::is_state_sum(name, types[0].base(), types[1].base()) {
        return Ok(types[0].base().clone());
    }
    super::state_arith::check_different_states(name, types[0].base(), types[1].base())?;
    additive_type(name, types[0].base(), types[1].base())
}

fn negate_rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 1, 1)?;
    negate_type(name, types[0].base())
}

/// A wrapping binary integer/float operation, generic over the native type.
pub(crate) trait WrapOp {
    /// Applies the operation.
    fn apply<N: Native>(a: N, b: N) -> N;
}

struct Add;
impl WrapOp for Add {
    fn apply<N: Native>(a: N, b: N) -> N {
        a.add_wrapping(b)
    }
}
struct Sub;
impl WrapOp for Sub {
    fn apply<N: Native>(a: N, b: N) -> N {
        a.sub_wrapping(b)
    }
}
struct Mul;
impl WrapOp for Mul {
    fn apply<N: Native>(a: N, b: N) -> N {
        a.mul_wrapping(b)
    }
}

fn prim_binary<T, O>(
    a: &ArrayRef,
    ta: &ChType,
    b: &ArrayRef,
    tb: &ChType,
) -> Result<PrimitiveArray<T>>
where
    T: ArrowPrimitiveType,
    T::Native: Native,
    O: WrapOp,
{
    let x = convert::<T>(a.as_ref(), ta)?;
    let y = convert::<T>(b.as_ref(), tb)?;
    // Constant side (one row against a column): one pass over the column.
    if x.len() == 1 && y.len() != 1 {
        if x.is_null(0) {
            return Ok(PrimitiveArray::<T>::new_null(y.len()));
        }
        let c = x.value(0);
        return Ok(y.unary(|q| O::apply(c, q)));
    }
    if y.len() == 1 && x.len() != 1 {
        if y.is_null(0) {
            return Ok(PrimitiveArray::<T>::new_null(x.len()));
        }
        let c = y.value(0);
        return Ok(x.unary(|p| O::apply(p, c)));
    }
    Ok(binary(&x, &y, |p, q| O::apply(p, q))?)
}

/// Converts both sides to `result` and applies `O` wrapping in `result`'s width.
pub(crate) fn wrapping_binary<O: WrapOp>(
    a: &ArrayRef,
    ta: &ChType,
    b: &ArrayRef,
    tb: &ChType,
    result: &ChType,
) -> Result<ArrayRef> {
    Ok(match result {
        ChType::UInt8 => Arc::new(prim_binary::<UInt8Type, O>(a, ta, b, tb)?),
        ChType::UInt16 => Arc::new(prim_binary::<UInt16Type, O>(a, ta, b, tb)?),
        ChType::UInt32 => Arc::new(prim_binary::<UInt32Type, O>(a, ta, b, tb)?),
        ChType::UInt64 => Arc::new(prim_binary::<UInt64Type, O>(a, ta, b, tb)?),
        ChType::Int8 => Arc::new(prim_binary::<Int8Type, O>(a, ta, b, tb)?),
        ChType::Int16 => Arc::new(prim_binary::<Int16Type, O>(a, ta, b, tb)?),
        ChType::Int32 => Arc::new(prim_binary::<Int32Type, O>(a, ta, b, tb)?),
        ChType::Int64 => Arc::new(prim_binary::<Int64Type, O>(a, ta, b, tb)?),
        ChType::Float32 => Arc::new(prim_binary::<Float32Type, O>(a, ta, b, tb)?),
        ChType::Float64 => Arc::new(prim_binary::<Float64Type, O>(a, ta, b, tb)?),
        ChType::Int128 | ChType::UInt128 | ChType::Int256 | ChType::UInt256 => {
            let r = prim_binary::<Decimal256Type, O>(a, ta, b, tb)?;
            let r: PrimitiveArray<Decimal256Type> = r.unary(|v| wrap_big(v, result));
            Arc::new(r.with_data_type(DataType::Decimal256(76, 0)))
        }
        other => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Unsupported arithmetic result type {other}"
        ),
    })
}

fn additive_kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    rows: usize,
) -> Result<ArrayRef> {
    if super::state_arith::is_state_sum(name, types[0].base(), types[1].base()) {
        return super::state_arith::merge_states(&args[0], &args[1], result, rows);
    }
    let (ta, tb) = (types[0].base(), types[1].base());
    let plain = !matches!(
        result,
        ChType::Decimal { .. }
            | ChType::Date
            | ChType::Date32
            | ChType::DateTime(_)
            | ChType::DateTime64(..)
    ) && !matches!(
        ta,
        ChType::Date | ChType::DateTime(_) | ChType::DateTime64(..)
    );
    if plain {
        return match name {
            "plus" => wrapping_binary::<Add>(&args[0], ta, &args[1], tb, result),
            "minus" => wrapping_binary::<Sub>(&args[0], ta, &args[1], tb, result),
            _ => wrapping_binary::<Mul>(&args[0], ta, &args[1], tb, result),
        };
    }
    let rows = args[0].len().max(args[1].len());
    let (a, b) = (&expand(&args[0], rows)?, &expand(&args[1], rows)?);
    let op = match name {
        "plus" => DecOp::Add,
        "minus" => DecOp::Sub,
        _ => DecOp::Mul,
    };
    if matches!(result, ChType::Decimal { .. }) && !matches!(ta, ChType::DateTime64(..)) {
        return decimal_binary(name, op, a, ta, b, tb, result);
    }
    match (ta, tb) {
        (ChType::DateTime64(..), ChType::DateTime64(..)) => {
            return datetime64_diff(a, ta, b, tb, result);
        }
        (ChType::Date, ChType::Date) | (ChType::DateTime(_), ChType::DateTime(_)) => {
            return wrapping_binary::<Sub>(a, &ChType::Int64, b, &ChType::Int64, &ChType::Int32);
        }
        _ => {}
    }
    if matches!(
        result,
        ChType::Date | ChType::Date32 | ChType::DateTime(_) | ChType::DateTime64(..)
    ) {
        let (date, n, tn) = if *result == *ta.base() && !is_float(ta) {
            (a, b, tb)
        } else {
            (b, a, ta)
        };
        return date_shift(date, n, tn, result, name == "minus");
    }
    match name {
        "plus" => wrapping_binary::<Add>(a, ta, b, tb, result),
        "minus" => wrapping_binary::<Sub>(a, ta, b, tb, result),
        _ => wrapping_binary::<Mul>(a, ta, b, tb, result),
    }
}

/// `date ± n`: days for Date/Date32, seconds for DateTime/DateTime64 (n truncated to an
/// integer); Date wraps like ClickHouse's UInt16 day number, DateTime like its UInt32.
fn date_shift(
    date: &ArrayRef,
    n: &ArrayRef,
    tn: &ChType,
    result: &ChType,
    minus: bool,
) -> Result<ArrayRef> {
    let n = convert::<Int64Type>(n.as_ref(), tn)?;
    let sign = if minus { -1i64 } else { 1 };
    Ok(match date.data_type() {
        DataType::Date32 => {
            let d = date.as_primitive::<Date32Type>();
            let r: PrimitiveArray<Date32Type> = binary(d, &n, |d, k| {
                (i64::from(d).wrapping_add(sign.wrapping_mul(k)) as u16) as i32
            })?;
            Arc::new(r)
        }
        DataType::Date64 => {
            let d = date.as_primitive::<Date64Type>();
            let r: PrimitiveArray<Date64Type> = binary(d, &n, |d, k| {
                d.wrapping_add(sign.wrapping_mul(k).wrapping_mul(86_400_000))
            })?;
            Arc::new(r)
        }
        DataType::Timestamp(unit, tz) => {
            let per_second: i64 = match unit {
                TimeUnit::Second => 1,
                TimeUnit::Millisecond => 1_000,
                TimeUnit::Microsecond => 1_000_000,
                TimeUnit::Nanosecond => 1_000_000_000,
            };
            let secs = matches!(result, ChType::DateTime(_));
            let f = |d: i64, k: i64| {
                let v = d.wrapping_add(sign.wrapping_mul(k).wrapping_mul(per_second));
                if secs { i64::from(v as u32) } else { v }
            };
            macro_rules! ts {
                ($t:ty) => {{
                    let r: PrimitiveArray<$t> = binary(date.as_primitive::<$t>(), &n, f)?;
                    Arc::new(r.with_timezone_opt(tz.clone())) as ArrayRef
                }};
            }
            match unit {
                TimeUnit::Second => ts!(TimestampSecondType),
                TimeUnit::Millisecond => ts!(TimestampMillisecondType),
                TimeUnit::Microsecond => ts!(TimestampMicrosecondType),
                TimeUnit::Nanosecond => ts!(TimestampNanosecondType),
            }
        }
        other => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal date argument of type {other}"
        ),
    })
}

/// `DateTime64 - DateTime64` as `Decimal(18, p)` (p the larger precision).
fn datetime64_diff(
    a: &ArrayRef,
    ta: &ChType,
    b: &ArrayRef,
    tb: &ChType,
    result: &ChType,
) -> Result<ArrayRef> {
    let ChType::Decimal { precision, scale } = result else {
        ch_bail!(
            LOGICAL_ERROR,
            "DateTime64 difference must be a Decimal (this is a bug in Sluice)"
        );
    };
    // Values of each side in units of 10^-scale seconds.
    let to_scaled = |arr: &ArrayRef, t: &ChType| -> Result<PrimitiveArray<Int64Type>> {
        let raw = convert::<Int64Type>(arr.as_ref(), t)?;
        let unit_digits: i32 = match arr.data_type() {
            DataType::Timestamp(TimeUnit::Millisecond, _) => 3,
            DataType::Timestamp(TimeUnit::Microsecond, _) => 6,
            DataType::Timestamp(TimeUnit::Nanosecond, _) => 9,
            _ => 0,
        };
        let shift = i32::from(*scale) - unit_digits;
        Ok(if shift >= 0 {
            let m = 10i64.pow(shift as u32);
            unary(&raw, |v| v.wrapping_mul(m))
        } else {
            let d = 10i64.pow((-shift) as u32);
            unary(&raw, |v| v / d)
        })
    };
    let x = to_scaled(a, ta)?;
    let y = to_scaled(b, tb)?;
    let r: PrimitiveArray<Decimal128Type> = binary(&x, &y, |p, q| i128::from(p.wrapping_sub(q)))?;
    Ok(Arc::new(
        r.with_precision_and_scale(*precision, *scale as i8)?,
    ))
}

fn negate_kernel(
    _name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    rows: usize,
) -> Result<ArrayRef> {
    let t = types[0].base();
    if let ChType::Decimal { .. } = result {
        let zero: ArrayRef = Arc::new(PrimitiveArray::<Int8Type>::from_value(0, rows));
        return decimal_binary(
            "negate",
            DecOp::Sub,
            &zero,
            &ChType::Int8,
            &args[0],
            t,
            result,
        );
    }
    // 0 - x in the result type: wraps exactly like ClickHouse's negation.
    let zero: ArrayRef = Arc::new(PrimitiveArray::<Int8Type>::from_value(0, args[0].len()));
    let zero = match args[0].nulls() {
        Some(n) => Arc::new(PrimitiveArray::<Int8Type>::new(
            zero.as_primitive::<Int8Type>().values().clone(),
            Some(n.clone()),
        )) as ArrayRef,
        None => zero,
    };
    if is_float(result) {
        // -0.0 must stay distinguishable: negate directly.
        let x = convert::<Float64Type>(args[0].as_ref(), t)?;
        return Ok(match result {
            ChType::Float64 => Arc::new(unary::<_, _, Float64Type>(&x, |v| -v)),
            _ => Arc::new(unary::<_, _, Float32Type>(&x, |v| -(v as f32))),
        });
    }
    wrapping_binary::<Sub>(&zero, &ChType::Int8, &args[0], t, result)
}
