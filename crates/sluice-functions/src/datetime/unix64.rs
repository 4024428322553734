//! `toUnixTimestamp64{Second,Milli,Micro,Nano}(DateTime64)` → `Int64` ticks and
//! `fromUnixTimestamp64{Second,Milli,Micro,Nano}(Int64[, tz])` → `DateTime64(p[, tz])`, plus
//! `timezoneOf(t)`.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::datatypes::{DataType, FieldRef, i256};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use sluice_common::ChType;

use super::args::{any_signature, arrays, check_arity, const_str_arg, field, output};
use super::local::kind_of;
use super::tz::Zone;
use crate::ch_bail;
use crate::conversion::value::{Sink, Src, Val, unit_digits};
use crate::util::arg_type;

/// Direction of the conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Dir {
    To,
    From,
    ZoneOf,
}

/// One of the functions of this module.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Unix64 {
    name: String,
    aliases: Vec<String>,
    dir: Dir,
    digits: u8,
    signature: Signature,
}

impl Unix64 {
    fn result(&self, fields: &[FieldRef], scalars: &[Option<&ScalarValue>]) -> Result<ChType> {
        let name = &self.name;
        let t = fields
            .first()
            .map(|f| arg_type(f))
            .unwrap_or(ChType::Nothing);
        let r = match self.dir {
            Dir::To => {
                check_arity(name, fields.len(), 1, 1)?;
                if !matches!(t.base(), ChType::DateTime64(..)) {
                    ch_bail!(
                        ILLEGAL_TYPE_OF_ARGUMENT,
                        "A value of illegal type was provided as 1st argument 'value' to function '{name}'. Expected: DateTime64, got: {t}"
                    );
                }
                ChType::Int64
            }
            Dir::From => {
                check_arity(name, fields.len(), 1, 2)?;
                if !t.base().to_arrow().is_integer() {
                    ch_bail!(
                        ILLEGAL_TYPE_OF_ARGUMENT,
                        "A value of illegal type was provided as 1st argument 'value' to function '{name}'. Expected: Int64, got: {t}"
                    );
                }
                let tz = if fields.len() == 2 {
                    let tz = const_str_arg(name, scalars, fields, 1, "timezone")?;
                    Zone::parse(&tz)?;
                    Some(tz)
                } else {
                    None
                };
                ChType::DateTime64(self.digits, tz)
            }
            Dir::ZoneOf => {
                check_arity(name, fields.len(), 1, 1)?;
                if !matches!(
                    kind_of(&t),
                    Some(super::local::Kind::DateTime | super::local::Kind::DateTime64(_))
                ) {
                    ch_bail!(
                        ILLEGAL_TYPE_OF_ARGUMENT,
                        "Illegal type {t} of argument of function {name}"
                    );
                }
                return Ok(ChType::String);
            }
        };
        Ok(if t.is_nullable() {
            r.into_nullable()
        } else {
            r
        })
    }
}

impl ScalarUDFImpl for Unix64 {
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
        let t = arg_type(&args.arg_fields[0]);
        let (cols, all_scalar) = arrays(&args)?;
        let x = &cols[0];
        if self.dir == Dir::ZoneOf {
            let session = Zone::session(&args.config_options)?;
            let name = Zone::of_type(&t, session)?.name();
            let out: ArrayRef = Arc::new(StringArray::from(vec![name; x.len()]));
            return output(out, all_scalar);
        }
        let src = Src::new(x.as_ref(), t.base())?;
        let mut sink = Sink::new(r.base(), x.len());
        let target = self.digits as u32;
        for i in 0..x.len() {
            let v = src.get(i).map(|v| match (self.dir, v) {
                (Dir::To, Val::Time(ticks, d)) => {
                    let d = d as u32;
                    let t = ticks as i128;
                    let out = if target >= d {
                        t * 10i128.pow(target - d)
                    } else {
                        t.div_euclid(10i128.pow(d - target))
                    };
                    Val::Int(i256::from_i128(out))
                }
                (_, Val::Int(n)) => {
                    let u = unit_digits(self.digits) as u32;
                    let stored = n.as_i128().saturating_mul(10i128.pow(u - target));
                    Val::Time(
                        stored.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
                        u as u8,
                    )
                }
                (_, other) => other,
            });
            sink.push(v);
        }
        output(sink.finish()?, all_scalar)
    }
}

/// The functions of this module.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    for (unit, digits) in [("Second", 0u8), ("Milli", 3), ("Micro", 6), ("Nano", 9)] {
        for dir in [Dir::To, Dir::From] {
            let prefix = if dir == Dir::To {
                "toUnixTimestamp64"
            } else {
                "fromUnixTimestamp64"
            };
            v.push(ScalarUDF::new_from_impl(Unix64 {
                name: format!("{prefix}{unit}"),
                aliases: Vec::new(),
                dir,
                digits,
                signature: any_signature(Volatility::Immutable),
            }));
        }
    }
    v.push(ScalarUDF::new_from_impl(Unix64 {
        name: "timezoneOf".into(),
        aliases: vec!["timeZoneOf".into()],
        dir: Dir::ZoneOf,
        digits: 0,
        signature: any_signature(Volatility::Immutable),
    }));
    v
}

#[cfg(test)]
mod tests {
    use crate::datetime::testutil::{call, err, i, one, s, typed};
    use sluice_common::ErrorCode;

    #[test]
    fn unix64() {
        // Oracle: toUnixTimestamp64Milli/Micro/Second(toDateTime64('2020-01-01 00:00:00.123', 3,
        // 'UTC')) → 1577836800123 1577836800123000 1577836800; fromUnixTimestamp64Milli(1577836800123)
        // → 2020-01-01 00:00:00.123 DateTime64(3); fromUnixTimestamp64Nano(1, 'UTC') → DateTime64(9, 'UTC').
        let t = || typed("2020-01-01 00:00:00.123", "DateTime64(3, 'UTC')");
        assert_eq!(
            call("toUnixTimestamp64Milli", vec![t()]),
            Ok(("Int64".into(), vec!["1577836800123".into()]))
        );
        assert_eq!(one("toUnixTimestamp64Micro", vec![t()]), "1577836800123000");
        assert_eq!(one("toUnixTimestamp64Second", vec![t()]), "1577836800");
        assert_eq!(
            call("fromUnixTimestamp64Milli", vec![i(1577836800123)]),
            Ok((
                "DateTime64(3)".into(),
                vec!["2020-01-01 00:00:00.123".into()]
            ))
        );
        assert_eq!(
            call("fromUnixTimestamp64Nano", vec![i(1), s("UTC")]).map(|r| r.0),
            Ok("DateTime64(9, 'UTC')".to_string())
        );
        assert_eq!(
            err(
                "toUnixTimestamp64Milli",
                vec![typed("2020-01-01 00:00:00", "DateTime")]
            ),
            ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT
        );
        assert_eq!(
            one(
                "timezoneOf",
                vec![typed("2020-01-01 00:00:00", "DateTime('Asia/Tokyo')")]
            ),
            "Asia/Tokyo"
        );
    }
}
