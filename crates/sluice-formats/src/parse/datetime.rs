//! Parsing dates and date-times from text: ClickHouse's basic form
//! (`YYYY-MM-DD hh:mm:ss[.fff]`, unix timestamps) and a best-effort subset
//! (`T` separator, `Z`/`±hh:mm` offsets, `YYYYMMDD`, dates without time).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Days since the epoch of a `YYYY-MM-DD` (also `YYYY/MM/DD`, `YYYYMMDD`, and a
/// date-time whose date part is used).
pub fn parse_date_days(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, _) = split_date(s)?;
    Some(
        date.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?)
            .num_days(),
    )
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Splits a leading date off `s`, returning it and the rest.
fn split_date(s: &str) -> Option<(NaiveDate, &str)> {
    let b = s.as_bytes();
    if b.len() >= 10 && (b[4] == b'-' || b[4] == b'/') && b[7] == b[4] {
        let y = num(&s[0..4])?;
        let m = num(&s[5..7])?;
        let d = num(&s[8..10])?;
        return Some((NaiveDate::from_ymd_opt(y as i32, m, d)?, &s[10..]));
    }
    if b.len() >= 8
        && b[..8].iter().all(u8::is_ascii_digit)
        && (b.len() == 8 || !b[8].is_ascii_digit())
    {
        let y = num(&s[0..4])?;
        let m = num(&s[4..6])?;
        let d = num(&s[6..8])?;
        return Some((NaiveDate::from_ymd_opt(y as i32, m, d)?, &s[8..]));
    }
    None
}

/// A date-time as (seconds since the epoch, nanoseconds) in `tz` unless the text has
/// its own offset. Accepts unix timestamps (digits only, optionally with a fraction).
pub fn parse_datetime(s: &str, tz: &Tz, best_effort: bool) -> Option<(i64, u32)> {
    let s = s.trim();
    if !s.is_empty()
        && s.len() != 8
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().filter(|&b| b == b'.').count() <= 1
    {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let secs: i64 = int.parse().ok()?;
        return Some((secs, frac_nanos(frac)?));
    }
    let (date, rest) = split_date(s)?;
    let mut rest = rest;
    let mut time = NaiveTime::MIN;
    let mut nanos = 0;
    if let Some(r) = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('T')) {
        let b = r.as_bytes();
        if b.len() >= 5 && b[2] == b':' {
            let h = num(&r[0..2])?;
            let m = num(&r[3..5])?;
            let (sec, after) = if b.len() >= 8 && b[5] == b':' {
                (num(&r[6..8])?, &r[8..])
            } else {
                (0, &r[5..])
            };
            time = NaiveTime::from_hms_opt(h, m, sec)?;
            rest = after;
            if let Some(f) = rest.strip_prefix('.') {
                let digits = f.bytes().take_while(u8::is_ascii_digit).count();
                nanos = frac_nanos(&f[..digits])?;
                rest = &f[digits..];
            }
        } else if !best_effort {
            return None;
        }
    }
    let naive = NaiveDateTime::new(date, time);
    let rest = rest.trim();
    let secs = if rest.is_empty() {
        match tz.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) => t.timestamp(),
            chrono::LocalResult::Ambiguous(a, _) => a.timestamp(),
            chrono::LocalResult::None => naive.and_utc().timestamp(),
        }
    } else if !best_effort {
        return None;
    } else if rest == "Z" || rest == "UTC" {
        naive.and_utc().timestamp()
    } else {
        let (sign, off) = match rest.as_bytes()[0] {
            b'+' => (1, &rest[1..]),
            b'-' => (-1, &rest[1..]),
            _ => return None,
        };
        let off = off.replace(':', "");
        if off.len() != 4 && off.len() != 2 {
            return None;
        }
        let h = num(&off[0..2])? as i64;
        let m = if off.len() == 4 {
            num(&off[2..4])? as i64
        } else {
            0
        };
        naive.and_utc().timestamp() - sign * (h * 3600 + m * 60)
    };
    Some((secs, nanos))
}

fn frac_nanos(f: &str) -> Option<u32> {
    if !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits: String = f.chars().take(9).collect();
    while digits.len() < 9 {
        digits.push('0');
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_times() {
        assert_eq!(parse_date_days("2020-01-02"), Some(18263));
        assert_eq!(parse_date_days("20200102"), Some(18263));
        assert_eq!(parse_date_days("x"), None);
        let utc = Tz::UTC;
        assert_eq!(
            parse_datetime("2020-01-02 03:04:05", &utc, false),
            Some((1577934245, 0))
        );
        assert_eq!(
            parse_datetime("2020-01-02T03:04:05Z", &utc, true),
            Some((1577934245, 0))
        );
        assert_eq!(parse_datetime("2020-01-02T03:04:05Z", &utc, false), None);
        assert_eq!(
            parse_datetime("2020-01-02 05:04:05+02:00", &utc, true),
            Some((1577934245, 0))
        );
        assert_eq!(
            parse_datetime("1577934245.5", &utc, false),
            Some((1577934245, 500_000_000))
        );
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        assert_eq!(
            parse_datetime("2020-01-01 10:00:00", &tokyo, false),
            Some((1577840400, 0))
        );
    }
}
