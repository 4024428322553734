//! The bridge to DataFusion: one [`ChAggregateUdf`] per called name, which instantiates the
//! ClickHouse function ([`super::factory::build`]) for the call's argument fields and runs
//! it through a generic [`Accumulator`]. DataFusion's intermediate state is a single Binary
//! column holding the ClickHouse-format serialized state, so partial/final aggregation and
//! `-State`/`-Merge` share one encoding.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, GroupsAccumulator, Signature, Volatility,
};
use sluice_common::ChType;

use super::combinators::distinct;
use super::factory::build;
use super::fast;
use super::func::{AggFuncRef, AggState};
use crate::util::{arg_type, ch_field};

/// A ClickHouse aggregate function (or combination) registered in DataFusion under `name`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ChAggregateUdf {
    name: String,
    aliases: Vec<String>,
    signature: Signature,
}

impl ChAggregateUdf {
    /// The function called `name` (which may carry parameters: `quantile(0.9)`), also
    /// reachable as `aliases`.
    pub fn new(name: impl Into<String>, aliases: Vec<String>) -> Self {
        Self {
            name: name.into(),
            aliases,
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }

    fn instantiate(&self, fields: &[FieldRef]) -> Result<AggFuncRef> {
        let types: Vec<ChType> = fields.iter().map(|f| arg_type(f)).collect();
        build(&self.name, &types)
    }
}

impl AggregateUDFImpl for ChAggregateUdf {
    fn name(&self) -> &str {
        &self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let types: Vec<ChType> = arg_types
            .iter()
            .map(|t| ChType::from_arrow(t, false))
            .collect();
        Ok(build(&self.name, &types)?.ret.to_arrow())
    }

    fn return_field(&self, arg_fields: &[FieldRef]) -> Result<FieldRef> {
        let f = self.instantiate(arg_fields)?;
        Ok(ch_field(&self.name, &f.ret))
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let mut f = self.instantiate(acc_args.expr_fields)?;
        if acc_args.is_distinct {
            f = distinct(Arc::clone(&f), f.name.clone());
        }
        Ok(Box::new(ChAccumulator::new(f)))
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let mut f = self.instantiate(args.expr_fields)?;
        if args.is_distinct {
            f = distinct(Arc::clone(&f), f.name.clone());
        }
        Ok(Box::new(super::sliding::SlidingAccumulator::new(f)))
    }

    /// The value of an empty window frame (`ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING` at a
    /// partition's end): the function's empty state over an argument of the result's type
    /// (`count` 0, `sum` 0, `avg` nan, `groupArray` []), else the type's default. Only the
    /// Arrow type is known here, so a `Nullable` result gets the default, not `NULL`.
    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        let arg = ChType::from_arrow(data_type, false);
        let empty = build(&self.name, std::slice::from_ref(&arg))
            .and_then(|f| f.new_state().finalize())
            .and_then(|v| conform(v, data_type));
        match empty {
            Ok(v) if v.data_type() == *data_type => Ok(v),
            _ => ScalarValue::new_default(data_type).or_else(|_| ScalarValue::try_from(data_type)),
        }
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "state"),
            DataType::Binary,
            true,
        ))])
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        !args.is_distinct
            && self
                .instantiate(args.expr_fields)
                .is_ok_and(|f| fast::supports(&self.name, &f))
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        let f = self.instantiate(args.expr_fields)?;
        fast::groups_accumulator(&self.name, f)
    }
}

/// Casts dictionary (LowCardinality) arguments to their value type.
pub fn normalize_args(values: &[ArrayRef]) -> Result<Vec<ArrayRef>> {
    values
        .iter()
        .map(|a| match a.data_type() {
            DataType::Dictionary(_, v) => Ok(compute::cast(a, v)?),
            _ => Ok(Arc::clone(a)),
        })
        .collect()
}

/// Makes a final value carry exactly the Arrow type of the declared result.
pub fn conform(v: ScalarValue, dt: &DataType) -> Result<ScalarValue> {
    if v.data_type() == *dt {
        return Ok(v);
    }
    if v.is_null() {
        return ScalarValue::try_from(dt);
    }
    v.cast_to(dt)
}

/// Runs one group's [`AggState`] for DataFusion.
#[derive(Debug)]
pub struct ChAccumulator {
    func: AggFuncRef,
    state: Box<dyn AggState>,
    out_type: DataType,
}

impl ChAccumulator {
    /// An accumulator with an empty state of `func`.
    pub fn new(func: AggFuncRef) -> Self {
        let state = func.new_state();
        let out_type = func.ret.to_arrow();
        Self {
            func,
            state,
            out_type,
        }
    }
}

impl Accumulator for ChAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if values.first().is_some_and(|a| a.is_empty()) {
            return Ok(());
        }
        self.state.add(&normalize_args(values)?)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        super::column_stats::forget_column_stats();
        conform(self.state.finalize()?, &self.out_type)
    }

    fn size(&self) -> usize {
        self.state.size() + std::mem::size_of::<Self>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        super::column_stats::forget_column_stats();
        let mut out = Vec::new();
        self.state.serialize(&mut out)?;
        Ok(vec![ScalarValue::Binary(Some(out))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(col) = states.first() else {
            return Ok(());
        };
        let bin = col.as_binary::<i32>();
        for i in 0..bin.len() {
            if bin.is_valid(i) {
                let other = self.func.read_state(bin.value(i))?;
                self.state.merge(&*other)?;
            }
        }
        Ok(())
    }
}
