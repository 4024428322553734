//! `groupArray(x)` under `GROUP BY` as one [`GroupsAccumulator`] for all groups: the rows
//! of each batch are kept as they arrive (the values column and each row's group), and the
//! result lists (or the states) are built in one pass that puts every value straight at
//! its group's place (a counting sort by group), instead of one boxed state per group fed
//! slice by slice through DataFusion's per-group adapter. Values keep their arrival order
//! within a group, as in the per-group state.
//!
//! States are the generic `groupArray` state bytes (`VarUInt` count, then the values in
//! `RowBinary`); for numbers, whose `RowBinary` is their Arrow little-endian value, each
//! value's bytes are copied once from the kept batch into the state (or result) buffer.
//! Merged states of numbers are kept as they arrive (the states' buffer and where each
//! group's run of values lies in it), and the result copies each run whole.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayData, ArrayRef, AsArray, BinaryArray, BinaryBuilder, BooleanArray, ListArray,
    make_array, new_empty_array,
};
use datafusion::arrow::buffer::{Buffer, MutableBuffer, OffsetBuffer};
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
    /// Kept values per input batch.
    chunks: Chunks,
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
        self.chunks.push(Chunk::Rows(values, groups));
    }

    /// Keeps merged states' runs of native values (`data` holds them).
    fn push_runs(&mut self, data: Buffer, runs: Vec<Run>, width: usize) {
        if runs.is_empty() {
            return;
        }
        for r in &runs {
            self.counts[r.group as usize] += r.count;
            self.bytes += r.count * width;
        }
        self.bytes += runs.len() * size_of::<Run>();
        self.chunks.push(Chunk::Runs(data, runs));
    }

    /// Takes the rows of the emitted groups (the first `n`, with their counts); the other
    /// groups' rows stay, renumbered from 0. The returned chunks still hold the rows of
    /// groups `>= n`, which the callers skip.
    fn split(&mut self, emit_to: EmitTo) -> Result<(Chunks, Vec<usize>)> {
        let n = match emit_to {
            EmitTo::All => self.counts.len(),
            EmitTo::First(n) => n.min(self.counts.len()),
        };
        let counts: Vec<usize> = self.counts.drain(..n).collect();
        let chunks = std::mem::take(&mut self.chunks);
        self.bytes = 0;
        if !self.counts.is_empty() {
            for chunk in &chunks {
                match chunk {
                    Chunk::Rows(values, groups) => {
                        if groups.iter().all(|g| (*g as usize) < n) {
                            continue;
                        }
                        let keep: BooleanArray =
                            groups.iter().map(|g| Some(*g as usize >= n)).collect();
                        let rest = compute::filter(values, &keep)?;
                        let rest_groups: Vec<u32> = groups
                            .iter()
                            .filter(|g| **g as usize >= n)
                            .map(|g| g - n as u32)
                            .collect();
                        self.bytes += rest.get_array_memory_size() + rest_groups.len() * 4;
                        self.chunks.push(Chunk::Rows(rest, rest_groups));
                    }
                    Chunk::Runs(data, runs) => {
                        let rest: Vec<Run> = runs
                            .iter()
                            .filter(|r| r.group as usize >= n)
                            .map(|r| Run {
                                group: r.group - n as u32,
                                ..*r
                            })
                            .collect();
                        if !rest.is_empty() {
                            let width = self.native.unwrap_or(0);
                            let values: usize = rest.iter().map(|r| r.count).sum();
                            self.bytes += values * width + rest.len() * size_of::<Run>();
                            self.chunks.push(Chunk::Runs(data.clone(), rest));
                        }
                    }
                }
            }
        }
        let total: usize = counts.iter().sum();
        if u32::try_from(total).is_err() {
            ch_bail!(
                TOO_LARGE_ARRAY_SIZE,
                "Too large array size in groupArray: {total} values"
            );
        }
        Ok((chunks, counts))
    }

    /// The emitted rows as one array ordered by group (then arrival): one gather of
    /// `interleave` instead of concatenating the chunks and taking from the copy.
    fn gather(&self, chunks: &Chunks, counts: &[usize]) -> Result<ArrayRef> {
        let n = counts.len();
        let mut next = starts(counts, 1);
        let total: usize = counts.iter().sum();
        let mut order = vec![(0usize, 0usize); total];
        let rows: Vec<(ArrayRef, Vec<u32>)> = chunks
            .iter()
            .map(|c| c.rows(&self.item_type, self.native.unwrap_or(0)))
            .collect::<Result<_>>()?;
        for (c, (_, groups)) in rows.iter().enumerate() {
            for (row, &g) in groups.iter().enumerate() {
                let g = g as usize;
                if g < n {
                    order[next[g]] = (c, row);
                    next[g] += 1;
                }
            }
        }
        if rows.is_empty() {
            return Ok(new_empty_array(&self.item_type));
        }
        let refs: Vec<&dyn Array> = rows.iter().map(|(a, _)| a.as_ref()).collect();
        Ok(compute::interleave(&refs, &order)?)
    }
}

/// Kept values of one input batch.
#[derive(Debug)]
enum Chunk {
    /// A batch's values and each value's group.
    Rows(ArrayRef, Vec<u32>),
    /// Merged states of native values: each run is one group's values, contiguous in the
    /// buffer.
    Runs(Buffer, Vec<Run>),
}

/// `count` values of group `group` at byte `start` of a [`Chunk::Runs`] buffer.
#[derive(Debug, Clone, Copy)]
struct Run {
    group: u32,
    start: usize,
    count: usize,
}

impl Chunk {
    /// The values as an array of `item_type` (values `width` bytes wide in runs) and each
    /// value's group.
    fn rows(&self, item_type: &DataType, width: usize) -> Result<(ArrayRef, Vec<u32>)> {
        match self {
            Chunk::Rows(values, groups) => Ok((Arc::clone(values), groups.clone())),
            Chunk::Runs(data, runs) => {
                let total: usize = runs.iter().map(|r| r.count).sum();
                let mut raw = MutableBuffer::new(total * width);
                let mut groups = Vec::with_capacity(total);
                for r in runs {
                    raw.extend_from_slice(run_bytes(data, r, width)?);
                    groups.extend(std::iter::repeat_n(r.group, r.count));
                }
                let array = make_array(
                    ArrayData::builder(item_type.clone())
                        .len(total)
                        .add_buffer(raw.into())
                        .build()?,
                );
                Ok((array, groups))
            }
        }
    }
}

/// The bytes of run `r` (values `width` bytes wide) in `data`.
fn run_bytes<'a>(data: &'a Buffer, r: &Run, width: usize) -> Result<&'a [u8]> {
    match data.as_slice().get(r.start..r.start + r.count * width) {
        Some(b) => Ok(b),
        None => ch_bail!(LOGICAL_ERROR, "groupArray: a run past its states (a bug)"),
    }
}

/// Kept values of every input batch.
type Chunks = Vec<Chunk>;

/// Start of each group's run when group `g` takes `counts[g] * width` units.
fn starts(counts: &[usize], width: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(counts.len());
    let mut at = 0usize;
    for c in counts {
        out.push(at);
        at += c * width;
    }
    out
}

/// The native width of the kept values when every chunk is an array of the item's Arrow
/// type with that width per value.
fn native_layout(native: Option<usize>, item: &DataType, chunks: &Chunks) -> Option<usize> {
    let w = native?;
    chunks
        .iter()
        .all(|c| match c {
            Chunk::Rows(a, _) => a.data_type() == item && item.primitive_width() == Some(w),
            Chunk::Runs(..) => true,
        })
        .then_some(w)
}

/// Copies each emitted row's `W` value bytes to `out[cursor[g]..]` (advancing the cursor
/// of its group `g < cursor.len()`): every kept value is copied once, straight to its place.
fn scatter<const W: usize>(chunks: &Chunks, cursor: &mut [usize], out: &mut [u8]) -> Result<()> {
    let n = cursor.len();
    for chunk in chunks {
        let (values, groups) = match chunk {
            Chunk::Rows(values, groups) => (values, groups),
            Chunk::Runs(data, runs) => {
                for r in runs.iter().filter(|r| (r.group as usize) < n) {
                    let g = r.group as usize;
                    let src = run_bytes(data, r, W)?;
                    let at = cursor[g];
                    let Some(dst) = out.get_mut(at..at + src.len()) else {
                        ch_bail!(LOGICAL_ERROR, "groupArray: a run past its group (a bug)");
                    };
                    dst.copy_from_slice(src);
                    cursor[g] = at + src.len();
                }
                continue;
            }
        };
        let data = values.to_data();
        let Some(buf) = data.buffers().first() else {
            ch_bail!(
                LOGICAL_ERROR,
                "groupArray: a value column without data (a bug)"
            );
        };
        let from = data.offset() * W;
        let Some(src) = buf.as_slice().get(from..from + data.len() * W) else {
            ch_bail!(LOGICAL_ERROR, "groupArray: a short value column (a bug)");
        };
        // Whole `[u8; W]` values, so that each copy is one load and one store.
        let (values, _) = src.as_chunks::<W>();
        for (v, &g) in values.iter().zip(groups) {
            let g = g as usize;
            if g < n {
                let at = cursor[g];
                if let Some(dst) = out
                    .get_mut(at..at + W)
                    .and_then(|d| <&mut [u8; W]>::try_from(d).ok())
                {
                    *dst = *v;
                }
                cursor[g] = at + W;
            }
        }
    }
    Ok(())
}

/// [`scatter`] for a run-time width.
fn scatter_width(w: usize, chunks: &Chunks, cursor: &mut [usize], out: &mut [u8]) -> Result<()> {
    match w {
        1 => scatter::<1>(chunks, cursor, out),
        2 => scatter::<2>(chunks, cursor, out),
        4 => scatter::<4>(chunks, cursor, out),
        8 => scatter::<8>(chunks, cursor, out),
        _ => ch_bail!(LOGICAL_ERROR, "groupArray: value width {w} (a bug)"),
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
        let (chunks, counts) = self.split(emit_to)?;
        let total: usize = counts.iter().sum();
        if i32::try_from(total).is_err() {
            ch_bail!(
                TOO_LARGE_ARRAY_SIZE,
                "Too large array size in groupArray: {total} values"
            );
        }
        let values = match native_layout(self.native, &self.item_type, &chunks) {
            Some(w) => {
                let mut out = vec![0u8; total * w];
                scatter_width(w, &chunks, &mut starts(&counts, w), &mut out)?;
                make_array(
                    ArrayData::builder(self.item_type.clone())
                        .len(total)
                        .add_buffer(Buffer::from_vec(out))
                        .build()?,
                )
            }
            None => self.gather(&chunks, &counts)?,
        };
        let values = if values.data_type() == self.field.data_type() {
            values
        } else {
            compute::cast(&values, self.field.data_type())?
        };
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
        let (chunks, counts) = self.split(emit_to)?;
        if let Some(w) = native_layout(self.native, &self.item_type, &chunks) {
            // Each group's state is its count's VarUInt, then its values' bytes: the
            // headers are written first, then every value is copied once to its place.
            let mut heads = Vec::with_capacity(counts.len() * 2);
            let mut offsets = Vec::with_capacity(counts.len() + 1);
            let mut cursor = Vec::with_capacity(counts.len());
            let mut at = 0usize;
            offsets.push(0i32);
            for &c in &counts {
                let h = heads.len();
                write_var_uint(&mut heads, c as u64);
                cursor.push(at + heads.len() - h);
                at += heads.len() - h + c * w;
                let Ok(end) = i32::try_from(at) else {
                    ch_bail!(
                        TOO_LARGE_ARRAY_SIZE,
                        "Too large groupArray state: {at} bytes"
                    );
                };
                offsets.push(end);
            }
            let mut out = vec![0u8; at];
            let mut h = 0usize;
            for (g, &c) in cursor.iter().enumerate() {
                let from = offsets[g] as usize;
                out[from..c].copy_from_slice(&heads[h..h + c - from]);
                h += c - from;
            }
            scatter_width(w, &chunks, &mut cursor, &mut out)?;
            let states = BinaryArray::try_new(
                OffsetBuffer::new(offsets.into()),
                Buffer::from_vec(out),
                None,
            )?;
            return Ok(vec![Arc::new(states)]);
        }
        let values = self.gather(&chunks, &counts)?;
        let mut out = BinaryBuilder::with_capacity(counts.len(), values.get_array_memory_size());
        let mut buf = Vec::new();
        let mut start = 0usize;
        for n in counts {
            buf.clear();
            write_var_uint(&mut buf, n as u64);
            for i in start..start + n {
                write_value(
                    &mut buf,
                    &self.item,
                    &ScalarValue::try_from_array(&values, i)?,
                )?;
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
        if let Some(w) = self.native {
            // Each state's values stay where they are: only their place is noted.
            let data = bin.values().clone();
            let base = data.as_ptr().addr();
            let mut runs = Vec::with_capacity(bin.len());
            for (row, g) in group_indices.iter().enumerate() {
                if !bin.is_valid(row) {
                    continue;
                }
                let mut r = Reader::new(bin.value(row));
                let count = r.count(w)?;
                let bytes = r.bytes(count * w)?;
                if count > 0 {
                    runs.push(Run {
                        group: *g as u32,
                        start: bytes.as_ptr().addr() - base,
                        count,
                    });
                }
            }
            self.push_runs(data, runs, w);
            return Ok(());
        }
        let mut groups = Vec::new();
        let mut scalars = Vec::new();
        for (row, g) in group_indices.iter().enumerate() {
            if !bin.is_valid(row) {
                continue;
            }
            let mut r = Reader::new(bin.value(row));
            let n = r.count(0)?;
            for _ in 0..n {
                scalars.push(read_value(&mut r, &self.item)?);
            }
            groups.extend(std::iter::repeat_n(*g as u32, n));
        }
        self.push(scalars_to_array(&self.item, scalars)?, groups);
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
