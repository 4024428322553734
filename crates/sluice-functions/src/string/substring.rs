//! `substring` (`substr`, `mid`, `byteSlice`), `substringUTF8`, `left`, `right`,
//! `leftUTF8`, `rightUTF8`.
//!
//! Offsets are 1-based; a negative offset counts from the end; offset 0 gives an empty
//! string; a negative length stops that many bytes (code points) before the end — the same
//! rule as `arraySlice`. The plain forms count bytes, the `UTF8` forms code points.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;

use super::basic::utf8_seq_len;
use super::col::{StrBuilder, StrCol, ints};
use super::rules::{arity, string_like, want_int, want_string};
use super::udf::{Args, ChUdf, Ret, TypeArgs};
use crate::array::reshape::slice_bounds;

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("substring", substring_type, substring)
            .ci_aliases(&["substr", "mid", "byteSlice"])
            .case_insensitive()
            .build(),
        ChUdf::new("substringUTF8", substring_type, substring_utf8).build(),
        ChUdf::new("left", left_right_type, left)
            .case_insensitive()
            .build(),
        ChUdf::new("right", left_right_type, right)
            .case_insensitive()
            .build(),
        ChUdf::new("leftUTF8", left_right_type, left_utf8).build(),
        ChUdf::new("rightUTF8", left_right_type, right_utf8).build(),
    ]
}

fn substring_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 3)?;
    want_string(a, 0)?;
    want_int(a, 1)?;
    if a.types.len() == 3 {
        want_int(a, 2)?;
    }
    Ok(string_like(a, 0))
}

fn left_right_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    want_string(a, 0)?;
    want_int(a, 1)?;
    Ok(string_like(a, 0))
}

/// Byte offsets where the code points of `s` start, plus `s.len()`.
fn char_starts(s: &[u8]) -> Vec<usize> {
    let mut v = Vec::with_capacity(s.len() + 1);
    let mut i = 0;
    while i < s.len() {
        v.push(i);
        i += utf8_seq_len(s[i]);
    }
    v.push(s.len());
    v
}

/// Runs `f(bytes, arg1, arg2?)` per row, where `f` returns the kept byte range.
fn slice_rows(a: &Args, f: impl Fn(&[u8], i64, Option<i64>) -> (usize, usize)) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let x = ints(&a.cols[1], a.name)?;
    let y = match a.cols.get(2) {
        Some(c) => Some(ints(c, a.name)?),
        None => None,
    };
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for i in 0..a.rows {
        let v = s.get(i);
        let (st, en) = f(v, x[i], y.as_ref().map(|y| y[i]));
        b.append(&v[st..en])?;
    }
    b.finish()
}

fn substring(a: &Args) -> Result<ArrayRef> {
    slice_rows(a, |v, off, len| slice_bounds(v.len(), off, len))
}

fn substring_utf8(a: &Args) -> Result<ArrayRef> {
    slice_rows(a, |v, off, len| {
        let starts = char_starts(v);
        let (s, e) = slice_bounds(starts.len() - 1, off, len);
        (starts[s], starts[e])
    })
}

/// `left`/`right` as a slice of `n` units: first/last `n`, or all but the last/first `-n`.
fn left_bounds(len: usize, n: i64) -> (usize, usize) {
    if n >= 0 {
        (0, (n as u64).min(len as u64) as usize)
    } else {
        (
            0,
            len.saturating_sub(n.unsigned_abs().min(len as u64) as usize),
        )
    }
}

fn right_bounds(len: usize, n: i64) -> (usize, usize) {
    if n >= 0 {
        (len - (n as u64).min(len as u64) as usize, len)
    } else {
        ((n.unsigned_abs().min(len as u64)) as usize, len)
    }
}

fn left(a: &Args) -> Result<ArrayRef> {
    slice_rows(a, |v, n, _| left_bounds(v.len(), n))
}

fn right(a: &Args) -> Result<ArrayRef> {
    slice_rows(a, |v, n, _| right_bounds(v.len(), n))
}

fn left_utf8(a: &Args) -> Result<ArrayRef> {
    slice_rows(a, |v, n, _| {
        let starts = char_starts(v);
        let (s, e) = left_bounds(starts.len() - 1, n);
        (starts[s], starts[e])
    })
}

fn right_utf8(a: &Args) -> Result<ArrayRef> {
    slice_rows(a, |v, n, _| {
        let starts = char_starts(v);
        let (s, e) = right_bounds(starts.len() - 1, n);
        (starts[s], starts[e])
    })
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    fn sub(s_: &str, off: i64, len: Option<i64>) -> String {
        let mut args = vec![s(s_), n(off)];
        if let Some(l) = len {
            args.push(n(l));
        }
        one(call("substring", args))
    }

    #[test]
    fn byte_substring() {
        // Oracle: substring('hello', -10, 3) = ''; (-10, 7) = 'he'; (2, -1) = 'ell';
        // (-3, -1) = 'll'; (0, 2) = ''; (6) = ''; (-5) = 'hello'; (-6) = 'hello';
        // (2, -10) = ''; (-7, -3) = 'he'.
        assert_eq!(sub("hello", -10, Some(3)), "String\t");
        assert_eq!(sub("hello", -10, Some(7)), "String\the");
        assert_eq!(sub("hello", 2, Some(-1)), "String\tell");
        assert_eq!(sub("hello", -3, Some(-1)), "String\tll");
        assert_eq!(sub("hello", 0, Some(2)), "String\t");
        assert_eq!(sub("hello", 6, None), "String\t");
        assert_eq!(sub("hello", -5, None), "String\thello");
        assert_eq!(sub("hello", -6, None), "String\thello");
        assert_eq!(sub("hello", 2, Some(-10)), "String\t");
        assert_eq!(sub("hello", -7, Some(-3)), "String\the");
        // 00765: SUBSTRING('foo', 1, 2) = 'fo'; Substr('foo', 2) = 'oo'; mid('foo', 3) = 'o'.
        assert_eq!(
            one(call("SUBSTRING", vec![s("foo"), n(1), n(2)])),
            "String\tfo"
        );
        assert_eq!(one(call("Substr", vec![s("foo"), n(2)])), "String\too");
        assert_eq!(one(call("mid", vec![s("foo"), n(3)])), "String\to");
    }

    #[test]
    fn fixed_string_columns() {
        // 00493_substring_of_fixedstring: toFixedString(toString(number), 4) for 995..1004.
        use datafusion::arrow::array::{FixedSizeBinaryArray, UInt64Array};
        use std::sync::Arc;
        let nums: Vec<u64> = (995..1005).collect();
        let fixed: Vec<Vec<u8>> = nums
            .iter()
            .map(|v| {
                let mut b = v.to_string().into_bytes();
                b.resize(4, 0);
                b
            })
            .collect();
        let fs = || {
            let a = FixedSizeBinaryArray::try_from_iter(fixed.clone().into_iter())
                .unwrap_or_else(|_| FixedSizeBinaryArray::new_null(4, 0));
            col("FixedString(4)", Arc::new(a))
        };
        let u = |f: &dyn Fn(u64) -> u64| {
            col(
                "UInt64",
                Arc::new(UInt64Array::from_iter_values(nums.iter().map(|v| f(*v)))),
            )
        };
        let e = call("substring", vec![fs(), n(1), u(&|v| v % 5)]);
        assert_eq!(rows(e, 10), "\n9\n99\n998\n999\\0\n\n1\n10\n100\n1004");
        let e = call("substring", vec![fs(), u(&|v| 1 + v % 5)]);
        assert_eq!(
            rows(e, 10),
            "995\\0\n96\\0\n7\\0\n\\0\n\n1000\n001\n02\n3\n"
        );
        let e = call(
            "substring",
            vec![fs(), u(&|v| 1 + v % 5), u(&|v| 1 + v % 3)],
        );
        assert_eq!(rows(e, 10), "995\n9\n7\\0\n\\0\n\n10\n001\n0\n3\n");
        // substring(toFixedString('hello', 16), 1, 8) = 'hello\0\0\0' :: String.
        let mut h = b"hello".to_vec();
        h.resize(16, 0);
        let hs = typed(
            "FixedString(16)",
            datafusion::common::ScalarValue::FixedSizeBinary(16, Some(h)),
        );
        assert_eq!(
            one(call("substring", vec![hs, n(1), n(8)])),
            "String\thello\\0\\0\\0"
        );
    }

    #[test]
    fn utf8_and_left_right() {
        // Oracle: substringUTF8('привет', 2, 3) = 'рив'; substringUTF8('привет', -2) = 'ет';
        // left('hello', -2) = 'hel'; right('hello', -2) = 'llo'; left('hello', 0) = '';
        // right('hello', 10) = 'hello'; leftUTF8('привет', -4) = 'пр'; rightUTF8('привет', 2) = 'ет'.
        assert_eq!(
            one(call("substringUTF8", vec![s("привет"), n(2), n(3)])),
            "String\tрив"
        );
        assert_eq!(
            one(call("substringUTF8", vec![s("привет"), n(-2)])),
            "String\tет"
        );
        assert_eq!(one(call("left", vec![s("hello"), n(-2)])), "String\thel");
        assert_eq!(one(call("right", vec![s("hello"), n(-2)])), "String\tllo");
        assert_eq!(one(call("left", vec![s("hello"), n(0)])), "String\t");
        assert_eq!(one(call("right", vec![s("hello"), n(10)])), "String\thello");
        assert_eq!(
            one(call("leftUTF8", vec![s("привет"), n(-4)])),
            "String\tпр"
        );
        assert_eq!(
            one(call("rightUTF8", vec![s("привет"), n(2)])),
            "String\tет"
        );
        // 00765: LEFT('foo', 123) = 'foo'; RIGHT('bar', 1) = 'r'.
        assert_eq!(one(call("LEFT", vec![s("foo"), n(123)])), "String\tfoo");
        assert_eq!(one(call("RIGHT", vec![s("bar"), n(1)])), "String\tr");
        assert_code(call("substring", vec![s("a"), s("b")]), 43);
        assert_code(call("substring", vec![s("a")]), 42);
        assert_eq!(
            one(call("substring", vec![null(), n(1)])),
            "Nullable(Nothing)\t\\N"
        );
    }

    /// Every offset/length in -7..=7 for the byte, UTF-8 and array slicers, against
    /// `testdata/slices.tsv`, generated by the oracle with:
    ///
    /// ```sql
    /// SELECT toInt8(o.number) - 7 AS off, toInt8(l.number) - 7 AS len, substring('hello', off, len), substringUTF8('привет', off, len), arraySlice([1,2,3,4,5], off, len), left('hello', off), right('hello', off), leftUTF8('привет', off), rightUTF8('привет', off) FROM numbers(15) AS o, numbers(15) AS l ORDER BY off, len
    /// ```
    #[test]
    fn all_offsets_match_oracle() {
        for line in include_str!("testdata/slices.tsv").lines() {
            let c: Vec<&str> = line.split('\t').collect();
            let off: i64 = c[0].parse().unwrap_or(0);
            let len: i64 = c[1].parse().unwrap_or(0);
            let val = |e: E| one(e).split('\t').nth(1).unwrap_or("").to_string();
            let five = call("array", (1..=5).map(n).collect());
            let got = [
                val(call("substring", vec![s("hello"), n(off), n(len)])),
                val(call("substringUTF8", vec![s("привет"), n(off), n(len)])),
                val(call("arraySlice", vec![five, n(off), n(len)])),
                val(call("left", vec![s("hello"), n(off)])),
                val(call("right", vec![s("hello"), n(off)])),
                val(call("leftUTF8", vec![s("привет"), n(off)])),
                val(call("rightUTF8", vec![s("привет"), n(off)])),
            ];
            for (k, g) in got.iter().enumerate() {
                assert_eq!(
                    g,
                    c[k + 2],
                    "column {} at offset {off}, length {len}",
                    k + 3
                );
            }
        }
    }
}
