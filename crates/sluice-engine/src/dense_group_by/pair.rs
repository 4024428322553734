//! [`PairGroups`]: the group index of two integer keys, each in a range known before
//! execution (`GROUP BY product_id, initial_stock` after a join with a small table): the
//! pair's slot is `offset₁ × size₂ + offset₂`, no hashing.
//!
//! Groups are numbered in the order their pair is first seen, as DataFusion's
//! `GroupValuesColumn` numbers them. A pair with a NULL or a key outside its range gets
//! its group through a hash map.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Date64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::error::{DataFusionError, Result as DfResult};

use super::groups::{GroupIndex, KeyBits, KeyRange};

/// Offset of a NULL key or a key outside its range.
const OUTSIDE: u32 = u32::MAX;

/// Reading and writing one key column of an integer type as 64-bit patterns.
trait KeyCodec: Send + Sync {
    /// Each row's offset in `range` into `out` (cleared first), [`OUTSIDE`] for NULL and
    /// keys outside it.
    fn offsets(&self, keys: &ArrayRef, range: KeyRange, out: &mut Vec<u32>) -> DfResult<()>;
    /// Row `i`'s key bits, `None` when NULL.
    fn bits(&self, keys: &ArrayRef, i: usize) -> Option<u64>;
    /// A column of `data_type` holding `bits`.
    fn column(&self, data_type: &DataType, bits: &[Option<u64>]) -> ArrayRef;
}

struct Typed<T>(PhantomData<fn() -> T>);

impl<T: ArrowPrimitiveType> KeyCodec for Typed<T>
where
    T::Native: KeyBits,
{
    fn offsets(&self, keys: &ArrayRef, range: KeyRange, out: &mut Vec<u32>) -> DfResult<()> {
        let Some(keys) = keys.as_primitive_opt::<T>() else {
            return Err(DataFusionError::Internal(format!(
                "dense GROUP BY expects {} keys, got {}",
                T::DATA_TYPE,
                keys.data_type()
            )));
        };
        out.clear();
        out.reserve(keys.len());
        let size = range.size as u64;
        out.extend(keys.values().iter().map(|v| {
            let o = v.bits().wrapping_sub(range.lo);
            if o < size { o as u32 } else { OUTSIDE }
        }));
        if let Some(nulls) = keys.nulls().filter(|n| n.null_count() > 0) {
            for i in nulls.iter().enumerate().filter(|(_, v)| !v).map(|(i, _)| i) {
                out[i] = OUTSIDE;
            }
        }
        Ok(())
    }

    fn bits(&self, keys: &ArrayRef, i: usize) -> Option<u64> {
        let keys = keys.as_primitive_opt::<T>()?;
        keys.is_valid(i).then(|| keys.value(i).bits())
    }

    fn column(&self, data_type: &DataType, bits: &[Option<u64>]) -> ArrayRef {
        let values: Vec<T::Native> = bits
            .iter()
            .map(|b| T::Native::from_bits(b.unwrap_or_default()))
            .collect();
        let nulls = bits
            .iter()
            .any(Option::is_none)
            .then(|| NullBuffer::from_iter(bits.iter().map(Option::is_some)));
        Arc::new(PrimitiveArray::<T>::new(values.into(), nulls).with_data_type(data_type.clone()))
    }
}

fn codec(data_type: &DataType) -> Option<&'static dyn KeyCodec> {
    Some(match data_type {
        DataType::UInt8 => &Typed::<UInt8Type>(PhantomData),
        DataType::UInt16 => &Typed::<UInt16Type>(PhantomData),
        DataType::UInt32 => &Typed::<UInt32Type>(PhantomData),
        DataType::UInt64 => &Typed::<UInt64Type>(PhantomData),
        DataType::Int8 => &Typed::<Int8Type>(PhantomData),
        DataType::Int16 => &Typed::<Int16Type>(PhantomData),
        DataType::Int32 => &Typed::<Int32Type>(PhantomData),
        DataType::Int64 => &Typed::<Int64Type>(PhantomData),
        DataType::Date32 => &Typed::<Date32Type>(PhantomData),
        DataType::Date64 => &Typed::<Date64Type>(PhantomData),
        DataType::Timestamp(TimeUnit::Second, _) => &Typed::<TimestampSecondType>(PhantomData),
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            &Typed::<TimestampMillisecondType>(PhantomData)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            &Typed::<TimestampMicrosecondType>(PhantomData)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            &Typed::<TimestampNanosecondType>(PhantomData)
        }
        _ => return None,
    })
}

/// One of the two key columns.
struct Key {
    data_type: DataType,
    range: KeyRange,
    codec: &'static dyn KeyCodec,
    /// Scratch: the batch's offsets.
    offsets: Vec<u32>,
}

/// Direct-indexed groups of two integer keys.
pub(super) struct PairGroups {
    first: Key,
    second: Key,
    /// Per pair of offsets: group index + 1, 0 when the pair has not been seen.
    slots: Vec<u32>,
    /// Groups of pairs with a NULL or a key outside its range.
    overflow: HashMap<(Option<u64>, Option<u64>), usize>,
    /// The keys of each group.
    keys: Vec<(Option<u64>, Option<u64>)>,
}

/// The index for keys of types `types` over `ranges` (two of each); `None` for other types
/// or when the pairs are more than `max_slots`.
pub(super) fn pair_index(
    types: [&DataType; 2],
    ranges: [KeyRange; 2],
    max_slots: usize,
) -> Option<Box<dyn GroupIndex>> {
    let slots = ranges[0].size.checked_mul(ranges[1].size)?;
    if slots > max_slots {
        return None;
    }
    let key = |i: usize| -> Option<Key> {
        Some(Key {
            data_type: types[i].clone(),
            range: ranges[i],
            codec: codec(types[i])?,
            offsets: Vec::new(),
        })
    };
    Some(Box::new(PairGroups {
        first: key(0)?,
        second: key(1)?,
        slots: vec![0; slots],
        overflow: HashMap::new(),
        keys: Vec::new(),
    }))
}

impl PairGroups {
    #[cold]
    fn overflow_group(&mut self, keys: &[ArrayRef], i: usize) -> usize {
        let pair = (
            self.first.codec.bits(&keys[0], i),
            self.second.codec.bits(&keys[1], i),
        );
        let next = self.keys.len();
        let g = *self.overflow.entry(pair).or_insert(next);
        if g == next {
            self.keys.push(pair);
        }
        g
    }
}

impl GroupIndex for PairGroups {
    fn intern(&mut self, keys: &[ArrayRef], groups: &mut Vec<usize>) -> DfResult<()> {
        let [a, b] = keys else {
            return Err(DataFusionError::Internal(
                "dense GROUP BY of a pair expects two key columns".into(),
            ));
        };
        let n = a.len();
        self.first
            .codec
            .offsets(a, self.first.range, &mut self.first.offsets)?;
        self.second
            .codec
            .offsets(b, self.second.range, &mut self.second.offsets)?;
        let (offsets_a, offsets_b) = (
            std::mem::take(&mut self.first.offsets),
            std::mem::take(&mut self.second.offsets),
        );
        let width = self.second.range.size;
        let (lo_a, lo_b) = (self.first.range.lo, self.second.range.lo);
        groups.clear();
        groups.reserve(n);
        for (i, (&oa, &ob)) in offsets_a.iter().zip(&offsets_b).enumerate() {
            let slot = if oa != OUTSIDE && ob != OUTSIDE {
                self.slots.get_mut(oa as usize * width + ob as usize)
            } else {
                None
            };
            let next = self.keys.len();
            let g = match slot {
                Some(s) if *s != 0 => *s as usize - 1,
                Some(s) if next < OUTSIDE as usize => {
                    *s = next as u32 + 1;
                    self.keys.push((
                        Some(lo_a.wrapping_add(u64::from(oa))),
                        Some(lo_b.wrapping_add(u64::from(ob))),
                    ));
                    next
                }
                _ => self.overflow_group(keys, i),
            };
            groups.push(g);
        }
        self.first.offsets = offsets_a;
        self.second.offsets = offsets_b;
        Ok(())
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    fn size(&self) -> usize {
        self.slots.capacity() * 4
            + self.keys.capacity() * 32
            + self.overflow.capacity() * 48
            + (self.first.offsets.capacity() + self.second.offsets.capacity()) * 4
    }

    fn emit(&mut self) -> Vec<ArrayRef> {
        let keys = std::mem::take(&mut self.keys);
        // Clear only the slots in use (the table can be 4 MiB for a handful of groups).
        let width = self.second.range.size as u64;
        for (a, b) in &keys {
            if let (Some(a), Some(b)) = (a, b) {
                let oa = a.wrapping_sub(self.first.range.lo);
                let ob = b.wrapping_sub(self.second.range.lo);
                if oa < self.first.range.size as u64
                    && ob < width
                    && let Some(s) = usize::try_from(oa * width + ob)
                        .ok()
                        .and_then(|i| self.slots.get_mut(i))
                {
                    *s = 0;
                }
            }
        }
        self.overflow.clear();
        let firsts: Vec<Option<u64>> = keys.iter().map(|k| k.0).collect();
        let seconds: Vec<Option<u64>> = keys.iter().map(|k| k.1).collect();
        vec![
            self.first.codec.column(&self.first.data_type, &firsts),
            self.second.codec.column(&self.second.data_type, &seconds),
        ]
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, UInt32Array};
    use datafusion::arrow::datatypes::Int64Type;

    use super::*;

    #[test]
    fn pairs_in_first_seen_order_with_nulls_and_outside_keys() {
        let lo = (-2i64) as u64;
        let mut index = pair_index(
            [&DataType::UInt32, &DataType::Int64],
            [KeyRange { lo: 10, size: 5 }, KeyRange { lo, size: 4 }],
            1 << 20,
        )
        .expect("supported");
        let a: ArrayRef = Arc::new(UInt32Array::from(vec![
            Some(10),
            Some(14),
            None,
            Some(10),
            Some(99),
            Some(14),
            None,
            Some(99),
            Some(10),
        ]));
        let b: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(-2),
            Some(1),
            Some(0),
            Some(-2),
            Some(1),
            Some(1),
            Some(0),
            Some(1),
            None,
        ]));
        let mut groups = Vec::new();
        index.intern(&[a, b], &mut groups).expect("keys");
        assert_eq!(groups, vec![0, 1, 2, 0, 3, 1, 2, 3, 4]);
        let cols = index.emit();
        let a: Vec<Option<u32>> = cols[0].as_primitive::<UInt32Type>().iter().collect();
        let b: Vec<Option<i64>> = cols[1].as_primitive::<Int64Type>().iter().collect();
        assert_eq!(a, vec![Some(10), Some(14), None, Some(99), Some(10)]);
        assert_eq!(b, vec![Some(-2), Some(1), Some(0), Some(1), None]);
        assert_eq!(index.len(), 0);
        // Emptied: the same pairs start again from group 0.
        let a: ArrayRef = Arc::new(UInt32Array::from(vec![14, 10]));
        let b: ArrayRef = Arc::new(Int64Array::from(vec![1, -2]));
        index.intern(&[a, b], &mut groups).expect("keys");
        assert_eq!(groups, vec![0, 1]);
    }

    #[test]
    fn too_many_pairs_or_other_types_stay() {
        let r = KeyRange { lo: 0, size: 2048 };
        assert!(pair_index([&DataType::UInt32, &DataType::UInt32], [r, r], 1 << 20).is_none());
        let r = KeyRange { lo: 0, size: 8 };
        assert!(pair_index([&DataType::Utf8, &DataType::UInt32], [r, r], 1 << 20).is_none());
    }
}
