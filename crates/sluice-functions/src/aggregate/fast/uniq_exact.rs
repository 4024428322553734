//! `uniqExact(x, …)` (and `countDistinct`, `count(DISTINCT …)`, rewritten to it) under
//! `GROUP BY` as one [`GroupsAccumulator`]: one set of keys per group in a flat vector,
//! the keys of a whole batch computed at once (the value itself for one numeric argument,
//! a 128-bit hash of the bytes otherwise; see `uniq::exact_keys`). Keys are stored in the
//! narrowest integer that holds the key width (4, 8 or 16 bytes), and a group's first few
//! keys live inline in its slot (a linear scan, no hashing and no allocation) before it
//! gets a hash set with a fast non-cryptographic hasher: GROUP BY keys with few distinct
//! values per group are common. When the first batch's keys of a numeric argument lie in a
//! range of at most [`BITMAP_KEYS`] values (a product id among 200 per purchaser), each
//! group also gets a bitmap over that range ([`Bitmaps`]): a key in it sets a bit, no set
//! lookup; keys outside it go to the group's set as before. States are the per-group
//! `uniqExact` state bytes (`VarUInt` count, then each key in its width).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, BooleanArray, UInt64Array,
};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::error::Result;
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use sluice_common::ChType;

use super::super::binary::{Reader, write_var_uint};
use super::super::udaf::normalize_args;
use super::super::uniq::{exact_keys, key_width};
use super::{selected, state_per_row};

/// Keys a group holds inline before it gets a hash set.
const INLINE: usize = 4;

/// Widest key range given per-group bitmaps: 256 bits, 32 bytes a group (a group's set
/// slot is 40).
const BITMAP_KEYS: u128 = 256;

/// One bitmap per group over the keys `base ..= base + 64 × words − 1`, in a flat vector
/// (`words` 64-bit words a group). The keys of a group are its bitmap's and its set's,
/// which never share a key (a key in the range only ever sets a bit).
#[derive(Debug)]
struct Bitmaps {
    base: u128,
    words: usize,
    bits: Vec<u64>,
}

impl Bitmaps {
    /// Bitmaps over the range of `keys` when it is at most [`BITMAP_KEYS`] wide.
    fn over<S: Copy + Into<u128>>(keys: &[S]) -> Option<Self> {
        let (lo, hi) = keys.iter().fold((u128::MAX, 0), |(lo, hi), &k| {
            let k: u128 = k.into();
            (lo.min(k), hi.max(k))
        });
        let span = hi.checked_sub(lo)? + 1;
        (span <= BITMAP_KEYS).then(|| Bitmaps {
            base: lo,
            words: span.div_ceil(64) as usize,
            bits: Vec::new(),
        })
    }
}

/// Calls `f` with each key set in `bitmap` (one group's words over keys from `base`).
fn for_each_bit(base: u128, bitmap: &[u64], mut f: impl FnMut(u128)) {
    for (w, &word) in bitmap.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            let b = word.trailing_zeros();
            f(base + (w as u128) * 64 + u128::from(b));
            word &= word - 1;
        }
    }
}

/// A key stored at its width.
trait Key: Copy + Eq + Hash + Default + std::fmt::Debug + Send + 'static {
    /// The key from its 128-bit form (which holds no bits beyond the key width).
    fn from_wide(k: u128) -> Self;
    /// The key's little-endian bytes, widened to 16.
    fn to_wide(self) -> u128;
}

impl Key for u32 {
    fn from_wide(k: u128) -> Self {
        k as u32
    }
    fn to_wide(self) -> u128 {
        u128::from(self)
    }
}

impl Key for u64 {
    fn from_wide(k: u128) -> Self {
        k as u64
    }
    fn to_wide(self) -> u128 {
        u128::from(self)
    }
}

impl Key for u128 {
    fn from_wide(k: u128) -> Self {
        k
    }
    fn to_wide(self) -> u128 {
        self
    }
}

/// One group's distinct keys: inline while few, then a hash set.
#[derive(Debug)]
enum KeySet<K: Key> {
    Few(u8, [K; INLINE]),
    Many(HashSet<K, BuildHasherDefault<ahash::AHasher>>),
}

impl<K: Key> Default for KeySet<K> {
    fn default() -> Self {
        KeySet::Few(0, [K::default(); INLINE])
    }
}

impl<K: Key> KeySet<K> {
    /// Adds `k`; true when it was not there yet.
    fn insert(&mut self, k: K) -> bool {
        match self {
            KeySet::Few(n, keys) => {
                let len = usize::from(*n);
                if keys[..len].contains(&k) {
                    return false;
                }
                if len < INLINE {
                    keys[len] = k;
                    *n += 1;
                    return true;
                }
                let mut set = HashSet::with_capacity_and_hasher(INLINE * 4, Default::default());
                set.extend(keys.iter().copied());
                set.insert(k);
                *self = KeySet::Many(set);
                true
            }
            KeySet::Many(set) => set.insert(k),
        }
    }

    fn len(&self) -> usize {
        match self {
            KeySet::Few(n, _) => usize::from(*n),
            KeySet::Many(set) => set.len(),
        }
    }

    /// Calls `f` with each key.
    fn for_each(&self, mut f: impl FnMut(K)) {
        match self {
            KeySet::Few(n, keys) => keys[..usize::from(*n)].iter().for_each(|k| f(*k)),
            KeySet::Many(set) => set.iter().for_each(|k| f(*k)),
        }
    }

    /// Heap bytes of the set (hash sets hold keys at a load factor of at most 7/8, plus a
    /// control byte each).
    fn heap_bytes(&self) -> usize {
        match self {
            KeySet::Few(..) => 0,
            KeySet::Many(set) => set.capacity() * (std::mem::size_of::<K>() + 1),
        }
    }
}

/// The groups' sets, at the key width's integer.
#[derive(Debug)]
enum Sets {
    W4(Vec<KeySet<u32>>),
    W8(Vec<KeySet<u64>>),
    W16(Vec<KeySet<u128>>),
}

/// True when `args` of a `uniqExact` call can use [`UniqExactGroups`] (no Nullable
/// argument: those go through the NULL-skipping wrapper and its state layout).
pub(super) fn supported(args: &[ChType]) -> bool {
    !args.is_empty()
        && args
            .iter()
            .all(|t| !t.is_nullable() && !matches!(t, ChType::Nothing))
}

/// `uniqExact` for every group of a `GROUP BY`.
#[derive(Debug)]
pub(super) struct UniqExactGroups {
    types: Vec<ChType>,
    width: usize,
    sets: Sets,
    /// Per-group bitmaps over a small key range, decided by the first keys seen.
    bitmaps: Option<Bitmaps>,
    /// Whether the first keys have been seen (and `bitmaps` decided).
    decided: bool,
    /// Heap bytes held by the sets.
    heap: usize,
}

/// Adds each selected row's key to its group's bitmap (see [`Bitmaps`]) or set; returns
/// the heap bytes the sets grew by. `keys` are the 128-bit keys, or an unsigned column's
/// values read in place (the same keys: see [`UniqExactGroups::update_batch`]).
fn insert_all<K: Key, S: Copy + Into<u128>>(
    sets: &mut Vec<KeySet<K>>,
    bitmaps: Option<&mut Bitmaps>,
    groups: &[usize],
    keys: &[S],
    keep: Option<&datafusion::arrow::buffer::NullBuffer>,
    total_groups: usize,
) -> usize {
    sets.resize_with(total_groups, KeySet::default);
    let mut grown = 0usize;
    let rows = groups.iter().zip(keys).enumerate();
    let selected = |i: usize| keep.is_none_or(|k| k.is_valid(i));
    match bitmaps {
        Some(b) => {
            b.bits.resize(total_groups * b.words, 0);
            let (base, words) = (b.base, b.words);
            let span = words as u128 * 64;
            for (i, (&g, &k)) in rows {
                if !selected(i) {
                    continue;
                }
                let k: u128 = k.into();
                let o = k.wrapping_sub(base);
                if o < span {
                    b.bits[g * words + (o >> 6) as usize] |= 1u64 << (o & 63);
                } else {
                    grown += insert_into_set(&mut sets[g], k);
                }
            }
        }
        None => {
            for (i, (&g, &k)) in rows {
                if selected(i) {
                    grown += insert_into_set(&mut sets[g], k.into());
                }
            }
        }
    }
    grown
}

/// Adds `k` to `set`; returns the heap bytes the set grew by.
#[inline]
fn insert_into_set<K: Key>(set: &mut KeySet<K>, k: u128) -> usize {
    let before = set.heap_bytes();
    if set.insert(K::from_wide(k)) {
        // Only a set that took a new key can have grown.
        set.heap_bytes() - before
    } else {
        0
    }
}

/// The emitted groups' distinct counts and state bytes (`VarUInt` count, each key in
/// `width` bytes), or only the counts.
fn emit<K: Key>(
    sets: &mut Vec<KeySet<K>>,
    bitmaps: Option<&mut Bitmaps>,
    emit_to: EmitTo,
    width: usize,
    states: Option<&mut BinaryBuilder>,
) -> (Vec<u64>, usize) {
    let taken = emit_to.take_needed(sets);
    let freed = taken.iter().map(KeySet::heap_bytes).sum();
    // The emitted groups' bitmaps, taken out the same way (empty without bitmaps).
    let (base, words, taken_bits) = match bitmaps {
        Some(b) => {
            let n = (taken.len() * b.words).min(b.bits.len());
            let rest = b.bits.split_off(n);
            (b.base, b.words, std::mem::replace(&mut b.bits, rest))
        }
        None => (0, 0, Vec::new()),
    };
    let bitmap = |g: usize| taken_bits.get(g * words..(g + 1) * words).unwrap_or(&[]);
    let counts: Vec<u64> = taken
        .iter()
        .enumerate()
        .map(|(g, s)| {
            let bits: u32 = bitmap(g).iter().map(|w| w.count_ones()).sum();
            s.len() as u64 + u64::from(bits)
        })
        .collect();
    if let Some(out) = states {
        let mut buf = Vec::new();
        for (g, s) in taken.iter().enumerate() {
            buf.clear();
            write_var_uint(&mut buf, counts[g]);
            let mut put = |k: u128| buf.extend_from_slice(&k.to_le_bytes()[..width]);
            for_each_bit(base, bitmap(g), &mut put);
            s.for_each(|k| put(k.to_wide()));
            out.append_value(&buf);
        }
    }
    (counts, freed)
}

impl UniqExactGroups {
    /// The accumulator for `uniqExact` over arguments of `types`.
    pub(super) fn new(types: Vec<ChType>) -> Self {
        let width = key_width(&types);
        let sets = match width {
            0..=4 => Sets::W4(Vec::new()),
            5..=8 => Sets::W8(Vec::new()),
            _ => Sets::W16(Vec::new()),
        };
        Self {
            width,
            types,
            sets,
            bitmaps: None,
            decided: false,
            heap: 0,
        }
    }

    fn insert_keys<S: Copy + Into<u128>>(
        &mut self,
        groups: &[usize],
        keys: &[S],
        keep: Option<&datafusion::arrow::buffer::NullBuffer>,
        total_groups: usize,
    ) {
        if !self.decided && !keys.is_empty() {
            // Keys of a numeric argument are its values (at most 8 bytes); wider keys are
            // hashes, spread over their whole range.
            self.decided = true;
            self.bitmaps = (self.width <= 8).then(|| Bitmaps::over(keys)).flatten();
        }
        let b = self.bitmaps.as_mut();
        self.heap += match &mut self.sets {
            Sets::W4(s) => insert_all(s, b, groups, keys, keep, total_groups),
            Sets::W8(s) => insert_all(s, b, groups, keys, keep, total_groups),
            Sets::W16(s) => insert_all(s, b, groups, keys, keep, total_groups),
        };
    }

    /// Inserts the values of `a`, an unsigned column of `T`, as the keys; true when done.
    fn insert_values<T: ArrowPrimitiveType>(
        &mut self,
        a: &ArrayRef,
        groups: &[usize],
        keep: Option<&datafusion::arrow::buffer::NullBuffer>,
        total_groups: usize,
    ) -> bool
    where
        T::Native: Into<u128>,
    {
        let Some(a) = a.as_primitive_opt::<T>() else {
            return false;
        };
        self.insert_keys(groups, &a.values()[..], keep, total_groups);
        true
    }

    fn emit(&mut self, emit_to: EmitTo, states: Option<&mut BinaryBuilder>) -> Vec<u64> {
        let w = self.width;
        let b = self.bitmaps.as_mut();
        let (counts, freed) = match &mut self.sets {
            Sets::W4(s) => emit(s, b, emit_to, w, states),
            Sets::W8(s) => emit(s, b, emit_to, w, states),
            Sets::W16(s) => emit(s, b, emit_to, w, states),
        };
        self.heap = self.heap.saturating_sub(freed);
        counts
    }

    fn groups(&self) -> (usize, usize) {
        match &self.sets {
            Sets::W4(s) => (s.len(), s.capacity() * std::mem::size_of::<KeySet<u32>>()),
            Sets::W8(s) => (s.len(), s.capacity() * std::mem::size_of::<KeySet<u64>>()),
            Sets::W16(s) => (s.len(), s.capacity() * std::mem::size_of::<KeySet<u128>>()),
        }
    }
}

impl GroupsAccumulator for UniqExactGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let values = normalize_args(values)?;
        let keep = selected(&values, opt_filter);
        let keep = keep.as_ref();
        // One unsigned argument whose key width is its own: its keys are its values
        // (`exact_keys` widens each to 128 bits unchanged), read in place.
        if let [a] = values.as_slice() {
            let (g, n) = (group_indices, total_num_groups);
            let in_place = match (a.data_type(), self.width) {
                (DataType::UInt8, 1) => self.insert_values::<UInt8Type>(a, g, keep, n),
                (DataType::UInt16, 2) => self.insert_values::<UInt16Type>(a, g, keep, n),
                (DataType::UInt32, 4) => self.insert_values::<UInt32Type>(a, g, keep, n),
                (DataType::UInt64, 8) => self.insert_values::<UInt64Type>(a, g, keep, n),
                _ => false,
            };
            if in_place {
                return Ok(());
            }
        }
        let keys = exact_keys(&values, &self.types)?;
        self.insert_keys(group_indices, &keys, keep, total_num_groups);
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(Arc::new(UInt64Array::from(self.emit(emit_to, None))))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let n = match emit_to {
            EmitTo::All => self.groups().0,
            EmitTo::First(n) => n,
        };
        let mut out = BinaryBuilder::with_capacity(n, n * (self.width + 1));
        self.emit(emit_to, Some(&mut out));
        Ok(vec![Arc::new(out.finish())])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        let Some(col) = values.first() else {
            self.insert_keys::<u128>(&[], &[], None, total_num_groups);
            return Ok(());
        };
        let bin = col.as_binary::<i32>();
        let (mut groups, mut keys) = (Vec::new(), Vec::new());
        for (row, g) in group_indices.iter().enumerate() {
            if !bin.is_valid(row) {
                continue;
            }
            let mut r = Reader::new(bin.value(row));
            let n = r.count(self.width)?;
            for _ in 0..n {
                let mut full = [0u8; 16];
                full[..self.width].copy_from_slice(r.bytes(self.width)?);
                groups.push(*g);
                keys.push(u128::from_le_bytes(full));
            }
        }
        self.insert_keys(&groups, &keys, None, total_num_groups);
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        state_per_row(UniqExactGroups::new(self.types.clone()), values, opt_filter)
    }

    fn size(&self) -> usize {
        let bitmaps = self.bitmaps.as_ref().map_or(0, |b| b.bits.capacity() * 8);
        self.heap + bitmaps + self.groups().1 + std::mem::size_of::<Self>()
    }
}
