//! A `Float64` converted to a 128- or 256-bit integer the way ClickHouse converts it.
//!
//! ClickHouse's wide integers (`Int128`, `UInt128`, `Int256`, `UInt256`, and the storage of
//! `Decimal128`/`Decimal256`) are built from a double `t` outside the `Int64` range in
//! 64-bit words: `alpha = t / (2^64 − 1)` in x86 extended precision (a 64-bit mantissa), the
//! high words from `floor(alpha)`, the low word from `t − floor(alpha)·(2^64 − 1)`, every
//! step rounded to 64 significant bits. The result is not the double's exact integer: for
//! `toDecimal128(1234567890.1234567, 20)` ClickHouse prints
//! `1234567890.12345677879616925706` where the exact product is `…77877719597056`.
//! [`wide_from_f64`] reproduces those steps with exact integer arithmetic and explicit
//! rounding, so the digits match ClickHouse's.

use datafusion::arrow::datatypes::i256;

/// `2^64 − 1`, the base ClickHouse splits a double by.
const WORD_MAX: u64 = u64::MAX;

/// ClickHouse's conversion of `f` (finite, `|f| < 2^255`) to a wide integer, truncating
/// toward zero; `None` outside that range (the caller keeps its own overflow behaviour).
pub fn wide_from_f64(f: f64) -> Option<i256> {
    if !f.is_finite() || f.abs() >= 2f64.powi(255) {
        return None;
    }
    // Inside (i64::MIN, i64::MAX) the conversion is a plain truncation.
    if f > -9.223_372_036_854_776e18 && f < 9.223_372_036_854_776e18 {
        return Some(i256::from_i128(f.trunc() as i128));
    }
    // Doubles this large are integers.
    let t = i256::from_f64(f.abs())?;
    let v = split_extended(t);
    Some(if f < 0.0 { v.wrapping_neg() } else { v })
}

/// The extended-precision step: `t` (a non-negative integer below 2^255) as
/// `floor(alpha)·(2^64 − 1) + (t − floor(alpha)·(2^64 − 1))` with `alpha` and both products
/// rounded to 64 significant bits.
fn split_extended(t: i256) -> i256 {
    let m = i256::from_i128(WORD_MAX as i128);
    // alpha = t / m, scaled by 2^frac so that the quotient has more than 64 bits.
    let frac: u8 = if t < (i256::ONE << 128) { 100 } else { 0 };
    let num = t << frac;
    let q = num.wrapping_div(m);
    let sticky = num.wrapping_rem(m) != i256::ZERO;
    let alpha = round_significant(q, sticky, 64);
    let alpha_floor = alpha >> frac;
    let high = if alpha < (m << frac) {
        alpha_floor
    } else {
        // alpha ≥ 2^64 − 1 with a 64-bit mantissa is an integer; ClickHouse continues in
        // double precision.
        split_double(round_significant(alpha_floor, false, 53))
    };
    let sub = round_significant(alpha_floor.wrapping_mul(m), false, 64);
    let diff = t.wrapping_sub(sub);
    let rem = if diff.is_negative() {
        round_significant(diff.wrapping_neg(), false, 64).wrapping_neg()
    } else {
        round_significant(diff, false, 64)
    };
    high.wrapping_mul(m).wrapping_add(low_word(rem))
}

/// The double-precision step for `a` (an integer double ≥ 2^64): ClickHouse divides by
/// `2^64` (exact for a double), so the words are `a`'s bits above and below 2^64.
fn split_double(a: i256) -> i256 {
    let m = i256::from_i128(WORD_MAX as i128);
    let hi = a >> 64;
    let high = if hi < (i256::ONE << 64) {
        hi
    } else {
        split_double(hi)
    };
    high.wrapping_mul(m).wrapping_add(low_word(a))
}

/// The value an x86 float→`uint64_t` cast gives for an integer `x` that fits 64 bits
/// (negative values keep their two's-complement bits), as a non-negative wide integer.
fn low_word(x: i256) -> i256 {
    let (lo, _) = x.to_parts();
    i256::from_i128((lo as u64) as i128)
}

/// `x` (non-negative) rounded to `bits` significant bits, ties to even; `sticky` says that
/// the exact value lies strictly above `x` (by less than one unit).
fn round_significant(x: i256, sticky: bool, bits: u32) -> i256 {
    if x <= i256::ZERO {
        return x;
    }
    let len = x.ilog2() + 1;
    if len <= bits {
        return x;
    }
    let shift = (len - bits) as u8;
    let kept = x >> shift;
    let low = x.wrapping_sub(kept << shift);
    let half = i256::ONE << (shift - 1);
    let odd = kept & i256::ONE == i256::ONE;
    let up = low > half || (low == half && (sticky || odd));
    let kept = if up {
        kept.wrapping_add(i256::ONE)
    } else {
        kept
    };
    kept << shift
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: i256) -> String {
        x.to_string()
    }

    #[test]
    fn matches_clickhouse_digits() {
        // Expectations from ch-oracle (ClickHouse 26.9): toDecimal128(…, 20),
        // toDecimal256(…, 30), toInt128(1e30), toUInt128(3e38), toInt256(1.2345678901234567e60).
        let d128 = wide_from_f64(1234567890.123_456_7_f64 * 1e20);
        assert_eq!(
            d128.map(s).as_deref(),
            Some("123456789012345677879616925706")
        );
        let d256 = wide_from_f64(1234567890.123_456_7_f64 * 1e30);
        assert_eq!(
            d256.map(s).as_deref(),
            Some("1234567890123456695758468374595199311875")
        );
        assert_eq!(
            wide_from_f64(1e30).map(s).as_deref(),
            Some("1000000000000000019899134206768")
        );
        assert_eq!(
            wide_from_f64(3e38).map(s).as_deref(),
            Some("300000000000000012138079113333109927935")
        );
        assert_eq!(
            wide_from_f64(1.234_567_890_123_456_7e60).map(s).as_deref(),
            Some("1234567890123456614159667807944846072372861364081903333277500")
        );
    }

    #[test]
    fn small_and_out_of_range() {
        assert_eq!(wide_from_f64(-12.9), Some(i256::from_i128(-12)));
        assert_eq!(
            wide_from_f64(1.5e19).map(s).as_deref(),
            Some("15000000000000000000")
        );
        assert_eq!(wide_from_f64(f64::NAN), None);
        assert_eq!(wide_from_f64(1e300), None);
    }
}
