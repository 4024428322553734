//! Pattern matching: `like`, `notLike`, `ilike`, `notILike` (function-call forms; the engine
//! maps the `LIKE` operator itself), `match` (`REGEXP_MATCHES`), `extract`, `extractAll`,
//! `replaceRegexpOne`, `replaceRegexpAll` (`REGEXP_REPLACE`), `regexpQuoteMeta`.
//!
//! Regular expressions follow RE2 as ClickHouse compiles them (`.` also matches `\n`);
//! the Rust `regex` crate implements the same syntax. Patterns are compiled once per
//! distinct pattern in a batch (once overall when constant).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, UInt8Array};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use regex::bytes::{Regex, RegexBuilder};
use sluice_common::ChType;

use super::col::{StrBuilder, StrCol};
use super::rules::{arity, string_like, want_string};
use super::udf::{Args, ChUdf, Ret, TypeArgs};
use crate::array::lists::build_list;
use crate::ch_bail;

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("like", match_type, like).build(),
        ChUdf::new("notLike", match_type, not_like).build(),
        ChUdf::new("ilike", match_type, ilike).build(),
        ChUdf::new("notILike", match_type, not_ilike).build(),
        ChUdf::new("match", match_type, match_)
            .ci_aliases(&["REGEXP_MATCHES"])
            .build(),
        ChUdf::new("extract", extract_type, extract).build(),
        ChUdf::new("extractAll", extract_all_type, extract_all).build(),
        ChUdf::new("replaceRegexpOne", replace_type, replace_one).build(),
        ChUdf::new("replaceRegexpAll", replace_type, replace_all)
            .ci_aliases(&["REGEXP_REPLACE"])
            .build(),
        ChUdf::new("regexpQuoteMeta", quote_type, quote_meta).build(),
        ChUdf::new("regexpExtract", regexp_extract_type, regexp_extract)
            .ci_aliases(&["REGEXP_SUBSTR"])
            .build(),
    ]
}

/// Compiles a ClickHouse (RE2) regular expression.
pub(crate) fn compile(pattern: &[u8], case_insensitive: bool) -> Result<Regex> {
    let text = String::from_utf8_lossy(pattern);
    match RegexBuilder::new(&text)
        .dot_matches_new_line(true)
        .case_insensitive(case_insensitive)
        .build()
    {
        Ok(r) => Ok(r),
        Err(e) => ch_bail!(
            CANNOT_COMPILE_REGEXP,
            "OptimizedRegularExpression: cannot compile re2: {text}, error: {e}"
        ),
    }
}

/// Translates a LIKE pattern to a regular expression: `%` → any string, `_` → one
/// character, `\%`, `\_`, `\\` → the literal; a backslash before anything else is literal.
pub(crate) fn like_to_regex(p: &[u8]) -> Result<Vec<u8>> {
    let text = String::from_utf8_lossy(p);
    let mut out = String::from("^");
    let mut chars = text.chars();
    let mut buf = [0u8; 4];
    while let Some(c) = chars.next() {
        match c {
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            '\\' => {
                let Some(n) = chars.next() else {
                    ch_bail!(
                        CANNOT_PARSE_ESCAPE_SEQUENCE,
                        "Invalid escape sequence at the end of LIKE pattern '{text}'"
                    );
                };
                if !matches!(n, '%' | '_' | '\\') {
                    out.push_str(&regex::escape("\\"));
                }
                out.push_str(&regex::escape(n.encode_utf8(&mut buf)));
            }
            c => out.push_str(&regex::escape(c.encode_utf8(&mut buf))),
        }
    }
    out.push('$');
    Ok(out.into_bytes())
}

/// Per-row compiled patterns from argument `k`, compiled once per distinct pattern.
struct Patterns<'a> {
    col: StrCol<'a>,
    fixed: Option<Arc<Regex>>,
    cache: HashMap<Vec<u8>, Arc<Regex>>,
    translate: fn(&[u8]) -> Result<Vec<u8>>,
    ci: bool,
}

impl<'a> Patterns<'a> {
    fn new(
        a: &'a Args,
        k: usize,
        translate: fn(&[u8]) -> Result<Vec<u8>>,
        ci: bool,
    ) -> Result<Self> {
        let col = StrCol::new(&a.cols[k], a.name)?;
        // A constant pattern is compiled once for the whole column.
        let fixed = match a.consts.get(k) {
            Some(Some(_)) if a.rows > 0 => Some(Arc::new(compile(&translate(col.get(0))?, ci)?)),
            _ => None,
        };
        Ok(Patterns {
            col,
            fixed,
            cache: HashMap::new(),
            translate,
            ci,
        })
    }

    fn get(&mut self, i: usize) -> Result<Arc<Regex>> {
        if let Some(r) = &self.fixed {
            return Ok(Arc::clone(r));
        }
        let p = self.col.get(i);
        if let Some(r) = self.cache.get(p) {
            return Ok(Arc::clone(r));
        }
        let r = Arc::new(compile(&(self.translate)(p)?, self.ci)?);
        self.cache.insert(p.to_vec(), Arc::clone(&r));
        Ok(r)
    }
}

fn same(p: &[u8]) -> Result<Vec<u8>> {
    Ok(p.to_vec())
}

fn match_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    want_string(a, 0)?;
    want_string(a, 1)?;
    Ok(ChType::UInt8.into())
}

fn run_match(
    a: &Args,
    translate: fn(&[u8]) -> Result<Vec<u8>>,
    ci: bool,
    neg: bool,
) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut pats = Patterns::new(a, 1, translate, ci)?;
    let mut out = Vec::with_capacity(a.rows);
    for i in 0..a.rows {
        let m = pats.get(i)?.is_match(s.get(i));
        out.push(u8::from(m != neg));
    }
    Ok(Arc::new(UInt8Array::from(out)))
}

fn like(a: &Args) -> Result<ArrayRef> {
    run_match(a, like_to_regex, false, false)
}

fn not_like(a: &Args) -> Result<ArrayRef> {
    run_match(a, like_to_regex, false, true)
}

fn ilike(a: &Args) -> Result<ArrayRef> {
    run_match(a, like_to_regex, true, false)
}

fn not_ilike(a: &Args) -> Result<ArrayRef> {
    run_match(a, like_to_regex, true, true)
}

fn match_(a: &Args) -> Result<ArrayRef> {
    run_match(a, same, false, false)
}

fn extract_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    want_string(a, 0)?;
    want_string(a, 1)?;
    Ok(string_like(a, 0))
}

/// The part of a match `extract` returns: group 1 when the pattern has groups.
fn extracted<'h>(re: &Regex, h: &'h [u8], from: usize) -> Option<(&'h [u8], usize, usize)> {
    let caps = re.captures_at(h, from)?;
    let whole = caps.get(0)?;
    let part = if re.captures_len() > 1 {
        caps.get(1).map_or(&h[0..0], |m| m.as_bytes())
    } else {
        whole.as_bytes()
    };
    Some((part, whole.start(), whole.end()))
}

fn extract(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut pats = Patterns::new(a, 1, same, false)?;
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for i in 0..a.rows {
        let re = pats.get(i)?;
        let h = s.get(i);
        b.append(extracted(&re, h, 0).map_or(&[][..], |m| m.0))?;
    }
    b.finish()
}

fn extract_all_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    want_string(a, 0)?;
    want_string(a, 1)?;
    Ok(ChType::Array(Box::new(ChType::String)).into())
}

fn extract_all(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut pats = Patterns::new(a, 1, same, false)?;
    let mut b = StrBuilder::new(a.rows, false);
    let mut offsets = vec![0i32];
    let mut count = 0i32;
    for i in 0..a.rows {
        let re = pats.get(i)?;
        let h = s.get(i);
        let mut pos = 0;
        while pos <= h.len() {
            let Some((part, st, en)) = extracted(&re, h, pos) else {
                break;
            };
            if en == st {
                // Empty matches are skipped, as ClickHouse does.
                pos = st + 1;
                continue;
            }
            b.append(part)?;
            count += 1;
            pos = en;
        }
        offsets.push(count);
    }
    build_list(&ChType::String, offsets, b.finish()?)
}

fn replace_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 3, 3)?;
    for i in 0..3 {
        want_string(a, i)?;
    }
    Ok(string_like(a, 0))
}

/// A parsed replacement: literal bytes and `\N` group references.
enum Rep {
    Lit(Vec<u8>),
    Group(usize),
}

fn parse_replacement(r: &[u8], groups: usize) -> Result<Vec<Rep>> {
    let mut out = Vec::new();
    let mut lit = Vec::new();
    let mut i = 0;
    while i < r.len() {
        if r[i] == b'\\' && i + 1 < r.len() {
            let n = r[i + 1];
            if n.is_ascii_digit() {
                let g = (n - b'0') as usize;
                if g >= groups {
                    ch_bail!(
                        BAD_ARGUMENTS,
                        "Substitution '\\{g}' in replacement argument is invalid, regexp has only {} capturing groups",
                        groups - 1
                    );
                }
                if !lit.is_empty() {
                    out.push(Rep::Lit(std::mem::take(&mut lit)));
                }
                out.push(Rep::Group(g));
            } else {
                lit.push(n);
            }
            i += 2;
        } else {
            lit.push(r[i]);
            i += 1;
        }
    }
    if !lit.is_empty() {
        out.push(Rep::Lit(lit));
    }
    Ok(out)
}

fn replace_regexp(a: &Args, all: bool) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut pats = Patterns::new(a, 1, same, false)?;
    let reps = StrCol::new(&a.cols[2], a.name)?;
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for i in 0..a.rows {
        let h = s.get(i);
        if pats.col.get(i).is_empty() {
            b.append(h)?;
            continue;
        }
        let re = pats.get(i)?;
        let rep = parse_replacement(reps.get(i), re.captures_len())?;
        let out = b.current();
        let mut pos = 0;
        while pos <= h.len() {
            let Some(caps) = re.captures_at(h, pos) else {
                break;
            };
            let Some(m) = caps.get(0) else { break };
            out.extend_from_slice(&h[pos..m.start()]);
            for r in &rep {
                match r {
                    Rep::Lit(l) => out.extend_from_slice(l),
                    Rep::Group(g) => {
                        if let Some(x) = caps.get(*g) {
                            out.extend_from_slice(x.as_bytes());
                        }
                    }
                }
            }
            if m.end() == m.start() {
                // An empty match consumes one byte of input.
                if m.start() < h.len() {
                    out.push(h[m.start()]);
                }
                pos = m.start() + 1;
            } else {
                pos = m.end();
            }
            if !all {
                break;
            }
        }
        if pos < h.len() {
            out.extend_from_slice(&h[pos..]);
        }
        b.finish_row()?;
    }
    b.finish()
}

fn replace_one(a: &Args) -> Result<ArrayRef> {
    replace_regexp(a, false)
}

fn replace_all(a: &Args) -> Result<ArrayRef> {
    replace_regexp(a, true)
}

fn regexp_extract_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 3)?;
    want_string(a, 0)?;
    want_string(a, 1)?;
    if a.types.len() == 3 {
        crate::string::rules::want_int(a, 2)?;
    }
    Ok(string_like(a, 0))
}

/// `regexpExtract(s, re[, index])`: group `index` (default 1; the whole match when the
/// pattern has no group) of the first match, '' when nothing matches.
fn regexp_extract(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut pats = Patterns::new(a, 1, same, false)?;
    let idx = match a.cols.get(2) {
        Some(c) => crate::string::col::ints(c, a.name)?,
        None => vec![1; a.rows],
    };
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for (i, &k) in idx.iter().enumerate() {
        let re = pats.get(i)?;
        let groups = re.captures_len();
        let k = if a.cols.len() == 2 && groups == 1 {
            0
        } else {
            k
        };
        if k < 0 || k as usize >= groups {
            return Err(crate::util::ch_error(sluice_common::Error::new(
                sluice_common::ErrorCode::INDEX_OF_POSITIONAL_ARGUMENT_IS_OUT_OF_RANGE,
                format!(
                    "Index value {k} for regexp pattern `{}` in function regexpExtract is out-of-range, should be in [0, {groups})",
                    re.as_str()
                ),
            )));
        }
        let h = s.get(i);
        let part = re
            .captures(h)
            .and_then(|c| c.get(k as usize))
            .map_or(&[][..], |m| m.as_bytes());
        b.append(part)?;
    }
    b.finish()
}

fn quote_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_string(a, 0)?;
    Ok(string_like(a, 0))
}

fn quote_meta(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for i in 0..a.rows {
        for &c in s.get(i) {
            if b"\0\\|()^$.[]?*+{:-".contains(&c) {
                b.push_bytes(b"\\");
            }
            b.push_bytes(&[c]);
        }
        b.finish_row()?;
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    #[test]
    fn like_forms() {
        // Oracle: like('abc', 'a%') = 1; like('a_c', 'a\\_c') = 1; like('abc', 'a\\_c') = 0;
        // ilike('ABC', 'a%') = 1; notLike('abc', '%b%') = 0; like('привет', 'п_ивет') = 1;
        // like('a\nb', 'a%b') = 1; like('a.b', 'a.b') = 1; like('axb', 'a.b') = 0;
        // like('a\\b', 'a\\\\b') = 1; like('ab', 'a\\b') = 0; like('ab', 'A%') = 0;
        // like('ab', 'a\\') → 25.
        let l = |name: &'static str, x: &str, p: &str| one(call(name, vec![s(x), s(p)]));
        assert_eq!(l("like", "abc", "a%"), "UInt8\t1");
        assert_eq!(l("like", "a_c", "a\\_c"), "UInt8\t1");
        assert_eq!(l("like", "abc", "a\\_c"), "UInt8\t0");
        assert_eq!(l("ilike", "ABC", "a%"), "UInt8\t1");
        assert_eq!(l("notLike", "abc", "%b%"), "UInt8\t0");
        assert_eq!(l("like", "привет", "п_ивет"), "UInt8\t1");
        assert_eq!(l("like", "a\nb", "a%b"), "UInt8\t1");
        assert_eq!(l("like", "a.b", "a.b"), "UInt8\t1");
        assert_eq!(l("like", "axb", "a.b"), "UInt8\t0");
        assert_eq!(l("like", "a\\b", "a\\\\b"), "UInt8\t1");
        assert_eq!(l("like", "ab", "a\\b"), "UInt8\t0");
        assert_eq!(l("like", "ab", "A%"), "UInt8\t0");
        assert_eq!(l("like", "", "%"), "UInt8\t1");
        assert_code(call("like", vec![s("ab"), s("a\\")]), 25);
    }

    #[test]
    fn regexps() {
        // Oracle: match('a\nb', 'a.b') = 1; extract('abc123', '\\d+') = '123';
        // extract('abc123', '([a-z]+)(\\d+)') = 'abc'; extractAll('a1b22c', '\\d+') = ['1','22'];
        // extractAll('a1b22', '([a-z])(\\d+)') = ['a','b']; extract('abc', 'x') = '';
        // extractAll('abc', 'x*') = []; match('abc', '') = 1; match('ABC', '(?i)abc') = 1;
        // match('a', '(') → 427.
        assert_eq!(one(call("match", vec![s("a\nb"), s("a.b")])), "UInt8\t1");
        assert_eq!(
            one(call("extract", vec![s("abc123"), s("\\d+")])),
            "String\t123"
        );
        assert_eq!(
            one(call("extract", vec![s("abc123"), s("([a-z]+)(\\d+)")])),
            "String\tabc"
        );
        assert_eq!(
            one(call("extractAll", vec![s("a1b22c"), s("\\d+")])),
            "Array(String)\t['1','22']"
        );
        assert_eq!(
            one(call("extractAll", vec![s("a1b22"), s("([a-z])(\\d+)")])),
            "Array(String)\t['a','b']"
        );
        assert_eq!(one(call("extract", vec![s("abc"), s("x")])), "String\t");
        assert_eq!(
            one(call("extractAll", vec![s("abc"), s("x*")])),
            "Array(String)\t[]"
        );
        assert_eq!(one(call("match", vec![s("abc"), s("")])), "UInt8\t1");
        assert_eq!(one(call("match", vec![s("ABC"), s("(?i)abc")])), "UInt8\t1");
        assert_code(call("match", vec![s("a"), s("(")]), 427);
    }

    #[test]
    fn regexp_extract() {
        // Oracle: regexpExtract('100-200', '(\\d+)-(\\d+)', 1) = '100'; without index = '100';
        // index 0 = '100-200'; regexpExtract('abc', '(x)', 1) = ''; index 3 → 353.
        let re = "(\\d+)-(\\d+)";
        assert_eq!(
            one(call("regexpExtract", vec![s("100-200"), s(re), n(1)])),
            "String\t100"
        );
        assert_eq!(
            one(call("regexpExtract", vec![s("100-200"), s(re)])),
            "String\t100"
        );
        assert_eq!(
            one(call("regexpExtract", vec![s("100-200"), s(re), n(0)])),
            "String\t100-200"
        );
        assert_eq!(
            one(call("regexpExtract", vec![s("abc"), s("(x)"), n(1)])),
            "String\t"
        );
        assert_code(call("regexpExtract", vec![s("100-200"), s(re), n(3)]), 353);
    }

    #[test]
    fn replacements() {
        // Oracle: replaceRegexpOne('abc', 'b', '[\\0]') = 'a[b]c';
        // replaceRegexpAll('aaa', 'a', 'b\\\\') = 'b\b\b\'; replaceRegexpAll('abc', '', '-') = 'abc';
        // replaceRegexpOne('hello', '(l+)', '<\\1>') = 'he<ll>o';
        // replaceRegexpAll('Hello, World!', '^', 'x') = 'xHello, World!';
        // replaceRegexpAll('abc', 'x*', '-') = '-a-b-c-'; replaceRegexpAll('abc', 'b|', 'X') = 'XaXXcX';
        // replaceRegexpOne('abc', 'x*', '-') = '-abc'; replaceRegexpAll('abc', '(b)', '\\1\\1') = 'abbc';
        // replaceRegexpAll('aXbX', 'X', '\\2') → 36.
        let r =
            |name: &'static str, h: &str, p: &str, x: &str| one(call(name, vec![s(h), s(p), s(x)]));
        assert_eq!(r("replaceRegexpOne", "abc", "b", "[\\0]"), "String\ta[b]c");
        assert_eq!(
            r("replaceRegexpAll", "aaa", "a", "b\\\\"),
            "String\tb\\\\b\\\\b\\\\"
        );
        assert_eq!(r("replaceRegexpAll", "abc", "", "-"), "String\tabc");
        assert_eq!(
            r("replaceRegexpOne", "hello", "(l+)", "<\\1>"),
            "String\the<ll>o"
        );
        assert_eq!(
            r("replaceRegexpAll", "Hello, World!", "^", "x"),
            "String\txHello, World!"
        );
        assert_eq!(r("replaceRegexpAll", "abc", "x*", "-"), "String\t-a-b-c-");
        assert_eq!(r("replaceRegexpAll", "abc", "b|", "X"), "String\tXaXXcX");
        assert_eq!(r("replaceRegexpOne", "abc", "x*", "-"), "String\t-abc");
        assert_eq!(r("REGEXP_REPLACE", "abc", "(b)", "\\1\\1"), "String\tabbc");
        assert_code(
            call("replaceRegexpAll", vec![s("aXbX"), s("X"), s("\\2")]),
            36,
        );
    }

    #[test]
    fn quote_meta() {
        // Oracle: 00807_regexp_quote_meta and regexpQuoteMeta(']}:-/ ,#&~') = '\]}\:\-/ ,#&~'.
        let q = |x: &str| one(call("regexpQuoteMeta", vec![s(x)]));
        assert_eq!(q("hello"), "String\thello");
        assert_eq!(q("hel\\lo"), "String\thel\\\\\\\\lo");
        assert_eq!(q("h{ell}o"), "String\th\\\\{ell}o");
        assert_eq!(q("(h{ell}o)"), "String\t\\\\(h\\\\{ell}o\\\\)");
        assert_eq!(q(""), "String\t");
        assert_eq!(
            q("\0\\|()^$.[?*+{"),
            "String\t\\\\\\0\\\\\\\\\\\\|\\\\(\\\\)\\\\^\\\\$\\\\.\\\\[\\\\?\\\\*\\\\+\\\\{"
        );
        assert_eq!(q("]}:-/ ,#&~"), "String\t\\\\]}\\\\:\\\\-/ ,#&~");
    }
}
