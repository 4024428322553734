//! `JSON_EXISTS`, `JSON_VALUE`, `JSON_QUERY`: the SQL/JSON functions over ClickHouse's
//! JSONPath subset — `$`, `.key`, `."quoted key"`, `["key"]`, `[*]`, `[i]` (0-based),
//! `[i, j]`, `[i to j]` (upper bound exclusive); whitespace between tokens is allowed.
//! The path must be a constant (`ILLEGAL_COLUMN`), and anything else is `BAD_ARGUMENTS`
//! "Unable to parse JSONPath".
//!
//! `JSON_EXISTS` is 1 when anything matches; `JSON_VALUE` gives the first match when it is a
//! scalar (strings unescaped, `null` as `null`), else `''`; `JSON_QUERY` gives every match
//! serialized, joined by `, ` inside `[` `]`, or `''` when nothing matches.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, FieldRef, UInt8Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use sluice_common::ChType;

use super::doc::{Doc, Kind};
use super::eval::{Found, Options, check_args, for_each_row, result_type};
use super::out::{NumOut, StrOut};
use super::serialize::write_value;
use crate::ch_bail;
use crate::util::ch_field;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum POp {
    Exists,
    Value,
    Query,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct JsonPathFn {
    name: &'static str,
    op: POp,
    signature: Signature,
}

/// `JSON_EXISTS`, `JSON_VALUE`, `JSON_QUERY`.
pub fn functions() -> Vec<ScalarUDF> {
    [
        ("JSON_EXISTS", POp::Exists),
        ("JSON_VALUE", POp::Value),
        ("JSON_QUERY", POp::Query),
    ]
    .into_iter()
    .map(|(name, op)| {
        ScalarUDF::new_from_impl(JsonPathFn {
            name,
            op,
            signature: Signature::user_defined(Volatility::Immutable),
        })
    })
    .collect()
}

/// One JSONPath step.
#[derive(Clone, Debug, PartialEq)]
enum PStep {
    Key(Vec<u8>),
    All,
    /// Index ranges `[from, to)`.
    Ranges(Vec<(u64, u64)>),
}

fn parse_error<T>() -> Result<T> {
    ch_bail!(BAD_ARGUMENTS, "Unable to parse JSONPath")
}

/// Parses a JSONPath of ClickHouse's subset.
fn parse_path(s: &[u8]) -> Result<Vec<PStep>> {
    let mut i = 0;
    let ws = |i: &mut usize| {
        while *i < s.len() && s[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    ws(&mut i);
    if s.get(i) != Some(&b'$') {
        return parse_error();
    }
    i += 1;
    let mut steps = Vec::new();
    loop {
        ws(&mut i);
        match s.get(i) {
            None => return Ok(steps),
            Some(b'.') => {
                i += 1;
                ws(&mut i);
                if s.get(i) == Some(&b'"') {
                    steps.push(PStep::Key(quoted(s, &mut i)?));
                } else {
                    let st = i;
                    while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
                        i += 1;
                    }
                    if i == st {
                        return parse_error();
                    }
                    steps.push(PStep::Key(s[st..i].to_vec()));
                }
            }
            Some(b'[') => {
                i += 1;
                ws(&mut i);
                match s.get(i) {
                    Some(b'*') => {
                        i += 1;
                        steps.push(PStep::All);
                    }
                    Some(b'"') => steps.push(PStep::Key(quoted(s, &mut i)?)),
                    _ => {
                        let mut ranges = Vec::new();
                        loop {
                            ws(&mut i);
                            let a = number(s, &mut i)?;
                            ws(&mut i);
                            let b = if s[i..].starts_with(b"to") {
                                i += 2;
                                ws(&mut i);
                                number(s, &mut i)?
                            } else {
                                a + 1
                            };
                            ranges.push((a, b));
                            ws(&mut i);
                            if s.get(i) == Some(&b',') {
                                i += 1;
                            } else {
                                break;
                            }
                        }
                        steps.push(PStep::Ranges(ranges));
                    }
                }
                ws(&mut i);
                if s.get(i) != Some(&b']') {
                    return parse_error();
                }
                i += 1;
            }
            Some(_) => return parse_error(),
        }
    }
}

fn quoted(s: &[u8], i: &mut usize) -> Result<Vec<u8>> {
    let st = *i + 1;
    let Some(len) = s[st..].iter().position(|c| *c == b'"') else {
        return parse_error();
    };
    *i = st + len + 1;
    Ok(s[st..st + len].to_vec())
}

fn number(s: &[u8], i: &mut usize) -> Result<u64> {
    let st = *i;
    while *i < s.len() && s[*i].is_ascii_digit() {
        *i += 1;
    }
    match std::str::from_utf8(&s[st..*i])
        .ok()
        .and_then(|t| t.parse().ok())
    {
        Some(v) => Ok(v),
        None => parse_error(),
    }
}

/// Collects the matches of `steps` from value `at`, stopping after `limit` matches.
fn matches(doc: &Doc<'_>, at: usize, steps: &[PStep], out: &mut Vec<usize>, limit: usize) {
    if out.len() >= limit {
        return;
    }
    let Some((first, rest)) = steps.split_first() else {
        out.push(at);
        return;
    };
    match first {
        PStep::Key(k) => {
            if let Some(c) = doc.member(at, k, false) {
                matches(doc, c, rest, out, limit);
            }
        }
        PStep::All => {
            if doc.is_array(at) {
                for c in doc.children(at) {
                    matches(doc, c, rest, out, limit);
                }
            }
        }
        PStep::Ranges(rs) => {
            if doc.is_array(at) {
                for &(a, b) in rs {
                    for (k, c) in doc.children(at).enumerate() {
                        if (a..b).contains(&(k as u64)) {
                            matches(doc, c, rest, out, limit);
                        }
                    }
                }
            }
        }
    }
}

impl ScalarUDFImpl for JsonPathFn {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types.to_vec())
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let n = args.arg_fields.len();
        if n != 2 {
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Number of arguments for function {} doesn't match: passed {n}, should be 2",
                self.name
            );
        }
        let info = check_args(self.name, &args.arg_fields[0], &[])?;
        let base = if self.op == POp::Exists {
            ChType::UInt8
        } else {
            ChType::String
        };
        let mut info = info;
        info.nullable |= args.arg_fields[1].is_nullable();
        Ok(ch_field(self.name, &result_type(base, &info)?))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        let out_type = args.return_field.data_type().clone();
        let path = match &args.args[1] {
            ColumnarValue::Scalar(
                ScalarValue::Utf8(Some(s))
                | ScalarValue::LargeUtf8(Some(s))
                | ScalarValue::Utf8View(Some(s)),
            ) => parse_path(s.as_bytes())?,
            _ => ch_bail!(
                ILLEGAL_COLUMN,
                "Argument at index 1 for function {} must be constant",
                self.name
            ),
        };
        let arr: ArrayRef = if out_type == DataType::Null {
            datafusion::arrow::array::new_null_array(&DataType::Null, rows)
        } else {
            let opts = Options {
                levels: &[0],
                case_insensitive: false,
            };
            let json_only = &args.args[..1];
            let mut found = Vec::new();
            match self.op {
                POp::Exists => {
                    let mut o = NumOut::<UInt8Type>::new(rows);
                    for_each_row(json_only, 0, rows, opts, |f| match f {
                        Found::Null => o.null(),
                        Found::Missing => o.push(0),
                        Found::Value(d, i) => {
                            found.clear();
                            matches(&d, i, &path, &mut found, 1);
                            o.push(u8::from(!found.is_empty()));
                        }
                    })?;
                    o.finish_as(&out_type)?
                }
                POp::Value | POp::Query => {
                    let query = self.op == POp::Query;
                    let mut o = StrOut::new(rows);
                    for_each_row(json_only, 0, rows, opts, |f| match f {
                        Found::Null => o.null(),
                        Found::Missing => o.push(b""),
                        Found::Value(d, i) => {
                            found.clear();
                            matches(&d, i, &path, &mut found, if query { usize::MAX } else { 1 });
                            if query {
                                if !found.is_empty() {
                                    o.values.push(b'[');
                                    for (k, &m) in found.iter().enumerate() {
                                        if k > 0 {
                                            o.values.extend_from_slice(b", ");
                                        }
                                        write_value(&d, m, &mut o.values);
                                    }
                                    o.values.push(b']');
                                }
                            } else if let Some(&m) = found.first() {
                                match d.kind(m) {
                                    Kind::Object | Kind::Array => {}
                                    Kind::Str => d.push_str_content(m, &mut o.values),
                                    _ => write_value(&d, m, &mut o.values),
                                }
                            }
                            o.commit();
                        }
                    })?;
                    Arc::new(o.finish()?)
                }
            }
        };
        if all_scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&arr, 0)?))
        } else {
            Ok(ColumnarValue::Array(arr))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_grammar() {
        assert_eq!(
            parse_path(b"$.a[1][0]").ok(),
            Some(vec![
                PStep::Key(b"a".to_vec()),
                PStep::Ranges(vec![(1, 2)]),
                PStep::Ranges(vec![(0, 1)])
            ])
        );
        assert_eq!(parse_path(b"$ .a").ok().map(|v| v.len()), Some(1));
        assert_eq!(parse_path(b"$[\"a\"][*]").ok().map(|v| v.len()), Some(2));
        assert_eq!(
            parse_path(b"$.a[0 to 1, 3]").ok().map(|v| v[1].clone()),
            Some(PStep::Ranges(vec![(0, 1), (3, 4)]))
        );
        assert!(parse_path(b"a").is_err());
        assert!(parse_path(b"$.a.*").is_err());
        assert!(parse_path(b"$.a[-1]").is_err());
        assert!(parse_path(b"$.a[last]").is_err());
    }
}
