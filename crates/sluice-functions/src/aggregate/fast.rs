//! Vectorized [`GroupsAccumulator`]s for the hot aggregates under `GROUP BY`: `count`, and
//! `sum`, `avg`, `min`, `max` over (possibly Nullable) native numbers (`min`/`max` also
//! over `Date` and `DateTime`); `groupArray` and `uniqExact` in their own files. They keep one slot
//! per group in flat vectors instead of one boxed state per group, and exchange exactly
//! the ClickHouse-format state bytes the generic accumulator uses, so partial and final
//! stages and `-State`/`-Merge` stay interchangeable.

use std::sync::Arc;

mod group_array;
mod uniq_exact;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, BooleanArray, Float64Array, Int64Array, UInt64Array,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, UInt64Type};
use datafusion::error::Result;
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use sluice_common::ChType;

use super::binary::{Reader, write_var_uint};
use super::func::AggFuncRef;
use crate::ch_bail;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// Number domain of the accumulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Num {
    U,
    I,
    F,
}

fn num_of(t: &ChType) -> Option<(Num, usize)> {
    Some(match t {
        ChType::UInt8 => (Num::U, 1),
        ChType::UInt16 => (Num::U, 2),
        ChType::UInt32 => (Num::U, 4),
        ChType::UInt64 => (Num::U, 8),
        ChType::Int8 => (Num::I, 1),
        ChType::Int16 => (Num::I, 2),
        ChType::Int32 => (Num::I, 4),
        ChType::Int64 => (Num::I, 8),
        ChType::Float32 => (Num::F, 4),
        ChType::Float64 => (Num::F, 8),
        _ => return None,
    })
}

/// `num_of` for `min`/`max`, which also take dates and times (their state is the
/// unsigned day or second count: `Date` 2 bytes, `DateTime` 4).
fn extreme_num_of(t: &ChType) -> Option<(Num, usize)> {
    match t {
        ChType::Date => Some((Num::U, 2)),
        ChType::DateTime(_) => Some((Num::U, 4)),
        t => num_of(t),
    }
}

fn op_of(udaf_name: &str, f: &AggFuncRef) -> Option<Op> {
    if udaf_name != f.name {
        return None;
    }
    Some(match f.name.as_str() {
        "count" => Op::Count,
        "sum" => Op::Sum,
        "avg" => Op::Avg,
        "min" => Op::Min,
        "max" => Op::Max,
        _ => return None,
    })
}

/// True when `f` (called as `udaf_name`) has a vectorized implementation.
pub fn supports(udaf_name: &str, f: &AggFuncRef) -> bool {
    if udaf_name == f.name {
        match f.name.as_str() {
            "groupArray" => return group_array::supported(&f.args),
            "uniqExact" => return uniq_exact::supported(&f.args),
            _ => {}
        }
    }
    match op_of(udaf_name, f) {
        Some(Op::Count) => !f.args.is_empty(),
        Some(Op::Min | Op::Max) => {
            f.args.len() == 1 && extreme_num_of(&f.args[0].non_nullable()).is_some()
        }
        Some(_) => f.args.len() == 1 && num_of(&f.args[0].non_nullable()).is_some(),
        None => false,
    }
}

/// The vectorized accumulator for `f` (check [`supports`] first).
pub fn groups_accumulator(udaf_name: &str, f: AggFuncRef) -> Result<Box<dyn GroupsAccumulator>> {
    if udaf_name == f.name {
        match (f.name.as_str(), f.args.as_slice()) {
            ("groupArray", [item]) if group_array::supported(&f.args) => {
                return Ok(Box::new(group_array::GroupArrayGroups::new(
                    item.clone(),
                    f.ret.to_arrow(),
                )));
            }
            ("uniqExact", _) if uniq_exact::supported(&f.args) => {
                return Ok(Box::new(uniq_exact::UniqExactGroups::new(f.args.clone())));
            }
            _ => {}
        }
    }
    let Some(op) = op_of(udaf_name, &f) else {
        ch_bail!(
            LOGICAL_ERROR,
            "No vectorized accumulator for {} (a bug)",
            f.name
        );
    };
    let arg = f.args.first().cloned().unwrap_or(ChType::UInt8);
    let (num, width) = match op {
        Op::Count => (Num::U, 8),
        Op::Sum | Op::Avg => match num_of(&arg.non_nullable()) {
            Some((Num::F, _)) => (Num::F, 8),
            Some((n, _)) => (n, 8),
            None => ch_bail!(
                LOGICAL_ERROR,
                "No vectorized accumulator for {} (a bug)",
                f.name
            ),
        },
        _ => match extreme_num_of(&arg.non_nullable()) {
            Some(nw) => nw,
            None => ch_bail!(
                LOGICAL_ERROR,
                "No vectorized accumulator for {} (a bug)",
                f.name
            ),
        },
    };
    Ok(Box::new(FastGroups {
        op,
        num,
        width,
        nullable: op != Op::Count && arg.is_nullable(),
        arg_type: arg.non_nullable().to_arrow(),
        out_type: f.ret.to_arrow(),
        u: Vec::new(),
        i: Vec::new(),
        f: Vec::new(),
        counts: Vec::new(),
    }))
}

/// Rows to take: the filter passes and every argument is non-NULL (`None`: all rows).
fn selected(values: &[ArrayRef], filter: Option<&BooleanArray>) -> Option<NullBuffer> {
    let mut nulls: Option<NullBuffer> = None;
    for v in values {
        nulls = NullBuffer::union(nulls.as_ref(), v.logical_nulls().as_ref());
    }
    if let Some(f) = filter {
        let f = if f.null_count() > 0 {
            compute::prep_null_mask_filter(f)
        } else {
            f.clone()
        };
        nulls = NullBuffer::union(nulls.as_ref(), Some(&NullBuffer::new(f.values().clone())));
    }
    nulls
}

/// The integer type a date or time column's values are (Arrow casts dates and times only
/// to and from it, not to other numbers).
fn integer_twin(t: &DataType) -> Option<DataType> {
    match t {
        DataType::Date32 => Some(DataType::Int32),
        DataType::Timestamp(..) => Some(DataType::Int64),
        _ => None,
    }
}

/// Dates and times as their integer values; other columns unchanged.
fn as_integers(a: &ArrayRef) -> Result<ArrayRef> {
    match integer_twin(a.data_type()) {
        Some(int) => Ok(compute::cast(a, &int)?),
        None => Ok(Arc::clone(a)),
    }
}

/// `convert_to_state` through an empty accumulator `fresh`: every row its own group.
fn state_per_row(
    mut fresh: impl GroupsAccumulator,
    values: &[ArrayRef],
    opt_filter: Option<&BooleanArray>,
) -> Result<Vec<ArrayRef>> {
    let n = values.first().map_or(0, |a| a.len());
    let groups: Vec<usize> = (0..n).collect();
    fresh.update_batch(values, &groups, opt_filter, n)?;
    fresh.state(EmitTo::All)
}

/// Folds row `i`'s value into its group's slot (and counts it) for every selected row.
fn fold_rows<T: Copy>(
    slots: &mut [T],
    counts: &mut [u64],
    values: &[T],
    groups: &[usize],
    sel: Option<&NullBuffer>,
    f: impl Fn(&mut T, T),
) {
    match sel {
        None => {
            for (g, x) in groups.iter().zip(values) {
                f(&mut slots[*g], *x);
                counts[*g] += 1;
            }
        }
        Some(n) => {
            for (i, (g, x)) in groups.iter().zip(values).enumerate() {
                if n.is_valid(i) {
                    f(&mut slots[*g], *x);
                    counts[*g] += 1;
                }
            }
        }
    }
}

#[derive(Debug)]
struct FastGroups {
    op: Op,
    num: Num,
    /// Byte width of the argument (min/max state values).
    width: usize,
    /// The argument is Nullable: ClickHouse's Null wrapper (flag byte, NULL result).
    nullable: bool,
    arg_type: DataType,
    out_type: DataType,
    u: Vec<u64>,
    i: Vec<i64>,
    f: Vec<f64>,
    /// Rows (count, avg denominator) or "has a value" counter (sum/min/max).
    counts: Vec<u64>,
}

impl FastGroups {
    fn resize(&mut self, n: usize) {
        let (u0, i0, f0) = match self.op {
            Op::Min => (u64::MAX, i64::MAX, f64::INFINITY),
            Op::Max => (u64::MIN, i64::MIN, f64::NEG_INFINITY),
            _ => (0, 0, 0.0),
        };
        self.counts.resize(n, 0);
        if self.op == Op::Count {
            return;
        }
        match self.num {
            Num::U => self.u.resize(n, u0),
            Num::I => self.i.resize(n, i0),
            Num::F => self.f.resize(n, f0),
        }
    }

    fn acc_type(&self) -> DataType {
        match self.num {
            Num::U => DataType::UInt64,
            Num::I => DataType::Int64,
            Num::F => DataType::Float64,
        }
    }

    fn add_u(&mut self, g: usize, v: u64, n: u64) {
        let s = &mut self.u[g];
        match self.op {
            Op::Sum | Op::Avg => *s = s.wrapping_add(v),
            Op::Min => *s = (*s).min(v),
            Op::Max => *s = (*s).max(v),
            Op::Count => {}
        }
        self.counts[g] += n;
    }

    fn add_i(&mut self, g: usize, v: i64, n: u64) {
        let s = &mut self.i[g];
        match self.op {
            Op::Sum | Op::Avg => *s = s.wrapping_add(v),
            Op::Min => *s = (*s).min(v),
            Op::Max => *s = (*s).max(v),
            Op::Count => {}
        }
        self.counts[g] += n;
    }

    fn add_f(&mut self, g: usize, v: f64, n: u64) {
        let s = &mut self.f[g];
        match self.op {
            Op::Sum | Op::Avg => *s += v,
            Op::Min => {
                if v < *s {
                    *s = v
                }
            }
            Op::Max => {
                if v > *s {
                    *s = v
                }
            }
            Op::Count => {}
        }
        self.counts[g] += n;
    }

    fn write_state(&self, g: usize, out: &mut Vec<u8>) {
        let has = self.counts[g] > 0;
        if self.op == Op::Count {
            write_var_uint(out, self.counts[g]);
            return;
        }
        if self.nullable {
            out.push(u8::from(has));
            if !has {
                return;
            }
        }
        match self.op {
            Op::Sum | Op::Avg => {
                match self.num {
                    Num::U => out.extend_from_slice(&self.u[g].to_le_bytes()),
                    Num::I => out.extend_from_slice(&self.i[g].to_le_bytes()),
                    Num::F => out.extend_from_slice(&self.f[g].to_le_bytes()),
                }
                if self.op == Op::Avg {
                    write_var_uint(out, self.counts[g]);
                }
            }
            Op::Min | Op::Max => {
                out.push(u8::from(has));
                if has {
                    let bytes = match (self.num, self.width) {
                        (Num::F, 4) => (self.f[g] as f32).to_le_bytes().to_vec(),
                        (Num::F, _) => self.f[g].to_le_bytes().to_vec(),
                        (Num::U, w) => self.u[g].to_le_bytes()[..w].to_vec(),
                        (Num::I, w) => self.i[g].to_le_bytes()[..w].to_vec(),
                    };
                    out.extend_from_slice(&bytes);
                }
            }
            Op::Count => {}
        }
    }

    fn merge_state(&mut self, g: usize, bytes: &[u8]) -> Result<()> {
        let mut r = Reader::new(bytes);
        if self.op == Op::Count {
            self.counts[g] += r.var_uint()?;
            return Ok(());
        }
        if self.nullable && r.u8()? == 0 {
            return Ok(());
        }
        match self.op {
            Op::Sum | Op::Avg => {
                let raw = r.u64()?;
                let n = if self.op == Op::Avg { r.var_uint()? } else { 1 };
                match self.num {
                    Num::U => self.add_u(g, raw, n),
                    Num::I => self.add_i(g, raw as i64, n),
                    Num::F => self.add_f(g, f64::from_bits(raw), n),
                }
            }
            Op::Min | Op::Max => {
                if r.u8()? == 0 {
                    return Ok(());
                }
                let b = r.bytes(self.width)?;
                let mut full = [0u8; 8];
                full[..self.width].copy_from_slice(b);
                match (self.num, self.width) {
                    (Num::F, 4) => self.add_f(
                        g,
                        f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                        1,
                    ),
                    (Num::F, _) => self.add_f(g, f64::from_le_bytes(full), 1),
                    (Num::U, _) => self.add_u(g, u64::from_le_bytes(full), 1),
                    (Num::I, w) => {
                        // Sign-extend from the argument's width.
                        let shift = 64 - 8 * w as u32;
                        self.add_i(g, (i64::from_le_bytes(full) << shift) >> shift, 1)
                    }
                }
            }
            Op::Count => {}
        }
        Ok(())
    }
}

impl GroupsAccumulator for FastGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let sel = selected(values, opt_filter);
        let sel = sel.as_ref();
        if self.op == Op::Count {
            match sel {
                None => group_indices.iter().for_each(|g| self.counts[*g] += 1),
                Some(n) => {
                    for (i, g) in group_indices.iter().enumerate() {
                        if n.is_valid(i) {
                            self.counts[*g] += 1;
                        }
                    }
                }
            }
            return Ok(());
        }
        let Some(a) = values.first() else {
            return Ok(());
        };
        let a = compute::cast(&as_integers(a)?, &self.acc_type())?;
        let counts = &mut self.counts;
        // One monomorphic loop per (domain, operation): no per-row dispatch.
        match self.num {
            Num::U => {
                let v = a.as_primitive::<UInt64Type>().values();
                let slots = &mut self.u;
                match self.op {
                    Op::Min => fold_rows(slots, counts, v, group_indices, sel, |s, x| {
                        *s = (*s).min(x)
                    }),
                    Op::Max => fold_rows(slots, counts, v, group_indices, sel, |s, x| {
                        *s = (*s).max(x)
                    }),
                    _ => fold_rows(slots, counts, v, group_indices, sel, |s, x| {
                        *s = s.wrapping_add(x)
                    }),
                }
            }
            Num::I => {
                let v = a.as_primitive::<Int64Type>().values();
                let slots = &mut self.i;
                match self.op {
                    Op::Min => fold_rows(slots, counts, v, group_indices, sel, |s, x| {
                        *s = (*s).min(x)
                    }),
                    Op::Max => fold_rows(slots, counts, v, group_indices, sel, |s, x| {
                        *s = (*s).max(x)
                    }),
                    _ => fold_rows(slots, counts, v, group_indices, sel, |s, x| {
                        *s = s.wrapping_add(x)
                    }),
                }
            }
            Num::F => {
                let v = a.as_primitive::<Float64Type>().values();
                let slots = &mut self.f;
                match self.op {
                    Op::Min => fold_rows(slots, counts, v, group_indices, sel, |s, x| {
                        if x < *s {
                            *s = x
                        }
                    }),
                    Op::Max => fold_rows(slots, counts, v, group_indices, sel, |s, x| {
                        if x > *s {
                            *s = x
                        }
                    }),
                    _ => fold_rows(slots, counts, v, group_indices, sel, |s, x| *s += x),
                }
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let counts = emit_to.take_needed(&mut self.counts);
        let u = emit_to.take_needed(&mut self.u);
        let i = emit_to.take_needed(&mut self.i);
        let f = emit_to.take_needed(&mut self.f);
        let has: Vec<bool> = counts.iter().map(|c| *c > 0).collect();
        let nulls = self.nullable.then(|| NullBuffer::from(has.clone()));
        let arr: ArrayRef = match self.op {
            Op::Count => Arc::new(UInt64Array::from(counts)),
            Op::Avg => {
                let vals: Vec<f64> = (0..counts.len())
                    .map(|g| {
                        let s = match self.num {
                            Num::U => u[g] as f64,
                            Num::I => i[g] as f64,
                            Num::F => f[g],
                        };
                        s / counts[g] as f64
                    })
                    .collect();
                Arc::new(Float64Array::new(vals.into(), nulls))
            }
            Op::Sum | Op::Min | Op::Max => {
                // Groups without a value hold the type's default (0) unless NULL.
                let raw: ArrayRef = match self.num {
                    Num::U => Arc::new(UInt64Array::new(
                        u.iter()
                            .zip(&has)
                            .map(|(v, h)| if *h { *v } else { 0 })
                            .collect(),
                        nulls,
                    )),
                    Num::I => Arc::new(Int64Array::new(
                        i.iter()
                            .zip(&has)
                            .map(|(v, h)| if *h { *v } else { 0 })
                            .collect(),
                        nulls,
                    )),
                    Num::F => Arc::new(Float64Array::new(
                        f.iter()
                            .zip(&has)
                            .map(|(v, h)| if *h { *v } else { 0.0 })
                            .collect(),
                        nulls,
                    )),
                };
                let target = if self.op == Op::Sum {
                    self.out_type.clone()
                } else {
                    self.arg_type.clone()
                };
                if raw.data_type() == &target {
                    raw
                } else if let Some(int) = integer_twin(&target) {
                    compute::cast(&compute::cast(&raw, &int)?, &target)?
                } else {
                    compute::cast(&raw, &target)?
                }
            }
        };
        Ok(arr)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let n = match emit_to {
            EmitTo::All => self.counts.len(),
            EmitTo::First(n) => n,
        };
        let mut b = BinaryBuilder::with_capacity(n, n * 10);
        let mut buf = Vec::with_capacity(32);
        for g in 0..n {
            buf.clear();
            self.write_state(g, &mut buf);
            b.append_value(&buf);
        }
        emit_to.take_needed(&mut self.counts);
        emit_to.take_needed(&mut self.u);
        emit_to.take_needed(&mut self.i);
        emit_to.take_needed(&mut self.f);
        Ok(vec![Arc::new(b.finish())])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let Some(col) = values.first() else {
            return Ok(());
        };
        let bin = col.as_binary::<i32>();
        for (row, g) in group_indices.iter().enumerate() {
            if bin.is_valid(row) {
                self.merge_state(*g, bin.value(row))?;
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let one_per_row = FastGroups {
            op: self.op,
            num: self.num,
            width: self.width,
            nullable: self.nullable,
            arg_type: self.arg_type.clone(),
            out_type: self.out_type.clone(),
            u: Vec::new(),
            i: Vec::new(),
            f: Vec::new(),
            counts: Vec::new(),
        };
        state_per_row(one_per_row, values, opt_filter)
    }

    fn size(&self) -> usize {
        (self.u.capacity() + self.i.capacity() + self.f.capacity() + self.counts.capacity()) * 8
            + std::mem::size_of::<Self>()
    }
}

#[cfg(test)]
mod tests;
