//! `plus` of two aggregate-function states of the same type (`countState(a) +
//! countState(b)`): the merged state, as ClickHouse's `-Merge` of both would see it.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryBuilder};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use sluice_common::ChType;

use crate::aggregate::combinators::state_function;

/// Whether `plus(a, b)` merges states: both are the same `AggregateFunction(...)` type.
pub(crate) fn is_state_sum(name: &str, a: &ChType, b: &ChType) -> bool {
    name == "plus" && matches!(a, ChType::AggregateFunction { .. }) && a == b
}

/// `CANNOT_ADD_DIFFERENT_AGGREGATE_STATES` for `plus` of two states of different types.
pub(crate) fn check_different_states(
    name: &str,
    a: &ChType,
    b: &ChType,
) -> sluice_common::Result<()> {
    let state = |t: &ChType| matches!(t, ChType::AggregateFunction { .. });
    if name == "plus" && state(a) && state(b) && a != b {
        return Err(sluice_common::Error::new(
            sluice_common::ErrorCode::CANNOT_ADD_DIFFERENT_AGGREGATE_STATES,
            format!("Cannot add aggregate states of different functions: {a} and {b}"),
        ));
    }
    Ok(())
}

fn binary(arr: &ArrayRef) -> Result<ArrayRef> {
    Ok(if arr.data_type() == &DataType::Binary {
        Arc::clone(arr)
    } else {
        compute::cast(arr, &DataType::Binary)?
    })
}

/// Row by row, the state of `a` merged with the state of `b`.
pub(crate) fn merge_states(
    a: &ArrayRef,
    b: &ArrayRef,
    t: &ChType,
    rows: usize,
) -> Result<ArrayRef> {
    let func = state_function(t)?;
    let a = super::udf::expand(&binary(a)?, rows)?;
    let b = super::udf::expand(&binary(b)?, rows)?;
    let (a, b) = (a.as_binary::<i32>(), b.as_binary::<i32>());
    let mut out = BinaryBuilder::new();
    for i in 0..rows {
        if a.is_null(i) || b.is_null(i) {
            out.append_null();
            continue;
        }
        let mut st = func.read_state(a.value(i))?;
        let other = func.read_state(b.value(i))?;
        st.merge(other.as_ref())?;
        let mut bytes = Vec::new();
        st.serialize(&mut bytes)?;
        out.append_value(&bytes);
    }
    Ok(Arc::new(out.finish()))
}
