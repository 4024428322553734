//! Text parsers for the scalar types `JSONExtract` reads out of JSON strings: `Date`,
//! `DateTime[64]`, `Decimal`, `IPv4`, `UUID`.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};

/// Days since 1970-01-01 of `YYYY-MM-DD`.
pub fn parse_date(s: &[u8]) -> Option<i32> {
    let s = std::str::from_utf8(s).ok()?;
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    let days = (d - epoch).num_days();
    (0..=65535).contains(&days).then_some(days as i32)
}

/// `YYYY-MM-DD hh:mm:ss[.fff]` (also with `T` and a trailing `Z`) in `tz` (UTC when none),
/// as a count of units of precision `p` (seconds for `DateTime`; ms/µs/ns for
/// `DateTime64`, matching the Arrow storage unit).
pub fn parse_datetime(s: &[u8], tz: Option<&str>, p: u8) -> Option<i64> {
    let s = std::str::from_utf8(s).ok()?;
    let (s, utc) = match s.strip_suffix('Z') {
        Some(r) => (r, true),
        None => (s, false),
    };
    let s = s.replacen('T', " ", 1);
    let naive = NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .ok()?;
    let utc_dt = if utc {
        naive.and_utc()
    } else {
        match tz {
            None | Some("UTC") => naive.and_utc(),
            Some(name) => {
                let zone: chrono_tz::Tz = name.parse().ok()?;
                zone.from_local_datetime(&naive)
                    .earliest()?
                    .with_timezone(&chrono::Utc)
            }
        }
    };
    Some(match p {
        0 => utc_dt.timestamp(),
        1..=3 => utc_dt.timestamp_millis(),
        4..=6 => utc_dt.timestamp_micros(),
        _ => utc_dt.timestamp_nanos_opt()?,
    })
}

/// A decimal in text (`-12.555`; exponents are not accepted) as the decimal digits of the
/// integer scaled by `10^scale` (with a leading `-`); extra fraction digits are truncated,
/// as ClickHouse does.
pub fn scaled_digits(s: &[u8], scale: u8) -> Option<String> {
    let (neg, body) = match s.split_first() {
        Some((b'-', r)) => (true, r),
        Some((b'+', r)) => (false, r),
        _ => (false, s),
    };
    let (int, frac) = match body.iter().position(|c| *c == b'.') {
        Some(p) => (&body[..p], &body[p + 1..]),
        None => (body, &body[..0]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    let mut out = String::with_capacity(int.len() + scale as usize + 1);
    if neg {
        out.push('-');
    }
    out.extend(int.iter().map(|c| *c as char));
    for k in 0..scale as usize {
        out.push(frac.get(k).map_or('0', |c| *c as char));
    }
    if out.is_empty() || out == "-" {
        out.push('0');
    }
    Some(out)
}

/// [`scaled_digits`] as an `i128` that fits the storage of `Decimal(precision, _)`
/// (Decimal32/64/128: ClickHouse checks the storage width, not the precision).
pub fn parse_decimal(s: &[u8], precision: u8, scale: u8) -> Option<i128> {
    let digits = scaled_digits(s, scale)?;
    let v: i128 = digits.parse().ok()?;
    let limit: i128 = if precision <= 9 {
        i32::MAX as i128
    } else if precision <= 18 {
        i64::MAX as i128
    } else {
        i128::MAX
    };
    (v.abs() <= limit).then_some(v)
}

/// Dotted-quad IPv4.
pub fn parse_ipv4(s: &[u8]) -> Option<u32> {
    let a: std::net::Ipv4Addr = std::str::from_utf8(s).ok()?.parse().ok()?;
    Some(u32::from(a))
}

/// A UUID in its canonical text form, as the 16 bytes ClickHouse stores in order.
pub fn parse_uuid(s: &[u8]) -> Option<[u8; 16]> {
    let hex: Vec<u8> = s.iter().copied().filter(|c| *c != b'-').collect();
    if hex.len() != 32 || s.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    for (k, o) in out.iter_mut().enumerate() {
        let h = std::str::from_utf8(&hex[2 * k..2 * k + 2]).ok()?;
        *o = u8::from_str_radix(h, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers() {
        assert_eq!(parse_date(b"2025-09-03"), Some(20334));
        assert_eq!(
            parse_datetime(b"2025-09-03 10:30:00", None, 0),
            Some(1756895400)
        );
        assert_eq!(
            parse_datetime(b"2025-09-03T10:30:00Z", None, 0),
            Some(1756895400)
        );
        assert_eq!(parse_decimal(b"12.555", 10, 2), Some(1255));
        assert_eq!(parse_decimal(b"-1", 10, 2), Some(-100));
        assert_eq!(parse_decimal(b"abc", 10, 2), None);
        assert_eq!(parse_ipv4(b"1.2.3.4"), Some(0x01020304));
        assert!(parse_uuid(b"417ddc5d-e556-4d27-95dd-a34d84e46a50").is_some());
    }
}
