//! `makeDateTime(year, month, day, hour, minute, second[, tz])` and
//! `makeDateTime64(year, month, day, hour, minute, second[, fraction[, precision[, tz]]])`.
//!
//! As in ClickHouse the six parts are read as `Float32` and truncated. A part out of range
//! (year before 1900, month outside 1–12, day outside 1–31, hour/minute/second outside 0–99:
//! 99 so that `25:61:61` runs on into the next day as parsing a `DateTime` does) gives the
//! earliest time; a year past 2299 the latest (2299-12-31 23:59:59 with every fraction digit
//! 9). A day past the month's end runs on into the next month. `makeDateTime` then clamps to
//! `DateTime`'s range (1970-01-01 00:00:00 to 2106-02-07 06:28:15 UTC); `makeDateTime64`
//! clamps the fraction to 0 … 10^precision − 1 (NaN gives the earliest time).

use datafusion::arrow::array::{Array, ArrayRef, AsArray, new_null_array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, FieldRef, Float32Type, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use sluice_common::ChType;

use super::args::{
    any_signature, arrays, field, null_field, output, scalar_int, scalar_refs, scalar_str,
};
use super::tz::{Zone, days_from_civil};
use crate::ch_bail;
use crate::conversion::value::{Sink, Val, unit_digits};
use crate::string::rules::is_number;
use crate::util::{arg_type, ch_error};

const PART_NAMES: [&str; 6] = ["year", "month", "day", "hour", "minute", "second"];
const ORDINALS: [&str; 9] = [
    "1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th",
];
/// `makeDateTime64`'s precision when none is given.
const DEFAULT_PRECISION: u8 = 3;
/// The last second `DateTime` holds (2106-02-07 06:28:15 UTC).
const DATETIME_MAX: i64 = 0xffff_ffff;

/// `makeDateTime` (`sixty_four = false`) or `makeDateTime64`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MakeDateTime {
    name: String,
    signature: Signature,
    sixty_four: bool,
}

/// What the constant arguments say about the result.
struct Shape {
    precision: u8,
    tz: Option<String>,
    has_fraction: bool,
}

impl MakeDateTime {
    fn optional_names(&self) -> &'static [&'static str] {
        if self.sixty_four {
            &["fraction", "precision", "timezone"]
        } else {
            &["timezone"]
        }
    }

    fn shape(&self, fields: &[FieldRef], scalars: &[Option<&ScalarValue>]) -> Result<Shape> {
        let optional = self.optional_names();
        let n = fields.len();
        if n < 6 || n > 6 + optional.len() {
            let opt = if optional.len() == 1 {
                "1 optional argument".to_string()
            } else {
                format!("{} optional arguments", optional.len())
            };
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "An incorrect number of arguments was specified for function '{}'. Expected 6 \
                 mandatory arguments and {opt}, got {n} arguments",
                self.name
            );
        }
        let illegal = |i: usize, what: &str, expected: &str, t: &ChType| {
            ch_error(sluice_common::Error::new(
                sluice_common::ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
                format!(
                    "A value of illegal type was provided as {} argument '{what}' to function \
                     '{}'. Expected: {expected}, got: {t}",
                    ORDINALS[i], self.name
                ),
            ))
        };
        let mut shape = Shape {
            precision: if self.sixty_four {
                DEFAULT_PRECISION
            } else {
                0
            },
            tz: None,
            has_fraction: false,
        };
        for (i, f) in fields.iter().enumerate() {
            let t = arg_type(f);
            if matches!(f.data_type(), DataType::Null) {
                continue;
            }
            let what = PART_NAMES
                .get(i)
                .copied()
                .unwrap_or_else(|| optional[i - 6]);
            match what {
                "timezone" => {
                    let s = scalars.get(i).copied().flatten().and_then(scalar_str);
                    match s {
                        Some(s) if matches!(t.base(), ChType::String | ChType::FixedString(_)) => {
                            Zone::parse(&s)?;
                            shape.tz = Some(s);
                        }
                        _ => return Err(illegal(i, what, "const String", &t)),
                    }
                }
                "precision" => {
                    let p = scalars.get(i).copied().flatten().and_then(scalar_int);
                    match p {
                        Some(p) if is_number(t.base()) => {
                            if !(0..=9).contains(&p) {
                                ch_bail!(
                                    ARGUMENT_OUT_OF_BOUND,
                                    "Argument 'precision' for function {} must be in range [0, 9]",
                                    self.name
                                );
                            }
                            shape.precision = p as u8;
                        }
                        _ => return Err(illegal(i, what, "const Number", &t)),
                    }
                }
                _ => {
                    if !is_number(t.base()) {
                        let expected = if what == "fraction" {
                            "const Number"
                        } else {
                            "Number"
                        };
                        return Err(illegal(i, what, expected, &t));
                    }
                    shape.has_fraction |= what == "fraction";
                }
            }
        }
        Ok(shape)
    }

    fn result_type(&self, shape: &Shape) -> ChType {
        if self.sixty_four {
            ChType::DateTime64(shape.precision, shape.tz.clone())
        } else {
            ChType::DateTime(shape.tz.clone())
        }
    }
}

/// The UTC second of the six parts in `zone`, before the result type's own clamping:
/// `Err(true)` for the earliest time, `Err(false)` for the latest.
fn seconds(p: [f32; 6], zone: Zone) -> std::result::Result<i64, bool> {
    let [y, mo, d, h, mi, s] = p;
    if p.iter().any(|v| v.is_nan())
        || y < 1900.0
        || !(1.0..=12.0).contains(&mo)
        || !(1.0..=31.0).contains(&d)
        || !(0.0..=99.0).contains(&h)
        || !(0.0..=99.0).contains(&mi)
        || !(0.0..=99.0).contains(&s)
    {
        return Err(true);
    }
    if y > 2299.0 {
        return Err(false);
    }
    let day = days_from_civil(y as i32, mo as u32, 1) + d as i64 - 1;
    let local = day * 86_400 + h as i64 * 3600 + mi as i64 * 60 + s as i64;
    Ok(zone.from_local(local))
}

impl ScalarUDFImpl for MakeDateTime {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        datafusion::common::internal_err!("{} uses return_field_from_args", self.name)
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let shape = self.shape(args.arg_fields, args.scalar_arguments)?;
        let value_args = if self.sixty_four { 7 } else { 6 };
        let value_fields = args.arg_fields.iter().take(value_args);
        if value_fields
            .clone()
            .any(|f| matches!(f.data_type(), DataType::Null))
        {
            return Ok(null_field(&self.name));
        }
        let t = self.result_type(&shape);
        let nullable = value_fields.clone().any(|f| arg_type(f).is_nullable());
        Ok(field(
            &self.name,
            &if nullable { t.into_nullable() } else { t },
        ))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let refs = scalar_refs(&args);
        let shape = self.shape(&args.arg_fields, &refs)?;
        let (cols, all_scalar) = arrays(&args)?;
        let rows = cols.first().map_or(1, |c| c.len());
        if args.return_field.data_type() == &DataType::Null {
            return output(new_null_array(&DataType::Null, rows), all_scalar);
        }
        let zone = match &shape.tz {
            Some(tz) => Zone::parse(tz)?,
            None => Zone::session(&args.config_options)?,
        };
        let mut parts = Vec::with_capacity(6);
        for c in &cols[..6] {
            parts.push(cast(c, &DataType::Float32)?);
        }
        let fraction: Option<ArrayRef> = if shape.has_fraction {
            Some(cast(&cols[6], &DataType::Float64)?)
        } else {
            None
        };
        let t = self.result_type(&shape);
        let storage = unit_digits(shape.precision);
        let max_fraction = 10f64.powi(shape.precision as i32) - 1.0;
        let scale = 10i64.pow(u32::from(storage - shape.precision.min(storage)));
        let mut sink = Sink::new(&t, rows);
        let f32s: Vec<_> = parts
            .iter()
            .map(|a| a.as_primitive::<Float32Type>())
            .collect();
        let frac = fraction.as_ref().map(|a| a.as_primitive::<Float64Type>());
        for i in 0..rows {
            if f32s.iter().any(|a| a.is_null(i)) || frac.is_some_and(|a| a.is_null(i)) {
                sink.push(None);
                continue;
            }
            let p = [0, 1, 2, 3, 4, 5].map(|k| f32s[k].value(i));
            let secs = seconds(p, zone);
            if !self.sixty_four {
                let v = match secs {
                    Ok(v) => v.clamp(0, DATETIME_MAX),
                    Err(true) => 0,
                    Err(false) => DATETIME_MAX,
                };
                sink.push(Some(Val::Time(v, 0)));
                continue;
            }
            // As in ClickHouse, a time equal to either end takes that end's fraction.
            let earliest = zone.from_local(days_from_civil(1900, 1, 1) * 86_400);
            let latest = zone.from_local(days_from_civil(2299, 12, 31) * 86_400 + 86_399);
            let v = secs.unwrap_or_else(|low| if low { earliest } else { latest });
            let (v, f) = if v == earliest {
                (v, 0.0)
            } else if v == latest {
                (v, max_fraction)
            } else {
                match frac.map_or(0.0, |a| a.value(i)) {
                    f if f.is_nan() => (earliest, 0.0),
                    f => (v, f.clamp(0.0, max_fraction)),
                }
            };
            let ticks = v
                .checked_mul(10i64.pow(u32::from(storage)))
                .and_then(|t| t.checked_add(f as i64 * scale));
            let Some(ticks) = ticks else {
                ch_bail!(DECIMAL_OVERFLOW, "Decimal math overflow");
            };
            sink.push(Some(Val::Time(ticks, storage)));
        }
        output(sink.finish()?, all_scalar)
    }
}

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    [("makeDateTime", false), ("makeDateTime64", true)]
        .into_iter()
        .map(|(name, sixty_four)| {
            ScalarUDF::new_from_impl(MakeDateTime {
                name: name.to_string(),
                signature: any_signature(Volatility::Immutable),
                sixty_four,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_out_of_range_give_the_ends() {
        assert_eq!(
            seconds([1899.0, 1.0, 1.0, 0.0, 0.0, 0.0], Zone::Utc),
            Err(true)
        );
        assert_eq!(
            seconds([2300.0, 1.0, 1.0, 0.0, 0.0, 0.0], Zone::Utc),
            Err(false)
        );
        assert_eq!(
            seconds([2023.0, 13.0, 1.0, 0.0, 0.0, 0.0], Zone::Utc),
            Err(true)
        );
        assert_eq!(
            seconds([f32::NAN, 1.0, 1.0, 0.0, 0.0, 0.0], Zone::Utc),
            Err(true)
        );
        // 2023-02-31 25:61:61 runs on to 2023-03-04 02:02:01.
        assert_eq!(
            seconds([2023.0, 2.0, 31.0, 25.0, 61.0, 61.0], Zone::Utc),
            Ok(days_from_civil(2023, 3, 4) * 86_400 + 2 * 3600 + 2 * 60 + 1)
        );
    }
}
