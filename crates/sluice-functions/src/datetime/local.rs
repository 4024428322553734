//! Reading `Date`/`Date32`/`DateTime`/`DateTime64` columns as local civil times in a zone,
//! and the categories of time types the date/time functions accept.

use datafusion::arrow::array::Array;
use datafusion::error::Result;
use sluice_common::ChType;

use super::tz::{Zone, split_day};
use crate::ch_bail;
use crate::conversion::value::{Src, Val};

/// A point in time seen in a zone.
#[derive(Clone, Copy, Debug)]
pub struct Local {
    /// Local day number (days since 1970-01-01).
    pub days: i64,
    /// Seconds since local midnight.
    pub sod: i64,
    /// UTC seconds since the epoch (floor).
    pub utc: i64,
    /// Sub-second ticks (`frac × 10^-digits` seconds), 0 for dates and `DateTime`.
    pub frac: i64,
    /// Digits of `frac`.
    pub digits: u8,
}

/// The time-type family of an argument.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Date,
    Date32,
    DateTime,
    /// `DateTime64(precision)`.
    DateTime64(u8),
}

/// The [`Kind`] of `t`, or `None` for non-time types.
pub fn kind_of(t: &ChType) -> Option<Kind> {
    Some(match t.base() {
        ChType::Date => Kind::Date,
        ChType::Date32 => Kind::Date32,
        ChType::DateTime(_) => Kind::DateTime,
        ChType::DateTime64(p, _) => Kind::DateTime64(*p),
        _ => return None,
    })
}

/// `ILLEGAL_TYPE_OF_ARGUMENT` for a non-time argument.
pub fn require_time(fname: &str, t: &ChType) -> Result<Kind> {
    match kind_of(t) {
        Some(k) => Ok(k),
        None => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument of function {fname}. Should be Date, Date32, DateTime or DateTime64"
        ),
    }
}

/// Reads row values of a time column as [`Local`]s in `zone` (dates are local midnights).
pub struct LocalReader<'a> {
    src: Src<'a>,
    zone: Zone,
}

impl<'a> LocalReader<'a> {
    /// A reader over `arr` of type `t`.
    pub fn new(arr: &'a dyn Array, t: &ChType, zone: Zone) -> Result<Self> {
        Ok(Self {
            src: Src::new(arr, t.base())?,
            zone,
        })
    }

    /// Row `i`, `None` when NULL.
    pub fn get(&self, i: usize) -> Option<Local> {
        Some(match self.src.get(i)? {
            Val::Date(d) => Local {
                days: d,
                sod: 0,
                utc: self.zone.from_local(d * 86400),
                frac: 0,
                digits: 0,
            },
            Val::Time(v, digits) => {
                let p = 10i64.pow(digits as u32);
                let utc = v.div_euclid(p);
                let frac = v.rem_euclid(p);
                let (days, sod) = split_day(self.zone.to_local(utc));
                Local {
                    days,
                    sod,
                    utc,
                    frac,
                    digits,
                }
            }
            _ => return None,
        })
    }
}
