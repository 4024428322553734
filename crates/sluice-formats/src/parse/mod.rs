//! Parsing text into ClickHouse values and Arrow columns, shared by the input formats,
//! `CAST(String AS T)` and the Kafka engine.
//!
//! - [`parse_value`]: one value from its text.
//! - [`parse_column`]: an Arrow column of type `t` from optional strings.
//! - [`Value`] / [`build_array`]: the intermediate value tree and the column builder.
//!
//! Submodules: `text` (scalars), `quoted` (literal syntax), `datetime`, `value`.

mod datetime;
pub mod quoted;
mod text;
mod value;

use arrow::array::ArrayRef;
use sluice_common::{ChType, Result};

pub use datetime::{parse_date_days, parse_datetime};
pub use text::parse_text;
pub use value::{Value, build_array};

use crate::settings::FormatSettings;

/// Parses `text` (unescaped) as a value of type `t`, as `CAST(text AS t)` does.
pub fn parse_value(text: &str, t: &ChType, settings: &FormatSettings) -> Result<Value> {
    parse_text(text.as_bytes(), t, settings)
}

/// Builds a column of type `t` (Arrow type `t.to_arrow()`) from strings; `None` is NULL
/// (the type default when `t` is not Nullable).
pub fn parse_column(
    values: &[Option<&str>],
    t: &ChType,
    settings: &FormatSettings,
) -> Result<ArrayRef> {
    let parsed = values
        .iter()
        .map(|v| match v {
            Some(s) => parse_text(s.as_bytes(), t, settings),
            None => Ok(Value::Null),
        })
        .collect::<Result<Vec<_>>>()?;
    build_array(&parsed, t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{TextContext, value_to_string};
    use sluice_common::ErrorCode;

    fn round(text: &str, ty: &str) -> String {
        let t = ChType::parse(ty).unwrap();
        let a = parse_column(&[Some(text)], &t, &FormatSettings::default()).unwrap();
        assert_eq!(a.data_type(), &t.to_arrow(), "{ty}");
        value_to_string(a.as_ref(), 0, &t, &TextContext::default())
    }

    #[test]
    fn parses_every_scalar_type() {
        for (text, ty) in [
            ("-5", "Int8"),
            ("255", "UInt8"),
            ("18446744073709551615", "UInt64"),
            ("-170141183460469231731687303715884105728", "Int128"),
            ("1.5", "Float64"),
            ("inf", "Float32"),
            ("1.25", "Decimal(10, 2)"),
            ("-0.05", "Decimal(76, 4)"),
            ("2020-01-02", "Date"),
            ("1900-01-01", "Date32"),
            ("2020-01-02 03:04:05", "DateTime('Asia/Tokyo')"),
            ("2020-01-02 03:04:05.123", "DateTime64(3, 'UTC')"),
            ("2020-01-02 03:04:05.1", "DateTime64(1)"),
            ("61f0c404-5cb3-11e7-907b-a6006ad3dba0", "UUID"),
            ("1.2.3.4", "IPv4"),
            ("2001:db8::1", "IPv6"),
            ("true", "Bool"),
            ("b", "Enum8('a' = 1, 'b' = 2)"),
            ("[1,2,3]", "Array(UInt8)"),
            ("['a',NULL]", "Array(Nullable(String))"),
            ("(1,'x')", "Tuple(UInt8, String)"),
            ("{'k':[1]}", "Map(String, Array(UInt8))"),
            ("abc", "LowCardinality(String)"),
            ("7", "Nullable(UInt16)"),
        ] {
            assert_eq!(round(text, ty), text, "{ty}");
        }
        assert_eq!(round("1.250", "Decimal(10, 3)"), "1.25");
        assert_eq!(round("2", "Enum8('a' = 1, 'b' = 2)"), "b");
        assert_eq!(
            round("2020-01-02T03:04:05Z", "DateTime('UTC')"),
            "2020-01-02 03:04:05"
        );
    }

    #[test]
    fn reports_clickhouse_errors() {
        let s = FormatSettings::default();
        let err = |text: &str, ty: &str| {
            parse_value(text, &ChType::parse(ty).unwrap(), &s)
                .unwrap_err()
                .code
        };
        assert_eq!(err("-1", "UInt8"), ErrorCode::CANNOT_PARSE_NUMBER);
        assert_eq!(err("abc", "Int32"), ErrorCode::CANNOT_PARSE_TEXT);
        assert_eq!(err("2020-13-45", "Date"), ErrorCode::CANNOT_PARSE_DATE);
        assert_eq!(err("x", "DateTime"), ErrorCode::CANNOT_PARSE_DATETIME);
        assert_eq!(err("zz", "UUID"), ErrorCode::CANNOT_PARSE_UUID);
        assert_eq!(err("1.2.3", "IPv4"), ErrorCode::CANNOT_PARSE_IPV4);
        assert_eq!(
            err("abcd", "FixedString(2)"),
            ErrorCode::TOO_LARGE_STRING_SIZE
        );
        assert_eq!(
            err("[1,", "Array(UInt8)"),
            ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED
        );
        assert_eq!(err("maybe", "Bool"), ErrorCode::CANNOT_PARSE_BOOL);
        let nulls = parse_column(&[None], &ChType::UInt8, &s).unwrap();
        assert_eq!(nulls.null_count(), 0);
    }
}
