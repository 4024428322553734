//! Dates and times in ClickHouse's text forms (`simple`, `iso`, `unix_timestamp`).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

/// How `DateTime`/`DateTime64` values are printed (`date_time_output_format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DateTimeOutputFormat {
    /// `2020-01-01 10:00:00` in the column's time zone.
    #[default]
    Simple,
    /// `2020-01-01T01:00:00Z`, always UTC.
    Iso,
    /// Seconds since the epoch (with the fraction for `DateTime64`).
    UnixTimestamp,
}

/// Days since 1970-01-01 of the epoch in chrono's "days from CE" numbering.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Converts days since the Unix epoch into a calendar date.
pub fn date_from_days(days: i64) -> Option<NaiveDate> {
    let d = i32::try_from(days)
        .ok()?
        .checked_add(UNIX_EPOCH_DAYS_FROM_CE)?;
    NaiveDate::from_num_days_from_ce_opt(d)
}

fn push2(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

fn write_ymd(out: &mut Vec<u8>, d: &NaiveDate) {
    let y = d.year();
    if (0..10000).contains(&y) {
        let y = y as u32;
        push2(out, y / 100);
        push2(out, y % 100);
    } else {
        out.extend_from_slice(y.to_string().as_bytes());
    }
    out.push(b'-');
    push2(out, d.month());
    out.push(b'-');
    push2(out, d.day());
}

/// Writes a `Date`/`Date32` given as days since the epoch: `YYYY-MM-DD`.
pub fn write_date(out: &mut Vec<u8>, days: i64) {
    match date_from_days(days) {
        Some(d) => write_ymd(out, &d),
        None => out.extend_from_slice(b"1970-01-01"),
    }
}

fn write_naive(out: &mut Vec<u8>, dt: &NaiveDateTime, sep: u8) {
    write_ymd(out, &dt.date());
    out.push(sep);
    push2(out, dt.hour());
    out.push(b':');
    push2(out, dt.minute());
    out.push(b':');
    push2(out, dt.second());
}

/// Local wall-clock time of `secs` since the epoch in `tz`.
pub fn local_time(secs: i64, tz: &Tz) -> Option<NaiveDateTime> {
    let utc = DateTime::from_timestamp(secs, 0)?;
    if *tz == Tz::UTC {
        return Some(utc.naive_utc());
    }
    let off = tz.offset_from_utc_datetime(&utc.naive_utc()).fix();
    Some(utc.naive_utc() + off)
}

fn write_fraction(out: &mut Vec<u8>, frac: u64, digits: u8) {
    if digits == 0 {
        return;
    }
    out.push(b'.');
    let s = frac.to_string();
    out.extend(std::iter::repeat_n(
        b'0',
        (digits as usize).saturating_sub(s.len()),
    ));
    out.extend_from_slice(s.as_bytes());
}

/// Writes a `DateTime64` (or `DateTime` when `precision == 0`): `value` counts
/// `1/units_per_sec` seconds; `precision` fraction digits are printed.
pub fn write_datetime(
    out: &mut Vec<u8>,
    value: i64,
    units_per_sec: i64,
    precision: u8,
    tz: &Tz,
    format: DateTimeOutputFormat,
) {
    let secs = value.div_euclid(units_per_sec);
    let sub = value.rem_euclid(units_per_sec) as u64;
    // Scale the sub-second part to `precision` digits.
    let unit_digits = units_per_sec.max(1).ilog10() as u8;
    let frac = if precision <= unit_digits {
        sub / 10u64.pow(u32::from(unit_digits - precision))
    } else {
        sub * 10u64.pow(u32::from(precision - unit_digits))
    };
    match format {
        DateTimeOutputFormat::Simple => {
            match local_time(secs, tz) {
                Some(dt) => write_naive(out, &dt, b' '),
                None => out.extend_from_slice(b"1970-01-01 00:00:00"),
            }
            write_fraction(out, frac, precision);
        }
        DateTimeOutputFormat::Iso => {
            match local_time(secs, &Tz::UTC) {
                Some(dt) => write_naive(out, &dt, b'T'),
                None => out.extend_from_slice(b"1970-01-01T00:00:00"),
            }
            write_fraction(out, frac, precision);
            out.push(b'Z');
        }
        DateTimeOutputFormat::UnixTimestamp => {
            super::number::write_int(out, secs);
            write_fraction(out, frac, precision);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut o = Vec::new();
        f(&mut o);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn formats_like_clickhouse() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        // ch-oracle -q "SELECT toDateTime('2020-01-01 10:00:00','Asia/Tokyo') a,
        //   toDateTime64('2020-01-01 10:00:00.123',3,'Asia/Tokyo') b,
        //   toDateTime64('1969-12-31 23:59:59.5',3,'UTC') c SETTINGS date_time_output_format='iso'"
        // → 2020-01-01T01:00:00Z	2020-01-01T01:00:00.123Z	1969-12-31T23:59:59.500Z
        let iso = DateTimeOutputFormat::Iso;
        assert_eq!(
            s(|o| write_datetime(o, 1577840400, 1, 0, &tokyo, iso)),
            "2020-01-01T01:00:00Z"
        );
        assert_eq!(
            s(|o| write_datetime(o, 1577840400123, 1000, 3, &tokyo, iso)),
            "2020-01-01T01:00:00.123Z"
        );
        assert_eq!(
            s(|o| write_datetime(o, -500, 1000, 3, &Tz::UTC, iso)),
            "1969-12-31T23:59:59.500Z"
        );
        let simple = DateTimeOutputFormat::Simple;
        assert_eq!(
            s(|o| write_datetime(o, 1577840400, 1, 0, &tokyo, simple)),
            "2020-01-01 10:00:00"
        );
        // ch-oracle -q "SELECT toDateTime64('2020-01-01 00:00:00.5',1,'UTC')" → 2020-01-01 00:00:00.5
        assert_eq!(
            s(|o| write_datetime(o, 1577836800500, 1000, 1, &Tz::UTC, simple)),
            "2020-01-01 00:00:00.5"
        );
        // ch-oracle -q "... SETTINGS date_time_output_format='unix_timestamp'" → 1577840400.123
        assert_eq!(
            s(|o| write_datetime(
                o,
                1577840400123,
                1000,
                3,
                &tokyo,
                DateTimeOutputFormat::UnixTimestamp
            )),
            "1577840400.123"
        );
        // ch-oracle -q "SELECT toDate32('1900-01-01')" → 1900-01-01
        assert_eq!(s(|o| write_date(o, -25567)), "1900-01-01");
    }
}
