//! `uniqExact(x, …)` (and `countDistinct`, `count(DISTINCT …)`, rewritten to it) under
//! `GROUP BY` as one [`GroupsAccumulator`]: one set of keys per group in a flat vector,
//! the keys of a whole batch computed at once (the value itself for one numeric argument,
//! a 128-bit hash of the bytes otherwise; see `uniq::exact_keys`). Keys are stored in the
//! narrowest integer that holds the key width (4, 8 or 16 bytes), and a group's first few
//! keys live inline in its slot (a linear scan, no hashing and no allocation) before it
//! gets a hash set with a fast non-cryptographic hasher: GROUP BY keys with few distinct
//! values per group are common. States are the per-group `uniqExact` state bytes
//! (`VarUInt` count, then each key in its width).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, BooleanArray, UInt64Array,
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
    /// Heap bytes held by the sets.
    heap: usize,
}

/// Adds each selected row's key to its group's set; returns the heap bytes the sets grew by.
fn insert_all<K: Key>(
    sets: &mut Vec<KeySet<K>>,
    groups: &[usize],
    keys: &[u128],
    keep: Option<&datafusion::arrow::buffer::NullBuffer>,
    total_groups: usize,
) -> usize {
    sets.resize_with(total_groups, KeySet::default);
    let mut grown = 0usize;
    let mut add = |g: usize, k: u128| {
        let set = &mut sets[g];
        let before = set.heap_bytes();
        if set.insert(K::from_wide(k)) {
            // Only a set that took a new key can have grown.
            grown += set.heap_bytes() - before;
        }
    };
    match keep {
        None => groups.iter().zip(keys).for_each(|(g, k)| add(*g, *k)),
        Some(keep) => {
            for (i, (g, k)) in groups.iter().zip(keys).enumerate() {
                if keep.is_valid(i) {
                    add(*g, *k);
                }
            }
        }
    }
    grown
}

/// The emitted groups' distinct counts and state bytes (`VarUInt` count, each key in
/// `width` bytes), or only the counts.
fn emit<K: Key>(
    sets: &mut Vec<KeySet<K>>,
    emit_to: EmitTo,
    width: usize,
    states: Option<&mut BinaryBuilder>,
) -> (Vec<u64>, usize) {
    let taken = emit_to.take_needed(sets);
    let freed = taken.iter().map(KeySet::heap_bytes).sum();
    if let Some(out) = states {
        let mut buf = Vec::new();
        for s in &taken {
            buf.clear();
            write_var_uint(&mut buf, s.len() as u64);
            s.for_each(|k| buf.extend_from_slice(&k.to_wide().to_le_bytes()[..width]));
            out.append_value(&buf);
        }
    }
    (taken.iter().map(|s| s.len() as u64).collect(), freed)
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
            heap: 0,
        }
    }

    fn insert_keys(
        &mut self,
        groups: &[usize],
        keys: &[u128],
        keep: Option<&datafusion::arrow::buffer::NullBuffer>,
        total_groups: usize,
    ) {
        self.heap += match &mut self.sets {
            Sets::W4(s) => insert_all(s, groups, keys, keep, total_groups),
            Sets::W8(s) => insert_all(s, groups, keys, keep, total_groups),
            Sets::W16(s) => insert_all(s, groups, keys, keep, total_groups),
        };
    }

    fn emit(&mut self, emit_to: EmitTo, states: Option<&mut BinaryBuilder>) -> Vec<u64> {
        let w = self.width;
        let (counts, freed) = match &mut self.sets {
            Sets::W4(s) => emit(s, emit_to, w, states),
            Sets::W8(s) => emit(s, emit_to, w, states),
            Sets::W16(s) => emit(s, emit_to, w, states),
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
        let keys = exact_keys(&values, &self.types)?;
        let keep = selected(&values, opt_filter);
        self.insert_keys(group_indices, &keys, keep.as_ref(), total_num_groups);
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
            self.insert_keys(&[], &[], None, total_num_groups);
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
        self.heap + self.groups().1 + std::mem::size_of::<Self>()
    }
}
