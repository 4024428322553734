//! Running computations over arrays: `arrayCumSum` and `arrayDifference`.
//!
//! Result element types as ClickHouse: `arrayCumSum` widens like `arraySum` (UInt64, Int64,
//! Float64, Decimal(38, S)); `arrayDifference` gives the next wider signed type for integers
//! (`UInt8`/`Int8` → `Int16`, 16-bit → `Int32`, wider → `Int64`), Float64 for floats and the
//! element type for decimals. Integer arithmetic wraps; Nullable elements are rejected.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, AsArray, Decimal128Array, Float64Array, Int64Array, UInt64Array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type, UInt64Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::lists::{build_list, list};
use super::transform::want_array;
use crate::ch_bail;
use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("arrayCumSum", running_type, cum_sum)
            .no_low_card()
            .build(),
        ChUdf::new("arrayDifference", running_type, difference)
            .no_low_card()
            .build(),
    ]
}

fn running_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    let e = want_array(a, 0)?;
    let cum = a.name == "arrayCumSum";
    let t = match (&e, cum) {
        (ChType::UInt8 | ChType::UInt16 | ChType::UInt32 | ChType::UInt64, true) => ChType::UInt64,
        (ChType::Int8 | ChType::Int16 | ChType::Int32 | ChType::Int64, true) => ChType::Int64,
        (ChType::UInt8 | ChType::Int8, false) => ChType::Int16,
        (ChType::UInt16 | ChType::Int16, false) => ChType::Int32,
        (ChType::UInt32 | ChType::Int32 | ChType::UInt64 | ChType::Int64, false) => ChType::Int64,
        (ChType::Float32 | ChType::Float64, _) => ChType::Float64,
        (ChType::Decimal { precision, scale }, true) if *precision <= 38 => ChType::Decimal {
            precision: 38,
            scale: *scale,
        },
        (ChType::Decimal { precision, .. }, false) if *precision <= 38 => e.clone(),
        _ => {
            let verb = if cum { "add" } else { "subtract" };
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "{} cannot {verb} values of type {e}",
                a.name
            )
        }
    };
    Ok(ChType::Array(Box::new(t)).into())
}

/// The element values read as one of the three accumulator kinds.
enum Vals {
    Unsigned(Vec<u64>),
    Signed(Vec<i64>),
    Float(Vec<f64>),
    Decimal(Vec<i128>, u8, i8),
}

fn read(values: &ArrayRef) -> Result<Vals> {
    Ok(match values.data_type() {
        DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Boolean => {
            let c = cast(values, &DataType::UInt64)?;
            Vals::Unsigned(c.as_primitive::<UInt64Type>().values().to_vec())
        }
        DataType::Float32 | DataType::Float64 => {
            let c = cast(values, &DataType::Float64)?;
            Vals::Float(c.as_primitive::<Float64Type>().values().to_vec())
        }
        DataType::Decimal128(p, s) => Vals::Decimal(
            values.as_primitive::<Decimal128Type>().values().to_vec(),
            *p,
            *s,
        ),
        DataType::Null => Vals::Signed(Vec::new()),
        _ => {
            let c = cast(values, &DataType::Int64)?;
            Vals::Signed(c.as_primitive::<Int64Type>().values().to_vec())
        }
    })
}

fn run(a: &Args, diff: bool) -> Result<ArrayRef> {
    let l = list(&a.cols[0], a.name)?;
    let ChType::Array(et) = &a.ret.t else {
        ch_bail!(LOGICAL_ERROR, "{}: result is not an array", a.name);
    };
    let offsets = l.value_offsets();
    let rows = || (0..a.rows).map(|r| offsets[r] as usize..offsets[r + 1] as usize);
    let out: ArrayRef = match read(l.values())? {
        Vals::Unsigned(v) if !diff => {
            let mut o = Vec::with_capacity(v.len());
            for rg in rows() {
                let mut acc = 0u64;
                for j in rg {
                    acc = acc.wrapping_add(v[j]);
                    o.push(acc);
                }
            }
            Arc::new(UInt64Array::from(o))
        }
        Vals::Unsigned(v) => {
            let mut o = Vec::with_capacity(v.len());
            for rg in rows() {
                let mut prev: Option<u64> = None;
                for j in rg {
                    o.push(prev.map_or(0, |p| v[j].wrapping_sub(p) as i64));
                    prev = Some(v[j]);
                }
            }
            Arc::new(Int64Array::from(o))
        }
        Vals::Signed(v) => {
            let mut o = Vec::with_capacity(v.len());
            for rg in rows() {
                let mut acc = 0i64;
                let mut prev: Option<i64> = None;
                for j in rg {
                    if diff {
                        o.push(prev.map_or(0, |p| v[j].wrapping_sub(p)));
                        prev = Some(v[j]);
                    } else {
                        acc = acc.wrapping_add(v[j]);
                        o.push(acc);
                    }
                }
            }
            Arc::new(Int64Array::from(o))
        }
        Vals::Float(v) => {
            let mut o = Vec::with_capacity(v.len());
            for rg in rows() {
                let mut acc = 0f64;
                let mut prev: Option<f64> = None;
                for j in rg {
                    if diff {
                        o.push(prev.map_or(0.0, |p| v[j] - p));
                        prev = Some(v[j]);
                    } else {
                        acc += v[j];
                        o.push(acc);
                    }
                }
            }
            Arc::new(Float64Array::from(o))
        }
        Vals::Decimal(v, p, s) => {
            let mut o = Vec::with_capacity(v.len());
            for rg in rows() {
                let mut acc = 0i128;
                let mut prev: Option<i128> = None;
                for j in rg {
                    if diff {
                        o.push(prev.map_or(0, |x| v[j].wrapping_sub(x)));
                        prev = Some(v[j]);
                    } else {
                        acc = acc.wrapping_add(v[j]);
                        o.push(acc);
                    }
                }
            }
            let (p, s) = if diff { (p, s) } else { (38, s) };
            Arc::new(Decimal128Array::from(o).with_precision_and_scale(p, s)?)
        }
    };
    // Narrower integer results (Int16/Int32) wrap like ClickHouse's.
    let out = if matches!(**et, ChType::Int16 | ChType::Int32) {
        let DataType::Int64 = out.data_type() else {
            ch_bail!(LOGICAL_ERROR, "{}: unexpected accumulator type", a.name);
        };
        let v = out.as_primitive::<Int64Type>();
        match **et {
            ChType::Int16 => Arc::new(datafusion::arrow::array::Int16Array::from_iter_values(
                v.values().iter().map(|x| *x as i16),
            )) as ArrayRef,
            _ => Arc::new(datafusion::arrow::array::Int32Array::from_iter_values(
                v.values().iter().map(|x| *x as i32),
            )),
        }
    } else {
        out
    };
    // `out` holds only this column's rows: offsets start at 0 even for a sliced input.
    let base = offsets.first().copied().unwrap_or(0);
    build_list(et, offsets.iter().map(|o| o - base).collect(), out)
}

fn cum_sum(a: &Args) -> Result<ArrayRef> {
    run(a, false)
}

fn difference(a: &Args) -> Result<ArrayRef> {
    run(a, true)
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;
    use datafusion::common::ScalarValue;

    fn arr(v: Vec<E>) -> E {
        call("array", v)
    }

    #[test]
    fn running() {
        // Oracle: arrayCumSum([1,2,3]) = [1,3,6] :: Array(UInt64); arrayDifference([1,3,6]) =
        // [0,2,3] :: Array(Int16); arrayDifference([toUInt64(0), toUInt64(18446744073709551615)])
        // = [0,-1] :: Array(Int64); arrayCumSum([toUInt64(18446744073709551615), 1]) =
        // [18446744073709551615,0]; toTypeName(arrayCumSum([1.5])) = Array(Float64);
        // arrayCumSum([1, NULL]) → 43.
        assert_eq!(
            one(call("arrayCumSum", vec![arr(vec![n(1), n(2), n(3)])])),
            "Array(UInt64)\t[1,3,6]"
        );
        assert_eq!(
            one(call("arrayDifference", vec![arr(vec![n(1), n(3), n(6)])])),
            "Array(Int16)\t[0,2,3]"
        );
        let u = |v: u64| typed("UInt64", ScalarValue::UInt64(Some(v)));
        assert_eq!(
            one(call("arrayDifference", vec![arr(vec![u(0), u(u64::MAX)])])),
            "Array(Int64)\t[0,-1]"
        );
        assert_eq!(
            one(call("arrayCumSum", vec![arr(vec![u(u64::MAX), n(1)])])),
            "Array(UInt64)\t[18446744073709551615,0]"
        );
        assert_eq!(
            one(call("arrayCumSum", vec![arr(vec![f(1.5), f(1.0)])])),
            "Array(Float64)\t[1.5,2.5]"
        );
        assert_code(call("arrayCumSum", vec![arr(vec![n(1), null()])]), 43);
        // A sliced column (offsets not starting at 0), as DataFusion hands over after LIMIT.
        use datafusion::arrow::array::ListArray;
        use datafusion::arrow::datatypes::UInt8Type;
        let l = ListArray::from_iter_primitive::<UInt8Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            Some(vec![Some(3), Some(4)]),
        ]);
        let sliced = l.slice(1, 1);
        let c = col("Array(UInt8)", std::sync::Arc::new(sliced));
        assert_eq!(rows(call("arrayCumSum", vec![c]), 1), "[3,7]");
    }
}
