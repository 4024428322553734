//! `toIntervalNanosecond` … `toIntervalYear`: a number (or a string holding one) as an
//! interval value of ClickHouse type `Interval<Unit>`, stored as `Int64` with the type in
//! the field metadata. `INTERVAL n UNIT` outside `±` arithmetic is rewritten to these.
//!
//! Floats are truncated toward zero, `UInt64` values above `Int64`'s range wrap, strings must
//! hold an integer (`CANNOT_PARSE_TEXT`), `NULL` stays `NULL` (`Nullable(Nothing)` for the
//! literal).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use sluice_common::ChType;

use super::args::{any_signature, arrays, check_arity, field, is_null_type, null_field, output};
use crate::ch_bail;
use crate::util::arg_type;

/// The units, as ClickHouse spells them in `Interval<Unit>`.
const UNITS: &[&str] = &[
    "Nanosecond",
    "Microsecond",
    "Millisecond",
    "Second",
    "Minute",
    "Hour",
    "Day",
    "Week",
    "Month",
    "Quarter",
    "Year",
];

/// `toInterval<Unit>(n)`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToInterval {
    name: String,
    unit: &'static str,
    signature: Signature,
}

impl ToInterval {
    fn result_type(&self, arg: &ChType) -> Result<ChType> {
        let base = arg.base();
        let ok = matches!(
            base,
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
                | ChType::String
                | ChType::Bool
        ) || matches!(base, ChType::Interval(u) if u == self.unit);
        if !ok {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {arg} of argument of function {}",
                self.name
            );
        }
        let t = ChType::Interval(self.unit.to_string());
        Ok(if arg.is_nullable() {
            t.into_nullable()
        } else {
            t
        })
    }

    fn convert(&self, arr: &ArrayRef) -> Result<ArrayRef> {
        let out: Int64Array = match arr.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                let strings = cast(arr, &DataType::Utf8)?;
                let strings = strings.as_string::<i32>();
                let mut values = Vec::with_capacity(strings.len());
                for i in 0..strings.len() {
                    if strings.is_null(i) {
                        values.push(None);
                        continue;
                    }
                    let s = strings.value(i);
                    match s.parse::<i64>() {
                        Ok(v) => values.push(Some(v)),
                        Err(_) => ch_bail!(
                            CANNOT_PARSE_TEXT,
                            "Cannot parse string '{s}' as Interval{}",
                            self.unit
                        ),
                    }
                }
                Int64Array::from(values)
            }
            DataType::UInt64 => {
                let u = arr.as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
                u.unary(|v| v as i64)
            }
            DataType::Boolean => cast(arr, &DataType::Int64)?.as_primitive().clone(),
            DataType::Float32 | DataType::Float64 => {
                let f = cast(arr, &DataType::Float64)?;
                let f = f.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
                f.unary(|v| v.trunc() as i64)
            }
            _ => cast(arr, &DataType::Int64)?.as_primitive().clone(),
        };
        Ok(Arc::new(out))
    }
}

impl ScalarUDFImpl for ToInterval {
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
        check_arity(&self.name, args.arg_fields.len(), 1, 1)?;
        if is_null_type(&args.arg_fields[0]) {
            return Ok(null_field(&self.name));
        }
        let t = self.result_type(&arg_type(&args.arg_fields[0]))?;
        Ok(field(&self.name, &t))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        check_arity(&self.name, args.args.len(), 1, 1)?;
        if is_null_type(&args.arg_fields[0]) {
            return Ok(ColumnarValue::Scalar(datafusion::common::ScalarValue::Null));
        }
        let (cols, all_scalar) = arrays(&args)?;
        output(self.convert(&cols[0])?, all_scalar)
    }
}

/// The eleven `toInterval<Unit>` functions.
pub fn functions() -> Vec<ScalarUDF> {
    UNITS
        .iter()
        .map(|unit| {
            ScalarUDF::new_from_impl(ToInterval {
                name: format!("toInterval{unit}"),
                unit,
                signature: any_signature(Volatility::Immutable),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Float64Array, StringArray, UInt64Array};

    fn day() -> ToInterval {
        ToInterval {
            name: "toIntervalDay".into(),
            unit: "Day",
            signature: any_signature(Volatility::Immutable),
        }
    }

    fn values(arr: ArrayRef) -> Vec<Option<i64>> {
        let out = day().convert(&arr).expect("converts");
        out.as_primitive::<datafusion::arrow::datatypes::Int64Type>()
            .iter()
            .collect()
    }

    #[test]
    fn floats_truncate_toward_zero() {
        let arr: ArrayRef = Arc::new(Float64Array::from(vec![2.5, -2.7]));
        assert_eq!(values(arr), vec![Some(2), Some(-2)]);
    }

    #[test]
    fn uint64_wraps_and_strings_parse() {
        let arr: ArrayRef = Arc::new(UInt64Array::from(vec![u64::MAX]));
        assert_eq!(values(arr), vec![Some(-1)]);
        let arr: ArrayRef = Arc::new(StringArray::from(vec![Some("12"), None]));
        assert_eq!(values(arr), vec![Some(12), None]);
        let bad: ArrayRef = Arc::new(StringArray::from(vec!["a"]));
        assert!(day().convert(&bad).is_err());
    }

    #[test]
    fn result_type_keeps_nullability() {
        let t = day()
            .result_type(&ChType::UInt8.into_nullable())
            .expect("typed");
        assert_eq!(t.to_string(), "Nullable(IntervalDay)");
        assert!(day().result_type(&ChType::Date).is_err());
    }
}
