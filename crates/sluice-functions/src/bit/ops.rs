//! Bitwise operators and shifts: `bitAnd`, `bitOr`, `bitXor`, `bitNot`, `bitShiftLeft`,
//! `bitShiftRight`, `bitRotateLeft`, `bitRotateRight`.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::{column_of, fit, int_shape, int_type, raw_bits};
use crate::ch_bail;
use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// A binary operation on raw bits of the result width: `(a, b, bits, signed)`.
type BinOp = fn(u64, u64, u32, bool) -> Result<u64>;

macro_rules! binary_fns {
    ($($name:literal => $kernel:ident($op:ident);)*) => {
        /// The functions of this file.
        pub(crate) fn functions() -> Vec<ScalarUDF> {
            vec![
                $(ChUdf::new($name, binary_type, $kernel).build(),)*
                ChUdf::new("bitNot", not_type, bit_not).build(),
            ]
        }
        $(fn $kernel(a: &Args) -> Result<ArrayRef> {
            binary(a, $op)
        })*
    };
}

binary_fns! {
    "bitAnd" => bit_and(and);
    "bitOr" => bit_or(or);
    "bitXor" => bit_xor(xor);
    "bitShiftLeft" => bit_shift_left(shift_left);
    "bitShiftRight" => bit_shift_right(shift_right);
    "bitRotateLeft" => bit_rotate_left(rotate_left);
    "bitRotateRight" => bit_rotate_right(rotate_right);
}

/// Signed when either is, as wide as the wider.
pub(crate) fn binary_result(a: &TypeArgs) -> Result<(u32, bool)> {
    arity(a, 2, 2)?;
    match (int_shape(&a.types[0]), int_shape(&a.types[1])) {
        (Some((wa, sa)), Some((wb, sb))) => Ok((wa.max(wb), sa || sb)),
        _ => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal types {} and {} of arguments of function {}",
            a.types[0],
            a.types[1],
            a.name
        ),
    }
}

fn binary_type(a: &TypeArgs) -> Result<Ret> {
    let (bits, signed) = binary_result(a)?;
    Ok(int_type(bits, signed).into())
}

fn binary(a: &Args, op: BinOp) -> Result<ArrayRef> {
    let (bits, signed) = int_shape(&a.ret.t).unwrap_or((64, false));
    let sign = |t: &ChType| int_shape(t).is_some_and(|s| s.1);
    let x = raw_bits(&a.cols[0], sign(&a.types[0]))?;
    let y = raw_bits(&a.cols[1], sign(&a.types[1]))?;
    let mut out = Vec::with_capacity(a.rows);
    for (x, y) in x.into_iter().zip(y) {
        let x = fit(x, bits, signed);
        let y = fit(y, bits, signed);
        out.push(fit(op(x, y, bits, signed)?, bits, signed));
    }
    column_of(out, &a.ret.t)
}

fn and(x: u64, y: u64, _: u32, _: bool) -> Result<u64> {
    Ok(x & y)
}

fn or(x: u64, y: u64, _: u32, _: bool) -> Result<u64> {
    Ok(x | y)
}

fn xor(x: u64, y: u64, _: u32, _: bool) -> Result<u64> {
    Ok(x ^ y)
}

/// The shift count: negative is an error.
fn shift_count(y: u64, signed: bool) -> Result<u64> {
    if signed && (y as i64) < 0 {
        ch_bail!(
            ARGUMENT_OUT_OF_BOUND,
            "The number of shift positions needs to be a non-negative value"
        );
    }
    Ok(y)
}

fn shift_left(x: u64, y: u64, bits: u32, signed: bool) -> Result<u64> {
    let n = shift_count(y, signed)?;
    Ok(if n >= u64::from(bits) { 0 } else { x << n })
}

fn shift_right(x: u64, y: u64, bits: u32, signed: bool) -> Result<u64> {
    let n = shift_count(y, signed)?;
    Ok(if n >= u64::from(bits) {
        0
    } else if signed {
        ((x as i64) >> n) as u64
    } else {
        x >> n
    })
}

/// Rotates the low `bits` bits left by `n` (mod `bits`).
fn rotate(x: u64, n: u64, bits: u32) -> u64 {
    let n = (n % u64::from(bits)) as u32;
    let x = fit(x, bits, false);
    if n == 0 {
        return x;
    }
    fit((x << n) | (x >> (bits - n)), bits, false)
}

fn rotate_left(x: u64, y: u64, bits: u32, _: bool) -> Result<u64> {
    Ok(rotate(x, y, bits))
}

fn rotate_right(x: u64, y: u64, bits: u32, _: bool) -> Result<u64> {
    Ok(rotate(x, u64::from(bits) - y % u64::from(bits), bits))
}

/// `bitNot` keeps the type (`Bool` becomes `UInt8`).
fn not_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    match int_shape(&a.types[0]) {
        Some((bits, signed)) => Ok(int_type(bits, signed).into()),
        None => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument of function {}",
            a.types[0],
            a.name
        ),
    }
}

fn bit_not(a: &Args) -> Result<ArrayRef> {
    let (bits, signed) = int_shape(&a.ret.t).unwrap_or((64, false));
    let out = raw_bits(&a.cols[0], signed)?
        .into_iter()
        .map(|v| fit(!v, bits, signed))
        .collect();
    column_of(out, &a.ret.t)
}
