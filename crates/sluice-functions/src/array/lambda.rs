//! Kernels for ClickHouse's lambda forms, for the engine to call once it has evaluated the
//! lambda.
//!
//! The engine owns lambdas (`x -> expr`). Proposed interface: for a call
//! `f(lambda, a1, …, an)` the engine first computes `r = arrayMap(lambda, a1, …, an)` — an
//! array column with the same sizes as `a1` holding the lambda's result for every element —
//! and then calls the internal function below with `(a1, r)`:
//!
//! | ClickHouse call | engine calls |
//! |---|---|
//! | `arrayFilter(f, a, …)` | `__sluice_arrayFilter(a, r)` (keep elements where `r` is non-zero) |
//! | `arraySort(f, a, …)` | `__sluice_arraySort(a, r)` (sort `a` by the keys `r`) |
//! | `arrayReverseSort(f, a, …)` | `__sluice_arrayReverseSort(a, r)` |
//! | `arrayPartialSort(f, n, a, …)` / `arrayPartialReverseSort` | `__sluice_arraySort(a, r)` / `__sluice_arrayReverseSort(a, r)` (a full sort is a valid partial sort) |
//! | `arrayFirst(f, a, …)` / `arrayLast` | `__sluice_arrayFirst(a, r)` / `__sluice_arrayLast(a, r)` |
//! | `arrayFirstIndex(f, a, …)` / `arrayLastIndex` | `__sluice_arrayFirstIndex(r)` / `__sluice_arrayLastIndex(r)` |
//! | `arrayFill(f, a, …)` / `arrayReverseFill` | `__sluice_arrayFill(a, r)` / `__sluice_arrayReverseFill(a, r)` |
//! | `arraySplit(f, a, …)` / `arrayReverseSplit` | `__sluice_arraySplit(a, r)` / `__sluice_arrayReverseSplit(a, r)` |
//! | `arrayCount(f, a, …)`, `arrayExists`, `arrayAll` | `arrayCount(r)`, `arrayExists(r)`, `arrayAll(r)` |
//! | `arraySum(f, a, …)`, `arrayMin/Max/Avg/Product` | `arraySum(r)`, … |
//!
//! `arrayMap` itself is the engine's (its result is `r`). Sizes of `a` and `r` must match
//! (`SIZES_OF_ARRAYS_DOESNT_MATCH` otherwise). Result types are those of the ClickHouse call:
//! `__sluice_arrayFilter/Sort` return `a`'s type, `First/Last` the element type (default when
//! nothing matches), `FirstIndex/LastIndex` `UInt32` (0 when nothing matches).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, UInt32Array};
use datafusion::arrow::compute::{cast, concat, take};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::lists::{default_array, elem_type, list, range_of};
use super::transform::{gather, sort_by, want_array};
use crate::ch_bail;
use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("__sluice_arrayFilter", same_type, filter)
            .no_low_card()
            .build(),
        ChUdf::new("__sluice_arraySort", same_type, sort)
            .no_low_card()
            .build(),
        ChUdf::new("__sluice_arrayReverseSort", same_type, reverse_sort)
            .no_low_card()
            .build(),
        ChUdf::new("__sluice_arrayFirst", elem_ret, first)
            .no_low_card()
            .build(),
        ChUdf::new("__sluice_arrayLast", elem_ret, last)
            .no_low_card()
            .build(),
        ChUdf::new("__sluice_arrayFill", same_type, fill)
            .no_low_card()
            .build(),
        ChUdf::new("__sluice_arrayReverseFill", same_type, reverse_fill)
            .no_low_card()
            .build(),
        ChUdf::new("__sluice_arraySplit", split_type, split)
            .no_low_card()
            .build(),
        ChUdf::new("__sluice_arrayReverseSplit", split_type, reverse_split)
            .no_low_card()
            .build(),
        ChUdf::new("__sluice_arrayFirstIndex", index_ret, first_index)
            .no_low_card()
            .build(),
        ChUdf::new("__sluice_arrayLastIndex", index_ret, last_index)
            .no_low_card()
            .build(),
    ]
}

fn same_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    want_array(a, 0)?;
    want_array(a, 1)?;
    Ok(a.types[0].clone().into())
}

fn elem_ret(a: &TypeArgs) -> Result<Ret> {
    same_type(a)?;
    Ok(elem_type(&a.types[0]).into())
}

fn index_ret(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_array(a, 0)?;
    Ok(ChType::UInt32.into())
}

/// Per element of the mask array: non-zero and non-NULL.
fn mask_of(arr: &ArrayRef, func: &str) -> Result<Vec<bool>> {
    let l = list(arr, func)?;
    let v = l.values();
    if *v.data_type() == DataType::Null {
        return Ok(vec![false; v.len()]);
    }
    let b = cast(v, &DataType::Boolean)?;
    let b = datafusion::common::cast::as_boolean_array(&b)?;
    Ok((0..b.len()).map(|i| b.is_valid(i) && b.value(i)).collect())
}

fn check_sizes(a: &Args) -> Result<()> {
    let l0 = list(&a.cols[0], a.name)?;
    let l1 = list(&a.cols[1], a.name)?;
    for r in 0..a.rows {
        if range_of(l0, r).len() != range_of(l1, r).len() {
            ch_bail!(
                SIZES_OF_ARRAYS_DOESNT_MATCH,
                "Arrays passed to {} must have equal size",
                a.name
            );
        }
    }
    Ok(())
}

fn filter(a: &Args) -> Result<ArrayRef> {
    check_sizes(a)?;
    let l = list(&a.cols[0], a.name)?;
    let m = list(&a.cols[1], a.name)?;
    let mask = mask_of(&a.cols[1], a.name)?;
    let rows = (0..a.rows)
        .map(|r| {
            let mstart = range_of(m, r).start;
            let start = range_of(l, r).start;
            range_of(l, r)
                .filter(|j| mask[mstart + (j - start)])
                .collect()
        })
        .collect();
    gather(l, &elem_type(&a.types[0]), rows)
}

fn sort(a: &Args) -> Result<ArrayRef> {
    check_sizes(a)?;
    sort_by(&a.cols[0], &a.cols[1], &elem_type(&a.types[0]), false)
}

fn reverse_sort(a: &Args) -> Result<ArrayRef> {
    check_sizes(a)?;
    sort_by(&a.cols[0], &a.cols[1], &elem_type(&a.types[0]), true)
}

fn pick(a: &Args, from_end: bool) -> Result<ArrayRef> {
    check_sizes(a)?;
    let l = list(&a.cols[0], a.name)?;
    let m = list(&a.cols[1], a.name)?;
    let mask = mask_of(&a.cols[1], a.name)?;
    let def = default_array(&a.ret.t, 1)?;
    let all = concat(&[l.values().as_ref(), def.as_ref()])?;
    let none = l.values().len() as u32;
    let idx: Vec<u32> = (0..a.rows)
        .map(|r| {
            let (lr, mr) = (range_of(l, r), range_of(m, r));
            let mut it = (0..lr.len()).filter(|k| mask[mr.start + k]);
            let k = if from_end { it.next_back() } else { it.next() };
            k.map_or(none, |k| (lr.start + k) as u32)
        })
        .collect();
    Ok(take(all.as_ref(), &UInt32Array::from(idx), None)?)
}

/// `arrayFill`: an element whose mask is 0 takes the value of the previous kept element
/// (the next one for the reverse form); the first (last) element is always kept.
fn fill_rows(a: &Args, reverse: bool) -> Result<ArrayRef> {
    check_sizes(a)?;
    let l = list(&a.cols[0], a.name)?;
    let m = list(&a.cols[1], a.name)?;
    let mask = mask_of(&a.cols[1], a.name)?;
    let rows = (0..a.rows)
        .map(|r| {
            let (lr, mr) = (range_of(l, r), range_of(m, r));
            let n = lr.len();
            let mut out = vec![0usize; n];
            let order: Vec<usize> = if reverse {
                (0..n).rev().collect()
            } else {
                (0..n).collect()
            };
            let mut last = None;
            for (k, &p) in order.iter().enumerate() {
                let src = if k == 0 || mask[mr.start + p] {
                    p
                } else {
                    last.unwrap_or(p)
                };
                out[p] = lr.start + src;
                last = Some(src);
            }
            out
        })
        .collect();
    gather(l, &elem_type(&a.types[0]), rows)
}

fn fill(a: &Args) -> Result<ArrayRef> {
    fill_rows(a, false)
}

fn reverse_fill(a: &Args) -> Result<ArrayRef> {
    fill_rows(a, true)
}

fn split_type(a: &TypeArgs) -> Result<Ret> {
    same_type(a)?;
    Ok(ChType::Array(Box::new(a.types[0].clone())).into())
}

/// `arraySplit`: a new piece starts before each element whose mask is non-zero (after it
/// for the reverse form); never before the first (after the last) element.
fn split_rows(a: &Args, reverse: bool) -> Result<ArrayRef> {
    check_sizes(a)?;
    let l = list(&a.cols[0], a.name)?;
    let m = list(&a.cols[1], a.name)?;
    let mask = mask_of(&a.cols[1], a.name)?;
    let mut inner_offsets = vec![0i32];
    let mut outer_offsets = vec![0i32];
    let mut idx: Vec<u32> = Vec::new();
    for r in 0..a.rows {
        let (lr, mr) = (range_of(l, r), range_of(m, r));
        let n = lr.len();
        for k in 0..n {
            let cut = if reverse {
                k > 0 && mask[mr.start + k - 1]
            } else {
                k > 0 && mask[mr.start + k]
            };
            if cut {
                inner_offsets.push(idx.len() as i32);
            }
            idx.push((lr.start + k) as u32);
        }
        if n > 0 {
            inner_offsets.push(idx.len() as i32);
        }
        outer_offsets.push(inner_offsets.len() as i32 - 1);
    }
    let elem = elem_type(&a.types[0]);
    let values = take(l.values().as_ref(), &UInt32Array::from(idx), None)?;
    let inner = super::lists::build_list(&elem, inner_offsets, values)?;
    super::lists::build_list(&a.types[0], outer_offsets, inner)
}

fn split(a: &Args) -> Result<ArrayRef> {
    split_rows(a, false)
}

fn reverse_split(a: &Args) -> Result<ArrayRef> {
    split_rows(a, true)
}

fn first(a: &Args) -> Result<ArrayRef> {
    pick(a, false)
}

fn last(a: &Args) -> Result<ArrayRef> {
    pick(a, true)
}

fn index(a: &Args, from_end: bool) -> Result<ArrayRef> {
    let m = list(&a.cols[0], a.name)?;
    let mask = mask_of(&a.cols[0], a.name)?;
    Ok(Arc::new(UInt32Array::from_iter_values((0..a.rows).map(
        |r| {
            let mr = range_of(m, r);
            let mut it = (0..mr.len()).filter(|k| mask[mr.start + k]);
            let k = if from_end { it.next_back() } else { it.next() };
            k.map_or(0, |k| k as u32 + 1)
        },
    ))))
}

fn first_index(a: &Args) -> Result<ArrayRef> {
    index(a, false)
}

fn last_index(a: &Args) -> Result<ArrayRef> {
    index(a, true)
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    fn arr(v: Vec<E>) -> E {
        call("array", v)
    }

    #[test]
    fn lambda_kernels() {
        // Oracle: arraySort(x -> -x, [2, 1, 3]) = [3,2,1] (keys [-2,-1,-3]);
        // arraySort((x, y) -> y, ['hello', 'world'], [2, 1]) = ['world','hello'];
        // arrayFilter(x -> x % 2 = 0, [0,1,2,3]) = [0,2]; arrayFirst(x -> x > 1, [1,2,3]) = 2;
        // arrayFirstIndex(x -> x > 1, [1,2,3]) = 2; arrayLast(x -> x > 5, [1,2,3]) = 0.
        let keys = arr(vec![n(-2), n(-1), n(-3)]);
        assert_eq!(
            one(call(
                "__sluice_arraySort",
                vec![arr(vec![n(2), n(1), n(3)]), keys]
            )),
            "Array(UInt8)\t[3,2,1]"
        );
        assert_eq!(
            one(call(
                "__sluice_arraySort",
                vec![arr(vec![s("hello"), s("world")]), arr(vec![n(2), n(1)])]
            )),
            "Array(String)\t['world','hello']"
        );
        let vals = || arr(vec![n(0), n(1), n(2), n(3)]);
        let mask = arr(vec![n(1), n(0), n(1), n(0)]);
        assert_eq!(
            one(call("__sluice_arrayFilter", vec![vals(), mask])),
            "Array(UInt8)\t[0,2]"
        );
        let v3 = || arr(vec![n(1), n(2), n(3)]);
        let m3 = || arr(vec![n(0), n(1), n(1)]);
        assert_eq!(
            one(call("__sluice_arrayFirst", vec![v3(), m3()])),
            "UInt8\t2"
        );
        assert_eq!(
            one(call("__sluice_arrayFirstIndex", vec![m3()])),
            "UInt32\t2"
        );
        let m0 = arr(vec![n(0), n(0), n(0)]);
        assert_eq!(one(call("__sluice_arrayLast", vec![v3(), m0])), "UInt8\t0");
        assert_code(
            call("__sluice_arrayFilter", vec![v3(), arr(vec![n(1)])]),
            190,
        );
    }

    #[test]
    fn fill_and_split() {
        // Oracle: arrayFill(x -> not isNull(x), [1,null,3,11,12,null,null,5,6,14,null,null]) =
        // [1,1,3,11,12,12,12,5,6,14,14,14]; arrayReverseFill(same) =
        // [1,3,3,11,12,5,5,5,6,14,NULL,NULL]; arrayFill(x -> 0, [1,2]) = [1,1];
        // arraySplit((x, y) -> y, [1,2,3,4,5], [1,0,0,1,0]) = [[1,2,3],[4,5]];
        // arrayReverseSplit(same) = [[1],[2,3,4],[5]]; arraySplit(x -> 1, []) = [].
        let vals = || {
            let v: Vec<Option<i64>> = vec![
                Some(1),
                None,
                Some(3),
                Some(11),
                Some(12),
                None,
                None,
                Some(5),
                Some(6),
                Some(14),
                None,
                None,
            ];
            arr(v.into_iter().map(|x| x.map_or_else(null, n)).collect())
        };
        let mask = || {
            let m = [1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0];
            arr(m.into_iter().map(n).collect())
        };
        assert_eq!(
            one(call("__sluice_arrayFill", vec![vals(), mask()])),
            "Array(Nullable(UInt8))\t[1,1,3,11,12,12,12,5,6,14,14,14]"
        );
        assert_eq!(
            one(call("__sluice_arrayReverseFill", vec![vals(), mask()])),
            "Array(Nullable(UInt8))\t[1,3,3,11,12,5,5,5,6,14,NULL,NULL]"
        );
        assert_eq!(
            one(call(
                "__sluice_arrayFill",
                vec![arr(vec![n(1), n(2)]), arr(vec![n(0), n(0)])]
            )),
            "Array(UInt8)\t[1,1]"
        );
        let five = || arr(vec![n(1), n(2), n(3), n(4), n(5)]);
        let cuts = || arr(vec![n(1), n(0), n(0), n(1), n(0)]);
        assert_eq!(
            one(call("__sluice_arraySplit", vec![five(), cuts()])),
            "Array(Array(UInt8))\t[[1,2,3],[4,5]]"
        );
        assert_eq!(
            one(call("__sluice_arrayReverseSplit", vec![five(), cuts()])),
            "Array(Array(UInt8))\t[[1],[2,3,4],[5]]"
        );
        assert_eq!(
            one(call("__sluice_arraySplit", vec![arr(vec![]), arr(vec![])])),
            "Array(Array(Nothing))\t[]"
        );
    }
}
