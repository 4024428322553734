//! Time zones and civil-calendar arithmetic shared by the date/time and conversion functions.
//!
//! ClickHouse stores `DateTime` as UTC seconds and interprets them in the column's time zone
//! (or the session time zone). [`Zone`] converts between UTC instants and local civil
//! seconds; the `civil_*`/`days_*` helpers do proleptic-Gregorian date math on day numbers
//! (days since 1970-01-01), which is what `Date`/`Date32` hold.

use std::str::FromStr;

use chrono::{LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use datafusion::common::config::ConfigOptions;
use datafusion::error::Result;
use sluice_common::ChType;

use crate::ch_bail;

/// A time zone: UTC (fast path) or an IANA zone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Zone {
    /// UTC, offset always zero.
    Utc,
    /// A zone from the tz database.
    Named(Tz),
    /// A fixed offset in seconds east of UTC (`+03:00` style names).
    Fixed(i32),
}

impl Zone {
    /// Parses a ClickHouse time zone name (`UTC`, `Europe/Moscow`, `+03:00`).
    /// An empty or unknown name is `ILLEGAL_TYPE_OF_ARGUMENT`/`BAD_ARGUMENTS` as in ClickHouse.
    pub fn parse(name: &str) -> Result<Zone> {
        if name.is_empty() {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Provided time zone must be non-empty"
            );
        }
        if matches!(
            name,
            "UTC" | "Etc/UTC" | "UCT" | "Etc/UCT" | "Universal" | "Zulu" | "GMT" | "Etc/GMT" | "Z"
        ) {
            return Ok(Zone::Utc);
        }
        if let Ok(tz) = Tz::from_str(name) {
            return Ok(Zone::Named(tz));
        }
        if let Some(off) = parse_fixed_offset(name) {
            return Ok(if off == 0 {
                Zone::Utc
            } else {
                Zone::Fixed(off)
            });
        }
        ch_bail!(BAD_ARGUMENTS, "Invalid time zone: {name}")
    }

    /// The zone of a `DateTime`/`DateTime64` type, else the session zone.
    pub fn of_type(t: &ChType, session: Zone) -> Result<Zone> {
        match t.base() {
            ChType::DateTime(Some(tz)) | ChType::DateTime64(_, Some(tz)) => Zone::parse(tz),
            _ => Ok(session),
        }
    }

    /// The session time zone from DataFusion's `datafusion.execution.time_zone`
    /// (set by the engine from ClickHouse's `session_timezone`); UTC when unset.
    pub fn session(config: &ConfigOptions) -> Result<Zone> {
        match config.execution.time_zone.as_deref() {
            None | Some("") => Ok(Zone::Utc),
            Some(name) => Zone::parse(name),
        }
    }

    /// Seconds east of UTC at the UTC instant `utc` (seconds since the epoch).
    pub fn offset_at(&self, utc: i64) -> i64 {
        match self {
            Zone::Utc => 0,
            Zone::Fixed(o) => *o as i64,
            Zone::Named(tz) => match chrono::DateTime::from_timestamp(utc, 0) {
                Some(dt) => tz
                    .offset_from_utc_datetime(&dt.naive_utc())
                    .fix()
                    .local_minus_utc() as i64,
                None => 0,
            },
        }
    }

    /// Local civil seconds (seconds since 1970-01-01 00:00:00 local) of a UTC instant.
    pub fn to_local(&self, utc: i64) -> i64 {
        utc + self.offset_at(utc)
    }

    /// The UTC instant of local civil seconds; in a DST gap the time is moved forward by the
    /// gap, and in an overlap the earlier instant is taken (ClickHouse's DateLUT behaviour).
    pub fn from_local(&self, local: i64) -> i64 {
        match self {
            Zone::Utc => local,
            Zone::Fixed(o) => local - *o as i64,
            Zone::Named(tz) => {
                let Some(naive) = naive_from_secs(local) else {
                    return local;
                };
                match tz.from_local_datetime(&naive) {
                    LocalResult::Single(dt) => dt.timestamp(),
                    LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
                    LocalResult::None => {
                        // In a gap: use the offset in force just before it.
                        let before = local - self.offset_at(local - 86400);
                        let off_after = self.offset_at(before);
                        local - off_after
                    }
                }
            }
        }
    }

    /// The zone's name as ClickHouse prints it.
    pub fn name(&self) -> String {
        match self {
            Zone::Utc => "UTC".to_string(),
            Zone::Named(tz) => tz.name().to_string(),
            Zone::Fixed(o) => {
                let sign = if *o < 0 { '-' } else { '+' };
                let a = o.unsigned_abs();
                format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
            }
        }
    }
}

fn parse_fixed_offset(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let (sign, rest) = match b.first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None if rest.len() == 4 => (rest[..2].parse().ok()?, rest[2..].parse().ok()?),
        None => (rest.parse().ok()?, 0),
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

fn naive_from_secs(secs: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp(secs, 0).map(|d| d.naive_utc())
}

/// Splits local civil seconds into (day number, seconds within the day).
pub fn split_day(local: i64) -> (i64, i64) {
    (local.div_euclid(86400), local.rem_euclid(86400))
}

/// (year, month 1–12, day 1–31) of a day number (days since 1970-01-01).
pub fn civil_from_days(days: i64) -> (i32, u32, u32) {
    // Howard Hinnant's algorithm.
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z.rem_euclid(146097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

/// Day number of a civil date (no validation: out-of-range days roll over).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y as i64 - 1 } else { y as i64 };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// True for leap years.
pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` of year `y`.
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if is_leap(y) {
                29
            } else {
                28
            }
        }
    }
}

/// Day of week, Monday = 1 … Sunday = 7.
pub fn weekday(days: i64) -> u32 {
    // 1970-01-01 was a Thursday (4).
    ((days + 3).rem_euclid(7) + 1) as u32
}

/// Day of year, 1-based.
pub fn day_of_year(days: i64) -> u32 {
    let (y, _, _) = civil_from_days(days);
    (days - days_from_civil(y, 1, 1) + 1) as u32
}

/// A validated civil date, for parsers.
pub fn checked_days(y: i32, m: u32, d: u32) -> Option<i64> {
    NaiveDate::from_ymd_opt(y, m, d).map(|_| days_from_civil(y, m, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for d in [-25567i64, -1, 0, 1, 59, 10956, 65535, 120529] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(65535), (2149, 6, 6));
        assert_eq!(weekday(0), 4);
    }

    #[test]
    fn zones() {
        let m = Zone::parse("Europe/Moscow").unwrap();
        assert_eq!(m.offset_at(1_577_840_400), 3 * 3600);
        assert_eq!(m.from_local(m.to_local(1_577_840_400)), 1_577_840_400);
        assert_eq!(Zone::parse("+05:30").unwrap(), Zone::Fixed(19800));
        assert!(Zone::parse("").is_err());
        assert!(Zone::parse("Mars/Base").is_err());
    }
}
