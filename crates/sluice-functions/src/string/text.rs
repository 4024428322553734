//! ClickHouse's text form of a value (`serializeText`), used where a function turns an
//! arbitrary argument into a string (`concat`, `format`, `concatWithSeparator`) and by the
//! family tests to compare with the oracle's output.
//!
//! Top-level strings are written raw; inside arrays, tuples and maps they are quoted
//! (`'a\'b'`), NULL is `NULL`, floats use the shortest round-trip digits with exponent
//! notation outside `[1e-6, 1e21)`, decimals drop trailing zeros.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use datafusion::common::Result;
use sluice_common::ChType;

use super::col::StrCol;
use crate::ch_bail;

/// Appends the text form of row `i` of `arr` (ClickHouse type `t`) to `out`; `quoted`
/// writes strings the way they appear inside composite values.
pub(crate) fn write_text(
    arr: &ArrayRef,
    i: usize,
    t: &ChType,
    quoted: bool,
    out: &mut Vec<u8>,
) -> Result<()> {
    if arr.is_null(i) || *arr.data_type() == DataType::Null {
        out.extend_from_slice(if quoted { b"NULL" } else { b"\\N" });
        return Ok(());
    }
    let base = match t {
        ChType::Nullable(x) | ChType::LowCardinality(x) => x.base(),
        t => t,
    };
    if let DataType::Dictionary(..) = arr.data_type() {
        let values = datafusion::arrow::compute::cast(arr, &base.to_arrow())?;
        return write_text(&values, i, base, quoted, out);
    }
    match base {
        ChType::UInt8 => num::<UInt8Type>(arr, i, out),
        ChType::UInt16 => num::<UInt16Type>(arr, i, out),
        ChType::UInt32 => num::<UInt32Type>(arr, i, out),
        ChType::UInt64 => num::<UInt64Type>(arr, i, out),
        ChType::Int8 => num::<Int8Type>(arr, i, out),
        ChType::Int16 => num::<Int16Type>(arr, i, out),
        ChType::Int32 => num::<Int32Type>(arr, i, out),
        ChType::Int64 => num::<Int64Type>(arr, i, out),
        ChType::Bool => {
            let v = arr.as_boolean().value(i);
            out.extend_from_slice(if v { b"true" } else { b"false" });
        }
        ChType::Float32 | ChType::BFloat16 => {
            let v = arr.as_primitive::<Float32Type>().value(i);
            write_float(format!("{v:e}"), v.is_finite(), v.is_nan(), v < 0.0, out)
        }
        ChType::Float64 => {
            let v = arr.as_primitive::<Float64Type>().value(i);
            write_float(format!("{v:e}"), v.is_finite(), v.is_nan(), v < 0.0, out)
        }
        ChType::Decimal { scale, .. } => {
            let digits = match arr.data_type() {
                DataType::Decimal128(..) => {
                    arr.as_primitive::<Decimal128Type>().value(i).to_string()
                }
                _ => arr.as_primitive::<Decimal256Type>().value(i).to_string(),
            };
            write_decimal(&digits, *scale as usize, out);
        }
        ChType::UInt128 | ChType::UInt256 | ChType::Int128 | ChType::Int256 => {
            let v = arr.as_primitive::<Decimal256Type>().value(i);
            out.extend_from_slice(v.to_string().as_bytes());
        }
        ChType::String | ChType::FixedString(_) | ChType::Enum8(_) | ChType::Enum16(_) => {
            let s = StrCol::new(arr, "toString")?;
            if quoted {
                write_quoted(s.get(i), out);
            } else {
                out.extend_from_slice(s.get(i));
            }
        }
        ChType::Uuid => {
            let s = StrCol::new(arr, "toString")?;
            let h = hex::encode(s.get(i));
            let text = if h.len() == 32 {
                format!(
                    "{}-{}-{}-{}-{}",
                    &h[0..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..]
                )
            } else {
                h
            };
            quote_if(quoted, text.as_bytes(), out);
        }
        ChType::IPv4 => {
            let v = arr.as_primitive::<UInt32Type>().value(i);
            let text = std::net::Ipv4Addr::from(v).to_string();
            quote_if(quoted, text.as_bytes(), out);
        }
        ChType::IPv6 => {
            let s = StrCol::new(arr, "toString")?;
            let b: [u8; 16] = s.get(i).try_into().unwrap_or([0; 16]);
            let a = std::net::Ipv6Addr::from(b);
            let text = match a.to_ipv4_mapped() {
                Some(v4) => format!("::ffff:{v4}"),
                None => a.to_string(),
            };
            quote_if(quoted, text.as_bytes(), out);
        }
        ChType::Date => {
            let d = arr.as_primitive::<Date32Type>().value(i);
            let text = date_text(d as i64);
            quote_if(quoted, text.as_bytes(), out);
        }
        ChType::Date32 => {
            let ms = arr.as_primitive::<Date64Type>().value(i);
            let text = date_text(ms.div_euclid(86_400_000));
            quote_if(quoted, text.as_bytes(), out);
        }
        ChType::DateTime(tz) => {
            let s = arr.as_primitive::<TimestampSecondType>().value(i);
            let text = datetime_text(s, 0, 0, tz.as_deref());
            quote_if(quoted, text.as_bytes(), out);
        }
        ChType::DateTime64(p, tz) => {
            let (v, unit_digits) = match arr.data_type() {
                DataType::Timestamp(TimeUnit::Millisecond, _) => {
                    (arr.as_primitive::<TimestampMillisecondType>().value(i), 3)
                }
                DataType::Timestamp(TimeUnit::Microsecond, _) => {
                    (arr.as_primitive::<TimestampMicrosecondType>().value(i), 6)
                }
                DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                    (arr.as_primitive::<TimestampNanosecondType>().value(i), 9)
                }
                _ => (arr.as_primitive::<TimestampSecondType>().value(i), 0),
            };
            let scale = 10i64.pow(unit_digits);
            let secs = v.div_euclid(scale);
            let frac = v.rem_euclid(scale);
            // Rescale the fraction to the type's precision.
            let p = *p as u32;
            let frac = if p >= unit_digits {
                frac * 10i64.pow(p - unit_digits)
            } else {
                frac / 10i64.pow(unit_digits - p)
            };
            let text = datetime_text(secs, frac, p, tz.as_deref());
            quote_if(quoted, text.as_bytes(), out);
        }
        ChType::Array(et) => {
            let l = arr.as_list::<i32>();
            let vals = l.value(i);
            out.push(b'[');
            for j in 0..vals.len() {
                if j > 0 {
                    out.push(b',');
                }
                write_text(&vals, j, et, true, out)?;
            }
            out.push(b']');
        }
        ChType::Tuple(elems) => {
            let s = arr.as_struct();
            out.push(b'(');
            for (j, (_, et)) in elems.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                write_text(s.column(j), i, et, true, out)?;
            }
            out.push(b')');
        }
        ChType::Map(kt, vt) => {
            let m = arr.as_map();
            let entries = m.value(i);
            out.push(b'{');
            for j in 0..entries.len() {
                if j > 0 {
                    out.push(b',');
                }
                write_text(entries.column(0), j, kt, true, out)?;
                out.push(b':');
                write_text(entries.column(1), j, vt, true, out)?;
            }
            out.push(b'}');
        }
        ChType::Nothing => out.extend_from_slice(b"NULL"),
        other => ch_bail!(
            NOT_IMPLEMENTED,
            "Text form of type {other} is not implemented"
        ),
    }
    Ok(())
}

fn quote_if(quoted: bool, text: &[u8], out: &mut Vec<u8>) {
    if quoted {
        out.push(b'\'');
        out.extend_from_slice(text);
        out.push(b'\'');
    } else {
        out.extend_from_slice(text);
    }
}

fn num<T: datafusion::arrow::datatypes::ArrowPrimitiveType>(
    arr: &ArrayRef,
    i: usize,
    out: &mut Vec<u8>,
) where
    T::Native: std::fmt::Display,
{
    out.extend_from_slice(arr.as_primitive::<T>().value(i).to_string().as_bytes());
}

/// Writes a string quoted and escaped as ClickHouse does inside composite values.
pub(crate) fn write_quoted(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'\'');
    for &c in s {
        match c {
            b'\'' => out.extend_from_slice(b"\\'"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0 => out.extend_from_slice(b"\\0"),
            8 => out.extend_from_slice(b"\\b"),
            12 => out.extend_from_slice(b"\\f"),
            c => out.push(c),
        }
    }
    out.push(b'\'');
}

/// Formats a float from Rust's shortest `{:e}` form the way ClickHouse prints it.
fn write_float(sci: String, finite: bool, nan: bool, neg: bool, out: &mut Vec<u8>) {
    if nan {
        out.extend_from_slice(b"nan");
        return;
    }
    if !finite {
        out.extend_from_slice(if neg { b"-inf" } else { b"inf" });
        return;
    }
    let (mant, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mant) = match mant.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mant),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    if digits == "0" {
        out.extend_from_slice(format!("{sign}0").as_bytes());
        return;
    }
    let k = digits.len() as i32;
    let n = exp + 1; // value = 0.digits × 10^n
    let text = if k <= n && n <= 21 {
        format!("{sign}{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{sign}{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-n) as usize))
    } else if k == 1 {
        format!("{sign}{digits}e{}", n - 1)
    } else {
        format!("{sign}{}.{}e{}", &digits[..1], &digits[1..], n - 1)
    };
    out.extend_from_slice(text.as_bytes());
}

fn write_decimal(digits: &str, scale: usize, out: &mut Vec<u8>) {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits),
    };
    let padded = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits.to_string()
    };
    let (int, frac) = padded.split_at(padded.len() - scale);
    let frac = frac.trim_end_matches('0');
    out.extend_from_slice(sign.as_bytes());
    out.extend_from_slice(int.as_bytes());
    if !frac.is_empty() {
        out.push(b'.');
        out.extend_from_slice(frac.as_bytes());
    }
}

fn date_text(days: i64) -> String {
    let d = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(days)));
    match d {
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => "1970-01-01".to_string(),
    }
}

fn datetime_text(secs: i64, frac: i64, p: u32, tz: Option<&str>) -> String {
    use chrono::TimeZone;
    let utc = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    let base = match tz.and_then(|t| t.parse::<chrono_tz::Tz>().ok()) {
        Some(z) => z
            .from_utc_datetime(&utc.naive_utc())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        None => utc.format("%Y-%m-%d %H:%M:%S").to_string(),
    };
    if p == 0 {
        base
    } else {
        format!("{base}.{frac:0width$}", width = p as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> String {
        let mut o = Vec::new();
        write_float(format!("{v:e}"), v.is_finite(), v.is_nan(), v < 0.0, &mut o);
        String::from_utf8(o).unwrap_or_default()
    }

    #[test]
    fn floats_as_clickhouse() {
        // Oracle: toString(1e16), 1e20, 1e21, 0.0001, 1e-5, 1.5e-7, 123456789012.5, -0., 1e100,
        // 12345678901234567890.
        assert_eq!(f(1e16), "10000000000000000");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(1e21), "1e21");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(1e-5), "0.00001");
        assert_eq!(f(1.5e-7), "1.5e-7");
        assert_eq!(f(123456789012.5), "123456789012.5");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(f(1e100), "1e100");
        assert_eq!(f(12345678901234567890.0), "12345678901234567000");
        assert_eq!(f(f64::NAN), "nan");
        assert_eq!(f(f64::INFINITY), "inf");
    }

    #[test]
    fn decimals_drop_trailing_zeros() {
        // Oracle: toString(toDecimal32(-1.5, 3)) = -1.5
        let mut o = Vec::new();
        write_decimal("-1500", 3, &mut o);
        assert_eq!(o, b"-1.5");
        o.clear();
        write_decimal("5", 2, &mut o);
        assert_eq!(o, b"0.05");
        o.clear();
        write_decimal("200", 2, &mut o);
        assert_eq!(o, b"2");
    }
}
