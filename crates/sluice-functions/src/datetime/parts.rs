//! Unary date/time functions: components (`toYear` … `toSecond`, `toYYYYMMDD`, weeks,
//! `toRelative*Num`, `toUnixTimestamp`) and truncations (`toStartOf*`, `toMonday`,
//! `toLastDayOf*`). Each takes an optional time zone (after the week mode for the week
//! functions); the zone is the argument's, else the column type's, else the session's.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, TimestampSecondArray};
use datafusion::arrow::datatypes::{DataType, FieldRef, TimeUnit, TimestampSecondType, i256};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use sluice_common::ChType;

use super::args::{
    any_signature, arrays, check_arity, const_int_arg, const_str_arg, field, is_string_type,
    output, scalar_refs,
};
use super::local::{Kind, Local, LocalReader, kind_of};
use super::tz::{Zone, civil_from_days, day_of_year, days_from_civil, days_in_month};
use super::week;
use crate::ch_bail;
use crate::conversion::cast::{CastOptions, OnError, cast_array};
use crate::conversion::value::{Sink, Val, unit_digits};
use crate::util::arg_type;

/// Which component or truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Year,
    Quarter,
    Month,
    DayOfMonth,
    DayOfYear,
    DayOfWeek,
    Hour,
    Minute,
    Second,
    Millisecond,
    YYYYMM,
    YYYYMMDD,
    YYYYMMDDhhmmss,
    UnixTimestamp,
    RelYear,
    RelQuarter,
    RelMonth,
    RelWeek,
    RelDay,
    RelHour,
    RelMinute,
    RelSecond,
    Week,
    YearWeek,
    IsoWeek,
    IsoYear,
    StartOfDay,
    StartOfHour,
    StartOfMinute,
    StartOfFiveMinutes,
    StartOfTenMinutes,
    StartOfFifteenMinutes,
    StartOfSecond,
    StartOfMillisecond,
    StartOfMicrosecond,
    StartOfNanosecond,
    StartOfMonth,
    StartOfQuarter,
    StartOfYear,
    StartOfIsoYear,
    Monday,
    StartOfWeek,
    LastDayOfWeek,
    LastDayOfMonth,
}

impl Part {
    fn takes_mode(self) -> bool {
        matches!(
            self,
            Part::DayOfWeek | Part::Week | Part::YearWeek | Part::StartOfWeek | Part::LastDayOfWeek
        )
    }

    fn needs_time(self) -> bool {
        matches!(
            self,
            Part::Hour
                | Part::Minute
                | Part::Second
                | Part::Millisecond
                | Part::StartOfHour
                | Part::StartOfMinute
                | Part::StartOfFiveMinutes
                | Part::StartOfTenMinutes
                | Part::StartOfFifteenMinutes
        )
    }

    fn sub_second(self) -> Option<u8> {
        match self {
            Part::StartOfSecond => Some(0),
            Part::StartOfMillisecond => Some(3),
            Part::StartOfMicrosecond => Some(6),
            Part::StartOfNanosecond => Some(9),
            _ => None,
        }
    }

    fn result_type(self, input: &ChType, tz: Option<String>) -> ChType {
        let input_tz = match input.base() {
            ChType::DateTime(t) | ChType::DateTime64(_, t) => t.clone(),
            _ => None,
        };
        let tz = tz.or(input_tz);
        match self {
            Part::Year | Part::DayOfYear | Part::IsoYear | Part::RelYear | Part::Millisecond => {
                ChType::UInt16
            }
            Part::Quarter
            | Part::Month
            | Part::DayOfMonth
            | Part::DayOfWeek
            | Part::Hour
            | Part::Minute
            | Part::Second
            | Part::Week
            | Part::IsoWeek => ChType::UInt8,
            Part::YYYYMM
            | Part::YYYYMMDD
            | Part::UnixTimestamp
            | Part::YearWeek
            | Part::RelQuarter
            | Part::RelMonth
            | Part::RelWeek
            | Part::RelDay
            | Part::RelHour
            | Part::RelMinute
            | Part::RelSecond => ChType::UInt32,
            Part::YYYYMMDDhhmmss => ChType::UInt64,
            Part::StartOfDay
            | Part::StartOfHour
            | Part::StartOfMinute
            | Part::StartOfFiveMinutes
            | Part::StartOfTenMinutes
            | Part::StartOfFifteenMinutes => ChType::DateTime(tz),
            Part::StartOfSecond
            | Part::StartOfMillisecond
            | Part::StartOfMicrosecond
            | Part::StartOfNanosecond => match input.base() {
                // At least the unit's digits: toStartOfMicrosecond(DateTime64(3)) is
                // DateTime64(6), as in ClickHouse.
                ChType::DateTime64(p, _) => {
                    ChType::DateTime64((*p).max(self.sub_second().unwrap_or(0)), tz)
                }
                _ => ChType::DateTime64(0, tz),
            },
            Part::StartOfMonth
            | Part::StartOfQuarter
            | Part::StartOfYear
            | Part::StartOfIsoYear
            | Part::Monday
            | Part::StartOfWeek
            | Part::LastDayOfWeek
            | Part::LastDayOfMonth => ChType::Date,
        }
    }

    /// The value for one row.
    fn compute(self, l: &Local, mode: u8, kind: &Kind, zone: Zone) -> Val<'static> {
        let int = |x: i64| Val::Int(i256::from_i128(x as i128));
        let (y, m, d) = civil_from_days(l.days);
        let (h, mi, s) = (l.sod / 3600, l.sod / 60 % 60, l.sod % 60);
        let dt_at = |days: i64, sod: i64| {
            Val::Time(
                zone.from_local(days * 86400 + sod)
                    .clamp(0, u32::MAX as i64),
                0,
            )
        };
        let date = |days: i64| Val::Date(days);
        let floor_min = |n: i64| dt_at(l.days, l.sod - l.sod % (n * 60));
        match self {
            Part::Year | Part::RelYear => int(y as i64),
            Part::Quarter => int((m as i64 - 1) / 3 + 1),
            Part::Month => int(m as i64),
            Part::DayOfMonth => int(d as i64),
            Part::DayOfYear => int(day_of_year(l.days) as i64),
            Part::DayOfWeek => int(week::day_of_week(l.days, mode) as i64),
            Part::Hour => int(h),
            Part::Minute => int(mi),
            Part::Second => int(s),
            Part::Millisecond => int(match l.digits {
                0..=3 => l.frac * 10i64.pow(3 - l.digits as u32),
                dg => l.frac / 10i64.pow(dg as u32 - 3),
            }),
            Part::YYYYMM => int(y as i64 * 100 + m as i64),
            Part::YYYYMMDD => int(y as i64 * 10000 + m as i64 * 100 + d as i64),
            Part::YYYYMMDDhhmmss => int((y as i64 * 10000 + m as i64 * 100 + d as i64) * 1_000_000
                + h * 10000
                + mi * 100
                + s),
            Part::UnixTimestamp => int(l.utc),
            Part::RelQuarter => int(y as i64 * 4 + (m as i64 - 1) / 3),
            Part::RelMonth => int(y as i64 * 12 + m as i64),
            Part::RelWeek => int((l.days + 3).div_euclid(7)),
            Part::RelDay => int(l.days),
            Part::RelHour => int((l.days * 86400 + l.sod).div_euclid(3600)),
            Part::RelMinute => int((l.days * 86400 + l.sod).div_euclid(60)),
            Part::RelSecond => int(l.utc),
            Part::Week => int(week::to_week(l.days, mode) as i64),
            Part::YearWeek => int(week::to_year_week(l.days, mode) as i64),
            Part::IsoWeek => int(week::iso_week(l.days) as i64),
            Part::IsoYear => int(week::iso_year(l.days) as i64),
            Part::StartOfDay => dt_at(l.days, 0),
            Part::StartOfHour => floor_min(60),
            Part::StartOfMinute => floor_min(1),
            Part::StartOfFiveMinutes => floor_min(5),
            Part::StartOfTenMinutes => floor_min(10),
            Part::StartOfFifteenMinutes => floor_min(15),
            Part::StartOfSecond
            | Part::StartOfMillisecond
            | Part::StartOfMicrosecond
            | Part::StartOfNanosecond => {
                let keep = self.sub_second().unwrap_or(0) as u32;
                let u = match kind {
                    Kind::DateTime64(p) => (unit_digits(*p) as u32).max(keep),
                    _ => 3,
                };
                let digits = l.digits as u32;
                let frac = if keep >= digits {
                    l.frac
                } else {
                    l.frac / 10i64.pow(digits - keep) * 10i64.pow(digits - keep)
                };
                let ticks = l.utc as i128 * 10i128.pow(digits) + frac as i128;
                let stored = if u >= digits {
                    ticks * 10i128.pow(u - digits)
                } else {
                    ticks / 10i128.pow(digits - u)
                };
                Val::Time(stored as i64, u as u8)
            }
            Part::StartOfMonth => date(days_from_civil(y, m, 1)),
            Part::StartOfQuarter => date(days_from_civil(y, (m - 1) / 3 * 3 + 1, 1)),
            Part::StartOfYear => date(days_from_civil(y, 1, 1)),
            Part::StartOfIsoYear => date(week::start_of_iso_year(l.days)),
            Part::Monday => date(week::start_of_week(l.days, 1)),
            Part::StartOfWeek => date(week::start_of_week(l.days, mode)),
            Part::LastDayOfWeek => date(week::start_of_week(l.days, mode) + 6),
            Part::LastDayOfMonth => date(days_from_civil(y, m, days_in_month(y, m))),
        }
    }
}

/// A unary date/time function.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PartUdf {
    name: String,
    aliases: Vec<String>,
    part: Part,
    signature: Signature,
}

impl PartUdf {
    fn tz_index(&self) -> usize {
        if self.part.takes_mode() { 2 } else { 1 }
    }

    fn check(
        &self,
        fields: &[FieldRef],
        scalars: &[Option<&ScalarValue>],
    ) -> Result<(ChType, u8, Option<String>)> {
        let name = &self.name;
        let max = if self.part.takes_mode() { 3 } else { 2 };
        check_arity(name, fields.len(), 1, max)?;
        let input = arg_type(&fields[0]);
        // `toUnixTimestamp` also takes a String (parsed as DateTime) or a number (`toUInt32`).
        let string_ok = self.part == Part::UnixTimestamp
            && (is_string_type(fields[0].data_type()) || is_number(&input));
        match kind_of(&input) {
            None if !string_ok && !matches!(input.base(), ChType::Nothing) => ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {input} of argument of function {name}. Should be Date, Date32, DateTime or DateTime64"
            ),
            Some(Kind::Date | Kind::Date32) if self.part.needs_time() => {
                ch_bail!(
                    ILLEGAL_TYPE_OF_ARGUMENT,
                    "Illegal argument of type {input} for function {name}"
                )
            }
            Some(k) if self.part.sub_second().is_some() && !matches!(k, Kind::DateTime64(_)) => {
                ch_bail!(
                    ILLEGAL_TYPE_OF_ARGUMENT,
                    "Illegal type {input} of argument for function {name}, expected DateTime64"
                )
            }
            _ => {}
        }
        let mut mode = 0u8;
        if self.part.takes_mode() && fields.len() >= 2 {
            mode = const_int_arg(name, scalars, fields, 1, "mode")?.clamp(0, 9) as u8;
        }
        let ti = self.tz_index();
        let tz = if fields.len() > ti {
            let tz = const_str_arg(name, scalars, fields, ti, "timezone")?;
            Zone::parse(&tz)?;
            Some(tz)
        } else {
            None
        };
        Ok((input, mode, tz))
    }
}

impl PartUdf {
    /// `toStartOfDay`/`…Hour`/`…Minute`/`…FiveMinutes`/… of a `DateTime` column in a zone
    /// with a constant offset (UTC, `+03:00`), computed on the whole column at once: the
    /// same value as [`Part::compute`] (local time floored to the unit, back to UTC,
    /// clamped to the `DateTime` range). `None` for other parts, zones or types.
    fn truncate_seconds(&self, col: &ArrayRef, zone: Zone, want: &DataType) -> Option<ArrayRef> {
        let unit: i64 = match self.part {
            Part::StartOfDay => 86_400,
            Part::StartOfHour => 3_600,
            Part::StartOfMinute => 60,
            Part::StartOfFiveMinutes => 300,
            Part::StartOfTenMinutes => 600,
            Part::StartOfFifteenMinutes => 900,
            _ => return None,
        };
        let offset: i64 = match zone {
            Zone::Utc => 0,
            Zone::Fixed(o) => o as i64,
            Zone::Named(_) => return None,
        };
        if !matches!(want, DataType::Timestamp(TimeUnit::Second, _)) {
            return None;
        }
        let arr = col.as_primitive_opt::<TimestampSecondType>()?;
        let out: TimestampSecondArray = arr.unary(|v| {
            let local = v + offset;
            (local - local.rem_euclid(unit) - offset).clamp(0, u32::MAX as i64)
        });
        Some(Arc::new(out.with_data_type(want.clone())))
    }
}

impl ScalarUDFImpl for PartUdf {
    fn name(&self) -> &str {
        &self.name
    }
    fn aliases(&self) -> &[String] {
        &self.aliases
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        datafusion::common::internal_err!("{} uses return_field_from_args", self.name)
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let (input, _, tz) = self.check(args.arg_fields, args.scalar_arguments)?;
        let t = self.part.result_type(&input, tz);
        let t = if input.is_nullable() {
            t.into_nullable()
        } else {
            t
        };
        let t = if matches!(input, ChType::LowCardinality(_)) {
            ChType::LowCardinality(Box::new(t))
        } else {
            t
        };
        Ok(field(&self.name, &t))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let refs = scalar_refs(&args);
        let (mut input, mode, tz) = self.check(&args.arg_fields, &refs)?;
        let (mut cols, all_scalar) = arrays(&args)?;
        let session = Zone::session(&args.config_options)?;
        let zone = match tz.as_deref() {
            Some(t) => Zone::parse(t)?,
            None => Zone::of_type(&input, session)?,
        };
        if is_number(&input) {
            // toUnixTimestamp(1): the number as `toUInt32` converts it.
            let opts = CastOptions {
                session: zone,
                accurate: false,
                on_error: OnError::Throw,
                zone: None,
            };
            let to = if input.is_nullable() {
                ChType::UInt32.into_nullable()
            } else {
                ChType::UInt32
            };
            let out = cast_array(&cols[0], &input, &to, &opts)?;
            let want = args.return_field.data_type();
            let out = if out.data_type() != want {
                datafusion::arrow::compute::cast(&out, want)?
            } else {
                out
            };
            return output(out, all_scalar);
        }
        if kind_of(&input).is_none() {
            // toUnixTimestamp('2020-01-01 00:00:00'): parse as DateTime in the zone.
            let t = ChType::DateTime(Some(zone.name()));
            let opts = CastOptions {
                session: zone,
                accurate: false,
                on_error: OnError::Throw,
                zone: None,
            };
            cols[0] = cast_array(&cols[0], &input, &t.clone().into_nullable(), &opts)?;
            input = t;
        }
        let kind = kind_of(&input).unwrap_or(Kind::DateTime);
        if kind == Kind::DateTime
            && let Some(out) = self.truncate_seconds(&cols[0], zone, args.return_field.data_type())
        {
            return output(out, all_scalar);
        }
        let out_t = self.part.result_type(&input, tz.clone());
        let reader = LocalReader::new(cols[0].as_ref(), &input, zone)?;
        let mut sink = Sink::new(out_t.base(), cols[0].len());
        for i in 0..cols[0].len() {
            sink.push(reader.get(i).map(|l| {
                let v = self.part.compute(&l, mode, &kind, zone);
                match (&v, out_t.base()) {
                    (Val::Date(d), ChType::Date) => Val::Date((*d).clamp(0, 65535)),
                    _ => v,
                }
            }));
        }
        let out = sink.finish()?;
        let want = args.return_field.data_type();
        let out = if out.data_type() != want {
            datafusion::arrow::compute::cast(&out, want)?
        } else {
            out
        };
        output(out, all_scalar)
    }
}

fn udf(name: &str, part: Part, aliases: &[&str]) -> ScalarUDF {
    ScalarUDF::new_from_impl(PartUdf {
        name: name.to_string(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        part,
        signature: any_signature(Volatility::Immutable),
    })
}

/// The unary date/time functions.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        udf("toYear", Part::Year, &["YEAR", "year"]),
        udf("toQuarter", Part::Quarter, &["QUARTER", "quarter"]),
        udf("toMonth", Part::Month, &["MONTH", "month"]),
        udf(
            "toDayOfMonth",
            Part::DayOfMonth,
            &["DAYOFMONTH", "dayofmonth", "DAY", "day"],
        ),
        udf("toDayOfYear", Part::DayOfYear, &["DAYOFYEAR", "dayofyear"]),
        udf("toDayOfWeek", Part::DayOfWeek, &["DAYOFWEEK", "dayofweek"]),
        udf("toHour", Part::Hour, &["HOUR", "hour"]),
        udf("toMinute", Part::Minute, &["MINUTE", "minute"]),
        udf("toSecond", Part::Second, &["SECOND", "second"]),
        udf(
            "toMillisecond",
            Part::Millisecond,
            &["MILLISECOND", "millisecond"],
        ),
        udf("toYYYYMM", Part::YYYYMM, &[]),
        udf("toYYYYMMDD", Part::YYYYMMDD, &[]),
        udf("toYYYYMMDDhhmmss", Part::YYYYMMDDhhmmss, &[]),
        udf(
            "toUnixTimestamp",
            Part::UnixTimestamp,
            &["UNIX_TIMESTAMP", "unix_timestamp"],
        ),
        udf("toRelativeYearNum", Part::RelYear, &[]),
        udf("toRelativeQuarterNum", Part::RelQuarter, &[]),
        udf("toRelativeMonthNum", Part::RelMonth, &[]),
        udf("toRelativeWeekNum", Part::RelWeek, &[]),
        udf("toRelativeDayNum", Part::RelDay, &[]),
        udf("toRelativeHourNum", Part::RelHour, &[]),
        udf("toRelativeMinuteNum", Part::RelMinute, &[]),
        udf("toRelativeSecondNum", Part::RelSecond, &[]),
        udf("toWeek", Part::Week, &["WEEK", "week"]),
        udf("toYearWeek", Part::YearWeek, &["YEARWEEK", "yearweek"]),
        udf("toISOWeek", Part::IsoWeek, &[]),
        udf("toISOYear", Part::IsoYear, &[]),
        udf("toStartOfDay", Part::StartOfDay, &[]),
        udf("toStartOfHour", Part::StartOfHour, &[]),
        udf("toStartOfMinute", Part::StartOfMinute, &[]),
        udf(
            "toStartOfFiveMinutes",
            Part::StartOfFiveMinutes,
            &["toStartOfFiveMinute"],
        ),
        udf("toStartOfTenMinutes", Part::StartOfTenMinutes, &[]),
        udf("toStartOfFifteenMinutes", Part::StartOfFifteenMinutes, &[]),
        udf("toStartOfSecond", Part::StartOfSecond, &[]),
        udf("toStartOfMillisecond", Part::StartOfMillisecond, &[]),
        udf("toStartOfMicrosecond", Part::StartOfMicrosecond, &[]),
        udf("toStartOfNanosecond", Part::StartOfNanosecond, &[]),
        udf("toStartOfMonth", Part::StartOfMonth, &[]),
        udf("toStartOfQuarter", Part::StartOfQuarter, &[]),
        udf("toStartOfYear", Part::StartOfYear, &[]),
        udf("toStartOfISOYear", Part::StartOfIsoYear, &[]),
        udf("toMonday", Part::Monday, &[]),
        udf("toStartOfWeek", Part::StartOfWeek, &[]),
        udf("toLastDayOfWeek", Part::LastDayOfWeek, &[]),
        udf("toLastDayOfMonth", Part::LastDayOfMonth, &["LAST_DAY"]),
    ]
}

/// Integers and floats (what `toUnixTimestamp` converts as `toUInt32`).
fn is_number(t: &ChType) -> bool {
    matches!(
        t.base(),
        ChType::UInt8
            | ChType::UInt16
            | ChType::UInt32
            | ChType::UInt64
            | ChType::Int8
            | ChType::Int16
            | ChType::Int32
            | ChType::Int64
            | ChType::Float32
            | ChType::Float64
    )
}
