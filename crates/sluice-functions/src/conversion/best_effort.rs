//! Date-time text parsing in ClickHouse's "best effort" style, used by
//! `parseDateTimeBestEffort*`, `parseDateTime64BestEffort*` and string → `DateTime*`
//! conversion: ISO 8601 (`2020-01-05T10:00:00.123+03:00`), `YYYY-MM-DD hh:mm:ss`,
//! `YYYYMMDD[hhmmss]`, `DD/MM/YYYY` (or `MM/DD/YYYY` for the US variant), `DD.MM.YYYY`,
//! month and weekday names, `AM/PM`, zone suffixes and Unix timestamps.

use sluice_common::{Error, ErrorCode};

use crate::datetime::tz::{Zone, checked_days, civil_from_days};

fn cannot(what: &str) -> Error {
    Error::new(
        ErrorCode::CANNOT_PARSE_DATETIME,
        format!("Cannot read DateTime: {what}: Cannot parse DateTime from String"),
    )
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[derive(Default)]
struct Parts {
    year: Option<i32>,
    month: Option<u32>,
    day: Option<u32>,
    hour: Option<i64>,
    minute: i64,
    second: i64,
    frac_digits: u32,
    frac: u64,
    pm: Option<bool>,
    offset: Option<i64>,
}

fn digits_at(s: &[u8], mut p: usize) -> usize {
    let st = p;
    while p < s.len() && s[p].is_ascii_digit() {
        p += 1;
    }
    p - st
}

fn num(s: &[u8]) -> i64 {
    s.iter().fold(0i64, |a, c| {
        a.saturating_mul(10).saturating_add((c - b'0') as i64)
    })
}

/// Parses `s` and returns (UTC seconds, fraction digits, fraction value). Local times are
/// interpreted in `zone` unless the text names an offset. `us` selects `MM/DD/YYYY`.
pub fn parse_best_effort(s: &[u8], zone: Zone, us: bool) -> Result<(i64, u32, u64), Error> {
    let mut p = Parts::default();
    let n = s.len();
    let mut i = 0;
    // A bare Unix timestamp, optionally with a fraction.
    let lead = digits_at(s, 0);
    if (9..=10).contains(&lead) {
        let rest = &s[lead..];
        let frac_ok = rest.is_empty() || (rest[0] == b'.' && digits_at(rest, 1) == rest.len() - 1);
        if frac_ok {
            let (fd, fv) = if rest.len() > 1 {
                let f = &rest[1..rest.len().min(19)];
                (f.len() as u32, num(f) as u64)
            } else {
                (0, 0)
            };
            return Ok((num(&s[..lead]), fd, fv));
        }
    }
    while i < n {
        let c = s[i];
        if c.is_ascii_whitespace() || c == b',' {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let len = digits_at(s, i);
            let run = &s[i..i + len];
            let next = s.get(i + len).copied();
            if next == Some(b':') && len <= 2 {
                // hh:mm[:ss[.frac]]
                if p.hour.is_some() {
                    return Err(cannot("unexpected time"));
                }
                p.hour = Some(num(run));
                i += len + 1;
                let l = digits_at(s, i);
                if l == 0 || l > 2 {
                    return Err(cannot("unexpected time"));
                }
                p.minute = num(&s[i..i + l]);
                i += l;
                if i < n && s[i] == b':' {
                    let l = digits_at(s, i + 1);
                    if l == 0 || l > 2 {
                        return Err(cannot("unexpected time"));
                    }
                    p.second = num(&s[i + 1..i + 1 + l]);
                    i += 1 + l;
                    if i < n && (s[i] == b'.' || s[i] == b',') && digits_at(s, i + 1) > 0 {
                        let l = digits_at(s, i + 1);
                        let f = &s[i + 1..i + 1 + l.min(18)];
                        p.frac_digits = f.len() as u32;
                        p.frac = num(f) as u64;
                        i += 1 + l;
                    }
                }
                continue;
            }
            if p.year.is_none() && p.month.is_none() && p.day.is_none() && p.hour.is_none() {
                match len {
                    14 | 12 => {
                        p.year = Some(num(&run[..4]) as i32);
                        p.month = Some(num(&run[4..6]) as u32);
                        p.day = Some(num(&run[6..8]) as u32);
                        p.hour = Some(num(&run[8..10]));
                        p.minute = num(&run[10..12]);
                        if len == 14 {
                            p.second = num(&run[12..14]);
                        }
                        i += len;
                        continue;
                    }
                    8 => {
                        p.year = Some(num(&run[..4]) as i32);
                        p.month = Some(num(&run[4..6]) as u32);
                        p.day = Some(num(&run[6..8]) as u32);
                        i += len;
                        continue;
                    }
                    6 => {
                        p.year = Some(num(&run[..4]) as i32);
                        p.month = Some(num(&run[4..6]) as u32);
                        i += len;
                        continue;
                    }
                    _ => {}
                }
            }
            if len == 4 && p.year.is_none() {
                p.year = Some(num(run) as i32);
                i += len;
                if let Some(sep @ (b'-' | b'/' | b'.')) = next {
                    i += 1;
                    let l = digits_at(s, i);
                    if (1..=2).contains(&l) {
                        p.month = Some(num(&s[i..i + l]) as u32);
                        i += l;
                        if i < n && s[i] == sep {
                            let l = digits_at(s, i + 1);
                            if (1..=2).contains(&l) {
                                p.day = Some(num(&s[i + 1..i + 1 + l]) as u32);
                                i += 1 + l;
                            } else {
                                return Err(cannot("unexpected number of decimal digits for day"));
                            }
                        }
                    } else if l == 0 {
                        // Month name after the separator.
                        continue;
                    } else {
                        return Err(cannot("unexpected number of decimal digits for month"));
                    }
                }
                continue;
            }
            if len <= 2 {
                if let Some(sep @ (b'/' | b'-' | b'.')) = next {
                    let l2 = digits_at(s, i + len + 1);
                    if (1..=2).contains(&l2) && s.get(i + len + 1 + l2) == Some(&sep) {
                        let a = num(run) as u32;
                        let b = num(&s[i + len + 1..i + len + 1 + l2]) as u32;
                        let ys = i + len + 2 + l2;
                        let l3 = digits_at(s, ys);
                        if l3 != 2 && l3 != 4 {
                            return Err(cannot("unexpected number of decimal digits for year"));
                        }
                        let mut y = num(&s[ys..ys + l3]) as i32;
                        if l3 == 2 {
                            y += 2000;
                        }
                        let (d, m) = if us && sep == b'/' { (b, a) } else { (a, b) };
                        p.year = Some(y);
                        p.month = Some(m);
                        p.day = Some(d);
                        i = ys + l3;
                        continue;
                    }
                }
                if p.day.is_none() {
                    p.day = Some(num(run) as u32);
                    i += len;
                    continue;
                }
                if p.hour.is_none()
                    && matches!(next, None | Some(b' '))
                    && looks_like_ampm(&s[i + len..])
                {
                    p.hour = Some(num(run));
                    i += len;
                    continue;
                }
            }
            if len == 4 && p.year.is_none() {
                p.year = Some(num(run) as i32);
                i += len;
                continue;
            }
            if len == 4 && p.year.is_some() && p.hour.is_none() && p.day.is_some() {
                return Err(cannot("unexpected number"));
            }
            if len == 4 && p.year.is_none() {
                p.year = Some(num(run) as i32);
                i += len;
                continue;
            }
            return Err(cannot("unexpected number"));
        }
        if (c == b'+' || c == b'-') && p.hour.is_some() && digits_at(s, i + 1) > 0 {
            let sign = if c == b'-' { -1 } else { 1 };
            let l = digits_at(s, i + 1);
            let d = &s[i + 1..i + 1 + l];
            let (h, m, used) = match l {
                1 | 2 => {
                    let h = num(d);
                    if s.get(i + 1 + l) == Some(&b':') && digits_at(s, i + 2 + l) == 2 {
                        (h, num(&s[i + 2 + l..i + 4 + l]), l + 3)
                    } else {
                        (h, 0, l)
                    }
                }
                4 => (num(&d[..2]), num(&d[2..]), 4),
                _ => return Err(cannot("unexpected time zone offset")),
            };
            p.offset = Some(sign * (h * 3600 + m * 60));
            i += 1 + used;
            continue;
        }
        if c.is_ascii_alphabetic() {
            let st = i;
            while i < n && s[i].is_ascii_alphabetic() {
                i += 1;
            }
            let w = String::from_utf8_lossy(&s[st..i]).to_ascii_lowercase();
            if w.len() >= 3 && MONTHS.iter().any(|m| w.starts_with(m)) {
                let m = MONTHS.iter().position(|m| w.starts_with(m)).unwrap_or(0) as u32 + 1;
                p.month = Some(m);
                // "Jan 2020" handled by the number branch; skip a following separator.
                if i < n && (s[i] == b'-' || s[i] == b'/' || s[i] == b'.') {
                    i += 1;
                }
            } else if w.len() >= 3 && WEEKDAYS.iter().any(|d| w.starts_with(d)) {
            } else if w == "am" || w == "pm" {
                p.pm = Some(w == "pm");
            } else if w == "t" && p.hour.is_none() {
            } else if matches!(w.as_str(), "z" | "utc" | "gmt" | "ut") {
                p.offset = Some(0);
            } else if w == "msk" {
                p.offset = Some(3 * 3600);
            } else {
                return Err(cannot("unexpected word"));
            }
            continue;
        }
        if (c == b'-' || c == b'/' || c == b'.') && i > 0 {
            i += 1;
            continue;
        }
        return Err(cannot("unexpected character"));
    }
    if p.year.is_none() && p.month.is_none() && p.day.is_none() && p.hour.is_none() {
        return Err(cannot("neither Date nor Time was parsed successfully"));
    }
    let year = match p.year {
        Some(y) => y,
        None => {
            let now = zone.to_local(chrono::Utc::now().timestamp());
            civil_from_days(now.div_euclid(86400)).0
        }
    };
    let month = p.month.unwrap_or(1);
    let day = p.day.unwrap_or(1);
    let days = checked_days(year, month, day)
        .ok_or_else(|| cannot(&format!("unexpected date: {year}-{month}-{day}")))?;
    let mut hour = p.hour.unwrap_or(0);
    if let Some(pm) = p.pm {
        if hour > 12 {
            return Err(cannot("unexpected hour with AM/PM"));
        }
        hour %= 12;
        if pm {
            hour += 12;
        }
    }
    let local = days * 86400 + hour * 3600 + p.minute * 60 + p.second;
    let utc = match p.offset {
        Some(off) => local - off,
        None => zone.from_local(local),
    };
    Ok((utc, p.frac_digits, p.frac))
}

fn looks_like_ampm(rest: &[u8]) -> bool {
    let t: Vec<u8> = rest
        .iter()
        .copied()
        .skip_while(|c| *c == b' ')
        .take(2)
        .collect();
    t.eq_ignore_ascii_case(b"am") || t.eq_ignore_ascii_case(b"pm")
}

/// String → `DateTime`/`DateTime64` conversion (`toDateTime('…')`, `CAST`): the best-effort
/// grammar, errors as `CANNOT_PARSE_DATETIME`.
pub fn parse_datetime_text(
    s: &[u8],
    zone: Zone,
    _fraction: bool,
) -> Result<(i64, u32, u64), Error> {
    parse_best_effort(s, zone, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<(i64, u32, u64)> {
        parse_best_effort(s.as_bytes(), Zone::Utc, false).ok()
    }

    #[test]
    fn formats() {
        // Expected values from the oracle (parseDateTimeBestEffort(...) in UTC).
        assert_eq!(
            p("2020-01-05T10:00:00.123+03:00"),
            Some((1578207600, 3, 123))
        );
        assert_eq!(p("5 Jan 2020 10:00 PM"), Some((1578261600, 0, 0)));
        assert_eq!(p("05/01/2020"), Some((1578182400, 0, 0)));
        assert_eq!(p("1585000000"), Some((1585000000, 0, 0)));
        assert_eq!(p("20200105103000"), Some((1578220200, 0, 0)));
        assert_eq!(p("Sun, 05 Jan 2020 10:00:00 GMT"), Some((1578218400, 0, 0)));
        assert_eq!(p("2020-01"), Some((1577836800, 0, 0)));
        assert_eq!(p("200105"), Some((988675200, 0, 0)));
        assert_eq!(p("05.01.2020"), Some((1578182400, 0, 0)));
        assert_eq!(p("2020-01-05 10:30:00 MSK"), Some((1578209400, 0, 0)));
        assert_eq!(
            parse_best_effort(b"05/01/2020", Zone::Utc, true).ok(),
            Some((1588291200, 0, 0))
        );
        assert!(p("2020-02-30").is_none());
        assert!(p("<Empty>").is_none());
        assert!(p("").is_none());
    }
}
