//! The grid of a `WITH FILL`: the filled column's kind of values, the step, and how a
//! value advances (see the parent module).

use chrono::{Months, NaiveDate};
use datafusion::arrow::array::{ArrayRef, new_null_array};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::sql::sqlparser::ast::Expr;
use sluice_common::{ChType, Error, Result, ch_err};

use super::{arrow_err, constant};
use crate::session::Session;

/// A filled value: integers and dates in the column's native unit, or a float.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Num {
    I(i128),
    F(f64),
}

/// The kind of values a filled column holds.
pub(super) enum Domain {
    /// An integer type with its range.
    Int {
        min: i128,
        max: i128,
        unsigned: bool,
    },
    Float,
    /// `Date`: days.
    Date,
    /// `Date32` (Arrow `Date64`): milliseconds.
    Date32,
    /// `DateTime`/`DateTime64`: ticks of `per_second`.
    DateTime {
        per_second: i128,
        utc: bool,
    },
}

/// A grid step.
pub(super) enum Step {
    Native(Num),
    /// Calendar months (`INTERVAL n MONTH/QUARTER/YEAR`).
    Months(i32),
}

impl Step {
    pub(super) fn check(&self, descending: bool) -> Result<()> {
        use std::cmp::Ordering;
        let sign = match self {
            Step::Native(Num::I(i)) => i.cmp(&0),
            Step::Native(Num::F(f)) => f.partial_cmp(&0.0).unwrap_or(Ordering::Equal),
            Step::Months(m) => m.cmp(&0),
        };
        match (sign, descending) {
            (Ordering::Equal, _) => Err(ch_err!(
                INVALID_WITH_FILL_EXPRESSION,
                "WITH FILL STEP value cannot be zero"
            )),
            (Ordering::Greater, true) => Err(ch_err!(
                INVALID_WITH_FILL_EXPRESSION,
                "WITH FILL STEP value cannot be positive for sorting in descending direction"
            )),
            (Ordering::Less, false) => Err(ch_err!(
                INVALID_WITH_FILL_EXPRESSION,
                "WITH FILL STEP value cannot be negative for sorting in ascending direction"
            )),
            _ => Ok(()),
        }
    }
}

impl Domain {
    pub(super) fn of(ch: &ChType, dt: &DataType) -> Result<Domain> {
        let int = |min: i128, max: i128, unsigned| Ok(Domain::Int { min, max, unsigned });
        match (ch.base(), dt) {
            (ChType::UInt8, _) => int(0, u8::MAX.into(), true),
            (ChType::UInt16, _) => int(0, u16::MAX.into(), true),
            (ChType::UInt32, _) => int(0, u32::MAX.into(), true),
            (ChType::UInt64, _) => int(0, u64::MAX.into(), true),
            (ChType::Int8, _) => int(i8::MIN.into(), i8::MAX.into(), false),
            (ChType::Int16, _) => int(i16::MIN.into(), i16::MAX.into(), false),
            (ChType::Int32, _) => int(i32::MIN.into(), i32::MAX.into(), false),
            (ChType::Int64, _) => int(i64::MIN.into(), i64::MAX.into(), false),
            (ChType::Float32 | ChType::Float64, _) => Ok(Domain::Float),
            (ChType::Date, DataType::Date32) => Ok(Domain::Date),
            (ChType::Date32, DataType::Date64) => Ok(Domain::Date32),
            (ChType::DateTime(_) | ChType::DateTime64(..), DataType::Timestamp(unit, tz)) => {
                let per_second = match unit {
                    TimeUnit::Second => 1,
                    TimeUnit::Millisecond => 1_000,
                    TimeUnit::Microsecond => 1_000_000,
                    TimeUnit::Nanosecond => 1_000_000_000,
                };
                let utc = tz
                    .as_deref()
                    .is_none_or(|z| matches!(z, "UTC" | "Etc/UTC" | "+00:00" | "Z"));
                Ok(Domain::DateTime { per_second, utc })
            }
            _ => Err(ch_err!(
                INVALID_WITH_FILL_EXPRESSION,
                "Incompatible types of WITH FILL expression values with column type {ch}"
            )),
        }
    }

    /// The default step: 1, one day, one second (negative when descending).
    pub(super) fn unit_step(&self, descending: bool) -> Step {
        let sign = if descending { -1 } else { 1 };
        Step::Native(match self {
            Domain::Float => Num::F(f64::from(sign)),
            Domain::Int { .. } | Domain::Date => Num::I(sign.into()),
            Domain::Date32 => Num::I(i128::from(sign) * 86_400_000),
            Domain::DateTime { per_second, .. } => Num::I(i128::from(sign) * per_second),
        })
    }

    /// A `FROM`/`TO` constant in the column's unit.
    pub(super) fn bound(&self, v: &ScalarValue, what: &str, e: &Expr, ch: &ChType) -> Result<Num> {
        let not_numeric = || {
            ch_err!(
                INVALID_WITH_FILL_EXPRESSION,
                "Sort FILL {what} expression must be constant with numeric type. Actual: {e}"
            )
        };
        let incompatible = || {
            ch_err!(
                INVALID_WITH_FILL_EXPRESSION,
                "Incompatible types of WITH FILL expression values with column type {ch}"
            )
        };
        let date = matches!(self, Domain::Date | Domain::Date32);
        let date_time = matches!(self, Domain::DateTime { .. });
        let n = match v {
            ScalarValue::Date32(Some(d)) if date => self.number_value(Num::I(i128::from(*d))),
            ScalarValue::Date64(Some(ms)) if date => {
                self.number_value(Num::I(i128::from(*ms) / 86_400_000))
            }
            ScalarValue::TimestampSecond(Some(s), _) if date_time => {
                self.date_time_value(i128::from(*s), 1)
            }
            ScalarValue::TimestampMillisecond(Some(s), _) if date_time => {
                self.date_time_value(i128::from(*s), 1_000)
            }
            ScalarValue::TimestampMicrosecond(Some(s), _) if date_time => {
                self.date_time_value(i128::from(*s), 1_000_000)
            }
            ScalarValue::TimestampNanosecond(Some(s), _) if date_time => {
                self.date_time_value(i128::from(*s), 1_000_000_000)
            }
            ScalarValue::Date32(_)
            | ScalarValue::Date64(_)
            | ScalarValue::TimestampSecond(..)
            | ScalarValue::TimestampMillisecond(..)
            | ScalarValue::TimestampMicrosecond(..)
            | ScalarValue::TimestampNanosecond(..) => return Err(incompatible()),
            other => match scalar_num(other) {
                Some(n) => self.number_value(n),
                None => return Err(not_numeric()),
            },
        };
        if let (Domain::Int { unsigned: true, .. }, Num::I(i)) = (self, n)
            && i < 0
        {
            return Err(ch_err!(
                INVALID_WITH_FILL_EXPRESSION,
                "WITH FILL bound values cannot be negative for unsigned type {}",
                ch.base()
            ));
        }
        Ok(n)
    }

    /// A plain number as a value of this column (days of a date, seconds of a date-time).
    fn number_value(&self, n: Num) -> Num {
        match (self, n) {
            (Domain::Float, Num::I(i)) => Num::F(i as f64),
            (Domain::Float, f) => f,
            (Domain::Int { .. } | Domain::Date, Num::F(f)) => Num::I(f as i128),
            (Domain::Int { .. } | Domain::Date, i) => i,
            (Domain::Date32, Num::I(i)) => Num::I(i * 86_400_000),
            (Domain::Date32, Num::F(f)) => Num::I((f * 86_400_000.0) as i128),
            (Domain::DateTime { per_second, .. }, Num::I(i)) => Num::I(i * per_second),
            (Domain::DateTime { per_second, .. }, Num::F(f)) => {
                Num::I((f * *per_second as f64).round() as i128)
            }
        }
    }

    /// A date-time constant of `per` ticks a second in this date-time column's ticks.
    fn date_time_value(&self, ticks: i128, per: i128) -> Num {
        match self {
            Domain::DateTime { per_second, .. } => Num::I(ticks * per_second / per),
            _ => Num::I(ticks / per),
        }
    }

    /// `STEP`: an `INTERVAL` or a number.
    pub(super) async fn step_of(&self, session: &Session, e: &Expr) -> Result<Step> {
        if let Some((value, unit)) = crate::rewrite::interval_of(e) {
            let n = match scalar_num(&constant(session, &value).await?) {
                Some(Num::I(i)) => i,
                Some(Num::F(f)) => f as i128,
                None => return Err(invalid_step(e)),
            };
            let months = match unit {
                "Months" => Some(1),
                "Quarters" => Some(3),
                "Years" => Some(12),
                _ => None,
            };
            if let Some(m) = months {
                if let Domain::DateTime { utc: false, .. } = self {
                    return Err(Error::not_implemented(
                        "WITH FILL STEP of months on a DateTime outside UTC",
                    ));
                }
                if matches!(self, Domain::Int { .. } | Domain::Float) {
                    return Err(invalid_step(e));
                }
                let total = i32::try_from(n * m).map_err(|_| invalid_step(e))?;
                return Ok(Step::Months(total));
            }
            let seconds: i128 = match unit {
                "Weeks" => 7 * 86_400,
                "Days" => 86_400,
                "Hours" => 3_600,
                "Minutes" => 60,
                "Seconds" => 1,
                _ => 0,
            };
            return Ok(Step::Native(match self {
                Domain::Date if seconds >= 86_400 => Num::I(n * seconds / 86_400),
                Domain::Date32 if seconds >= 86_400 => Num::I(n * seconds * 1_000),
                Domain::DateTime { per_second, .. } if seconds > 0 => {
                    Num::I(n * seconds * per_second)
                }
                Domain::DateTime { per_second, .. } => {
                    let per_unit: i128 = match unit {
                        "Milliseconds" => 1_000,
                        "Microseconds" => 1_000_000,
                        _ => 1_000_000_000,
                    };
                    if *per_second < per_unit {
                        return Err(invalid_step(e));
                    }
                    Num::I(n * per_second / per_unit)
                }
                _ => return Err(invalid_step(e)),
            }));
        }
        match scalar_num(&constant(session, e).await?) {
            Some(n) => Ok(Step::Native(match (self, n) {
                (Domain::DateTime { per_second, .. }, Num::F(f)) => {
                    Num::I((f * *per_second as f64).round() as i128)
                }
                _ => self.number_value(n),
            })),
            None => Err(invalid_step(e)),
        }
    }

    /// The column's values (`None` for NULL).
    pub(super) fn values(&self, a: &ArrayRef) -> Result<Vec<Option<Num>>> {
        let target = match self {
            Domain::Float => DataType::Float64,
            _ => DataType::Int64,
        };
        let plain = match a.data_type() {
            DataType::UInt64 => None,
            _ => Some(datafusion::arrow::compute::cast(a, &target).map_err(arrow_err)?),
        };
        let mut out = Vec::with_capacity(a.len());
        match (&plain, self) {
            (None, _) => {
                let u = a
                    .as_any()
                    .downcast_ref::<datafusion::arrow::array::UInt64Array>()
                    .ok_or_else(|| Error::internal("WITH FILL column"))?;
                out.extend(u.iter().map(|v| v.map(|v| Num::I(i128::from(v)))));
            }
            (Some(p), Domain::Float) => {
                let f = p
                    .as_any()
                    .downcast_ref::<datafusion::arrow::array::Float64Array>()
                    .ok_or_else(|| Error::internal("WITH FILL column"))?;
                out.extend(f.iter().map(|v| v.map(Num::F)));
            }
            (Some(p), _) => {
                let i = p
                    .as_any()
                    .downcast_ref::<datafusion::arrow::array::Int64Array>()
                    .ok_or_else(|| Error::internal("WITH FILL column"))?;
                out.extend(i.iter().map(|v| v.map(|v| Num::I(i128::from(v)))));
            }
        }
        Ok(out)
    }

    /// An array of `data_type` holding `values`.
    pub(super) fn array(
        &self,
        data_type: &DataType,
        values: impl Iterator<Item = Num>,
    ) -> Result<ArrayRef> {
        let scalars: Vec<ScalarValue> = values
            .map(|v| match v {
                Num::I(i) => ScalarValue::Int64(i64::try_from(i).ok()),
                Num::F(f) => ScalarValue::Float64(Some(f)),
            })
            .collect();
        let generic = match self {
            Domain::Float => DataType::Float64,
            _ => DataType::Int64,
        };
        let array = if scalars.is_empty() {
            new_null_array(&generic, 0)
        } else {
            ScalarValue::iter_to_array(scalars).map_err(crate::error::from_datafusion)?
        };
        datafusion::arrow::compute::cast(&array, data_type).map_err(arrow_err)
    }
}

/// The grid of one run.
pub(super) struct Grid<'a> {
    pub(super) domain: &'a Domain,
    pub(super) step: &'a Step,
    pub(super) descending: bool,
    pub(super) to: Option<Num>,
}

impl Grid<'_> {
    /// `a` comes before `b` in the sort direction.
    pub(super) fn before(&self, a: Num, b: Num) -> bool {
        let less = match (a, b) {
            (Num::I(x), Num::I(y)) => x < y,
            (Num::F(x), Num::F(y)) => x < y,
            (Num::I(x), Num::F(y)) => (x as f64) < y,
            (Num::F(x), Num::I(y)) => x < y as f64,
        };
        let greater = match (a, b) {
            (Num::I(x), Num::I(y)) => x > y,
            (Num::F(x), Num::F(y)) => x > y,
            (Num::I(x), Num::F(y)) => (x as f64) > y,
            (Num::F(x), Num::I(y)) => x > y as f64,
        };
        if self.descending { greater } else { less }
    }

    /// `v` is inside `TO` and the column type's range.
    pub(super) fn keeps(&self, v: Num) -> bool {
        if let (Domain::Int { min, max, .. }, Num::I(i)) = (self.domain, v)
            && (i < *min || i > *max)
        {
            return false;
        }
        self.to.is_none_or(|to| self.before(v, to))
    }

    pub(super) fn advance(&self, v: Num) -> Result<Num> {
        Ok(match (self.step, v) {
            (Step::Native(Num::I(s)), Num::I(x)) => Num::I(x + s),
            (Step::Native(Num::F(s)), Num::F(x)) => Num::F(x + s),
            (Step::Native(Num::I(s)), Num::F(x)) => Num::F(x + *s as f64),
            (Step::Native(Num::F(s)), Num::I(x)) => Num::I(x + *s as i128),
            (Step::Months(m), Num::I(x)) => Num::I(add_months(self.domain, x, *m)?),
            (Step::Months(_), Num::F(_)) => {
                return Err(Error::internal("WITH FILL month step on a float"));
            }
        })
    }
}

/// `x` (the column's unit) plus `months` calendar months, clamped to the month's end.
fn add_months(domain: &Domain, x: i128, months: i32) -> Result<i128> {
    let per_day: i128 = match domain {
        Domain::Date => 1,
        Domain::Date32 => 86_400_000,
        Domain::DateTime { per_second, .. } => 86_400 * per_second,
        _ => return Err(Error::internal("WITH FILL month step")),
    };
    let days = x.div_euclid(per_day);
    let within = x.rem_euclid(per_day);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| Error::internal("epoch"))?;
    let date = i64::try_from(days)
        .ok()
        .and_then(|d| epoch.checked_add_signed(chrono::Duration::days(d)))
        .ok_or_else(|| ch_err!(DECIMAL_OVERFLOW, "WITH FILL value out of range"))?;
    let moved = if months >= 0 {
        date.checked_add_months(Months::new(months.unsigned_abs()))
    } else {
        date.checked_sub_months(Months::new(months.unsigned_abs()))
    }
    .ok_or_else(|| ch_err!(DECIMAL_OVERFLOW, "WITH FILL value out of range"))?;
    let new_days = i128::from((moved - epoch).num_days());
    Ok(new_days * per_day + within)
}

/// A numeric scalar's value.
pub(super) fn scalar_num(v: &ScalarValue) -> Option<Num> {
    Some(match v {
        ScalarValue::Int8(Some(x)) => Num::I((*x).into()),
        ScalarValue::Int16(Some(x)) => Num::I((*x).into()),
        ScalarValue::Int32(Some(x)) => Num::I((*x).into()),
        ScalarValue::Int64(Some(x)) => Num::I((*x).into()),
        ScalarValue::UInt8(Some(x)) => Num::I((*x).into()),
        ScalarValue::UInt16(Some(x)) => Num::I((*x).into()),
        ScalarValue::UInt32(Some(x)) => Num::I((*x).into()),
        ScalarValue::UInt64(Some(x)) => Num::I((*x).into()),
        ScalarValue::Float32(Some(x)) => Num::F((*x).into()),
        ScalarValue::Float64(Some(x)) => Num::F(*x),
        _ => return None,
    })
}

fn invalid_step(e: &Expr) -> Error {
    ch_err!(
        INVALID_WITH_FILL_EXPRESSION,
        "Sort FILL STEP expression must be constant with numeric or interval type. Actual: {e}"
    )
}
