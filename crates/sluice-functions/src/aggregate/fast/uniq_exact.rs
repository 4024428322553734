//! `uniqExact(x, …)` (and `countDistinct`, `count(DISTINCT …)`, rewritten to it) under
//! `GROUP BY` as one [`GroupsAccumulator`]: one hash set of keys per group in a flat
//! vector, the keys of a whole batch computed at once (the value itself for one numeric
//! argument, a 128-bit hash of the bytes otherwise; see `uniq::exact_keys`), and a fast
//! non-cryptographic hasher for the sets. States are the per-group `uniqExact` state bytes
//! (`VarUInt` count, then each key in its width).

use std::collections::HashSet;
use std::hash::BuildHasherDefault;
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

type KeySet = HashSet<u128, BuildHasherDefault<ahash::AHasher>>;

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
    sets: Vec<KeySet>,
    /// Keys held by all sets.
    keys: usize,
}

impl UniqExactGroups {
    /// The accumulator for `uniqExact` over arguments of `types`.
    pub(super) fn new(types: Vec<ChType>) -> Self {
        Self {
            width: key_width(&types),
            types,
            sets: Vec::new(),
            keys: 0,
        }
    }

    fn insert(&mut self, g: usize, key: u128) {
        if self.sets[g].insert(key) {
            self.keys += 1;
        }
    }

    fn take(&mut self, emit_to: EmitTo) -> Vec<KeySet> {
        let sets = emit_to.take_needed(&mut self.sets);
        self.keys -= sets.iter().map(HashSet::len).sum::<usize>();
        sets
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
        self.sets.resize_with(total_num_groups, KeySet::default);
        let values = normalize_args(values)?;
        let keys = exact_keys(&values, &self.types)?;
        match selected(&values, opt_filter) {
            None => {
                for (g, k) in group_indices.iter().zip(keys) {
                    self.insert(*g, k);
                }
            }
            Some(keep) => {
                for (i, (g, k)) in group_indices.iter().zip(keys).enumerate() {
                    if keep.is_valid(i) {
                        self.insert(*g, k);
                    }
                }
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let sets = self.take(emit_to);
        Ok(Arc::new(UInt64Array::from_iter_values(
            sets.iter().map(|s| s.len() as u64),
        )))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let sets = self.take(emit_to);
        let bytes: usize = sets.iter().map(|s| s.len() * self.width + 2).sum();
        let mut out = BinaryBuilder::with_capacity(sets.len(), bytes);
        let mut buf = Vec::new();
        for s in &sets {
            buf.clear();
            write_var_uint(&mut buf, s.len() as u64);
            for k in s {
                buf.extend_from_slice(&k.to_le_bytes()[..self.width]);
            }
            out.append_value(&buf);
        }
        Ok(vec![Arc::new(out.finish())])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.sets.resize_with(total_num_groups, KeySet::default);
        let Some(col) = values.first() else {
            return Ok(());
        };
        let bin = col.as_binary::<i32>();
        for (row, g) in group_indices.iter().enumerate() {
            if !bin.is_valid(row) {
                continue;
            }
            let mut r = Reader::new(bin.value(row));
            let n = r.count(self.width)?;
            for _ in 0..n {
                let mut full = [0u8; 16];
                full[..self.width].copy_from_slice(r.bytes(self.width)?);
                self.insert(*g, u128::from_le_bytes(full));
            }
        }
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
        // Hash sets hold 16-byte keys at a load factor of at most 7/8, plus control bytes.
        self.keys * 20
            + self.sets.capacity() * std::mem::size_of::<KeySet>()
            + std::mem::size_of::<Self>()
    }
}
