//! `finalizeAggregation(state)`: the scalar function turning each `AggregateFunction(...)`
//! state value into the aggregate's result (`finalizeAggregation(sumState(x))` = `sum(x)`).
//! It is a scalar function: the engine registers [`finalize_aggregation`] with the scalar
//! UDFs.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::combinators::state_function;
use super::udaf::conform;
use super::value::scalars_to_array;
use crate::ch_bail;
use crate::util::{arg_type, ch_field};

/// The `finalizeAggregation` scalar function.
pub fn finalize_aggregation() -> ScalarUDF {
    ScalarUDF::new_from_impl(FinalizeAggregation {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct FinalizeAggregation {
    signature: Signature,
}

impl ScalarUDFImpl for FinalizeAggregation {
    fn name(&self) -> &str {
        "finalizeAggregation"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        ch_bail!(
            LOGICAL_ERROR,
            "finalizeAggregation: return_field_from_args is used"
        )
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let Some(f) = args.arg_fields.first() else {
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "Number of arguments for function finalizeAggregation doesn't match: passed 0, should be 1"
            );
        };
        let t = arg_type(f);
        let func = state_function(&t)?;
        Ok(ch_field(self.name(), &func.ret))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let t = arg_type(&args.arg_fields[0]);
        let func = state_function(&t)?;
        let out_type = func.ret.to_arrow();
        let arr = args.args[0].to_array(args.number_rows)?;
        let arr = if arr.data_type() == &DataType::Binary {
            arr
        } else {
            compute::cast(&arr, &DataType::Binary)?
        };
        let bin = arr.as_binary::<i32>();
        let mut vals = Vec::with_capacity(bin.len());
        for i in 0..bin.len() {
            let v = if bin.is_null(i) {
                ScalarValue::try_from(&out_type)?
            } else {
                conform(func.read_state(bin.value(i))?.finalize()?, &out_type)?
            };
            vals.push(v);
        }
        Ok(ColumnarValue::Array(Arc::clone(&scalars_to_array(
            &func.ret, vals,
        )?)))
    }
}
