//! Gathering one row group's rows out of a sorted insert block by reading the block in
//! row order. A row group of a sorted insert takes rows from anywhere in the block (the
//! sorting key is unrelated to the order the rows arrived in), so gathering them in the
//! row group's order (`take`) reads every column at random places: a cache miss per
//! value, a quarter of an insert's CPU time. Here the row group's (row, position) pairs are
//! first sorted by row (a radix sort of 8-byte keys, once per row group, shared by all its
//! columns); then each column is read in row order — a forward scan the prefetcher
//! follows — and each value is stored at its position in the row group's output, which is
//! small enough to stay in the core's cache. Columns without NULLs of fixed-width
//! primitive types and of `String`/`Binary` are gathered this way; the others go through
//! Arrow's `take`. The result is the same as `take_record_batch`.

use std::cell::RefCell;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, GenericByteArray, PrimitiveArray, RecordBatch,
    RecordBatchOptions, UInt32Array,
};
use datafusion::arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::{
    BinaryType, ByteArrayType, DataType, Date32Type, Date64Type, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type, Utf8Type,
};
use datafusion::arrow::error::ArrowError;

/// Row groups below this many rows are gathered with `take` (sorting the pairs first does
/// not pay off when the block is small enough to stay in cache anyway).
const MIN_ROWS: usize = 4_096;

thread_local! {
    /// This thread's buffers of [`RowOrder`] keys and their radix sort, kept from one row
    /// group to the next: a row group's are 2 MB, and fresh ones are pages the kernel
    /// faults in and zeroes (see `crate::radix`).
    static KEPT: RefCell<(Vec<u64>, Vec<u64>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// A row group's rows as `(row << pos_bits) | position` keys, sorted by row.
struct RowOrder {
    keys: Vec<u64>,
    /// The sort's other buffer, kept with the keys for the next row group.
    other: Vec<u64>,
    pos_bits: u32,
}

impl RowOrder {
    /// The pairs of `idx` (the row of each output position) sorted by row.
    fn new(idx: &[u32], rows: usize) -> Self {
        let pos_bits = crate::key_sort::bits_for(idx.len().saturating_sub(1) as u64);
        let row_bits = crate::key_sort::bits_for(rows.saturating_sub(1) as u64);
        let (mut keys, mut other) = KEPT.with(|k| std::mem::take(&mut *k.borrow_mut()));
        keys.clear();
        keys.extend(
            idx.iter()
                .enumerate()
                .map(|(pos, &row)| (u64::from(row) << pos_bits) | pos as u64),
        );
        crate::radix::radix_sort_above(&mut keys, &mut other, pos_bits, pos_bits + row_bits);
        Self {
            keys,
            other,
            pos_bits,
        }
    }

    /// `(row, position)` pairs in row order.
    fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let mask = (1u64 << self.pos_bits) - 1;
        self.keys
            .iter()
            .map(move |&k| ((k >> self.pos_bits) as usize, (k & mask) as usize))
    }
}

impl Drop for RowOrder {
    fn drop(&mut self) {
        let kept = (
            std::mem::take(&mut self.keys),
            std::mem::take(&mut self.other),
        );
        KEPT.with(|k| *k.borrow_mut() = kept);
    }
}

/// The values of `col` (no NULLs) at the rows of `order`, at their positions.
fn gather_primitive<T: ArrowPrimitiveType>(col: &dyn Array, order: &RowOrder) -> ArrayRef {
    let values = col.as_primitive::<T>().values();
    let mut out = vec![T::Native::default(); order.keys.len()];
    for (row, pos) in order.pairs() {
        out[pos] = values[row];
    }
    Arc::new(
        PrimitiveArray::<T>::new(ScalarBuffer::from(out), None)
            .with_data_type(col.data_type().clone()),
    )
}

/// The strings (or byte strings) of `col` (no NULLs, 32-bit offsets) at the rows of
/// `order`: their lengths placed first, so that the bytes are then copied in row order
/// straight to their place.
fn gather_bytes<T: ByteArrayType<Offset = i32>>(
    col: &dyn Array,
    order: &RowOrder,
) -> Result<ArrayRef, ArrowError> {
    let arr: &GenericByteArray<T> = col.as_bytes::<T>();
    let offsets = arr.value_offsets();
    let data = arr.value_data();
    let n = order.keys.len();
    let mut lengths = vec![0i32; n];
    for (row, pos) in order.pairs() {
        lengths[pos] = offsets[row + 1] - offsets[row];
    }
    let mut starts = Vec::with_capacity(n + 1);
    let mut total: usize = 0;
    starts.push(0i32);
    for len in &lengths {
        total += *len as usize;
        starts.push(i32::try_from(total).map_err(|_| ArrowError::OffsetOverflowError(total))?);
    }
    drop(lengths);
    let mut bytes = vec![0u8; total];
    for (row, pos) in order.pairs() {
        let src = &data[offsets[row] as usize..offsets[row + 1] as usize];
        let at = starts[pos] as usize;
        // One-byte values (codes such as the seed's `op`) without a `memcpy` call.
        match src {
            [] => {}
            [b] => bytes[at] = *b,
            _ => bytes[at..at + src.len()].copy_from_slice(src),
        }
    }
    let offsets = OffsetBuffer::new(ScalarBuffer::from(starts));
    Ok(Arc::new(GenericByteArray::<T>::try_new(
        offsets,
        Buffer::from_vec(bytes),
        None,
    )?))
}

/// `col` at the rows of `order`, when its type is gathered here (see the module doc).
fn gather_column(col: &ArrayRef, order: &RowOrder) -> Result<Option<ArrayRef>, ArrowError> {
    if col.null_count() > 0 {
        return Ok(None);
    }
    let c = col.as_ref();
    Ok(Some(match col.data_type() {
        DataType::UInt8 => gather_primitive::<UInt8Type>(c, order),
        DataType::UInt16 => gather_primitive::<UInt16Type>(c, order),
        DataType::UInt32 => gather_primitive::<UInt32Type>(c, order),
        DataType::UInt64 => gather_primitive::<UInt64Type>(c, order),
        DataType::Int8 => gather_primitive::<Int8Type>(c, order),
        DataType::Int16 => gather_primitive::<Int16Type>(c, order),
        DataType::Int32 => gather_primitive::<Int32Type>(c, order),
        DataType::Int64 => gather_primitive::<Int64Type>(c, order),
        DataType::Float32 => gather_primitive::<Float32Type>(c, order),
        DataType::Float64 => gather_primitive::<Float64Type>(c, order),
        DataType::Date32 => gather_primitive::<Date32Type>(c, order),
        DataType::Date64 => gather_primitive::<Date64Type>(c, order),
        DataType::Timestamp(TimeUnit::Second, _) => {
            gather_primitive::<TimestampSecondType>(c, order)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            gather_primitive::<TimestampMillisecondType>(c, order)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            gather_primitive::<TimestampMicrosecondType>(c, order)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            gather_primitive::<TimestampNanosecondType>(c, order)
        }
        DataType::Utf8 => gather_bytes::<Utf8Type>(c, order)?,
        DataType::Binary => gather_bytes::<BinaryType>(c, order)?,
        _ => return Ok(None),
    }))
}

/// The rows of a block at some indices, gathered one column at a time: a row group's
/// encoding job gathers a column, encodes it and drops it before the next one, so the
/// column it encodes is the one it just wrote (in cache), and each column's buffer reuses
/// the memory of the one before (no fresh pages).
pub(crate) struct Gather<'a> {
    batch: &'a RecordBatch,
    idx: &'a UInt32Array,
    /// `None`: the columns go through Arrow's `take` (few rows, NULL indices).
    order: Option<RowOrder>,
}

impl<'a> Gather<'a> {
    /// The rows of `batch` at `idx`, in that order.
    pub(crate) fn new(batch: &'a RecordBatch, idx: &'a UInt32Array) -> Self {
        let by_row =
            idx.null_count() == 0 && idx.len() >= MIN_ROWS && batch.num_rows() <= u32::MAX as usize;
        Self {
            batch,
            idx,
            order: by_row.then(|| RowOrder::new(idx.values(), batch.num_rows())),
        }
    }

    /// Column `i` at the rows: the same as `take(batch.column(i), idx)`.
    pub(crate) fn column(&self, i: usize) -> Result<ArrayRef, ArrowError> {
        let c =
            self.batch.columns().get(i).ok_or_else(|| {
                ArrowError::InvalidArgumentError(format!("no column {i} to gather"))
            })?;
        if let Some(order) = &self.order
            && let Some(g) = gather_column(c, order)?
        {
            return Ok(g);
        }
        take(c.as_ref(), self.idx, None)
    }
}

/// `batch`'s rows at `idx`, in that order: the same as `take_record_batch(batch, idx)`.
pub(crate) fn gather_rows(
    batch: &RecordBatch,
    idx: &UInt32Array,
) -> Result<RecordBatch, ArrowError> {
    let gather = Gather::new(batch, idx);
    let columns = (0..batch.num_columns())
        .map(|i| gather.column(i))
        .collect::<Result<Vec<_>, ArrowError>>()?;
    RecordBatch::try_new_with_options(
        batch.schema(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(idx.len())),
    )
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{
        BinaryArray, BooleanArray, Int64Array, StringArray, TimestampSecondArray,
    };
    use datafusion::arrow::compute::take_record_batch;
    use datafusion::arrow::datatypes::{Field, Schema};
    use proptest::prelude::*;

    use super::*;

    fn block(rows: &[(u32, i64, String, bool)]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::UInt32, false),
            Field::new(
                "t",
                DataType::Timestamp(TimeUnit::Second, Some("Asia/Tokyo".into())),
                false,
            ),
            Field::new("s", DataType::Utf8, false),
            Field::new("b", DataType::Binary, false),
            Field::new("n", DataType::Int64, true),
            Field::new("f", DataType::Boolean, false),
        ]));
        let cols: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(
                TimestampSecondArray::from_iter_values(rows.iter().map(|r| r.1))
                    .with_timezone("Asia/Tokyo"),
            ),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.2))),
            Arc::new(BinaryArray::from_iter_values(
                rows.iter().map(|r| r.2.repeat(7).into_bytes()),
            )),
            Arc::new(Int64Array::from_iter(
                rows.iter().map(|r| (!r.0.is_multiple_of(3)).then_some(r.1)),
            )),
            Arc::new(BooleanArray::from_iter(rows.iter().map(|r| Some(r.3)))),
        ];
        RecordBatch::try_new(schema, cols).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn same_rows_as_take(
            rows in proptest::collection::vec(
                (any::<u32>(), any::<i64>(), "[a-z]{0,20}", any::<bool>()),
                1..9_000,
            ),
            seed in any::<u32>(),
            len_frac in 0.0f64..1.0,
        ) {
            let b = block(&rows);
            let n = rows.len() as u32;
            // A row group's rows: a pseudo-random selection of the block's rows (some
            // repeated), as many as `len_frac` of the block or more than MIN_ROWS.
            let len = ((n as f64 * len_frac) as usize).max(MIN_ROWS.min(n as usize * 2));
            let idx = UInt32Array::from_iter_values(
                (0..len as u32).map(|i| i.wrapping_mul(2_654_435_761).wrapping_add(seed) % n),
            );
            let got = gather_rows(&b, &idx).unwrap();
            let want = take_record_batch(&b, &idx).unwrap();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn a_whole_permutation_of_a_large_block() {
        let rows: Vec<(u32, i64, String, bool)> = (0..50_000u32)
            .map(|i| {
                (
                    i.wrapping_mul(2_654_435_761) >> 4,
                    i64::from(i / 1000),
                    ["c", "u", "r", "a longer value than sixteen bytes"][i as usize % 4].into(),
                    i % 2 == 0,
                )
            })
            .collect();
        let b = block(&rows);
        let idx = UInt32Array::from_iter_values((0..50_000u32).rev());
        assert_eq!(
            gather_rows(&b, &idx).unwrap(),
            take_record_batch(&b, &idx).unwrap()
        );
    }
}
