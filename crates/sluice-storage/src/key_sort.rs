//! Fast sort of an insert block by a sorting key made of fixed-width integer-like columns
//! (integers, `Date`, `DateTime`, `DateTime64`) without NULLs: every row's key is packed
//! into one order-preserving integer together with its row number, and a plain integer
//! sort gives the stable permutation. Keys of other types (strings, floats, NULLs, more
//! than 96 bits) return `None` and are sorted through Arrow's row format instead.

use datafusion::arrow::array::{Array, ArrayRef, ArrowPrimitiveType, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};

/// Bits of the packed key reserved for the row number (blocks are < 2^32 rows).
const ROW_BITS: u32 = 32;

/// Key bits of a column type, `None` when it cannot be packed.
fn bits(dt: &DataType) -> Option<u32> {
    Some(match dt {
        DataType::UInt8 | DataType::Int8 => 8,
        DataType::UInt16 | DataType::Int16 => 16,
        DataType::UInt32 | DataType::Int32 | DataType::Date32 => 32,
        DataType::UInt64 | DataType::Int64 | DataType::Date64 | DataType::Timestamp(_, _) => 64,
        _ => return None,
    })
}

/// Shifts `keys` left by the column's width and ors in its order-preserving unsigned form.
fn add_column(keys: &mut [u128], col: &dyn Array) -> Option<()> {
    fn unsigned<T: ArrowPrimitiveType>(
        keys: &mut [u128],
        col: &dyn Array,
        width: u32,
        map: impl Fn(T::Native) -> u128,
    ) {
        let values = col.as_primitive::<T>().values();
        for (k, v) in keys.iter_mut().zip(values.iter()) {
            *k = (*k << width) | map(*v);
        }
    }
    match col.data_type() {
        DataType::UInt8 => unsigned::<UInt8Type>(keys, col, 8, u128::from),
        DataType::UInt16 => unsigned::<UInt16Type>(keys, col, 16, u128::from),
        DataType::UInt32 => unsigned::<UInt32Type>(keys, col, 32, u128::from),
        DataType::UInt64 => unsigned::<UInt64Type>(keys, col, 64, u128::from),
        // Signed values: flipping the sign bit maps them monotonically onto unsigned ones.
        DataType::Int8 => unsigned::<Int8Type>(keys, col, 8, |v| u128::from(v as u8 ^ 0x80)),
        DataType::Int16 => unsigned::<Int16Type>(keys, col, 16, |v| u128::from(v as u16 ^ 0x8000)),
        DataType::Int32 => {
            unsigned::<Int32Type>(keys, col, 32, |v| u128::from(v as u32 ^ 0x8000_0000))
        }
        DataType::Date32 => {
            unsigned::<Date32Type>(keys, col, 32, |v| u128::from(v as u32 ^ 0x8000_0000))
        }
        DataType::Int64 => unsigned::<Int64Type>(keys, col, 64, signed64),
        DataType::Date64 => unsigned::<Date64Type>(keys, col, 64, signed64),
        DataType::Timestamp(TimeUnit::Second, _) => {
            unsigned::<TimestampSecondType>(keys, col, 64, signed64)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            unsigned::<TimestampMillisecondType>(keys, col, 64, signed64)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            unsigned::<TimestampMicrosecondType>(keys, col, 64, signed64)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            unsigned::<TimestampNanosecondType>(keys, col, 64, signed64)
        }
        _ => return None,
    }
    Some(())
}

fn signed64(v: i64) -> u128 {
    u128::from(v as u64 ^ 0x8000_0000_0000_0000)
}

/// The stable ascending permutation of rows by `cols` (compared left to right), or `None`
/// when the key cannot be packed (see the module doc).
pub(crate) fn packed_sort_indices(cols: &[ArrayRef]) -> Option<Vec<u32>> {
    let n = cols.first()?.len();
    if n > u32::MAX as usize {
        return None;
    }
    let mut total = 0u32;
    for c in cols {
        if c.null_count() > 0 || c.len() != n {
            return None;
        }
        total += bits(c.data_type())?;
    }
    if total + ROW_BITS > 128 {
        return None;
    }
    let mut keys = vec![0u128; n];
    for c in cols {
        add_column(&mut keys, c.as_ref())?;
    }
    // The row number in the low bits makes equal keys keep their order (a stable sort).
    for (i, k) in keys.iter_mut().enumerate() {
        *k = (*k << ROW_BITS) | i as u128;
    }
    if total + ROW_BITS <= 64 {
        let mut small: Vec<u64> = keys.iter().map(|&k| k as u64).collect();
        drop(keys);
        if !small.is_sorted() {
            small.sort_unstable();
        }
        return Some(small.into_iter().map(|k| k as u32).collect());
    }
    if !keys.is_sorted() {
        keys.sort_unstable();
    }
    Some(keys.into_iter().map(|k| k as u32).collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{
        Int8Array, Int64Array, StringArray, TimestampSecondArray, UInt32Array,
    };
    use datafusion::arrow::row::{RowConverter, SortField};
    use proptest::prelude::*;

    use super::*;

    fn by_rows(cols: &[ArrayRef]) -> Vec<u32> {
        let conv = RowConverter::new(
            cols.iter()
                .map(|c| SortField::new(c.data_type().clone()))
                .collect(),
        )
        .unwrap();
        let rows = conv.convert_columns(cols).unwrap();
        let mut idx: Vec<u32> = (0..rows.num_rows() as u32).collect();
        idx.sort_by(|&a, &b| rows.row(a as usize).cmp(&rows.row(b as usize)));
        idx
    }

    proptest! {
        #[test]
        fn same_permutation_as_row_format(
            rows in proptest::collection::vec((any::<u32>(), -3i64..3, any::<i8>()), 0..300)
        ) {
            let a: ArrayRef = Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.0 % 7)));
            let b: ArrayRef = Arc::new(TimestampSecondArray::from_iter_values(rows.iter().map(|r| r.1)));
            let c: ArrayRef = Arc::new(Int8Array::from_iter_values(rows.iter().map(|r| r.2)));
            let cols = vec![a, b];
            prop_assert_eq!(packed_sort_indices(&cols).unwrap(), by_rows(&cols));
            let small = vec![Arc::clone(&cols[0]), c];
            prop_assert_eq!(packed_sort_indices(&small).unwrap(), by_rows(&small));
        }
    }

    #[test]
    fn refuses_what_it_cannot_pack() {
        let s: ArrayRef = Arc::new(StringArray::from(vec!["b", "a"]));
        assert!(packed_sort_indices(&[s]).is_none());
        let n: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None]));
        assert!(packed_sort_indices(&[n]).is_none());
        let w: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
        assert!(packed_sort_indices(&[Arc::clone(&w), Arc::clone(&w)]).is_none());
    }
}
