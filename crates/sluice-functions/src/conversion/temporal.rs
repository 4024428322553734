//! Conversions into `Date`, `Date32`, `DateTime` and `DateTime64`: numbers are day numbers
//! or Unix timestamps (with ClickHouse's thresholds), times move between zones through local
//! civil time, text is parsed, and results clamp (or, for `accurateCast`, fail) at the
//! type's range.

use datafusion::arrow::datatypes::i256;
use sluice_common::{ChType, Error, ErrorCode};

use super::best_effort;
use super::parse;
use super::scalar::{Ctx, descale, err, inexact, unsupported};
use super::value::{Val, unit_digits};

const DATE_MAX: i64 = 65535;
/// Numbers up to this (9999-12-31) are day numbers for `Date32`, larger ones timestamps.
const DATE32_MAX_DAYS: i64 = 2_932_896;
const DATETIME_MAX: i64 = u32::MAX as i64;

/// Integer value of a numeric `Val` (truncated) for date/time targets; `None` for others.
fn numeric_secs(v: &Val, src_u256: bool) -> Option<Result<i128, Error>> {
    Some(Ok(match v {
        Val::Int(x) => {
            if src_u256 && x.is_negative() {
                i128::MAX
            } else {
                x.to_i128().unwrap_or(if x.is_negative() {
                    i128::MIN
                } else {
                    i128::MAX
                })
            }
        }
        Val::Float(f) => {
            if !f.is_finite() {
                return Some(Err(err(
                    ErrorCode::CANNOT_CONVERT_TYPE,
                    "Unexpected inf or nan to integer conversion",
                )));
            }
            f.trunc().clamp(-1e30, 1e30) as i128
        }
        Val::Dec(x, s) => descale(*x, *s as u32, false).to_i128().unwrap_or(0),
        Val::Bool(b) => *b as i128,
        _ => return None,
    }))
}

pub(super) fn to_date(v: Val, from: &ChType, to: &ChType, cx: &Ctx) -> Result<i64, Error> {
    let is32 = matches!(to, ChType::Date32);
    let (lo, hi) = if is32 {
        (i32::MIN as i64, i32::MAX as i64)
    } else {
        (0, DATE_MAX)
    };
    let out_of_range = || inexact(from, to);
    if let Some(n) = numeric_secs(&v, matches!(from, ChType::UInt256)) {
        let n = n?;
        if cx.accurate && (n < lo as i128 || n > DATETIME_MAX as i128) {
            return Err(out_of_range());
        }
        let limit = if is32 { DATE32_MAX_DAYS } else { DATE_MAX } as i128;
        if n <= limit && (is32 || n >= 0) {
            return Ok(if is32 { n as i64 } else { n.max(0) as i64 });
        }
        if n < 0 {
            return Ok(lo);
        }
        // Larger numbers are Unix timestamps.
        let secs = n.min(DATETIME_MAX as i128) as i64;
        return Ok(cx.to_zone.to_local(secs).div_euclid(86400).clamp(lo, hi));
    }
    match v {
        Val::Date(d) => {
            if is32 {
                Ok(d)
            } else if matches!(from, ChType::Date32) {
                // ClickHouse keeps the low 16 bits of the day number.
                Ok(d as u16 as i64)
            } else {
                Ok(d)
            }
        }
        Val::Time(t, d) => {
            let secs = descale(i256::from_i128(t as i128), d as u32, true).as_i128() as i64;
            Ok(cx.from_zone.to_local(secs).div_euclid(86400).clamp(lo, hi))
        }
        Val::Str(_) | Val::Owned(_) => {
            let d = parse::parse_date(v.bytes().unwrap_or_default(), to)?;
            Ok(d.clamp(lo, hi))
        }
        _ => Err(unsupported(from, to)),
    }
}

pub(super) fn to_datetime<'a>(
    v: Val,
    from: &ChType,
    to: &ChType,
    cx: &Ctx,
) -> Result<Val<'a>, Error> {
    if let Some(n) = numeric_secs(&v, matches!(from, ChType::UInt256)) {
        let n = n?;
        if cx.accurate && (n < 0 || n > DATETIME_MAX as i128) {
            return Err(inexact(from, to));
        }
        return Ok(Val::Time(n.clamp(0, DATETIME_MAX as i128) as i64, 0));
    }
    let secs = match v {
        Val::Date(d) => {
            let s = cx.to_zone.from_local(d * 86400);
            if matches!(from, ChType::Date32) {
                return Ok(Val::Time(s as u32 as i64, 0));
            }
            s
        }
        Val::Time(t, d) => descale(i256::from_i128(t as i128), d as u32, true).as_i128() as i64,
        Val::Str(_) | Val::Owned(_) => {
            let (secs, _, _) =
                best_effort::parse_datetime_text(v.bytes().unwrap_or_default(), cx.to_zone, false)?;
            secs
        }
        _ => return Err(unsupported(from, to)),
    };
    Ok(Val::Time(secs.clamp(0, DATETIME_MAX), 0))
}

pub(super) fn to_datetime64<'a>(
    v: Val,
    from: &ChType,
    to: &ChType,
    p: u8,
    cx: &Ctx,
) -> Result<Val<'a>, Error> {
    let u = unit_digits(p) as u32;
    let p = p as u32;
    // Value at precision p (truncated), then scaled to the storage unit.
    let at_p: i128 = match v {
        Val::Int(x) => x.to_i128().unwrap_or(0).saturating_mul(10i128.pow(p)),
        Val::Float(f) => {
            if !f.is_finite() {
                return Err(err(
                    ErrorCode::CANNOT_CONVERT_TYPE,
                    "Unexpected inf or nan to integer conversion",
                ));
            }
            (f * 10f64.powi(p as i32)).trunc().clamp(-9e18, 9e18) as i128
        }
        Val::Dec(x, s) => {
            let s = s as u32;
            let x = x.to_i128().unwrap_or(0);
            if p >= s {
                x.saturating_mul(10i128.pow(p - s))
            } else {
                x / 10i128.pow(s - p)
            }
        }
        Val::Bool(b) => (b as i128) * 10i128.pow(p),
        Val::Date(d) => (cx.to_zone.from_local(d * 86400) as i128) * 10i128.pow(p),
        Val::Time(t, d) => {
            let d = d as u32;
            let t = t as i128;
            if p >= d {
                t * 10i128.pow(p - d)
            } else {
                t.div_euclid(10i128.pow(d - p))
            }
        }
        Val::Str(_) | Val::Owned(_) => {
            let (secs, fd, fv) =
                best_effort::parse_datetime_text(v.bytes().unwrap_or_default(), cx.to_zone, true)?;
            let frac = if fd >= p {
                fv as i128 / 10i128.pow(fd - p)
            } else {
                fv as i128 * 10i128.pow(p - fd)
            };
            secs as i128 * 10i128.pow(p) + frac
        }
        _ => return Err(unsupported(from, to)),
    };
    let stored = at_p.saturating_mul(10i128.pow(u - p));
    let stored = stored.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
    Ok(Val::Time(stored, u as u8))
}
