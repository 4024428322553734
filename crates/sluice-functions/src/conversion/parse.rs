//! Parsing ClickHouse text into scalar values the way `CAST(string AS T)` does: the whole
//! string must be consumed, integers wrap to the target width, and each failure carries the
//! error code ClickHouse reports (`CANNOT_PARSE_TEXT` 6, `ATTEMPT_TO_READ_AFTER_EOF` 32,
//! `CANNOT_PARSE_NUMBER` 72, `CANNOT_PARSE_DATE` 38, `CANNOT_PARSE_UUID` 376, …).

use std::net::{Ipv4Addr, Ipv6Addr};

use datafusion::arrow::datatypes::i256;
use sluice_common::{ChType, Error, ErrorCode};

use crate::datetime::tz::days_from_civil;

fn shown(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

fn syntax_error(s: &[u8], pos: usize, t: &ChType) -> Error {
    if pos == 0 {
        Error::new(
            ErrorCode::CANNOT_PARSE_TEXT,
            format!(
                "Cannot parse string '{}' as {t}: syntax error at begin of string",
                shown(s)
            ),
        )
    } else {
        Error::new(
            ErrorCode::CANNOT_PARSE_TEXT,
            format!(
                "Cannot parse string '{}' as {t}: syntax error at position {pos} (parsed just '{}')",
                shown(s),
                shown(&s[..pos])
            ),
        )
    }
}

fn too_short(t: &ChType) -> Error {
    Error::new(
        ErrorCode::ATTEMPT_TO_READ_AFTER_EOF,
        format!(
            "Attempt to read after eof: Cannot parse {t} from String, because value is too short"
        ),
    )
}

/// Parses an integer of type `t`: optional sign, decimal digits, wrapping on overflow
/// (`toUInt8('256')` is 0). Returns the wrapped-free value in `i256` and whether the text's
/// value exceeded what `i256` accumulation kept exact (never for realistic input).
pub fn parse_int(s: &[u8], t: &ChType, unsigned: bool) -> Result<i256, Error> {
    if s.is_empty() {
        return Err(too_short(t));
    }
    let mut pos = 0;
    let mut neg = false;
    match s[0] {
        b'-' => {
            if unsigned {
                return Err(Error::new(
                    ErrorCode::CANNOT_PARSE_NUMBER,
                    format!(
                        "Unsigned type must not contain '-' symbol: Cannot parse {t} from String"
                    ),
                ));
            }
            neg = true;
            pos = 1;
        }
        b'+' => pos = 1,
        _ => {}
    }
    let start = pos;
    let mut v = i256::ZERO;
    let ten = i256::from_i128(10);
    while pos < s.len() && s[pos].is_ascii_digit() {
        v = v
            .wrapping_mul(ten)
            .wrapping_add(i256::from_i128((s[pos] - b'0') as i128));
        pos += 1;
    }
    if pos == start {
        if pos == s.len() {
            return Err(too_short(t));
        }
        return Err(syntax_error(s, 0, t));
    }
    if pos != s.len() {
        return Err(syntax_error(s, pos, t));
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// Parses a floating-point number (`1e3`, `.5`, `1.`, `inf`, `-nan`).
pub fn parse_float(s: &[u8], t: &ChType) -> Result<f64, Error> {
    let cannot = || {
        Error::new(
            ErrorCode::CANNOT_PARSE_NUMBER,
            format!(
                "Cannot read floating point value here: {}: Cannot parse {t} from String",
                shown(s)
            ),
        )
    };
    let mut pos = 0;
    if pos < s.len() && (s[pos] == b'-' || s[pos] == b'+') {
        pos += 1;
    }
    let rest = &s[pos..];
    let lower: Vec<u8> = rest
        .iter()
        .take(8)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    for word in [&b"infinity"[..], b"inf", b"nan"] {
        if lower.starts_with(word) {
            let end = pos + word.len();
            if end != s.len() {
                return Err(syntax_error(s, end, t));
            }
            let v = if word == b"nan" {
                f64::NAN
            } else {
                f64::INFINITY
            };
            return Ok(if s[0] == b'-' { -v } else { v });
        }
    }
    let mut digits = 0;
    while pos < s.len() && s[pos].is_ascii_digit() {
        pos += 1;
        digits += 1;
    }
    if pos < s.len() && s[pos] == b'.' {
        pos += 1;
        while pos < s.len() && s[pos].is_ascii_digit() {
            pos += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return Err(cannot());
    }
    if pos < s.len() && (s[pos] == b'e' || s[pos] == b'E') {
        let save = pos;
        pos += 1;
        if pos < s.len() && (s[pos] == b'-' || s[pos] == b'+') {
            pos += 1;
        }
        let ds = pos;
        while pos < s.len() && s[pos].is_ascii_digit() {
            pos += 1;
        }
        if pos == ds {
            pos = save;
        }
    }
    if pos != s.len() {
        return Err(syntax_error(s, pos, t));
    }
    std::str::from_utf8(&s[..pos])
        .ok()
        .and_then(|x| x.parse::<f64>().ok())
        .ok_or_else(cannot)
}

/// Parses a decimal of `precision`/`scale` (digits beyond the scale are truncated; an
/// exponent is allowed). Too many integer digits is `ARGUMENT_OUT_OF_BOUND` as in ClickHouse.
pub fn parse_decimal(s: &[u8], precision: u8, scale: u8, t: &ChType) -> Result<i256, Error> {
    if s.is_empty() {
        return Err(too_short(t));
    }
    let mut pos = 0;
    let mut neg = false;
    if s[0] == b'-' || s[0] == b'+' {
        neg = s[0] == b'-';
        pos = 1;
    }
    // Collect significant digits and the position of the decimal point.
    let mut digits: Vec<u8> = Vec::new();
    let mut int_digits: i64 = 0;
    let mut seen_point = false;
    let mut any = false;
    while pos < s.len() {
        let c = s[pos];
        if c.is_ascii_digit() {
            any = true;
            if !(digits.is_empty() && c == b'0') || seen_point {
                digits.push(c - b'0');
            }
            if !seen_point && !(digits.is_empty()) {
                int_digits += 1;
            }
        } else if c == b'.' && !seen_point {
            seen_point = true;
        } else {
            break;
        }
        pos += 1;
    }
    if !any {
        return Err(syntax_error(s, 0, t));
    }
    let mut exp: i64 = 0;
    if pos < s.len() && (s[pos] == b'e' || s[pos] == b'E') {
        let save = pos;
        pos += 1;
        let mut eneg = false;
        if pos < s.len() && (s[pos] == b'-' || s[pos] == b'+') {
            eneg = s[pos] == b'-';
            pos += 1;
        }
        let ds = pos;
        while pos < s.len() && s[pos].is_ascii_digit() {
            exp = exp
                .saturating_mul(10)
                .saturating_add((s[pos] - b'0') as i64);
            pos += 1;
        }
        if pos == ds {
            pos = save;
            exp = 0;
        } else if eneg {
            exp = -exp;
        }
    }
    if pos != s.len() {
        return Err(syntax_error(s, pos, t));
    }
    // Leading zeros after the point (0.05) count as fraction digits; `digits` keeps them
    // when a point was seen, so the integer-digit count is what decides the scale.
    let point = int_digits + exp; // digits before the decimal point
    let total_int = point.max(0);
    if total_int > (precision as i64 - scale as i64) {
        return Err(Error::new(
            ErrorCode::ARGUMENT_OUT_OF_BOUND,
            format!(
                "Too many digits ({total_int} > {}) in decimal value",
                precision as i64 - scale as i64
            ),
        ));
    }
    let ten = i256::from_i128(10);
    let mut v = i256::ZERO;
    // Value = digits × 10^(point - len); we want value × 10^scale.
    let keep = point.max(0) + scale as i64; // output digits: integer part + scale
    let n = digits.len() as i64;
    // With the point left of the first digit (0.05e-1) the leading positions are zeros.
    let shift = point.min(0);
    for k in 0..keep.max(0) {
        let idx = k + shift;
        let d = if (0..n).contains(&idx) {
            digits[idx as usize]
        } else {
            0
        };
        v = v.wrapping_mul(ten).wrapping_add(i256::from_i128(d as i128));
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// Parses a `Date` (`YYYY-MM-DD` with any one-character separators, `YYYYMMDD`), optionally
/// followed by a time part; returns the day number. Out-of-range months give day 0 and
/// days past the month's end roll over, like ClickHouse.
pub fn parse_date(s: &[u8], t: &ChType) -> Result<i64, Error> {
    let bad = || {
        Error::new(
            ErrorCode::CANNOT_PARSE_DATE,
            format!(
                "Cannot parse date: expected a date in the YYYY-MM-DD or YYYYMMDD format: Cannot parse {t} from String"
            ),
        )
    };
    let num = |a: &[u8]| -> Option<u32> {
        if a.is_empty() || !a.iter().all(|c| c.is_ascii_digit()) {
            return None;
        }
        a.iter().try_fold(0u32, |acc, c| {
            acc.checked_mul(10)?.checked_add((c - b'0') as u32)
        })
    };
    let (y, m, d, end) = if s.len() >= 8
        && s[..8].iter().all(|c| c.is_ascii_digit())
        && (s.len() == 8 || !s[8].is_ascii_digit())
    {
        (
            num(&s[..4]).ok_or_else(bad)?,
            num(&s[4..6]).ok_or_else(bad)?,
            num(&s[6..8]).ok_or_else(bad)?,
            8,
        )
    } else {
        if s.len() < 5 || !s[..4].iter().all(|c| c.is_ascii_digit()) || s[4].is_ascii_digit() {
            return Err(bad());
        }
        let y = num(&s[..4]).ok_or_else(bad)?;
        let mut p = 5;
        let ms = p;
        while p < s.len() && s[p].is_ascii_digit() && p - ms < 2 {
            p += 1;
        }
        let m = num(&s[ms..p]).ok_or_else(bad)?;
        if p >= s.len() || s[p].is_ascii_digit() {
            return Err(bad());
        }
        p += 1;
        let ds = p;
        while p < s.len() && s[p].is_ascii_digit() && p - ds < 2 {
            p += 1;
        }
        let d = num(&s[ds..p]).ok_or_else(bad)?;
        (y, m, d, p)
    };
    if end != s.len() {
        // A time part may follow: `2020-01-05 12:00:00` or `2020-01-05T12:00:00`.
        let rest = &s[end..];
        let ok = (rest[0] == b' ' || rest[0] == b'T') && parse_time_of_day(&rest[1..]).is_some();
        if !ok {
            return Err(syntax_error(s, end, t));
        }
    }
    Ok(make_day(y as i32, m, d))
}

/// ClickHouse's lenient day number: invalid month/day → 0, day past month end rolls over.
pub fn make_day(y: i32, m: u32, d: u32) -> i64 {
    if !(1..=12).contains(&m) || d == 0 || d > 31 {
        return 0;
    }
    days_from_civil(y, m, 1) + d as i64 - 1
}

/// Parses `hh:mm[:ss[.fraction]]` and returns (seconds of day, fraction digits, fraction
/// value); hours may exceed 23 (they roll into the next day).
pub fn parse_time_of_day(s: &[u8]) -> Option<(i64, u32, u64)> {
    let mut p = 0;
    let field = |p: &mut usize| -> Option<i64> {
        let st = *p;
        while *p < s.len() && s[*p].is_ascii_digit() && *p - st < 2 {
            *p += 1;
        }
        if *p == st {
            return None;
        }
        std::str::from_utf8(&s[st..*p]).ok()?.parse().ok()
    };
    let h = field(&mut p)?;
    let mut mi = 0;
    let mut sec = 0;
    if p < s.len() && s[p] == b':' {
        p += 1;
        mi = field(&mut p)?;
        if p < s.len() && s[p] == b':' {
            p += 1;
            sec = field(&mut p)?;
        }
    }
    let (mut fd, mut fv) = (0u32, 0u64);
    if p < s.len() && s[p] == b'.' {
        p += 1;
        while p < s.len() && s[p].is_ascii_digit() {
            if fd < 18 {
                fv = fv * 10 + (s[p] - b'0') as u64;
                fd += 1;
            }
            p += 1;
        }
    }
    if p != s.len() {
        return None;
    }
    Some((h * 3600 + mi * 60 + sec, fd, fv))
}

/// Parses a UUID (`8-4-4-4-12` hex or 32 hex digits).
pub fn parse_uuid(s: &[u8]) -> Result<u128, Error> {
    let bad = || {
        Error::new(
            ErrorCode::CANNOT_PARSE_UUID,
            format!(
                "Cannot parse uuid {}: Cannot parse UUID from String",
                shown(s)
            ),
        )
    };
    let hex: Vec<u8> = if s.len() == 36 {
        if s[8] != b'-' || s[13] != b'-' || s[18] != b'-' || s[23] != b'-' {
            return Err(bad());
        }
        s.iter().copied().filter(|c| *c != b'-').collect()
    } else if s.len() == 32 {
        s.to_vec()
    } else {
        return Err(bad());
    };
    if hex.len() != 32 {
        return Err(bad());
    }
    let txt = std::str::from_utf8(&hex).map_err(|_| bad())?;
    u128::from_str_radix(txt, 16).map_err(|_| bad())
}

/// Parses a dotted-quad IPv4 address.
pub fn parse_ipv4(s: &[u8]) -> Result<u32, Error> {
    std::str::from_utf8(s)
        .ok()
        .and_then(|x| x.parse::<Ipv4Addr>().ok())
        .map(u32::from)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::CANNOT_PARSE_IPV4,
                format!(
                    "Cannot parse IPv4 {}: Cannot parse IPv4 from String",
                    shown(s)
                ),
            )
        })
}

/// Parses an IPv6 address; a plain IPv4 address becomes `::ffff:a.b.c.d`.
pub fn parse_ipv6(s: &[u8]) -> Result<[u8; 16], Error> {
    let txt = std::str::from_utf8(s).ok();
    if let Some(v6) = txt.and_then(|x| x.parse::<Ipv6Addr>().ok()) {
        return Ok(v6.octets());
    }
    if let Some(v4) = txt.and_then(|x| x.parse::<Ipv4Addr>().ok()) {
        return Ok(v4.to_ipv6_mapped().octets());
    }
    Err(Error::new(
        ErrorCode::CANNOT_PARSE_IPV6,
        format!(
            "Cannot parse IPv6 {}: Cannot parse IPv6 from String",
            shown(s)
        ),
    ))
}

/// Parses a Bool (`true/false`, `1/0`, `yes/no`, `on/off`, `t/f`, `y/n`,
/// `enable(d)/disable(d)`, case-insensitive).
pub fn parse_bool(s: &[u8]) -> Result<bool, Error> {
    let l = s.to_ascii_lowercase();
    match l.as_slice() {
        b"true" | b"1" | b"yes" | b"on" | b"t" | b"y" | b"enable" | b"enabled" => Ok(true),
        b"false" | b"0" | b"no" | b"off" | b"f" | b"n" | b"disable" | b"disabled" => Ok(false),
        _ => Err(Error::new(
            ErrorCode::CANNOT_PARSE_BOOL,
            format!(
                "Cannot parse boolean value here: '{}', should be 'true' or 'false' controlled by setting bool_true_representation and bool_false_representation or one of True/False/T/F/Y/N/Yes/No/On/Off/Enable/Disable/Enabled/Disabled/1/0",
                shown(s)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i(s: &str, t: ChType, u: bool) -> Result<i128, ErrorCode> {
        parse_int(s.as_bytes(), &t, u)
            .map(|v| v.as_i128())
            .map_err(|e| e.code)
    }

    #[test]
    fn ints() {
        // Oracle: toUInt8('256') → 0 after wrapping; '-1' as UInt8 → 72; 'abc' → 6; '' → 32.
        assert_eq!(i("256", ChType::UInt8, true), Ok(256));
        assert_eq!(
            i("-1", ChType::UInt8, true),
            Err(ErrorCode::CANNOT_PARSE_NUMBER)
        );
        assert_eq!(
            i("abc", ChType::UInt8, true),
            Err(ErrorCode::CANNOT_PARSE_TEXT)
        );
        assert_eq!(
            i("1.5", ChType::UInt8, true),
            Err(ErrorCode::CANNOT_PARSE_TEXT)
        );
        assert_eq!(
            i("", ChType::UInt8, true),
            Err(ErrorCode::ATTEMPT_TO_READ_AFTER_EOF)
        );
        assert_eq!(i("+1", ChType::UInt8, true), Ok(1));
        assert_eq!(i("-129", ChType::Int8, false), Ok(-129));
    }

    #[test]
    fn decimals() {
        let t = ChType::Decimal {
            precision: 9,
            scale: 2,
        };
        let d = |s: &str, sc| {
            parse_decimal(s.as_bytes(), 9, sc, &t)
                .map(|v| v.as_i128())
                .map_err(|e| e.code)
        };
        assert_eq!(d("1.555", 2), Ok(155));
        assert_eq!(d("1e2", 2), Ok(10000));
        assert_eq!(d("-.5", 2), Ok(-50));
        assert_eq!(d("+1.", 2), Ok(100));
        assert_eq!(d("1.5e-1", 3), Ok(150));
        assert_eq!(d("0.05", 2), Ok(5));
        assert_eq!(d("5e-2", 3), Ok(50));
        assert_eq!(d("1000000000", 0), Err(ErrorCode::ARGUMENT_OUT_OF_BOUND));
        assert_eq!(d("1.5 ", 2), Err(ErrorCode::CANNOT_PARSE_TEXT));
    }

    #[test]
    fn floats_and_dates() {
        let t = ChType::Float64;
        assert_eq!(parse_float(b"1e3", &t).ok(), Some(1000.0));
        assert_eq!(parse_float(b".5", &t).ok(), Some(0.5));
        assert_eq!(
            parse_float(b"", &t).map_err(|e| e.code),
            Err(ErrorCode::CANNOT_PARSE_NUMBER)
        );
        assert_eq!(
            parse_float(b"1.5x", &t).map_err(|e| e.code),
            Err(ErrorCode::CANNOT_PARSE_TEXT)
        );
        let d = ChType::Date;
        assert_eq!(parse_date(b"2020-1-5", &d).ok(), Some(18266));
        assert_eq!(parse_date(b"20200105", &d).ok(), Some(18266));
        assert_eq!(parse_date(b"2020-02-30", &d).ok(), Some(18322));
        assert_eq!(parse_date(b"2020-13-01", &d).ok(), Some(0));
        assert_eq!(
            parse_date(b"18262", &d).map_err(|e| e.code),
            Err(ErrorCode::CANNOT_PARSE_DATE)
        );
        assert_eq!(
            parse_date(b"2020-01-05 ab", &d).map_err(|e| e.code),
            Err(ErrorCode::CANNOT_PARSE_TEXT)
        );
    }
}
