//! Native blocks against ClickHouse's bytes, and round trips of every type.

use std::sync::Arc;

use arrow::datatypes::Schema;
use sluice_common::ChType;

use super::*;
use crate::parse::parse_column;
use crate::settings::FormatSettings;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect()
}

/// A one-row batch from (name, type, text value) triples.
fn batch(cols: &[(&str, &str, Option<&str>)]) -> RecordBatch {
    let s = FormatSettings::default();
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for (n, t, v) in cols {
        let t = ChType::parse(t).unwrap();
        arrays.push(parse_column(&[*v], &t, &s).unwrap());
        fields.push(t.to_field(n));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

#[test]
fn matches_clickhouse_bytes() {
    // ch-oracle -f Native -q "SELECT 1::UInt16 a, 'x' b" | od -An -tx1
    let b = batch(&[("a", "UInt16", Some("1")), ("b", "String", Some("x"))]);
    let mut out = Vec::new();
    write_native_block(&mut out, &b).unwrap();
    assert_eq!(
        out,
        hex("02 01 01 61 06 55 49 6e 74 31 36 01 00 01 62 06 53 74 72 69 6e 67 01 78")
    );
    // ch-oracle -f Native -q "SELECT toLowCardinality('ab') a, toNullable(5::UInt8) n,
    //   [1,2]::Array(UInt8) arr, toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') u,
    //   CAST('b','Enum8(\'a\'=1,\'b\'=2)') e" | od -An -tx1
    let expected = hex(
        "05 01 01 61 16 4c 6f 77 43 61 72 64 69 6e 61 6c 69 74 79 28 53 74 72 69 6e 67 29 01 00 00 00 00 \
         00 00 00 00 06 00 00 00 00 00 00 02 00 00 00 00 00 00 00 00 02 61 62 01 00 00 00 00 00 00 00 01 \
         01 6e 0f 4e 75 6c 6c 61 62 6c 65 28 55 49 6e 74 38 29 00 05 03 61 72 72 0c 41 72 72 61 79 28 55 \
         49 6e 74 38 29 02 00 00 00 00 00 00 00 01 02 01 75 04 55 55 49 44 e7 11 b3 5c 04 c4 f0 61 a0 db \
         d3 6a 00 a6 7b 90 01 65 17 45 6e 75 6d 38 28 27 61 27 20 3d 20 31 2c 20 27 62 27 20 3d 20 32 29 02",
    );
    let b = batch(&[
        ("a", "LowCardinality(String)", Some("ab")),
        ("n", "Nullable(UInt8)", Some("5")),
        ("arr", "Array(UInt8)", Some("[1,2]")),
        ("u", "UUID", Some("61f0c404-5cb3-11e7-907b-a6006ad3dba0")),
        ("e", "Enum8('a' = 1, 'b' = 2)", Some("b")),
    ]);
    let mut out = Vec::new();
    write_native_block(&mut out, &b).unwrap();
    assert_eq!(out, expected);
    let mut pos = 0;
    let back = read_native_block(&expected, &mut pos).unwrap();
    assert_eq!(pos, expected.len());
    assert_eq!(back, b);
}

/// Every type with a value and (where Nullable) a NULL.
pub(crate) const ALL_TYPES: &[(&str, &str)] = &[
    ("UInt8", "200"),
    ("UInt16", "60000"),
    ("UInt32", "4000000000"),
    ("UInt64", "18446744073709551615"),
    ("UInt128", "340282366920938463463374607431768211455"),
    (
        "UInt256",
        "12345678901234567890123456789012345678901234567890",
    ),
    ("Int8", "-100"),
    ("Int16", "-30000"),
    ("Int32", "-2000000000"),
    ("Int64", "-9223372036854775808"),
    ("Int128", "-170141183460469231731687303715884105728"),
    (
        "Int256",
        "-12345678901234567890123456789012345678901234567890",
    ),
    ("Float32", "1.5"),
    ("Float64", "-0.1"),
    ("Decimal(9, 2)", "-1234567.89"),
    ("Decimal(18, 4)", "12345678901234.5678"),
    (
        "Decimal(38, 10)",
        "-1234567890123456789012345678.0123456789",
    ),
    (
        "Decimal(76, 20)",
        "123456789012345678901234567890.12345678901234567891",
    ),
    ("String", "a\tb'c\\\"é"),
    ("FixedString(4)", "ab"),
    ("Date", "2149-06-06"),
    ("Date32", "1900-01-01"),
    ("DateTime('Asia/Tokyo')", "2020-01-02 03:04:05"),
    ("DateTime64(3, 'UTC')", "2020-01-02 03:04:05.123"),
    ("DateTime64(6)", "1969-12-31 23:59:59.999999"),
    ("UUID", "61f0c404-5cb3-11e7-907b-a6006ad3dba0"),
    ("Bool", "true"),
    ("IPv4", "192.168.0.1"),
    ("IPv6", "2001:db8::ff00:42:8329"),
    ("Enum8('a' = 1, 'b' = -2)", "b"),
    ("Enum16('x' = 1000, 'y' = 2)", "x"),
    ("Nullable(String)", "x"),
    ("Nullable(Int32)", "-5"),
    ("LowCardinality(String)", "lc"),
    ("LowCardinality(Nullable(String))", "lcn"),
    ("Array(Nullable(UInt8))", "[1,NULL,3]"),
    ("Array(Array(String))", "[['a'],[],['b','c']]"),
    ("Tuple(UInt8, String)", "(1,'x')"),
    ("Tuple(a Int64, b Array(Date))", "(-1,['2020-01-01'])"),
    ("Map(String, UInt64)", "{'k':1,'l':2}"),
    ("Map(UInt8, Array(Nullable(String)))", "{1:['a',NULL]}"),
];

#[test]
fn round_trips_every_type() {
    let s = FormatSettings::default();
    let mut fields = Vec::new();
    let mut arrays = Vec::new();
    for (i, (ty, v)) in ALL_TYPES.iter().enumerate() {
        let t = ChType::parse(ty).unwrap();
        let vals: Vec<Option<&str>> = if t.is_nullable() {
            vec![Some(v), None, Some(v)]
        } else {
            vec![Some(v), Some(v), None]
        };
        arrays.push(parse_column(&vals, &t, &s).unwrap());
        fields.push(t.to_field(&format!("c{i}")));
    }
    for (i, (ty, _)) in ALL_TYPES.iter().enumerate() {
        let one = RecordBatch::try_new(
            Arc::new(Schema::new(vec![fields[i].clone()])),
            vec![Arc::clone(&arrays[i])],
        )
        .unwrap();
        let mut out = Vec::new();
        write_native_block(&mut out, &one).unwrap();
        let mut pos = 0;
        let back = read_native_block(&out, &mut pos).unwrap_or_else(|e| panic!("{ty}: {e}"));
        assert_eq!(back.column(0), one.column(0), "{ty}");
    }
    let b = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap();
    let mut out = Vec::new();
    write_native_block(&mut out, &b).unwrap();
    let mut pos = 0;
    let back = read_native_block(&out, &mut pos).unwrap();
    assert_eq!(pos, out.len());
    for (i, (ty, _)) in ALL_TYPES.iter().enumerate() {
        assert_eq!(back.column(i), b.column(i), "{ty}");
    }
    // Truncated blocks are errors, never panics.
    for cut in 0..out.len() {
        let mut pos = 0;
        assert!(
            read_native_block(&out[..cut], &mut pos).is_err(),
            "cut at {cut}"
        );
    }
}

#[test]
fn reads_clickhouse_low_cardinality_blocks() {
    // ch-oracle -f Native -q "SELECT toLowCardinality(toString(number % 7)) AS s,
    //   toLowCardinality(toNullable(if(number % 3 = 0, NULL, toString(number)))) AS n
    //   FROM numbers(10)" | od -An -tx1
    let bytes = hex(
        "02 0a 01 73 16 4c 6f 77 43 61 72 64 69 6e 61 6c 69 74 79 28 53 74 72 69 6e 67 29 01 00 00 00 00 \
         00 00 00 00 06 00 00 00 00 00 00 08 00 00 00 00 00 00 00 00 01 30 01 31 01 32 01 33 01 34 01 35 \
         01 36 0a 00 00 00 00 00 00 00 01 02 03 04 05 06 07 01 02 03 01 6e 20 4c 6f 77 43 61 72 64 69 6e \
         61 6c 69 74 79 28 4e 75 6c 6c 61 62 6c 65 28 53 74 72 69 6e 67 29 29 01 00 00 00 00 00 00 00 00 \
         06 00 00 00 00 00 00 08 00 00 00 00 00 00 00 00 00 01 31 01 32 01 34 01 35 01 37 01 38 0a 00 00 \
         00 00 00 00 00 00 02 03 00 04 05 00 06 07 00",
    );
    let mut pos = 0;
    let b = read_native_block(&bytes, &mut pos).unwrap();
    assert_eq!(pos, bytes.len());
    let text = |i: usize| {
        let c = arrow::compute::cast(b.column(i), &arrow::datatypes::DataType::Utf8).unwrap();
        let s = c
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        s.iter().map(|v| v.map(str::to_string)).collect::<Vec<_>>()
    };
    let s: Vec<Option<String>> = (0..10).map(|n| Some((n % 7).to_string())).collect();
    let n: Vec<Option<String>> = (0..10)
        .map(|x| (x % 3 != 0).then(|| x.to_string()))
        .collect();
    assert_eq!(text(0), s);
    assert_eq!(text(1), n);
    assert_eq!(
        b.schema().field(1).data_type(),
        &ChType::parse("LowCardinality(Nullable(String))")
            .unwrap()
            .to_arrow()
    );
}
