//! Whole-column fast paths of the Native encoding for the common pairs of ClickHouse type
//! and Arrow layout (numbers stored at their own width, `Date`, `DateTime`, `DateTime64`
//! in its own unit, `String`, `FixedString`, `Bool`): the values buffer is copied in one
//! piece or converted in one tight loop instead of value by value through `leaf`.
//!
//! Every path writes exactly the bytes `leaf::write_leaf` writes for each row (a NULL
//! slot is the type's default, zero); anything else returns `false` and the caller
//! falls back to the per-value encoder.

use std::ops::Range;

use arrow::array::{Array, ArrowPrimitiveType, AsArray, GenericByteArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{
    ArrowNativeType, ByteArrayType, DataType, Date32Type, Date64Type, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use sluice_common::ChType;

use super::wire::write_bytes;

/// Writes rows `rows` of `a` as a column of the scalar type `t` when a fast path fits;
/// returns whether it did (nothing is written otherwise).
pub(crate) fn write_bulk(out: &mut Vec<u8>, a: &dyn Array, rows: Range<usize>, t: &ChType) -> bool {
    let dt = a.data_type();
    match (t, dt) {
        (ChType::UInt8 | ChType::Int8 | ChType::Bool, DataType::Boolean) => {
            let b = a.as_boolean();
            out.reserve(rows.len());
            for r in rows.clone() {
                out.push(u8::from(b.value(r)));
            }
            zero_nulls(out, a.nulls(), rows, 1);
            true
        }
        (ChType::UInt8 | ChType::Int8 | ChType::Bool, DataType::UInt8) => {
            copy::<UInt8Type>(out, a, rows)
        }
        (ChType::UInt8 | ChType::Int8 | ChType::Bool, DataType::Int8) => {
            copy::<Int8Type>(out, a, rows)
        }
        (ChType::UInt16 | ChType::Int16, DataType::UInt16) => copy::<UInt16Type>(out, a, rows),
        (ChType::UInt16 | ChType::Int16, DataType::Int16) => copy::<Int16Type>(out, a, rows),
        (ChType::UInt32 | ChType::Int32 | ChType::IPv4, DataType::UInt32) => {
            copy::<UInt32Type>(out, a, rows)
        }
        (ChType::UInt32 | ChType::Int32 | ChType::IPv4, DataType::Int32) => {
            copy::<Int32Type>(out, a, rows)
        }
        (ChType::UInt64 | ChType::Int64 | ChType::Interval(_), DataType::UInt64) => {
            copy::<UInt64Type>(out, a, rows)
        }
        (ChType::UInt64 | ChType::Int64 | ChType::Interval(_), DataType::Int64) => {
            copy::<Int64Type>(out, a, rows)
        }
        (ChType::Float32, DataType::Float32) => copy::<Float32Type>(out, a, rows),
        (ChType::Float64, DataType::Float64) => copy::<Float64Type>(out, a, rows),
        (ChType::Date, DataType::Date32) => {
            convert::<Date32Type, 2>(out, a, rows, |d| (d as u16).to_le_bytes())
        }
        (ChType::Date32, DataType::Date32) => copy::<Date32Type>(out, a, rows),
        (ChType::Date32, DataType::Date64) => convert::<Date64Type, 4>(out, a, rows, |ms| {
            (ms.div_euclid(86_400_000) as i32).to_le_bytes()
        }),
        (ChType::DateTime(_), DataType::Timestamp(unit, _)) => match unit {
            TimeUnit::Second => {
                convert::<TimestampSecondType, 4>(out, a, rows, |s| (s as u32).to_le_bytes())
            }
            TimeUnit::Millisecond => convert::<TimestampMillisecondType, 4>(out, a, rows, |v| {
                (v.div_euclid(1_000) as u32).to_le_bytes()
            }),
            TimeUnit::Microsecond => convert::<TimestampMicrosecondType, 4>(out, a, rows, |v| {
                (v.div_euclid(1_000_000) as u32).to_le_bytes()
            }),
            TimeUnit::Nanosecond => convert::<TimestampNanosecondType, 4>(out, a, rows, |v| {
                (v.div_euclid(1_000_000_000) as u32).to_le_bytes()
            }),
        },
        (ChType::DateTime64(p, _), DataType::Timestamp(unit, _)) => match (p, unit) {
            (0, TimeUnit::Second) => copy::<TimestampSecondType>(out, a, rows),
            (3, TimeUnit::Millisecond) => copy::<TimestampMillisecondType>(out, a, rows),
            (6, TimeUnit::Microsecond) => copy::<TimestampMicrosecondType>(out, a, rows),
            (9, TimeUnit::Nanosecond) => copy::<TimestampNanosecondType>(out, a, rows),
            _ => false,
        },
        (ChType::String, DataType::Utf8) => strings(out, a.as_string::<i32>(), rows),
        (ChType::String, DataType::LargeUtf8) => strings(out, a.as_string::<i64>(), rows),
        (ChType::String, DataType::Binary) => strings(out, a.as_binary::<i32>(), rows),
        (ChType::String, DataType::LargeBinary) => strings(out, a.as_binary::<i64>(), rows),
        (ChType::String, DataType::Utf8View) => {
            let s = a.as_string_view();
            for r in rows {
                write_bytes(
                    out,
                    if s.is_null(r) {
                        b""
                    } else {
                        s.value(r).as_bytes()
                    },
                );
            }
            true
        }
        (ChType::FixedString(n), DataType::FixedSizeBinary(w)) if usize::try_from(*w) == Ok(*n) => {
            let f = a.as_fixed_size_binary();
            let bytes = f.value_data();
            let Some(slice) = bytes.get(rows.start * n..rows.end * n) else {
                return false;
            };
            out.extend_from_slice(slice);
            zero_nulls(out, a.nulls(), rows, *n);
            true
        }
        _ => false,
    }
}

/// Copies the little-endian values buffer (Arrow buffers are little-endian on every
/// platform Sluice runs on), then zeroes NULL slots.
fn copy<T: ArrowPrimitiveType>(out: &mut Vec<u8>, a: &dyn Array, rows: Range<usize>) -> bool {
    let Some(p) = a.as_primitive_opt::<T>() else {
        return false;
    };
    let width = std::mem::size_of::<T::Native>();
    let bytes = p.values().inner().as_slice();
    let Some(slice) = bytes.get(rows.start * width..rows.end * width) else {
        return false;
    };
    out.extend_from_slice(slice);
    zero_nulls(out, a.nulls(), rows, width);
    true
}

/// Converts each value to `W` bytes with `f`, then zeroes NULL slots.
fn convert<T: ArrowPrimitiveType, const W: usize>(
    out: &mut Vec<u8>,
    a: &dyn Array,
    rows: Range<usize>,
    f: impl Fn(T::Native) -> [u8; W],
) -> bool {
    let Some(p) = a.as_primitive_opt::<T>() else {
        return false;
    };
    let Some(values) = p.values().get(rows.clone()) else {
        return false;
    };
    out.reserve(values.len() * W);
    for v in values {
        out.extend_from_slice(&f(*v));
    }
    zero_nulls(out, a.nulls(), rows, W);
    true
}

/// Length-prefixed strings; a NULL slot is the empty string.
fn strings<T: ByteArrayType>(
    out: &mut Vec<u8>,
    s: &GenericByteArray<T>,
    rows: Range<usize>,
) -> bool {
    let offsets = s.value_offsets();
    let data = s.value_data();
    let (Some(first), Some(last)) = (offsets.get(rows.start), offsets.get(rows.end)) else {
        return false;
    };
    let span = last.as_usize().saturating_sub(first.as_usize());
    out.reserve(span + rows.len() * 2);
    let nulls = s.nulls();
    for r in rows {
        let (start, end) = (offsets[r].as_usize(), offsets[r + 1].as_usize());
        let value = match nulls {
            Some(n) if n.is_null(r) => &[][..],
            _ => data.get(start..end).unwrap_or_default(),
        };
        write_bytes(out, value);
    }
    true
}

/// Zeroes the `width`-byte slots of NULL rows in the `rows.len()` values just written at
/// the end of `out`.
fn zero_nulls(out: &mut [u8], nulls: Option<&NullBuffer>, rows: Range<usize>, width: usize) {
    let Some(nulls) = nulls.filter(|n| n.null_count() > 0) else {
        return;
    };
    let base = out.len() - rows.len() * width;
    for (i, r) in rows.enumerate() {
        if nulls.is_null(r) {
            let at = base + i * width;
            out[at..at + width].fill(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, BinaryArray, BooleanArray, Date32Array, Date64Array, FixedSizeBinaryArray,
        Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Int64Array,
        LargeStringArray, StringArray, StringViewArray, TimestampMicrosecondArray,
        TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt8Array,
        UInt16Array, UInt32Array, UInt64Array,
    };

    use super::*;
    use crate::native::leaf::write_leaf;

    /// The per-value encoder's bytes for `rows`.
    fn per_value(a: &dyn Array, rows: Range<usize>, t: &ChType) -> Vec<u8> {
        let mut out = Vec::new();
        for r in rows {
            write_leaf(&mut out, a, r, t).unwrap();
        }
        out
    }

    /// Every fast path writes what the per-value encoder writes, for the whole array and
    /// for a slice of rows, with NULL slots holding garbage values.
    #[test]
    fn bulk_matches_per_value_encoding() {
        let cases: Vec<(&str, ArrayRef)> = vec![
            (
                "UInt8",
                Arc::new(UInt8Array::from(vec![Some(1), None, Some(255), Some(7)])),
            ),
            (
                "Int8",
                Arc::new(Int8Array::from(vec![Some(-1), None, Some(127), Some(-128)])),
            ),
            (
                "Bool",
                Arc::new(BooleanArray::from(vec![
                    Some(true),
                    None,
                    Some(false),
                    Some(true),
                ])),
            ),
            (
                "UInt8",
                Arc::new(BooleanArray::from(vec![true, false, true, true])),
            ),
            (
                "UInt16",
                Arc::new(UInt16Array::from(vec![Some(1), None, Some(65535), Some(3)])),
            ),
            (
                "Int16",
                Arc::new(Int16Array::from(vec![-5, 0, 300, i16::MIN])),
            ),
            (
                "UInt32",
                Arc::new(UInt32Array::from(vec![
                    Some(u32::MAX),
                    None,
                    Some(0),
                    Some(9),
                ])),
            ),
            (
                "Int32",
                Arc::new(Int32Array::from(vec![-1, 2, i32::MAX, 0])),
            ),
            (
                "UInt64",
                Arc::new(UInt64Array::from(vec![
                    Some(u64::MAX),
                    None,
                    Some(1),
                    Some(0),
                ])),
            ),
            (
                "Int64",
                Arc::new(Int64Array::from(vec![i64::MIN, -2, 3, i64::MAX])),
            ),
            (
                "Float32",
                Arc::new(Float32Array::from(vec![
                    Some(1.5),
                    None,
                    Some(-0.0),
                    Some(f32::NAN),
                ])),
            ),
            (
                "Float64",
                Arc::new(Float64Array::from(vec![
                    Some(2.5),
                    Some(f64::INFINITY),
                    None,
                    Some(-1e300),
                ])),
            ),
            (
                "Date",
                Arc::new(Date32Array::from(vec![
                    Some(0),
                    None,
                    Some(20000),
                    Some(65535),
                ])),
            ),
            (
                "Date32",
                Arc::new(Date64Array::from(vec![
                    Some(-86_400_000),
                    None,
                    Some(86_400_001),
                    Some(0),
                ])),
            ),
            (
                "DateTime",
                Arc::new(TimestampSecondArray::from(vec![
                    Some(0),
                    None,
                    Some(1_700_000_000),
                    Some(4_294_967_295),
                ])),
            ),
            (
                "DateTime('UTC')",
                Arc::new(TimestampMillisecondArray::from(vec![
                    -1,
                    1_500,
                    1_700_000_000_123,
                    0,
                ])),
            ),
            (
                "DateTime",
                Arc::new(TimestampMicrosecondArray::from(vec![
                    Some(-1),
                    None,
                    Some(1_000_001),
                    Some(2),
                ])),
            ),
            (
                "DateTime",
                Arc::new(TimestampNanosecondArray::from(vec![
                    -1,
                    1_999_999_999,
                    3,
                    0,
                ])),
            ),
            (
                "DateTime64(3)",
                Arc::new(TimestampMillisecondArray::from(vec![
                    Some(-1),
                    None,
                    Some(1_700_000_000_123),
                    Some(0),
                ])),
            ),
            (
                "DateTime64(6)",
                Arc::new(TimestampMicrosecondArray::from(vec![1, 2, 3, 4])),
            ),
            (
                "DateTime64(9)",
                Arc::new(TimestampNanosecondArray::from(vec![
                    Some(1),
                    None,
                    Some(3),
                    Some(4),
                ])),
            ),
            (
                "DateTime64(0)",
                Arc::new(TimestampSecondArray::from(vec![1, 2, 3, 4])),
            ),
            (
                "String",
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    None,
                    Some(""),
                    Some("\u{e9}t\u{e9}"),
                ])),
            ),
            (
                "String",
                Arc::new(LargeStringArray::from(vec![
                    Some("x"),
                    Some("yy"),
                    None,
                    Some("z"),
                ])),
            ),
            (
                "String",
                Arc::new(StringViewArray::from(vec![
                    Some("a long string past twelve bytes"),
                    None,
                    Some("b"),
                    Some(""),
                ])),
            ),
            (
                "String",
                Arc::new(BinaryArray::from(vec![
                    Some(&b"\x00\xff"[..]),
                    None,
                    Some(b""),
                    Some(b"q"),
                ])),
            ),
            (
                "FixedString(2)",
                Arc::new(
                    FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                        vec![
                            Some(b"ab".to_vec()),
                            None,
                            Some(b"cd".to_vec()),
                            Some(b"\0e".to_vec()),
                        ]
                        .into_iter(),
                        2,
                    )
                    .unwrap(),
                ),
            ),
        ];
        for (type_name, a) in cases {
            let t = ChType::parse(type_name).unwrap();
            for rows in [0..a.len(), 1..3, 2..2] {
                let mut out = Vec::new();
                assert!(
                    write_bulk(&mut out, a.as_ref(), rows.clone(), &t),
                    "{type_name} from {} has a fast path",
                    a.data_type()
                );
                assert_eq!(
                    out,
                    per_value(a.as_ref(), rows.clone(), &t),
                    "{type_name} from {} rows {rows:?}",
                    a.data_type()
                );
            }
        }
    }

    #[test]
    fn other_layouts_fall_back() {
        let a = Int64Array::from(vec![1, 2]);
        let mut out = Vec::new();
        assert!(!write_bulk(&mut out, &a, 0..2, &ChType::UInt8));
        assert!(!write_bulk(
            &mut out,
            &a,
            0..2,
            &ChType::parse("Decimal(10, 2)").unwrap()
        ));
        assert!(out.is_empty());
    }
}
