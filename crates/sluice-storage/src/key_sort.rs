//! Fast sort of an insert block by a sorting key made of fixed-width integer-like columns
//! (integers, `Date`, `DateTime`, `DateTime64`) without NULLs: every row's key is packed
//! into one order-preserving integer together with its row number (each column offset by
//! its minimum in the block, so it takes only the bits of its value range), and a plain
//! 64- or 128-bit integer sort gives the stable permutation. Keys of other types (strings,
//! floats, NULLs, more than 128 bits) return `None` and are sorted through Arrow's row
//! format instead.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, RecordBatch, RecordBatchOptions, UInt32Array,
};
use datafusion::arrow::compute::{take, take_record_batch};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Date64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::error::ArrowError;

/// Whether a column type can be packed.
fn packable(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::UInt8
            | DataType::Int8
            | DataType::UInt16
            | DataType::Int16
            | DataType::UInt32
            | DataType::Int32
            | DataType::Date32
            | DataType::UInt64
            | DataType::Int64
            | DataType::Date64
            | DataType::Timestamp(_, _)
    )
}

/// What [`visit_values`] does with a key column's values, each seen as an unsigned integer
/// in the same order (signed values with their sign bit flipped).
enum Visit<'a> {
    /// The smallest and largest value.
    Range(&'a mut (u64, u64)),
    /// `key = value - min` for each row's key (the first column).
    Set64 { keys: &'a mut [u64], min: u64 },
    /// `key = key << bits | (value - min)` for each row's key.
    Pack64 {
        keys: &'a mut [u64],
        bits: u32,
        min: u64,
    },
    /// The same into 128-bit keys.
    Pack128 {
        keys: &'a mut [u128],
        bits: u32,
        min: u64,
    },
}

/// Runs `visit` over the column's values; `false` when the type cannot be packed.
fn visit_values(col: &dyn Array, visit: Visit<'_>) -> bool {
    fn run<T: ArrowPrimitiveType>(col: &dyn Array, f: impl Fn(T::Native) -> u64, visit: Visit<'_>) {
        let values = col.as_primitive::<T>().values();
        match visit {
            Visit::Range(range) => {
                let (mut lo, mut hi) = (u64::MAX, 0);
                for &v in values.iter() {
                    let v = f(v);
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
                *range = (lo, hi);
            }
            Visit::Set64 { keys, min } => {
                for (k, &v) in keys.iter_mut().zip(values.iter()) {
                    *k = f(v) - min;
                }
            }
            // `bits` is below 64 here: the row number takes at least one bit of the 64.
            Visit::Pack64 { keys, bits, min } => {
                for (k, &v) in keys.iter_mut().zip(values.iter()) {
                    *k = (*k << bits) | (f(v) - min);
                }
            }
            Visit::Pack128 { keys, bits, min } => {
                for (k, &v) in keys.iter_mut().zip(values.iter()) {
                    *k = (*k << bits) | u128::from(f(v) - min);
                }
            }
        }
    }
    // Signed values: flipping the sign bit maps them monotonically onto unsigned ones.
    match col.data_type() {
        DataType::UInt8 => run::<UInt8Type>(col, u64::from, visit),
        DataType::UInt16 => run::<UInt16Type>(col, u64::from, visit),
        DataType::UInt32 => run::<UInt32Type>(col, u64::from, visit),
        DataType::UInt64 => run::<UInt64Type>(col, |v| v, visit),
        DataType::Int8 => run::<Int8Type>(col, |v| u64::from(v as u8 ^ 0x80), visit),
        DataType::Int16 => run::<Int16Type>(col, |v| u64::from(v as u16 ^ 0x8000), visit),
        DataType::Int32 => run::<Int32Type>(col, |v| u64::from(v as u32 ^ 0x8000_0000), visit),
        DataType::Date32 => run::<Date32Type>(col, |v| u64::from(v as u32 ^ 0x8000_0000), visit),
        DataType::Int64 => run::<Int64Type>(col, signed64, visit),
        DataType::Date64 => run::<Date64Type>(col, signed64, visit),
        DataType::Timestamp(TimeUnit::Second, _) => {
            run::<TimestampSecondType>(col, signed64, visit)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            run::<TimestampMillisecondType>(col, signed64, visit)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            run::<TimestampMicrosecondType>(col, signed64, visit)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            run::<TimestampNanosecondType>(col, signed64, visit)
        }
        _ => return false,
    }
    true
}

/// Whether the column's values never decrease from one row to the next.
fn non_decreasing(col: &dyn Array) -> bool {
    fn sorted<T: ArrowPrimitiveType>(col: &dyn Array) -> bool {
        col.as_primitive::<T>()
            .values()
            .is_sorted_by(|a, b| a.le(b))
    }
    match col.data_type() {
        DataType::UInt8 => sorted::<UInt8Type>(col),
        DataType::UInt16 => sorted::<UInt16Type>(col),
        DataType::UInt32 => sorted::<UInt32Type>(col),
        DataType::UInt64 => sorted::<UInt64Type>(col),
        DataType::Int8 => sorted::<Int8Type>(col),
        DataType::Int16 => sorted::<Int16Type>(col),
        DataType::Int32 => sorted::<Int32Type>(col),
        DataType::Date32 => sorted::<Date32Type>(col),
        DataType::Int64 => sorted::<Int64Type>(col),
        DataType::Date64 => sorted::<Date64Type>(col),
        DataType::Timestamp(TimeUnit::Second, _) => sorted::<TimestampSecondType>(col),
        DataType::Timestamp(TimeUnit::Millisecond, _) => sorted::<TimestampMillisecondType>(col),
        DataType::Timestamp(TimeUnit::Microsecond, _) => sorted::<TimestampMicrosecondType>(col),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => sorted::<TimestampNanosecondType>(col),
        _ => false,
    }
}

fn signed64(v: i64) -> u64 {
    v as u64 ^ 0x8000_0000_0000_0000
}

/// Bits needed to hold every value up to `max`.
pub(crate) fn bits_for(max: u64) -> u32 {
    u64::BITS - max.leading_zeros()
}

/// Sorts `(key << row_bits) | row` keys and returns the rows in order.
fn sorted_rows<K>(mut keys: Vec<K>, row_mask: K) -> Vec<u32>
where
    K: Ord + Copy + std::ops::BitAnd<Output = K> + TryInto<u32>,
{
    if !keys.is_sorted() {
        keys.sort_unstable();
    }
    keys.into_iter()
        .map(|k| (k & row_mask).try_into().unwrap_or(u32::MAX))
        .collect()
}

/// The stable ascending permutation of rows by `cols` (compared left to right), or `None`
/// when the key cannot be packed (see the module doc). Each column takes only the bits its
/// value range in this block needs (value − minimum) and the row number only the bits of
/// the row count, so that most keys fit one 64-bit integer (a faster sort than 128 bits).
///
/// Trailing key columns whose values never decrease in row order (an insert time, a
/// sequence number) take no bits at all: among rows equal on the columns before them, the
/// row order the stable sort keeps already orders them, so the permutation is the same
/// and the radix sort has fewer bits to sort.
pub(crate) fn packed_sort_indices(cols: &[ArrayRef]) -> Option<Vec<u32>> {
    let n = cols.first()?.len();
    if n > u32::MAX as usize {
        return None;
    }
    if cols
        .iter()
        .any(|c| c.null_count() > 0 || c.len() != n || !packable(c.data_type()))
    {
        return None;
    }
    let mut used = cols.len();
    while used > 0 && non_decreasing(cols[used - 1].as_ref()) {
        used -= 1;
    }
    let cols = &cols[..used];
    if cols.is_empty() || n < 2 {
        return Some((0..n as u32).collect());
    }
    let row_bits = bits_for(n as u64 - 1);
    // Each column's minimum and bits.
    let mut ranges = Vec::with_capacity(cols.len());
    let mut total = row_bits;
    for c in cols {
        let mut range = (0, 0);
        if !visit_values(c.as_ref(), Visit::Range(&mut range)) {
            return None;
        }
        let bits = bits_for(range.1 - range.0);
        total += bits;
        ranges.push((range.0, bits));
    }
    if total > 128 {
        return None;
    }
    // The row number in the low bits makes equal keys keep their order (a stable sort).
    if total <= 64 {
        let mut buffers = crate::radix::SortBuffers::take();
        let keys = &mut buffers.keys;
        // The first column sets every key: the buffer's old contents need no clearing.
        keys.resize(n, 0);
        for (i, (c, &(min, bits))) in cols.iter().zip(&ranges).enumerate() {
            let visit = if i == 0 {
                Visit::Set64 { keys, min }
            } else {
                Visit::Pack64 { keys, bits, min }
            };
            visit_values(c.as_ref(), visit);
        }
        for (i, k) in keys.iter_mut().enumerate() {
            *k = (*k << row_bits) | i as u64;
        }
        crate::radix::radix_sort_above(keys, &mut buffers.other, row_bits, total);
        let mask = (1u64 << row_bits) - 1;
        let mut rows = buffers.rows;
        rows.extend(buffers.keys.iter().map(|&k| (k & mask) as u32));
        crate::radix::SortBuffers::give_back_keys(buffers.keys, buffers.other);
        return Some(rows);
    }
    let mut keys = vec![0u128; n];
    for (c, &(min, bits)) in cols.iter().zip(&ranges) {
        let keys = &mut keys;
        visit_values(c.as_ref(), Visit::Pack128 { keys, bits, min });
    }
    for (i, k) in keys.iter_mut().enumerate() {
        *k = (*k << row_bits) | i as u128;
    }
    Some(sorted_rows(keys, (1u128 << row_bits) - 1))
}

/// Rows below which a block's columns are gathered on the calling thread.
const PARALLEL_TAKE_ROWS: usize = 65_536;

/// `batch`'s rows in the order `idx`, its columns gathered in parallel on the storage
/// worker pool: the gather of a sorted insert block was a quarter of an insert's CPU on
/// one core.
pub(crate) fn take_parallel(
    batch: &RecordBatch,
    idx: &UInt32Array,
) -> Result<RecordBatch, ArrowError> {
    let threads = crate::pool::threads().min(batch.num_columns());
    if threads <= 1 || batch.num_rows() < PARALLEL_TAKE_ROWS {
        return take_record_batch(batch, idx);
    }
    // One job per column on the storage worker pool (its threads' memory is reused from
    // insert to insert), the first column gathered here meanwhile.
    let tasks: Vec<_> = batch.columns()[1..]
        .iter()
        .map(|c| {
            let (c, idx) = (Arc::clone(c), idx.clone());
            crate::pool::spawn(move || take(c.as_ref(), &idx, None))
        })
        .collect();
    let mut taken: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    taken.push(take(batch.column(0).as_ref(), idx, None)?);
    for t in tasks {
        taken.push(t.join().map_err(ArrowError::ComputeError)??);
    }
    RecordBatch::try_new_with_options(
        batch.schema(),
        taken,
        &RecordBatchOptions::new().with_row_count(Some(idx.len())),
    )
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
            // Wide ranges take the 128-bit path.
            let d: ArrayRef = Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.0)));
            let e: ArrayRef = Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.1.wrapping_mul(i64::MAX / 3)),
            ));
            let wide = vec![d, e];
            prop_assert_eq!(packed_sort_indices(&wide).unwrap(), by_rows(&wide));
            // A trailing column that never decreases in row order (left out of the key).
            let mut at = 0i64;
            let mono: ArrayRef = Arc::new(TimestampSecondArray::from_iter_values(rows.iter().map(|r| {
                at += i64::from(r.0 % 3);
                at
            })));
            let trailing = vec![Arc::clone(&wide[0]), Arc::clone(&mono)];
            prop_assert_eq!(packed_sort_indices(&trailing).unwrap(), by_rows(&trailing));
            let both = vec![Arc::clone(&cols[0]), Arc::clone(&mono), Arc::clone(&mono)];
            prop_assert_eq!(packed_sort_indices(&both).unwrap(), by_rows(&both));
            let leading = vec![Arc::clone(&mono), Arc::clone(&cols[0])];
            prop_assert_eq!(packed_sort_indices(&leading).unwrap(), by_rows(&leading));
        }
    }

    #[test]
    fn radix_passes_over_many_rows() {
        // 40,000 rows: a 30-bit column (three radix passes) with many repeats and a
        // constant column (its pass skipped), against the row-format sort.
        let n = 40_000u32;
        let a: ArrayRef = Arc::new(UInt32Array::from_iter_values(
            (0..n).map(|i| (i.wrapping_mul(2_654_435_761) >> 2) & 0x3fff_f000),
        ));
        let b: ArrayRef = Arc::new(TimestampSecondArray::from_iter_values(
            (0..n).map(|i| 1_700_000_000 + i64::from(i % 7)),
        ));
        let c: ArrayRef = Arc::new(Int64Array::from_iter_values((0..n).map(|_| -5)));
        let cols = vec![a, c, b];
        assert_eq!(packed_sort_indices(&cols).unwrap(), by_rows(&cols));
        // Already sorted input, and reversed input.
        let up: ArrayRef = Arc::new(UInt32Array::from_iter_values(0..n));
        assert_eq!(
            packed_sort_indices(std::slice::from_ref(&up)).unwrap(),
            (0..n).collect::<Vec<_>>()
        );
        let down: ArrayRef = Arc::new(UInt32Array::from_iter_values((0..n).rev()));
        assert_eq!(
            packed_sort_indices(std::slice::from_ref(&down)).unwrap(),
            (0..n).rev().collect::<Vec<_>>()
        );
    }

    #[test]
    fn non_decreasing_columns_alone_keep_row_order() {
        let n = 20_000u32;
        let t: ArrayRef = Arc::new(TimestampSecondArray::from_iter_values(
            (0..n).map(|i| 1_764_115_200 + i64::from(i / 1000)),
        ));
        let k: ArrayRef = Arc::new(UInt32Array::from_iter_values(0..n));
        let cols = vec![t, k];
        assert_eq!(
            packed_sort_indices(&cols).unwrap(),
            (0..n).collect::<Vec<_>>()
        );
        assert_eq!(packed_sort_indices(&cols).unwrap(), by_rows(&cols));
    }

    #[test]
    fn refuses_what_it_cannot_pack() {
        let s: ArrayRef = Arc::new(StringArray::from(vec!["b", "a"]));
        assert!(packed_sort_indices(&[s]).is_none());
        let n: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None]));
        assert!(packed_sort_indices(&[n]).is_none());
        // Two full-range 64-bit columns and a row number need more than 128 bits.
        let w: ArrayRef = Arc::new(Int64Array::from(vec![i64::MAX, i64::MIN]));
        assert!(packed_sort_indices(&[Arc::clone(&w), Arc::clone(&w)]).is_none());
        // Narrow ranges pack whatever the type's width.
        let narrow: ArrayRef = Arc::new(Int64Array::from(vec![5, 3, 4]));
        assert_eq!(
            packed_sort_indices(&[Arc::clone(&narrow), narrow]),
            Some(vec![1, 2, 0])
        );
    }
}
