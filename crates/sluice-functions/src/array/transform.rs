//! Reordering and de-duplicating arrays: `arrayReverse` (and `reverse` of arrays),
//! `arraySort`, `arrayReverseSort`, `arrayDistinct`, `arrayCompact`, `arrayUniq`,
//! `arrayEnumerate`, `arrayEnumerateUniq`.
//!
//! Ordering follows ClickHouse: values compare as bytes/numbers/lexicographically for
//! composites; NaN sorts after every number and NULL after NaN, in both directions.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, ListArray, UInt32Array};
use datafusion::arrow::compute::take;
use datafusion::arrow::row::Rows;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::lists::{build_list, elem_type, is_nan_at, item_field, list, range_of, rows_of};
use crate::ch_bail;
use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("arrayReverse", same_array_type, array_reverse)
            .no_low_card()
            .build(),
        ChUdf::new("arraySort", same_array_type, array_sort)
            .no_low_card()
            .build(),
        ChUdf::new("arrayReverseSort", same_array_type, array_reverse_sort)
            .no_low_card()
            .build(),
        ChUdf::new("arrayPartialSort", partial_sort_type, array_partial_sort)
            .no_low_card()
            .build(),
        ChUdf::new(
            "arrayPartialReverseSort",
            partial_sort_type,
            array_partial_reverse_sort,
        )
        .no_low_card()
        .build(),
        ChUdf::new("arrayDistinct", distinct_type, array_distinct)
            .no_low_card()
            .build(),
        ChUdf::new("arrayCompact", same_array_type, array_compact)
            .no_low_card()
            .build(),
        ChUdf::new("arrayUniq", uniq_type, array_uniq)
            .no_low_card()
            .build(),
        ChUdf::new("arrayEnumerate", enumerate_type, array_enumerate)
            .no_low_card()
            .build(),
        ChUdf::new("arrayEnumerateUniq", enumerate_type, array_enumerate_uniq)
            .no_low_card()
            .build(),
        ChUdf::new("arrayEnumerateDense", enumerate_type, array_enumerate_dense)
            .no_low_card()
            .build(),
    ]
}

/// Requires argument `i` to be an array.
pub(crate) fn want_array(a: &TypeArgs, i: usize) -> Result<ChType> {
    match a.types.get(i) {
        Some(ChType::Array(e)) => Ok((**e).clone()),
        Some(t) => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Argument {} of function {} must be array. Found {t} instead.",
            i + 1,
            a.name
        ),
        None => ch_bail!(LOGICAL_ERROR, "{}: missing argument", a.name),
    }
}

fn same_array_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_array(a, 0)?;
    Ok(a.types[0].clone().into())
}

/// Rebuilds a list column from per-row element positions (indices into `l.values()`).
pub(crate) fn gather(l: &ListArray, elem: &ChType, rows: Vec<Vec<usize>>) -> Result<ArrayRef> {
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    offsets.push(0i32);
    let mut idx = Vec::new();
    for r in rows {
        idx.extend(r.into_iter().map(|i| i as u32));
        offsets.push(idx.len() as i32);
    }
    let values = take(l.values().as_ref(), &UInt32Array::from(idx), None)?;
    build_list(elem, offsets, values)
}

/// Reverses each array of a List column (used by `reverse` and `arrayReverse`).
pub(crate) fn reverse_lists(arr: &ArrayRef) -> Result<ArrayRef> {
    let l = list(arr, "reverse")?;
    let mut offsets = Vec::with_capacity(l.len() + 1);
    offsets.push(0i32);
    let mut idx: Vec<u32> = Vec::new();
    for r in 0..l.len() {
        idx.extend(range_of(l, r).rev().map(|i| i as u32));
        offsets.push(idx.len() as i32);
    }
    let values = take(l.values().as_ref(), &UInt32Array::from(idx), None)?;
    let field = match arr.data_type() {
        datafusion::arrow::datatypes::DataType::List(f) => Arc::clone(f),
        _ => item_field(&ChType::Nothing),
    };
    Ok(Arc::new(ListArray::try_new(
        field,
        datafusion::arrow::buffer::OffsetBuffer::new(offsets.into()),
        values,
        None,
    )?))
}

fn array_reverse(a: &Args) -> Result<ArrayRef> {
    reverse_lists(&a.cols[0])
}

/// ClickHouse's order of elements `i`, `j` of `values` (NaN, then NULL last).
pub(crate) fn ch_order(values: &ArrayRef, rows: &Rows, i: usize, j: usize, desc: bool) -> Ordering {
    let key = |k: usize| -> u8 {
        if super::lists::null_at(values.as_ref(), k) {
            2
        } else if is_nan_at(values, k) {
            1
        } else {
            0
        }
    };
    let (ki, kj) = (key(i), key(j));
    if ki != kj || ki != 0 {
        return ki.cmp(&kj);
    }
    let o = rows.row(i).cmp(&rows.row(j));
    if desc { o.reverse() } else { o }
}

/// Sorts each array of `arr` by the elements of `keys` (same shape).
pub(crate) fn sort_by(
    arr: &ArrayRef,
    keys: &ArrayRef,
    elem: &ChType,
    desc: bool,
) -> Result<ArrayRef> {
    let l = list(arr, "arraySort")?;
    let k = list(keys, "arraySort")?;
    let kv = k.values();
    let (_, rows) = rows_of(kv)?;
    let mut out = Vec::with_capacity(l.len());
    for r in 0..l.len() {
        let rg = range_of(l, r);
        let kr = range_of(k, r);
        if rg.len() != kr.len() {
            ch_bail!(
                SIZES_OF_ARRAYS_DOESNT_MATCH,
                "Arrays passed to arraySort must have equal size"
            );
        }
        let mut perm: Vec<usize> = (0..rg.len()).collect();
        perm.sort_by(|x, y| ch_order(kv, &rows, kr.start + x, kr.start + y, desc));
        out.push(perm.into_iter().map(|p| rg.start + p).collect());
    }
    gather(l, elem, out)
}

fn array_sort(a: &Args) -> Result<ArrayRef> {
    sort_by(&a.cols[0], &a.cols[0], &elem_type(&a.types[0]), false)
}

fn array_reverse_sort(a: &Args) -> Result<ArrayRef> {
    sort_by(&a.cols[0], &a.cols[0], &elem_type(&a.types[0]), true)
}

fn partial_sort_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    if !crate::string::rules::is_int(&a.types[0]) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of limit argument of function {} (must be UInt or Int)",
            a.types[0],
            a.name
        );
    }
    want_array(a, 1)?;
    Ok(a.types[1].clone().into())
}

/// `arrayPartialSort(limit, arr)`: ClickHouse guarantees only the first `limit` elements are
/// sorted and leaves the rest in unspecified order; a full sort satisfies that and matches
/// ClickHouse's output whenever `limit` is 0 or covers the array.
fn array_partial_sort(a: &Args) -> Result<ArrayRef> {
    sort_by(&a.cols[1], &a.cols[1], &elem_type(&a.types[1]), false)
}

fn array_partial_reverse_sort(a: &Args) -> Result<ArrayRef> {
    sort_by(&a.cols[1], &a.cols[1], &elem_type(&a.types[1]), true)
}

fn distinct_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    let e = want_array(a, 0)?;
    // ClickHouse drops NULLs and the Nullable wrapper.
    let e = match e {
        ChType::Nullable(x) => *x,
        ChType::LowCardinality(x) => ChType::LowCardinality(Box::new(x.non_nullable())),
        e => e,
    };
    Ok(ChType::Array(Box::new(e)).into())
}

fn array_distinct(a: &Args) -> Result<ArrayRef> {
    let l = list(&a.cols[0], a.name)?;
    let (_, rows) = rows_of(l.values())?;
    let values = l.values();
    let mut out = Vec::with_capacity(a.rows);
    for r in 0..a.rows {
        let mut seen = std::collections::HashSet::new();
        let mut keep = Vec::new();
        for j in range_of(l, r) {
            if !super::lists::null_at(values.as_ref(), j) && seen.insert(rows.row(j)) {
                keep.push(j);
            }
        }
        out.push(keep);
    }
    let ChType::Array(e) = &a.ret.t else {
        ch_bail!(LOGICAL_ERROR, "arrayDistinct: result is not an array");
    };
    gather(l, e, out)
}

fn array_compact(a: &Args) -> Result<ArrayRef> {
    let l = list(&a.cols[0], a.name)?;
    let (_, rows) = rows_of(l.values())?;
    let out = (0..a.rows)
        .map(|r| {
            let mut keep: Vec<usize> = Vec::new();
            for j in range_of(l, r) {
                if keep.last().is_none_or(|p| rows.row(*p) != rows.row(j)) {
                    keep.push(j);
                }
            }
            keep
        })
        .collect();
    gather(l, &elem_type(&a.types[0]), out)
}

fn uniq_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, usize::MAX)?;
    for i in 0..a.types.len() {
        want_array(a, i)?;
    }
    Ok(ChType::UInt32.into())
}

/// Per row, a key per element position combining all argument arrays (for the
/// multi-array forms of `arrayUniq`/`arrayEnumerateUniq`).
fn element_keys(a: &Args) -> Result<Vec<Vec<Vec<u8>>>> {
    let lists: Vec<&ListArray> = a
        .cols
        .iter()
        .map(|c| list(c, a.name))
        .collect::<Result<_>>()?;
    let encoded: Vec<Rows> = lists
        .iter()
        .map(|l| rows_of(l.values()).map(|r| r.1))
        .collect::<Result<_>>()?;
    let mut out = Vec::with_capacity(a.rows);
    for r in 0..a.rows {
        let len = range_of(lists[0], r).len();
        for l in &lists[1..] {
            if range_of(l, r).len() != len {
                ch_bail!(
                    SIZES_OF_ARRAYS_DOESNT_MATCH,
                    "Lengths of all arrays passed to {} must be equal.",
                    a.name
                );
            }
        }
        let mut row = Vec::with_capacity(len);
        for p in 0..len {
            let mut key = Vec::new();
            for (l, rows) in lists.iter().zip(&encoded) {
                let b = rows.row(range_of(l, r).start + p);
                key.extend_from_slice(&(b.as_ref().len() as u32).to_le_bytes());
                key.extend_from_slice(b.as_ref());
            }
            row.push(key);
        }
        out.push(row);
    }
    Ok(out)
}

fn array_uniq(a: &Args) -> Result<ArrayRef> {
    let keys = element_keys(a)?;
    Ok(Arc::new(UInt32Array::from_iter_values(
        keys.into_iter().map(|row| {
            row.into_iter()
                .collect::<std::collections::HashSet<_>>()
                .len() as u32
        }),
    )))
}

fn enumerate_type(a: &TypeArgs) -> Result<Ret> {
    arity(
        a,
        1,
        if a.name == "arrayEnumerate" {
            1
        } else {
            usize::MAX
        },
    )?;
    for i in 0..a.types.len() {
        want_array(a, i)?;
    }
    Ok(ChType::Array(Box::new(ChType::UInt32)).into())
}

fn u32_lists(rows: Vec<Vec<u32>>) -> Result<ArrayRef> {
    let mut offsets = vec![0i32];
    let mut vals = Vec::new();
    for r in rows {
        vals.extend(r);
        offsets.push(vals.len() as i32);
    }
    build_list(&ChType::UInt32, offsets, Arc::new(UInt32Array::from(vals)))
}

fn array_enumerate(a: &Args) -> Result<ArrayRef> {
    let l = list(&a.cols[0], a.name)?;
    u32_lists(
        (0..a.rows)
            .map(|r| (1..=range_of(l, r).len() as u32).collect())
            .collect(),
    )
}

fn array_enumerate_uniq(a: &Args) -> Result<ArrayRef> {
    let keys = element_keys(a)?;
    u32_lists(
        keys.into_iter()
            .map(|row| {
                let mut seen: HashMap<Vec<u8>, u32> = HashMap::new();
                row.into_iter()
                    .map(|k| {
                        let c = seen.entry(k).or_insert(0);
                        *c += 1;
                        *c
                    })
                    .collect()
            })
            .collect(),
    )
}

/// `arrayEnumerateDense`: each element's 1-based rank of first appearance.
fn array_enumerate_dense(a: &Args) -> Result<ArrayRef> {
    let keys = element_keys(a)?;
    u32_lists(
        keys.into_iter()
            .map(|row| {
                let mut seen: HashMap<Vec<u8>, u32> = HashMap::new();
                row.into_iter()
                    .map(|k| {
                        let next = seen.len() as u32 + 1;
                        *seen.entry(k).or_insert(next)
                    })
                    .collect()
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    fn arr(v: Vec<E>) -> E {
        call("array", v)
    }

    fn mixed() -> E {
        // [1, nan, 2, NULL, 3, nan, -4, NULL, inf, -inf]
        arr(vec![
            n(1),
            f(f64::NAN),
            n(2),
            null(),
            n(3),
            f(f64::NAN),
            n(-4),
            null(),
            f(f64::INFINITY),
            f(f64::NEG_INFINITY),
        ])
    }

    #[test]
    fn sorting() {
        // Oracle: arraySort / arrayReverseSort of [1, nan, 2, NULL, 3, nan, -4, NULL, inf, -inf].
        assert_eq!(
            one(call("arraySort", vec![mixed()])),
            "Array(Nullable(Float64))\t[-inf,-4,1,2,3,inf,nan,nan,NULL,NULL]"
        );
        assert_eq!(
            one(call("arrayReverseSort", vec![mixed()])),
            "Array(Nullable(Float64))\t[inf,3,2,1,-4,-inf,nan,nan,NULL,NULL]"
        );
        // Oracle: arraySort(['b', 'a', NULL]) = ['a','b',NULL];
        // arrayReverseSort([[1,2],[3],[]]) = [[3],[1,2],[]].
        assert_eq!(
            one(call("arraySort", vec![arr(vec![s("b"), s("a"), null()])])),
            "Array(Nullable(String))\t['a','b',NULL]"
        );
        let nested = arr(vec![arr(vec![n(1), n(2)]), arr(vec![n(3)]), arr(vec![])]);
        assert_eq!(
            one(call("arrayReverseSort", vec![nested])),
            "Array(Array(UInt8))\t[[3],[1,2],[]]"
        );
    }

    #[test]
    fn partial_sorts() {
        // Oracle (00390): arrayPartialSort(0, [NULL,9,4,8,10,5,2,3,7,1,6]) =
        // [1,2,3,4,5,6,7,8,9,10,NULL]; arrayPartialReverseSort(10, same) =
        // [10,9,8,7,6,5,4,3,2,1,NULL]; arrayPartialSort(arraySort([1,2,3]), [1,2,3]) → 43.
        let v = || {
            let mut e = vec![null()];
            e.extend([9, 4, 8, 10, 5, 2, 3, 7, 1, 6].into_iter().map(n));
            arr(e)
        };
        assert_eq!(
            one(call("arrayPartialSort", vec![n(0), v()])),
            "Array(Nullable(UInt8))\t[1,2,3,4,5,6,7,8,9,10,NULL]"
        );
        assert_eq!(
            one(call("arrayPartialReverseSort", vec![n(10), v()])),
            "Array(Nullable(UInt8))\t[10,9,8,7,6,5,4,3,2,1,NULL]"
        );
        let sorted = call("arraySort", vec![arr(vec![n(1), n(2), n(3)])]);
        assert_code(
            call(
                "arrayPartialSort",
                vec![sorted, arr(vec![n(1), n(2), n(3)])],
            ),
            43,
        );
    }

    #[test]
    fn distinct_and_friends() {
        // Oracle: 00672_arrayDistinct and ad-hoc queries.
        assert_eq!(
            one(call(
                "arrayDistinct",
                vec![arr(vec![n(1), n(2), null(), n(5), n(2), null()])]
            )),
            "Array(UInt8)\t[1,2,5]"
        );
        assert_eq!(
            one(call(
                "length",
                vec![call("arrayDistinct", vec![arr(vec![null(), null()])])]
            )),
            "UInt64\t0"
        );
        let tuples = arr(vec![
            call("tuple", vec![n(1), n(2)]),
            call("tuple", vec![n(1), n(3)]),
            call("tuple", vec![n(1), n(2)]),
            call("tuple", vec![n(1), n(5)]),
        ]);
        assert_eq!(
            one(call("arrayDistinct", vec![tuples])),
            "Array(Tuple(UInt8, UInt8))\t[(1,2),(1,3),(1,5)]"
        );
        assert_eq!(
            one(call(
                "arrayUniq",
                vec![arr(vec![n(1), null(), null(), n(2)])]
            )),
            "UInt32\t3"
        );
        assert_eq!(
            one(call(
                "arrayUniq",
                vec![arr(vec![n(1), n(2)]), arr(vec![n(1), n(1)])]
            )),
            "UInt32\t2"
        );
        assert_eq!(
            one(call(
                "arrayEnumerateUniq",
                vec![arr(vec![n(1), n(1), n(2), n(1)])]
            )),
            "Array(UInt32)\t[1,2,1,3]"
        );
        // Oracle: arrayEnumerateDense([10, 20, 10, 30]) = [1,2,1,3] :: Array(UInt32).
        assert_eq!(
            one(call(
                "arrayEnumerateDense",
                vec![arr(vec![n(10), n(20), n(10), n(30)])]
            )),
            "Array(UInt32)\t[1,2,1,3]"
        );
        assert_eq!(
            one(call(
                "arrayCompact",
                vec![arr(vec![n(1), n(1), null(), null(), n(2), n(1)])]
            )),
            "Array(Nullable(UInt8))\t[1,NULL,2,1]"
        );
        assert_eq!(
            one(call(
                "arrayCompact",
                vec![arr(vec![f(f64::NAN), f(f64::NAN)])]
            )),
            "Array(Float64)\t[nan]"
        );
        assert_eq!(
            one(call("arrayEnumerate", vec![arr(vec![s("a"), s("b")])])),
            "Array(UInt32)\t[1,2]"
        );
    }

    #[test]
    fn reverse_arrays() {
        // Oracle: 00758_array_reverse.
        assert_eq!(
            one(call("reverse", vec![arr(vec![null(), n(123), null()])])),
            "Array(Nullable(UInt8))\t[NULL,123,NULL]"
        );
        assert_eq!(
            one(call(
                "reverse",
                vec![arr(vec![s("Hello"), null(), s("world")])]
            )),
            "Array(Nullable(String))\t['world',NULL,'Hello']"
        );
        assert_eq!(
            one(call(
                "reverse",
                vec![arr(vec![arr(vec![]), arr(vec![s("")]), arr(vec![null()])])]
            )),
            "Array(Array(Nullable(String)))\t[[NULL],[''],[]]"
        );
        assert_eq!(one(call("reverse", vec![null()])), "Nullable(Nothing)\t\\N");
        // 00758: reverse([(1, 'Hello', []), (nan, 'World', [NULL])]) =
        // [(nan,'World',[NULL]),(1,'Hello',[])]; reverse([[[[]]]]) = [[[[]]]];
        // reverse([NULL, '\0']) = ['\0',NULL]; reverse([NULL, NULL, NULL]) = [NULL,NULL,NULL].
        let tuples = arr(vec![
            call("tuple", vec![n(1), s("Hello"), arr(vec![])]),
            call("tuple", vec![f(f64::NAN), s("World"), arr(vec![null()])]),
        ]);
        assert_eq!(
            one(call("reverse", vec![tuples]))
                .split('\t')
                .nth(1)
                .map(str::to_string),
            Some("[(nan,'World',[NULL]),(1,'Hello',[])]".to_string())
        );
        let deep = arr(vec![arr(vec![arr(vec![arr(vec![])])])]);
        assert_eq!(
            one(call("reverse", vec![deep]))
                .split('\t')
                .nth(1)
                .map(str::to_string),
            Some("[[[[]]]]".to_string())
        );
        assert_eq!(
            one(call("reverse", vec![arr(vec![null(), s("\0")])])),
            "Array(Nullable(String))\t['\\0',NULL]"
        );
        assert_eq!(
            one(call("reverse", vec![arr(vec![null(), null(), null()])])),
            "Array(Nullable(Nothing))\t[NULL,NULL,NULL]"
        );
        assert_eq!(
            one(call("reverse", vec![arr(vec![])])),
            "Array(Nothing)\t[]"
        );
        assert_eq!(
            one(call("arrayReverse", vec![arr(vec![n(1), n(2)])])),
            "Array(UInt8)\t[2,1]"
        );
    }
}
