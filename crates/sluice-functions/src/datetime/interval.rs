//! Functions taking a unit or an `INTERVAL`: `toStartOfInterval(t, INTERVAL n unit[, tz])`,
//! `date_trunc(unit, t[, tz])`, and `date_add`/`date_sub`/`timestamp_add`/`timestamp_sub`
//! (`(t, INTERVAL n unit)` or `('unit', n, t)`).
//!
//! An interval argument is either an Arrow interval scalar (DataFusion's `INTERVAL` literal)
//! or an `Int64` whose field carries a ClickHouse `Interval<Unit>` type.

use std::sync::Arc;

use datafusion::arrow::array::Int64Array;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use sluice_common::ChType;

use super::args::{any_signature, arrays, check_arity, const_str_arg, field, output, scalar_int};
use super::arith::{Unit, add_columns, add_result_type};
use super::local::{Kind, LocalReader, kind_of};
use super::tz::{Zone, civil_from_days, days_from_civil};
use super::week;
use crate::ch_bail;
use crate::conversion::value::{Sink, Val, unit_digits};
use crate::util::arg_type;

/// (unit, count) of a constant interval argument.
pub fn interval_of(f: &FieldRef, v: Option<&ScalarValue>) -> Option<(Unit, i64)> {
    if let (ChType::Interval(u), false) = (
        arg_type(f).base(),
        matches!(f.data_type(), DataType::Interval(_)),
    ) {
        return Some((Unit::parse(u)?, v.and_then(scalar_int)?));
    }
    match v? {
        ScalarValue::IntervalYearMonth(Some(m)) => Some((Unit::Month, *m as i64)),
        ScalarValue::IntervalDayTime(Some(x)) => {
            if x.days != 0 && x.milliseconds == 0 {
                Some((Unit::Day, x.days as i64))
            } else {
                split_nanos(
                    x.days as i128 * 86_400_000_000_000 + x.milliseconds as i128 * 1_000_000,
                )
            }
        }
        ScalarValue::IntervalMonthDayNano(Some(x)) => {
            if x.months != 0 {
                Some((Unit::Month, x.months as i64))
            } else if x.days != 0 && x.nanoseconds == 0 {
                Some((Unit::Day, x.days as i64))
            } else {
                split_nanos(x.days as i128 * 86_400_000_000_000 + x.nanoseconds as i128)
            }
        }
        _ => None,
    }
}

fn split_nanos(ns: i128) -> Option<(Unit, i64)> {
    for (unit, size) in [
        (Unit::Hour, 3_600_000_000_000i128),
        (Unit::Minute, 60_000_000_000),
        (Unit::Second, 1_000_000_000),
        (Unit::Millisecond, 1_000_000),
        (Unit::Microsecond, 1_000),
        (Unit::Nanosecond, 1),
    ] {
        if ns % size == 0 {
            return Some((unit, i64::try_from(ns / size).ok()?));
        }
    }
    None
}

/// Which of the two truncating functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum TruncKind {
    StartOfInterval,
    DateTrunc,
}

/// `toStartOfInterval` / `date_trunc`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TruncUdf {
    name: String,
    aliases: Vec<String>,
    kind: TruncKind,
    signature: Signature,
}

impl TruncUdf {
    /// (input type, unit, n, result type).
    /// At planning (`planning`), an `Interval<Unit>` argument whose value is not a literal
    /// (`INTERVAL 15 MINUTE` arrives as `toIntervalMinute(15)`) decides the result type by
    /// its unit alone; at execution its value must then be a constant, as in ClickHouse.
    fn check(
        &self,
        fields: &[FieldRef],
        scalars: &[Option<&ScalarValue>],
        planning: bool,
    ) -> Result<(ChType, Unit, i64, ChType)> {
        let name = &self.name;
        check_arity(name, fields.len(), 2, 3)?;
        let (tidx, unit, n) = match self.kind {
            TruncKind::StartOfInterval => {
                let scalar = scalars.get(1).copied().flatten();
                let unit_only = match arg_type(&fields[1]).base() {
                    ChType::Interval(u) if scalar.is_none() => Unit::parse(u),
                    _ => None,
                };
                if let Some(u) = unit_only {
                    if !planning {
                        ch_bail!(
                            ILLEGAL_COLUMN,
                            "Argument at index 1 for function {name} must be constant"
                        );
                    }
                    return self.finish(fields, scalars, 0, u, 1);
                }
                let Some((u, n)) = interval_of(&fields[1], scalar) else {
                    ch_bail!(
                        ILLEGAL_TYPE_OF_ARGUMENT,
                        "Illegal type {} of argument #2 of function {name}. Should be an interval of time",
                        arg_type(&fields[1])
                    );
                };
                if n <= 0 {
                    ch_bail!(
                        ARGUMENT_OUT_OF_BOUND,
                        "Value for second argument of function {name} must be positive"
                    );
                }
                (0, u, n)
            }
            TruncKind::DateTrunc => {
                let u = const_str_arg(name, scalars, fields, 0, "unit")?;
                let unit = match Unit::parse(&u) {
                    Some(x)
                        if !matches!(
                            u.to_ascii_lowercase().as_str(),
                            "m" | "n" | "d" | "q" | "s" | "h"
                        ) =>
                    {
                        x
                    }
                    _ => ch_bail!(BAD_ARGUMENTS, "Unsupported unit '{u}' for function {name}"),
                };
                (1, unit, 1)
            }
        };
        self.finish(fields, scalars, tidx, unit, n)
    }

    /// The checks after the unit is known: (input type, unit, n, result type).
    fn finish(
        &self,
        fields: &[FieldRef],
        scalars: &[Option<&ScalarValue>],
        tidx: usize,
        unit: Unit,
        n: i64,
    ) -> Result<(ChType, Unit, i64, ChType)> {
        let name = &self.name;
        let input = arg_type(&fields[tidx]);
        let tz = if fields.len() == 3 {
            let tz = const_str_arg(name, scalars, fields, 2, "timezone")?;
            Zone::parse(&tz)?;
            Some(tz)
        } else {
            match input.base() {
                ChType::DateTime(tz) | ChType::DateTime64(_, tz) => tz.clone(),
                _ => None,
            }
        };
        let Some(kind) = kind_of(&input) else {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {input} of argument of function {name}. Should be Date, Date32, DateTime or DateTime64"
            );
        };
        let is_date = matches!(kind, Kind::Date | Kind::Date32);
        let r = match unit {
            Unit::Year | Unit::Quarter | Unit::Month | Unit::Week => {
                if matches!(kind, Kind::Date32) && self.kind == TruncKind::DateTrunc {
                    ChType::Date32
                } else {
                    ChType::Date
                }
            }
            Unit::Day => ChType::DateTime(tz),
            Unit::Hour | Unit::Minute | Unit::Second if !is_date => {
                match (unit, &kind, self.kind) {
                    (Unit::Second, Kind::DateTime64(_), TruncKind::DateTrunc) => {
                        ChType::DateTime64(0, tz)
                    }
                    _ => ChType::DateTime(tz),
                }
            }
            Unit::Millisecond | Unit::Microsecond | Unit::Nanosecond
                if matches!(kind, Kind::DateTime64(_)) =>
            {
                ChType::DateTime64(unit.sub_digits().unwrap_or(3), tz)
            }
            _ => {
                if self.kind == TruncKind::StartOfInterval {
                    ch_bail!(
                        ILLEGAL_TYPE_OF_ARGUMENT,
                        "Illegal interval kind for argument data type {}",
                        input.base()
                    )
                }
                ch_bail!(
                    ILLEGAL_TYPE_OF_ARGUMENT,
                    "Illegal type {} of argument for function dateTrunc",
                    input.base()
                )
            }
        };
        let r = if input.is_nullable() {
            r.into_nullable()
        } else {
            r
        };
        Ok((input, unit, n, r))
    }
}

impl ScalarUDFImpl for TruncUdf {
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
        Ok(field(
            &self.name,
            &self.check(args.arg_fields, args.scalar_arguments, true)?.3,
        ))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalars = scalars_of(&args);
        let refs: Vec<Option<&ScalarValue>> = scalars.iter().map(|s| s.as_ref()).collect();
        let (input, unit, n, r) = self.check(&args.arg_fields, &refs, false)?;
        let (cols, all_scalar) = arrays(&args)?;
        let session = Zone::session(&args.config_options)?;
        let zone = match &r.base() {
            ChType::DateTime(Some(tz)) | ChType::DateTime64(_, Some(tz)) => Zone::parse(tz)?,
            _ if args.arg_fields.len() == 3 => match refs[2].and_then(super::args::scalar_str) {
                Some(tz) => Zone::parse(&tz)?,
                None => session,
            },
            _ => Zone::of_type(&input, session)?,
        };
        let x = if self.kind == TruncKind::DateTrunc {
            &cols[1]
        } else {
            &cols[0]
        };
        let reader = LocalReader::new(x.as_ref(), &input, zone)?;
        let mut sink = Sink::new(r.base(), x.len());
        for i in 0..x.len() {
            let Some(l) = reader.get(i) else {
                sink.push(None);
                continue;
            };
            let (y, m, _) = civil_from_days(l.days);
            let dt = |days: i64, sod: i64| {
                Val::Time(
                    zone.from_local(days * 86400 + sod)
                        .clamp(0, u32::MAX as i64),
                    0,
                )
            };
            let v = match unit {
                Unit::Year => Val::Date(days_from_civil(
                    (y as i64).div_euclid(n) as i32 * n as i32,
                    1,
                    1,
                )),
                Unit::Quarter | Unit::Month => {
                    let months = if unit == Unit::Quarter { 3 * n } else { n };
                    let rel = y as i64 * 12 + m as i64 - 1;
                    let f = rel.div_euclid(months) * months;
                    Val::Date(days_from_civil(
                        f.div_euclid(12) as i32,
                        (f.rem_euclid(12) + 1) as u32,
                        1,
                    ))
                }
                Unit::Week => {
                    if n == 1 {
                        Val::Date(week::start_of_week(l.days, 1))
                    } else {
                        let w = (l.days - 4).div_euclid(7);
                        Val::Date(4 + w.div_euclid(n) * n * 7)
                    }
                }
                Unit::Day => dt(l.days.div_euclid(n) * n, 0),
                Unit::Hour => dt(l.days, (l.sod / 3600).div_euclid(n) * n * 3600),
                Unit::Minute => {
                    let local_min = (l.days * 86400 + l.sod).div_euclid(60);
                    let f = local_min.div_euclid(n) * n * 60;
                    dt(f.div_euclid(86400), f.rem_euclid(86400))
                }
                Unit::Second => {
                    let local = l.days * 86400 + l.sod;
                    let f = local.div_euclid(n) * n;
                    match r.base() {
                        ChType::DateTime64(p, _) => {
                            let u = unit_digits(*p) as u32;
                            Val::Time(zone.from_local(f) * 10i64.pow(u), u as u8)
                        }
                        _ => dt(f.div_euclid(86400), f.rem_euclid(86400)),
                    }
                }
                Unit::Millisecond | Unit::Microsecond | Unit::Nanosecond => {
                    let ud = unit.sub_digits().unwrap_or(3) as u32;
                    let digits = l.digits as u32;
                    let ticks = l.utc as i128 * 10i128.pow(digits) + l.frac as i128;
                    let at_unit = if ud >= digits {
                        ticks * 10i128.pow(ud - digits)
                    } else {
                        ticks.div_euclid(10i128.pow(digits - ud))
                    };
                    let f = at_unit.div_euclid(n as i128) * n as i128;
                    let out_u = match r.base() {
                        ChType::DateTime64(p, _) => unit_digits(*p) as u32,
                        _ => ud,
                    };
                    let stored = if out_u >= ud {
                        f * 10i128.pow(out_u - ud)
                    } else {
                        f / 10i128.pow(ud - out_u)
                    };
                    Val::Time(stored as i64, out_u as u8)
                }
            };
            let v = match (v, r.base()) {
                (Val::Date(d), ChType::Date) => Val::Date(d.clamp(0, 65535)),
                (v, _) => v,
            };
            sink.push(Some(v));
        }
        output(sink.finish()?, all_scalar)
    }
}

fn scalars_of(args: &ScalarFunctionArgs) -> Vec<Option<ScalarValue>> {
    args.args
        .iter()
        .map(|a| match a {
            ColumnarValue::Scalar(s) => Some(s.clone()),
            ColumnarValue::Array(_) => None,
        })
        .collect()
}

/// `date_add`/`date_sub`/`timestamp_add`/`timestamp_sub`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DateAdd {
    name: String,
    aliases: Vec<String>,
    negate: bool,
    signature: Signature,
}

impl DateAdd {
    /// (index of the time argument, unit, constant count or index of the count column, result).
    fn check(
        &self,
        fields: &[FieldRef],
        scalars: &[Option<&ScalarValue>],
    ) -> Result<(usize, Unit, Result<i64, usize>, ChType)> {
        let name = &self.name;
        check_arity(name, fields.len(), 2, 3)?;
        let (ti, unit, count) = if fields.len() == 2 {
            let interval_column = match arg_type(&fields[1]).base() {
                ChType::Interval(u) => Unit::parse(u),
                _ => None,
            };
            match (
                interval_of(&fields[1], scalars.get(1).copied().flatten()),
                interval_column,
            ) {
                (Some((u, n)), _) => (0, u, Ok(n)),
                (None, Some(u)) => (0, u, Err(1)),
                (None, None) => ch_bail!(
                    ILLEGAL_TYPE_OF_ARGUMENT,
                    "Illegal type {} of second argument of function {name}. Should be an interval",
                    arg_type(&fields[1])
                ),
            }
        } else {
            let u = const_str_arg(name, scalars, fields, 0, "unit")?;
            match Unit::parse(&u) {
                Some(unit) => (2, unit, Err(1)),
                None => ch_bail!(BAD_ARGUMENTS, "Unsupported unit '{u}' for function {name}"),
            }
        };
        let t = arg_type(&fields[ti]);
        let r = add_result_type(name, &t, unit)?;
        let r = if t.is_nullable() {
            r.into_nullable()
        } else {
            r
        };
        Ok((ti, unit, count, r))
    }
}

impl ScalarUDFImpl for DateAdd {
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
        Ok(field(
            &self.name,
            &self.check(args.arg_fields, args.scalar_arguments)?.3,
        ))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalars = scalars_of(&args);
        let refs: Vec<Option<&ScalarValue>> = scalars.iter().map(|s| s.as_ref()).collect();
        let (ti, unit, count, r) = self.check(&args.arg_fields, &refs)?;
        let (cols, all_scalar) = arrays(&args)?;
        let session = Zone::session(&args.config_options)?;
        let x = &cols[ti];
        let (n, nt) = match count {
            Ok(k) => (
                Arc::new(Int64Array::from(vec![k; x.len()])) as _,
                ChType::Int64,
            ),
            Err(i) => (Arc::clone(&cols[i]), arg_type(&args.arg_fields[i])),
        };
        let t = arg_type(&args.arg_fields[ti]);
        let out = add_columns(x, &t, &n, &nt, &r, unit, self.negate, session)?;
        output(out, all_scalar)
    }
}

/// The unit/interval functions.
pub fn functions() -> Vec<ScalarUDF> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        ScalarUDF::new_from_impl(TruncUdf {
            name: "toStartOfInterval".into(),
            aliases: Vec::new(),
            kind: TruncKind::StartOfInterval,
            signature: any_signature(Volatility::Immutable),
        }),
        ScalarUDF::new_from_impl(TruncUdf {
            name: "dateTrunc".into(),
            aliases: s(&["date_trunc", "DATE_TRUNC"]),
            kind: TruncKind::DateTrunc,
            signature: any_signature(Volatility::Immutable),
        }),
        ScalarUDF::new_from_impl(DateAdd {
            name: "date_add".into(),
            aliases: s(&[
                "DATE_ADD",
                "dateAdd",
                "timestamp_add",
                "TIMESTAMP_ADD",
                "timestampAdd",
            ]),
            negate: false,
            signature: any_signature(Volatility::Immutable),
        }),
        ScalarUDF::new_from_impl(DateAdd {
            name: "date_sub".into(),
            aliases: s(&[
                "DATE_SUB",
                "dateSub",
                "timestamp_sub",
                "TIMESTAMP_SUB",
                "timestampSub",
            ]),
            negate: true,
            signature: any_signature(Volatility::Immutable),
        }),
    ]
}
