//! [`SettingValue`]: the literal on the right of `SETTINGS name = value`, `SET name = value`
//! and `ALTER TABLE … MODIFY SETTING name = value`.

use std::fmt;

/// A setting's value as written. ClickHouse settings take literals only; the engine converts
/// them to each setting's own type.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingValue {
    /// A non-negative integer literal (`8192`).
    UInt(u64),
    /// A negative integer literal (`-1`).
    Int(i64),
    /// A floating-point literal (`0.5`, `1e3`).
    Float(f64),
    /// A string literal, unescaped (`'\n'` holds one newline character).
    String(String),
    /// `true` / `false`.
    Bool(bool),
    /// `NULL`.
    Null,
    /// Anything else ClickHouse accepts as a setting value (arrays, tuples, maps,
    /// identifiers), kept as SQL text formatted by [`crate::format_expr`].
    Other(String),
}

impl SettingValue {
    /// The value as plain text: strings without quotes, numbers and booleans as written
    /// (`true`/`false` become `1`/`0`, as ClickHouse stores them).
    pub fn to_plain_string(&self) -> String {
        match self {
            SettingValue::UInt(v) => v.to_string(),
            SettingValue::Int(v) => v.to_string(),
            SettingValue::Float(v) => v.to_string(),
            SettingValue::String(s) => s.clone(),
            SettingValue::Bool(b) => u8::from(*b).to_string(),
            SettingValue::Null => "NULL".to_string(),
            SettingValue::Other(s) => s.clone(),
        }
    }

    /// The value as an unsigned integer when it is one (also `true`/`false` and numeric
    /// strings, which ClickHouse accepts for numeric settings).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            SettingValue::UInt(v) => Some(*v),
            SettingValue::Int(v) => u64::try_from(*v).ok(),
            SettingValue::Bool(b) => Some(u64::from(*b)),
            SettingValue::String(s) => s.trim().parse().ok(),
            SettingValue::Float(f) if f.fract() == 0.0 && *f >= 0.0 => Some(*f as u64),
            _ => None,
        }
    }
}

impl fmt::Display for SettingValue {
    /// Prints the value as SQL, as `SHOW CREATE TABLE` shows it (`8192`, `'kafka:9092'`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::UInt(v) => write!(f, "{v}"),
            SettingValue::Int(v) => write!(f, "{v}"),
            SettingValue::Float(v) => f.write_str(&crate::format::format_float(*v)),
            SettingValue::String(s) => f.write_str(&crate::format::quote_string(s)),
            SettingValue::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            SettingValue::Null => f.write_str("NULL"),
            SettingValue::Other(s) => f.write_str(s),
        }
    }
}
