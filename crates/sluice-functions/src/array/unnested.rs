//! `__sluice_unnested(element, array)`: the engine's wrapper around DataFusion's `unnest`
//! for `arrayJoin`/`ARRAY JOIN`. DataFusion types an unnested element as a nullable field
//! without metadata; ClickHouse's element has exactly the array's element type. The wrapper
//! reports the array's item field as its result (so `toTypeName`, `JSONExtract…` and every
//! other function above see `String`, not `Nullable(String)`) and returns the element
//! unchanged. After optimization the engine's plan pass re-types the unnest node itself and
//! removes the wrapper, so `array` is never evaluated a second time.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use crate::ch_bail;

/// The wrapper.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Unnested {
    signature: Signature,
}

/// The name the engine calls.
pub const UNNESTED: &str = "__sluice_unnested";

impl ScalarUDFImpl for Unnested {
    fn name(&self) -> &str {
        UNNESTED
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        datafusion::common::internal_err!("{UNNESTED} uses return_field_from_args")
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let [element, array] = args.arg_fields else {
            ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "{UNNESTED} takes the element and its array"
            );
        };
        Ok(match array.data_type() {
            DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _)
                if item.data_type() == element.data_type() =>
            {
                // List items are often nullable Arrow fields holding a non-Nullable type.
                let nullable = sluice_common::ChType::from_field(item).is_nullable();
                Arc::new(
                    item.as_ref()
                        .clone()
                        .with_name(UNNESTED)
                        .with_nullable(nullable),
                )
            }
            _ => Arc::clone(element),
        })
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.into_iter().next() {
            Some(v) => Ok(v),
            None => ch_bail!(
                NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
                "{UNNESTED} takes the element and its array"
            ),
        }
    }
}

/// The functions of this file.
pub fn functions() -> Vec<ScalarUDF> {
    vec![ScalarUDF::new_from_impl(Unnested {
        signature: Signature::any(2, Volatility::Immutable),
    })]
}
