//! A column's text writer resolved once per block: the common pairs of ClickHouse type and
//! Arrow layout (integers, floats, strings, `Date`, `DateTime`/`DateTime64`, booleans) are
//! downcast and their time zone parsed once, so each cell is one `match` and the value's
//! formatting, instead of the per-value dispatch of [`super::write_styled`].
//!
//! [`ColumnText::write`] writes exactly what `write_styled` writes for a non-NULL value in
//! the same style; other columns get no `ColumnText` and use `write_styled`.

use arrow::array::{
    Array, AsArray, BooleanArray, Date32Array, Float32Array, Float64Array, GenericStringArray,
    PrimitiveArray, StringViewArray,
};
use arrow::datatypes::{
    DataType, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use chrono_tz::Tz;
use sluice_common::ChType;

use super::datetime::{DateTimeOutputFormat, write_date, write_datetime};
use super::number::{write_f32, write_f64, write_int};
use super::value::{timezone_of, write_str};
use super::{Style, TextContext};

/// Timestamps of any unit as `i64` ticks.
enum Ticks<'a> {
    Second(&'a PrimitiveArray<TimestampSecondType>),
    Milli(&'a PrimitiveArray<TimestampMillisecondType>),
    Micro(&'a PrimitiveArray<TimestampMicrosecondType>),
    Nano(&'a PrimitiveArray<TimestampNanosecondType>),
}

impl Ticks<'_> {
    fn value(&self, row: usize) -> i64 {
        match self {
            Ticks::Second(a) => a.value(row),
            Ticks::Milli(a) => a.value(row),
            Ticks::Micro(a) => a.value(row),
            Ticks::Nano(a) => a.value(row),
        }
    }
}

enum Kind<'a> {
    UInt8(&'a PrimitiveArray<UInt8Type>),
    UInt16(&'a PrimitiveArray<UInt16Type>),
    UInt32(&'a PrimitiveArray<UInt32Type>),
    UInt64(&'a PrimitiveArray<UInt64Type>),
    Int8(&'a PrimitiveArray<Int8Type>),
    Int16(&'a PrimitiveArray<Int16Type>),
    Int32(&'a PrimitiveArray<Int32Type>),
    Int64(&'a PrimitiveArray<Int64Type>),
    Float32(&'a Float32Array),
    Float64(&'a Float64Array),
    Utf8(&'a GenericStringArray<i32>),
    LargeUtf8(&'a GenericStringArray<i64>),
    Utf8View(&'a StringViewArray),
    Date(&'a Date32Array),
    /// `Bool`: `true`/`false`.
    Bool(&'a BooleanArray),
    /// A comparison result (ClickHouse `UInt8`): `1`/`0`.
    BoolAsNumber(&'a BooleanArray),
    DateTime {
        ticks: Ticks<'a>,
        per_sec: i64,
        precision: u8,
        tz: Tz,
        format: DateTimeOutputFormat,
    },
}

/// One column's resolved text writer.
pub struct ColumnText<'a> {
    array: &'a dyn Array,
    kind: Kind<'a>,
}

impl<'a> ColumnText<'a> {
    /// The writer for `array` of ClickHouse type `t`, or `None` when the pair has no fast
    /// path (dictionaries, containers, decimals, UUIDs, IPs, …).
    pub fn try_new(array: &'a dyn Array, t: &ChType, ctx: &TextContext) -> Option<Self> {
        let base = t.base();
        // Types whose text depends on the ClickHouse type, not only on the layout.
        if matches!(base, ChType::IPv4 | ChType::IPv6 | ChType::Uuid) {
            return None;
        }
        let kind = match array.data_type() {
            DataType::UInt8 if matches!(base, ChType::Bool) => return None,
            DataType::UInt8 => Kind::UInt8(array.as_primitive_opt()?),
            DataType::UInt16 => Kind::UInt16(array.as_primitive_opt()?),
            DataType::UInt32 => Kind::UInt32(array.as_primitive_opt()?),
            DataType::UInt64 => Kind::UInt64(array.as_primitive_opt()?),
            DataType::Int8 => Kind::Int8(array.as_primitive_opt()?),
            DataType::Int16 => Kind::Int16(array.as_primitive_opt()?),
            DataType::Int32 => Kind::Int32(array.as_primitive_opt()?),
            DataType::Int64 => Kind::Int64(array.as_primitive_opt()?),
            DataType::Float32 => Kind::Float32(array.as_primitive_opt()?),
            DataType::Float64 => Kind::Float64(array.as_primitive_opt()?),
            DataType::Utf8 => Kind::Utf8(array.as_string_opt()?),
            DataType::LargeUtf8 => Kind::LargeUtf8(array.as_string_opt()?),
            DataType::Utf8View => Kind::Utf8View(array.as_string_view_opt()?),
            DataType::Date32 => Kind::Date(array.as_primitive_opt()?),
            DataType::Boolean if matches!(base, ChType::Bool) => {
                Kind::Bool(array.as_boolean_opt()?)
            }
            DataType::Boolean => Kind::BoolAsNumber(array.as_boolean_opt()?),
            DataType::Timestamp(unit, _) => {
                let (ticks, per_sec, unit_p) = match unit {
                    TimeUnit::Second => (Ticks::Second(array.as_primitive_opt()?), 1, 0),
                    TimeUnit::Millisecond => (Ticks::Milli(array.as_primitive_opt()?), 1_000, 3),
                    TimeUnit::Microsecond => {
                        (Ticks::Micro(array.as_primitive_opt()?), 1_000_000, 6)
                    }
                    TimeUnit::Nanosecond => {
                        (Ticks::Nano(array.as_primitive_opt()?), 1_000_000_000, 9)
                    }
                };
                let precision = match base {
                    ChType::DateTime(_) => 0,
                    ChType::DateTime64(p, _) => *p,
                    _ => unit_p,
                };
                Kind::DateTime {
                    ticks,
                    per_sec,
                    precision,
                    tz: timezone_of(base, array.data_type(), ctx),
                    format: ctx.date_time_output_format,
                }
            }
            _ => return None,
        };
        Some(Self { array, kind })
    }

    /// True when the value at `row` is NULL.
    pub fn is_null(&self, row: usize) -> bool {
        self.array.is_null(row)
    }

    /// Writes the non-NULL value at `row` in `style`.
    pub fn write(&self, out: &mut Vec<u8>, row: usize, style: Style) {
        match &self.kind {
            Kind::UInt8(a) => write_int(out, a.value(row)),
            Kind::UInt16(a) => write_int(out, a.value(row)),
            Kind::UInt32(a) => write_int(out, a.value(row)),
            Kind::UInt64(a) => write_int(out, a.value(row)),
            Kind::Int8(a) => write_int(out, a.value(row)),
            Kind::Int16(a) => write_int(out, a.value(row)),
            Kind::Int32(a) => write_int(out, a.value(row)),
            Kind::Int64(a) => write_int(out, a.value(row)),
            Kind::Float32(a) => write_f32(out, a.value(row)),
            Kind::Float64(a) => write_f64(out, a.value(row)),
            Kind::Utf8(a) => write_str(out, a.value(row).as_bytes(), style),
            Kind::LargeUtf8(a) => write_str(out, a.value(row).as_bytes(), style),
            Kind::Utf8View(a) => write_str(out, a.value(row).as_bytes(), style),
            Kind::Date(a) => quoted(out, style, |o| write_date(o, a.value(row).into())),
            Kind::Bool(a) => out.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
            Kind::BoolAsNumber(a) => out.push(if a.value(row) { b'1' } else { b'0' }),
            Kind::DateTime {
                ticks,
                per_sec,
                precision,
                tz,
                format,
            } => quoted(out, style, |o| {
                write_datetime(o, ticks.value(row), *per_sec, *precision, tz, *format)
            }),
        }
    }
}

/// Dates in the quotes of the styles that quote them (CSV, literals).
fn quoted(out: &mut Vec<u8>, style: Style, f: impl FnOnce(&mut Vec<u8>)) {
    let q = match style {
        Style::Csv => Some(b'"'),
        Style::Quoted => Some(b'\''),
        Style::Plain | Style::Tsv => None,
    };
    if let Some(q) = q {
        out.push(q);
    }
    f(out);
    if let Some(q) = q {
        out.push(q);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, Int8Array, Int64Array, LargeStringArray, StringArray, TimestampMillisecondArray,
        TimestampNanosecondArray, TimestampSecondArray, UInt8Array, UInt16Array, UInt32Array,
        UInt64Array,
    };

    use super::*;
    use crate::text::write_styled;

    /// Every fast writer writes what `write_styled` writes, in every style and with
    /// non-default date/time settings.
    #[test]
    fn matches_write_styled() {
        let cases: Vec<(&str, ArrayRef)> = vec![
            (
                "UInt8",
                Arc::new(UInt8Array::from(vec![Some(0), None, Some(255)])),
            ),
            ("UInt16", Arc::new(UInt16Array::from(vec![1, 65535, 7]))),
            ("UInt32", Arc::new(UInt32Array::from(vec![0, u32::MAX, 10]))),
            (
                "UInt64",
                Arc::new(UInt64Array::from(vec![Some(u64::MAX), None, Some(3)])),
            ),
            ("Int8", Arc::new(Int8Array::from(vec![-128, 0, 127]))),
            (
                "Int16",
                Arc::new(arrow::array::Int16Array::from(vec![-1, 2, 300])),
            ),
            (
                "Int32",
                Arc::new(arrow::array::Int32Array::from(vec![i32::MIN, 0, 5])),
            ),
            (
                "Int64",
                Arc::new(Int64Array::from(vec![Some(i64::MIN), Some(-1), None])),
            ),
            (
                "Float32",
                Arc::new(Float32Array::from(vec![1.5, f32::NAN, 1e-7])),
            ),
            (
                "Float64",
                Arc::new(Float64Array::from(vec![Some(2.5e300), Some(-0.0), None])),
            ),
            (
                "Nullable(Float64)",
                Arc::new(Float64Array::from(vec![f64::INFINITY, 1e21, 0.1])),
            ),
            (
                "String",
                Arc::new(StringArray::from(vec![
                    Some("a\tb'c\\"),
                    None,
                    Some("\u{e9}\n"),
                ])),
            ),
            (
                "String",
                Arc::new(LargeStringArray::from(vec!["x,y", "\"q\"", ""])),
            ),
            (
                "String",
                Arc::new(StringViewArray::from(vec![
                    "a string longer than twelve bytes",
                    "\0",
                    "z",
                ])),
            ),
            (
                "Enum8('a' = 1)",
                Arc::new(StringArray::from(vec!["a", "a", "a"])),
            ),
            (
                "Date",
                Arc::new(Date32Array::from(vec![Some(0), None, Some(65535)])),
            ),
            ("Date32", Arc::new(Date32Array::from(vec![-25567, 1, 2]))),
            (
                "Bool",
                Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
            ),
            (
                "UInt8",
                Arc::new(BooleanArray::from(vec![true, false, true])),
            ),
            (
                "DateTime",
                Arc::new(TimestampSecondArray::from(vec![
                    Some(0),
                    None,
                    Some(4_294_967_295),
                ])),
            ),
            (
                "DateTime('Asia/Tokyo')",
                Arc::new(
                    TimestampSecondArray::from(vec![1_577_840_400, 0, 1])
                        .with_timezone("Asia/Tokyo"),
                ),
            ),
            (
                "DateTime64(3, 'Asia/Tokyo')",
                Arc::new(TimestampMillisecondArray::from(vec![
                    1_577_840_400_123,
                    -500,
                    7,
                ])),
            ),
            (
                "DateTime64(9)",
                Arc::new(TimestampNanosecondArray::from(vec![1, -1, 1_000_000_000])),
            ),
        ];
        let contexts = [
            TextContext::default(),
            TextContext {
                timezone: "America/New_York".parse().unwrap(),
                date_time_output_format: DateTimeOutputFormat::Iso,
                ..TextContext::default()
            },
            TextContext {
                date_time_output_format: DateTimeOutputFormat::UnixTimestamp,
                ..TextContext::default()
            },
        ];
        for (type_name, a) in &cases {
            let t = ChType::parse(type_name).unwrap();
            for ctx in &contexts {
                let fast = ColumnText::try_new(a.as_ref(), &t, ctx)
                    .unwrap_or_else(|| panic!("{type_name} from {} is fast", a.data_type()));
                for style in [Style::Plain, Style::Tsv, Style::Csv, Style::Quoted] {
                    for row in 0..a.len() {
                        let mut want = Vec::new();
                        write_styled(&mut want, a.as_ref(), row, &t, ctx, style);
                        let mut got = Vec::new();
                        if fast.is_null(row) {
                            assert!(a.is_null(row));
                            continue;
                        }
                        fast.write(&mut got, row, style);
                        assert_eq!(
                            String::from_utf8_lossy(&got),
                            String::from_utf8_lossy(&want),
                            "{type_name} {style:?} row {row}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn typed_layouts_have_no_fast_path() {
        let ctx = TextContext::default();
        let u8s = UInt8Array::from(vec![1]);
        assert!(ColumnText::try_new(&u8s, &ChType::Bool, &ctx).is_none());
        let u32s = UInt32Array::from(vec![1]);
        assert!(ColumnText::try_new(&u32s, &ChType::IPv4, &ctx).is_none());
    }
}
