//! `groupArray([N])(x)`, `groupUniqArray([N])(x)`, `topK([N])(x)`: functions collecting
//! values into an `Array` (NULLs are skipped; the element type stays non-Nullable).
//!
//! States: `groupArray` and `groupUniqArray` write a `VarUInt` count then the values in
//! `RowBinary` (ClickHouse's layout). `topK` uses its own layout: `VarUInt` count, then
//! per counter the value, a `VarUInt` count and a `VarUInt` error.
//!
//! `topK` is ClickHouse's Space-Saving algorithm with `3·N` counters: counts are exact while
//! at most `3·N` distinct values were seen; results are ordered by count (descending),
//! ties by first appearance, as ClickHouse's counter list orders them.

use std::sync::Arc;

use std::collections::{HashMap, HashSet};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::compute;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::{Reader, write_var_uint};
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, Param, same};
use super::value::{list_scalar, read_value, scalars_to_array, write_value};
use crate::{ch_bail, impl_as_any};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    let def = |name, build| BaseDef {
        name,
        aliases: &[],
        case_insensitive: false,
        nulls: NullMode::SkipKeepType,
        build,
    };
    vec![
        def("groupArray", build_group_array),
        def("groupUniqArray", build_group_uniq_array),
        def("topK", build_top_k),
    ]
}

fn size_param(b: &BuildArgs, max: u64) -> Result<Option<usize>> {
    match b.params {
        [] => Ok(None),
        [p] => match p {
            Param::UInt(v) if *v > 0 && *v <= max => Ok(Some(*v as usize)),
            _ => ch_bail!(
                BAD_ARGUMENTS,
                "Parameter for aggregate function {} should be positive number",
                b.name
            ),
        },
        _ => ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Incorrect number of parameters for aggregate function {}, should be 0 or 1",
            b.name
        ),
    }
}

// ---------------------------------------------------------------- groupArray

fn build_group_array(b: &BuildArgs) -> Result<AggFuncRef> {
    b.expect_args(1)?;
    let limit = size_param(b, 0xFF_FFFF)?;
    let t = b.args[0].clone();
    let ret = ChType::Array(Box::new(t.clone()));
    Ok(AggFunc::new(
        b.full_name(),
        b.args.to_vec(),
        ret,
        move || {
            Box::new(GroupArrayState {
                t: t.clone(),
                limit,
                chunks: Vec::new(),
                len: 0,
                bytes: 0,
            })
        },
    ))
}

#[derive(Debug)]
struct GroupArrayState {
    t: ChType,
    limit: Option<usize>,
    chunks: Vec<ArrayRef>,
    len: usize,
    /// Memory of `chunks`, counted once per chunk as it arrives: `size()` is called after
    /// every update of every group, and summing the chunks there was quadratic (22% of a
    /// grouped `groupArray` query's profile).
    bytes: usize,
}

impl GroupArrayState {
    fn push(&mut self, a: ArrayRef) {
        let take = match self.limit {
            Some(l) => a.len().min(l.saturating_sub(self.len)),
            None => a.len(),
        };
        if take > 0 {
            self.len += take;
            let chunk = if take == a.len() { a } else { a.slice(0, take) };
            self.bytes += chunk.get_array_memory_size();
            self.chunks.push(chunk);
        }
    }

    fn values(&self) -> Result<ArrayRef> {
        if self.chunks.len() == 1 {
            return Ok(Arc::clone(&self.chunks[0]));
        }
        if self.chunks.is_empty() {
            return scalars_to_array(&self.t, Vec::new());
        }
        let refs: Vec<&dyn Array> = self.chunks.iter().map(|a| a.as_ref()).collect();
        Ok(compute::concat(&refs)?)
    }
}

impl AggState for GroupArrayState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        if let Some(a) = args.first() {
            self.push(Arc::clone(a));
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        for c in &same::<GroupArrayState>(other)?.chunks {
            self.push(Arc::clone(c));
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_var_uint(out, self.len as u64);
        for c in &self.chunks {
            for i in 0..c.len() {
                write_value(out, &self.t, &ScalarValue::try_from_array(c, i)?)?;
            }
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let n = r.count(0)?;
        let mut vals = Vec::with_capacity(n.min(1 << 16));
        for _ in 0..n {
            vals.push(read_value(r, &self.t)?);
        }
        self.chunks.clear();
        self.len = 0;
        self.bytes = 0;
        let a = scalars_to_array(&self.t, vals)?;
        self.push(a);
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        list_scalar(&self.t, self.values()?)
    }
    fn size(&self) -> usize {
        self.bytes + 64
    }
}

// ---------------------------------------------------------------- groupUniqArray

fn build_group_uniq_array(b: &BuildArgs) -> Result<AggFuncRef> {
    b.expect_args(1)?;
    let limit = size_param(b, 0xFF_FFFF)?;
    let t = b.args[0].clone();
    let ret = ChType::Array(Box::new(t.clone()));
    Ok(AggFunc::new(
        b.full_name(),
        b.args.to_vec(),
        ret,
        move || {
            Box::new(UniqArrayState {
                t: t.clone(),
                limit,
                seen: HashSet::new(),
                values: Vec::new(),
            })
        },
    ))
}

#[derive(Debug)]
struct UniqArrayState {
    t: ChType,
    limit: Option<usize>,
    seen: HashSet<Vec<u8>>,
    values: Vec<ScalarValue>,
}

impl UniqArrayState {
    fn insert(&mut self, v: ScalarValue) -> Result<()> {
        if self.limit.is_some_and(|l| self.values.len() >= l) {
            return Ok(());
        }
        let mut key = Vec::new();
        write_value(&mut key, &self.t, &v)?;
        if self.seen.insert(key) {
            self.values.push(v);
        }
        Ok(())
    }
}

impl AggState for UniqArrayState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some(a) = args.first() else { return Ok(()) };
        for i in 0..a.len() {
            self.insert(ScalarValue::try_from_array(a, i)?)?;
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        for v in &same::<UniqArrayState>(other)?.values {
            self.insert(v.clone())?;
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_var_uint(out, self.values.len() as u64);
        for v in &self.values {
            write_value(out, &self.t, v)?;
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let n = r.count(0)?;
        for _ in 0..n {
            let v = read_value(r, &self.t)?;
            self.insert(v)?;
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        list_scalar(&self.t, scalars_to_array(&self.t, self.values.clone())?)
    }
    fn size(&self) -> usize {
        self.values.len() * 64 + 64
    }
}

// ---------------------------------------------------------------- topK

fn build_top_k(b: &BuildArgs) -> Result<AggFuncRef> {
    b.expect_args(1)?;
    let k = top_k_size(b)?;
    let t = b.args[0].clone();
    let ret = ChType::Array(Box::new(t.clone()));
    Ok(AggFunc::new(
        b.full_name(),
        b.args.to_vec(),
        ret,
        move || Box::new(TopKState::new(t.clone(), k)),
    ))
}

/// `N` of `topK(N)` / `topKWeighted(N)` (10 without parameters).
pub(super) fn top_k_size(b: &BuildArgs) -> Result<usize> {
    Ok(match b.params {
        [] => 10,
        [Param::UInt(v)] if *v > 0 && *v <= 0xFF_FFFF => *v as usize,
        [Param::UInt(v), _] if *v > 0 && *v <= 0xFF_FFFF => *v as usize,
        _ => ch_bail!(
            ARGUMENT_OUT_OF_BOUND,
            "Parameter 0 of aggregate function {} must be a positive number not above 16777215",
            b.name
        ),
    })
}

#[derive(Debug, Clone)]
struct Counter {
    key: Vec<u8>,
    value: ScalarValue,
    count: u64,
    error: u64,
}

/// The Space-Saving counters of `topK` (and `topKWeighted`, which adds weights).
#[derive(Debug)]
pub(super) struct TopKState {
    t: ChType,
    k: usize,
    capacity: usize,
    /// Sorted by count, descending (ties keep arrival order).
    counters: Vec<Counter>,
    index: HashMap<Vec<u8>, usize>,
}

impl TopKState {
    /// No counters yet; `3·k` of them at most.
    pub(super) fn new(t: ChType, k: usize) -> Self {
        Self {
            t,
            k,
            capacity: k * 3,
            counters: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The key `insert` takes for value `v`: its `RowBinary` bytes.
    pub(super) fn key_of(&self, v: &ScalarValue) -> Result<Vec<u8>> {
        let mut key = Vec::new();
        write_value(&mut key, &self.t, v)?;
        Ok(key)
    }

    fn percolate(&mut self, mut i: usize) {
        while i > 0 && self.counters[i].count > self.counters[i - 1].count {
            self.counters.swap(i, i - 1);
            self.index.insert(self.counters[i].key.clone(), i);
            self.index.insert(self.counters[i - 1].key.clone(), i - 1);
            i -= 1;
        }
    }

    /// Adds `count` to the counter of `value` (its key from [`TopKState::key_of`]).
    pub(super) fn insert(&mut self, key: Vec<u8>, value: ScalarValue, count: u64, error: u64) {
        if let Some(&i) = self.index.get(&key) {
            self.counters[i].count += count;
            self.counters[i].error += error;
            self.percolate(i);
            return;
        }
        if self.counters.len() < self.capacity {
            self.index.insert(key.clone(), self.counters.len());
            self.counters.push(Counter {
                key,
                value,
                count,
                error,
            });
            let last = self.counters.len() - 1;
            self.percolate(last);
            return;
        }
        // Replace the smallest counter (the last one).
        let Some(min) = self.counters.last() else {
            return;
        };
        let min_count = min.count;
        let last = self.counters.len() - 1;
        let old_key = std::mem::take(&mut self.counters[last].key);
        self.index.remove(&old_key);
        self.index.insert(key.clone(), last);
        self.counters[last] = Counter {
            key,
            value,
            count: min_count + count,
            error: min_count + error,
        };
        self.percolate(last);
    }
}

impl AggState for TopKState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some(a) = args.first() else { return Ok(()) };
        for i in 0..a.len() {
            let v = ScalarValue::try_from_array(a, i)?;
            let key = self.key_of(&v)?;
            self.insert(key, v, 1, 0);
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        for c in same::<TopKState>(other)?.counters.clone() {
            self.insert(c.key, c.value, c.count, c.error);
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_var_uint(out, self.counters.len() as u64);
        for c in &self.counters {
            write_value(out, &self.t, &c.value)?;
            write_var_uint(out, c.count);
            write_var_uint(out, c.error);
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let n = r.count(2)?;
        for _ in 0..n {
            let v = read_value(r, &self.t)?;
            let count = r.var_uint()?;
            let error = r.var_uint()?;
            let key = self.key_of(&v)?;
            self.insert(key, v, count, error);
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let vals: Vec<ScalarValue> = self
            .counters
            .iter()
            .take(self.k)
            .map(|c| c.value.clone())
            .collect();
        list_scalar(&self.t, scalars_to_array(&self.t, vals)?)
    }
    fn size(&self) -> usize {
        self.counters.len() * 96 + 64
    }
}
