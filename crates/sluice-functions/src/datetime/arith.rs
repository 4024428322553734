//! Date/time arithmetic: `add<Unit>s`/`subtract<Unit>s` (what the engine rewrites
//! `expr ± INTERVAL n UNIT` into), `date_add`/`date_sub`/`timestamp_add`/`timestamp_sub`, and
//! `dateDiff` with ClickHouse's result types (`DateTime + INTERVAL 1 MILLISECOND` is
//! `DateTime64(3)`, `Date + INTERVAL 1 HOUR` is `DateTime`), and `age` (the units that have
//! fully elapsed between two times).

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, FieldRef, i256};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use sluice_common::{ChType, Error, ErrorCode};

use super::args::{
    any_signature, arrays, check_arity, const_str_arg, field, is_string_type, output, scalar_refs,
};
use super::local::{Kind, LocalReader, kind_of};
use super::tz::{Zone, civil_from_days, days_from_civil, days_in_month};
use crate::ch_bail;
use crate::conversion::cast::{CastOptions, OnError, cast_array};
use crate::conversion::value::{Sink, Src, Val, unit_digits};
use crate::util::{arg_type, ch_error};

/// A calendar or clock unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Nanosecond,
    Microsecond,
    Millisecond,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Unit {
    /// Parses a unit name as `dateDiff`/`date_add` accept it (`'day'`, `'dd'`, `'MONTH'`…).
    pub fn parse(s: &str) -> Option<Unit> {
        let l = s.to_ascii_lowercase();
        let base = match l.as_str() {
            "ns" => "nanosecond",
            "us" | "u" => "microsecond",
            "ms" => "millisecond",
            "ss" | "s" => "second",
            "mi" | "n" => "minute",
            "hh" | "h" => "hour",
            "dd" | "d" => "day",
            "wk" | "ww" => "week",
            "mm" | "m" => "month",
            "qq" | "q" => "quarter",
            "yyyy" | "yy" => "year",
            other => other.strip_suffix('s').unwrap_or(other),
        };
        Some(match base {
            "nanosecond" => Unit::Nanosecond,
            "microsecond" => Unit::Microsecond,
            "millisecond" => Unit::Millisecond,
            "second" => Unit::Second,
            "minute" => Unit::Minute,
            "hour" => Unit::Hour,
            "day" => Unit::Day,
            "week" => Unit::Week,
            "month" => Unit::Month,
            "quarter" => Unit::Quarter,
            "year" => Unit::Year,
            _ => return None,
        })
    }

    /// Plural name as in `addSeconds`.
    pub fn plural(self) -> &'static str {
        match self {
            Unit::Nanosecond => "Nanoseconds",
            Unit::Microsecond => "Microseconds",
            Unit::Millisecond => "Milliseconds",
            Unit::Second => "Seconds",
            Unit::Minute => "Minutes",
            Unit::Hour => "Hours",
            Unit::Day => "Days",
            Unit::Week => "Weeks",
            Unit::Month => "Months",
            Unit::Quarter => "Quarters",
            Unit::Year => "Years",
        }
    }

    /// Sub-second digits of the unit (`Millisecond` → 3), `None` for larger units.
    pub fn sub_digits(self) -> Option<u8> {
        match self {
            Unit::Millisecond => Some(3),
            Unit::Microsecond => Some(6),
            Unit::Nanosecond => Some(9),
            _ => None,
        }
    }

    /// Seconds in a clock unit (second, minute, hour).
    fn clock_secs(self) -> Option<i64> {
        match self {
            Unit::Second => Some(1),
            Unit::Minute => Some(60),
            Unit::Hour => Some(3600),
            _ => None,
        }
    }

    fn months(self) -> Option<i64> {
        match self {
            Unit::Month => Some(1),
            Unit::Quarter => Some(3),
            Unit::Year => Some(12),
            _ => None,
        }
    }
}

/// Result type of `add<unit>(x, n)` for `x` of type `t`.
pub fn add_result_type(fname: &str, t: &ChType, unit: Unit) -> Result<ChType> {
    let tz = match t.base() {
        ChType::DateTime(tz) | ChType::DateTime64(_, tz) => tz.clone(),
        _ => None,
    };
    let calendar = matches!(
        unit,
        Unit::Day | Unit::Week | Unit::Month | Unit::Quarter | Unit::Year
    );
    Ok(match (kind_of(t), unit.sub_digits()) {
        (Some(Kind::Date), None) => {
            if calendar {
                ChType::Date
            } else {
                ChType::DateTime(None)
            }
        }
        (Some(Kind::Date32), None) => {
            if calendar {
                ChType::Date32
            } else {
                ChType::DateTime64(3, None)
            }
        }
        (Some(Kind::Date | Kind::Date32), Some(_)) => {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "{fname} cannot be used with {}",
                t.base()
            )
        }
        (Some(Kind::DateTime), None) => ChType::DateTime(tz),
        (Some(Kind::DateTime), Some(d)) => ChType::DateTime64(d, tz),
        (Some(Kind::DateTime64(p)), None) => ChType::DateTime64(p, tz),
        (Some(Kind::DateTime64(p)), Some(d)) => ChType::DateTime64(p.max(d), tz),
        (None, _) if matches!(t.base(), ChType::String) => {
            ChType::DateTime64(unit.sub_digits().unwrap_or(3), None)
        }
        (None, _) => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of first argument of function {fname}"
        ),
    })
}

fn add_months_days(days: i64, months: i64) -> i64 {
    let (y, m, d) = civil_from_days(days);
    let total = y as i64 * 12 + (m as i64 - 1) + months;
    let ny = total.div_euclid(12) as i32;
    let nm = (total.rem_euclid(12) + 1) as u32;
    days_from_civil(ny, nm, d.min(days_in_month(ny, nm)))
}

fn overflow() -> Error {
    Error::new(ErrorCode::DECIMAL_OVERFLOW, "Numeric overflow")
}

/// Adds `n` units to one value of `from` (a time type), producing a value of `to`.
fn add_one(v: Val, to: &ChType, unit: Unit, n: i64, zone: Zone) -> Result<Val<'static>, Error> {
    let calendar_days = match unit {
        Unit::Day => Some(n),
        Unit::Week => Some(n.saturating_mul(7)),
        _ => None,
    };
    // Dates stay dates for calendar units.
    if let (Val::Date(d), ChType::Date | ChType::Date32) = (&v, to) {
        let r = match (calendar_days, unit.months()) {
            (Some(k), _) => d + k,
            (_, Some(m)) => add_months_days(*d, m.saturating_mul(n)),
            _ => *d,
        };
        return Ok(Val::Date(if matches!(to, ChType::Date) {
            r as u16 as i64
        } else {
            r
        }));
    }
    // Everything else as (UTC ticks at `digits`).
    let (ticks, digits): (i128, u32) = match v {
        Val::Date(d) => (zone.from_local(d * 86400) as i128, 0),
        Val::Time(t, dg) => (t as i128, dg as u32),
        _ => {
            return Err(Error::new(
                ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
                "Unsupported argument",
            ));
        }
    };
    let p = 10i128.pow(digits);
    let secs = ticks.div_euclid(p) as i64;
    let frac = ticks.rem_euclid(p);
    let out_digits = match to {
        ChType::DateTime64(p, _) => unit_digits(*p) as u32,
        _ => 0,
    };
    let mut res_ticks: i128 =
        if let Some(k) = calendar_days.or(unit.months().map(|m| m.saturating_mul(n))) {
            let local = zone.to_local(secs);
            let (days, sod) = (local.div_euclid(86400), local.rem_euclid(86400));
            let nd = if calendar_days.is_some() {
                days + k
            } else {
                add_months_days(days, k)
            };
            let new_secs = zone.from_local(nd * 86400 + sod);
            new_secs as i128 * p + frac
        } else if let Some(cs) = unit.clock_secs() {
            ticks + (cs as i128) * (n as i128) * p
        } else {
            let ud = unit.sub_digits().unwrap_or(0) as u32;
            // Bring both to the finer precision.
            if ud > digits {
                ticks * 10i128.pow(ud - digits) + n as i128
            } else {
                ticks + n as i128 * 10i128.pow(digits - ud)
            }
        };
    let cur_digits = match unit.sub_digits() {
        Some(ud) if ud as u32 > digits => ud as u32,
        _ => digits,
    };
    // Rescale to the output storage unit.
    if out_digits >= cur_digits {
        res_ticks = res_ticks
            .checked_mul(10i128.pow(out_digits - cur_digits))
            .ok_or_else(overflow)?;
    } else {
        res_ticks = res_ticks.div_euclid(10i128.pow(cur_digits - out_digits));
    }
    match to {
        ChType::DateTime(_) => Ok(Val::Time(res_ticks.clamp(0, u32::MAX as i128) as i64, 0)),
        _ => {
            let v = i64::try_from(res_ticks).map_err(|_| overflow())?;
            Ok(Val::Time(v, out_digits as u8))
        }
    }
}

/// `add<Unit>s(x, n)` / `subtract<Unit>s(x, n)`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AddUdf {
    name: String,
    aliases: Vec<String>,
    unit: Unit,
    negate: bool,
    signature: Signature,
}

impl AddUdf {
    fn result(&self, fields: &[FieldRef]) -> Result<(ChType, ChType)> {
        check_arity(&self.name, fields.len(), 2, 2)?;
        let t = arg_type(&fields[0]);
        let n = arg_type(&fields[1]);
        if !n.base().to_arrow().is_numeric() && !matches!(n.base(), ChType::Nothing) {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Second argument for function {} (delta) must be a number",
                self.name
            );
        }
        let r = add_result_type(&self.name, &t, self.unit)?;
        let r = if t.is_nullable() || n.is_nullable() {
            r.into_nullable()
        } else {
            r
        };
        Ok((t, r))
    }
}

impl ScalarUDFImpl for AddUdf {
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
        Ok(field(&self.name, &self.result(args.arg_fields)?.1))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (t, r) = self.result(&args.arg_fields)?;
        let (cols, all_scalar) = arrays(&args)?;
        let session = Zone::session(&args.config_options)?;
        let out = add_columns(
            &cols[0],
            &t,
            &cols[1],
            &arg_type(&args.arg_fields[1]),
            &r,
            self.unit,
            self.negate,
            session,
        )?;
        output(out, all_scalar)
    }
}

/// Adds `n` (column) units to `x` (column) of type `t`, result type `r`.
#[allow(clippy::too_many_arguments)]
pub fn add_columns(
    x: &ArrayRef,
    t: &ChType,
    n: &ArrayRef,
    nt: &ChType,
    r: &ChType,
    unit: Unit,
    negate: bool,
    session: Zone,
) -> Result<ArrayRef> {
    let (x, t) = if kind_of(t).is_none() && is_string_type(x.data_type()) {
        let dt = ChType::DateTime64(3, None).into_nullable();
        let opts = CastOptions {
            session,
            accurate: false,
            on_error: OnError::Throw,
            zone: None,
        };
        (cast_array(x, t, &dt, &opts)?, dt)
    } else {
        (std::sync::Arc::clone(x), t.clone())
    };
    let zone = Zone::of_type(&t, session)?;
    let src = Src::new(x.as_ref(), t.base())?;
    let nsrc = Src::new(n.as_ref(), nt.base())?;
    let mut sink = Sink::new(r.base(), x.len());
    for i in 0..x.len() {
        let (Some(v), Some(k)) = (src.get(i), nsrc.get(i)) else {
            sink.push(None);
            continue;
        };
        let k = match k {
            Val::Int(v) => v.as_i128() as i64,
            Val::Float(f) => f.trunc() as i64,
            Val::Dec(v, s) => {
                (v.wrapping_div(i256::from_i128(10).wrapping_pow(s as u32))).as_i128() as i64
            }
            Val::Bool(b) => b as i64,
            _ => 0,
        };
        let k = if negate { k.wrapping_neg() } else { k };
        sink.push(Some(add_one(v, r.base(), unit, k, zone).map_err(ch_error)?));
    }
    sink.finish()
}

/// `dateDiff(unit, start, end[, tz])` (boundaries crossed) and `age(unit, start, end[, tz])`
/// (whole units elapsed).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DateDiff {
    name: String,
    aliases: Vec<String>,
    signature: Signature,
    /// `age`: the boundary count less one when the last unit is not complete.
    age: bool,
}

/// The parts of a time below `unit` that decide whether `age`'s last unit is complete,
/// most significant first.
fn remainder(unit: Unit, l: &super::local::Local) -> [i64; 6] {
    let (_, m, d) = civil_from_days(l.days);
    let (h, mi, s) = (l.sod / 3600, l.sod / 60 % 60, l.sod % 60);
    let ns = l.frac * 10i64.pow(9 - l.digits as u32);
    let (m, d) = (m as i64, d as i64);
    match unit {
        Unit::Year => [m, d, h, mi, s, ns],
        Unit::Quarter => [(m - 1) % 3, d, h, mi, s, ns],
        Unit::Month => [d, h, mi, s, ns, 0],
        Unit::Week | Unit::Day => [h, mi, s, ns, 0, 0],
        Unit::Hour => [mi, s, ns, 0, 0, 0],
        Unit::Minute => [s, ns, 0, 0, 0, 0],
        Unit::Second => [ns, 0, 0, 0, 0, 0],
        Unit::Millisecond => [ns % 1_000_000, 0, 0, 0, 0, 0],
        Unit::Microsecond => [ns % 1_000, 0, 0, 0, 0, 0],
        Unit::Nanosecond => [0; 6],
    }
}

/// ISO day of the week (Monday 1 … Sunday 7) of a day number.
fn day_of_week(days: i64) -> i64 {
    (days + 3).rem_euclid(7) + 1
}

/// `age`'s correction of the boundary count `d` between `x` and `y`.
fn age_adjust(
    unit: Unit,
    x: &super::local::Local,
    y: &super::local::Local,
    xn: i128,
    yn: i128,
) -> i128 {
    // Compare the earlier time's remainder with the later one's: when it is larger the
    // last unit has not fully elapsed.
    let (a, b, adjust) = if xn <= yn { (x, y, -1) } else { (y, x, 1) };
    let (ra, rb) = (remainder(unit, a), remainder(unit, b));
    let incomplete = if unit == Unit::Week {
        // ClickHouse compares the days of the week of the arguments as given (not
        // ordered), and its condition on the time of day does not require equal days.
        let (dx, dy) = (day_of_week(x.days), day_of_week(y.days));
        dx > dy || (dx == dy && ra[0] > rb[0]) || (ra[0] == rb[0] && ra[1..] > rb[1..])
    } else {
        ra > rb
    };
    if incomplete { adjust } else { 0 }
}

fn relative(unit: Unit, days: i64, sod: i64, ns: i128) -> i128 {
    let (y, m, _) = civil_from_days(days);
    match unit {
        Unit::Year => y as i128,
        Unit::Quarter => y as i128 * 4 + (m as i128 - 1) / 3,
        Unit::Month => y as i128 * 12 + m as i128,
        Unit::Week => (days + 3).div_euclid(7) as i128,
        Unit::Day => days as i128,
        Unit::Hour => (days * 86400 + sod).div_euclid(3600) as i128,
        Unit::Minute => (days * 86400 + sod).div_euclid(60) as i128,
        Unit::Second => ns.div_euclid(1_000_000_000),
        Unit::Millisecond => ns.div_euclid(1_000_000),
        Unit::Microsecond => ns.div_euclid(1_000),
        Unit::Nanosecond => ns,
    }
}

impl DateDiff {
    fn check(
        &self,
        fields: &[FieldRef],
        scalars: &[Option<&ScalarValue>],
    ) -> Result<(Unit, Option<String>)> {
        check_arity(&self.name, fields.len(), 3, 4)?;
        let u = const_str_arg(&self.name, scalars, fields, 0, "unit")?;
        let unit = match Unit::parse(&u) {
            Some(u) => u,
            None => ch_bail!(
                BAD_ARGUMENTS,
                "Function {} does not support '{u}' unit",
                self.name
            ),
        };
        for i in [1, 2] {
            let t = arg_type(&fields[i]);
            if kind_of(&t).is_none() && !matches!(t.base(), ChType::Nothing) {
                ch_bail!(
                    ILLEGAL_TYPE_OF_ARGUMENT,
                    "Illegal type {t} of argument #{} of function {}, expected Date, Date32, DateTime or DateTime64",
                    i + 1,
                    self.name
                );
            }
        }
        let tz = if fields.len() == 4 {
            let tz = const_str_arg(&self.name, scalars, fields, 3, "timezone")?;
            Zone::parse(&tz)?;
            Some(tz)
        } else {
            None
        };
        Ok((unit, tz))
    }
}

impl ScalarUDFImpl for DateDiff {
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
        self.check(args.arg_fields, args.scalar_arguments)?;
        let nullable = args.arg_fields[1..3]
            .iter()
            .any(|f| arg_type(f).is_nullable());
        let t = if nullable {
            ChType::Int64.into_nullable()
        } else {
            ChType::Int64
        };
        Ok(field(&self.name, &t))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let refs = scalar_refs(&args);
        let (unit, tz) = self.check(&args.arg_fields, &refs)?;
        let (cols, all_scalar) = arrays(&args)?;
        let session = Zone::session(&args.config_options)?;
        let t1 = arg_type(&args.arg_fields[1]);
        let t2 = arg_type(&args.arg_fields[2]);
        let zone = match tz {
            Some(t) => Zone::parse(&t)?,
            None => match (kind_of(&t1), kind_of(&t2)) {
                (Some(Kind::DateTime | Kind::DateTime64(_)), _) => Zone::of_type(&t1, session)?,
                _ => Zone::of_type(&t2, session)?,
            },
        };
        let r1 = LocalReader::new(cols[1].as_ref(), &t1, zone)?;
        let r2 = LocalReader::new(cols[2].as_ref(), &t2, zone)?;
        let mut sink = Sink::new(&ChType::Int64, cols[1].len());
        for i in 0..cols[1].len() {
            let (Some(a), Some(b)) = (r1.get(i), r2.get(i)) else {
                sink.push(None);
                continue;
            };
            let ns = |l: &super::local::Local| {
                l.utc as i128 * 1_000_000_000 + l.frac as i128 * 10i128.pow(9 - l.digits as u32)
            };
            let (na, nb) = (ns(&a), ns(&b));
            let mut d = relative(unit, b.days, b.sod, nb) - relative(unit, a.days, a.sod, na);
            if self.age {
                d += age_adjust(unit, &a, &b, na, nb);
            }
            sink.push(Some(Val::Int(i256::from_i128(d))));
        }
        output(sink.finish()?, all_scalar)
    }
}

/// The arithmetic functions.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    for unit in [
        Unit::Nanosecond,
        Unit::Microsecond,
        Unit::Millisecond,
        Unit::Second,
        Unit::Minute,
        Unit::Hour,
        Unit::Day,
        Unit::Week,
        Unit::Month,
        Unit::Quarter,
        Unit::Year,
    ] {
        for (prefix, negate) in [("add", false), ("subtract", true)] {
            v.push(ScalarUDF::new_from_impl(AddUdf {
                name: format!("{prefix}{}", unit.plural()),
                aliases: Vec::new(),
                unit,
                negate,
                signature: any_signature(Volatility::Immutable),
            }));
        }
    }
    v.push(ScalarUDF::new_from_impl(DateDiff {
        name: "dateDiff".to_string(),
        aliases: [
            "date_diff",
            "DATE_DIFF",
            "timestampDiff",
            "timestamp_diff",
            "TIMESTAMP_DIFF",
            "TIMESTAMPDIFF",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        signature: any_signature(Volatility::Immutable),
        age: false,
    }));
    v.push(ScalarUDF::new_from_impl(DateDiff {
        name: "age".to_string(),
        aliases: Vec::new(),
        signature: any_signature(Volatility::Immutable),
        age: true,
    }));
    v
}
