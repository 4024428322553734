//! Whole-column conversions of plain integer columns (`Int8`…`Int64`, `UInt8`…`UInt64`),
//! the commonest case of `toString`, `toDate` and `toDateTime`: one pass over the values
//! buffer, no per-row `Val`, no per-row allocation. `toString` writes the decimal digits of
//! every row into one preallocated buffer; `toDate`/`toDateTime` are a clamp (and, for
//! `toDate` of numbers past the day-number range, a time-zone shift).
//!
//! Every other case (other source types, `accurateCast`) goes through the row-by-row path
//! of [`super::cast`]; these functions return `None` for it. Results are the same as that
//! path's, which follows ClickHouse.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, Date32Array, PrimitiveArray, StringArray,
    TimestampSecondArray,
};
use datafusion::arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{
    DataType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use datafusion::error::Result;
use sluice_common::ChType;

use crate::datetime::tz::Zone;

/// Largest `Date` day number; larger numbers are Unix timestamps (ClickHouse's rule).
const DATE_MAX: i64 = 65535;
/// Largest `DateTime` (2106-02-07 06:28:15 UTC).
const DATETIME_MAX: i64 = u32::MAX as i64;

/// An integer column's values as `i64` (unsigned values past `i64::MAX` saturate, which
/// every caller clamps further anyway), or its decimal text.
trait IntColumn {
    /// Applies `f` to every value, keeping the null buffer.
    fn map_i64<O: ArrowPrimitiveType>(&self, f: impl Fn(i64) -> O::Native) -> PrimitiveArray<O>;
    /// Decimal text of every value (NULL rows empty, with the source's null buffer).
    fn to_decimal_strings(&self) -> Result<StringArray>;
}

macro_rules! int_column {
    ($t:ty, $to_i64:expr) => {
        impl IntColumn for PrimitiveArray<$t> {
            fn map_i64<O: ArrowPrimitiveType>(
                &self,
                f: impl Fn(i64) -> O::Native,
            ) -> PrimitiveArray<O> {
                let to_i64 = $to_i64;
                let values: ScalarBuffer<O::Native> =
                    self.values().iter().map(|&v| f(to_i64(v))).collect();
                PrimitiveArray::<O>::new(values, self.nulls().cloned())
            }

            fn to_decimal_strings(&self) -> Result<StringArray> {
                let mut fmt = itoa::Buffer::new();
                let mut text: Vec<u8> = Vec::with_capacity(self.len() * digits_hint::<$t>());
                let mut offsets: Vec<i32> = Vec::with_capacity(self.len() + 1);
                offsets.push(0);
                match self.nulls().filter(|n| n.null_count() > 0) {
                    None => {
                        for &v in self.values().iter() {
                            text.extend_from_slice(fmt.format(v).as_bytes());
                            offsets.push(text.len() as i32);
                        }
                    }
                    Some(nulls) => {
                        for (&v, valid) in self.values().iter().zip(nulls.iter()) {
                            if valid {
                                text.extend_from_slice(fmt.format(v).as_bytes());
                            }
                            offsets.push(text.len() as i32);
                        }
                    }
                }
                // The offsets above wrap past 2 GiB of text: refuse such a column.
                if i32::try_from(text.len()).is_err() {
                    return Err(offset_overflow());
                }
                Ok(StringArray::try_new(
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    Buffer::from_vec(text),
                    self.nulls().cloned(),
                )?)
            }
        }
    };
}

int_column!(Int8Type, |v: i8| v as i64);
int_column!(Int16Type, |v: i16| v as i64);
int_column!(Int32Type, |v: i32| v as i64);
int_column!(Int64Type, |v: i64| v);
int_column!(UInt8Type, |v: u8| v as i64);
int_column!(UInt16Type, |v: u16| v as i64);
int_column!(UInt32Type, |v: u32| v as i64);
int_column!(UInt64Type, |v: u64| v.min(i64::MAX as u64) as i64);

/// Bytes reserved per row of text: the width of typical values, not the widest (the buffer
/// grows if needed).
fn digits_hint<T: ArrowPrimitiveType>() -> usize {
    match T::DATA_TYPE {
        DataType::Int8 | DataType::UInt8 => 3,
        DataType::Int16 | DataType::UInt16 => 5,
        _ => 8,
    }
}

fn offset_overflow() -> datafusion::error::DataFusionError {
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::TOO_LARGE_STRING_SIZE,
        "String column of more than 2 GiB",
    ))
}

/// Calls `$body` with `$col` bound to `arr` as its concrete integer array, when `arr` is a
/// plain integer column of ClickHouse type `from`; `None` otherwise.
macro_rules! with_int_column {
    ($arr:expr, $from:expr, |$col:ident| $body:expr) => {{
        let arr: &dyn Array = $arr;
        with_int_column!(@arms arr, $from, $col, $body;
            Int8 Int8Type, Int16 Int16Type, Int32 Int32Type, Int64 Int64Type,
            UInt8 UInt8Type, UInt16 UInt16Type, UInt32 UInt32Type, UInt64 UInt64Type)
    }};
    (@arms $arr:ident, $from:expr, $col:ident, $body:expr; $($v:ident $t:ty),*) => {
        match ($from, $arr.data_type()) {
            $((ChType::$v, DataType::$v) => {
                let $col = $arr.as_primitive::<$t>();
                Some($body)
            })*
            _ => None,
        }
    };
}

/// `toString` of a plain integer column of ClickHouse type `from` (or `Nullable` of one);
/// `None` for other columns.
pub fn integers_to_string(arr: &dyn Array, from: &ChType) -> Option<Result<ArrayRef>> {
    with_int_column!(arr, from.base(), |col| col
        .to_decimal_strings()
        .map(|a| Arc::new(a) as ArrayRef))
}

/// `toDate` / `toDateTime` (not `accurateCast`) of a plain integer column of ClickHouse
/// type `from`; `None` for other columns and targets. `zone` is the target's zone (it places
/// the day of numbers read as Unix timestamps).
pub fn integers_to_temporal(
    arr: &dyn Array,
    from: &ChType,
    to: &ChType,
    zone: Zone,
) -> Option<ArrayRef> {
    match to {
        // Day numbers up to 65535; negative numbers are day 0; larger numbers are Unix
        // timestamps (up to the last DateTime) whose day in `zone` is taken.
        ChType::Date => with_int_column!(arr, from, |col| {
            let day = |n: i64| -> i32 {
                if (0..=DATE_MAX).contains(&n) {
                    n as i32
                } else if n < 0 {
                    0
                } else {
                    let utc = n.min(DATETIME_MAX);
                    let local = match zone {
                        Zone::Utc => utc,
                        _ => zone.to_local(utc),
                    };
                    local.div_euclid(86400).clamp(0, DATE_MAX) as i32
                }
            };
            let days: Date32Array = col.map_i64(day);
            Arc::new(days) as ArrayRef
        }),
        // Unix timestamps clamped to the DateTime range.
        ChType::DateTime(tz) => with_int_column!(arr, from, |col| {
            let secs: TimestampSecondArray = col.map_i64(|n| n.clamp(0, DATETIME_MAX));
            Arc::new(secs.with_timezone_opt(tz.clone())) as ArrayRef
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{
        Int8Array, Int16Array, Int32Array, Int64Array, UInt8Array, UInt16Array, UInt32Array,
        UInt64Array,
    };

    use super::super::cast::{CastOptions, OnError, render_rows, scalar_cast_rows};
    use super::super::scalar::Ctx;
    use super::*;

    /// Edge values of every integer type, with a NULL.
    fn columns() -> Vec<(ArrayRef, ChType)> {
        let i = [
            Some(i64::MIN),
            Some(-4_294_967_296),
            Some(-86_401),
            Some(-1),
            None,
            Some(0),
            Some(1),
            Some(127),
            Some(65_535),
            Some(65_536),
            Some(100_000),
            Some(1_700_000_000),
            Some(4_294_967_295),
            Some(4_294_967_296),
            Some(i64::MAX),
        ];
        let u = [
            Some(0u64),
            None,
            Some(255),
            Some(65_535),
            Some(65_536),
            Some(86_399),
            Some(86_400),
            Some(4_294_967_295),
            Some(4_294_967_296),
            Some(i64::MAX as u64 + 1),
            Some(u64::MAX),
        ];
        vec![
            (
                Arc::new(i.iter().map(|v| v.map(|v| v as i8)).collect::<Int8Array>()),
                ChType::Int8,
            ),
            (
                Arc::new(
                    i.iter()
                        .map(|v| v.map(|v| v as i16))
                        .collect::<Int16Array>(),
                ),
                ChType::Int16,
            ),
            (
                Arc::new(
                    i.iter()
                        .map(|v| v.map(|v| v as i32))
                        .collect::<Int32Array>(),
                ),
                ChType::Int32,
            ),
            (
                Arc::new(i.iter().copied().collect::<Int64Array>()),
                ChType::Int64,
            ),
            (
                Arc::new(u.iter().map(|v| v.map(|v| v as u8)).collect::<UInt8Array>()),
                ChType::UInt8,
            ),
            (
                Arc::new(
                    u.iter()
                        .map(|v| v.map(|v| v as u16))
                        .collect::<UInt16Array>(),
                ),
                ChType::UInt16,
            ),
            (
                Arc::new(
                    u.iter()
                        .map(|v| v.map(|v| v as u32))
                        .collect::<UInt32Array>(),
                ),
                ChType::UInt32,
            ),
            (
                Arc::new(u.iter().copied().collect::<UInt64Array>()),
                ChType::UInt64,
            ),
        ]
    }

    fn zones() -> Vec<Zone> {
        vec![
            Zone::Utc,
            Zone::parse("Asia/Tokyo").expect("zone"),
            Zone::parse("America/New_York").expect("zone"),
        ]
    }

    #[test]
    fn to_string_matches_the_row_by_row_path() {
        for (arr, t) in columns() {
            let fast = integers_to_string(arr.as_ref(), &t)
                .expect("an integer column")
                .expect("text");
            assert_eq!(&fast, &render_rows(&arr, &t, Zone::Utc), "{t}");
            assert_eq!(fast.null_count(), 1, "{t}");
            let nullable = ChType::Nullable(Box::new(t.clone()));
            assert!(integers_to_string(arr.as_ref(), &nullable).is_some(), "{t}");
        }
        // Not plain integers: IPv4 is a UInt32 column with its own text form.
        let ip: ArrayRef = Arc::new(UInt32Array::from(vec![1u32]));
        assert!(integers_to_string(ip.as_ref(), &ChType::IPv4).is_none());
    }

    #[test]
    fn to_date_and_datetime_match_the_row_by_row_path() {
        for zone in zones() {
            let targets = [
                ChType::Date,
                ChType::DateTime(None),
                ChType::DateTime(Some(zone.name())),
            ];
            for to in targets {
                for (arr, from) in columns() {
                    let fast = integers_to_temporal(arr.as_ref(), &from, &to, zone)
                        .expect("an integer column");
                    let opts = CastOptions {
                        session: zone,
                        accurate: false,
                        on_error: OnError::Throw,
                        zone: None,
                    };
                    let cx = Ctx {
                        from_zone: zone,
                        to_zone: zone,
                        accurate: false,
                    };
                    let rows = scalar_cast_rows(&arr, &from, &to, &opts, &cx).expect("cast");
                    assert_eq!(&fast, &rows, "{from} -> {to} in {}", zone.name());
                }
            }
        }
        // Other targets and sources take the row-by-row path.
        let (arr, from) = &columns()[0];
        assert!(integers_to_temporal(arr.as_ref(), from, &ChType::Date32, Zone::Utc).is_none());
        let f: ArrayRef = Arc::new(datafusion::arrow::array::Float64Array::from(vec![1.5]));
        assert!(
            integers_to_temporal(f.as_ref(), &ChType::Float64, &ChType::Date, Zone::Utc).is_none()
        );
    }
}
