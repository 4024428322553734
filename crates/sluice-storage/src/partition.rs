//! Partition ids and partition values as ClickHouse computes them
//! (`MergeTreePartition::getID`): no key → `all`; every value an integer (dates included,
//! printed `YYYYMMDD`) → the values joined by `-`; otherwise the hex of ClickHouse's
//! 128-bit SipHash over the typed values.

use chrono::{DateTime, NaiveDate, TimeZone};
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, Decimal256Type, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use sluice_common::Result;

use crate::siphash::{ChSipHash, hex};

/// One partition key value, as ClickHouse's `Field` sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum KeyValue {
    Null,
    UInt(u64),
    Int(i64),
    /// `Date` (days since epoch): an unsigned integer printed `YYYYMMDD` in ids.
    Date(u64),
    /// `Date32` (days): a signed integer.
    Date32(i64),
    /// `DateTime` seconds with its timezone.
    DateTime(u64, Option<String>),
    Float(f64),
    Str(Vec<u8>),
    /// Decimal with its byte width (4, 8, 16, 32) and scale; DateTime64 too.
    Decimal(i128, usize, i8),
}

// ClickHouse `Field::Types::Which` numbers hashed before each value.
const T_NULL: u8 = 0;
const T_UINT64: u8 = 1;
const T_INT64: u8 = 2;
const T_FLOAT64: u8 = 3;
const T_STRING: u8 = 16;
const T_DECIMAL32: u8 = 19;
const T_DECIMAL64: u8 = 20;
const T_DECIMAL128: u8 = 21;
const T_DECIMAL256: u8 = 23;

/// Reads row `row` of a partition key column.
pub(crate) fn key_value(array: &ArrayRef, row: usize) -> Result<KeyValue> {
    if array.is_null(row) {
        return Ok(KeyValue::Null);
    }
    let v = match array.data_type() {
        DataType::Boolean => KeyValue::UInt(array.as_boolean().value(row) as u64),
        DataType::UInt8 => KeyValue::UInt(array.as_primitive::<UInt8Type>().value(row) as u64),
        DataType::UInt16 => KeyValue::UInt(array.as_primitive::<UInt16Type>().value(row) as u64),
        DataType::UInt32 => KeyValue::UInt(array.as_primitive::<UInt32Type>().value(row) as u64),
        DataType::UInt64 => KeyValue::UInt(array.as_primitive::<UInt64Type>().value(row)),
        DataType::Int8 => KeyValue::Int(array.as_primitive::<Int8Type>().value(row) as i64),
        DataType::Int16 => KeyValue::Int(array.as_primitive::<Int16Type>().value(row) as i64),
        DataType::Int32 => KeyValue::Int(array.as_primitive::<Int32Type>().value(row) as i64),
        DataType::Int64 => KeyValue::Int(array.as_primitive::<Int64Type>().value(row)),
        DataType::Date32 => {
            KeyValue::Date(array.as_primitive::<Date32Type>().value(row).max(0) as u64)
        }
        DataType::Date64 => KeyValue::Date32(
            array
                .as_primitive::<Date64Type>()
                .value(row)
                .div_euclid(86_400_000),
        ),
        DataType::Timestamp(TimeUnit::Second, tz) => KeyValue::DateTime(
            array
                .as_primitive::<TimestampSecondType>()
                .value(row)
                .max(0) as u64,
            tz.as_deref().map(str::to_string),
        ),
        DataType::Timestamp(unit, _) => {
            let (v, scale) = match unit {
                TimeUnit::Millisecond => (
                    array.as_primitive::<TimestampMillisecondType>().value(row),
                    3,
                ),
                TimeUnit::Microsecond => (
                    array.as_primitive::<TimestampMicrosecondType>().value(row),
                    6,
                ),
                _ => (
                    array.as_primitive::<TimestampNanosecondType>().value(row),
                    9,
                ),
            };
            KeyValue::Decimal(v as i128, 8, scale)
        }
        DataType::Float32 => KeyValue::Float(array.as_primitive::<Float32Type>().value(row) as f64),
        DataType::Float64 => KeyValue::Float(array.as_primitive::<Float64Type>().value(row)),
        DataType::Utf8 => KeyValue::Str(array.as_string::<i32>().value(row).as_bytes().to_vec()),
        DataType::LargeUtf8 => {
            KeyValue::Str(array.as_string::<i64>().value(row).as_bytes().to_vec())
        }
        DataType::Utf8View => KeyValue::Str(array.as_string_view().value(row).as_bytes().to_vec()),
        DataType::Binary => KeyValue::Str(array.as_binary::<i32>().value(row).to_vec()),
        DataType::LargeBinary => KeyValue::Str(array.as_binary::<i64>().value(row).to_vec()),
        DataType::FixedSizeBinary(_) => {
            KeyValue::Str(array.as_fixed_size_binary().value(row).to_vec())
        }
        DataType::Decimal128(p, s) => {
            let width = if *p <= 9 {
                4
            } else if *p <= 18 {
                8
            } else {
                16
            };
            KeyValue::Decimal(array.as_primitive::<Decimal128Type>().value(row), width, *s)
        }
        DataType::Decimal256(_, s) => {
            let v = array.as_primitive::<Decimal256Type>().value(row);
            KeyValue::Decimal(v.as_i128(), 32, *s)
        }
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            let keys = dict.normalized_keys();
            let idx = keys.get(row).copied().unwrap_or(0);
            return key_value(dict.values(), idx);
        }
        other => {
            // Other types hash their display text (ClickHouse would hash their binary form).
            let text = datafusion::arrow::util::display::array_value_to_string(array, row)
                .map_err(|e| {
                    sluice_common::Error::internal(format!("partition value of {other}: {e}"))
                })?;
            KeyValue::Str(text.into_bytes())
        }
    };
    Ok(v)
}

fn date_text(days: i64) -> String {
    NaiveDate::from_num_days_from_ce_opt((days + 719_163) as i32)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| days.to_string())
}

fn datetime_text(secs: u64, tz: Option<&str>) -> String {
    let Some(utc) = DateTime::from_timestamp(secs as i64, 0) else {
        return secs.to_string();
    };
    match tz.and_then(|t| t.parse::<chrono_tz::Tz>().ok()) {
        Some(tz) => tz
            .from_utc_datetime(&utc.naive_utc())
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        None => utc.format("%Y-%m-%d %H:%M:%S").to_string(),
    }
}

fn decimal_text(v: i128, scale: i8) -> String {
    if scale <= 0 {
        return v.to_string();
    }
    let s = v.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = format!("{:0>width$}", s, width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{}{int}.{frac}", if v < 0 { "-" } else { "" })
}

impl KeyValue {
    fn integral_text(&self) -> Option<String> {
        match self {
            KeyValue::UInt(v) => Some(v.to_string()),
            KeyValue::Int(v) => Some(v.to_string()),
            KeyValue::Date(d) => Some(date_text(*d as i64).replace('-', "")),
            KeyValue::Date32(d) => Some(d.to_string()),
            KeyValue::DateTime(s, _) => Some(s.to_string()),
            _ => None,
        }
    }

    fn hash(&self, h: &mut ChSipHash) {
        match self {
            KeyValue::Null => h.update(&[T_NULL]),
            KeyValue::UInt(v) | KeyValue::Date(v) | KeyValue::DateTime(v, _) => {
                h.update(&[T_UINT64]);
                h.update(&v.to_le_bytes());
            }
            KeyValue::Int(v) | KeyValue::Date32(v) => {
                h.update(&[T_INT64]);
                h.update(&v.to_le_bytes());
            }
            KeyValue::Float(v) => {
                h.update(&[T_FLOAT64]);
                h.update(&v.to_le_bytes());
            }
            KeyValue::Str(b) => {
                h.update(&[T_STRING]);
                h.update(&(b.len() as u64).to_le_bytes());
                h.update(b);
            }
            KeyValue::Decimal(v, width, _) => {
                let (tag, bytes) = match width {
                    4 => (T_DECIMAL32, (*v as i32).to_le_bytes().to_vec()),
                    8 => (T_DECIMAL64, (*v as i64).to_le_bytes().to_vec()),
                    16 => (T_DECIMAL128, v.to_le_bytes().to_vec()),
                    _ => {
                        let mut b = v.to_le_bytes().to_vec();
                        b.extend(std::iter::repeat_n(if *v < 0 { 0xff } else { 0 }, 16));
                        (T_DECIMAL256, b)
                    }
                };
                h.update(&[tag]);
                h.update(&bytes);
            }
        }
    }

    /// The value as ClickHouse's text serialisation prints it; `quoted` inside tuples.
    fn text(&self, quoted: bool) -> String {
        let q = |s: String| {
            if quoted {
                format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
            } else {
                s
            }
        };
        match self {
            // ClickHouse prints a NULL key `ᴺᵁᴸᴸ` alone and `NULL` inside a tuple.
            KeyValue::Null if quoted => "NULL".into(),
            KeyValue::Null => "ᴺᵁᴸᴸ".into(),
            KeyValue::UInt(v) => v.to_string(),
            KeyValue::Int(v) => v.to_string(),
            KeyValue::Date(d) => q(date_text(*d as i64)),
            KeyValue::Date32(d) => q(date_text(*d)),
            KeyValue::DateTime(s, tz) => q(datetime_text(*s, tz.as_deref())),
            KeyValue::Float(v) => v.to_string(),
            KeyValue::Str(b) => q(String::from_utf8_lossy(b).into_owned()),
            KeyValue::Decimal(v, _, s) => decimal_text(*v, *s),
        }
    }
}

/// A partition: its id and ClickHouse's text form of its value (`system.parts.partition`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartitionValue {
    pub(crate) id: String,
    pub(crate) text: String,
}

impl PartitionValue {
    /// The partition of a table without `PARTITION BY`.
    pub(crate) fn all() -> Self {
        PartitionValue {
            id: "all".into(),
            text: "tuple()".into(),
        }
    }

    /// The partition of row `row` of the evaluated partition key columns.
    pub(crate) fn of_row(key: &[ArrayRef], row: usize) -> Result<Self> {
        if key.is_empty() {
            return Ok(Self::all());
        }
        let values = key
            .iter()
            .map(|a| key_value(a, row))
            .collect::<Result<Vec<_>>>()?;
        let integral: Option<Vec<String>> = values.iter().map(KeyValue::integral_text).collect();
        let id = match integral {
            Some(parts) => parts.join("-"),
            None => {
                let mut h = ChSipHash::new();
                for v in &values {
                    v.hash(&mut h);
                }
                hex(&h.finish128())
            }
        };
        let text = if values.len() == 1 {
            values[0].text(false)
        } else {
            let inner: Vec<String> = values.iter().map(|v| v.text(true)).collect();
            format!("({})", inner.join(","))
        };
        Ok(PartitionValue { id, text })
    }
}

/// The partition id and ClickHouse's text form of row `row` of evaluated partition key
/// columns — for `ALTER TABLE … DROP/DETACH/ATTACH PARTITION expr` and
/// `OPTIMIZE … PARTITION expr`: evaluate the expression's value as the key's types, then
/// call this.
pub fn partition_id(key: &[ArrayRef], row: usize) -> Result<(String, String)> {
    let v = PartitionValue::of_row(key, row)?;
    Ok((v.id, v.text))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Date32Array, Int32Array, StringArray, UInt8Array, UInt32Array};

    use super::*;

    // Expected ids from the oracle (ch-oracle --path DIR: CREATE TABLE … PARTITION BY …;
    // INSERT; SELECT partition, partition_id FROM system.parts).
    #[test]
    fn ids_match_clickhouse() {
        let s: ArrayRef = Arc::new(StringArray::from(vec!["a", "b"]));
        assert_eq!(
            PartitionValue::of_row(&[Arc::clone(&s)], 0).unwrap().id,
            "51fbadfb0deeea70ceafbd3c7c8aef25"
        );
        assert_eq!(
            PartitionValue::of_row(&[s], 1).unwrap().id,
            "d1566a03c2469a412f2b88e3951f2701"
        );
        let ym: ArrayRef = Arc::new(UInt32Array::from(vec![202509]));
        let p = PartitionValue::of_row(&[ym], 0).unwrap();
        assert_eq!((p.id.as_str(), p.text.as_str()), ("202509", "202509"));
        // PARTITION BY (k, d) with k Int32 = -1, d Date = 2025-09-01.
        let k: ArrayRef = Arc::new(Int32Array::from(vec![-1]));
        let d: ArrayRef = Arc::new(Date32Array::from(vec![20332]));
        let p = PartitionValue::of_row(&[k, Arc::clone(&d)], 0).unwrap();
        assert_eq!(p.id, "-1-20250901");
        assert_eq!(p.text, "(-1,'2025-09-01')");
        let p = PartitionValue::of_row(&[d], 0).unwrap();
        assert_eq!((p.id.as_str(), p.text.as_str()), ("20250901", "2025-09-01"));
        let b: ArrayRef = Arc::new(UInt8Array::from(vec![0]));
        assert_eq!(PartitionValue::of_row(&[b], 0).unwrap().id, "0");
        assert_eq!(PartitionValue::of_row(&[], 0).unwrap().id, "all");
    }
}
