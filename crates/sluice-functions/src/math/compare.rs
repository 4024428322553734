//! Comparison functions `equals`, `notEquals`, `less`, `greater`, `lessOrEquals`,
//! `greaterOrEquals` (SQL operators stay DataFusion's native ones so Parquet pruning works;
//! these are the explicit function forms). Results are ClickHouse `UInt8`, stored as Arrow
//! `Boolean` without metadata.
//!
//! Numbers compare by exact value across types (`toUInt64(-1) = -1` is 0, `1 = 1.0` is 1),
//! floats by IEEE rules (`nan = nan` is 0); a String compared with a Date, DateTime or number
//! is parsed as that type (`TYPE_MISMATCH` when it does not parse); other types compare in
//! their least supertype.

use std::cmp::Ordering;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::kernels::cmp::{eq, gt, gt_eq, lt, lt_eq, neq};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Decimal256Type, Float64Type, i256};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::{ChType, Error, ErrorCode};

use super::num::{convert, int_info, is_float, is_int, pow10};
use super::udf::{Nulls, check_arity, illegal_types, predicate};
use crate::conditional::supertype::least_supertype;
use crate::util::ch_error;

/// The functions of this file.
pub fn functions() -> Vec<ScalarUDF> {
    [
        "equals",
        "notEquals",
        "less",
        "greater",
        "lessOrEquals",
        "greaterOrEquals",
    ]
    .into_iter()
    .map(|name| predicate(name, &[], rule, kernel, Nulls::Propagate))
    .collect()
}

fn is_stringy(t: &ChType) -> bool {
    matches!(t, ChType::String | ChType::FixedString(_))
}

fn is_numeric(t: &ChType) -> bool {
    is_int(t) || is_float(t) || matches!(t, ChType::Decimal { .. })
}

fn rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 2, 2)?;
    let (a, b) = (types[0].base(), types[1].base());
    if (is_numeric(a) && is_numeric(b)) || is_stringy(a) || is_stringy(b) {
        return Ok(ChType::UInt8);
    }
    least_supertype(&[a.clone(), b.clone()])
        .map_err(|_| illegal_types(name, &[a.clone(), b.clone()]))?;
    Ok(ChType::UInt8)
}

fn decide(name: &str, o: Option<Ordering>) -> bool {
    match (name, o) {
        ("notEquals", None) => true,
        (_, None) => false,
        ("equals", Some(o)) => o == Ordering::Equal,
        ("notEquals", Some(o)) => o != Ordering::Equal,
        ("less", Some(o)) => o == Ordering::Less,
        ("greater", Some(o)) => o == Ordering::Greater,
        ("lessOrEquals", Some(o)) => o != Ordering::Greater,
        (_, Some(o)) => o != Ordering::Less,
    }
}

fn scale_of(t: &ChType) -> u32 {
    match t {
        ChType::Decimal { scale, .. } => u32::from(*scale),
        _ => 0,
    }
}

fn kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    _r: &ChType,
    _rows: usize,
) -> Result<ArrayRef> {
    let (ta, tb) = (types[0].base(), types[1].base());
    let (a, b) = (&args[0], &args[1]);
    if is_numeric(ta) && is_numeric(tb) {
        let nulls = NullBuffer::union(a.logical_nulls().as_ref(), b.logical_nulls().as_ref());
        let values: Vec<bool> = if is_float(ta) || is_float(tb) {
            let x = convert::<Float64Type>(a.as_ref(), ta)?;
            let y = convert::<Float64Type>(b.as_ref(), tb)?;
            (0..x.len())
                .map(|i| decide(name, x.value(i).partial_cmp(&y.value(i))))
                .collect()
        } else if int_info(ta).is_some_and(|(bits, _)| bits <= 64)
            && int_info(tb).is_some_and(|(bits, _)| bits <= 64)
        {
            let x = convert::<Decimal128Type>(a.as_ref(), ta)?;
            let y = convert::<Decimal128Type>(b.as_ref(), tb)?;
            (0..x.len())
                .map(|i| decide(name, Some(x.value(i).cmp(&y.value(i)))))
                .collect()
        } else {
            let (sa, sb) = (scale_of(ta), scale_of(tb));
            let s = sa.max(sb);
            let (ma, mb) = (pow10(s - sa), pow10(s - sb));
            let x = convert::<Decimal256Type>(a.as_ref(), ta)?;
            let y = convert::<Decimal256Type>(b.as_ref(), tb)?;
            (0..x.len())
                .map(|i| {
                    let p = x.value(i).checked_mul(ma);
                    let q = y.value(i).checked_mul(mb);
                    let o = match (p, q) {
                        (Some(p), Some(q)) => p.cmp(&q),
                        // Overflow while rescaling: the rescaled side is the larger magnitude.
                        (None, _) => x.value(i).cmp(&i256::ZERO),
                        (_, None) => i256::ZERO.cmp(&y.value(i)),
                    };
                    decide(name, Some(o))
                })
                .collect()
        };
        return Ok(Arc::new(BooleanArray::new(values.into(), nulls)));
    }
    let (a, b) = if is_stringy(ta) && !is_stringy(tb) {
        (parse_as(a, ta, b.data_type())?, Arc::clone(b))
    } else if is_stringy(tb) && !is_stringy(ta) {
        (Arc::clone(a), parse_as(b, tb, a.data_type())?)
    } else {
        let common = least_supertype(&[ta.clone(), tb.clone()])
            .map_err(ch_error)?
            .to_arrow();
        (to(a, &common)?, to(b, &common)?)
    };
    let r = match name {
        "equals" => eq(&a, &b)?,
        "notEquals" => neq(&a, &b)?,
        "less" => lt(&a, &b)?,
        "greater" => gt(&a, &b)?,
        "lessOrEquals" => lt_eq(&a, &b)?,
        _ => gt_eq(&a, &b)?,
    };
    Ok(Arc::new(r))
}

fn to(a: &ArrayRef, dt: &DataType) -> Result<ArrayRef> {
    if a.data_type() == dt {
        return Ok(Arc::clone(a));
    }
    Ok(cast_with_options(
        a,
        dt,
        &CastOptions {
            safe: false,
            ..Default::default()
        },
    )?)
}

/// Parses a String column as `dt` (the other side's type): `TYPE_MISMATCH` on failure.
fn parse_as(a: &ArrayRef, t: &ChType, dt: &DataType) -> Result<ArrayRef> {
    to(a, dt).map_err(|e| {
        ch_error(Error::new(
            ErrorCode::TYPE_MISMATCH,
            format!("Cannot convert {t} to {dt} for comparison: {e}"),
        ))
    })
}
