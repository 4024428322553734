//! `groupArray(x)` under `GROUP BY` as one [`GroupsAccumulator`] for all groups: the rows
//! of each batch are kept as they arrive (the values column and each row's group), and a
//! counting sort by group builds the result lists (or the states) in one pass, instead of
//! one boxed state per group fed slice by slice through DataFusion's per-group adapter.
//! Values keep their arrival order within a group, as in the per-group state.
//!
//! States are the generic `groupArray` state bytes (`VarUInt` count, then the values in
//! `RowBinary`); for numbers whose `RowBinary` is their Arrow little-endian value the bytes
//! are copied as a block.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, BooleanArray, ListArray, UInt32Array, make_array,
    new_empty_array,
};
use datafusion::arrow::buffer::{MutableBuffer, OffsetBuffer};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use sluice_common::ChType;

use super::super::binary::{Reader, write_var_uint};
use super::super::udaf::normalize_args;
use super::super::value::{read_value, scalars_to_array, write_value};
use super::{selected, state_per_row};
use crate::ch_bail;

/// Byte width of `t` when its `RowBinary` encoding is its Arrow value's little-endian bytes.
fn native_width(t: &ChType) -> Option<usize> {
    Some(match t {
        ChType::UInt8 | ChType::Int8 => 1,
        ChType::UInt16 | ChType::Int16 => 2,
        ChType::UInt32 | ChType::Int32 | ChType::Float32 => 4,
        ChType::UInt64 | ChType::Int64 | ChType::Float64 => 8,
        _ => return None,
    })
}

/// True when `args` (of a plain `groupArray` call) can use [`GroupArrayGroups`].
pub(super) fn supported(args: &[ChType]) -> bool {
    matches!(args, [t] if !t.is_nullable() && !matches!(t, ChType::Nothing))
}

/// `groupArray(x)` for every group of a `GROUP BY`.
#[derive(Debug)]
pub(super) struct GroupArrayGroups {
    item: ChType,
    item_type: DataType,
    field: FieldRef,
    out_type: DataType,
    native: Option<usize>,
    /// Kept rows per input batch: their values and their groups.
    chunks: Vec<(ArrayRef, Vec<u32>)>,
    /// Values per group.
    counts: Vec<usize>,
    /// Memory of `chunks`.
    bytes: usize,
}

impl GroupArrayGroups {
    /// The accumulator for `groupArray(item)` returning `out_type` (`Array(item)`'s).
    pub(super) fn new(item: ChType, out_type: DataType) -> Self {
        let field = Arc::new(item.to_field("item"));
        Self {
            item_type: item.to_arrow(),
            native: native_width(&item),
            item,
            field,
            out_type,
            chunks: Vec::new(),
            counts: Vec::new(),
            bytes: 0,
        }
    }

    fn push(&mut self, values: ArrayRef, groups: Vec<u32>) {
        if groups.is_empty() {
            return;
        }
        for g in &groups {
            self.counts[*g as usize] += 1;
        }
        self.bytes += values.get_array_memory_size() + groups.len() * 4;
        self.chunks.push((values, groups));
    }

    /// Takes the values of the emitted groups, ordered by group (then arrival), and their
    /// counts; the other groups' rows stay, renumbered from 0.
    fn drain(&mut self, emit_to: EmitTo) -> Result<(ArrayRef, Vec<usize>)> {
        let n = match emit_to {
            EmitTo::All => self.counts.len(),
            EmitTo::First(n) => n.min(self.counts.len()),
        };
        let counts: Vec<usize> = self.counts.drain(..n).collect();
        let chunks = std::mem::take(&mut self.chunks);
        self.bytes = 0;
        let all: ArrayRef = match chunks.as_slice() {
            [] => return Ok((new_empty_array(&self.item_type), counts)),
            [(a, _)] => Arc::clone(a),
            many => {
                let refs: Vec<&dyn Array> = many.iter().map(|(a, _)| a.as_ref()).collect();
                compute::concat(&refs)?
            }
        };
        if u32::try_from(all.len()).is_err() {
            ch_bail!(
                TOO_LARGE_ARRAY_SIZE,
                "Too large array size in groupArray: {} values",
                all.len()
            );
        }
        let mut next = Vec::with_capacity(counts.len());
        let mut total = 0usize;
        for c in &counts {
            next.push(total);
            total += c;
        }
        let mut order = vec![0u32; total];
        let (mut rest_rows, mut rest_groups) = (Vec::new(), Vec::new());
        let mut row = 0u32;
        for (_, groups) in &chunks {
            for &g in groups {
                let g = g as usize;
                if g < n {
                    order[next[g]] = row;
                    next[g] += 1;
                } else {
                    rest_rows.push(row);
                    rest_groups.push((g - n) as u32);
                }
                row += 1;
            }
        }
        if !rest_rows.is_empty() {
            let rest = compute::take(&all, &UInt32Array::from(rest_rows), None)?;
            self.bytes = rest.get_array_memory_size() + rest_groups.len() * 4;
            self.chunks.push((rest, rest_groups));
        }
        let sorted = compute::take(&all, &UInt32Array::from(order), None)?;
        Ok((sorted, counts))
    }
}

impl GroupsAccumulator for GroupArrayGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.counts.resize(total_num_groups, 0);
        let values = normalize_args(values)?;
        let Some(a) = values.first() else {
            return Ok(());
        };
        match selected(&values, opt_filter) {
            None => {
                let groups = group_indices.iter().map(|g| *g as u32).collect();
                self.push(Arc::clone(a), groups);
            }
            Some(keep) => {
                let groups = group_indices
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| keep.is_valid(*i))
                    .map(|(_, g)| *g as u32)
                    .collect();
                let mask = BooleanArray::new(keep.inner().clone(), None);
                self.push(compute::filter(a, &mask)?, groups);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (values, counts) = self.drain(emit_to)?;
        let values = if values.data_type() == self.field.data_type() {
            values
        } else {
            compute::cast(&values, self.field.data_type())?
        };
        if i32::try_from(values.len()).is_err() {
            ch_bail!(
                TOO_LARGE_ARRAY_SIZE,
                "Too large array size in groupArray: {} values",
                values.len()
            );
        }
        let list: ArrayRef = Arc::new(ListArray::try_new(
            Arc::clone(&self.field),
            OffsetBuffer::from_lengths(counts),
            values,
            None,
        )?);
        if list.data_type() == &self.out_type {
            Ok(list)
        } else {
            Ok(compute::cast(&list, &self.out_type)?)
        }
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let (values, counts) = self.drain(emit_to)?;
        let data = values.to_data();
        let mut out = BinaryBuilder::with_capacity(counts.len(), data.get_slice_memory_size()?);
        let mut buf = Vec::new();
        let mut start = 0usize;
        for n in counts {
            buf.clear();
            write_var_uint(&mut buf, n as u64);
            match self.native {
                Some(w) => {
                    let raw = &data.buffers()[0].as_slice()[data.offset() * w..];
                    buf.extend_from_slice(&raw[start * w..(start + n) * w]);
                }
                None => {
                    for i in start..start + n {
                        write_value(
                            &mut buf,
                            &self.item,
                            &ScalarValue::try_from_array(&values, i)?,
                        )?;
                    }
                }
            }
            out.append_value(&buf);
            start += n;
        }
        Ok(vec![Arc::new(out.finish())])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.counts.resize(total_num_groups, 0);
        let Some(col) = values.first() else {
            return Ok(());
        };
        let bin = col.as_binary::<i32>();
        let mut groups = Vec::new();
        let mut raw = MutableBuffer::new(0);
        let mut scalars = Vec::new();
        for (row, g) in group_indices.iter().enumerate() {
            if !bin.is_valid(row) {
                continue;
            }
            let mut r = Reader::new(bin.value(row));
            let n = r.count(self.native.unwrap_or(0))?;
            match self.native {
                Some(w) => raw.extend_from_slice(r.bytes(n * w)?),
                None => {
                    for _ in 0..n {
                        scalars.push(read_value(&mut r, &self.item)?);
                    }
                }
            }
            groups.extend(std::iter::repeat_n(*g as u32, n));
        }
        let array = match self.native {
            Some(_) => make_array(
                datafusion::arrow::array::ArrayData::builder(self.item_type.clone())
                    .len(groups.len())
                    .add_buffer(raw.into())
                    .build()?,
            ),
            None => scalars_to_array(&self.item, scalars)?,
        };
        self.push(array, groups);
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        state_per_row(
            GroupArrayGroups::new(self.item.clone(), self.out_type.clone()),
            values,
            opt_filter,
        )
    }

    fn size(&self) -> usize {
        self.bytes + self.counts.capacity() * 8 + std::mem::size_of::<Self>()
    }
}
