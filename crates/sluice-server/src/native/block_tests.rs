//! Tests of native block encoding and decoding.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, DictionaryArray, FixedSizeBinaryArray,
    Float64Array, Int8Array, Int32Array, ListArray, StringArray, StructArray,
    TimestampMillisecondArray, TimestampSecondArray, UInt8Array, UInt64Array,
};
use arrow::datatypes::{Field, Int32Type, Schema};
use proptest::prelude::*;
use sluice_common::ChType;

use super::*;
use crate::native::wire::DecodeError;

fn col(t: &str, name: &str, array: ArrayRef) -> (Field, ArrayRef) {
    let ty = ChType::parse(t).expect("type");
    (
        ty.to_field(name).with_data_type(array.data_type().clone()),
        array,
    )
}

fn batch(cols: Vec<(Field, ArrayRef)>) -> RecordBatch {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = cols.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("batch")
}

/// Reference bytes for `SELECT 1` at revision 54460 (reference §6b), header and data.
#[test]
fn select_one_bytes() {
    let b = batch(vec![col(
        "UInt8",
        "1",
        Arc::new(UInt8Array::from(vec![1u8])),
    )]);
    let mut out = Vec::new();
    encode_header(b.schema().as_ref(), 54460, &mut out).expect("header");
    assert_eq!(
        out,
        [
            0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0x00, 0x01, 0x31, 0x05, b'U',
            b'I', b'n', b't', b'8', 0x00
        ]
    );
    out.clear();
    encode_block(&b, 54460, &mut out).expect("block");
    assert_eq!(
        out,
        [
            0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0x01, 0x01, 0x31, 0x05, b'U',
            b'I', b'n', b't', b'8', 0x00, 0x01
        ]
    );
    // Below 54454 there is no custom-serialization byte; at revision 0 no BlockInfo.
    out.clear();
    encode_block(&b, 54453, &mut out).expect("block");
    assert_eq!(out.len(), 19);
    out.clear();
    encode_block(&b, 0, &mut out).expect("block");
    assert_eq!(
        out,
        [
            0x01, 0x01, 0x01, 0x31, 0x05, b'U', b'I', b'n', b't', b'8', 0x01
        ]
    );
}

/// A `Nothing` value is the byte `'0'`, as ClickHouse writes it:
/// `ch-oracle -f Native -q "SELECT NULL AS n" | od -An -tx1`.
#[test]
fn nothing_values_match_clickhouse() {
    let b = batch(vec![col(
        "Nullable(Nothing)",
        "n",
        Arc::new(arrow::array::NullArray::new(1)),
    )]);
    let mut out = Vec::new();
    encode_block(&b, 0, &mut out).expect("block");
    let mut expected = vec![0x01, 0x01, 0x01, b'n', 0x11];
    expected.extend_from_slice(b"Nullable(Nothing)");
    expected.extend_from_slice(&[0x01, 0x30]);
    assert_eq!(out, expected);
}

fn sample_batch() -> RecordBatch {
    let list = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
        Some(vec![Some(1), Some(2)]),
        Some(vec![]),
        Some(vec![Some(3)]),
    ]);
    let tuple = StructArray::from(vec![
        (
            Arc::new(ChType::UInt64.to_field("1")),
            Arc::new(UInt64Array::from(vec![7u64, 8, 9])) as ArrayRef,
        ),
        (
            Arc::new(ChType::String.to_field("2")),
            Arc::new(StringArray::from(vec!["x", "y", "z"])) as ArrayRef,
        ),
    ]);
    let lc: DictionaryArray<Int32Type> = vec!["a", "b", "a"].into_iter().collect();
    let uuid = FixedSizeBinaryArray::try_from_iter(
        [
            [
                0x61u8, 0xf0, 0xc4, 0x04, 0x5c, 0xb3, 0x11, 0xe7, 0x90, 0x7b, 0xa6, 0x00, 0x6a,
                0xd3, 0xdb, 0xa0,
            ],
            [0u8; 16],
            [0xFFu8; 16],
        ]
        .into_iter(),
    )
    .expect("uuid");
    batch(vec![
        col("UInt8", "u8", Arc::new(UInt8Array::from(vec![1u8, 2, 255]))),
        col("Int8", "i8", Arc::new(Int8Array::from(vec![-1i8, 0, 127]))),
        col(
            "Float64",
            "f",
            Arc::new(Float64Array::from(vec![1.5, f64::NAN, -0.0])),
        ),
        col(
            "Nullable(String)",
            "s",
            Arc::new(StringArray::from(vec![Some("a"), None, Some("ccc")])),
        ),
        col(
            "Bool",
            "b",
            Arc::new(BooleanArray::from(vec![true, false, true])),
        ),
        col("Array(Int32)", "arr", Arc::new(list)),
        col("Tuple(UInt64, String)", "t", Arc::new(tuple)),
        col(
            "DateTime('UTC')",
            "dt",
            Arc::new(
                TimestampSecondArray::from(vec![0i64, 1_700_000_000, 4_000_000_000])
                    .with_timezone("UTC"),
            ),
        ),
        col(
            "DateTime64(3, 'UTC')",
            "dt64",
            Arc::new(TimestampMillisecondArray::from(vec![1i64, -1000, 5]).with_timezone("UTC")),
        ),
        col(
            "Decimal(18, 4)",
            "d",
            Arc::new(
                Decimal128Array::from(vec![12345i128, -1, 0])
                    .with_precision_and_scale(18, 4)
                    .expect("dec"),
            ),
        ),
        col("UUID", "id", Arc::new(uuid)),
        col(
            "Enum8('a' = 1, 'b' = -2)",
            "e",
            Arc::new(StringArray::from(vec!["a", "b", "a"])),
        ),
        col("LowCardinality(String)", "lc", Arc::new(lc)),
        col(
            "Int32",
            "i32",
            Arc::new(Int32Array::from(vec![i32::MIN, 0, i32::MAX])),
        ),
    ])
}

#[test]
fn round_trips_many_types() {
    let b = sample_batch();
    for n in [0u64, 54412, 54453, 54460] {
        let mut out = Vec::new();
        encode_block(&b, n, &mut out).expect("encode");
        let (decoded, used) = decode_block(&out, n).expect("decode");
        assert_eq!(used, out.len());
        let d = decoded.batch;
        assert_eq!(d.num_rows(), 3);
        assert_eq!(d.num_columns(), b.num_columns());
        for (i, field) in b.schema().fields().iter().enumerate() {
            let name = field.name();
            let dfield = d.schema().field(i).clone();
            assert_eq!(dfield.name(), name);
            if name == "lc" {
                // Sent as String (LowCardinality is stripped on the wire).
                assert_eq!(ChType::from_field(&dfield), ChType::String);
                let s = arrow::compute::cast(b.column(i), &arrow::datatypes::DataType::Utf8)
                    .expect("cast");
                assert_eq!(d.column(i).as_ref(), s.as_ref());
                continue;
            }
            if name == "f" {
                let (a, x) = (b.column(i), d.column(i));
                let (a, x) = (
                    a.as_any().downcast_ref::<Float64Array>().expect("f64"),
                    x.as_any().downcast_ref::<Float64Array>().expect("f64"),
                );
                assert_eq!(a.value(0), x.value(0));
                assert!(x.value(1).is_nan());
                continue;
            }
            assert_eq!(
                ChType::from_field(&dfield),
                ChType::from_field(field),
                "{name}"
            );
            let t = ChType::from_field(field);
            assert_eq!(render(d.column(i), &t), render(b.column(i), &t), "{name}");
            assert_eq!(d.column(i).null_count(), b.column(i).null_count(), "{name}");
        }
    }
}

/// Row values as text (field metadata of nested types does not matter here).
fn render(a: &ArrayRef, t: &ChType) -> Vec<String> {
    let ctx = sluice_formats::text::TextContext::default();
    (0..a.len())
        .map(|i| sluice_formats::text::value_to_string(a.as_ref(), i, t, &ctx))
        .collect()
}

#[test]
fn uuid_wire_layout() {
    let b = sample_batch();
    let one = b.project(&[10]).expect("project");
    let mut out = Vec::new();
    encode_block(&one.slice(0, 1), 54453, &mut out).expect("encode");
    assert_eq!(
        &out[out.len() - 16..],
        &[
            0xE7, 0x11, 0xB3, 0x5C, 0x04, 0xC4, 0xF0, 0x61, 0xA0, 0xDB, 0xD3, 0x6A, 0x00, 0xA6,
            0x7B, 0x90
        ]
    );
}

#[test]
fn truncated_blocks_are_incomplete() {
    let b = sample_batch();
    let mut out = Vec::new();
    encode_block(&b, 54460, &mut out).expect("encode");
    for cut in 0..out.len() {
        match decode_block(&out[..cut], 54460) {
            Err(DecodeError::Incomplete) => {}
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

#[test]
fn absurd_counts_do_not_allocate() {
    // 2^60 rows: ClickHouse's "Suspiciously many rows" before anything is sized by it.
    let mut v = vec![0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    v.put_varint(1);
    v.put_varint(1 << 60);
    v.put_str(b"x");
    v.put_str(b"String");
    v.put_u8(0);
    v.put_varint(1 << 60);
    assert!(
        matches!(decode_block(&v, 54460), Err(DecodeError::Invalid(e)) if e.code == ErrorCode::TOO_LARGE_ARRAY_SIZE)
    );
    // 10^12 rows (the largest allowed) with a few bytes present: incomplete, nothing
    // allocated.
    let mut v = vec![0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    v.put_varint(1);
    v.put_varint(1_000_000_000_000);
    v.put_str(b"x");
    v.put_str(b"UInt64");
    v.put_u8(0);
    v.put_u64_le(1);
    assert_eq!(
        decode_block(&v, 54460).map(|_| ()),
        Err(DecodeError::Incomplete)
    );
    // A string length of 2^60 inside a one-row column is an error.
    let mut v = vec![0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    v.put_varint(1);
    v.put_varint(1);
    v.put_str(b"x");
    v.put_str(b"String");
    v.put_u8(0);
    v.put_varint(1 << 60);
    assert!(
        matches!(decode_block(&v, 54460), Err(DecodeError::Invalid(e)) if e.code == sluice_common::ErrorCode::TOO_LARGE_STRING_SIZE)
    );
    // 2^40 columns: "Suspiciously many columns", not a huge Vec.
    let mut v = vec![0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    v.put_varint(1 << 40);
    v.put_varint(1);
    assert!(
        matches!(decode_block(&v, 54460), Err(DecodeError::Invalid(e)) if e.code == ErrorCode::TOO_LARGE_ARRAY_SIZE)
    );
    // 10^6 columns (the largest allowed) with a few bytes present: incomplete.
    let mut v = vec![0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    v.put_varint(1_000_000);
    v.put_varint(1);
    assert_eq!(
        decode_block(&v, 54460).map(|_| ()),
        Err(DecodeError::Incomplete)
    );
    // Array offsets claiming 2^50 elements.
    let mut v = vec![0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    v.put_varint(1);
    v.put_varint(1);
    v.put_str(b"a");
    v.put_str(b"Array(UInt8)");
    v.put_u8(0);
    v.put_u64_le(1 << 50);
    assert!(decode_block(&v, 54460).is_err());
}

#[test]
fn reads_low_cardinality_from_clients() {
    // LowCardinality(Nullable(String)) with dictionary [NULL-placeholder, "a", "b"] and
    // indexes [1, 0, 2], as clickhouse-driver writes it.
    let mut v = vec![0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    v.put_varint(1);
    v.put_varint(3);
    v.put_str(b"c");
    v.put_str(b"LowCardinality(Nullable(String))");
    v.put_u64_le(1); // key version
    v.put_u64_le(0x600); // UInt8 keys | HasAdditionalKeys | NeedUpdateDictionary
    v.put_u64_le(3);
    v.put_str(b"");
    v.put_str(b"a");
    v.put_str(b"b");
    v.put_u64_le(3);
    v.extend_from_slice(&[1, 0, 2]);
    let (block, used) = decode_block(&v, 54453).expect("decode");
    assert_eq!(used, v.len());
    let col = block.batch.column(0);
    assert_eq!(col.null_count(), 1);
    let plain = arrow::compute::cast(col, &arrow::datatypes::DataType::Utf8).expect("cast");
    let s = plain
        .as_any()
        .downcast_ref::<StringArray>()
        .expect("strings");
    assert_eq!(s.value(0), "a");
    assert!(s.is_null(1));
    assert_eq!(s.value(2), "b");
}

#[test]
fn empty_block_is_end_marker() {
    let mut v = Vec::new();
    crate::native::packets::write_empty_block(54460, &mut v);
    let (b, used) = decode_block(&v, 54460).expect("decode");
    assert!(b.is_end_marker());
    assert_eq!(used, 10);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoder_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512), n in prop::sample::select(vec![0u64, 54412, 54460])) {
        let _ = decode_block(&data, n);
    }

    #[test]
    fn decoder_survives_mutations(pos in 0usize..400, byte in any::<u8>()) {
        let b = sample_batch();
        let mut out = Vec::new();
        encode_block(&b, 54460, &mut out).expect("encode");
        let pos = pos % out.len();
        out[pos] = byte;
        let _ = decode_block(&out, 54460);
    }

    #[test]
    fn strings_round_trip(values in proptest::collection::vec(proptest::option::of(".{0,12}"), 1..40)) {
        let arr = StringArray::from(values.clone());
        let b = batch(vec![col("Nullable(String)", "s", Arc::new(arr))]);
        let mut out = Vec::new();
        encode_block(&b, 54460, &mut out).expect("encode");
        let (d, used) = decode_block(&out, 54460).expect("decode");
        prop_assert_eq!(used, out.len());
        prop_assert_eq!(d.batch.column(0).as_ref(), b.column(0).as_ref());
    }
}
