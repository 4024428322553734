//! `simpleJSON*` / `visitParam*`: ClickHouse's textual JSON helpers. They do not parse the
//! document: they find the first occurrence of `"name":` anywhere in the text and read the
//! value that starts right after it (no whitespace skipped), with the rules below taken from
//! the oracle:
//!
//! - numbers: an optional `"`, then the longest numeric prefix (`-3x` → -3, `3.7` → 3 for
//!   integers; `nan`/`inf` for floats); overflow or no digits → 0;
//! - `Bool`: 1 iff the value starts with `true`;
//! - `String`: a JSON string (escapes decoded, unknown escapes give the character itself),
//!   anything else or unterminated → `''`;
//! - `Raw`: the text up to the `,` or `}` that ends the value at depth 0 (strings and
//!   brackets skipped), `''` if the document ends first or a `]` closes depth 0.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, FieldRef, Float64Type, Int64Type, UInt8Type, UInt64Type,
};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use memchr::memmem;
use sluice_common::ChType;

use super::cache::JsonColumn;
use super::number::parse_f64;
use super::out::{NumOut, StrOut};
use super::tape::hex4;
use crate::ch_bail;
use crate::util::{arg_type, ch_field};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum VOp {
    Has,
    UInt,
    Int,
    Float,
    Bool,
    Raw,
    Str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct VisitParam {
    name: String,
    aliases: Vec<String>,
    op: VOp,
    signature: Signature,
}

/// The functions of this sub-family (`simpleJSON*` with `visitParam*` aliases).
pub fn functions() -> Vec<ScalarUDF> {
    [
        ("simpleJSONHas", "visitParamHas", VOp::Has),
        ("simpleJSONExtractUInt", "visitParamExtractUInt", VOp::UInt),
        ("simpleJSONExtractInt", "visitParamExtractInt", VOp::Int),
        (
            "simpleJSONExtractFloat",
            "visitParamExtractFloat",
            VOp::Float,
        ),
        ("simpleJSONExtractBool", "visitParamExtractBool", VOp::Bool),
        ("simpleJSONExtractRaw", "visitParamExtractRaw", VOp::Raw),
        (
            "simpleJSONExtractString",
            "visitParamExtractString",
            VOp::Str,
        ),
    ]
    .into_iter()
    .map(|(name, alias, op)| {
        ScalarUDF::new_from_impl(VisitParam {
            name: name.to_string(),
            aliases: vec![alias.to_string()],
            op,
            signature: Signature::user_defined(Volatility::Immutable),
        })
    })
    .collect()
}

impl VisitParam {
    fn base_type(&self) -> ChType {
        match self.op {
            VOp::Has | VOp::Bool => ChType::UInt8,
            VOp::UInt => ChType::UInt64,
            VOp::Int => ChType::Int64,
            VOp::Float => ChType::Float64,
            VOp::Raw | VOp::Str => ChType::String,
        }
    }
}

fn is_str(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
    )
}

impl ScalarUDFImpl for VisitParam {
    fn name(&self) -> &str {
        &self.name
    }
    fn aliases(&self) -> &[String] {
        &self.aliases
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types.to_vec())
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.base_type().to_arrow())
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let f = args.arg_fields;
        if f.len() != 2 {
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Number of arguments for function {} doesn't match: passed {}, should be 2",
                self.name,
                f.len()
            );
        }
        let mut nullable = false;
        for (i, a) in f.iter().enumerate() {
            let dt = match a.data_type() {
                DataType::Dictionary(_, v) => v.as_ref(),
                d => d,
            };
            if matches!(dt, DataType::Null) {
                return Ok(ch_field(
                    self.name(),
                    &ChType::Nullable(Box::new(ChType::Nothing)),
                ));
            }
            if !is_str(dt) {
                ch_bail!(
                    ILLEGAL_TYPE_OF_ARGUMENT,
                    "Illegal type {} of argument {} of function {}",
                    arg_type(a),
                    i + 1,
                    self.name
                );
            }
            nullable |= a.is_nullable();
        }
        let t = self.base_type();
        let t = if nullable {
            ChType::Nullable(Box::new(t))
        } else {
            t
        };
        Ok(ch_field(self.name(), &t))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        let out_type = args.return_field.data_type().clone();
        if out_type == DataType::Null {
            let a = datafusion::arrow::array::new_null_array(&DataType::Null, rows);
            return finish(a, all_scalar);
        }
        let cols: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| {
                let a = a.to_array(rows)?;
                Ok(match a.data_type() {
                    DataType::Dictionary(_, v) => datafusion::arrow::compute::cast(&a, v)?,
                    _ => a,
                })
            })
            .collect::<Result<_>>()?;
        let (Some(json), Some(names)) =
            (JsonColumn::try_new(&cols[0]), JsonColumn::try_new(&cols[1]))
        else {
            ch_bail!(ILLEGAL_COLUMN, "Illegal column of function {}", self.name);
        };
        let mut needle = Vec::new();
        let mut finder: Option<(Vec<u8>, memmem::Finder<'static>)> = None;
        let mut value_at = |row: usize| -> Option<Option<(&[u8], usize)>> {
            if json.is_null(row) || names.is_null(row) {
                return None;
            }
            let name = names.bytes(row);
            if finder.as_ref().map(|(n, _)| n.as_slice()) != Some(name) {
                needle.clear();
                needle.push(b'"');
                needle.extend_from_slice(name);
                needle.extend_from_slice(b"\":");
                finder = Some((name.to_vec(), memmem::Finder::new(&needle).into_owned()));
            }
            let hay = json.bytes(row);
            let f = &finder.as_ref()?.1;
            Some(f.find(hay).map(|p| (hay, p + f.needle().len())))
        };
        let arr: ArrayRef = match self.op {
            VOp::Has | VOp::Bool => {
                let has = self.op == VOp::Has;
                let mut o = NumOut::<UInt8Type>::new(rows);
                for r in 0..rows {
                    match value_at(r) {
                        None => o.null(),
                        Some(None) => o.push(0),
                        Some(Some((h, p))) => o.push(u8::from(has || h[p..].starts_with(b"true"))),
                    }
                }
                o.finish_as(&out_type)?
            }
            VOp::UInt | VOp::Int => {
                let signed = self.op == VOp::Int;
                let mut o = NumOut::<Int64Type>::new(rows);
                for r in 0..rows {
                    match value_at(r) {
                        None => o.null(),
                        Some(None) => o.push(0),
                        Some(Some((h, p))) => o.push(int_prefix(&h[p..], signed).unwrap_or(0)),
                    }
                }
                let a = o.finish_as(&DataType::Int64)?;
                if signed {
                    a
                } else {
                    let u = a
                        .as_primitive::<Int64Type>()
                        .unary::<_, UInt64Type>(|v| v as u64);
                    Arc::new(u)
                }
            }
            VOp::Float => {
                let mut o = NumOut::<Float64Type>::new(rows);
                for r in 0..rows {
                    match value_at(r) {
                        None => o.null(),
                        Some(None) => o.push(0.0),
                        Some(Some((h, p))) => o.push(float_prefix(&h[p..]).unwrap_or(0.0)),
                    }
                }
                o.finish_as(&out_type)?
            }
            VOp::Raw | VOp::Str => {
                let raw = self.op == VOp::Raw;
                let mut o = StrOut::new(rows);
                for r in 0..rows {
                    match value_at(r) {
                        None => o.null(),
                        Some(None) => o.push(b""),
                        Some(Some((h, p))) => {
                            // On failure nothing is appended: the row is `''`.
                            if raw {
                                raw_value(&h[p..], &mut o.values);
                            } else {
                                string_value(&h[p..], &mut o.values);
                            }
                            o.commit();
                        }
                    }
                }
                Arc::new(o.finish()?)
            }
        };
        finish(arr, all_scalar)
    }
}

fn finish(a: ArrayRef, scalar: bool) -> Result<ColumnarValue> {
    if scalar {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&a, 0)?))
    } else {
        Ok(ColumnarValue::Array(a))
    }
}

/// The integer at the start of `s` (after an optional `"`); UInt64 results are returned as
/// their bit pattern in an `i64`.
fn int_prefix(s: &[u8], signed: bool) -> Option<i64> {
    let s = s.strip_prefix(b"\"").unwrap_or(s);
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in &digits[..n] {
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if signed {
        if neg {
            if v > i64::MAX as u64 + 1 {
                return None;
            }
            Some((v as i64).wrapping_neg())
        } else {
            i64::try_from(v).ok()
        }
    } else if neg {
        if v == 0 { Some(0) } else { None }
    } else {
        Some(v as i64)
    }
}

/// The float at the start of `s` (after an optional `"`): longest prefix that parses.
fn float_prefix(s: &[u8]) -> Option<f64> {
    let s = s.strip_prefix(b"\"").unwrap_or(s);
    let n = s
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+'))
        .count();
    (1..=n).rev().find_map(|k| parse_f64(&s[..k]))
}

/// Appends the decoded JSON string at the start of `s`; false if it is not one.
fn string_value(s: &[u8], out: &mut Vec<u8>) -> bool {
    let start = out.len();
    if s.first() != Some(&b'"') {
        return false;
    }
    let mut i = 1;
    while i < s.len() {
        match s[i] {
            b'"' => return true,
            b'\\' => {
                let Some(&e) = s.get(i + 1) else { break };
                i += 2;
                match e {
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'u' => {
                        let Ok(mut cp) = hex4(s, i) else { break };
                        i += 4;
                        if (0xD800..0xDC00).contains(&cp)
                            && s.get(i) == Some(&b'\\')
                            && let Ok(lo) = hex4(s, i + 2)
                        {
                            cp =
                                0x10000 + ((cp - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                            i += 6;
                        }
                        let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                        let mut b = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                    }
                    other => out.push(other),
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out.truncate(start);
    false
}

/// Appends the raw value at the start of `s`; false (nothing appended) if it does not end.
fn raw_value(s: &[u8], out: &mut Vec<u8>) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'"' => {
                i += 1;
                loop {
                    match s.get(i) {
                        None => return false,
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth > 0 => depth -= 1,
            b'}' | b',' if depth == 0 => {
                out.extend_from_slice(&s[..i]);
                return true;
            }
            b',' => {}
            b']' => return false,
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Option<String> {
        let mut o = Vec::new();
        raw_value(s.as_bytes(), &mut o).then(|| String::from_utf8_lossy(&o).into_owned())
    }

    /// Expectations from the oracle (`visitParamExtractRaw` / `…Int` / `…String`).
    #[test]
    fn textual_rules() {
        assert_eq!(raw("12 , \"b\":1}").as_deref(), Some("12 "));
        assert_eq!(
            raw("[1,{\"x\":\"]\"}] }").as_deref(),
            Some("[1,{\"x\":\"]\"}] ")
        );
        assert_eq!(raw(""), None);
        assert_eq!(raw("\"x"), None);
        assert_eq!(raw("[1,2"), None);
        assert_eq!(raw("abc def}").as_deref(), Some("abc def"));
        assert_eq!(raw("1]"), None);
        assert_eq!(int_prefix(b"-3x", true), Some(-3));
        assert_eq!(int_prefix(b"3.7", false), Some(3));
        assert_eq!(int_prefix(b"\"5\"", false), Some(5));
        assert_eq!(int_prefix(b"-1", false), None);
        assert_eq!(int_prefix(b"18446744073709551616", false), None);
        assert_eq!(int_prefix(b"9223372036854775808", true), None);
        assert_eq!(int_prefix(b" 3", true), None);
        assert_eq!(float_prefix(b"1e3}"), Some(1000.0));
        assert_eq!(float_prefix(b"  -5.5e1,"), None);
        assert!(float_prefix(b"nan}").is_some_and(f64::is_nan));
        let mut o = Vec::new();
        assert!(string_value(b"\"\\u0041b\"}", &mut o));
        assert_eq!(o, b"Ab");
        o.clear();
        assert!(string_value(b"\"\\q\"", &mut o));
        assert_eq!(o, b"q");
        o.clear();
        assert!(!string_value(b"\"x}", &mut o));
        assert!(o.is_empty());
    }
}
