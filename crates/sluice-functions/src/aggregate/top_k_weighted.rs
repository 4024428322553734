//! `topKWeighted([N])(x, weight)`: `topK` where each row counts `weight` times — the `N`
//! values of largest total weight, by the same Space-Saving counters (exact while at most
//! `3·N` distinct values were seen; ties in the order the counters hold them, which may
//! differ from ClickHouse's).
//!
//! The weight must be an integer (a negative one counts as its `UInt64` bit pattern, as in
//! ClickHouse); otherwise `ILLEGAL_TYPE_OF_ARGUMENT` (43). Other than two arguments:
//! `NUMBER_OF_ARGUMENTS_DOESNT_MATCH` (42). State: `topK`'s.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::Reader;
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
use super::group_array::{TopKState, top_k_size};
use crate::{ch_bail, impl_as_any};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    vec![BaseDef {
        name: "topKWeighted",
        aliases: &[],
        case_insensitive: false,
        nulls: NullMode::SkipKeepType,
        build: build_top_k_weighted,
    }]
}

fn build_top_k_weighted(b: &BuildArgs) -> Result<AggFuncRef> {
    if b.args.len() != 2 {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Aggregate function {} requires two arguments",
            b.name
        );
    }
    let integer = matches!(
        b.args[1],
        ChType::UInt8
            | ChType::UInt16
            | ChType::UInt32
            | ChType::UInt64
            | ChType::Int8
            | ChType::Int16
            | ChType::Int32
            | ChType::Int64
            | ChType::Bool
    );
    if !integer {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "The second argument for aggregate function '{}' must have integer type",
            b.name
        );
    }
    let k = top_k_size(b)?;
    let t = b.args[0].clone();
    let ret = ChType::Array(Box::new(t.clone()));
    Ok(AggFunc::new(
        b.full_name(),
        b.args.to_vec(),
        ret,
        move || Box::new(WeightedTopK(TopKState::new(t.clone(), k))),
    ))
}

#[derive(Debug)]
struct WeightedTopK(TopKState);

impl AggState for WeightedTopK {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let [values, weights] = args else {
            return Ok(());
        };
        // Signed and unsigned weights alike: the 64-bit pattern of the value.
        let weights = if weights.data_type() == &DataType::UInt64 {
            compute::cast(weights, &DataType::UInt64)?
        } else {
            compute::cast(weights, &DataType::Int64)?
        };
        for i in 0..values.len() {
            if values.is_null(i) || weights.is_null(i) {
                continue;
            }
            let w = match weights.data_type() {
                DataType::Int64 => weights.as_primitive::<Int64Type>().value(i) as u64,
                _ => weights
                    .as_primitive::<datafusion::arrow::datatypes::UInt64Type>()
                    .value(i),
            };
            let v = ScalarValue::try_from_array(values, i)?;
            let key = self.0.key_of(&v)?;
            self.0.insert(key, v, w, 0);
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<WeightedTopK>(other)?;
        self.0.merge(&o.0)
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        self.0.serialize(out)
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.0.deserialize(r)
    }
    fn finalize(&self) -> Result<ScalarValue> {
        self.0.finalize()
    }
    fn size(&self) -> usize {
        self.0.size()
    }
}
