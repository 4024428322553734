//! Reshaping arrays: `arrayConcat`, `arraySlice`, `arrayPushBack`, `arrayPushFront`,
//! `arrayPopBack`, `arrayPopFront`, `arrayResize`, `arrayFlatten` (`flatten`), `arrayZip`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StructArray, UInt32Array};
use datafusion::arrow::compute::{concat, interleave, take};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::{ChType, ErrorCode};

use super::lists::{build_list, cast_col, default_array, elem_type, list, null_at, range_of};
use super::supertype::least_supertype;
use super::transform::{gather, want_array};
use crate::ch_bail;
use crate::string::col::ints;
use crate::string::rules::{arity, is_int};
use crate::string::udf::{Args, ChUdf, Nulls, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("arrayConcat", concat_type, array_concat)
            .no_low_card()
            .build(),
        ChUdf::new("arraySlice", slice_type, array_slice)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        ChUdf::new("arrayPushBack", push_type, push_back)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        ChUdf::new("arrayPushFront", push_type, push_front)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        ChUdf::new("arrayPopBack", pop_type, pop_back)
            .no_low_card()
            .build(),
        ChUdf::new("arrayPopFront", pop_type, pop_front)
            .no_low_card()
            .build(),
        ChUdf::new("arrayResize", resize_type, array_resize)
            .no_low_card()
            .build(),
        ChUdf::new("arrayFlatten", flatten_type, array_flatten)
            .ci_aliases(&["flatten"])
            .no_low_card()
            .build(),
        ChUdf::new("arrayZip", zip_type, array_zip)
            .no_low_card()
            .build(),
    ]
}

/// ClickHouse's limit on array sizes built by `arrayResize` and similar.
const MAX_ARRAY_SIZE: i128 = 1 << 30;

/// ClickHouse error 128 `TOO_LARGE_ARRAY_SIZE` (missing from the shared code list).
fn too_large_array(size: i128) -> datafusion::error::DataFusionError {
    crate::util::ch_error(sluice_common::Error::new(
        ErrorCode::TOO_LARGE_ARRAY_SIZE,
        format!("Too large array size: {size}, maximum: {MAX_ARRAY_SIZE}"),
    ))
}

fn concat_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, usize::MAX)?;
    let mut elems = Vec::new();
    for i in 0..a.types.len() {
        elems.push(want_array(a, i)?);
    }
    Ok(ChType::Array(Box::new(least_supertype(&elems)?)).into())
}

fn array_concat(a: &Args) -> Result<ArrayRef> {
    let elem = elem_type(&a.ret.t);
    let lists: Vec<ArrayRef> = a
        .cols
        .iter()
        .map(|c| cast_col(c, &a.ret.t))
        .collect::<Result<_>>()?;
    let ls: Vec<_> = lists
        .iter()
        .map(|c| list(c, a.name))
        .collect::<Result<_>>()?;
    let values: Vec<&dyn Array> = ls.iter().map(|l| l.values().as_ref()).collect();
    let mut idx = Vec::new();
    let mut offsets = vec![0i32];
    for r in 0..a.rows {
        for (k, l) in ls.iter().enumerate() {
            idx.extend(range_of(l, r).map(|j| (k, j)));
        }
        offsets.push(idx.len() as i32);
    }
    let v = if idx.is_empty() {
        datafusion::arrow::array::new_empty_array(&elem.to_arrow())
    } else {
        interleave(&values, &idx)?
    };
    build_list(&elem, offsets, v)
}

fn slice_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 3)?;
    want_array(a, 0)?;
    for i in 1..a.types.len() {
        let t = a.types[i].base();
        if !is_int(t) && *t != ChType::Nothing {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Argument {} for function {} must be integer but it has type {}.",
                i + 1,
                a.name,
                a.types[i]
            );
        }
    }
    Ok(a.types[0].clone().into())
}

/// ClickHouse's slice of `len` elements: 1-based `offset` (negative from the end, 0 → empty),
/// `length` (negative: stop that many before the end; `None`: to the end). Same rule as
/// `substring`.
pub(crate) fn slice_bounds(len: usize, offset: i64, length: Option<i64>) -> (usize, usize) {
    let len = len as i128;
    if offset == 0 {
        return (0, 0);
    }
    let start = if offset > 0 {
        offset as i128 - 1
    } else {
        len + offset as i128
    };
    let end = match length {
        None => len,
        Some(l) if l >= 0 => start + l as i128,
        Some(l) => len + l as i128,
    };
    let s = start.clamp(0, len);
    let e = end.clamp(0, len);
    if e <= s {
        (0, 0)
    } else {
        (s as usize, e as usize)
    }
}

fn array_slice(a: &Args) -> Result<ArrayRef> {
    let l = list(&a.cols[0], a.name)?;
    let off = ints(&a.cols[1], a.name)?;
    let lens = if a.cols.len() == 3 {
        Some(ints(&a.cols[2], a.name)?)
    } else {
        None
    };
    let rows = (0..a.rows)
        .map(|r| {
            let rg = range_of(l, r);
            if null_at(a.cols[1].as_ref(), r) {
                return rg.collect();
            }
            let length = match &lens {
                Some(v) if !null_at(a.cols[2].as_ref(), r) => Some(v[r]),
                _ => None,
            };
            let (s, e) = slice_bounds(rg.len(), off[r], length);
            (rg.start + s..rg.start + e).collect()
        })
        .collect();
    gather(l, &elem_type(&a.types[0]), rows)
}

fn push_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    let e = want_array(a, 0)?;
    Ok(ChType::Array(Box::new(least_supertype(&[e, a.types[1].clone()])?)).into())
}

fn push(a: &Args, back: bool) -> Result<ArrayRef> {
    let elem = elem_type(&a.ret.t);
    let arr = cast_col(&a.cols[0], &a.ret.t)?;
    let l = list(&arr, a.name)?;
    let x = cast_col(&a.cols[1], &elem)?;
    let both: ArrayRef = concat(&[l.values().as_ref(), x.as_ref()])?;
    let base = l.values().len();
    let mut idx = Vec::new();
    let mut offsets = vec![0i32];
    for r in 0..a.rows {
        if !back {
            idx.push((base + r) as u32);
        }
        idx.extend(range_of(l, r).map(|j| j as u32));
        if back {
            idx.push((base + r) as u32);
        }
        offsets.push(idx.len() as i32);
    }
    let v = take(both.as_ref(), &UInt32Array::from(idx), None)?;
    build_list(&elem, offsets, v)
}

fn push_back(a: &Args) -> Result<ArrayRef> {
    push(a, true)
}

fn push_front(a: &Args) -> Result<ArrayRef> {
    push(a, false)
}

fn pop_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_array(a, 0)?;
    Ok(a.types[0].clone().into())
}

fn pop(a: &Args, back: bool) -> Result<ArrayRef> {
    let l = list(&a.cols[0], a.name)?;
    let rows = (0..a.rows)
        .map(|r| {
            let rg = range_of(l, r);
            if rg.is_empty() {
                Vec::new()
            } else if back {
                (rg.start..rg.end - 1).collect()
            } else {
                (rg.start + 1..rg.end).collect()
            }
        })
        .collect();
    gather(l, &elem_type(&a.types[0]), rows)
}

fn pop_back(a: &Args) -> Result<ArrayRef> {
    pop(a, true)
}

fn pop_front(a: &Args) -> Result<ArrayRef> {
    pop(a, false)
}

fn resize_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 3)?;
    let e = want_array(a, 0)?;
    if !is_int(&a.types[1]) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Argument 2 for function {} must be integer but it has type {}.",
            a.name,
            a.types[1]
        );
    }
    if a.types.len() == 3 {
        return Ok(ChType::Array(Box::new(least_supertype(&[e, a.types[2].clone()])?)).into());
    }
    Ok(a.types[0].clone().into())
}

fn array_resize(a: &Args) -> Result<ArrayRef> {
    let elem = elem_type(&a.ret.t);
    let arr = cast_col(&a.cols[0], &a.ret.t)?;
    let l = list(&arr, a.name)?;
    let sizes: Vec<i128> = if *a.cols[1].data_type() == DataType::UInt64 {
        let c = datafusion::common::cast::as_uint64_array(&a.cols[1])?;
        c.values().iter().map(|v| *v as i128).collect()
    } else {
        ints(&a.cols[1], a.name)?
            .into_iter()
            .map(|v| v as i128)
            .collect()
    };
    let ext = match a.cols.get(2) {
        Some(c) => cast_col(c, &elem)?,
        None => default_array(&elem, a.rows)?,
    };
    let both: ArrayRef = concat(&[l.values().as_ref(), ext.as_ref()])?;
    let base = l.values().len();
    let mut idx: Vec<u32> = Vec::new();
    let mut offsets = vec![0i32];
    for (r, size) in sizes.iter().enumerate() {
        if size.abs() > MAX_ARRAY_SIZE {
            return Err(too_large_array(size.abs()));
        }
        let rg = range_of(l, r);
        let want = size.unsigned_abs() as usize;
        let pad = want.saturating_sub(rg.len());
        let pad_idx = std::iter::repeat_n((base + r) as u32, pad);
        if *size >= 0 {
            idx.extend(rg.clone().take(want).map(|j| j as u32));
            idx.extend(pad_idx);
        } else {
            idx.extend(pad_idx);
            let skip = rg.len().saturating_sub(want);
            idx.extend(rg.skip(skip).map(|j| j as u32));
        }
        offsets.push(idx.len() as i32);
    }
    let v = take(both.as_ref(), &UInt32Array::from(idx), None)?;
    build_list(&elem, offsets, v)
}

fn flatten_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    let mut e = want_array(a, 0)?;
    while let ChType::Array(inner) = e {
        e = *inner;
    }
    Ok(ChType::Array(Box::new(e)).into())
}

fn array_flatten(a: &Args) -> Result<ArrayRef> {
    let elem = elem_type(&a.ret.t);
    let mut arr = Arc::clone(&a.cols[0]);
    loop {
        let l = list(&arr, a.name)?;
        let DataType::List(_) = l.values().data_type() else {
            break;
        };
        let inner = l.values().as_list::<i32>();
        let outer_off = l.value_offsets();
        let inner_off = inner.value_offsets();
        let offsets: Vec<i32> = outer_off.iter().map(|o| inner_off[*o as usize]).collect();
        let base = offsets.first().copied().unwrap_or(0);
        let offsets: Vec<i32> = offsets.iter().map(|o| o - base).collect();
        let end = offsets.last().copied().unwrap_or(0) as usize;
        let values = inner.values().slice(base as usize, end);
        let field = match inner.data_type() {
            DataType::List(f) => Arc::clone(f),
            _ => ch_bail!(LOGICAL_ERROR, "arrayFlatten: inner type is not a list"),
        };
        arr = Arc::new(datafusion::arrow::array::ListArray::try_new(
            field,
            datafusion::arrow::buffer::OffsetBuffer::new(offsets.into()),
            values,
            None,
        )?);
    }
    cast_col(&arr, &ChType::Array(Box::new(elem)))
}

fn zip_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, usize::MAX)?;
    let mut elems = Vec::new();
    for i in 0..a.types.len() {
        elems.push((None, want_array(a, i)?));
    }
    Ok(ChType::Array(Box::new(ChType::Tuple(elems))).into())
}

fn array_zip(a: &Args) -> Result<ArrayRef> {
    let ls: Vec<_> = a
        .cols
        .iter()
        .map(|c| list(c, a.name))
        .collect::<Result<_>>()?;
    for r in 0..a.rows {
        let n0 = range_of(ls[0], r).len();
        for (k, l) in ls.iter().enumerate().skip(1) {
            if range_of(l, r).len() != n0 {
                ch_bail!(
                    SIZES_OF_ARRAYS_DOESNT_MATCH,
                    "The argument 1 and argument {} of function arrayZip have different array sizes",
                    k + 1
                );
            }
        }
    }
    let elem = elem_type(&a.ret.t);
    let ChType::Tuple(parts) = &elem else {
        ch_bail!(LOGICAL_ERROR, "arrayZip: element is not a tuple");
    };
    let mut cols = Vec::new();
    for (l, (_, t)) in ls.iter().zip(parts) {
        let rows: Vec<u32> = (0..a.rows)
            .flat_map(|r| range_of(l, r))
            .map(|j| j as u32)
            .collect();
        let v = take(l.values().as_ref(), &UInt32Array::from(rows), None)?;
        cols.push(cast_col(&v, t)?);
    }
    let DataType::Struct(fields) = elem.to_arrow() else {
        ch_bail!(LOGICAL_ERROR, "arrayZip: tuple is not a struct");
    };
    let values: ArrayRef = Arc::new(StructArray::try_new(fields, cols, None)?);
    let mut offsets = vec![0i32];
    for r in 0..a.rows {
        offsets.push(offsets[r] + range_of(ls[0], r).len() as i32);
    }
    build_list(&elem, offsets, values)
}

#[cfg(test)]
mod tests {
    use super::slice_bounds;
    use crate::string::testkit::*;

    fn arr(v: Vec<E>) -> E {
        call("array", v)
    }

    fn five() -> E {
        arr(vec![n(1), n(2), n(3), n(4), n(5)])
    }

    #[test]
    fn slices() {
        // Oracle: arraySlice([1,2,3,4,5], -10, 7) = [1,2]; (2, -1) = [2,3,4]; (0, 2) = [];
        // (-2) = [4,5]; arraySlice([1,2,3], 2, 0) = []; arraySlice([1,2,3], NULL) = [1,2,3].
        assert_eq!(slice_bounds(5, -10, Some(7)), (0, 2));
        assert_eq!(
            one(call("arraySlice", vec![five(), n(-10), n(7)])),
            "Array(UInt8)\t[1,2]"
        );
        assert_eq!(
            one(call("arraySlice", vec![five(), n(2), n(-1)])),
            "Array(UInt8)\t[2,3,4]"
        );
        assert_eq!(
            one(call("arraySlice", vec![five(), n(0), n(2)])),
            "Array(UInt8)\t[]"
        );
        assert_eq!(
            one(call("arraySlice", vec![five(), n(-2)])),
            "Array(UInt8)\t[4,5]"
        );
        assert_eq!(
            one(call("arraySlice", vec![five(), null()])),
            "Array(UInt8)\t[1,2,3,4,5]"
        );
        assert_eq!(
            one(call("arraySlice", vec![five(), n(2), null()])),
            "Array(UInt8)\t[2,3,4,5]"
        );
    }

    #[test]
    fn concat_push_pop_resize() {
        // Oracle: arrayConcat([1], [-1], [NULL]) = [1,-1,NULL] :: Array(Nullable(Int16)).
        assert_eq!(
            one(call(
                "arrayConcat",
                vec![arr(vec![n(1)]), arr(vec![n(-1)]), arr(vec![null()])]
            )),
            "Array(Nullable(Int16))\t[1,-1,NULL]"
        );
        assert_code(
            call("arrayConcat", vec![arr(vec![n(1)]), arr(vec![s("a")])]),
            386,
        );
        assert_eq!(
            one(call("arrayPushBack", vec![arr(vec![n(1)]), n(-1)])),
            "Array(Int16)\t[1,-1]"
        );
        assert_eq!(
            one(call("arrayPushFront", vec![arr(vec![n(1)]), null()])),
            "Array(Nullable(UInt8))\t[NULL,1]"
        );
        assert_eq!(
            one(call("arrayPopBack", vec![arr(vec![n(1), n(2)])])),
            "Array(UInt8)\t[1]"
        );
        assert_eq!(
            one(call("arrayPopFront", vec![arr(vec![])])),
            "Array(Nothing)\t[]"
        );
        // Oracle: arrayResize([1,2], 4) = [1,2,0,0]; ([1,2,3], -1) = [3]; ([1], 3, 9) = [1,9,9];
        // toTypeName(arrayResize([1], 3, -9)) = Array(Int16); ([1,2], -4) = [0,0,1,2].
        assert_eq!(
            one(call("arrayResize", vec![arr(vec![n(1), n(2)]), n(4)])),
            "Array(UInt8)\t[1,2,0,0]"
        );
        assert_eq!(
            one(call(
                "arrayResize",
                vec![arr(vec![n(1), n(2), n(3)]), n(-1)]
            )),
            "Array(UInt8)\t[3]"
        );
        assert_eq!(
            one(call("arrayResize", vec![arr(vec![n(1)]), n(3), n(9)])),
            "Array(UInt8)\t[1,9,9]"
        );
        assert_eq!(
            one(call("arrayResize", vec![arr(vec![n(1)]), n(3), n(-9)])),
            "Array(Int16)\t[1,-9,-9]"
        );
        assert_eq!(
            one(call("arrayResize", vec![arr(vec![n(1), n(2)]), n(-4)])),
            "Array(UInt8)\t[0,0,1,2]"
        );
        assert_code(
            call("arrayResize", vec![arr(vec![n(1)]), n(10_000_000_000)]),
            128,
        );
        assert_code(
            call("arrayResize", vec![arr(vec![n(1)]), n(3), s("a")]),
            386,
        );
    }

    #[test]
    fn flatten_and_zip() {
        // Oracle: arrayFlatten([[[1]], [[2,3]]]) = [1,2,3]; arrayFlatten([1]) = [1];
        // arrayZip([1,2], ['a','b']) = [(1,'a'),(2,'b')] :: Array(Tuple(UInt8, String)).
        let nested = arr(vec![
            arr(vec![arr(vec![n(1)])]),
            arr(vec![arr(vec![n(2), n(3)])]),
        ]);
        assert_eq!(
            one(call("arrayFlatten", vec![nested])),
            "Array(UInt8)\t[1,2,3]"
        );
        assert_eq!(
            one(call("flatten", vec![arr(vec![n(1)])])),
            "Array(UInt8)\t[1]"
        );
        assert_eq!(
            one(call(
                "arrayZip",
                vec![arr(vec![n(1), n(2)]), arr(vec![s("a"), s("b")])]
            )),
            "Array(Tuple(UInt8, String))\t[(1,'a'),(2,'b')]"
        );
        assert_code(
            call("arrayZip", vec![arr(vec![n(1)]), arr(vec![n(1), n(2)])]),
            190,
        );
    }
}
