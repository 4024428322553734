//! `entropy(x[, y…])`: the Shannon entropy (base 2) of the values (of the argument tuples
//! when there are several arguments), `-Σ p·log2(p)` over their relative frequencies.
//! No rows give `0`. Result `Float64`.
//!
//! State: the distinct values, each as its Arrow row encoding, with a count. Serialized as
//! a `VarUInt` number of entries, then per entry the key as a `String` and the count as a
//! little-endian `UInt64` — not ClickHouse's layout (a hash table keyed by the value, or by
//! a 128-bit hash for strings and tuples), so such states do not cross between the two.
//! The sum runs over the values in byte order of their encodings; ClickHouse sums in its
//! hash table's order, so with many distinct values the last digits may differ.

use std::collections::HashMap;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::ScalarValue;
use datafusion::error::Result;

use super::binary::{Reader, write_string, write_var_uint};
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
use crate::{ch_bail, impl_as_any};
use sluice_common::ChType;

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    vec![BaseDef {
        name: "entropy",
        aliases: &[],
        case_insensitive: false,
        nulls: NullMode::Skip,
        build: build_entropy,
    }]
}

fn build_entropy(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    if b.args.is_empty() {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Incorrect number of arguments for aggregate function {}",
            b.name
        );
    }
    Ok(AggFunc::new(
        b.name,
        b.args.to_vec(),
        ChType::Float64,
        move || {
            Box::new(EntropyState {
                counts: HashMap::new(),
            })
        },
    ))
}

#[derive(Debug)]
struct EntropyState {
    /// Each distinct value (its Arrow row encoding) and how often it occurred.
    counts: HashMap<Box<[u8]>, u64>,
}

impl AggState for EntropyState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let fields = args
            .iter()
            .map(|a| SortField::new(a.data_type().clone()))
            .collect();
        let conv = RowConverter::new(fields)?;
        let rows = conv.convert_columns(args)?;
        for row in rows.iter() {
            *self.counts.entry(row.as_ref().into()).or_insert(0) += 1;
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<EntropyState>(other)?;
        for (k, n) in &o.counts {
            *self.counts.entry(k.clone()).or_insert(0) += n;
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_var_uint(out, self.counts.len() as u64);
        let mut entries: Vec<_> = self.counts.iter().collect();
        entries.sort();
        for (k, n) in entries {
            write_string(out, k);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let n = r.count(9)?;
        for _ in 0..n {
            let k: Box<[u8]> = r.string()?.into();
            let c = r.u64()?;
            *self.counts.entry(k).or_insert(0) += c;
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let total: u64 = self.counts.values().sum();
        let mut entries: Vec<_> = self.counts.iter().collect();
        entries.sort();
        let mut h = 0.0f64;
        for (_, &n) in entries {
            let p = n as f64 / total as f64;
            h -= p * p.log2();
        }
        Ok(ScalarValue::Float64(Some(h)))
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self
                .counts
                .keys()
                .map(|k| k.len() + 8 + std::mem::size_of::<Box<[u8]>>())
                .sum::<usize>()
    }
}
