//! [`Literal`]: an engine argument or a `SETTINGS` value as the user wrote it, and the
//! conversions ClickHouse applies when such a value becomes a typed Kafka setting
//! (`SettingFieldUInt64`, `SettingFieldBool`, `SettingFieldString`, …), with ClickHouse's
//! error codes and messages.

use sluice_common::{Error, ErrorCode, Result};

/// ClickHouse's `BAD_GET` (170), raised when a String setting is given a number.
/// (Not in `sluice_common::ErrorCode`'s named list yet.)
pub const BAD_GET: ErrorCode = ErrorCode(170);

/// A constant as written in `ENGINE = Kafka(…)` or in `SETTINGS name = value`.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A quoted string (`'x'`), unescaped.
    String(String),
    /// A number as written (`1`, `-3`, `1.5`, `1e2`).
    Number(String),
    /// `true` / `false`.
    Bool(bool),
    /// A bare identifier (`JSONEachRow` in `Kafka('b', 't', g, JSONEachRow)`).
    Identifier(String),
}

/// The value of a numeric literal, as ClickHouse's `Field` holds it.
enum NumField {
    UInt(u64),
    Int(i64),
    Float(f64),
}

impl NumField {
    fn type_name(&self) -> &'static str {
        match self {
            NumField::UInt(_) => "UInt64",
            NumField::Int(_) => "Int64",
            NumField::Float(_) => "Float64",
        }
    }
}

impl Literal {
    /// Shorthand for a string literal.
    pub fn string(s: impl Into<String>) -> Self {
        Literal::String(s.into())
    }

    /// Shorthand for a number literal.
    pub fn number(n: impl ToString) -> Self {
        Literal::Number(n.to_string())
    }

    /// The literal as ClickHouse prints it in `SHOW CREATE TABLE` (identifiers in engine
    /// arguments are printed as strings, as ClickHouse stores them).
    pub fn to_sql(&self) -> String {
        match self {
            Literal::String(s) | Literal::Identifier(s) => quote_string(s),
            Literal::Number(n) => n.clone(),
            Literal::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        }
    }

    fn num_field(&self) -> Option<NumField> {
        match self {
            Literal::Number(n) => {
                let t = n.trim();
                if let Ok(u) = t.parse::<u64>() {
                    Some(NumField::UInt(u))
                } else if let Ok(i) = t.parse::<i64>() {
                    Some(NumField::Int(i))
                } else {
                    t.parse::<f64>().ok().map(NumField::Float)
                }
            }
            Literal::Bool(b) => Some(NumField::UInt(u64::from(*b))),
            _ => None,
        }
    }

    /// The `Field` type name ClickHouse reports for this literal in type errors.
    pub fn field_type_name(&self) -> &'static str {
        match self {
            Literal::String(_) | Literal::Identifier(_) => "String",
            Literal::Bool(_) => "Bool",
            Literal::Number(_) => self.num_field().map_or("Float64", |f| f.type_name()),
        }
    }

    /// As a String setting (`SettingFieldString`): numbers give `BAD_GET`.
    pub fn as_setting_string(&self) -> Result<String> {
        match self {
            Literal::String(s) | Literal::Identifier(s) => Ok(s.clone()),
            other => Err(Error::new(
                BAD_GET,
                format!("Bad get: has {}, requested String", other.field_type_name()),
            )),
        }
    }

    /// As a UInt64 / Milliseconds setting: strings are parsed strictly, numbers converted
    /// with ClickHouse's range checks (floats truncate).
    pub fn as_setting_u64(&self) -> Result<u64> {
        match self {
            Literal::String(s) | Literal::Identifier(s) => parse_u64_text(s),
            _ => match self.num_field() {
                Some(NumField::UInt(u)) => Ok(u),
                Some(NumField::Int(i)) => Err(out_of_range(&i.to_string(), "unsigned long")),
                Some(NumField::Float(f)) if (0.0..18_446_744_073_709_551_616.0).contains(&f) => {
                    Ok(f as u64)
                }
                Some(NumField::Float(f)) => Err(out_of_range(&f.to_string(), "unsigned long")),
                None => Err(Error::new(
                    ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED,
                    format!(
                        "Cannot parse input: expected 'eof' before: '{}'",
                        self.to_sql()
                    ),
                )),
            },
        }
    }

    /// As an Int64 setting.
    pub fn as_setting_i64(&self) -> Result<i64> {
        match self {
            Literal::String(s) | Literal::Identifier(s) => parse_i64_text(s),
            _ => match self.num_field() {
                Some(NumField::UInt(u)) => {
                    i64::try_from(u).map_err(|_| out_of_range(&u.to_string(), "long"))
                }
                Some(NumField::Int(i)) => Ok(i),
                Some(NumField::Float(f)) => Ok(f as i64),
                None => Err(Error::new(
                    ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED,
                    format!(
                        "Cannot parse input: expected 'eof' before: '{}'",
                        self.to_sql()
                    ),
                )),
            },
        }
    }

    /// As a Bool setting: `0`/`1`, `true`/`false` (any case) as text.
    pub fn as_setting_bool(&self) -> Result<bool> {
        match self {
            Literal::String(s) | Literal::Identifier(s) => match s.to_ascii_lowercase().as_str() {
                "1" | "true" => Ok(true),
                "0" | "false" => Ok(false),
                _ => Err(Error::new(
                    ErrorCode::CANNOT_PARSE_BOOL,
                    format!("Cannot parse bool from string '{s}'"),
                )),
            },
            Literal::Bool(b) => Ok(*b),
            _ => match self.num_field() {
                Some(NumField::UInt(0)) => Ok(false),
                Some(NumField::UInt(1)) => Ok(true),
                Some(NumField::UInt(u)) => Err(out_of_range(&u.to_string(), "bool")),
                Some(NumField::Int(i)) => Err(out_of_range(&i.to_string(), "bool")),
                Some(NumField::Float(f)) => Ok(f != 0.0),
                None => Err(Error::new(
                    ErrorCode::CANNOT_PARSE_BOOL,
                    format!("Cannot parse bool from string '{}'", self.to_sql()),
                )),
            },
        }
    }

    /// Whether this literal's type fits an engine argument of type `UInt64` (positional
    /// numeric arguments must be number literals).
    pub fn is_number(&self) -> bool {
        matches!(self, Literal::Number(_) | Literal::Bool(_))
    }
}

fn out_of_range(value: &str, ty: &str) -> Error {
    Error::new(
        ErrorCode::CANNOT_CONVERT_TYPE,
        format!("Field value {value} is out of range of {ty} type"),
    )
}

/// ClickHouse's strict text → UInt64 (`readText` + `assertEOF`).
fn parse_u64_text(s: &str) -> Result<u64> {
    if s.is_empty() {
        return Err(Error::new(
            ErrorCode::ATTEMPT_TO_READ_AFTER_EOF,
            "Attempt to read after eof",
        ));
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == s.len() {
        return s
            .parse::<u64>()
            .map_err(|_| out_of_range(s, "unsigned long"));
    }
    if digits == 0 {
        return Err(Error::new(
            ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED,
            format!("Cannot parse input: expected 'eof' before: '{s}'"),
        ));
    }
    Err(Error::new(
        ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED,
        format!(
            "Cannot parse input: expected 'eof' before: '{}'",
            &s[digits..]
        ),
    ))
}

fn parse_i64_text(s: &str) -> Result<i64> {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let u = parse_u64_text(rest)?;
    let v = i64::try_from(u).map_err(|_| out_of_range(s, "long"))?;
    Ok(if neg { -v } else { v })
}

/// A string literal with ClickHouse's escaping (`'a\'b\\c\n'`).
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64_conversions_match_clickhouse() {
        assert_eq!(Literal::string("2").as_setting_u64(), Ok(2));
        assert_eq!(Literal::number("1.5").as_setting_u64(), Ok(1));
        assert_eq!(Literal::Bool(true).as_setting_u64(), Ok(1));
        let e = Literal::string("x").as_setting_u64().unwrap_err();
        assert_eq!(e.code, ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED);
        assert_eq!(e.message, "Cannot parse input: expected 'eof' before: 'x'");
        let e = Literal::string("12x").as_setting_u64().unwrap_err();
        assert_eq!(e.message, "Cannot parse input: expected 'eof' before: 'x'");
        let e = Literal::string(" 2").as_setting_u64().unwrap_err();
        assert_eq!(e.message, "Cannot parse input: expected 'eof' before: ' 2'");
        let e = Literal::string("").as_setting_u64().unwrap_err();
        assert_eq!(e.code, ErrorCode::ATTEMPT_TO_READ_AFTER_EOF);
        let e = Literal::number("-1").as_setting_u64().unwrap_err();
        assert_eq!(e.code, ErrorCode::CANNOT_CONVERT_TYPE);
        assert_eq!(
            e.message,
            "Field value -1 is out of range of unsigned long type"
        );
    }

    #[test]
    fn bool_and_string_conversions_match_clickhouse() {
        assert_eq!(Literal::string("True").as_setting_bool(), Ok(true));
        assert_eq!(Literal::string("FALSE").as_setting_bool(), Ok(false));
        let e = Literal::string("on").as_setting_bool().unwrap_err();
        assert_eq!(e.code, ErrorCode::CANNOT_PARSE_BOOL);
        assert_eq!(e.message, "Cannot parse bool from string 'on'");
        let e = Literal::number("2").as_setting_bool().unwrap_err();
        assert_eq!(e.code, ErrorCode::CANNOT_CONVERT_TYPE);
        assert_eq!(e.message, "Field value 2 is out of range of bool type");
        let e = Literal::number("5").as_setting_string().unwrap_err();
        assert_eq!(e.code, BAD_GET);
        assert_eq!(e.message, "Bad get: has UInt64, requested String");
        assert_eq!(quote_string("a\n'b"), "'a\\n\\'b'");
    }
}
