//! Parsing one value from its unescaped text (`CAST(s AS T)`, a TSV/CSV field, a JSON
//! string): numbers, decimals, dates, UUIDs, addresses, enums, and containers written
//! as literals (`[1,2]`, `(1,'a')`, `{'k':1}`).

use arrow::datatypes::{DataType, TimeUnit, i256};
use chrono_tz::Tz;
use sluice_common::{ChType, Error, ErrorCode, Result};

use super::datetime::{parse_date_days, parse_datetime};
use super::quoted::QuotedParser;
use super::value::Value;
use crate::settings::{DateTimeInputFormat, FormatSettings};

fn cannot_parse(code: ErrorCode, s: &[u8], t: &ChType) -> Error {
    Error::new(
        code,
        format!(
            "Cannot parse string '{}' as {t}",
            String::from_utf8_lossy(s)
        ),
    )
}

/// Parses `s` as an integer of a type with the given signedness, wrapping into range as
/// ClickHouse's text reader does.
fn parse_int(s: &str, unsigned: bool, t: &ChType) -> Result<i128> {
    let err = || cannot_parse(ErrorCode::CANNOT_PARSE_TEXT, s.as_bytes(), t);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    if neg && unsigned {
        return Err(Error::new(
            ErrorCode::CANNOT_PARSE_NUMBER,
            format!("Unsigned type must not contain '-' symbol: Cannot parse {t} from String"),
        ));
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v.wrapping_mul(10).wrapping_add(i128::from(b - b'0'));
    }
    Ok(if neg { -v } else { v })
}

fn parse_big(s: &str, t: &ChType) -> Result<i256> {
    i256::from_string(s.trim_start_matches('+'))
        .ok_or_else(|| cannot_parse(ErrorCode::CANNOT_PARSE_TEXT, s.as_bytes(), t))
}

/// Unscaled decimal value of `s` at `scale` (extra fraction digits are truncated).
fn parse_decimal(s: &str, precision: u8, scale: u8, t: &ChType) -> Result<Value> {
    let err = || cannot_parse(ErrorCode::CANNOT_PARSE_TEXT, s.as_bytes(), t);
    let (mant, exp) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().map_err(|_| err())?),
        None => (s, 0),
    };
    let (neg, mant) = match mant.as_bytes().first() {
        Some(b'-') => (true, &mant[1..]),
        Some(b'+') => (false, &mant[1..]),
        _ => (false, mant),
    };
    let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
    if (ip.is_empty() && fp.is_empty()) || !ip.bytes().chain(fp.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(err());
    }
    let mut digits: String = format!("{ip}{fp}");
    let point = ip.len() as i32 + exp;
    // Digits after the point that we keep: `scale`.
    let keep = point + i32::from(scale);
    if keep <= 0 {
        digits = "0".into();
    } else if (keep as usize) <= digits.len() {
        digits.truncate(keep as usize);
    } else {
        digits.extend(std::iter::repeat_n('0', keep as usize - digits.len()));
    }
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if digits.len() > usize::from(precision) {
        return Err(Error::new(
            ErrorCode::ARGUMENT_OUT_OF_BOUND,
            format!("Decimal value is too big: {s} does not fit into {t}"),
        ));
    }
    let text = if neg {
        format!("-{digits}")
    } else {
        digits.to_string()
    };
    if precision <= 38 {
        text.parse::<i128>().map(Value::Int).map_err(|_| err())
    } else {
        parse_big(&text, t).map(Value::Big)
    }
}

fn parse_bool(s: &str, settings: &FormatSettings) -> Result<bool> {
    if s == settings.bool_true {
        return Ok(true);
    }
    if s == settings.bool_false {
        return Ok(false);
    }
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" | "enable" => Ok(true),
        "false" | "0" | "no" | "off" | "f" | "n" | "disable" => Ok(false),
        _ => Err(Error::new(
            ErrorCode::CANNOT_PARSE_BOOL,
            format!("Cannot parse boolean value here: '{s}'"),
        )),
    }
}

fn parse_uuid(s: &str, t: &ChType) -> Result<Vec<u8>> {
    let hex: String = s.chars().filter(|&c| c != '-').collect();
    let ok = (s.len() == 36
        && s.as_bytes()[8] == b'-'
        && s.as_bytes()[13] == b'-'
        && s.as_bytes()[18] == b'-'
        && s.as_bytes()[23] == b'-')
        || s.len() == 32;
    if !ok || hex.len() != 32 {
        return Err(cannot_parse(ErrorCode::CANNOT_PARSE_UUID, s.as_bytes(), t));
    }
    (0..16)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
        .collect::<std::result::Result<Vec<u8>, _>>()
        .map_err(|_| cannot_parse(ErrorCode::CANNOT_PARSE_UUID, s.as_bytes(), t))
}

fn tz_of(t: &ChType, settings: &FormatSettings) -> Tz {
    match t {
        ChType::DateTime(Some(tz)) | ChType::DateTime64(_, Some(tz)) => {
            tz.parse().unwrap_or(settings.text.timezone)
        }
        _ => settings.text.timezone,
    }
}

/// Parses the unescaped text `s` as a value of type `t`.
pub fn parse_text(s: &[u8], t: &ChType, settings: &FormatSettings) -> Result<Value> {
    let t = match t {
        ChType::Nullable(i) | ChType::LowCardinality(i) => return parse_text(s, i, settings),
        t => t,
    };
    let text =
        || std::str::from_utf8(s).map_err(|_| cannot_parse(ErrorCode::CANNOT_PARSE_TEXT, s, t));
    Ok(match t {
        ChType::String | ChType::AggregateFunction { .. } => Value::Bytes(s.to_vec()),
        ChType::FixedString(n) => {
            if s.len() > *n {
                return Err(Error::new(
                    ErrorCode::TOO_LARGE_STRING_SIZE,
                    format!("Too large value for FixedString({n})"),
                ));
            }
            Value::Bytes(s.to_vec())
        }
        ChType::UInt8 | ChType::UInt16 | ChType::UInt32 | ChType::UInt64 => {
            let s = text()?;
            if *t == ChType::UInt8 && (s == "true" || s == "false") {
                return Ok(Value::Int(i128::from(s == "true")));
            }
            Value::Int(parse_int(s, true, t)?)
        }
        ChType::Int8 | ChType::Int16 | ChType::Int32 | ChType::Int64 => {
            Value::Int(parse_int(text()?, false, t)?)
        }
        ChType::UInt128 | ChType::UInt256 | ChType::Int128 | ChType::Int256 => {
            let s = text()?;
            if s.starts_with('-') && matches!(t, ChType::UInt128 | ChType::UInt256) {
                return Err(Error::new(
                    ErrorCode::CANNOT_PARSE_NUMBER,
                    format!(
                        "Unsigned type must not contain '-' symbol: Cannot parse {t} from String"
                    ),
                ));
            }
            if s.is_empty()
                || !s
                    .trim_start_matches(['-', '+'])
                    .bytes()
                    .all(|b| b.is_ascii_digit())
            {
                return Err(cannot_parse(ErrorCode::CANNOT_PARSE_TEXT, s.as_bytes(), t));
            }
            Value::Big(parse_big(s, t)?)
        }
        ChType::Float32 | ChType::Float64 | ChType::BFloat16 => {
            let s = text()?;
            let v: f64 = s
                .trim_start_matches('+')
                .parse()
                .map_err(|_| cannot_parse(ErrorCode::CANNOT_PARSE_TEXT, s.as_bytes(), t))?;
            Value::Float(v)
        }
        ChType::Decimal { precision, scale } => parse_decimal(text()?, *precision, *scale, t)?,
        ChType::Bool => Value::Bool(parse_bool(text()?, settings)?),
        ChType::Date | ChType::Date32 => {
            let s = text()?;
            let days = match parse_date_days(s) {
                Some(d) => d,
                None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
                    .parse::<i64>()
                    .map_err(|_| cannot_parse(ErrorCode::CANNOT_PARSE_DATE, s.as_bytes(), t))?,
                None => return Err(cannot_parse(ErrorCode::CANNOT_PARSE_DATE, s.as_bytes(), t)),
            };
            if *t == ChType::Date32 {
                Value::Int(i128::from(days) * 86_400_000)
            } else {
                Value::Int(i128::from(days))
            }
        }
        ChType::DateTime(_) | ChType::DateTime64(..) => {
            let s = text()?;
            let tz = tz_of(t, settings);
            let best = settings.date_time_input_format == DateTimeInputFormat::BestEffort;
            let (secs, nanos) = parse_datetime(s, &tz, best)
                .ok_or_else(|| cannot_parse(ErrorCode::CANNOT_PARSE_DATETIME, s.as_bytes(), t))?;
            let per_sec: i128 = match t.to_arrow() {
                DataType::Timestamp(TimeUnit::Second, _) => 1,
                DataType::Timestamp(TimeUnit::Millisecond, _) => 1_000,
                DataType::Timestamp(TimeUnit::Microsecond, _) => 1_000_000,
                _ => 1_000_000_000,
            };
            let sub = i128::from(nanos) * per_sec / 1_000_000_000;
            // Keep only the type's precision.
            let sub = match t {
                ChType::DateTime64(p, _) => {
                    let unit_digits = per_sec.ilog10();
                    let drop = 10i128.pow(unit_digits.saturating_sub(u32::from(*p)));
                    sub / drop * drop
                }
                _ => 0,
            };
            Value::Int(i128::from(secs) * per_sec + sub)
        }
        ChType::Uuid => Value::Bytes(parse_uuid(text()?, t)?),
        ChType::IPv4 => {
            let s = text()?;
            let a: std::net::Ipv4Addr = s
                .parse()
                .map_err(|_| cannot_parse(ErrorCode::CANNOT_PARSE_IPV4, s.as_bytes(), t))?;
            Value::Int(i128::from(u32::from(a)))
        }
        ChType::IPv6 => {
            let s = text()?;
            let a: std::net::Ipv6Addr = match s.parse() {
                Ok(a) => a,
                Err(_) => s
                    .parse::<std::net::Ipv4Addr>()
                    .map(|v4| v4.to_ipv6_mapped())
                    .map_err(|_| cannot_parse(ErrorCode::CANNOT_PARSE_IPV6, s.as_bytes(), t))?,
            };
            Value::Bytes(a.octets().to_vec())
        }
        ChType::Enum8(_) | ChType::Enum16(_) => {
            let names: Vec<(&str, i64)> = match t {
                ChType::Enum8(v) => v.iter().map(|(n, x)| (n.as_str(), i64::from(*x))).collect(),
                ChType::Enum16(v) => v.iter().map(|(n, x)| (n.as_str(), i64::from(*x))).collect(),
                _ => Vec::new(),
            };
            let s = text()?;
            if let Some((n, _)) = names.iter().find(|(n, _)| *n == s) {
                return Ok(Value::Bytes(n.as_bytes().to_vec()));
            }
            if let Some((n, _)) = s
                .parse::<i64>()
                .ok()
                .and_then(|num| names.iter().find(|(_, v)| *v == num))
            {
                return Ok(Value::Bytes(n.as_bytes().to_vec()));
            }
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                format!("Unknown element '{s}' for enum"),
            ));
        }
        ChType::Array(_) | ChType::Tuple(_) | ChType::Map(..) => {
            let mut p = QuotedParser::new(s, settings);
            let v = p.parse_value(t)?;
            p.skip_ws();
            if !p.at_end() {
                return Err(cannot_parse(ErrorCode::CANNOT_PARSE_TEXT, s, t));
            }
            v
        }
        ChType::Nothing => Value::Null,
        ChType::SimpleAggregateFunction { arg, .. } => parse_text(s, arg, settings)?,
        ChType::Interval(_) => Value::Int(parse_int(text()?, false, t)?),
        ChType::Nullable(_) | ChType::LowCardinality(_) => Value::Null,
    })
}
