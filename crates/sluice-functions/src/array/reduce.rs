//! Array aggregates (non-lambda forms): `arraySum`, `arrayProduct`, `arrayAvg`, `arrayMin`,
//! `arrayMax`, `arrayCount`, `arrayExists`, `arrayAll`.
//!
//! Result types as ClickHouse: `arraySum` of unsigned/signed integers is `UInt64`/`Int64`
//! (wrapping), of floats `Float64`, of `Decimal(P, S)` `Decimal(38, S)`, of 128/256-bit
//! integers the same type; `arrayProduct` and `arrayAvg` are `Float64`; `arrayMin/Max` keep
//! the element type (empty → default); `arrayCount` is `UInt32`. `Nullable` elements are
//! rejected with `ILLEGAL_TYPE_OF_ARGUMENT` as ClickHouse does for the numeric aggregates.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Array, Decimal256Array, Float64Array, Int64Array,
    UInt8Array, UInt32Array, UInt64Array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, Decimal256Type, Float64Type, Int64Type, UInt64Type, i256,
};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::lists::{default_array, elem_type, list, range_of, rows_of};
use super::transform::{ch_order, want_array};
use crate::ch_bail;
use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("arraySum", agg_type, array_sum)
            .no_low_card()
            .build(),
        ChUdf::new("arrayProduct", agg_type, array_product)
            .no_low_card()
            .build(),
        ChUdf::new("arrayAvg", agg_type, array_avg)
            .no_low_card()
            .build(),
        ChUdf::new("arrayMin", agg_type, array_min)
            .no_low_card()
            .build(),
        ChUdf::new("arrayMax", agg_type, array_max)
            .no_low_card()
            .build(),
        ChUdf::new("arrayCount", count_type, array_count)
            .no_low_card()
            .build(),
        ChUdf::new("arrayExists", count_type, array_exists)
            .no_low_card()
            .build(),
        ChUdf::new("arrayAll", count_type, array_all)
            .no_low_card()
            .build(),
    ]
}

fn agg_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    let e = want_array(a, 0)?;
    let bad = || -> Result<Ret> {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "array aggregation function cannot be performed on type {e}"
        )
    };
    if a.name == "arrayMin" || a.name == "arrayMax" {
        return match e {
            ChType::Nothing | ChType::Nullable(_) => bad(),
            e => Ok(e.into()),
        };
    }
    let t = match &e {
        ChType::UInt8 | ChType::UInt16 | ChType::UInt32 | ChType::UInt64 | ChType::Bool => {
            ChType::UInt64
        }
        ChType::Int8 | ChType::Int16 | ChType::Int32 | ChType::Int64 => ChType::Int64,
        ChType::Float32 | ChType::Float64 | ChType::BFloat16 => ChType::Float64,
        ChType::Decimal { precision, scale } => ChType::Decimal {
            precision: if *precision <= 38 { 38 } else { 76 },
            scale: *scale,
        },
        ChType::Int128 | ChType::UInt128 | ChType::Int256 | ChType::UInt256 => e.clone(),
        _ => return bad(),
    };
    if a.name == "arraySum" {
        Ok(t.into())
    } else {
        Ok(ChType::Float64.into())
    }
}

fn array_sum(a: &Args) -> Result<ArrayRef> {
    let l = list(&a.cols[0], a.name)?;
    let target = a.ret.t.to_arrow();
    let v = cast(l.values(), &target)?;
    let rows = 0..a.rows;
    Ok(match &target {
        DataType::UInt64 => {
            let v = v.as_primitive::<UInt64Type>().values();
            Arc::new(UInt64Array::from_iter_values(
                rows.map(|r| range_of(l, r).fold(0u64, |s, j| s.wrapping_add(v[j]))),
            ))
        }
        DataType::Int64 => {
            let v = v.as_primitive::<Int64Type>().values();
            Arc::new(Int64Array::from_iter_values(
                rows.map(|r| range_of(l, r).fold(0i64, |s, j| s.wrapping_add(v[j]))),
            ))
        }
        DataType::Float64 => {
            let v = v.as_primitive::<Float64Type>().values();
            Arc::new(Float64Array::from_iter_values(
                rows.map(|r| range_of(l, r).fold(0f64, |s, j| s + v[j])),
            ))
        }
        DataType::Decimal128(p, s) => {
            let v = v.as_primitive::<Decimal128Type>().values();
            Arc::new(
                Decimal128Array::from_iter_values(
                    rows.map(|r| range_of(l, r).fold(0i128, |acc, j| acc.wrapping_add(v[j]))),
                )
                .with_precision_and_scale(*p, *s)?,
            )
        }
        DataType::Decimal256(p, s) => {
            let v = v.as_primitive::<Decimal256Type>().values();
            Arc::new(
                Decimal256Array::from_iter_values(
                    rows.map(|r| range_of(l, r).fold(i256::ZERO, |acc, j| acc.wrapping_add(v[j]))),
                )
                .with_precision_and_scale(*p, *s)?,
            )
        }
        dt => ch_bail!(NOT_IMPLEMENTED, "arraySum over {dt} is not implemented"),
    })
}

/// Element values as f64 (Arrow's decimal → float cast applies the scale).
fn as_f64(a: &Args) -> Result<(Vec<f64>, &datafusion::arrow::array::ListArray)> {
    let l = list(&a.cols[0], a.name)?;
    let f = cast(l.values(), &DataType::Float64)?;
    Ok((f.as_primitive::<Float64Type>().values().to_vec(), l))
}

fn array_product(a: &Args) -> Result<ArrayRef> {
    let (v, l) = as_f64(a)?;
    Ok(Arc::new(Float64Array::from_iter_values(
        (0..a.rows).map(|r| range_of(l, r).fold(1f64, |s, j| s * v[j])),
    )))
}

fn array_avg(a: &Args) -> Result<ArrayRef> {
    let (v, l) = as_f64(a)?;
    Ok(Arc::new(Float64Array::from_iter_values((0..a.rows).map(
        |r| {
            let rg = range_of(l, r);
            let n = rg.len();
            // ClickHouse divides 0 by 0 for an empty array but prints 0 (its avg of nothing).
            if n == 0 {
                0.0
            } else {
                rg.fold(0f64, |s, j| s + v[j]) / n as f64
            }
        },
    ))))
}

fn min_max(a: &Args, max: bool) -> Result<ArrayRef> {
    let l = list(&a.cols[0], a.name)?;
    let values = l.values();
    let (_, rows) = rows_of(values)?;
    let def = default_array(&elem_type(&a.types[0]), 1)?;
    let all = datafusion::arrow::compute::concat(&[values.as_ref(), def.as_ref()])?;
    let idx: Vec<u32> = (0..a.rows)
        .map(|r| {
            let best = range_of(l, r).reduce(|b, j| {
                let o = ch_order(values, &rows, j, b, false);
                let better = if max { o.is_gt() } else { o.is_lt() };
                // NaN never wins over a number, as in ClickHouse's comparisons.
                if better && !super::lists::is_nan_at(values, j) {
                    j
                } else {
                    b
                }
            });
            best.map_or(values.len() as u32, |b| b as u32)
        })
        .collect();
    Ok(datafusion::arrow::compute::take(
        all.as_ref(),
        &UInt32Array::from(idx),
        None,
    )?)
}

fn array_min(a: &Args) -> Result<ArrayRef> {
    min_max(a, false)
}

fn array_max(a: &Args) -> Result<ArrayRef> {
    min_max(a, true)
}

fn count_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_array(a, 0)?;
    Ok(if a.name == "arrayCount" {
        ChType::UInt32
    } else {
        ChType::UInt8
    }
    .into())
}

/// Per element: whether it counts as true (non-zero, non-NULL).
fn truthy(a: &Args) -> Result<(Vec<bool>, &datafusion::arrow::array::ListArray)> {
    let l = list(&a.cols[0], a.name)?;
    let v = l.values();
    let b = match v.data_type() {
        DataType::Boolean => v.as_boolean().clone(),
        DataType::Null => datafusion::arrow::array::BooleanArray::from(vec![false; v.len()]),
        _ => {
            let c = cast(v, &DataType::Boolean)?;
            c.as_boolean().clone()
        }
    };
    Ok((
        (0..b.len()).map(|i| b.is_valid(i) && b.value(i)).collect(),
        l,
    ))
}

fn array_count(a: &Args) -> Result<ArrayRef> {
    let (t, l) = truthy(a)?;
    Ok(Arc::new(UInt32Array::from_iter_values(
        (0..a.rows).map(|r| range_of(l, r).filter(|j| t[*j]).count() as u32),
    )))
}

fn array_exists(a: &Args) -> Result<ArrayRef> {
    let (t, l) = truthy(a)?;
    Ok(Arc::new(UInt8Array::from_iter_values(
        (0..a.rows).map(|r| u8::from(range_of(l, r).any(|j| t[j]))),
    )))
}

fn array_all(a: &Args) -> Result<ArrayRef> {
    let (t, l) = truthy(a)?;
    Ok(Arc::new(UInt8Array::from_iter_values(
        (0..a.rows).map(|r| u8::from(range_of(l, r).all(|j| t[j]))),
    )))
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    fn arr(v: Vec<E>) -> E {
        call("array", v)
    }

    #[test]
    fn sums_and_types() {
        // Oracle: toTypeName(arraySum([1,2])) = UInt64, arraySum([1.5]) → Float64,
        // arraySum([toInt8(100), 100]) = 200 (Int64 since Int8+UInt8 → Int16 elements),
        // arrayAvg([1]) → Float64, arrayProduct([2,3]) = 6 (Float64), arrayMin([1]) → UInt8.
        assert_eq!(
            one(call("arraySum", vec![arr(vec![n(1), n(2)])])),
            "UInt64\t3"
        );
        assert_eq!(
            one(call("arraySum", vec![arr(vec![f(1.5)])])),
            "Float64\t1.5"
        );
        let i8_100 = typed("Int8", datafusion::common::ScalarValue::Int8(Some(100)));
        assert_eq!(
            one(call("arraySum", vec![arr(vec![i8_100, n(100)])])),
            "Int64\t200"
        );
        assert_eq!(
            one(call("arrayProduct", vec![arr(vec![n(2), n(3)])])),
            "Float64\t6"
        );
        assert_eq!(
            one(call("arrayAvg", vec![arr(vec![n(1), n(2)])])),
            "Float64\t1.5"
        );
        assert_eq!(
            one(call("arrayMin", vec![arr(vec![n(3), n(1)])])),
            "UInt8\t1"
        );
        assert_eq!(
            one(call("arrayMax", vec![arr(vec![s("a"), s("b")])])),
            "String\tb"
        );
        assert_eq!(
            one(call("arrayMin", vec![call("emptyArrayUInt8", vec![])])),
            "UInt8\t0"
        );
        assert_eq!(
            one(call("arraySum", vec![call("emptyArrayUInt8", vec![])])),
            "UInt64\t0"
        );
        assert_eq!(
            one(call("arrayAvg", vec![call("emptyArrayUInt8", vec![])])),
            "Float64\t0"
        );
        // Oracle: arraySum([1, NULL]) → Code 43; arraySum([]) → Code 43 (Nothing).
        assert_code(call("arraySum", vec![arr(vec![n(1), null()])]), 43);
        assert_code(call("arraySum", vec![arr(vec![])]), 43);
    }

    #[test]
    fn counting() {
        // Oracle: arrayCount([1,0,2]) = 2 (UInt32); arrayExists([0,0]) = 0; arrayAll([1,1]) = 1.
        assert_eq!(
            one(call("arrayCount", vec![arr(vec![n(1), n(0), n(2)])])),
            "UInt32\t2"
        );
        assert_eq!(
            one(call("arrayExists", vec![arr(vec![n(0), n(0)])])),
            "UInt8\t0"
        );
        assert_eq!(
            one(call("arrayAll", vec![arr(vec![n(1), n(1)])])),
            "UInt8\t1"
        );
    }
}
