//! The clock and time-zone functions: `now([tz])`, `now64([p[, tz]])`, `today()`,
//! `yesterday()`, `timeZone()`, `toTimeZone(t, tz)`.
//!
//! `now`/`today`/`yesterday` are folded to constants at planning time from DataFusion's query
//! start time (one value for the whole query, as in ClickHouse); if that is unavailable they
//! read the clock when executed.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use sluice_common::ChType;

use super::args::{
    any_signature, arrays, check_arity, const_int_arg, const_str_arg, field, output,
};
use super::local::require_time;
use super::tz::Zone;
use crate::conversion::value::{Sink, Val, unit_digits};
use crate::util::arg_type;

/// Which clock function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Clock {
    Now,
    Now64,
    Today,
    Yesterday,
    TimeZone,
}

/// `now`, `now64`, `today`, `yesterday`, `timeZone`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ClockUdf {
    name: String,
    aliases: Vec<String>,
    clock: Clock,
    signature: Signature,
}

impl ClockUdf {
    fn result(&self, fields: &[FieldRef], scalars: &[Option<&ScalarValue>]) -> Result<ChType> {
        let name = &self.name;
        Ok(match self.clock {
            Clock::Now => {
                check_arity(name, fields.len(), 0, 1)?;
                let tz = if fields.len() == 1 {
                    Some(const_str_arg(name, scalars, fields, 0, "timezone")?)
                } else {
                    None
                };
                if let Some(t) = &tz {
                    Zone::parse(t)?;
                }
                ChType::DateTime(tz)
            }
            Clock::Now64 => {
                check_arity(name, fields.len(), 0, 2)?;
                let p = if !fields.is_empty() {
                    const_int_arg(name, scalars, fields, 0, "scale")?
                } else {
                    3
                };
                if !(0..=9).contains(&p) {
                    crate::ch_bail!(
                        ARGUMENT_OUT_OF_BOUND,
                        "Precision {p} is out of bounds (precision range: [0, 9])"
                    );
                }
                let tz = if fields.len() == 2 {
                    Some(const_str_arg(name, scalars, fields, 1, "timezone")?)
                } else {
                    None
                };
                if let Some(t) = &tz {
                    Zone::parse(t)?;
                }
                ChType::DateTime64(p as u8, tz)
            }
            Clock::Today | Clock::Yesterday => {
                check_arity(name, fields.len(), 0, 0)?;
                ChType::Date
            }
            Clock::TimeZone => {
                check_arity(name, fields.len(), 0, 0)?;
                ChType::String
            }
        })
    }

    fn value(&self, t: &ChType, now_ns: i128, session: Zone) -> Result<ArrayRef> {
        let v = match (self.clock, t) {
            (Clock::TimeZone, _) => Val::Owned(session.name().into_bytes()),
            (Clock::Now, _) => Val::Time(now_ns.div_euclid(1_000_000_000) as i64, 0),
            (Clock::Now64, ChType::DateTime64(p, _)) => {
                let u = unit_digits(*p) as u32;
                let at_p = now_ns.div_euclid(10i128.pow(9 - *p as u32));
                Val::Time((at_p * 10i128.pow(u - *p as u32)) as i64, u as u8)
            }
            _ => {
                let secs = now_ns.div_euclid(1_000_000_000) as i64;
                let day = session.to_local(secs).div_euclid(86400);
                Val::Date(if self.clock == Clock::Yesterday {
                    day - 1
                } else {
                    day
                })
            }
        };
        let mut sink = Sink::new(t, 1);
        sink.push(Some(v));
        sink.finish()
    }
}

impl ScalarUDFImpl for ClockUdf {
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
            &self.result(args.arg_fields, args.scalar_arguments)?,
        ))
    }
    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let Some(start) = info.query_execution_start_time() else {
            return Ok(ExprSimplifyResult::Original(args));
        };
        let scalars: Vec<Option<ScalarValue>> = args
            .iter()
            .map(|a| match a {
                Expr::Literal(v, _) => Some(v.clone()),
                _ => None,
            })
            .collect();
        if scalars.iter().any(|s| s.is_none()) {
            return Ok(ExprSimplifyResult::Original(args));
        }
        let refs: Vec<Option<&ScalarValue>> = scalars.iter().map(|s| s.as_ref()).collect();
        let fields: Vec<FieldRef> = scalars
            .iter()
            .map(|s| {
                Arc::new(datafusion::arrow::datatypes::Field::new(
                    "a",
                    s.as_ref().map(|v| v.data_type()).unwrap_or(DataType::Null),
                    true,
                ))
            })
            .collect();
        let t = self.result(&fields, &refs)?;
        if t.needs_metadata() {
            return Ok(ExprSimplifyResult::Original(args));
        }
        let session = Zone::session(info.config_options())?;
        let ns = start.timestamp() as i128 * 1_000_000_000 + start.timestamp_subsec_nanos() as i128;
        let arr = self.value(&t, ns, session)?;
        Ok(ExprSimplifyResult::Simplified(Expr::Literal(
            ScalarValue::try_from_array(&arr, 0)?,
            None,
        )))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let t = ChType::from_field(&args.return_field);
        let session = Zone::session(&args.config_options)?;
        let now = chrono::Utc::now();
        let ns = now.timestamp() as i128 * 1_000_000_000 + now.timestamp_subsec_nanos() as i128;
        let arr = self.value(&t, ns, session)?;
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&arr, 0)?))
    }
}

/// `toTimeZone(t, tz)`: the same instant, typed with another zone.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToTimeZone {
    name: String,
    aliases: Vec<String>,
    signature: Signature,
}

impl ToTimeZone {
    fn result(&self, fields: &[FieldRef], scalars: &[Option<&ScalarValue>]) -> Result<ChType> {
        check_arity(&self.name, fields.len(), 2, 2)?;
        let t = arg_type(&fields[0]);
        require_time(&self.name, &t)?;
        let tz = const_str_arg(&self.name, scalars, fields, 1, "timezone")?;
        Zone::parse(&tz)?;
        let r = match t.base() {
            ChType::DateTime64(p, _) => ChType::DateTime64(*p, Some(tz)),
            ChType::DateTime(_) => ChType::DateTime(Some(tz)),
            _ => crate::ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {t} of argument of function {}. Should be DateTime or DateTime64",
                self.name
            ),
        };
        Ok(if t.is_nullable() {
            r.into_nullable()
        } else {
            r
        })
    }
}

impl ScalarUDFImpl for ToTimeZone {
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
            &self.result(args.arg_fields, args.scalar_arguments)?,
        ))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let r = ChType::from_field(&args.return_field);
        let (cols, all_scalar) = arrays(&args)?;
        let out = datafusion::arrow::compute::cast(&cols[0], &r.to_arrow())?;
        output(out, all_scalar)
    }
}

/// The clock and zone functions.
pub fn functions() -> Vec<ScalarUDF> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let clock = |name: &str, clock: Clock, aliases: &[&str]| {
        ScalarUDF::new_from_impl(ClockUdf {
            name: name.into(),
            aliases: s(aliases),
            clock,
            signature: any_signature(if clock == Clock::TimeZone {
                Volatility::Stable
            } else {
                Volatility::Volatile
            }),
        })
    };
    vec![
        clock(
            "now",
            Clock::Now,
            &["current_timestamp", "CURRENT_TIMESTAMP", "NOW"],
        ),
        clock("now64", Clock::Now64, &[]),
        clock(
            "today",
            Clock::Today,
            &["curdate", "current_date", "CURRENT_DATE", "CURDATE"],
        ),
        clock("yesterday", Clock::Yesterday, &[]),
        clock(
            "timeZone",
            Clock::TimeZone,
            &["timezone", "serverTimeZone", "serverTimezone"],
        ),
        ScalarUDF::new_from_impl(ToTimeZone {
            name: "toTimeZone".into(),
            aliases: s(&["toTimezone"]),
            signature: any_signature(Volatility::Immutable),
        }),
    ]
}
