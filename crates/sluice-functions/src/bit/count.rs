//! Bit tests and counts: `bitTest(x, i)`, `bitTestAll(x, i…)`, `bitTestAny(x, i…)`,
//! `bitCount(x)` (floats count the bits of their representation) and
//! `bitHammingDistance(a, b)` (over 64 sign-extended bits). All return `UInt8`.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, UInt8Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::{int_shape, raw_bits};
use crate::ch_bail;
use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("bitTest", test_type, bit_test).build(),
        ChUdf::new("bitTestAll", test_many_type, bit_test_all).build(),
        ChUdf::new("bitTestAny", test_many_type, bit_test_any).build(),
        ChUdf::new("bitCount", count_type, bit_count).build(),
        ChUdf::new("bitHammingDistance", hamming_type, bit_hamming).build(),
    ]
}

/// ClickHouse's `PARAMETER_OUT_OF_BOUND` (12).
fn out_of_bound(msg: String) -> datafusion::error::DataFusionError {
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::PARAMETER_OUT_OF_BOUND,
        msg,
    ))
}

fn ints_only(a: &TypeArgs) -> Result<()> {
    if a.types.iter().all(|t| int_shape(t).is_some()) {
        return Ok(());
    }
    let names: Vec<String> = a.types.iter().map(|t| t.to_string()).collect();
    ch_bail!(
        ILLEGAL_TYPE_OF_ARGUMENT,
        "Illegal types {} of arguments of function {}",
        names.join(" and "),
        a.name
    )
}

fn test_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    ints_only(a)?;
    Ok(ChType::UInt8.into())
}

fn test_many_type(a: &TypeArgs) -> Result<Ret> {
    if a.types.len() < 2 {
        ch_bail!(
            TOO_FEW_ARGUMENTS_FOR_FUNCTION,
            "Number of arguments for function {} doesn't match: passed {}, should be at least 2",
            a.name,
            a.types.len()
        );
    }
    ints_only(a)?;
    Ok(ChType::UInt8.into())
}

fn signed(t: &ChType) -> bool {
    int_shape(t).is_some_and(|s| s.1)
}

fn flags(v: Vec<bool>) -> ArrayRef {
    Arc::new(UInt8Array::from(
        v.into_iter().map(u8::from).collect::<Vec<_>>(),
    ))
}

fn bit_test(a: &Args) -> Result<ArrayRef> {
    let (bits, _) = int_shape(&a.types[0]).unwrap_or((64, false));
    let x = raw_bits(&a.cols[0], signed(&a.types[0]))?;
    let pos = raw_bits(&a.cols[1], signed(&a.types[1]))?;
    let mut out = Vec::with_capacity(a.rows);
    for (x, p) in x.into_iter().zip(pos) {
        if p >= u64::from(bits) {
            let shown = if signed(&a.types[0]) {
                (x as i64).to_string()
            } else {
                x.to_string()
            };
            return Err(out_of_bound(format!(
                "The bit position argument needs to a positive value and less or equal to {} \
                 for integer {shown}",
                bits - 1
            )));
        }
        out.push((x >> p) & 1 == 1);
    }
    Ok(flags(out))
}

fn test_many(a: &Args, all: bool) -> Result<ArrayRef> {
    let (bits, _) = int_shape(&a.types[0]).unwrap_or((64, false));
    let x = raw_bits(&a.cols[0], signed(&a.types[0]))?;
    let mut positions = Vec::with_capacity(a.cols.len() - 1);
    for (c, t) in a.cols.iter().zip(&a.types).skip(1) {
        positions.push(raw_bits(c, signed(t))?);
    }
    let mut out = Vec::with_capacity(a.rows);
    for (i, x) in x.into_iter().enumerate() {
        let mut mask = 0u64;
        for p in &positions {
            let p = p[i];
            if p >= u64::from(bits) {
                let shown = if signed(&a.types[1]) {
                    (p as i64).to_string()
                } else {
                    p.to_string()
                };
                return Err(out_of_bound(format!(
                    "The bit position argument {shown} is out of bounds for number"
                )));
            }
            mask |= 1 << p;
        }
        out.push(if all { x & mask == mask } else { x & mask != 0 });
    }
    Ok(flags(out))
}

fn bit_test_all(a: &Args) -> Result<ArrayRef> {
    test_many(a, true)
}

fn bit_test_any(a: &Args) -> Result<ArrayRef> {
    test_many(a, false)
}

fn count_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    let t = &a.types[0];
    if int_shape(t).is_none() && !matches!(t, ChType::Float32 | ChType::Float64) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument of function {}",
            a.name
        );
    }
    Ok(ChType::UInt8.into())
}

fn bit_count(a: &Args) -> Result<ArrayRef> {
    let t = &a.types[0];
    let counts: Vec<u8> = match t {
        ChType::Float64 => {
            let c = cast(&a.cols[0], &DataType::Float64)?;
            let c = c.as_primitive::<Float64Type>();
            c.values()
                .iter()
                .map(|v| v.to_bits().count_ones() as u8)
                .collect()
        }
        ChType::Float32 => {
            let c = cast(&a.cols[0], &DataType::Float32)?;
            let c = c.as_primitive::<Float32Type>();
            c.values()
                .iter()
                .map(|v| v.to_bits().count_ones() as u8)
                .collect()
        }
        _ => {
            let (bits, s) = int_shape(t).unwrap_or((64, false));
            let mask = if bits >= 64 {
                u64::MAX
            } else {
                (1 << bits) - 1
            };
            raw_bits(&a.cols[0], s)?
                .into_iter()
                .map(|v| (v & mask).count_ones() as u8)
                .collect()
        }
    };
    Ok(Arc::new(UInt8Array::from(counts)))
}

fn hamming_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    ints_only(a)?;
    Ok(ChType::UInt8.into())
}

fn bit_hamming(a: &Args) -> Result<ArrayRef> {
    let x = raw_bits(&a.cols[0], signed(&a.types[0]))?;
    let y = raw_bits(&a.cols[1], signed(&a.types[1]))?;
    let out: Vec<u8> = x
        .into_iter()
        .zip(y)
        .map(|(x, y)| (x ^ y).count_ones() as u8)
        .collect();
    Ok(Arc::new(UInt8Array::from(out)))
}
