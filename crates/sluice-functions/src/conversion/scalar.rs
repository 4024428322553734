//! Converting one scalar [`Val`] from one ClickHouse type to another with ClickHouse's rules:
//! integers wrap, floats truncate (as x86 does for out-of-range values), decimals check
//! overflow (`DECIMAL_OVERFLOW`), dates and times clamp to their type's range, strings are
//! parsed. In *accurate* mode (`accurateCast`) any value that does not fit is an error.

use datafusion::arrow::datatypes::i256;
use sluice_common::{ChType, Error, ErrorCode};

use super::temporal::{to_date, to_datetime, to_datetime64};
use super::value::Val;
use super::{parse, wide_float};
use crate::datetime::tz::Zone;

/// `UNKNOWN_ELEMENT_OF_ENUM` (not yet in `sluice_common::ErrorCode`'s named list).
pub const UNKNOWN_ELEMENT_OF_ENUM: ErrorCode = ErrorCode(691);

/// Time zones and strictness for one conversion.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    /// Zone of the source value when it is a `DateTime*` (else the session zone).
    pub from_zone: Zone,
    /// Zone of the target `DateTime*` (else the session zone).
    pub to_zone: Zone,
    /// `accurateCast`: refuse values that do not fit.
    pub accurate: bool,
}

fn pow10(n: u32) -> i256 {
    i256::from_i128(10).wrapping_pow(n)
}

/// `10^n` as the nearest double (ClickHouse converts its integer scale multiplier to
/// `Float64`, which rounds correctly for every scale; `powi` does not).
fn pow10_f64(n: u32) -> f64 {
    static TABLE: std::sync::LazyLock<Vec<f64>> = std::sync::LazyLock::new(|| {
        (0..=76)
            .map(|s| format!("1e{s}").parse().unwrap_or(f64::INFINITY))
            .collect()
    });
    TABLE
        .get(n as usize)
        .copied()
        .unwrap_or_else(|| 10f64.powi(n as i32))
}

pub(super) fn err(code: ErrorCode, msg: impl Into<String>) -> Error {
    Error::new(code, msg)
}

/// (bits, signed) of an integer type.
pub fn int_spec(t: &ChType) -> Option<(u32, bool)> {
    Some(match t {
        ChType::UInt8 => (8, false),
        ChType::UInt16 => (16, false),
        ChType::UInt32 => (32, false),
        ChType::UInt64 => (64, false),
        ChType::UInt128 => (128, false),
        ChType::UInt256 => (256, false),
        ChType::Int8 => (8, true),
        ChType::Int16 => (16, true),
        ChType::Int32 => (32, true),
        ChType::Int64 => (64, true),
        ChType::Int128 => (128, true),
        ChType::Int256 => (256, true),
        _ => return None,
    })
}

/// Wraps `v` to `bits` (two's complement), sign-extending when `signed`.
pub fn wrap(v: i256, bits: u32, signed: bool) -> i256 {
    if bits >= 256 {
        return v;
    }
    let (lo, _) = v.to_parts();
    if bits <= 128 {
        let mask: u128 = if bits == 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        let x = lo & mask;
        if signed && bits < 128 && (x >> (bits - 1)) & 1 == 1 {
            return i256::from_i128((x | !mask) as i128);
        }
        if signed && bits == 128 {
            return i256::from_i128(x as i128);
        }
        return i256::from_parts(x, 0);
    }
    v
}

/// True when `v` (interpreted per the source being `unsigned256`) is within the type.
fn fits(v: i256, bits: u32, signed: bool, src_u256: bool) -> bool {
    if src_u256 && v.is_negative() {
        // A UInt256 value above i256::MAX fits only UInt256.
        return bits == 256 && !signed;
    }
    if bits == 256 {
        return signed || !v.is_negative();
    }
    let (min, max) = if signed {
        let m = i256::from_i128(1).wrapping_mul(pow2(bits - 1));
        (m.wrapping_neg(), m.wrapping_sub(i256::ONE))
    } else {
        (i256::ZERO, pow2(bits).wrapping_sub(i256::ONE))
    };
    v >= min && v <= max
}

fn pow2(n: u32) -> i256 {
    i256::from_i128(2).wrapping_pow(n)
}

fn cvt32(f: f64) -> i64 {
    let t = f.trunc();
    if t.is_nan() || t < i32::MIN as f64 || t > i32::MAX as f64 {
        i32::MIN as i64
    } else {
        t as i64
    }
}

fn cvt64(f: f64) -> i64 {
    let t = f.trunc();
    if t.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&t) {
        i64::MIN
    } else {
        t as i64
    }
}

/// float → integer the way ClickHouse's compiled `static_cast` behaves on x86-64.
fn float_to_int(f: f64, bits: u32, signed: bool) -> i256 {
    let raw: i128 = match (bits, signed) {
        (8 | 16, _) | (32, true) => cvt32(f) as i128,
        (32, false) | (64, true) => cvt64(f) as i128,
        (64, false) => {
            let two63 = 9.223_372_036_854_776e18;
            if f < two63 {
                cvt64(f) as u64 as i128
            } else {
                (cvt64(f - two63) as u64 ^ (1u64 << 63)) as i128
            }
        }
        _ => {
            let x = wide_float::wide_from_f64(f)
                .or_else(|| i256::from_f64(f.trunc()))
                .unwrap_or(i256::ZERO);
            return wrap(x, bits, signed);
        }
    };
    wrap(i256::from_i128(raw), bits, signed)
}

fn i256_to_f64(v: i256, unsigned256: bool) -> f64 {
    if unsigned256 && v.is_negative() {
        let (lo, hi) = v.to_parts();
        return (hi as u128) as f64 * 2f64.powi(128) + lo as f64;
    }
    i256_f64(v)
}

fn i256_f64(v: i256) -> f64 {
    let (lo, hi) = v.to_parts();
    hi as f64 * 2f64.powi(128) + lo as f64
}

/// Integer part of `value × 10^-digits`, truncated toward zero (`floor` when `floor`).
pub(super) fn descale(v: i256, digits: u32, floor: bool) -> i256 {
    if digits == 0 {
        return v;
    }
    let p = pow10(digits);
    let q = v.wrapping_div(p);
    if floor && v.is_negative() && q.wrapping_mul(p) != v {
        q.wrapping_sub(i256::ONE)
    } else {
        q
    }
}

fn dec_overflow() -> Error {
    err(ErrorCode::DECIMAL_OVERFLOW, "Decimal convert overflow")
}

pub(super) fn inexact(from: &ChType, to: &ChType) -> Error {
    err(
        ErrorCode::CANNOT_CONVERT_TYPE,
        format!("Value in column {from} cannot be safely converted into type {to}"),
    )
}

/// Enum name → value.
fn enum_value(t: &ChType, name: &[u8]) -> Option<i64> {
    match t {
        ChType::Enum8(v) => v
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .map(|(_, x)| *x as i64),
        ChType::Enum16(v) => v
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .map(|(_, x)| *x as i64),
        _ => None,
    }
}

/// Enum value → name.
fn enum_name(t: &ChType, value: i64) -> Option<&str> {
    match t {
        ChType::Enum8(v) => v
            .iter()
            .find(|(_, x)| *x as i64 == value)
            .map(|(n, _)| n.as_str()),
        ChType::Enum16(v) => v
            .iter()
            .find(|(_, x)| *x as i64 == value)
            .map(|(n, _)| n.as_str()),
        _ => None,
    }
}

/// Converts `v` of base type `from` to base type `to`.
pub fn convert<'a>(v: Val<'a>, from: &ChType, to: &ChType, cx: &Ctx) -> Result<Val<'a>, Error> {
    // Enums read as names; turn them into numbers unless the target wants text.
    let v = match (from, &v) {
        (ChType::Enum8(_) | ChType::Enum16(_), Val::Str(name))
            if !matches!(
                to,
                ChType::String | ChType::FixedString(_) | ChType::Enum8(_) | ChType::Enum16(_)
            ) =>
        {
            match enum_value(from, name) {
                Some(x) => Val::Int(i256::from_i128(x as i128)),
                None => return Err(err(UNKNOWN_ELEMENT_OF_ENUM, "Unknown element of enum")),
            }
        }
        _ => v,
    };
    let src_u256 = matches!(from, ChType::UInt256);
    if let Some((bits, signed)) = int_spec(to) {
        return to_int(v, from, to, bits, signed, src_u256, cx).map(Val::Int);
    }
    match to {
        ChType::Float32 | ChType::Float64 | ChType::BFloat16 => Ok(Val::Float(match v {
            Val::Int(x) => i256_to_f64(x, src_u256),
            Val::Float(f) => f,
            Val::Dec(x, s) => i256_to_f64(x, false) / 10f64.powi(s as i32),
            Val::Date(d) => d as f64,
            Val::Time(t, d) => t as f64 / 10f64.powi(d as i32),
            Val::Bool(b) => b as u8 as f64,
            Val::IPv4(x) => x as f64,
            Val::Str(_) | Val::Owned(_) => parse::parse_float(v.bytes().unwrap_or_default(), to)?,
            _ => return Err(unsupported(from, to)),
        })),
        ChType::Decimal { precision, scale } => {
            to_decimal(v, from, to, *precision, *scale as u32, src_u256)
        }
        ChType::String => match v {
            Val::Str(_) | Val::Owned(_) => Ok(v),
            _ => Err(unsupported(from, to)),
        },
        ChType::FixedString(n) => match v {
            Val::Str(s) if s.len() <= *n => Ok(Val::Str(s)),
            Val::Owned(s) if s.len() <= *n => Ok(Val::Owned(s)),
            Val::Str(_) | Val::Owned(_) => Err(err(
                ErrorCode::TOO_LARGE_STRING_SIZE,
                format!("String too long for type FixedString({n})"),
            )),
            _ => Err(unsupported(from, to)),
        },
        ChType::Date | ChType::Date32 => to_date(v, from, to, cx).map(Val::Date),
        ChType::DateTime(_) => to_datetime(v, from, to, cx),
        ChType::DateTime64(p, _) => to_datetime64(v, from, to, *p, cx),
        ChType::Bool => Ok(Val::Bool(match v {
            Val::Bool(b) => b,
            Val::Int(x) | Val::Dec(x, _) => x != i256::ZERO,
            Val::Float(f) => f != 0.0,
            Val::Str(_) | Val::Owned(_) => parse::parse_bool(v.bytes().unwrap_or_default())?,
            _ => return Err(unsupported(from, to)),
        })),
        ChType::Uuid => match v {
            Val::Uuid(u) => Ok(Val::Uuid(u)),
            Val::Str(_) | Val::Owned(_) => {
                Ok(Val::Uuid(parse::parse_uuid(v.bytes().unwrap_or_default())?))
            }
            _ => Err(unsupported(from, to)),
        },
        ChType::IPv4 => match v {
            Val::IPv4(x) => Ok(Val::IPv4(x)),
            Val::Int(x) => Ok(Val::IPv4(wrap(x, 32, false).as_i128() as u32)),
            Val::IPv6(b) => match std::net::Ipv6Addr::from(b).to_ipv4_mapped() {
                Some(a) => Ok(Val::IPv4(u32::from(a))),
                None => Err(err(ErrorCode::CANNOT_CONVERT_TYPE, "IPv6 in not v4 mapped")),
            },
            Val::Str(_) | Val::Owned(_) => {
                Ok(Val::IPv4(parse::parse_ipv4(v.bytes().unwrap_or_default())?))
            }
            _ => Err(unsupported(from, to)),
        },
        ChType::IPv6 => match v {
            Val::IPv6(b) => Ok(Val::IPv6(b)),
            Val::IPv4(x) => Ok(Val::IPv6(
                std::net::Ipv4Addr::from(x).to_ipv6_mapped().octets(),
            )),
            Val::Int(x) => Ok(Val::IPv6((x.as_i128() as u128).to_be_bytes())),
            Val::Str(_) | Val::Owned(_) => {
                Ok(Val::IPv6(parse::parse_ipv6(v.bytes().unwrap_or_default())?))
            }
            _ => Err(unsupported(from, to)),
        },
        ChType::Enum8(_) | ChType::Enum16(_) => match v {
            Val::Str(_) | Val::Owned(_) => {
                let name = v.bytes().unwrap_or_default();
                if enum_value(to, name).is_some() {
                    Ok(Val::Owned(name.to_vec()))
                } else {
                    Err(err(
                        UNKNOWN_ELEMENT_OF_ENUM,
                        format!(
                            "Unknown element '{}' for enum",
                            String::from_utf8_lossy(name)
                        ),
                    ))
                }
            }
            Val::Int(x) => match enum_name(to, x.as_i128() as i64) {
                Some(n) if x.to_i128().is_some() => Ok(Val::Owned(n.as_bytes().to_vec())),
                _ => Err(err(
                    UNKNOWN_ELEMENT_OF_ENUM,
                    format!("Unexpected value {} in enum", x.as_i128()),
                )),
            },
            _ => Err(unsupported(from, to)),
        },
        _ => Err(unsupported(from, to)),
    }
}

pub(super) fn unsupported(from: &ChType, to: &ChType) -> Error {
    err(
        ErrorCode::CANNOT_CONVERT_TYPE,
        format!("Conversion from {from} to {to} is not supported"),
    )
}

fn to_int(
    v: Val,
    from: &ChType,
    to: &ChType,
    bits: u32,
    signed: bool,
    src_u256: bool,
    cx: &Ctx,
) -> Result<i256, Error> {
    let (raw, exact) = match v {
        Val::Int(x) => (x, true),
        Val::Float(f) => {
            if !f.is_finite() {
                if cx.accurate {
                    return Err(inexact(from, to));
                }
                return Err(err(
                    ErrorCode::CANNOT_CONVERT_TYPE,
                    "Unexpected inf or nan to integer conversion",
                ));
            }
            if cx.accurate {
                if f.trunc() != f {
                    return Err(inexact(from, to));
                }
                match i256::from_f64(f) {
                    Some(x) if fits(x, bits, signed, false) => return Ok(x),
                    _ => return Err(inexact(from, to)),
                }
            }
            return Ok(float_to_int(f, bits, signed));
        }
        Val::Dec(x, s) => {
            let q = descale(x, s as u32, false);
            if !fits(q, bits, signed, false) {
                return Err(err(ErrorCode::DECIMAL_OVERFLOW, "Convert overflow"));
            }
            return Ok(q);
        }
        Val::Str(_) | Val::Owned(_) => {
            let parsed = parse::parse_int(v.bytes().unwrap_or_default(), to, !signed);
            let x = match parsed {
                // accurateCast reports every unparsable string the same way ('-1' as UInt8
                // included, which CAST calls CANNOT_PARSE_NUMBER).
                Err(e) if cx.accurate && e.code == ErrorCode::CANNOT_PARSE_NUMBER => {
                    return Err(err(
                        ErrorCode::CANNOT_PARSE_TEXT,
                        format!("Cannot parse string to type {to}"),
                    ));
                }
                other => other?,
            };
            if cx.accurate && !fits(x, bits, signed, false) {
                return Err(err(
                    ErrorCode::CANNOT_PARSE_TEXT,
                    format!(
                        "Cannot parse string '{}' as {to}: value is out of range",
                        String::from_utf8_lossy(v.bytes().unwrap_or_default())
                    ),
                ));
            }
            (x, false)
        }
        Val::Date(d) => (i256::from_i128(d as i128), true),
        Val::Time(t, d) => (descale(i256::from_i128(t as i128), d as u32, true), true),
        Val::Bool(b) => (i256::from_i128(b as i128), true),
        Val::IPv4(x) => (i256::from_i128(x as i128), true),
        Val::Uuid(u) => (i256::from_parts(u, 0), true),
        Val::IPv6(b) => (i256::from_parts(u128::from_be_bytes(b), 0), true),
    };
    if cx.accurate && exact && !fits(raw, bits, signed, src_u256) {
        return Err(inexact(from, to));
    }
    Ok(wrap(raw, bits, signed))
}

fn to_decimal(
    v: Val,
    from: &ChType,
    to: &ChType,
    precision: u8,
    scale: u32,
    src_u256: bool,
) -> Result<Val<'static>, Error> {
    // ClickHouse bounds a decimal by its storage integer, not by its precision.
    let bits = match precision {
        0..=9 => 32,
        10..=18 => 64,
        19..=38 => 128,
        _ => 256,
    };
    let check = |x: i256| -> Result<Val<'static>, Error> {
        if !fits(x, bits, true, false) {
            Err(dec_overflow())
        } else {
            Ok(Val::Dec(x, scale as u8))
        }
    };
    match v {
        Val::Int(x) => {
            if src_u256 && x.is_negative() {
                return Err(dec_overflow());
            }
            match x.checked_mul(pow10(scale)) {
                Some(y) => check(y),
                None => Err(dec_overflow()),
            }
        }
        Val::Bool(b) => check(i256::from_i128(b as i128).wrapping_mul(pow10(scale))),
        Val::Float(f) => {
            if !f.is_finite() {
                return Err(err(
                    ErrorCode::DECIMAL_OVERFLOW,
                    "Decimal convert overflow. Cannot convert infinity or NaN to decimal",
                ));
            }
            let y = f * pow10_f64(scale);
            if y.abs() >= 2f64.powi(bits as i32 - 1) {
                return Err(err(
                    ErrorCode::DECIMAL_OVERFLOW,
                    "Decimal convert overflow. Float is out of Decimal range",
                ));
            }
            // Decimal32/64 truncate exactly; the wide storages go through ClickHouse's
            // word-by-word conversion (its last digits differ from the exact product).
            let x = if bits >= 128 {
                wide_float::wide_from_f64(y)
            } else {
                i256::from_f64(y.trunc())
            };
            check(x.unwrap_or(i256::ZERO))
        }
        Val::Dec(x, s) => {
            let s = s as u32;
            let y = if scale >= s {
                x.checked_mul(pow10(scale - s)).ok_or_else(dec_overflow)?
            } else {
                x.wrapping_div(pow10(s - scale))
            };
            check(y)
        }
        Val::Str(_) | Val::Owned(_) => {
            let x =
                parse::parse_decimal(v.bytes().unwrap_or_default(), precision, scale as u8, to)?;
            check(x)
        }
        Val::Date(d) => check(i256::from_i128(d as i128).wrapping_mul(pow10(scale))),
        Val::Time(t, d) => {
            let x = i256::from_i128(t as i128);
            let d = d as u32;
            let y = if scale >= d {
                x.wrapping_mul(pow10(scale - d))
            } else {
                x.wrapping_div(pow10(d - scale))
            };
            check(y)
        }
        _ => Err(unsupported(from, to)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> Ctx {
        Ctx {
            from_zone: Zone::Utc,
            to_zone: Zone::Utc,
            accurate: false,
        }
    }

    fn int(v: Val, from: ChType, to: ChType) -> Result<i128, ErrorCode> {
        match convert(v, &from, &to, &cx()) {
            Ok(Val::Int(x)) => Ok(x.as_i128()),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) => Err(e.code),
        }
    }

    #[test]
    fn integers_wrap_like_clickhouse() {
        let i = |x: i128| Val::Int(i256::from_i128(x));
        // Oracle: toUInt8(256) → 0, toUInt8(-1) → 255, toInt8(128) → -128.
        assert_eq!(int(i(256), ChType::UInt16, ChType::UInt8), Ok(0));
        assert_eq!(int(i(-1), ChType::Int8, ChType::UInt8), Ok(255));
        assert_eq!(int(i(128), ChType::UInt8, ChType::Int8), Ok(-128));
        // Oracle: toUInt8(300.7) → 44, toInt32(1e20) → -2147483648, toUInt8(-1.5) → 255,
        // toInt8(-1.9) → -1, toUInt64(-1.0) → 18446744073709551615, toInt64(1e19) → i64::MIN,
        // toUInt16(70000.5) → 4464.
        let f = Val::Float;
        assert_eq!(int(f(300.7), ChType::Float64, ChType::UInt8), Ok(44));
        assert_eq!(
            int(f(1e20), ChType::Float64, ChType::Int32),
            Ok(-2147483648)
        );
        assert_eq!(int(f(-1.5), ChType::Float64, ChType::UInt8), Ok(255));
        assert_eq!(int(f(-1.9), ChType::Float64, ChType::Int8), Ok(-1));
        assert_eq!(
            int(f(-1.0), ChType::Float64, ChType::UInt64),
            Ok(18446744073709551615)
        );
        assert_eq!(
            int(f(1e19), ChType::Float64, ChType::Int64),
            Ok(i64::MIN as i128)
        );
        assert_eq!(int(f(70000.5), ChType::Float64, ChType::UInt16), Ok(4464));
        assert_eq!(
            int(f(f64::NAN), ChType::Float64, ChType::Int64),
            Err(ErrorCode::CANNOT_CONVERT_TYPE)
        );
        // Oracle: toInt8(toDecimal32(300, 0)) → DECIMAL_OVERFLOW; toInt16(toDecimal32(1.99, 2)) → 1.
        let d = |x: i128, s| Val::Dec(i256::from_i128(x), s);
        let dt = ChType::Decimal {
            precision: 9,
            scale: 0,
        };
        assert_eq!(
            int(d(300, 0), dt.clone(), ChType::Int8),
            Err(ErrorCode::DECIMAL_OVERFLOW)
        );
        assert_eq!(int(d(199, 2), dt, ChType::Int16), Ok(1));
        // Oracle: toUInt64('18446744073709551616') → 0, toInt8('-129') → 127.
        assert_eq!(
            int(
                Val::Str(b"18446744073709551616"),
                ChType::String,
                ChType::UInt64
            ),
            Ok(0)
        );
        assert_eq!(
            int(Val::Str(b"-129"), ChType::String, ChType::Int8),
            Ok(127)
        );
    }

    #[test]
    fn decimals_and_dates() {
        let t = ChType::Decimal {
            precision: 9,
            scale: 2,
        };
        // Oracle: toDecimal32(-1.555, 2) → -1.55; toDecimal32(1e10, 2) → DECIMAL_OVERFLOW.
        assert_eq!(
            convert(Val::Float(-1.555), &ChType::Float64, &t, &cx()),
            Ok(Val::Dec(i256::from_i128(-155), 2))
        );
        assert_eq!(
            convert(Val::Float(1e10), &ChType::Float64, &t, &cx()).map_err(|e| e.code),
            Err(ErrorCode::DECIMAL_OVERFLOW)
        );
        // Oracle: toDate(65535) → 2149-06-06, toDate(65536) → 1970-01-01, toDate(100000) →
        // 1970-01-02, toDate(-1) → 1970-01-01.
        let date = |x: i128| {
            convert(
                Val::Int(i256::from_i128(x)),
                &ChType::Int64,
                &ChType::Date,
                &cx(),
            )
        };
        assert_eq!(date(65535), Ok(Val::Date(65535)));
        assert_eq!(date(65536), Ok(Val::Date(0)));
        assert_eq!(date(100000), Ok(Val::Date(1)));
        assert_eq!(date(-1), Ok(Val::Date(0)));
        // Oracle: toDate(toDate32('1950-01-01')) → 2129-06-07 (low 16 bits).
        assert_eq!(
            convert(Val::Date(-7305), &ChType::Date32, &ChType::Date, &cx()),
            Ok(Val::Date(58231))
        );
        // Oracle: toDateTime(-1) → 1970-01-01 00:00:00, toDateTime(5000000000) → 2106-02-07 06:28:15.
        let dt = |x: i128| {
            convert(
                Val::Int(i256::from_i128(x)),
                &ChType::Int64,
                &ChType::DateTime(None),
                &cx(),
            )
        };
        assert_eq!(dt(-1), Ok(Val::Time(0, 0)));
        assert_eq!(dt(5_000_000_000), Ok(Val::Time(4294967295, 0)));
        // Oracle: toDateTime64(-1.5, 3) → 1969-12-31 23:59:58.500.
        assert_eq!(
            convert(
                Val::Float(-1.5),
                &ChType::Float64,
                &ChType::DateTime64(3, None),
                &cx()
            ),
            Ok(Val::Time(-1500, 3))
        );
    }

    #[test]
    fn accurate_mode() {
        fn c(v: Val<'static>, from: ChType, to: ChType) -> Result<Val<'static>, ErrorCode> {
            let acc = Ctx {
                accurate: true,
                ..cx()
            };
            convert(v, &from, &to, &acc).map_err(|e| e.code)
        }
        // Oracle (01601_accurate_cast): -1 → UInt8 is CANNOT_CONVERT_TYPE, '257' → UInt8 is
        // CANNOT_PARSE_TEXT, 10 → Decimal32(9) is DECIMAL_OVERFLOW, 1.5 → UInt8 is CANNOT_CONVERT_TYPE.
        assert_eq!(
            c(Val::Int(i256::from_i128(-1)), ChType::Int8, ChType::UInt8),
            Err(ErrorCode::CANNOT_CONVERT_TYPE)
        );
        assert_eq!(
            c(Val::Str(b"257"), ChType::String, ChType::UInt8),
            Err(ErrorCode::CANNOT_PARSE_TEXT)
        );
        assert_eq!(
            c(
                Val::Int(i256::from_i128(10)),
                ChType::UInt8,
                ChType::Decimal {
                    precision: 9,
                    scale: 9
                }
            ),
            Err(ErrorCode::DECIMAL_OVERFLOW)
        );
        assert_eq!(
            c(Val::Float(1.5), ChType::Float64, ChType::UInt8),
            Err(ErrorCode::CANNOT_CONVERT_TYPE)
        );
        assert_eq!(
            c(Val::Float(255.0), ChType::Float64, ChType::UInt8),
            Ok(Val::Int(i256::from_i128(255)))
        );
    }
}
