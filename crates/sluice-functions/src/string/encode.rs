//! Byte encodings: `hex`, `unhex`, `bin`, `unbin`, `base64Encode` (`TO_BASE64`),
//! `base64Decode` (`FROM_BASE64`), `tryBase64Decode`, `char`.
//!
//! `hex`/`bin` of an integer (or Date/DateTime/Bool) print its value as unsigned of the
//! type's width, big-endian, without leading zero bytes (at least one byte); of a float or
//! decimal its little-endian memory bytes; of a string its bytes. Results of `unhex`,
//! `unbin`, `base64Decode` and `char` are raw bytes, stored as `Binary`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int64Type, UInt64Type,
};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::col::{StrBuilder, StrCol};
use super::rules::{arity, illegal, is_number, is_string, want_string};
use super::udf::{Args, ChUdf, Ret, TypeArgs};
use crate::ch_bail;

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("hex", to_text_type, hex)
            .case_insensitive()
            .build(),
        ChUdf::new("bin", to_text_type, bin)
            .case_insensitive()
            .build(),
        ChUdf::new("unhex", from_text_type, unhex)
            .case_insensitive()
            .build(),
        ChUdf::new("unbin", from_text_type, unbin)
            .case_insensitive()
            .build(),
        ChUdf::new("base64Encode", base64_encode_type, base64_encode)
            .ci_aliases(&["TO_BASE64"])
            .build(),
        ChUdf::new("base64Decode", from_text_type, base64_decode)
            .ci_aliases(&["FROM_BASE64"])
            .build(),
        ChUdf::new("tryBase64Decode", from_text_type, try_base64_decode).build(),
        ChUdf::new("base64URLEncode", base64_encode_type, base64_encode).build(),
        ChUdf::new("base64URLDecode", from_text_type, base64_decode).build(),
        ChUdf::new("tryBase64URLDecode", from_text_type, try_base64_decode).build(),
        ChUdf::new("char", char_type, char_)
            .case_insensitive()
            .build(),
    ]
}

fn to_text_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    let t = &a.types[0];
    let ok = is_string(t)
        || is_number(t)
        || matches!(
            t,
            ChType::Date
                | ChType::DateTime(_)
                | ChType::Uuid
                | ChType::IPv4
                | ChType::IPv6
                | ChType::AggregateFunction { .. }
        );
    if matches!(t, ChType::DateTime64(..)) {
        ch_bail!(
            ILLEGAL_COLUMN,
            "Illegal column {t} of argument of function {}",
            a.name
        );
    }
    if !ok {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument of function {}",
            a.name
        );
    }
    Ok(ChType::String.into())
}

/// The bytes `hex`/`bin` print for row `i`.
fn value_bytes(a: &Args, i: usize, out: &mut Vec<u8>) -> Result<()> {
    let col = &a.cols[0];
    let t = &a.types[0];
    let minimal_be = |v: u128, width: usize, out: &mut Vec<u8>| {
        let bytes = v.to_be_bytes();
        let bytes = &bytes[16 - width..];
        let skip = bytes.iter().position(|b| *b != 0).unwrap_or(width - 1);
        out.extend_from_slice(&bytes[skip..]);
    };
    match col.data_type() {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => out.extend_from_slice(StrCol::new(col, a.name)?.get(i)),
        DataType::Float64 => {
            out.extend_from_slice(&col.as_primitive::<Float64Type>().value(i).to_le_bytes())
        }
        DataType::Float32 => {
            out.extend_from_slice(&col.as_primitive::<Float32Type>().value(i).to_le_bytes())
        }
        DataType::Decimal128(p, _) => {
            let v = col.as_primitive::<Decimal128Type>().value(i).to_le_bytes();
            let w = match p {
                0..=9 => 4,
                10..=18 => 8,
                _ => 16,
            };
            out.extend_from_slice(&v[..w]);
        }
        DataType::Decimal256(..) if matches!(t, ChType::Decimal { .. }) => {
            out.extend_from_slice(&col.as_primitive::<Decimal256Type>().value(i).to_le_bytes());
        }
        DataType::Decimal256(..) => {
            // Int128/UInt128/Int256/UInt256: big-endian two's complement of the type width.
            let le = col.as_primitive::<Decimal256Type>().value(i).to_le_bytes();
            let width = match t {
                ChType::Int128 | ChType::UInt128 => 16,
                _ => 32,
            };
            let mut be: Vec<u8> = le[..width].iter().rev().copied().collect();
            let skip = be.iter().position(|b| *b != 0).unwrap_or(width - 1);
            be.drain(..skip);
            out.extend_from_slice(&be);
        }
        DataType::Boolean => minimal_be(u128::from(col.as_boolean().value(i)), 1, out),
        dt => {
            let width = match dt {
                DataType::Int8 | DataType::UInt8 => 1,
                DataType::Int16 | DataType::UInt16 => 2,
                DataType::Int32 | DataType::UInt32 | DataType::Date32 => 4,
                _ => 8,
            };
            let v: u128 = if *dt == DataType::UInt64 {
                col.as_primitive::<UInt64Type>().value(i) as u128
            } else {
                let c = cast(&col.slice(i, 1), &DataType::Int64)?;
                let v = c.as_primitive::<Int64Type>().value(0);
                // Dates are shown as their unsigned day/second numbers.
                let v = if matches!(t, ChType::Date) {
                    v as u16 as i64
                } else {
                    v
                };
                (v as i128 as u128) & (u128::MAX >> (128 - 8 * width))
            };
            minimal_be(v, width, out);
        }
    }
    Ok(())
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn hex(a: &Args) -> Result<ArrayRef> {
    let mut b = StrBuilder::new(a.rows, false);
    let mut buf = Vec::new();
    for i in 0..a.rows {
        buf.clear();
        value_bytes(a, i, &mut buf)?;
        for c in &buf {
            b.push_bytes(&[HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        }
        b.finish_row()?;
    }
    b.finish()
}

fn bin(a: &Args) -> Result<ArrayRef> {
    let mut b = StrBuilder::new(a.rows, false);
    let mut buf = Vec::new();
    for i in 0..a.rows {
        buf.clear();
        value_bytes(a, i, &mut buf)?;
        for c in &buf {
            for k in (0..8).rev() {
                b.push_bytes(if c >> k & 1 == 1 { b"1" } else { b"0" });
            }
        }
        b.finish_row()?;
    }
    b.finish()
}

fn from_text_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_string(a, 0)?;
    Ok(Ret {
        t: ChType::String,
        binary: true,
    })
}

/// ClickHouse's hex digit value (invalid characters read as 0xFF).
fn hex_digit(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0xFF,
    }
}

fn unhex(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut b = StrBuilder::new(a.rows, true);
    for i in 0..a.rows {
        let v = s.get(i);
        let mut k = 0;
        if v.len() % 2 == 1 {
            b.push_bytes(&[hex_digit(v[0])]);
            k = 1;
        }
        while k + 1 < v.len() {
            let byte = (hex_digit(v[k]) << 4).wrapping_add(hex_digit(v[k + 1]));
            b.push_bytes(&[byte]);
            k += 2;
        }
        b.finish_row()?;
    }
    b.finish()
}

fn unbin(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut b = StrBuilder::new(a.rows, true);
    for i in 0..a.rows {
        let v = s.get(i);
        let head = v.len() % 8;
        let mut chunks: Vec<&[u8]> = Vec::new();
        if head > 0 {
            chunks.push(&v[..head]);
        }
        chunks.extend(v[head..].chunks(8));
        for ch in chunks {
            let byte = ch.iter().fold(0u8, |acc, c| (acc << 1) | (c & 1));
            b.push_bytes(&[byte]);
        }
        b.finish_row()?;
    }
    b.finish()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_string(a, 0)?;
    Ok(ChType::String.into())
}

/// Standard padded base64 of `v`, or the URL-safe unpadded form.
fn encode_b64(v: &[u8], url: bool, out: &mut Vec<u8>) {
    for ch in v.chunks(3) {
        let n = ch.len();
        let x = (ch[0] as u32) << 16
            | (*ch.get(1).unwrap_or(&0) as u32) << 8
            | *ch.get(2).unwrap_or(&0) as u32;
        let digits = [x >> 18 & 63, x >> 12 & 63, x >> 6 & 63, x & 63];
        for (k, d) in digits.iter().enumerate() {
            if k > n {
                if !url {
                    out.push(b'=');
                }
                continue;
            }
            let c = B64[*d as usize];
            out.push(match (url, c) {
                (true, b'+') => b'-',
                (true, b'/') => b'_',
                _ => c,
            });
        }
    }
}

fn base64_encode(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let url = a.name == "base64URLEncode";
    let mut b = StrBuilder::new(a.rows, false);
    for i in 0..a.rows {
        encode_b64(s.get(i), url, b.current());
        b.finish_row()?;
    }
    b.finish()
}

/// Decodes URL-safe base64 (padding optional).
fn decode_b64_url(v: &[u8]) -> Option<Vec<u8>> {
    if v.len() % 4 == 1 {
        return None;
    }
    let mut std: Vec<u8> = v
        .iter()
        .map(|c| match c {
            b'-' => b'+',
            b'_' => b'/',
            c => *c,
        })
        .collect();
    while !std.len().is_multiple_of(4) {
        std.push(b'=');
    }
    decode_b64(&std)
}

/// Decodes padded standard base64; `None` when invalid.
fn decode_b64(v: &[u8]) -> Option<Vec<u8>> {
    if !v.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| B64.iter().position(|x| *x == c).map(|p| p as u32);
    let mut out = Vec::with_capacity(v.len() / 4 * 3);
    let chunks = v.len() / 4;
    for (k, ch) in v.chunks(4).enumerate() {
        let last = k + 1 == chunks;
        let pad = ch.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut x = 0u32;
        for (j, c) in ch.iter().enumerate() {
            let d = if j >= 4 - pad { 0 } else { val(*c)? };
            x = x << 6 | d;
        }
        let bytes = [(x >> 16) as u8, (x >> 8) as u8, x as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// The decoder for a `…Base64…Decode` function name.
fn decoder(name: &str) -> fn(&[u8]) -> Option<Vec<u8>> {
    if name.contains("URL") {
        decode_b64_url
    } else {
        decode_b64
    }
}

fn base64_decode(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let decode = decoder(a.name);
    let mut b = StrBuilder::new(a.rows, true);
    for i in 0..a.rows {
        match decode(s.get(i)) {
            Some(d) => b.append(&d)?,
            None => ch_bail!(
                INCORRECT_DATA,
                "Invalid {} value ({}), cannot be decoded",
                a.name,
                String::from_utf8_lossy(s.get(i))
            ),
        }
    }
    b.finish()
}

fn try_base64_decode(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let decode = decoder(a.name);
    let mut b = StrBuilder::new(a.rows, true);
    for i in 0..a.rows {
        b.append(&decode(s.get(i)).unwrap_or_default())?;
    }
    b.finish()
}

fn char_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, usize::MAX)?;
    for (i, t) in a.types.iter().enumerate() {
        if !is_number(t) {
            return Err(illegal(a, i));
        }
    }
    Ok(Ret {
        t: ChType::String,
        binary: true,
    })
}

fn char_(a: &Args) -> Result<ArrayRef> {
    let mut cols = Vec::new();
    for c in &a.cols {
        let c = match c.data_type() {
            DataType::Float32
            | DataType::Float64
            | DataType::Decimal128(..)
            | DataType::Decimal256(..) => cast(&cast(c, &DataType::Float64)?, &DataType::Int64)?,
            DataType::UInt64 => Arc::clone(c),
            _ => cast(c, &DataType::Int64)?,
        };
        cols.push(Arc::clone(&c));
    }
    let mut b = StrBuilder::new(a.rows, true);
    for i in 0..a.rows {
        for c in &cols {
            let v = match c.data_type() {
                DataType::UInt64 => c.as_primitive::<UInt64Type>().value(i) as u8,
                _ => c.as_primitive::<Int64Type>().value(i) as u8,
            };
            b.push_bytes(&[v]);
        }
        b.finish_row()?;
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;
    use datafusion::common::ScalarValue;

    fn hexof(e: E) -> String {
        one(call("hex", vec![e]))
    }

    #[test]
    fn hex_of_values() {
        // Oracle: hex(1) = 01; hex(255) = FF; hex(256) = 0100; hex(toInt8(-1)) = FF;
        // hex(toInt32(-1)) = FFFFFFFF; hex(1.0) = 000000000000F03F; hex(toFloat32(1)) = 0000803F;
        // hex('abc') = 616263; hex(0) = 00; hex(toDate('2020-01-01')) = 4756;
        // hex(toUInt64(18446744073709551615)) = FFFFFFFFFFFFFFFF; hex(true) = 01.
        assert_eq!(hexof(n(1)), "String\t01");
        assert_eq!(hexof(n(255)), "String\tFF");
        assert_eq!(hexof(n(256)), "String\t0100");
        assert_eq!(hexof(n(-1)), "String\tFF");
        assert_eq!(
            hexof(typed("Int32", ScalarValue::Int32(Some(-1)))),
            "String\tFFFFFFFF"
        );
        assert_eq!(hexof(f(1.0)), "String\t000000000000F03F");
        assert_eq!(
            hexof(typed("Float32", ScalarValue::Float32(Some(1.0)))),
            "String\t0000803F"
        );
        assert_eq!(hexof(s("abc")), "String\t616263");
        assert_eq!(hexof(n(0)), "String\t00");
        assert_eq!(
            hexof(typed("Date", ScalarValue::Date32(Some(18262)))),
            "String\t4756"
        );
        assert_eq!(
            hexof(typed("UInt64", ScalarValue::UInt64(Some(u64::MAX)))),
            "String\tFFFFFFFFFFFFFFFF"
        );
        assert_eq!(
            hexof(typed("Bool", ScalarValue::Boolean(Some(true)))),
            "String\t01"
        );
        assert_code(call("hex", vec![call("array", vec![n(1)])]), 43);
        // Oracle: hex(toDate32(…)) → 43; hex(toDateTime64(…)) → 44; hex(toInt16(-2)) = FFFE;
        // hex(toDecimal64(1.5, 2)) = 9600000000000000.
        assert_code(
            call("hex", vec![typed("Date32", ScalarValue::Date64(Some(0)))]),
            43,
        );
        let dt64 = typed(
            "DateTime64(3)",
            ScalarValue::TimestampMillisecond(Some(0), None),
        );
        assert_code(call("hex", vec![dt64]), 44);
        assert_eq!(
            hexof(typed("Int16", ScalarValue::Int16(Some(-2)))),
            "String\tFFFE"
        );
        let d64 = typed("Decimal(18, 2)", ScalarValue::Decimal128(Some(150), 18, 2));
        assert_eq!(hexof(d64), "String\t9600000000000000");
        // Oracle: hex(toDecimal32(1.5, 2)) = 96000000; hex(toInt128(-1)) = 32 × F;
        // hex(toDateTime('2020-01-01 00:00:00', 'UTC')) = 5E0BE100;
        // hex(toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0')) = 61F0C4045CB311E7907BA6006AD3DBA0.
        let dec = typed("Decimal(9, 2)", ScalarValue::Decimal128(Some(150), 9, 2));
        assert_eq!(hexof(dec), "String\t96000000");
        let i128v = typed(
            "Int128",
            ScalarValue::Decimal256(
                Some(datafusion::arrow::datatypes::i256::from_i128(-1)),
                76,
                0,
            ),
        );
        assert_eq!(hexof(i128v), format!("String\t{}", "F".repeat(32)));
        let dt = typed(
            "DateTime('UTC')",
            ScalarValue::TimestampSecond(Some(1577836800), Some("UTC".into())),
        );
        assert_eq!(hexof(dt), "String\t5E0BE100");
        let uuid = hex::decode("61f0c4045cb311e7907ba6006ad3dba0").unwrap_or_default();
        let u = typed("UUID", ScalarValue::FixedSizeBinary(16, Some(uuid)));
        assert_eq!(hexof(u), "String\t61F0C4045CB311E7907BA6006AD3DBA0");
    }

    #[test]
    fn decoders() {
        // Oracle: hex(unhex('616')) = 0616; hex(unhex('6G')) = 5F; hex(unhex('fF')) = FF;
        // bin(5) = 00000101; bin('a') = 01100001; bin(toInt8(-1)) = 11111111;
        // hex(unbin('0110000101')) = 0185; base64Encode('hello') = aGVsbG8=;
        // base64Decode('aGVsbG8=') = hello; base64Decode('@@') → 117; tryBase64Decode('@@') = '';
        // hex(char(72, 105)) = 4869; hex(char(256+65)) = 41; hex(char(1.5, -1)) = 01FF.
        let h = |e: E| hexof(e);
        assert_eq!(h(call("unhex", vec![s("616")])), "String\t0616");
        assert_eq!(h(call("unhex", vec![s("6G")])), "String\t5F");
        assert_eq!(h(call("unhex", vec![s("fF")])), "String\tFF");
        assert_eq!(one(call("unhex", vec![s("4142")])), "String\tAB");
        assert_eq!(one(call("bin", vec![n(5)])), "String\t00000101");
        assert_eq!(one(call("bin", vec![s("a")])), "String\t01100001");
        assert_eq!(one(call("bin", vec![n(-1)])), "String\t11111111");
        assert_eq!(h(call("unbin", vec![s("0110000101")])), "String\t0185");
        assert_eq!(
            one(call("base64Encode", vec![s("hello")])),
            "String\taGVsbG8="
        );
        assert_eq!(
            one(call("base64Decode", vec![s("aGVsbG8=")])),
            "String\thello"
        );
        assert_code(call("base64Decode", vec![s("@@")]), 117);
        assert_code(call("base64Decode", vec![s("aGVsbG8")]), 117);
        assert_eq!(one(call("tryBase64Decode", vec![s("@@")])), "String\t");
        // Oracle: base64URLEncode('https://clickhouse.com?a=1&b=~~~') =
        // aHR0cHM6Ly9jbGlja2hvdXNlLmNvbT9hPTEmYj1-fn4; base64URLDecode(
        // 'aHR0cHM6Ly9jbGlja2hvdXNlLmNvbQ') = https://clickhouse.com; base64Encode('~~~') = fn5+;
        // base64URLEncode('~~~') = fn5-; base64URLDecode('fn5-') = ~~~; base64URLDecode('aGk') = hi;
        // tryBase64URLDecode('@') = ''; base64URLDecode('@') → 117.
        let e = |name: &'static str, v: &str| one(call(name, vec![s(v)]));
        assert_eq!(
            e("base64URLEncode", "https://clickhouse.com?a=1&b=~~~"),
            "String\taHR0cHM6Ly9jbGlja2hvdXNlLmNvbT9hPTEmYj1-fn4"
        );
        assert_eq!(
            e("base64URLDecode", "aHR0cHM6Ly9jbGlja2hvdXNlLmNvbQ"),
            "String\thttps://clickhouse.com"
        );
        assert_eq!(e("base64Encode", "~~~"), "String\tfn5+");
        assert_eq!(e("base64URLEncode", "~~~"), "String\tfn5-");
        assert_eq!(e("base64URLDecode", "fn5-"), "String\t~~~");
        assert_eq!(e("base64URLDecode", "aGk"), "String\thi");
        assert_eq!(e("tryBase64URLDecode", "@"), "String\t");
        assert_code(call("base64URLDecode", vec![s("@")]), 117);
        assert_eq!(h(call("char", vec![n(72), n(105)])), "String\t4869");
        assert_eq!(h(call("char", vec![n(321)])), "String\t41");
        // Byte-exact results on raw bytes. Oracle: hex(reverse(unhex('D0BF'))) = BFD0;
        // hex(substring(unhex('D0BFD1'), 2, 2)) = BFD1.
        assert_eq!(
            h(call("reverse", vec![call("unhex", vec![s("D0BF")])])),
            "String\tBFD0"
        );
        assert_eq!(
            h(call(
                "substring",
                vec![call("unhex", vec![s("D0BFD1")]), n(2), n(2)]
            )),
            "String\tBFD1"
        );
        assert_eq!(h(call("char", vec![f(1.5), n(-1)])), "String\t01FF");
    }
}
