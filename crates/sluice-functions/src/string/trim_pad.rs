//! Trimming and padding: `trimLeft` (`ltrim`), `trimRight` (`rtrim`), `trimBoth` (`trim`),
//! `leftPad` (`lpad`), `rightPad` (`rpad`), `leftPadUTF8`, `rightPadUTF8`.
//!
//! The trim functions take an optional constant set of characters to strip (default: the
//! space character only); the engine maps `TRIM(LEADING|TRAILING|BOTH x FROM s)` to
//! `trimLeft/trimRight/trimBoth(s, x)`. Padding repeats the pad string (default space) from
//! its start and truncates a longer input to the requested length.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::{ChType, ErrorCode};

use super::basic::utf8_seq_len;
use super::col::{StrBuilder, StrCol, ints};
use super::rules::{arity, is_string, string_like, want_int, want_string};
use super::udf::{Args, ChUdf, Ret, TypeArgs};
use crate::ch_bail;

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("trimLeft", trim_type, trim_left)
            .ci_aliases(&["ltrim"])
            .build(),
        ChUdf::new("trimRight", trim_type, trim_right)
            .ci_aliases(&["rtrim"])
            .build(),
        ChUdf::new("trimBoth", trim_type, trim_both)
            .ci_aliases(&["trim"])
            .build(),
        ChUdf::new("leftPad", pad_type, left_pad)
            .ci_aliases(&["lpad"])
            .build(),
        ChUdf::new("rightPad", pad_type, right_pad)
            .ci_aliases(&["rpad"])
            .build(),
        ChUdf::new("leftPadUTF8", pad_type, left_pad_utf8).build(),
        ChUdf::new("rightPadUTF8", pad_type, right_pad_utf8).build(),
    ]
}

fn trim_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 2)?;
    want_string(a, 0)?;
    if a.types.len() == 2 && !is_string(&a.types[1]) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "A value of illegal type was provided as 2nd argument 'trim_character' to function '{}'. Expected: const String, got: {}",
            a.name,
            a.types[1]
        );
    }
    Ok(string_like(a, 0))
}

fn trim(a: &Args, left: bool, right: bool) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let set = match a.cols.get(1) {
        Some(c) => Some(StrCol::new(c, a.name)?),
        None => None,
    };
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for i in 0..a.rows {
        let chars: &[u8] = match &set {
            Some(c) => c.get(i),
            None => b" ",
        };
        let mut v = s.get(i);
        if left {
            let k = v.iter().position(|c| !chars.contains(c)).unwrap_or(v.len());
            v = &v[k..];
        }
        if right {
            let k = v
                .iter()
                .rposition(|c| !chars.contains(c))
                .map_or(0, |p| p + 1);
            v = &v[..k];
        }
        b.append(v)?;
    }
    b.finish()
}

fn trim_left(a: &Args) -> Result<ArrayRef> {
    trim(a, true, false)
}

fn trim_right(a: &Args) -> Result<ArrayRef> {
    trim(a, false, true)
}

fn trim_both(a: &Args) -> Result<ArrayRef> {
    trim(a, true, true)
}

fn pad_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 3)?;
    want_string(a, 0)?;
    want_int(a, 1)?;
    if a.types.len() == 3 {
        want_string(a, 2)?;
    }
    Ok(ChType::String.into())
}

/// ClickHouse's limit on a padded length.
const MAX_PADDED_LENGTH: i64 = 1_000_000;

/// Units of `v`: byte ranges of bytes (`utf8 = false`) or code points.
fn unit_bounds(v: &[u8], utf8: bool) -> Vec<usize> {
    let mut out = Vec::with_capacity(v.len() + 1);
    let mut i = 0;
    while i < v.len() {
        out.push(i);
        i += if utf8 {
            utf8_seq_len(v[i]).min(v.len() - i)
        } else {
            1
        };
    }
    out.push(v.len());
    out
}

fn pad(a: &Args, left: bool, utf8: bool) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let lens = ints(&a.cols[1], a.name)?;
    let pads = match a.cols.get(2) {
        Some(c) => Some(StrCol::new(c, a.name)?),
        None => None,
    };
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for (i, &n) in lens.iter().enumerate() {
        if n < 0 {
            return Err(crate::util::ch_error(sluice_common::Error::new(
                ErrorCode::INDEX_OF_POSITIONAL_ARGUMENT_IS_OUT_OF_RANGE,
                format!("New padded length ({n}) is negative"),
            )));
        }
        if n > MAX_PADDED_LENGTH {
            ch_bail!(
                TOO_LARGE_STRING_SIZE,
                "New padded length ({n}) is too big, maximum is: {MAX_PADDED_LENGTH}"
            );
        }
        let n = n as usize;
        let v = s.get(i);
        let mut p: &[u8] = pads.as_ref().map_or(b" ", |p| p.get(i));
        if p.is_empty() {
            p = b" ";
        }
        let vu = unit_bounds(v, utf8);
        let have = vu.len() - 1;
        if have >= n {
            b.append(&v[..vu[n]])?;
            continue;
        }
        let pu = unit_bounds(p, utf8);
        let plen = pu.len() - 1;
        let mut fill = Vec::new();
        let mut need = n - have;
        while need > 0 {
            let take = need.min(plen);
            fill.extend_from_slice(&p[..pu[take]]);
            need -= take;
        }
        if left {
            b.push_bytes(&fill);
            b.push_bytes(v);
        } else {
            b.push_bytes(v);
            b.push_bytes(&fill);
        }
        b.finish_row()?;
    }
    b.finish()
}

fn left_pad(a: &Args) -> Result<ArrayRef> {
    pad(a, true, false)
}

fn right_pad(a: &Args) -> Result<ArrayRef> {
    pad(a, false, false)
}

fn left_pad_utf8(a: &Args) -> Result<ArrayRef> {
    pad(a, true, true)
}

fn right_pad_utf8(a: &Args) -> Result<ArrayRef> {
    pad(a, false, true)
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    #[test]
    fn trims() {
        // Oracle: trimLeft('  a  ') = 'a  '; trimRight('  a  ') = '  a'; trimBoth('  a  ') = 'a';
        // trimBoth('xxaxx', 'x') = 'a'; trimLeft(' \ta') = '\ta'; trimBoth('abcxa', 'ax') = 'bc';
        // trimLeft('', 'x') = ''; 00765: ltrim('   foo') = 'foo'; RTRIM('   foo   ') = '   foo';
        // trim(TRAILING 'x' FROM 'xxfooxx') = 'xxfoo'; Trim(LEADING 'ab' FROM 'abbafooabba') = 'fooabba';
        // TRIM(both 'ab' FROM 'abbafooabbafooabba') = 'fooabbafoo';
        // trim(LEADING '*[]{}|\\' FROM '\\|[[[}}}*foo*') = 'foo*'; trimLeft('a', 1) → 43.
        assert_eq!(one(call("trimLeft", vec![s("  a  ")])), "String\ta  ");
        assert_eq!(one(call("trimRight", vec![s("  a  ")])), "String\t  a");
        assert_eq!(one(call("trimBoth", vec![s("  a  ")])), "String\ta");
        assert_eq!(one(call("trimBoth", vec![s("xxaxx"), s("x")])), "String\ta");
        assert_eq!(one(call("trimLeft", vec![s(" \ta")])), "String\t\\ta");
        assert_eq!(
            one(call("trimBoth", vec![s("abcxa"), s("ax")])),
            "String\tbc"
        );
        assert_eq!(one(call("trimLeft", vec![s(""), s("x")])), "String\t");
        assert_eq!(one(call("ltrim", vec![s("   foo")])), "String\tfoo");
        assert_eq!(one(call("RTRIM", vec![s("   foo   ")])), "String\t   foo");
        assert_eq!(
            one(call("trimRight", vec![s("xxfooxx"), s("x")])),
            "String\txxfoo"
        );
        assert_eq!(
            one(call("trimLeft", vec![s("abbafooabba"), s("ab")])),
            "String\tfooabba"
        );
        assert_eq!(
            one(call("trimBoth", vec![s("abbafooabbafooabba"), s("ab")])),
            "String\tfooabbafoo"
        );
        assert_eq!(
            one(call("trimLeft", vec![s("\\|[[[}}}*foo*"), s("*[]{}|\\")])),
            "String\tfoo*"
        );
        assert_code(call("trimLeft", vec![s("a"), n(1)]), 43);
    }

    #[test]
    fn pads() {
        // Oracle: leftPad('abc', 5) = '  abc'; leftPad('abc', 5, 'xy') = 'xyabc';
        // leftPad('abc', 2) = 'ab'; rightPad('abc', 7, 'xy') = 'abcxyxy'; leftPad('abc', 5, '') =
        // '  abc'; leftPadUTF8('пр', 4, 'ё') = 'ёёпр'; leftPad('пр', 6, 'ё') = 'ёпр';
        // leftPadUTF8('привет', 3) = 'при'; rightPadUTF8('пр', 4, 'ab') = 'прab';
        // leftPad('abc', toInt8(-1)) → 353; leftPad('a', 2000000000) → 131.
        assert_eq!(one(call("leftPad", vec![s("abc"), n(5)])), "String\t  abc");
        assert_eq!(
            one(call("leftPad", vec![s("abc"), n(5), s("xy")])),
            "String\txyabc"
        );
        assert_eq!(one(call("leftPad", vec![s("abc"), n(2)])), "String\tab");
        assert_eq!(
            one(call("rightPad", vec![s("abc"), n(7), s("xy")])),
            "String\tabcxyxy"
        );
        assert_eq!(
            one(call("leftPad", vec![s("abc"), n(5), s("")])),
            "String\t  abc"
        );
        assert_eq!(
            one(call("leftPadUTF8", vec![s("пр"), n(4), s("ё")])),
            "String\tёёпр"
        );
        assert_eq!(
            one(call("leftPad", vec![s("пр"), n(6), s("ё")])),
            "String\tёпр"
        );
        assert_eq!(
            one(call("leftPadUTF8", vec![s("привет"), n(3)])),
            "String\tпри"
        );
        assert_eq!(
            one(call("rightPadUTF8", vec![s("пр"), n(4), s("ab")])),
            "String\tпрab"
        );
        assert_code(call("leftPad", vec![s("abc"), n(-1)]), 353);
        assert_code(call("leftPad", vec![s("a"), n(2_000_000_000)]), 131);
    }
}
