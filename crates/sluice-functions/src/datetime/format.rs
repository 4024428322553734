//! `formatDateTime(t, format[, tz])` with ClickHouse's MySQL-style specifiers (`DATE_FORMAT`
//! alias), and `fromUnixTimestamp`/`FROM_UNIXTIME` (a `DateTime`, or formatted text when a
//! format is given).

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use sluice_common::{ChType, Error, ErrorCode};

use super::args::{any_signature, arrays, check_arity, const_str_arg, field, output, scalar_refs};
use super::local::{Local, LocalReader, kind_of};
use super::tz::{Zone, civil_from_days, day_of_year};
use super::week;
use crate::ch_bail;
use crate::conversion::cast::{CastOptions, OnError, cast_array};
use crate::util::{arg_type, ch_error};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One piece of a compiled format.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Lit(String),
    Spec(u8),
}

fn compile(fmt: &str, fname: &str) -> Result<Vec<Token>, Error> {
    let b = fmt.as_bytes();
    let mut out = Vec::new();
    let mut lit = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            lit.push(b[i]);
            i += 1;
            continue;
        }
        let Some(&c) = b.get(i + 1) else {
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                format!(
                    "Sign '%' is the last in format, if you need it, use '%%' (function {fname})"
                ),
            ));
        };
        i += 2;
        match c {
            b'%' => lit.push(b'%'),
            b'n' => lit.push(b'\n'),
            b't' => lit.push(b'\t'),
            b'U' => {
                return Err(Error::new(
                    ErrorCode::NOT_IMPLEMENTED,
                    "format is not supported for WEEK (Sun-Sat)",
                ));
            }
            b'v' => {
                return Err(Error::new(
                    ErrorCode::NOT_IMPLEMENTED,
                    "format is not supported for WEEK (Mon-Sun)",
                ));
            }
            b'X' => {
                return Err(Error::new(
                    ErrorCode::NOT_IMPLEMENTED,
                    "format is not supported for YEAR for week (Sun-Sat)",
                ));
            }
            b'x' => {
                return Err(Error::new(
                    ErrorCode::NOT_IMPLEMENTED,
                    "format is not supported for YEAR for week (Mon-Sun)",
                ));
            }
            b'a' | b'b' | b'c' | b'C' | b'd' | b'D' | b'e' | b'f' | b'F' | b'g' | b'G' | b'h'
            | b'H' | b'i' | b'I' | b'j' | b'k' | b'l' | b'm' | b'M' | b'p' | b'Q' | b'r' | b'R'
            | b's' | b'S' | b'T' | b'u' | b'V' | b'w' | b'W' | b'y' | b'Y' | b'z' => {
                if !lit.is_empty() {
                    out.push(Token::Lit(String::from_utf8_lossy(&lit).into_owned()));
                    lit.clear();
                }
                out.push(Token::Spec(c));
            }
            other => {
                return Err(Error::new(
                    ErrorCode::BAD_ARGUMENTS,
                    format!(
                        "Incorrect syntax '{fmt}', symbol is not supported '{}' for function {fname}",
                        other as char
                    ),
                ));
            }
        }
    }
    if !lit.is_empty() {
        out.push(Token::Lit(String::from_utf8_lossy(&lit).into_owned()));
    }
    Ok(out)
}

fn render(out: &mut String, tokens: &[Token], l: &Local, zone: Zone) {
    use std::fmt::Write;
    let (y, m, d) = civil_from_days(l.days);
    let (h, mi, s) = (l.sod / 3600, l.sod / 60 % 60, l.sod % 60);
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    let wd = super::tz::weekday(l.days) as usize; // 1 = Monday
    for t in tokens {
        let _ = match t {
            Token::Lit(x) => write!(out, "{x}"),
            Token::Spec(c) => match c {
                b'a' => write!(out, "{}", &DAYS[wd - 1][..3]),
                b'W' => write!(out, "{}", DAYS[wd - 1]),
                b'b' => write!(out, "{}", &MONTHS[m as usize - 1][..3]),
                b'M' => write!(out, "{}", MONTHS[m as usize - 1]),
                b'c' | b'm' => write!(out, "{m:02}"),
                b'C' => write!(out, "{:02}", y.div_euclid(100)),
                b'd' => write!(out, "{d:02}"),
                b'e' => write!(out, "{d}"),
                b'D' => write!(out, "{m:02}/{d:02}/{:02}", y.rem_euclid(100)),
                b'F' => write!(out, "{y:04}-{m:02}-{d:02}"),
                b'f' => {
                    let us = match l.digits {
                        0..=6 => l.frac * 10i64.pow(6 - l.digits as u32),
                        dg => l.frac / 10i64.pow(dg as u32 - 6),
                    };
                    write!(out, "{us:06}")
                }
                b'g' => write!(out, "{:02}", week::iso_year(l.days).rem_euclid(100)),
                b'G' => write!(out, "{:04}", week::iso_year(l.days)),
                b'h' | b'I' | b'l' => write!(out, "{h12:02}"),
                b'H' | b'k' => write!(out, "{h:02}"),
                b'i' => write!(out, "{mi:02}"),
                b'j' => write!(out, "{:03}", day_of_year(l.days)),
                b'p' => write!(out, "{}", if h < 12 { "AM" } else { "PM" }),
                b'Q' => write!(out, "{}", (m - 1) / 3 + 1),
                b'r' => write!(out, "{h12:02}:{mi:02} {}", if h < 12 { "AM" } else { "PM" }),
                b'R' => write!(out, "{h:02}:{mi:02}"),
                b's' | b'S' => write!(out, "{s:02}"),
                b'T' => write!(out, "{h:02}:{mi:02}:{s:02}"),
                b'u' => write!(out, "{wd}"),
                b'V' => write!(out, "{:02}", week::iso_week(l.days)),
                b'w' => write!(out, "{}", wd % 7),
                b'y' => write!(out, "{:02}", y.rem_euclid(100)),
                b'Y' => write!(out, "{y:04}"),
                b'z' => {
                    let off = zone.offset_at(l.utc);
                    let sign = if off < 0 { '-' } else { '+' };
                    let a = off.abs();
                    write!(out, "{sign}{:02}{:02}", a / 3600, a % 3600 / 60)
                }
                _ => Ok(()),
            },
        };
    }
}

/// `formatDateTime` and `fromUnixTimestamp`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FormatUdf {
    name: String,
    aliases: Vec<String>,
    /// `fromUnixTimestamp`/`FROM_UNIXTIME`: integer input; without a format → `DateTime`.
    from_unix: bool,
    signature: Signature,
}

impl FormatUdf {
    fn check(
        &self,
        fields: &[FieldRef],
        scalars: &[Option<&ScalarValue>],
    ) -> Result<(ChType, Option<Vec<Token>>, Option<String>)> {
        let name = &self.name;
        let min = if self.from_unix { 1 } else { 2 };
        check_arity(name, fields.len(), min, 3)?;
        let input = arg_type(&fields[0]);
        let ok = if self.from_unix {
            input.base().to_arrow().is_integer() || kind_of(&input).is_some()
        } else {
            kind_of(&input).is_some()
        };
        if !ok && !matches!(input.base(), ChType::Nothing) {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {input} of first argument of function {name}. Should be a date or a date with time"
            );
        }
        let tokens = if fields.len() >= 2 {
            let f = const_str_arg(name, scalars, fields, 1, "format")?;
            Some(compile(&f, name).map_err(ch_error)?)
        } else {
            None
        };
        let tz = if fields.len() == 3 {
            let tz = const_str_arg(name, scalars, fields, 2, "timezone")?;
            Zone::parse(&tz)?;
            Some(tz)
        } else {
            None
        };
        Ok((input, tokens, tz))
    }
}

impl ScalarUDFImpl for FormatUdf {
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
        let (input, tokens, _) = self.check(args.arg_fields, args.scalar_arguments)?;
        let t = if tokens.is_none() {
            ChType::DateTime(None)
        } else {
            ChType::String
        };
        let t = if input.is_nullable() {
            t.into_nullable()
        } else {
            t
        };
        Ok(field(&self.name, &t))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let refs = scalar_refs(&args);
        let (mut input, tokens, tz) = self.check(&args.arg_fields, &refs)?;
        let (cols, all_scalar) = arrays(&args)?;
        let session = Zone::session(&args.config_options)?;
        let mut x = std::sync::Arc::clone(&cols[0]);
        if kind_of(&input).is_none() {
            let t = ChType::DateTime(None).into_nullable();
            let opts = CastOptions {
                session,
                accurate: false,
                on_error: OnError::Throw,
                zone: None,
            };
            x = cast_array(&x, &input, &t, &opts)?;
            input = t;
        }
        let Some(tokens) = tokens else {
            return output(x, all_scalar);
        };
        let zone = match tz.as_deref() {
            Some(t) => Zone::parse(t)?,
            None => Zone::of_type(&input, session)?,
        };
        let out = format_column(&x, &input, &tokens, zone)?;
        output(out, all_scalar)
    }
}

fn format_column(x: &ArrayRef, t: &ChType, tokens: &[Token], zone: Zone) -> Result<ArrayRef> {
    let reader = LocalReader::new(x.as_ref(), t, zone)?;
    let mut b = StringBuilder::with_capacity(x.len(), x.len() * 20);
    let mut s = String::new();
    for i in 0..x.len() {
        match reader.get(i) {
            Some(l) => {
                s.clear();
                render(&mut s, tokens, &l, zone);
                b.append_value(&s);
            }
            None => b.append_null(),
        }
    }
    Ok(std::sync::Arc::new(b.finish()))
}

/// The formatting functions.
pub fn functions() -> Vec<ScalarUDF> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        ScalarUDF::new_from_impl(FormatUdf {
            name: "formatDateTime".into(),
            aliases: s(&["DATE_FORMAT", "date_format"]),
            from_unix: false,
            signature: any_signature(Volatility::Immutable),
        }),
        ScalarUDF::new_from_impl(FormatUdf {
            name: "fromUnixTimestamp".into(),
            aliases: s(&["FROM_UNIXTIME", "from_unixtime"]),
            from_unix: true,
            signature: any_signature(Volatility::Immutable),
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifiers() {
        // Oracle: formatDateTime(toDateTime('2018-01-02 22:33:44'), …) in UTC.
        let tokens = compile("%a %b %c %C %d %D %e %F %h %H %i %I %j %k %m %M %p %r %R %S %T %W %u %w %y %Y %% %z %Q %G %l", "f").unwrap();
        let days = super::super::tz::days_from_civil(2018, 1, 2);
        let sod = 22 * 3600 + 33 * 60 + 44;
        let l = Local {
            days,
            sod,
            utc: days * 86400 + sod,
            frac: 0,
            digits: 0,
        };
        let mut s = String::new();
        render(&mut s, &tokens, &l, Zone::Utc);
        assert_eq!(
            s,
            "Tue Jan 01 20 02 01/02/18 2 2018-01-02 10 22 33 10 002 22 01 January PM 10:33 PM 22:33 44 22:33:44 Tuesday 2 2 18 2018 % +0000 1 2018 10"
        );
        assert_eq!(
            compile("unescaped %", "f").map_err(|e| e.code),
            Err(ErrorCode::BAD_ARGUMENTS)
        );
        assert_eq!(
            compile("%U", "f").map_err(|e| e.code),
            Err(ErrorCode::NOT_IMPLEMENTED)
        );
    }
}
