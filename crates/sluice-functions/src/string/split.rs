//! Splitting and joining: `splitByChar`, `splitByString`, `splitByRegexp`,
//! `splitByWhitespace`, `splitByNonAlpha`, `arrayStringConcat` (`array_to_string`).
//!
//! The optional `max_substrings` argument keeps only the first N pieces (N ≤ 0: all).
//! An empty separator (string or regexp) splits into single bytes / code points.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use memchr::memmem;
use sluice_common::ChType;

use super::basic::utf8_seq_len;
use super::col::{StrBuilder, StrCol, ints};
use super::pattern::compile;
use super::rules::{arity, is_string, want_int, want_string};
use super::udf::{Args, ChUdf, Ret, TypeArgs};
use crate::array::lists::{build_list, elem_type, list, range_of};
use crate::ch_bail;

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("splitByChar", split_type, split_by_char).build(),
        ChUdf::new("splitByString", split_type, split_by_string).build(),
        ChUdf::new("splitByRegexp", split_type, split_by_regexp).build(),
        ChUdf::new("splitByWhitespace", split_one_type, split_by_whitespace).build(),
        ChUdf::new("splitByNonAlpha", split_one_type, split_by_non_alpha).build(),
        ChUdf::new("arrayStringConcat", join_type, array_string_concat)
            .ci_aliases(&["array_to_string"])
            .no_low_card()
            .build(),
    ]
}

fn split_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 3)?;
    want_string(a, 0)?;
    want_string(a, 1)?;
    if a.types.len() == 3 {
        want_int(a, 2)?;
    }
    Ok(ChType::Array(Box::new(ChType::String)).into())
}

fn split_one_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 2)?;
    want_string(a, 0)?;
    if a.types.len() == 2 {
        want_int(a, 1)?;
    }
    Ok(ChType::Array(Box::new(ChType::String)).into())
}

/// Collects pieces per row into an `Array(String)` column.
fn split_rows(
    a: &Args,
    s_arg: usize,
    max_arg: Option<usize>,
    mut f: impl FnMut(usize, &[u8], &mut Vec<(usize, usize)>) -> Result<()>,
) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[s_arg], a.name)?;
    let max = match max_arg.and_then(|k| a.cols.get(k)) {
        Some(c) => Some(ints(c, a.name)?),
        None => None,
    };
    let mut b = StrBuilder::new(a.rows, false);
    let mut offsets = vec![0i32];
    let mut total = 0i32;
    let mut pieces = Vec::new();
    for i in 0..a.rows {
        let v = s.get(i);
        pieces.clear();
        f(i, v, &mut pieces)?;
        let limit = match &max {
            Some(m) if m[i] > 0 => m[i] as usize,
            _ => usize::MAX,
        };
        for (st, en) in pieces.iter().take(limit) {
            b.append(&v[*st..*en])?;
            total += 1;
        }
        offsets.push(total);
    }
    build_list(&ChType::String, offsets, b.finish()?)
}

/// Splits `v` at each occurrence of `sep` (non-empty).
fn split_at_sep(v: &[u8], sep: &[u8], out: &mut Vec<(usize, usize)>) {
    let mut pos = 0;
    for m in memmem::find_iter(v, sep) {
        if m < pos {
            continue;
        }
        out.push((pos, m));
        pos = m + sep.len();
    }
    out.push((pos, v.len()));
}

fn split_by_char(a: &Args) -> Result<ArrayRef> {
    let sep = StrCol::new(&a.cols[0], a.name)?;
    for i in 0..a.rows {
        if sep.get(i).len() != 1 {
            ch_bail!(
                BAD_ARGUMENTS,
                "Illegal separator for function splitByChar. Must be exactly one byte"
            );
        }
    }
    split_rows(a, 1, Some(2), |i, v, out| {
        split_at_sep(v, sep.get(i), out);
        Ok(())
    })
}

fn code_points(v: &[u8], out: &mut Vec<(usize, usize)>) {
    let mut i = 0;
    while i < v.len() {
        let l = utf8_seq_len(v[i]).min(v.len() - i);
        out.push((i, i + l));
        i += l;
    }
}

fn split_by_string(a: &Args) -> Result<ArrayRef> {
    let sep = StrCol::new(&a.cols[0], a.name)?;
    split_rows(a, 1, Some(2), |i, v, out| {
        let sp = sep.get(i);
        if sp.is_empty() {
            code_points(v, out);
        } else {
            split_at_sep(v, sp, out);
        }
        Ok(())
    })
}

fn split_by_regexp(a: &Args) -> Result<ArrayRef> {
    let pats = StrCol::new(&a.cols[0], a.name)?;
    let mut cache: std::collections::HashMap<Vec<u8>, regex::bytes::Regex> = Default::default();
    split_rows(a, 1, Some(2), |i, v, out| {
        let p = pats.get(i);
        if p.is_empty() {
            code_points(v, out);
            return Ok(());
        }
        if !cache.contains_key(p) {
            cache.insert(p.to_vec(), compile(p, false)?);
        }
        let Some(re) = cache.get(p) else {
            return Ok(());
        };
        let mut pos = 0;
        for m in re.find_iter(v) {
            if m.start() == m.end() {
                continue;
            }
            out.push((pos, m.start()));
            pos = m.end();
        }
        out.push((pos, v.len()));
        Ok(())
    })
}

/// Splits into maximal runs of bytes for which `keep` holds.
fn runs(v: &[u8], keep: impl Fn(u8) -> bool, out: &mut Vec<(usize, usize)>) {
    let mut i = 0;
    while i < v.len() {
        while i < v.len() && !keep(v[i]) {
            i += 1;
        }
        let st = i;
        while i < v.len() && keep(v[i]) {
            i += 1;
        }
        if i > st {
            out.push((st, i));
        }
    }
}

fn split_by_whitespace(a: &Args) -> Result<ArrayRef> {
    split_rows(a, 0, Some(1), |_, v, out| {
        runs(v, |c| !c.is_ascii_whitespace() && c != 0x0B, out);
        Ok(())
    })
}

fn split_by_non_alpha(a: &Args) -> Result<ArrayRef> {
    split_rows(a, 0, Some(1), |_, v, out| {
        runs(v, |c| c.is_ascii_alphanumeric() || c >= 0x80, out);
        Ok(())
    })
}

fn join_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 2)?;
    if !matches!(a.types[0], ChType::Array(_)) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "First argument for function {} must be an array.",
            a.name
        );
    }
    if a.types.len() == 2 && !is_string(&a.types[1]) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Second argument for function {} must be constant string.",
            a.name
        );
    }
    Ok(ChType::String.into())
}

fn array_string_concat(a: &Args) -> Result<ArrayRef> {
    let l = list(&a.cols[0], a.name)?;
    let et = elem_type(&a.types[0]);
    let values = l.values();
    let sep = match a.cols.get(1) {
        Some(c) => Some(StrCol::new(c, a.name)?),
        None => None,
    };
    let strs = if is_string(et.base()) && !matches!(et, ChType::LowCardinality(_)) {
        StrCol::new(values, a.name).ok()
    } else {
        None
    };
    let mut b = StrBuilder::new(a.rows, false);
    for i in 0..a.rows {
        let mut first = true;
        for j in range_of(l, i) {
            // NULL elements are skipped.
            if crate::array::lists::null_at(values.as_ref(), j) {
                continue;
            }
            if !first && let Some(s) = &sep {
                b.push_bytes(s.get(i));
            }
            first = false;
            match &strs {
                Some(s) => b.push_bytes(s.get(j)),
                None => sluice_formats::text::write_value(
                    b.current(),
                    values.as_ref(),
                    j,
                    &et,
                    &sluice_formats::text::TextContext::default(),
                ),
            }
        }
        b.finish_row()?;
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    fn arr(v: Vec<E>) -> E {
        call("array", v)
    }

    #[test]
    fn splits() {
        // Oracle: splitByChar(',', 'a,,b,') = ['a','','b','']; splitByString(', ', 'a, b, c') =
        // ['a','b','c']; splitByString('', 'abc') = ['a','b','c']; splitByRegexp('\\d+', 'a1b22c')
        // = ['a','b','c']; splitByRegexp('', 'abc') = ['a','b','c']; splitByChar(',', '') = [''];
        // splitByChar(',', 'a,b,c', 2) = ['a','b']; splitByString(', ', 'a, b, c', 2) = ['a','b'];
        // splitByChar(',', 'a,b,c', 0) = ['a','b','c']; splitByWhitespace('  a b\tc\n ') =
        // ['a','b','c']; splitByNonAlpha('a1b,c') = ['a1b','c']; splitByChar('ab', 'a') → 36.
        let sp = |name: &'static str, args: Vec<E>| one(call(name, args));
        assert_eq!(
            sp("splitByChar", vec![s(","), s("a,,b,")]),
            ("Array(String)\t['a','','b','']")
        );
        assert_eq!(
            sp("splitByString", vec![s(", "), s("a, b, c")]),
            ("Array(String)\t['a','b','c']")
        );
        assert_eq!(
            sp("splitByString", vec![s(""), s("abc")]),
            ("Array(String)\t['a','b','c']")
        );
        assert_eq!(
            sp("splitByRegexp", vec![s("\\d+"), s("a1b22c")]),
            ("Array(String)\t['a','b','c']")
        );
        assert_eq!(
            sp("splitByRegexp", vec![s(""), s("abc")]),
            ("Array(String)\t['a','b','c']")
        );
        assert_eq!(
            sp("splitByChar", vec![s(","), s("")]),
            ("Array(String)\t['']")
        );
        assert_eq!(
            sp("splitByChar", vec![s(","), s("a,b,c"), n(2)]),
            ("Array(String)\t['a','b']")
        );
        assert_eq!(
            sp("splitByString", vec![s(", "), s("a, b, c"), n(2)]),
            ("Array(String)\t['a','b']")
        );
        assert_eq!(
            sp("splitByChar", vec![s(","), s("a,b,c"), n(0)]),
            ("Array(String)\t['a','b','c']")
        );
        assert_eq!(
            sp("splitByWhitespace", vec![s("  a b\tc\n ")]),
            ("Array(String)\t['a','b','c']")
        );
        assert_eq!(
            sp("splitByNonAlpha", vec![s("a1b,c")]),
            ("Array(String)\t['a1b','c']")
        );
        assert_code(call("splitByChar", vec![s("ab"), s("a")]), 36);
    }

    #[test]
    fn joins() {
        // Oracle (00255): arrayStringConcat(['Hello', 'World']) = 'HelloWorld';
        // (['Hello', 'World'], ', ') = 'Hello, World'; arrayStringConcat(emptyArrayString()) = '';
        // ([Null, 'hello', Null, 'world', Null, 'xyz', 'def', Null], ';') = 'hello;world;xyz;def';
        // ([Null, Null], ';') = ''; arrayStringConcat([1,2], '-') = '1-2'; ([[1]], '-') = '[1]'.
        let hw = || arr(vec![s("Hello"), s("World")]);
        assert_eq!(
            one(call("arrayStringConcat", vec![hw()])),
            "String\tHelloWorld"
        );
        assert_eq!(
            one(call("arrayStringConcat", vec![hw(), s(", ")])),
            "String\tHello, World"
        );
        assert_eq!(
            one(call(
                "arrayStringConcat",
                vec![call("emptyArrayString", vec![])]
            )),
            "String\t"
        );
        let with_nulls = arr(vec![
            null(),
            s("hello"),
            null(),
            s("world"),
            null(),
            s("xyz"),
            s("def"),
            null(),
        ]);
        assert_eq!(
            one(call("arrayStringConcat", vec![with_nulls, s(";")])),
            "String\thello;world;xyz;def"
        );
        assert_eq!(
            one(call(
                "arrayStringConcat",
                vec![arr(vec![null(), null()]), s(";")]
            )),
            "String\t"
        );
        assert_eq!(
            one(call(
                "arrayStringConcat",
                vec![arr(vec![n(1), n(2)]), s("-")]
            )),
            "String\t1-2"
        );
        assert_eq!(
            one(call(
                "arrayStringConcat",
                vec![arr(vec![arr(vec![n(1)])]), s("-")]
            )),
            "String\t[1]"
        );
    }
}
