//! `modulo` / `moduloOrZero` / `positiveModulo` of integers up to 64 bits in native
//! arithmetic (the general kernel goes through 256-bit integers). Unsigned operands use
//! `u64`, the others `i64` (every value of both sides fits); the remainder takes the
//! dividend's sign as in ClickHouse. A divisor that is the same on every row (`x % 7`: the
//! literal arrives as a column) is applied as a precomputed multiplicative inverse
//! (Lemire's "fastmod"), the way ClickHouse uses libdivide for a constant divisor.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{
    ArrowNativeType, ArrowPrimitiveType, DataType, Int64Type, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use datafusion::common::Result;
use sluice_common::ChType;

use super::division::{ModOps, modulo_error};
use super::num::{cast_to, convert, int_info};

/// `a % d` for a fixed `d` by multiplication: `m = ⌊(2^128 − 1) / d⌋ + 1`, then the high
/// 64 bits of `(m·a mod 2^128)·d`; exact for every 64-bit `a` and `d ≥ 1`.
#[derive(Clone, Copy)]
struct FastMod {
    m: u128,
    d: u64,
}

impl FastMod {
    fn new(d: u64) -> Self {
        Self {
            m: (u128::MAX / u128::from(d)).wrapping_add(1),
            d,
        }
    }

    #[inline]
    fn rem(self, a: u64) -> u64 {
        let low = self.m.wrapping_mul(u128::from(a));
        let d = u128::from(self.d);
        let bottom = ((low & u128::from(u64::MAX)) * d) >> 64;
        let top = (low >> 64) * d;
        ((bottom + top) >> 64) as u64
    }
}

/// `a % d` for a fixed `d < 2^32` and `a < 2^32` with 64-bit arithmetic (Lemire's 32-bit
/// "fastmod": `m = ⌊(2^64 − 1) / d⌋ + 1`, then the high 64 bits of `(m·a mod 2^64)·d`):
/// two multiplications where [`FastMod`] needs four.
#[derive(Clone, Copy)]
struct FastMod32 {
    m: u64,
    d: u64,
}

impl FastMod32 {
    fn new(d: u32) -> Self {
        Self {
            m: (u64::MAX / u64::from(d)).wrapping_add(1),
            d: u64::from(d),
        }
    }

    #[inline]
    fn rem(self, a: u32) -> u64 {
        let low = self.m.wrapping_mul(u64::from(a));
        ((u128::from(low) * u128::from(self.d)) >> 64) as u64
    }
}

/// The divisor when every non-null row has the same one.
fn constant_divisor<T: Copy + PartialEq>(values: &[T], nulls: Option<&NullBuffer>) -> Option<T> {
    let mut first = None;
    for (i, v) in values.iter().enumerate() {
        if nulls.is_some_and(|n| n.is_null(i)) {
            continue;
        }
        match first {
            None => first = Some(*v),
            Some(f) if f != *v => return None,
            Some(_) => {}
        }
    }
    first
}

/// `x % d` for an unsigned `x` and a one-row unsigned divisor `d` that is not NULL or zero,
/// computed straight into the result type (the divisor's width, which every remainder
/// fits); `None` for every other case, which the general kernels handle.
pub(super) fn modulo_by_constant(
    a: &ArrayRef,
    ta: &ChType,
    b: &ArrayRef,
    tb: &ChType,
    result: &ChType,
) -> Option<ArrayRef> {
    let unsigned = |t: &ChType| matches!(int_info(t), Some((bits, false)) if bits <= 64);
    if !unsigned(ta) || !unsigned(tb) || !unsigned(result) || b.null_count() > 0 {
        return None;
    }
    let d = convert::<UInt64Type>(b.as_ref(), tb)
        .ok()?
        .values()
        .first()
        .copied()?;
    if d == 0 || int_info(result).is_none_or(|(bits, _)| bits < 64 && d > 1u64 << bits) {
        return None;
    }
    let f = FastMod::new(d);
    macro_rules! rem_into {
        ($in:ty) => {
            match result {
                ChType::UInt8 => rem_typed::<$in, UInt8Type>(a, f),
                ChType::UInt16 => rem_typed::<$in, UInt16Type>(a, f),
                ChType::UInt32 => rem_typed::<$in, UInt32Type>(a, f),
                ChType::UInt64 => rem_typed::<$in, UInt64Type>(a, f),
                _ => None,
            }
        };
    }
    match a.data_type() {
        DataType::UInt8 => rem_into!(UInt8Type),
        DataType::UInt16 => rem_into!(UInt16Type),
        DataType::UInt32 => rem_into!(UInt32Type),
        DataType::UInt64 => rem_into!(UInt64Type),
        _ => None,
    }
}

/// `a % f` of every value of the `I` column as an `O` column (nulls kept).
fn rem_typed<I: ArrowPrimitiveType, O: ArrowPrimitiveType>(
    a: &ArrayRef,
    f: FastMod,
) -> Option<ArrayRef> {
    let x = a.as_primitive_opt::<I>()?;
    // Dividend and divisor within 32 bits (every `number` below 2^32): the cheaper kernel.
    let all_bits = x.values().iter().fold(0u64, |m, v| m | v.as_usize() as u64);
    let r: PrimitiveArray<O> = match u32::try_from(f.d) {
        Ok(d) if all_bits >> 32 == 0 => {
            let f = FastMod32::new(d);
            x.unary(|v| O::Native::usize_as(f.rem(v.as_usize() as u32) as usize))
        }
        _ => x.unary(|v| O::Native::usize_as(f.rem(v.as_usize() as u64) as usize)),
    };
    Some(Arc::new(r))
}

/// Unsigned operands (both at most 64 bits).
pub(super) fn modulo_u64(
    a: &ArrayRef,
    ta: &ChType,
    b: &ArrayRef,
    tb: &ChType,
    result: &ChType,
    ops: ModOps,
) -> Result<ArrayRef> {
    let x = convert::<UInt64Type>(a.as_ref(), ta)?;
    let y = convert::<UInt64Type>(b.as_ref(), tb)?;
    let nulls = NullBuffer::union(x.nulls(), y.nulls());
    let (xs, ys) = (x.values(), y.values());
    let out: Vec<u64> = match constant_divisor(ys, nulls.as_ref()) {
        Some(0) if ops.or_zero => vec![0; xs.len()],
        Some(0) => return Err(modulo_error(true)),
        Some(d) => {
            let f = FastMod::new(d);
            xs.iter().map(|&p| f.rem(p)).collect()
        }
        None => {
            let mut out = Vec::with_capacity(xs.len());
            for (i, (&p, &q)) in xs.iter().zip(ys.iter()).enumerate() {
                if q == 0 {
                    if ops.or_zero || nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                        out.push(0);
                        continue;
                    }
                    return Err(modulo_error(true));
                }
                out.push(p % q);
            }
            out
        }
    };
    let carrier = PrimitiveArray::<UInt64Type>::new(out.into(), nulls);
    cast_to(&carrier, &ChType::UInt64, result)
}

/// Operands whose values all fit `Int64` (at least one side signed).
pub(super) fn modulo_i64(
    a: &ArrayRef,
    ta: &ChType,
    b: &ArrayRef,
    tb: &ChType,
    result: &ChType,
    ops: ModOps,
) -> Result<ArrayRef> {
    let x = convert::<Int64Type>(a.as_ref(), ta)?;
    let y = convert::<Int64Type>(b.as_ref(), tb)?;
    let nulls = NullBuffer::union(x.nulls(), y.nulls());
    let (xs, ys) = (x.values(), y.values());
    let null_at = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    let fix = |r: i64, q: i64| {
        if ops.positive && r < 0 {
            r.wrapping_add(q.wrapping_abs())
        } else {
            r
        }
    };
    // `MIN % -1` of two signed types is ILLEGAL_DIVISION (MIN of the dividend's width).
    let min_error = match (int_info(ta), int_info(tb)) {
        (Some((bits, true)), Some((_, true))) => Some((-(1i128 << (bits - 1))) as i64),
        _ => None,
    };
    let mut out = Vec::with_capacity(xs.len());
    let constant = constant_divisor(ys, nulls.as_ref());
    let fast = constant
        .filter(|q| *q != 0)
        .map(|q| FastMod::new(q.unsigned_abs()));
    for (i, (&p, &q)) in xs.iter().zip(ys.iter()).enumerate() {
        let zero = q == 0;
        if zero || (q == -1 && Some(p) == min_error) {
            if ops.or_zero || null_at(i) {
                out.push(0);
                continue;
            }
            return Err(modulo_error(zero));
        }
        let r = match fast {
            Some(f) => {
                let r = f.rem(p.unsigned_abs()) as i64;
                if p < 0 { -r } else { r }
            }
            None => p.wrapping_rem(q),
        };
        out.push(fix(r, q));
    }
    let carrier = PrimitiveArray::<Int64Type>::new(out.into(), nulls);
    cast_to(&carrier, &ChType::Int64, result)
}

#[cfg(test)]
mod tests {
    use super::{FastMod, FastMod32};

    #[test]
    fn fastmod32_is_exact() {
        let mut a = 0x9E37_79B9u32;
        for d in [
            1u32,
            2,
            3,
            7,
            10,
            1000,
            65_537,
            100_000,
            u32::MAX,
            u32::MAX - 1,
            1 << 31,
        ] {
            let f = FastMod32::new(d);
            for edge in [0u32, 1, d - 1, d, d.wrapping_add(1), u32::MAX, u32::MAX - 1] {
                assert_eq!(f.rem(edge), u64::from(edge % d), "{edge} % {d}");
            }
            for _ in 0..10_000 {
                a ^= a << 13;
                a ^= a >> 17;
                a ^= a << 5;
                assert_eq!(f.rem(a), u64::from(a % d), "{a} % {d}");
            }
        }
    }

    #[test]
    fn fastmod_is_exact() {
        let ds = [
            1u64,
            2,
            3,
            7,
            10,
            1000,
            65_537,
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            12_345_678_901,
        ];
        let mut a = 0x9E37_79B9_7F4A_7C15u64;
        for d in ds {
            let f = FastMod::new(d);
            for edge in [0u64, 1, d - 1, d, d.wrapping_add(1), u64::MAX, u64::MAX - 1] {
                assert_eq!(f.rem(edge), edge % d, "{edge} % {d}");
            }
            for _ in 0..10_000 {
                a ^= a << 13;
                a ^= a >> 7;
                a ^= a << 17;
                assert_eq!(f.rem(a), a % d, "{a} % {d}");
            }
        }
    }
}
