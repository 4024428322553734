//! `roundDown(x, array)`: the largest array element not above `x` (the smallest element
//! when `x` is below all of them). The result type is the least supertype of `x` and the
//! elements; the array must be a non-empty constant (`ILLEGAL_TYPE_OF_ARGUMENT` for `[]`,
//! `ILLEGAL_COLUMN` for an empty typed or non-constant array).

use datafusion::arrow::array::{Array, ArrayRef, AsArray, UInt32Array};
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::{ChType, Error, ErrorCode};

use super::num::{convert, is_float, is_int};
use super::udf::{Nulls, check_arity, illegal_types, udf};
use crate::ch_bail;
use crate::conditional::supertype::least_supertype;

/// The functions of this file.
pub fn functions() -> Vec<ScalarUDF> {
    vec![udf("roundDown", &[], rule, kernel, Nulls::Propagate)]
}

fn numeric(t: &ChType) -> bool {
    is_int(t) || is_float(t) || matches!(t, ChType::Decimal { .. })
}

fn rule(name: &str, types: &[ChType]) -> sluice_common::Result<ChType> {
    check_arity(name, types, 2, 2)?;
    let ChType::Array(elem) = &types[1] else {
        return Err(illegal_types(name, types));
    };
    if !numeric(&types[0]) || !numeric(elem) {
        return Err(Error::new(
            ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
            format!(
                "Illegal types {} and {} of arguments of function {name}: expected a number and a non-empty array of numbers",
                types[0], types[1]
            ),
        ));
    }
    least_supertype(&[types[0].clone(), (**elem).clone()])
}

fn kernel(
    name: &str,
    args: &[ArrayRef],
    types: &[ChType],
    result: &ChType,
    _n: usize,
) -> Result<ArrayRef> {
    let target = result.to_arrow();
    let lists = match args[1].data_type() {
        DataType::List(_) => args[1].as_list::<i32>().clone(),
        other => ch_bail!(
            ILLEGAL_COLUMN,
            "Second argument of function {name} must be a constant array, got {other}"
        ),
    };
    if lists.is_empty() {
        return Ok(cast(&args[0], &target)?);
    }
    let first = lists.value(0);
    for i in 1..lists.len() {
        if lists.value(i).to_data() != first.to_data() {
            ch_bail!(
                ILLEGAL_COLUMN,
                "Second argument of function {name} must be a constant array"
            );
        }
    }
    if first.is_empty() {
        ch_bail!(
            ILLEGAL_COLUMN,
            "Array argument of function {name} must not be empty"
        );
    }
    let bounds = cast(&first, &target)?;
    let keys = convert::<Float64Type>(bounds.as_ref(), result)?;
    let mut order: Vec<u32> = (0..keys.len() as u32).collect();
    order.sort_by(|a, b| keys.value(*a as usize).total_cmp(&keys.value(*b as usize)));
    let sorted: Vec<f64> = order.iter().map(|i| keys.value(*i as usize)).collect();
    let x = convert::<Float64Type>(args[0].as_ref(), &types[0])?;
    let picks: Vec<Option<u32>> = (0..x.len())
        .map(|i| {
            if x.is_null(i) {
                return None;
            }
            let v = x.value(i);
            let pos = sorted.partition_point(|b| *b <= v);
            Some(order[pos.saturating_sub(1)])
        })
        .collect();
    let indices = UInt32Array::from(picks);
    Ok(take(bounds.as_ref(), &indices, None)?)
}
