//! Oracle-checked rendering of every type in each text style.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, FixedSizeBinaryArray, Float64Array, ListBuilder,
    MapBuilder, NullArray, StringArray, StringBuilder, StructArray, TimestampMillisecondArray,
    UInt8Array, UInt8Builder, UInt32Array,
};
use arrow::datatypes::Field;
use sluice_common::ChType;

use super::*;

/// Columns of
/// `SELECT 'a''b\0\b\f\r\\\\"/\x01é' s, [NULL,'x\''] a, (1,'q') t, toDate('2020-01-02') d,
///  now()::DateTime('UTC') > 0 c, NULL n, toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') u,
///  1.5 f, map('a',[1]) m, toIPv6('::1.2.3.4') i6, toIPv6('2001:db8::1') i7,
///  toIPv4('1.2.3.4') i4, CAST('a','Enum8(\'a\'=1)') e,
///  toDateTime64('2020-01-01 00:00:00.5',1,'UTC') dt64`
fn sample() -> Vec<(ArrayRef, ChType)> {
    let ty = |s: &str| ChType::parse(s).unwrap();
    let mut a = ListBuilder::new(StringBuilder::new());
    a.values().append_null();
    a.values().append_value("x'");
    a.append(true);
    let t = StructArray::from(vec![
        (
            Arc::new(Field::new("1", arrow::datatypes::DataType::UInt8, false)),
            Arc::new(UInt8Array::from(vec![1])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("2", arrow::datatypes::DataType::Utf8, false)),
            Arc::new(StringArray::from(vec!["q"])) as ArrayRef,
        ),
    ]);
    let mut m = MapBuilder::new(
        None,
        StringBuilder::new(),
        ListBuilder::new(UInt8Builder::new()),
    );
    m.keys().append_value("a");
    m.values().values().append_value(1);
    m.values().append(true);
    m.append(true).unwrap();
    let v6 = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap().octets();
    vec![
        (
            Arc::new(StringArray::from(vec!["a'b\0\x08\x0c\r\\\"/\x01é"])) as ArrayRef,
            ChType::String,
        ),
        (Arc::new(a.finish()), ty("Array(Nullable(String))")),
        (Arc::new(t), ty("Tuple(UInt8, String)")),
        (Arc::new(Date32Array::from(vec![18263])), ChType::Date),
        (Arc::new(BooleanArray::from(vec![true])), ChType::UInt8),
        (Arc::new(NullArray::new(1)), ty("Nullable(Nothing)")),
        (
            Arc::new(
                FixedSizeBinaryArray::try_from_iter(
                    vec![[
                        0x61u8, 0xf0, 0xc4, 0x04, 0x5c, 0xb3, 0x11, 0xe7, 0x90, 0x7b, 0xa6, 0,
                        0x6a, 0xd3, 0xdb, 0xa0,
                    ]]
                    .into_iter(),
                )
                .unwrap(),
            ),
            ChType::Uuid,
        ),
        (Arc::new(Float64Array::from(vec![1.5])), ChType::Float64),
        (Arc::new(m.finish()), ty("Map(String, Array(UInt8))")),
        (
            Arc::new(
                FixedSizeBinaryArray::try_from_iter(vec![v6("::1.2.3.4")].into_iter()).unwrap(),
            ),
            ChType::IPv6,
        ),
        (
            Arc::new(
                FixedSizeBinaryArray::try_from_iter(vec![v6("2001:db8::1")].into_iter()).unwrap(),
            ),
            ChType::IPv6,
        ),
        (Arc::new(UInt32Array::from(vec![0x01020304])), ChType::IPv4),
        (Arc::new(StringArray::from(vec!["a"])), ty("Enum8('a' = 1)")),
        (
            Arc::new(TimestampMillisecondArray::from(vec![1577836800500]).with_timezone("UTC")),
            ty("DateTime64(1, 'UTC')"),
        ),
    ]
}

fn render(sep: &[u8], f: impl Fn(&mut Vec<u8>, &dyn Array, &ChType)) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (a, t)) in sample().iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(sep);
        }
        f(&mut out, a.as_ref(), t);
    }
    out
}

#[test]
fn tsv_row() {
    let ctx = TextContext::default();
    // ch-oracle -f TSV -q "<sample() query>"
    let expected = "a\\'b\\0\\b\\f\\r\\\\\"/\x01é\t[NULL,'x\\'']\t(1,'q')\t2020-01-02\t1\t\\N\t61f0c404-5cb3-11e7-907b-a6006ad3dba0\t1.5\t{'a':[1]}\t::1.2.3.4\t2001:db8::1\t1.2.3.4\ta\t2020-01-01 00:00:00.5";
    let got = render(b"\t", |o, a, t| write_tsv(o, a, 0, t, &ctx));
    assert_eq!(String::from_utf8(got).unwrap(), expected);
}

#[test]
fn csv_row() {
    let ctx = TextContext::default();
    // ch-oracle -f CSV -q "<sample() query>"
    let expected = "\"a'b\0\x08\x0c\r\\\"\"/\x01é\",\"[NULL,'x\\'']\",1,\"q\",\"2020-01-02\",1,\\N,\"61f0c404-5cb3-11e7-907b-a6006ad3dba0\",1.5,\"{'a':[1]}\",\"::1.2.3.4\",\"2001:db8::1\",\"1.2.3.4\",\"a\",\"2020-01-01 00:00:00.5\"";
    let got = render(b",", |o, a, t| write_csv(o, a, 0, t, &ctx));
    assert_eq!(String::from_utf8(got).unwrap(), expected);
}

#[test]
fn quoted_row() {
    let ctx = TextContext::default();
    // ch-oracle -f Values -q "<sample() query>"
    let expected = "'a\\'b\\0\\b\\f\\r\\\\\"/\x01é',[NULL,'x\\''],(1,'q'),'2020-01-02',1,NULL,'61f0c404-5cb3-11e7-907b-a6006ad3dba0',1.5,{'a':[1]},'::1.2.3.4','2001:db8::1','1.2.3.4','a','2020-01-01 00:00:00.5'";
    let got = render(b",", |o, a, t| write_quoted_value(o, a, 0, t, &ctx));
    assert_eq!(String::from_utf8(got).unwrap(), expected);
}

#[test]
fn json_row() {
    let ctx = TextContext::default();
    // ch-oracle -f JSONEachRow -q "<sample() query>" (values only)
    let expected = "\"a'b\\u0000\\b\\f\\r\\\\\\\"\\/\\u0001é\",[null,\"x'\"],[1,\"q\"],\"2020-01-02\",1,null,\"61f0c404-5cb3-11e7-907b-a6006ad3dba0\",1.5,{\"a\":[1]},\"::1.2.3.4\",\"2001:db8::1\",\"1.2.3.4\",\"a\",\"2020-01-01 00:00:00.5\"";
    let got = render(b",", |o, a, t| write_json(o, a, 0, t, &ctx, None));
    assert_eq!(String::from_utf8(got).unwrap(), expected);
}

#[test]
fn plain_values_and_bool() {
    let ctx = TextContext::default();
    // ch-oracle -q "SELECT true, toFixedString('ab',4), [toDecimal32(1.5,2)]" → true	ab\0\0	[1.5]
    let b = BooleanArray::from(vec![true]);
    assert_eq!(value_to_string(&b, 0, &ChType::Bool, &ctx), "true");
    assert_eq!(value_to_string(&b, 0, &ChType::UInt8, &ctx), "1");
    let fs = FixedSizeBinaryArray::try_from_iter(vec![*b"ab\0\0"].into_iter()).unwrap();
    let mut o = Vec::new();
    write_tsv(&mut o, &fs, 0, &ChType::FixedString(4), &ctx);
    assert_eq!(o, b"ab\\0\\0");
    assert_eq!(value_to_string(&b, 0, &ChType::UInt8, &ctx), "1");
    let n = NullArray::new(1);
    assert_eq!(value_to_string(&n, 0, &ChType::Nothing, &ctx), "NULL");
}
