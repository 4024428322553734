//! [`DenseGroups`]: the group index of a single integer key whose values fall in a range
//! known before execution, looked up by the key's offset in that range instead of a hash.
//!
//! Dates and date-times (`Date32`, `Date64`, `Timestamp` of any unit and zone) are keys
//! too: their values are integers (days, or seconds to nanoseconds).
//!
//! Groups are numbered in the order their key is first seen, exactly as DataFusion's
//! `GroupValuesPrimitive` numbers them, so the groups come out in the same order. A key
//! outside the range (which the range analysis rules out, but nothing here relies on it)
//! and NULL get their group through a hash map and a slot of their own.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Date64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::error::{DataFusionError, Result as DfResult};

/// Integer key values as 64 bits: zero-extended when unsigned, sign-extended when signed,
/// so that `bits − lo` (wrapping) is the offset in the range for both.
pub(super) trait KeyBits: Copy {
    /// The value's 64-bit pattern.
    fn bits(self) -> u64;
    /// The value of a 64-bit pattern made by [`KeyBits::bits`] (its low bits).
    fn from_bits(bits: u64) -> Self;
}

macro_rules! key_bits {
    ($($t:ty => $via:ty),*) => {
        $(impl KeyBits for $t {
            #[inline]
            fn bits(self) -> u64 {
                self as $via as u64
            }

            #[inline]
            fn from_bits(bits: u64) -> Self {
                bits as $t
            }
        })*
    };
}
key_bits!(u8 => u64, u16 => u64, u32 => u64, u64 => u64, i8 => i64, i16 => i64, i32 => i64, i64 => i64);

/// Key range `[lo, lo + size)` as 64-bit patterns (see [`KeyBits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyRange {
    /// The smallest key's bits.
    pub lo: u64,
    /// Number of keys in the range.
    pub size: usize,
}

/// A group index over integer key columns.
pub(super) trait GroupIndex: Send {
    /// The group of every row of the key columns `keys` into `groups` (cleared first).
    fn intern(&mut self, keys: &[ArrayRef], groups: &mut Vec<usize>) -> DfResult<()>;
    /// Number of groups.
    fn len(&self) -> usize;
    /// Bytes held.
    fn size(&self) -> usize;
    /// The key columns of all groups in group order, emptying the index.
    fn emit(&mut self) -> Vec<ArrayRef>;
}

/// The index for a key of Arrow type `data_type` over `range`; `None` for other types.
pub(super) fn group_index(data_type: &DataType, range: KeyRange) -> Option<Box<dyn GroupIndex>> {
    fn make<T: ArrowPrimitiveType>(dt: &DataType, range: KeyRange) -> Option<Box<dyn GroupIndex>>
    where
        T::Native: KeyBits,
    {
        Some(Box::new(DenseGroups::<T>::new(dt.clone(), range)))
    }
    match data_type {
        DataType::UInt8 => make::<UInt8Type>(data_type, range),
        DataType::UInt16 => make::<UInt16Type>(data_type, range),
        DataType::UInt32 => make::<UInt32Type>(data_type, range),
        DataType::UInt64 => make::<UInt64Type>(data_type, range),
        DataType::Int8 => make::<Int8Type>(data_type, range),
        DataType::Int16 => make::<Int16Type>(data_type, range),
        DataType::Int32 => make::<Int32Type>(data_type, range),
        DataType::Int64 => make::<Int64Type>(data_type, range),
        DataType::Date32 => make::<Date32Type>(data_type, range),
        DataType::Date64 => make::<Date64Type>(data_type, range),
        DataType::Timestamp(TimeUnit::Second, _) => make::<TimestampSecondType>(data_type, range),
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            make::<TimestampMillisecondType>(data_type, range)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            make::<TimestampMicrosecondType>(data_type, range)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            make::<TimestampNanosecondType>(data_type, range)
        }
        _ => None,
    }
}

/// Direct-indexed groups of a primitive integer key.
struct DenseGroups<T: ArrowPrimitiveType> {
    data_type: DataType,
    lo: u64,
    /// Per key offset: group index + 1, 0 when the key has not been seen.
    slots: Vec<u32>,
    /// Groups of keys outside the range.
    overflow: HashMap<u64, usize>,
    /// The group of NULL, when seen.
    null_group: Option<usize>,
    /// The key of each group (a default value for the NULL group).
    values: Vec<T::Native>,
}

impl<T: ArrowPrimitiveType> DenseGroups<T>
where
    T::Native: KeyBits,
{
    fn new(data_type: DataType, range: KeyRange) -> Self {
        Self {
            data_type,
            lo: range.lo,
            slots: vec![0; range.size],
            overflow: HashMap::new(),
            null_group: None,
            values: Vec::new(),
        }
    }

    #[inline]
    fn group_of(&mut self, v: T::Native) -> usize {
        let offset = v.bits().wrapping_sub(self.lo);
        if let Ok(i) = usize::try_from(offset)
            && let Some(slot) = self.slots.get_mut(i)
            && let Ok(next) = u32::try_from(self.values.len() + 1)
        {
            if *slot != 0 {
                return *slot as usize - 1;
            }
            *slot = next;
            self.values.push(v);
            return next as usize - 1;
        }
        self.overflow_group(v)
    }

    #[cold]
    fn overflow_group(&mut self, v: T::Native) -> usize {
        // A key in the range already has a slot (it cannot be in `overflow` too).
        let offset = v.bits().wrapping_sub(self.lo);
        if let Some(&slot) = usize::try_from(offset).ok().and_then(|i| self.slots.get(i))
            && slot != 0
        {
            return slot as usize - 1;
        }
        let next = self.values.len();
        let g = *self.overflow.entry(v.bits()).or_insert(next);
        if g == next {
            self.values.push(v);
        }
        g
    }
}

impl<T: ArrowPrimitiveType> GroupIndex for DenseGroups<T>
where
    T::Native: KeyBits,
{
    fn intern(&mut self, keys: &[ArrayRef], groups: &mut Vec<usize>) -> DfResult<()> {
        let Some(keys) = keys.first().and_then(|k| k.as_primitive_opt::<T>()) else {
            return Err(DataFusionError::Internal(format!(
                "dense GROUP BY expects one column of {} keys",
                self.data_type,
            )));
        };
        groups.clear();
        groups.reserve(keys.len());
        match keys.nulls().filter(|n| n.null_count() > 0) {
            None => {
                for &v in keys.values() {
                    groups.push(self.group_of(v));
                }
            }
            Some(nulls) => {
                for (i, &v) in keys.values().iter().enumerate() {
                    let g = if nulls.is_null(i) {
                        match self.null_group {
                            Some(g) => g,
                            None => {
                                let g = self.values.len();
                                self.values.push(T::Native::default());
                                self.null_group = Some(g);
                                g
                            }
                        }
                    } else {
                        self.group_of(v)
                    };
                    groups.push(g);
                }
            }
        }
        Ok(())
    }

    fn len(&self) -> usize {
        self.values.len()
    }

    fn size(&self) -> usize {
        self.slots.capacity() * 4
            + self.values.capacity() * std::mem::size_of::<T::Native>()
            + self.overflow.capacity() * 24
    }

    fn emit(&mut self) -> Vec<ArrayRef> {
        let values = std::mem::take(&mut self.values);
        let nulls = self.null_group.take().map(|g| {
            let mut valid = vec![true; values.len()];
            valid[g] = false;
            NullBuffer::from(valid)
        });
        // Clear only the slots in use (the table can be 4 MiB for a handful of groups).
        for v in &values {
            if let Ok(i) = usize::try_from(v.bits().wrapping_sub(self.lo))
                && let Some(slot) = self.slots.get_mut(i)
            {
                *slot = 0;
            }
        }
        self.overflow.clear();
        let keys =
            PrimitiveArray::<T>::new(values.into(), nulls).with_data_type(self.data_type.clone());
        vec![Arc::new(keys)]
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int16Array, UInt32Array};

    use super::*;

    #[test]
    fn groups_in_first_seen_order_with_nulls_and_overflow() {
        let mut index = group_index(&DataType::UInt32, KeyRange { lo: 0, size: 10 })
            .expect("UInt32 is supported");
        let keys: ArrayRef = Arc::new(UInt32Array::from(vec![
            Some(7),
            Some(3),
            None,
            Some(7),
            Some(1_000),
            Some(3),
            None,
            Some(1_000),
            Some(9),
        ]));
        let mut groups = Vec::new();
        index.intern(&[keys], &mut groups).expect("UInt32 keys");
        assert_eq!(groups, vec![0, 1, 2, 0, 3, 1, 2, 3, 4]);
        assert_eq!(index.len(), 5);
        let emitted = index.emit().remove(0);
        let emitted = emitted.as_primitive::<UInt32Type>();
        let got: Vec<Option<u32>> = emitted.iter().collect();
        assert_eq!(got, vec![Some(7), Some(3), None, Some(1_000), Some(9)]);
        assert_eq!(index.len(), 0);
        let again: ArrayRef = Arc::new(UInt32Array::from(vec![9, 7]));
        index.intern(&[again], &mut groups).expect("UInt32 keys");
        assert_eq!(groups, vec![0, 1]);
    }

    #[test]
    fn signed_ranges_below_zero() {
        let lo = (-5i64) as u64;
        let mut index =
            group_index(&DataType::Int16, KeyRange { lo, size: 11 }).expect("Int16 is supported");
        let keys: ArrayRef = Arc::new(Int16Array::from(vec![-5, 5, 0, -5, i16::MIN, 5]));
        let mut groups = Vec::new();
        index.intern(&[keys], &mut groups).expect("Int16 keys");
        assert_eq!(groups, vec![0, 1, 2, 0, 3, 1]);
        let emitted = index.emit().remove(0);
        let got: Vec<i16> = emitted.as_primitive::<Int16Type>().values().to_vec();
        assert_eq!(got, vec![-5, 5, 0, i16::MIN]);
    }

    #[test]
    fn date_times_keep_their_zone() {
        use datafusion::arrow::array::TimestampSecondArray;
        use datafusion::arrow::datatypes::TimeUnit;

        let data_type = DataType::Timestamp(TimeUnit::Second, Some("Asia/Tokyo".into()));
        let mut index = group_index(
            &data_type,
            KeyRange {
                lo: 3_600,
                size: 7_201,
            },
        )
        .expect("DateTime is supported");
        let keys: ArrayRef = Arc::new(
            TimestampSecondArray::from(vec![7_200, 3_600, 7_200, 0, 10_800])
                .with_data_type(data_type.clone()),
        );
        let mut groups = Vec::new();
        index.intern(&[keys], &mut groups).expect("DateTime keys");
        assert_eq!(groups, vec![0, 1, 0, 2, 3]);
        let emitted = index.emit().remove(0);
        assert_eq!(emitted.data_type(), &data_type);
        let got = emitted
            .as_primitive::<TimestampSecondType>()
            .values()
            .to_vec();
        assert_eq!(got, vec![7_200, 3_600, 0, 10_800]);
    }

    #[test]
    fn wrong_key_type_is_an_error() {
        let mut index =
            group_index(&DataType::UInt32, KeyRange { lo: 0, size: 4 }).expect("supported");
        let keys: ArrayRef = Arc::new(Int16Array::from(vec![1]));
        assert!(index.intern(&[keys], &mut Vec::new()).is_err());
    }
}
