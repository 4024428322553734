//! Substring search: `position` (+`CaseInsensitive`, `UTF8`), `locate` (ClickHouse 26.x
//! order: `locate(needle, haystack[, start])`), `instr`, `startsWith`, `endsWith`.
//!
//! Positions are 1-based (bytes, or code points for the `UTF8` forms), 0 when not found; a
//! start position of 0 counts as 1; an empty needle is found at the start position when it
//! lies within the string (or just past its end).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, UInt8Array, UInt64Array};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use memchr::memmem;
use sluice_common::ChType;

use super::basic::utf8_seq_len;
use super::col::{StrCol, ints};
use super::rules::{arity, illegal, want_string};
use super::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("position", position_type, position)
            .case_insensitive()
            .build(),
        ChUdf::new("positionUTF8", position_type, position_utf8).build(),
        ChUdf::new("positionCaseInsensitive", position_type, position_ci)
            .ci_aliases(&["instr"])
            .build(),
        ChUdf::new(
            "positionCaseInsensitiveUTF8",
            position_type,
            position_ci_utf8,
        )
        .build(),
        ChUdf::new("locate", position_type, locate)
            .case_insensitive()
            .build(),
        ChUdf::new("startsWith", affix_type, starts_with).build(),
        ChUdf::new("endsWith", affix_type, ends_with).build(),
        ChUdf::new("countSubstrings", position_type, count_substrings)
            .case_insensitive()
            .build(),
        ChUdf::new(
            "countSubstringsCaseInsensitive",
            position_type,
            count_substrings_ci,
        )
        .build(),
        ChUdf::new("substringIndex", substring_index_type, substring_index)
            .ci_aliases(&["SUBSTRING_INDEX"])
            .build(),
    ]
}

fn position_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 3)?;
    want_string(a, 0)?;
    want_string(a, 1)?;
    if a.types.len() == 3
        && !matches!(
            a.types[2],
            ChType::UInt8 | ChType::UInt16 | ChType::UInt32 | ChType::UInt64
        )
    {
        ch_illegal_position(a)?;
    }
    Ok(ChType::UInt64.into())
}

fn ch_illegal_position(a: &TypeArgs) -> Result<()> {
    let _ = illegal(a, 2);
    crate::ch_bail!(
        ILLEGAL_TYPE_OF_ARGUMENT,
        "Illegal type {} of argument of function {}",
        a.types[2],
        a.name
    )
}

/// Runs a search kernel with `(haystack, needle, start)` per row (`start` ≥ 1).
fn search(a: &Args, h: usize, n: usize, f: impl Fn(&[u8], &[u8], u64) -> u64) -> Result<ArrayRef> {
    let hs = StrCol::new(&a.cols[h], a.name)?;
    let ns = StrCol::new(&a.cols[n], a.name)?;
    let starts = match a.cols.get(2) {
        Some(c) => ints(c, a.name)?
            .into_iter()
            .map(|v| v.max(1) as u64)
            .collect(),
        None => vec![1u64; a.rows],
    };
    Ok(Arc::new(UInt64Array::from_iter_values(
        (0..a.rows).map(|i| f(hs.get(i), ns.get(i), starts[i])),
    )))
}

fn find_bytes(h: &[u8], n: &[u8], start: u64) -> u64 {
    let from = (start - 1) as usize;
    if from > h.len() {
        return 0;
    }
    match memmem::find(&h[from..], n) {
        Some(p) => (from + p + 1) as u64,
        None => 0,
    }
}

fn position(a: &Args) -> Result<ArrayRef> {
    search(a, 0, 1, find_bytes)
}

fn locate(a: &Args) -> Result<ArrayRef> {
    search(a, 1, 0, find_bytes)
}

fn position_ci(a: &Args) -> Result<ArrayRef> {
    search(a, 0, 1, |h, n, st| {
        find_bytes(&h.to_ascii_lowercase(), &n.to_ascii_lowercase(), st)
    })
}

/// Code points of `s` as (byte offset, lower-cased char or raw byte marker).
fn units(s: &[u8], fold: bool) -> Vec<u32> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let l = utf8_seq_len(s[i]).min(s.len() - i);
        let c = std::str::from_utf8(&s[i..i + l])
            .ok()
            .and_then(|t| t.chars().next());
        let v = match c {
            Some(c) if fold => c.to_lowercase().next().unwrap_or(c) as u32,
            Some(c) => c as u32,
            // Invalid sequences compare by their first byte, outside the char range.
            None => 0x11_0000 + s[i] as u32,
        };
        out.push(v);
        i += l;
    }
    out
}

fn find_units(h: &[u8], n: &[u8], start: u64, fold: bool) -> u64 {
    let hu = units(h, fold);
    let nu = units(n, fold);
    let from = (start - 1) as usize;
    if from > hu.len() {
        return 0;
    }
    if nu.is_empty() {
        return start;
    }
    hu[from..]
        .windows(nu.len())
        .position(|w| w == nu.as_slice())
        .map_or(0, |p| (from + p + 1) as u64)
}

fn position_utf8(a: &Args) -> Result<ArrayRef> {
    search(a, 0, 1, |h, n, st| find_units(h, n, st, false))
}

fn position_ci_utf8(a: &Args) -> Result<ArrayRef> {
    search(a, 0, 1, |h, n, st| find_units(h, n, st, true))
}

fn affix_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    want_string(a, 0)?;
    want_string(a, 1)?;
    Ok(ChType::UInt8.into())
}

fn affix(a: &Args, f: impl Fn(&[u8], &[u8]) -> bool) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let p = StrCol::new(&a.cols[1], a.name)?;
    Ok(Arc::new(UInt8Array::from_iter_values(
        (0..a.rows).map(|i| u8::from(f(s.get(i), p.get(i)))),
    )))
}

fn starts_with(a: &Args) -> Result<ArrayRef> {
    affix(a, |s, p| s.starts_with(p))
}

fn ends_with(a: &Args) -> Result<ArrayRef> {
    affix(a, |s, p| s.ends_with(p))
}

/// Non-overlapping occurrences of `n` in `h` from 1-based byte `start` (empty needle: 0).
fn count_bytes(h: &[u8], n: &[u8], start: u64) -> u64 {
    let from = (start - 1) as usize;
    if n.is_empty() || from > h.len() {
        return 0;
    }
    let mut count = 0;
    let mut pos = from;
    while let Some(p) = memmem::find(&h[pos..], n) {
        count += 1;
        pos += p + n.len();
    }
    count
}

fn count_substrings(a: &Args) -> Result<ArrayRef> {
    search(a, 0, 1, count_bytes)
}

fn count_substrings_ci(a: &Args) -> Result<ArrayRef> {
    search(a, 0, 1, |h, n, st| {
        count_bytes(&h.to_ascii_lowercase(), &n.to_ascii_lowercase(), st)
    })
}

fn substring_index_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 3, 3)?;
    want_string(a, 0)?;
    want_string(a, 1)?;
    crate::string::rules::want_int(a, 2)?;
    Ok(crate::string::rules::string_like(a, 0))
}

/// `substringIndex(s, delim, count)`: the part before the `count`-th delimiter (from the
/// end when negative); the whole string when there are fewer delimiters.
fn substring_index(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let d = StrCol::new(&a.cols[1], a.name)?;
    let counts = ints(&a.cols[2], a.name)?;
    let mut b = super::col::StrBuilder::new(a.rows, a.ret.binary);
    for (i, &count) in counts.iter().enumerate() {
        let (v, delim) = (s.get(i), d.get(i));
        if delim.len() != 1 {
            crate::ch_bail!(
                BAD_ARGUMENTS,
                "Second argument to substringIndex must be a single character"
            );
        }
        let positions: Vec<usize> = memchr::memchr_iter(delim[0], v).collect();
        let part: &[u8] = if count == 0 {
            &[]
        } else if count > 0 {
            match positions.get(count as usize - 1) {
                Some(p) => &v[..*p],
                None => v,
            }
        } else {
            let k = count.unsigned_abs() as usize;
            if k <= positions.len() {
                &v[positions[positions.len() - k] + 1..]
            } else {
                v
            }
        };
        b.append(part)?;
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    #[test]
    fn positions() {
        // Oracle: position('hello', 'l') = 3; ('hello', 'l', 4) = 4; ('hello', '') = 1;
        // ('hello', '', 10) = 0; locate('l', 'hello') = 3; positionCaseInsensitive('HELLO', 'l') = 3;
        // positionUTF8('привет', 'в') = 4; positionCaseInsensitiveUTF8('ПРИВЕТ', 'в') = 4;
        // ('hello', 'l', 0) = 3; ('', '') = 1; ('abc', '', 4) = 4; ('abc', '', 5) = 0;
        // instr('ABC', 'b') = 2; positionUTF8('привет', '', 3) = 3; locate('l', 'hello', 4) = 4;
        // locate('hello', 'l') = 0 (00765: Locate('foo', 'o') = 0).
        let p = |name: &'static str, h: &str, nd: &str, st: Option<i64>| {
            let mut args = vec![s(h), s(nd)];
            if let Some(x) = st {
                args.push(n(x));
            }
            one(call(name, args))
        };
        assert_eq!(p("position", "hello", "l", None), "UInt64\t3");
        assert_eq!(p("position", "hello", "l", Some(4)), "UInt64\t4");
        assert_eq!(p("position", "hello", "", None), "UInt64\t1");
        assert_eq!(p("position", "hello", "", Some(10)), "UInt64\t0");
        assert_eq!(p("locate", "l", "hello", None), "UInt64\t3");
        assert_eq!(
            p("positionCaseInsensitive", "HELLO", "l", None),
            "UInt64\t3"
        );
        assert_eq!(p("positionUTF8", "привет", "в", None), "UInt64\t4");
        assert_eq!(
            p("positionCaseInsensitiveUTF8", "ПРИВЕТ", "в", None),
            "UInt64\t4"
        );
        assert_eq!(p("position", "hello", "l", Some(0)), "UInt64\t3");
        assert_eq!(p("position", "", "", None), "UInt64\t1");
        assert_eq!(p("position", "abc", "", Some(4)), "UInt64\t4");
        assert_eq!(p("position", "abc", "", Some(5)), "UInt64\t0");
        assert_eq!(p("instr", "ABC", "b", None), "UInt64\t2");
        assert_eq!(p("positionUTF8", "привет", "", Some(3)), "UInt64\t3");
        assert_eq!(p("locate", "l", "hello", Some(4)), "UInt64\t4");
        assert_eq!(p("Locate", "foo", "o", None), "UInt64\t0");
        // Oracle: position('hello', 'l', -1) → Code 43.
        assert_code(call("position", vec![s("hello"), s("l"), n(-1)]), 43);
    }

    #[test]
    fn counts_and_index() {
        // Oracle: countSubstrings('aaaa', 'aa') = 2; countSubstrings('abc', '') = 0;
        // countSubstringsCaseInsensitive('AbAb', 'ab') = 2; countSubstrings('aaaa', 'aa', 2) = 1;
        // countSubstrings('aaa', 'a', 0) = 3; substringIndex('www.clickhouse.com', '.', 2) =
        // 'www.clickhouse'; (…, -2) = 'clickhouse.com'; ('a.b', '.', 0) = ''; ('a.b', '.', 5) =
        // 'a.b'; ('a.b.c', '.', -5) = 'a.b.c'; substringIndex('a.b', 'xy', 1) → 36.
        let c = |name: &'static str, args: Vec<E>| one(call(name, args));
        assert_eq!(c("countSubstrings", vec![s("aaaa"), s("aa")]), "UInt64\t2");
        assert_eq!(c("countSubstrings", vec![s("abc"), s("")]), "UInt64\t0");
        assert_eq!(
            c("countSubstringsCaseInsensitive", vec![s("AbAb"), s("ab")]),
            "UInt64\t2"
        );
        assert_eq!(
            c("countSubstrings", vec![s("aaaa"), s("aa"), n(2)]),
            "UInt64\t1"
        );
        assert_eq!(
            c("countSubstrings", vec![s("aaa"), s("a"), n(0)]),
            "UInt64\t3"
        );
        let w = || s("www.clickhouse.com");
        assert_eq!(
            c("substringIndex", vec![w(), s("."), n(2)]),
            "String\twww.clickhouse"
        );
        assert_eq!(
            c("substringIndex", vec![w(), s("."), n(-2)]),
            "String\tclickhouse.com"
        );
        assert_eq!(
            c("substringIndex", vec![s("a.b"), s("."), n(0)]),
            "String\t"
        );
        assert_eq!(
            c("substringIndex", vec![s("a.b"), s("."), n(5)]),
            "String\ta.b"
        );
        assert_eq!(
            c("substringIndex", vec![s("a.b.c"), s("."), n(-5)]),
            "String\ta.b.c"
        );
        assert_code(call("substringIndex", vec![s("a.b"), s("xy"), n(1)]), 36);
    }

    #[test]
    fn affixes() {
        // Oracle: startsWith('abc', '') = 1; endsWith('abc', 'bc') = 1.
        assert_eq!(one(call("startsWith", vec![s("abc"), s("")])), "UInt8\t1");
        assert_eq!(one(call("endsWith", vec![s("abc"), s("bc")])), "UInt8\t1");
        assert_eq!(one(call("endsWith", vec![s("abc"), s("x")])), "UInt8\t0");
        assert_code(call("startsWith", vec![s("abc"), n(1)]), 43);
    }
}
