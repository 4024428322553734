//! ClickHouse's bit functions on integers of up to 64 bits.
//!
//! Module map:
//! - [`ops`] — bitAnd/Or/Xor/Not, bitShiftLeft/Right, bitRotateLeft/Right: the result is
//!   signed when either argument is, as wide as the wider one; shifting by the width or
//!   more gives 0, a negative shift is `ARGUMENT_OUT_OF_BOUND`.
//! - [`count`] — bitTest, bitTestAll, bitTestAny, bitCount, bitHammingDistance.
//!
//! Values are carried as 64 raw bits (signed inputs sign-extended) and cut to the result
//! width at the end.

pub(crate) mod count;
pub(crate) mod ops;

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Int64Array, UInt64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, UInt64Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    v.extend(ops::functions());
    v.extend(count::functions());
    v
}

/// Width in bits and signedness of an integer type (`Bool` counts as `UInt8`).
pub(crate) fn int_shape(t: &ChType) -> Option<(u32, bool)> {
    Some(match t {
        ChType::UInt8 | ChType::Bool => (8, false),
        ChType::UInt16 => (16, false),
        ChType::UInt32 => (32, false),
        ChType::UInt64 => (64, false),
        ChType::Int8 => (8, true),
        ChType::Int16 => (16, true),
        ChType::Int32 => (32, true),
        ChType::Int64 => (64, true),
        _ => return None,
    })
}

/// The integer type of a width and signedness.
pub(crate) fn int_type(bits: u32, signed: bool) -> ChType {
    match (bits, signed) {
        (8, false) => ChType::UInt8,
        (16, false) => ChType::UInt16,
        (32, false) => ChType::UInt32,
        (64, false) => ChType::UInt64,
        (8, true) => ChType::Int8,
        (16, true) => ChType::Int16,
        (32, true) => ChType::Int32,
        _ => ChType::Int64,
    }
}

/// A column's values as 64 raw bits (signed types sign-extended).
pub(crate) fn raw_bits(col: &ArrayRef, signed: bool) -> Result<Vec<u64>> {
    let col = if *col.data_type() == DataType::Boolean {
        cast(col, &DataType::UInt8)?
    } else {
        Arc::clone(col)
    };
    if signed {
        let c = cast(&col, &DataType::Int64)?;
        Ok(c.as_primitive::<Int64Type>()
            .values()
            .iter()
            .map(|v| *v as u64)
            .collect())
    } else {
        let c = cast(&col, &DataType::UInt64)?;
        Ok(c.as_primitive::<UInt64Type>().values().to_vec())
    }
}

/// `v` cut to `bits` bits: as a sign-extended value when `signed`, zero-extended otherwise.
pub(crate) fn fit(v: u64, bits: u32, signed: bool) -> u64 {
    if bits >= 64 {
        return v;
    }
    let shift = 64 - bits;
    if signed {
        (((v << shift) as i64) >> shift) as u64
    } else {
        (v << shift) >> shift
    }
}

/// A column of type `t` from raw bits already fitted to it.
pub(crate) fn column_of(vals: Vec<u64>, t: &ChType) -> Result<ArrayRef> {
    let Some((_, signed)) = int_shape(t) else {
        return Ok(Arc::new(UInt64Array::from(vals)));
    };
    let arr: ArrayRef = if signed {
        Arc::new(Int64Array::from(
            vals.into_iter().map(|v| v as i64).collect::<Vec<_>>(),
        ))
    } else {
        Arc::new(UInt64Array::from(vals))
    };
    Ok(cast(&arr, &t.to_arrow())?)
}
