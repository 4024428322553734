//! Whole-string functions: `length`, `lengthUTF8`, `empty`, `notEmpty`, `lower`, `upper`,
//! `lowerUTF8`, `upperUTF8`, `reverse` (strings and arrays), `reverseUTF8`, `repeat`,
//! `ascii`, `toValidUTF8`.
//!
//! ClickHouse strings are bytes: `length`, `lower`, `upper` and `reverse` work on bytes
//! (ASCII case mapping only); the `UTF8` variants work on code points.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, AsArray, FixedSizeBinaryArray, Int32Array, UInt8Array, UInt64Array,
};
use datafusion::arrow::buffer::Buffer;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::col::{StrBuilder, StrCol, ints};
use super::rules::{arity, illegal, is_string, string_like, want_int, want_string};
use super::udf::{Args, ChUdf, Ret, TypeArgs};
use crate::ch_bail;

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("length", length_type, length)
            .ci_aliases(&["OCTET_LENGTH", "CARDINALITY"])
            .case_insensitive()
            .build(),
        ChUdf::new("lengthUTF8", length_utf8_type, length_utf8)
            .ci_aliases(&["CHAR_LENGTH", "CHARACTER_LENGTH"])
            .build(),
        ChUdf::new("empty", empty_type, empty).build(),
        ChUdf::new("notEmpty", empty_type, not_empty).build(),
        ChUdf::new("lower", case_type, lower)
            .ci_aliases(&["lcase"])
            .case_insensitive()
            .build(),
        ChUdf::new("upper", case_type, upper)
            .ci_aliases(&["ucase"])
            .case_insensitive()
            .build(),
        ChUdf::new("lowerUTF8", utf8_case_type, lower_utf8).build(),
        ChUdf::new("upperUTF8", utf8_case_type, upper_utf8).build(),
        ChUdf::new("reverse", reverse_type, reverse)
            .case_insensitive()
            .build(),
        ChUdf::new("reverseUTF8", utf8_case_type, reverse_utf8).build(),
        ChUdf::new("repeat", repeat_type, repeat)
            .case_insensitive()
            .build(),
        ChUdf::new("ascii", ascii_type, ascii)
            .case_insensitive()
            .build(),
        ChUdf::new("toValidUTF8", utf8_case_type, to_valid_utf8).build(),
        ChUdf::new("initcap", case_type, initcap).build(),
        ChUdf::new("initcapUTF8", utf8_case_type, initcap_utf8).build(),
        ChUdf::new("isValidUTF8", length_utf8_type, is_valid_utf8).build(),
    ]
}

/// Length in bytes of the UTF-8 sequence that starts with `b`, as ClickHouse counts it.
#[inline]
pub(crate) fn utf8_seq_len(b: u8) -> usize {
    if !(0x80..0xF8).contains(&b) {
        1
    } else {
        (b.leading_ones() as usize).max(1)
    }
}

/// Number of code points as ClickHouse counts them (bytes that are not continuation bytes).
#[inline]
pub(crate) fn utf8_len(s: &[u8]) -> usize {
    s.iter().filter(|b| (**b & 0xC0) != 0x80).count()
}

fn length_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    match &a.types[0] {
        ChType::String | ChType::FixedString(_) | ChType::Array(_) | ChType::Map(..) => {
            Ok(ChType::UInt64.into())
        }
        _ => Err(illegal(a, 0)),
    }
}

/// Number of elements of each row of a List/Map column (or bytes of a string column).
pub(crate) fn lengths(arr: &ArrayRef, func: &str) -> Result<Vec<u64>> {
    if let Some(l) = arr.as_list_opt::<i32>() {
        return Ok(l
            .offsets()
            .windows(2)
            .map(|w| (w[1] - w[0]) as u64)
            .collect());
    }
    if let Some(m) = arr.as_map_opt() {
        return Ok(m
            .offsets()
            .windows(2)
            .map(|w| (w[1] - w[0]) as u64)
            .collect());
    }
    let s = StrCol::new(arr, func)?;
    Ok((0..s.len()).map(|i| s.get(i).len() as u64).collect())
}

fn length(a: &Args) -> Result<ArrayRef> {
    Ok(Arc::new(UInt64Array::from(lengths(&a.cols[0], a.name)?)))
}

fn length_utf8_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_string(a, 0)?;
    Ok(if a.name == "isValidUTF8" {
        ChType::UInt8
    } else {
        ChType::UInt64
    }
    .into())
}

fn is_valid_utf8(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    Ok(Arc::new(UInt8Array::from_iter_values(
        (0..a.rows).map(|i| u8::from(std::str::from_utf8(s.get(i)).is_ok())),
    )))
}

fn length_utf8(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    Ok(Arc::new(UInt64Array::from_iter_values(
        (0..a.rows).map(|i| utf8_len(s.get(i)) as u64),
    )))
}

fn empty_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    match &a.types[0] {
        ChType::String
        | ChType::FixedString(_)
        | ChType::Array(_)
        | ChType::Map(..)
        | ChType::Uuid
        | ChType::IPv6 => Ok(ChType::UInt8.into()),
        _ => Err(illegal(a, 0)),
    }
}

fn is_empty_rows(a: &Args) -> Result<Vec<bool>> {
    match &a.types[0] {
        // A FixedString (or UUID) is empty when all its bytes are zero.
        ChType::FixedString(_) | ChType::Uuid | ChType::IPv6 => {
            let s = StrCol::new(&a.cols[0], a.name)?;
            Ok((0..a.rows)
                .map(|i| s.get(i).iter().all(|b| *b == 0))
                .collect())
        }
        _ => Ok(lengths(&a.cols[0], a.name)?
            .into_iter()
            .map(|n| n == 0)
            .collect()),
    }
}

fn empty(a: &Args) -> Result<ArrayRef> {
    let e = is_empty_rows(a)?;
    Ok(Arc::new(UInt8Array::from_iter_values(
        e.into_iter().map(u8::from),
    )))
}

fn not_empty(a: &Args) -> Result<ArrayRef> {
    let e = is_empty_rows(a)?;
    Ok(Arc::new(UInt8Array::from_iter_values(
        e.into_iter().map(|e| u8::from(!e)),
    )))
}

fn case_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_string(a, 0)?;
    match &a.types[0] {
        ChType::FixedString(n) => Ok(ChType::FixedString(*n).into()),
        _ => Ok(string_like(a, 0)),
    }
}

/// Applies a byte-to-bytes map row by row, keeping FixedString results fixed-width.
fn map_bytes(a: &Args, f: impl Fn(&[u8], &mut Vec<u8>)) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    if let ChType::FixedString(n) = a.ret.t {
        let mut buf = Vec::with_capacity(n * a.rows);
        for i in 0..a.rows {
            f(s.get(i), &mut buf);
        }
        return Ok(Arc::new(FixedSizeBinaryArray::try_new(
            n as i32,
            Buffer::from(buf),
            None,
        )?));
    }
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for i in 0..a.rows {
        f(s.get(i), b.current());
        b.finish_row()?;
    }
    b.finish()
}

fn lower(a: &Args) -> Result<ArrayRef> {
    map_bytes(a, |s, out| out.extend(s.iter().map(u8::to_ascii_lowercase)))
}

fn upper(a: &Args) -> Result<ArrayRef> {
    map_bytes(a, |s, out| out.extend(s.iter().map(u8::to_ascii_uppercase)))
}

/// `initcap`: the first letter of every word upper-cased, the rest lower-cased; words are
/// runs of ASCII letters and digits (ASCII only — bytes ≥ 0x80 are copied).
fn initcap(a: &Args) -> Result<ArrayRef> {
    map_bytes(a, |s, out| {
        let mut in_word = false;
        for &c in s {
            let alnum = c.is_ascii_alphanumeric();
            out.push(if alnum && !in_word {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            });
            in_word = alnum;
        }
    })
}

/// `initcapUTF8`: as `initcap` over code points (Unicode letters and digits form words).
fn initcap_utf8(a: &Args) -> Result<ArrayRef> {
    map_bytes(a, |s, out| {
        let mut in_word = false;
        map_chars(s, out, |c, t| {
            let alnum = c.is_alphanumeric();
            if alnum && !in_word {
                t.extend(c.to_uppercase());
            } else {
                t.extend(c.to_lowercase());
            }
            in_word = alnum;
        })
    })
}

fn utf8_case_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_string(a, 0)?;
    Ok(ChType::String.into())
}

/// Maps each valid UTF-8 code point with `f`, copying invalid bytes unchanged.
fn map_chars(s: &[u8], out: &mut Vec<u8>, mut f: impl FnMut(char, &mut String)) {
    let mut tmp = String::new();
    for chunk in s.utf8_chunks() {
        tmp.clear();
        for c in chunk.valid().chars() {
            f(c, &mut tmp);
        }
        out.extend_from_slice(tmp.as_bytes());
        out.extend_from_slice(chunk.invalid());
    }
}

fn lower_utf8(a: &Args) -> Result<ArrayRef> {
    map_bytes(a, |s, out| {
        map_chars(s, out, |c, t| t.extend(c.to_lowercase()))
    })
}

fn upper_utf8(a: &Args) -> Result<ArrayRef> {
    map_bytes(a, |s, out| {
        map_chars(s, out, |c, t| t.extend(c.to_uppercase()))
    })
}

fn reverse_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    match &a.types[0] {
        ChType::FixedString(n) => Ok(ChType::FixedString(*n).into()),
        ChType::String => Ok(string_like(a, 0)),
        ChType::Array(_) => Ok(a.types[0].clone().into()),
        _ => Err(illegal(a, 0)),
    }
}

fn reverse(a: &Args) -> Result<ArrayRef> {
    if let ChType::Array(_) = a.types[0] {
        return crate::array::transform::reverse_lists(&a.cols[0]);
    }
    map_bytes(a, |s, out| out.extend(s.iter().rev()))
}

fn reverse_utf8(a: &Args) -> Result<ArrayRef> {
    map_bytes(a, |s, out| {
        let mut starts = Vec::new();
        let mut i = 0;
        while i < s.len() {
            starts.push(i);
            i += utf8_seq_len(s[i]);
        }
        let mut end = s.len();
        for st in starts.into_iter().rev() {
            out.extend_from_slice(&s[st..end.max(st)]);
            end = st;
        }
    })
}

fn repeat_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    want_string(a, 0)?;
    want_int(a, 1)?;
    Ok(string_like(a, 0))
}

/// ClickHouse's limit on a string built by `repeat`, `leftPad` and similar (1 GiB).
pub(crate) const MAX_STRING_SIZE: u64 = 1 << 30;

fn repeat(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let n = ints(&a.cols[1], a.name)?;
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for (i, n) in n.iter().enumerate() {
        let n = (*n).max(0) as u64;
        let v = s.get(i);
        let total = n.saturating_mul(v.len() as u64);
        if total > MAX_STRING_SIZE || (v.is_empty() && n > MAX_STRING_SIZE) {
            ch_bail!(
                TOO_LARGE_STRING_SIZE,
                "Too large string size ({n}) in function repeat, maximum is: {MAX_STRING_SIZE}"
            );
        }
        for _ in 0..n {
            b.push_bytes(v);
        }
        b.finish_row()?;
    }
    b.finish()
}

fn ascii_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    if !is_string(&a.types[0]) {
        return Err(illegal(a, 0));
    }
    Ok(ChType::Int32.into())
}

fn ascii(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    Ok(Arc::new(Int32Array::from_iter_values(
        (0..a.rows).map(|i| s.get(i).first().map_or(0, |b| *b as i32)),
    )))
}

/// Replaces each run of invalid UTF-8 bytes with one U+FFFD, as ClickHouse's `toValidUTF8`.
pub(crate) fn valid_utf8(s: &[u8], out: &mut Vec<u8>) {
    let mut in_bad = false;
    for chunk in s.utf8_chunks() {
        if !chunk.valid().is_empty() {
            in_bad = false;
            out.extend_from_slice(chunk.valid().as_bytes());
        }
        if !chunk.invalid().is_empty() {
            if !in_bad {
                out.extend_from_slice("\u{FFFD}".as_bytes());
            }
            in_bad = true;
        }
    }
}

fn to_valid_utf8(a: &Args) -> Result<ArrayRef> {
    map_bytes(a, valid_utf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_len_matches_clickhouse() {
        assert_eq!(utf8_seq_len(b'a'), 1);
        assert_eq!(utf8_seq_len(0xA9), 1);
        assert_eq!(utf8_seq_len(0xC3), 2);
        assert_eq!(utf8_seq_len(0xE4), 3);
        assert_eq!(utf8_seq_len(0xF0), 4);
        assert_eq!(utf8_seq_len(0xFF), 1);
        // Oracle: lengthUTF8(unhex('FFC3A9')) = 2.
        assert_eq!(utf8_len(&[0xFF, 0xC3, 0xA9]), 2);
    }

    #[test]
    fn length_utf8_column() {
        // 00624_length_utf8.
        use crate::string::testkit::*;
        use datafusion::arrow::array::StringArray;
        let v = vec![
            "",
            "h",
            "hello",
            "hello hello hello",
            "п",
            "пр",
            "привет",
            "привет привет",
            "привет привет привет",
            "你好",
            "你好 你好",
            "你好你好你好",
            "你好你好你好你好",
            "你好 你好 你好 你好 你好",
        ];
        let c = col("String", std::sync::Arc::new(StringArray::from(v)));
        assert_eq!(
            rows(call("lengthUTF8", vec![c]), 14),
            "0\n1\n5\n17\n1\n2\n6\n13\n20\n2\n5\n6\n8\n14"
        );
        assert_eq!(one(call("lengthUTF8", vec![s("привет пр")])), "UInt64\t9");
        // Oracle: length(toFixedString('ab', 5)) = 5; empty(toFixedString('', 1)) = 1;
        // notEmpty([]) = 0; upperUTF8('straße') = 'STRASSE'; lowerUTF8('ÀÉ') = 'àé';
        // ascii('é') = 195; repeat('ab', -1) = ''; reverseUTF8('привет') = 'тевирп';
        // 00765: lcase('FOO') = 'foo', ucase('foo') = 'FOO', LOWER('Foo') = 'foo', UPPER('Foo') = 'FOO'.
        let fs = |v: &[u8], w: i32| {
            typed(
                &format!("FixedString({w})"),
                datafusion::common::ScalarValue::FixedSizeBinary(w, Some(v.to_vec())),
            )
        };
        assert_eq!(one(call("length", vec![fs(b"ab\0\0\0", 5)])), "UInt64\t5");
        assert_eq!(one(call("empty", vec![fs(b"\0", 1)])), "UInt8\t1");
        assert_eq!(
            one(call("notEmpty", vec![call("array", vec![])])),
            "UInt8\t0"
        );
        assert_eq!(one(call("upperUTF8", vec![s("straße")])), "String\tSTRASSE");
        assert_eq!(one(call("lowerUTF8", vec![s("ÀÉ")])), "String\tàé");
        assert_eq!(one(call("ascii", vec![s("é")])), "Int32\t195");
        assert_eq!(one(call("repeat", vec![s("ab"), n(-1)])), "String\t");
        assert_eq!(
            one(call("reverseUTF8", vec![s("привет")])),
            "String\tтевирп"
        );
        assert_eq!(one(call("lcase", vec![s("FOO")])), "String\tfoo");
        assert_eq!(one(call("ucase", vec![s("foo")])), "String\tFOO");
        assert_eq!(one(call("LOWER", vec![s("Foo")])), "String\tfoo");
        assert_eq!(one(call("UPPER", vec![s("Foo")])), "String\tFOO");
        // Oracle: toTypeName(lower(toFixedString('a',1))) = FixedString(1);
        // toTypeName(reverse(toFixedString('ab',2))) = FixedString(2);
        // toTypeName(lower(toLowCardinality('A'))) = LowCardinality(String);
        // toTypeName(length(toLowCardinality('a'))) = LowCardinality(UInt64);
        // toTypeName(length(toNullable('a'))) = Nullable(UInt64); repeat('a', 1000000000000) → 131.
        assert_eq!(one(call("lower", vec![fs(b"A", 1)])), "FixedString(1)\ta");
        assert_eq!(
            one(call("reverse", vec![fs(b"ab", 2)])),
            "FixedString(2)\tba"
        );
        let lc = typed(
            "LowCardinality(String)",
            datafusion::common::ScalarValue::Dictionary(
                Box::new(datafusion::arrow::datatypes::DataType::Int32),
                Box::new(datafusion::common::ScalarValue::Utf8(Some("A".into()))),
            ),
        );
        assert_eq!(one(call("lower", vec![lc])), "LowCardinality(String)\ta");
        let lc = typed(
            "LowCardinality(String)",
            datafusion::common::ScalarValue::Dictionary(
                Box::new(datafusion::arrow::datatypes::DataType::Int32),
                Box::new(datafusion::common::ScalarValue::Utf8(Some("a".into()))),
            ),
        );
        assert_eq!(one(call("length", vec![lc])), "LowCardinality(UInt64)\t1");
        let ns = typed(
            "Nullable(String)",
            datafusion::common::ScalarValue::Utf8(Some("a".into())),
        );
        assert_eq!(one(call("length", vec![ns])), "Nullable(UInt64)\t1");
        assert_code(call("repeat", vec![s("a"), n(1_000_000_000_000)]), 131);
        // Oracle: initcap('hello wORLD-foo_bar 1abc') = 'Hello World-Foo_Bar 1abc';
        // initcapUTF8('привет мир') = 'Привет Мир'; initcap('ÀB cD') = 'ÀB Cd';
        // initcapUTF8('ÀB cD') = 'Àb Cd'; initcap('a-b c.d') = 'A-B C.D'.
        let ic = |name: &'static str, v: &str| one(call(name, vec![s(v)]));
        assert_eq!(
            ic("initcap", "hello wORLD-foo_bar 1abc"),
            "String\tHello World-Foo_Bar 1abc"
        );
        assert_eq!(ic("initcapUTF8", "привет мир"), "String\tПривет Мир");
        assert_eq!(ic("initcap", "ÀB cD"), "String\tÀB Cd");
        assert_eq!(ic("initcapUTF8", "ÀB cD"), "String\tÀb Cd");
        assert_eq!(ic("initcap", "a-b c.d"), "String\tA-B C.D");
        // Oracle: isValidUTF8('a') = 1 :: UInt8; isValidUTF8(unhex('FF')) = 0.
        assert_eq!(one(call("isValidUTF8", vec![s("a")])), "UInt8\t1");
        assert_eq!(one(call("isValidUTF8", vec![fs(b"\xFF", 1)])), "UInt8\t0");
    }

    #[test]
    fn valid_utf8_collapses_runs() {
        // Oracle: hex(toValidUTF8(unhex('61FFFE62C3'))) = 61EFBFBD62EFBFBD.
        let mut out = Vec::new();
        valid_utf8(&[0x61, 0xFF, 0xFE, 0x62, 0xC3], &mut out);
        assert_eq!(hex::encode_upper(out), "61EFBFBD62EFBFBD");
    }
}
