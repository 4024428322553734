//! Week numbering in ClickHouse's (MySQL-derived) modes 0–9, used by `toWeek`,
//! `toYearWeek`, `toStartOfWeek`, `toLastDayOfWeek`, `toISOWeek`, `toISOYear`,
//! `toDayOfWeek(d, mode)` and `formatDateTime`'s `%V`/`%u`/`%w`.

use super::tz::{civil_from_days, days_from_civil, is_leap, weekday};

const MONDAY_FIRST: u8 = 1;
const YEAR: u8 = 2;
const FIRST_WEEKDAY: u8 = 4;
const NEWYEAR_DAY: u8 = 8;

fn days_in_year(y: i32) -> i64 {
    if is_leap(y) { 366 } else { 365 }
}

/// Weekday index of a day: 0 = Monday when `monday_first`, else 0 = Sunday.
fn weekday_index(days: i64, monday_first: bool) -> i64 {
    let mon0 = weekday(days) as i64 - 1; // 0 = Monday
    if monday_first { mon0 } else { (mon0 + 1) % 7 }
}

/// ClickHouse's `week_mode`: the low three bits with `FIRST_WEEKDAY` flipped for
/// Sunday-first modes, plus `NEWYEAR_DAY` for modes 8 and 9.
fn week_mode(mode: u8) -> u8 {
    let mut f = mode & 7;
    if f & MONDAY_FIRST == 0 {
        f ^= FIRST_WEEKDAY;
    }
    f | (mode & NEWYEAR_DAY)
}

/// (year, week) of a day number under behaviour flags `b` (already passed through
/// `week_mode`).
fn calc_week(days: i64, b: u8) -> (i32, u32) {
    let (mut year, month, day) = civil_from_days(days);
    let monday_first = b & MONDAY_FIRST != 0;
    if b & NEWYEAR_DAY != 0 {
        let week_start = days - weekday_index(days, monday_first);
        let y = civil_from_days(week_start + 6).0;
        let jan1 = days_from_civil(y, 1, 1);
        let first = jan1 - weekday_index(jan1, monday_first);
        return (y, ((week_start - first) / 7 + 1) as u32);
    }
    let mut week_year = b & YEAR != 0;
    let first_weekday = b & FIRST_WEEKDAY != 0;
    let mut first_daynr = days_from_civil(year, 1, 1);
    let mut wd = weekday_index(first_daynr, monday_first);
    if month == 1 && (day as i64) <= 7 - wd {
        if !week_year && ((first_weekday && wd != 0) || (!first_weekday && wd >= 4)) {
            return (year, 0);
        }
        week_year = true;
        year -= 1;
        let diy = days_in_year(year);
        first_daynr -= diy;
        wd = (wd + 53 * 7 - diy) % 7;
    }
    let d = if (first_weekday && wd != 0) || (!first_weekday && wd >= 4) {
        days - (first_daynr + (7 - wd))
    } else {
        days - (first_daynr - wd)
    };
    if week_year && d >= 52 * 7 {
        let wd2 = (wd + days_in_year(year)) % 7;
        if (!first_weekday && wd2 < 4) || (first_weekday && wd2 == 0) {
            return (year + 1, 1);
        }
    }
    (year, (d / 7 + 1) as u32)
}

/// `toWeek(d, mode)`.
pub fn to_week(days: i64, mode: u8) -> u32 {
    calc_week(days, week_mode(mode)).1
}

/// `toYearWeek(d, mode)` as `YYYYWW`.
pub fn to_year_week(days: i64, mode: u8) -> u32 {
    let (y, w) = calc_week(days, week_mode(mode | YEAR));
    (y as i64 * 100 + w as i64) as u32
}

/// `toISOWeek(d)`.
pub fn iso_week(days: i64) -> u32 {
    to_week(days, 3)
}

/// `toISOYear(d)`.
pub fn iso_year(days: i64) -> i32 {
    calc_week(days, week_mode(3 | YEAR)).0
}

/// First day of the ISO year containing `days`.
pub fn start_of_iso_year(days: i64) -> i64 {
    let y = iso_year(days);
    let jan4 = days_from_civil(y, 1, 4);
    jan4 - weekday_index(jan4, true)
}

/// `toStartOfWeek(d, mode)`: Monday when `mode & 1`, else Sunday.
pub fn start_of_week(days: i64, mode: u8) -> i64 {
    days - weekday_index(days, mode & 1 != 0)
}

/// `toDayOfWeek(d, mode)`: mode 0 Mon=1…Sun=7, 1 Mon=0…Sun=6, 2 Sun=0…Sat=6, 3 Sun=1…Sat=7.
pub fn day_of_week(days: i64, mode: u8) -> u32 {
    let mode = mode & 3;
    let idx = weekday_index(days, mode < 2) as u32;
    if mode == 1 || mode == 2 { idx } else { idx + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> i64 {
        days_from_civil(y, m, dd)
    }

    #[test]
    fn mysql_week_modes() {
        // Oracle (00941_to_custom_week): toWeek(1998-01-01) 0, mode 1 → 1; 1998-12-31 → 52 / 53.
        assert_eq!(to_week(d(1998, 1, 1), 0), 0);
        assert_eq!(to_week(d(1998, 1, 1), 1), 1);
        assert_eq!(to_week(d(1998, 12, 31), 0), 52);
        assert_eq!(to_week(d(1998, 12, 31), 1), 53);
        assert_eq!(to_year_week(d(1981, 12, 31), 1), 198153);
        assert_eq!(to_year_week(d(1987, 1, 1), 0), 198652);
        // 2000-12-31 across modes 0..7: 53 52 53 52 53 52 1 52.
        let row: Vec<u32> = (0..8).map(|m| to_week(d(2000, 12, 31), m)).collect();
        assert_eq!(row, vec![53, 52, 53, 52, 53, 52, 1, 52]);
        // Modes 8/9 around new year 2017.
        assert_eq!(to_week(d(2016, 12, 25), 8), 53);
        assert_eq!(to_week(d(2016, 12, 26), 9), 1);
        assert_eq!(to_year_week(d(2016, 12, 26), 9), 201701);
        assert_eq!(to_week(d(2017, 1, 8), 8), 2);
        assert_eq!(start_of_week(d(2018, 12, 25), 0), d(2018, 12, 23));
        assert_eq!(start_of_week(d(2018, 12, 25), 3), d(2018, 12, 24));
        assert_eq!(iso_week(d(1996, 12, 31)), 1);
    }
}
