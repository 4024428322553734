//! `retention(cond1, cond2, …)`: `Array(UInt8)` whose first element says whether `cond1`
//! held in some row, and element `i` whether both `cond1` and `cond(i+1)` held (each in
//! some row) — ClickHouse's retention funnel. 2 to 32 conditions of type `UInt8` (or
//! `Bool`); fewer: `NUMBER_OF_ARGUMENTS_DOESNT_MATCH` (42), another type:
//! `ILLEGAL_TYPE_OF_ARGUMENT` (43). Rows with a NULL condition are skipped.
//!
//! State (ClickHouse's layout): the set of conditions seen as a little-endian `UInt32`.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, UInt8Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::Reader;
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
use super::value::{list_scalar, scalars_to_array};
use crate::{ch_bail, impl_as_any};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    vec![BaseDef {
        name: "retention",
        aliases: &[],
        case_insensitive: false,
        nulls: NullMode::SkipKeepType,
        build: build_retention,
    }]
}

fn build_retention(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    if b.args.len() < 2 {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Not enough event arguments for aggregate function {}",
            b.name
        );
    }
    if b.args.len() > 32 {
        ch_bail!(
            TOO_MANY_ARGUMENTS_FOR_FUNCTION,
            "Too many event arguments for aggregate function {}",
            b.name
        );
    }
    for (i, t) in b.args.iter().enumerate() {
        if !matches!(t, ChType::UInt8 | ChType::Bool) {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {t} of argument {i} of aggregate function {}, must be UInt8",
                b.name
            );
        }
    }
    let n = b.args.len();
    Ok(AggFunc::new(
        b.name,
        b.args.to_vec(),
        ChType::Array(Box::new(ChType::UInt8)),
        move || Box::new(RetentionState { n, seen: 0 }),
    ))
}

#[derive(Debug)]
struct RetentionState {
    n: usize,
    /// Bit `i`: condition `i` held in some row.
    seen: u32,
}

impl AggState for RetentionState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        for (i, a) in args.iter().enumerate().take(32) {
            if self.seen & (1 << i) != 0 {
                continue;
            }
            let held = match a.data_type() {
                DataType::Boolean => a.as_boolean().true_count() > 0,
                _ => {
                    let v = compute::cast(a, &DataType::UInt8)?;
                    v.as_primitive::<UInt8Type>()
                        .iter()
                        .any(|x| x.is_some_and(|x| x != 0))
                }
            };
            if held && !a.is_empty() {
                self.seen |= 1 << i;
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        self.seen |= same::<RetentionState>(other)?.seen;
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(&self.seen.to_le_bytes());
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.seen = r.u32()?;
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let first = self.seen & 1 != 0;
        let values: Vec<ScalarValue> = (0..self.n)
            .map(|i| {
                let held = first && (i == 0 || self.seen & (1 << i) != 0);
                ScalarValue::UInt8(Some(u8::from(held)))
            })
            .collect();
        list_scalar(&ChType::UInt8, scalars_to_array(&ChType::UInt8, values)?)
    }
}
