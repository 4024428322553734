//! JSON numbers as ClickHouse sees them: classification of a number token
//! (`Int64`, `UInt64`, `Double`, or a too-big integer that ClickHouse treats as a string),
//! ClickHouse's conversions to integer/float targets (range checked, floats truncated,
//! failures give the default), parsing numbers out of strings, and printing doubles the way
//! ClickHouse serializes them inside JSON text.

/// A number token, classified.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// Fits `Int64` (every non-negative integer up to `i64::MAX` and every negative one).
    Int(i64),
    /// Above `i64::MAX`, fits `UInt64`.
    UInt(u64),
    /// Has a fraction or an exponent.
    Double(f64),
    /// An integer that fits neither; ClickHouse exposes it as a string of its digits.
    Big,
}

/// Classifies a validated number token; `is_double` is the tape's flag.
pub fn classify(text: &[u8], is_double: bool) -> Num {
    if is_double {
        return Num::Double(parse_f64(text).unwrap_or(0.0));
    }
    let (neg, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.len() <= 18 {
        let mut v: i64 = 0;
        for &d in digits {
            v = v * 10 + (d - b'0') as i64;
        }
        return Num::Int(if neg { -v } else { v });
    }
    let mut v: u128 = 0;
    for &d in digits {
        v = v * 10 + (d - b'0') as u128;
        if v > u64::MAX as u128 + 1 {
            return Num::Big;
        }
    }
    if neg {
        if v <= i64::MAX as u128 + 1 {
            Num::Int((v as i128).wrapping_neg() as i64)
        } else {
            Num::Big
        }
    } else if v <= i64::MAX as u128 {
        Num::Int(v as i64)
    } else if v <= u64::MAX as u128 {
        Num::UInt(v as u64)
    } else {
        Num::Big
    }
}

/// Parses ASCII text as `f64` with Rust's (correctly rounded) parser.
pub fn parse_f64(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// An integer target type of a conversion.
pub trait IntTarget: Copy + Default {
    /// Smallest value, as i128.
    const MIN: i128;
    /// Largest value, as i128.
    const MAX: i128;
    /// Converts a value known to be in range.
    fn from_i128(v: i128) -> Self;
    /// Value for a NaN source (what C++'s float→int conversion gives ClickHouse).
    fn nan() -> Self {
        Self::default()
    }
}

macro_rules! int_target {
    ($($t:ty),*) => {$(
        impl IntTarget for $t {
            const MIN: i128 = <$t>::MIN as i128;
            const MAX: i128 = <$t>::MAX as i128;
            #[inline]
            fn from_i128(v: i128) -> Self {
                v as $t
            }
        }
    )*};
}
int_target!(u8, u16, u32, u64, i8, i16, i32);

impl IntTarget for i64 {
    const MIN: i128 = i64::MIN as i128;
    const MAX: i128 = i64::MAX as i128;
    #[inline]
    fn from_i128(v: i128) -> Self {
        v as i64
    }
    fn nan() -> Self {
        i64::MIN
    }
}

/// An integer value converted to `T` if in range.
#[inline]
pub fn int_to<T: IntTarget>(v: i128) -> Option<T> {
    (T::MIN..=T::MAX).contains(&v).then(|| T::from_i128(v))
}

/// A float converted to integer `T` as ClickHouse does: out of range fails, otherwise the
/// value is truncated toward zero.
#[inline]
pub fn float_to<T: IntTarget>(v: f64) -> Option<T> {
    if v.is_nan() {
        return Some(T::nan());
    }
    if v < T::MIN as f64 || v > T::MAX as f64 {
        return None;
    }
    Some(T::from_i128(v as i128))
}

/// Parses a JSON string's content as integer `T`: an optionally signed run of digits must
/// fit exactly; anything else is read as a float (`1.5`, `1e3`, `.5`, `nan`, `inf`) and
/// converted with [`float_to`].
pub fn str_to_int<T: IntTarget>(s: &[u8]) -> Option<T> {
    let digits = match s.first() {
        Some(b'+' | b'-') => &s[1..],
        _ => s,
    };
    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
        let mut v: i128 = 0;
        for &d in digits {
            v = v.checked_mul(10)?.checked_add((d - b'0') as i128)?;
            if v > u64::MAX as i128 + 1 {
                return None;
            }
        }
        if s[0] == b'-' {
            v = -v;
        }
        return int_to::<T>(v);
    }
    float_to::<T>(parse_f64(s)?)
}

/// Parses a JSON string's content as a float (ClickHouse accepts `nan`, `inf`, `.5`, `5.`).
pub fn str_to_f64(s: &[u8]) -> Option<f64> {
    parse_f64(s)
}

/// Appends `v` as ClickHouse prints a double inside JSON text: the shortest round-trip
/// digits, fixed notation for 1e-7 < |v| < 1e21, otherwise `d[.ddd]e[-]x`.
pub fn write_double(v: f64, out: &mut Vec<u8>) {
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // Shortest round-trip digits (ties to even, as ClickHouse's printer picks them).
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(v);
    let (neg, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mant, exp) = body.split_once('e').unwrap_or((body, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    // Mantissa `I.F` times 10^exp: digits without leading/trailing zeros, and the position
    // of the decimal point relative to them (JavaScript's `n`).
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let lead = all.iter().take_while(|c| **c == b'0').count();
    let trail = all.iter().rev().take_while(|c| **c == b'0').count();
    let digits: Vec<u8> = all[lead..all.len() - trail].to_vec();
    let k = digits.len() as i32;
    let n = int.len() as i32 - lead as i32 + exp;
    if neg {
        out.push(b'-');
    }
    if k <= n && n <= 21 {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.extend_from_slice(&digits[..n as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-n) as usize));
        out.extend_from_slice(&digits);
    } else {
        out.push(digits[0]);
        if k > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.extend_from_slice((n - 1).to_string().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_matches_clickhouse_json_type() {
        assert_eq!(classify(b"1", false), Num::Int(1));
        assert_eq!(classify(b"-0", false), Num::Int(0));
        assert_eq!(classify(b"9223372036854775807", false), Num::Int(i64::MAX));
        assert_eq!(classify(b"9223372036854775808", false), Num::UInt(1 << 63));
        assert_eq!(
            classify(b"18446744073709551615", false),
            Num::UInt(u64::MAX)
        );
        assert_eq!(classify(b"18446744073709551616", false), Num::Big);
        assert_eq!(classify(b"-9223372036854775808", false), Num::Int(i64::MIN));
        assert_eq!(classify(b"-9223372036854775809", false), Num::Big);
        assert_eq!(classify(b"1e2", true), Num::Double(100.0));
    }

    /// Expected text from ClickHouse: `JSONExtractRaw('[1e21, 1e20, …]')`.
    #[test]
    fn doubles_print_like_clickhouse() {
        let input = [
            1e21,
            1e20,
            1.5e20,
            1.2345e21,
            1e-6,
            1e-7,
            1.5e-6,
            1.5e-7,
            0.000123,
            123456789.123,
            1234567890123456789.0,
            9007199254740993.0,
            1.5e300,
            2.5e-300,
            0.1e1,
            5e-7,
            4.94e-324,
            1e100,
            1.7976931348623157e308,
            123e18,
            3.14158,
            1e0,
            -1e21,
            1e16,
            1.2e16,
            12345678901234567890.0,
            -0.0,
            1.5,
            123456789012345.12,
        ];
        let want = "1e21,100000000000000000000,150000000000000000000,1.2345e21,0.000001,1e-7,\
                    0.0000015,1.5e-7,0.000123,123456789.123,1234567890123456800,\
                    9007199254740992,1.5e300,2.5e-300,1,5e-7,5e-324,1e100,\
                    1.7976931348623157e308,123000000000000000000,3.14158,1,-1e21,\
                    10000000000000000,12000000000000000,12345678901234567000,-0,1.5,\
                    123456789012345.12";
        let mut out = Vec::new();
        for (i, v) in input.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_double(*v, &mut out);
        }
        assert_eq!(String::from_utf8_lossy(&out), want);
    }

    /// Expectations from ClickHouse's `JSONExtractInt/UInt` on strings and doubles.
    #[test]
    fn conversions_match_clickhouse() {
        assert_eq!(str_to_int::<i64>(b"1.5e1"), Some(15));
        assert_eq!(str_to_int::<i64>(b"12abc"), None);
        assert_eq!(str_to_int::<i64>(b"  12"), None);
        assert_eq!(str_to_int::<i64>(b"+5"), Some(5));
        assert_eq!(str_to_int::<i64>(b"0x10"), None);
        assert_eq!(str_to_int::<i64>(b"9223372036854775808"), None);
        assert_eq!(str_to_int::<i64>(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(str_to_int::<u64>(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(str_to_int::<u64>(b"18446744073709551616"), None);
        assert_eq!(str_to_int::<u64>(b"1.9"), Some(1));
        assert_eq!(str_to_int::<u64>(b"-1.9"), None);
        assert_eq!(str_to_int::<i64>(b"-1.9"), Some(-1));
        assert_eq!(str_to_int::<i64>(b"nan"), Some(i64::MIN));
        assert_eq!(str_to_int::<i64>(b"inf"), None);
        assert_eq!(str_to_int::<u64>(b"007"), Some(7));
        assert_eq!(str_to_int::<u8>(b"300"), None);
        assert_eq!(float_to::<u8>(255.5), None);
        assert_eq!(float_to::<u8>(1.5), Some(1));
        assert_eq!(float_to::<i8>(127.9), None);
        assert_eq!(float_to::<i8>(-128.9), None);
        assert_eq!(str_to_f64(b".5"), Some(0.5));
        assert_eq!(str_to_f64(b"5."), Some(5.0));
        assert_eq!(str_to_f64(b"1e"), None);
        assert_eq!(str_to_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(str_to_f64(b"Infinity"), Some(f64::INFINITY));
    }
}
