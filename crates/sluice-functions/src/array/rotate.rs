//! Moving elements: `arrayRotateLeft/Right(arr, n)`, `arrayShiftLeft/Right(arr, n[, fill])`
//! (a negative `n` moves the other way), and `hasSubstr(arr, sub)` (whether `sub` occurs as a
//! contiguous run of `arr`, elements compared after casting to their least supertype).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, UInt8Array, UInt32Array};
use datafusion::arrow::compute::{concat, take};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::element::Eq;
use super::lists::{build_list, cast_col, default_array, elem_type, list, range_of};
use super::supertype::least_supertype;
use super::transform::{gather, want_array};
use crate::string::col::ints;
use crate::string::rules::{arity, want_int};
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    let mut v: Vec<ScalarUDF> = ["arrayRotateLeft", "arrayRotateRight"]
        .into_iter()
        .map(|n| ChUdf::new(n, rotate_type, rotate).no_low_card().build())
        .collect();
    for n in ["arrayShiftLeft", "arrayShiftRight"] {
        v.push(ChUdf::new(n, shift_type, shift).no_low_card().build());
    }
    v.push(
        ChUdf::new("hasSubstr", has_substr_type, has_substr)
            .no_low_card()
            .build(),
    );
    v
}

fn rotate_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    want_array(a, 0)?;
    want_int(a, 1)?;
    Ok(a.types[0].clone().into())
}

fn rotate(a: &Args) -> Result<ArrayRef> {
    let l = list(&a.cols[0], a.name)?;
    let n = ints(&a.cols[1], a.name)?;
    let left = a.name == "arrayRotateLeft";
    let rows = (0..a.rows)
        .map(|r| {
            let rg = range_of(l, r);
            let len = rg.len() as i64;
            if len == 0 {
                return Vec::new();
            }
            let k = if left { n[r] } else { -n[r] }.rem_euclid(len) as usize;
            (0..rg.len())
                .map(|i| rg.start + (i + k) % rg.len())
                .collect()
        })
        .collect();
    gather(l, &elem_type(&a.types[0]), rows)
}

fn shift_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 3)?;
    let e = want_array(a, 0)?;
    want_int(a, 1)?;
    if a.types.len() == 3 {
        return Ok(ChType::Array(Box::new(least_supertype(&[e, a.types[2].clone()])?)).into());
    }
    Ok(a.types[0].clone().into())
}

fn shift(a: &Args) -> Result<ArrayRef> {
    let elem = elem_type(&a.ret.t);
    let arr = cast_col(&a.cols[0], &a.ret.t)?;
    let l = list(&arr, a.name)?;
    let n = ints(&a.cols[1], a.name)?;
    let fill = match a.cols.get(2) {
        Some(c) => cast_col(c, &elem)?,
        None => default_array(&elem, a.rows)?,
    };
    let all = concat(&[l.values().as_ref(), fill.as_ref()])?;
    let base = l.values().len();
    let left = a.name == "arrayShiftLeft";
    let mut idx: Vec<u32> = Vec::new();
    let mut offsets = vec![0i32];
    for (r, &k) in n.iter().enumerate() {
        let rg = range_of(l, r);
        let len = rg.len() as i64;
        let k = if left { k } else { -k };
        for i in 0..len {
            let src = i + k;
            idx.push(if (0..len).contains(&src) {
                (rg.start as i64 + src) as u32
            } else {
                (base + r) as u32
            });
        }
        offsets.push(idx.len() as i32);
    }
    let values = take(all.as_ref(), &UInt32Array::from(idx), None)?;
    build_list(&elem, offsets, values)
}

fn has_substr_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    let (x, y) = (want_array(a, 0)?, want_array(a, 1)?);
    least_supertype(&[x, y])?;
    Ok(ChType::UInt8.into())
}

fn has_substr(a: &Args) -> Result<ArrayRef> {
    let st = least_supertype(&[elem_type(&a.types[0]), elem_type(&a.types[1])])?;
    let l0 = list(&a.cols[0], a.name)?;
    let l1 = list(&a.cols[1], a.name)?;
    let v0 = cast_col(l0.values(), &st)?;
    let v1 = cast_col(l1.values(), &st)?;
    let eq = Eq::new(&[&v0, &v1])?;
    let out = (0..a.rows).map(|r| {
        let (h, n) = (range_of(l0, r), range_of(l1, r));
        let found = n.is_empty()
            || (h.len() >= n.len()
                && (h.start..=h.end - n.len()).any(|s| {
                    n.clone()
                        .enumerate()
                        .all(|(k, j)| eq[0].eq(s + k, &eq[1], j))
                }));
        u8::from(found)
    });
    Ok(Arc::new(UInt8Array::from_iter_values(out)))
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    fn arr(v: Vec<E>) -> E {
        call("array", v)
    }

    fn nums(v: &[i64]) -> E {
        arr(v.iter().map(|x| n(*x)).collect())
    }

    #[test]
    fn rotations_and_shifts() {
        // Oracle: arrayRotateLeft([1,2,3,4], 1) = [2,3,4,1]; arrayRotateRight([1,2,3,4], 1) =
        // [4,1,2,3]; arrayRotateLeft([1,2,3], -4) = [3,1,2]; arrayShiftLeft([1,2,3], 1) = [2,3,0];
        // arrayShiftRight([1,2,3], 1, 9) = [9,1,2]; arrayShiftLeft([1,2,3], -1) = [0,1,2];
        // arrayShiftLeft(['a','b'], 5) = ['',''].
        let c = |name: &'static str, args: Vec<E>| one(call(name, args));
        assert_eq!(
            c("arrayRotateLeft", vec![nums(&[1, 2, 3, 4]), n(1)]),
            "Array(UInt8)\t[2,3,4,1]"
        );
        assert_eq!(
            c("arrayRotateRight", vec![nums(&[1, 2, 3, 4]), n(1)]),
            "Array(UInt8)\t[4,1,2,3]"
        );
        assert_eq!(
            c("arrayRotateLeft", vec![nums(&[1, 2, 3]), n(-4)]),
            "Array(UInt8)\t[3,1,2]"
        );
        assert_eq!(
            c("arrayShiftLeft", vec![nums(&[1, 2, 3]), n(1)]),
            "Array(UInt8)\t[2,3,0]"
        );
        assert_eq!(
            c("arrayShiftRight", vec![nums(&[1, 2, 3]), n(1), n(9)]),
            "Array(UInt8)\t[9,1,2]"
        );
        assert_eq!(
            c("arrayShiftLeft", vec![nums(&[1, 2, 3]), n(-1)]),
            "Array(UInt8)\t[0,1,2]"
        );
        assert_eq!(
            c("arrayShiftLeft", vec![arr(vec![s("a"), s("b")]), n(5)]),
            "Array(String)\t['','']"
        );
    }

    #[test]
    fn substrings_of_arrays() {
        // Oracle: hasSubstr([1,2,3,4], [2,3]) = 1; hasSubstr([1,2,3,4], [3,2]) = 0;
        // hasSubstr([], []) = 1; hasSubstr([1], []) = 1; hasSubstr([1, NULL], [NULL]) = 1;
        // hasSubstr([1], ['a']) → 386.
        let c = |x: E, y: E| one(call("hasSubstr", vec![x, y]));
        assert_eq!(c(nums(&[1, 2, 3, 4]), nums(&[2, 3])), "UInt8\t1");
        assert_eq!(c(nums(&[1, 2, 3, 4]), nums(&[3, 2])), "UInt8\t0");
        assert_eq!(c(arr(vec![]), arr(vec![])), "UInt8\t1");
        assert_eq!(c(nums(&[1]), arr(vec![])), "UInt8\t1");
        assert_eq!(c(arr(vec![n(1), null()]), arr(vec![null()])), "UInt8\t1");
        assert_code(call("hasSubstr", vec![nums(&[1]), arr(vec![s("a")])]), 386);
    }
}
