//! Element access and membership: `arrayElement` (`a[i]`, `m[k]`), `tupleElement` (`t.1`),
//! `mapKeys`, `mapValues`, `mapContains`, `has`, `indexOf`, `countEqual`, `hasAll`,
//! `hasAny`.
//!
//! Elements are compared after casting both sides to their least supertype (no supertype →
//! `NO_COMMON_TYPE`); NULL equals NULL, floats compare numerically (NaN ≠ NaN, 0 = -0).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, UInt8Array, UInt32Array, UInt64Array};
use datafusion::arrow::compute::{concat, take};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::arrow::row::Rows;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::lists::{build_list, cast_col, default_array, elem_type, list, range_of, rows_of};
use super::supertype::least_supertype;
use crate::ch_bail;
use crate::string::col::ints;
use crate::string::rules::{arity, is_int};
use crate::string::udf::{Args, ChUdf, Nulls, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("arrayElement", element_type, element)
            .no_low_card()
            .build(),
        ChUdf::new("tupleElement", tuple_element_type, tuple_element)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        ChUdf::new("mapKeys", map_parts_type, map_keys)
            .no_low_card()
            .build(),
        ChUdf::new("mapValues", map_parts_type, map_values)
            .no_low_card()
            .build(),
        ChUdf::new("mapContains", map_contains_type, map_contains)
            .no_low_card()
            .build(),
        ChUdf::new("has", has_type, has)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        ChUdf::new("indexOf", has_type, index_of)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        ChUdf::new("countEqual", has_type, count_equal)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        ChUdf::new("hasAll", has_all_type, has_all)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        ChUdf::new("hasAny", has_all_type, has_any)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
    ]
}

/// Compares values of one supertype: row encodings plus numeric float equality.
pub(crate) struct Eq {
    rows: Rows,
    floats: Option<Vec<f64>>,
    nulls: Vec<bool>,
}

impl Eq {
    /// Encodes `cols` (already cast to one type) for comparison; returns one encoder per
    /// column sharing a row format.
    pub fn new(cols: &[&ArrayRef]) -> Result<Vec<Eq>> {
        let Some(first) = cols.first() else {
            return Ok(Vec::new());
        };
        let (conv, _) = rows_of(first)?;
        let mut out = Vec::new();
        for c in cols {
            let rows = conv.convert_columns(&[Arc::clone(c)])?;
            let floats = match c.data_type() {
                DataType::Float64 => Some(c.as_primitive::<Float64Type>().values().to_vec()),
                DataType::Float32 => Some(
                    c.as_primitive::<Float32Type>()
                        .values()
                        .iter()
                        .map(|v| *v as f64)
                        .collect(),
                ),
                _ => None,
            };
            let nulls = (0..c.len())
                .map(|i| super::lists::null_at(c.as_ref(), i))
                .collect();
            out.push(Eq {
                rows,
                floats,
                nulls,
            });
        }
        Ok(out)
    }

    /// Whether value `i` here equals value `j` of `other`.
    #[inline]
    pub fn eq(&self, i: usize, other: &Eq, j: usize) -> bool {
        match (self.nulls[i], other.nulls[j]) {
            (true, true) => return true,
            (true, false) | (false, true) => return false,
            _ => {}
        }
        if let (Some(a), Some(b)) = (&self.floats, &other.floats) {
            return a[i] == b[j];
        }
        self.rows.row(i) == other.rows.row(j)
    }
}

fn element_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    match &a.types[0] {
        ChType::Array(e) => {
            if !is_int(&a.types[1]) {
                ch_bail!(
                    ILLEGAL_TYPE_OF_ARGUMENT,
                    "Second argument for function 'arrayElement' must be integer or array of integers, got '{}' instead",
                    a.types[1]
                );
            }
            Ok((**e).clone().into())
        }
        ChType::Map(k, v) => {
            if least_supertype(&[(**k).clone(), a.types[1].clone()]).is_err() {
                ch_bail!(
                    ILLEGAL_TYPE_OF_ARGUMENT,
                    "Illegal types of arguments: {}, {} for function arrayElement",
                    a.types[0],
                    a.types[1]
                );
            }
            Ok((**v).clone().into())
        }
        t => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "First argument for function 'arrayElement' must be array, got '{t}' instead"
        ),
    }
}

/// Takes `values[idx]` per row, `None` meaning the type's default.
fn take_or_default(values: &ArrayRef, t: &ChType, idx: Vec<Option<usize>>) -> Result<ArrayRef> {
    let def = default_array(t, 1)?;
    let values = cast_col(values, t)?;
    let all = concat(&[values.as_ref(), def.as_ref()])?;
    let last = (all.len() - 1) as u32;
    let ix = UInt32Array::from_iter_values(idx.into_iter().map(|i| i.map_or(last, |i| i as u32)));
    Ok(take(all.as_ref(), &ix, None)?)
}

fn element(a: &Args) -> Result<ArrayRef> {
    if let ChType::Map(kt, vt) = &a.types[0] {
        let m = a.cols[0].as_map();
        let st = least_supertype(&[(**kt).clone(), a.types[1].clone()])?;
        let keys = cast_col(m.keys(), &st)?;
        let needle = cast_col(&a.cols[1], &st)?;
        let eq = Eq::new(&[&keys, &needle])?;
        let off = m.value_offsets();
        let idx = (0..a.rows)
            .map(|r| (off[r] as usize..off[r + 1] as usize).find(|j| eq[0].eq(*j, &eq[1], r)))
            .collect();
        return take_or_default(m.values(), vt, idx);
    }
    let l = list(&a.cols[0], a.name)?;
    let t = elem_type(&a.types[0]);
    let idx_vals: Vec<i128> = if *a.cols[1].data_type() == DataType::UInt64 {
        let c = datafusion::common::cast::as_uint64_array(&a.cols[1])?;
        c.values().iter().map(|v| *v as i128).collect()
    } else {
        ints(&a.cols[1], a.name)?
            .into_iter()
            .map(|v| v as i128)
            .collect()
    };
    let idx = (0..a.rows)
        .map(|r| {
            let rg = range_of(l, r);
            let len = rg.len() as i128;
            let k = idx_vals[r];
            let pos = if k > 0 && k <= len {
                Some(k - 1)
            } else if k < 0 && -k <= len {
                Some(len + k)
            } else {
                None
            };
            pos.map(|p| rg.start + p as usize)
        })
        .collect();
    take_or_default(l.values(), &t, idx)
}

/// One element of a tuple type: optional name and type.
type TupleElem = (Option<String>, ChType);

/// The tuple type `tupleElement` reads: the argument itself or the elements of an array of
/// tuples (then the result is an array).
fn tuple_of(t: &ChType) -> Option<(&[TupleElem], bool)> {
    match t.base() {
        ChType::Tuple(e) => Some((e, false)),
        ChType::Array(inner) => match inner.base() {
            ChType::Tuple(e) => Some((e, true)),
            _ => None,
        },
        _ => None,
    }
}

fn tuple_element_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 3)?;
    let Some((elems, in_array)) = tuple_of(&a.types[0]) else {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "First argument for function tupleElement must be tuple or array of tuple. Actual {}",
            a.types[0]
        );
    };
    match tuple_index(a, elems)? {
        Some(i) if in_array => Ok(ChType::Array(Box::new(elems[i].1.clone())).into()),
        Some(i) => Ok(elems[i].1.clone().into()),
        None => Ok(a.types[2].clone().into()),
    }
}

/// The 0-based element the second argument names, or `None` when a default (third argument)
/// applies.
fn tuple_index(a: &TypeArgs, elems: &[(Option<String>, ChType)]) -> Result<Option<usize>> {
    let has_default = a.types.len() == 3;
    let Some(Some(c)) = a.consts.get(1) else {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Second argument to tupleElement must be a constant Int, UInt or String"
        );
    };
    if let Some(name) = crate::string::udf::scalar_bytes(c) {
        let name = String::from_utf8_lossy(&name).into_owned();
        let found = elems.iter().enumerate().position(|(i, (n, _))| match n {
            Some(n) => *n == name,
            None => (i + 1).to_string() == name,
        });
        return match (found, has_default) {
            (Some(i), _) => Ok(Some(i)),
            (None, true) => Ok(None),
            (None, false) => {
                ch_bail!(
                    BAD_ARGUMENTS,
                    "Tuple doesn't have element with name '{name}'"
                )
            }
        };
    }
    let k = match c {
        ScalarValue::Int8(Some(v)) => *v as i64,
        ScalarValue::Int16(Some(v)) => *v as i64,
        ScalarValue::Int32(Some(v)) => *v as i64,
        ScalarValue::Int64(Some(v)) => *v,
        ScalarValue::UInt8(Some(v)) => *v as i64,
        ScalarValue::UInt16(Some(v)) => *v as i64,
        ScalarValue::UInt32(Some(v)) => *v as i64,
        ScalarValue::UInt64(Some(v)) => i64::try_from(*v).unwrap_or(i64::MAX),
        _ => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Second argument to tupleElement must be a constant Int, UInt or String"
        ),
    };
    if k >= 1 && (k as usize) <= elems.len() {
        return Ok(Some(k as usize - 1));
    }
    if has_default {
        return Ok(None);
    }
    ch_bail!(
        ARGUMENT_OUT_OF_BOUND,
        "Tuple doesn't have element with index '{k}'"
    )
}

fn tuple_element(a: &Args) -> Result<ArrayRef> {
    let Some((elems, in_array)) = tuple_of(&a.types[0]) else {
        ch_bail!(LOGICAL_ERROR, "tupleElement: argument is not a tuple");
    };
    let targs = TypeArgs {
        name: a.name,
        types: a.types.clone(),
        consts: a.consts.clone(),
        arrow: a.cols.iter().map(|c| c.data_type().clone()).collect(),
    };
    match tuple_index(&targs, elems)? {
        Some(i) if in_array => {
            let l = list(&a.cols[0], a.name)?;
            let values = Arc::clone(l.values().as_struct().column(i));
            build_list(&elems[i].1, l.value_offsets().to_vec(), values)
        }
        Some(i) => Ok(Arc::clone(a.cols[0].as_struct().column(i))),
        None => Ok(Arc::clone(&a.cols[2])),
    }
}

fn map_parts_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    let ChType::Map(k, v) = &a.types[0] else {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "First argument for function {} must be a Map, got {}",
            a.name,
            a.types[0]
        );
    };
    let t = if a.name == "mapKeys" { k } else { v };
    Ok(ChType::Array(t.clone()).into())
}

fn map_keys(a: &Args) -> Result<ArrayRef> {
    let m = a.cols[0].as_map();
    build_list(
        &elem_type(&a.ret.t),
        m.offsets().to_vec(),
        Arc::clone(m.keys()),
    )
}

fn map_values(a: &Args) -> Result<ArrayRef> {
    let m = a.cols[0].as_map();
    build_list(
        &elem_type(&a.ret.t),
        m.offsets().to_vec(),
        Arc::clone(m.values()),
    )
}

fn map_contains_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    let ChType::Map(k, _) = &a.types[0] else {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "First argument for function {} must be a Map, got {}",
            a.name,
            a.types[0]
        );
    };
    least_supertype(&[(**k).clone(), a.types[1].clone()])?;
    Ok(ChType::UInt8.into())
}

fn map_contains(a: &Args) -> Result<ArrayRef> {
    let ChType::Map(kt, _) = &a.types[0] else {
        ch_bail!(LOGICAL_ERROR, "mapContains: argument is not a map");
    };
    let m = a.cols[0].as_map();
    let st = least_supertype(&[(**kt).clone(), a.types[1].clone()])?;
    let keys = cast_col(m.keys(), &st)?;
    let needle = cast_col(&a.cols[1], &st)?;
    let eq = Eq::new(&[&keys, &needle])?;
    let off = m.value_offsets();
    Ok(Arc::new(UInt8Array::from_iter_values((0..a.rows).map(
        |r| u8::from((off[r] as usize..off[r + 1] as usize).any(|j| eq[0].eq(j, &eq[1], r))),
    ))))
}

fn has_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    if a.name == "has" && matches!(a.types[0], ChType::Map(..)) {
        return map_contains_type(a);
    }
    let ChType::Array(e) = &a.types[0] else {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "First argument for function {} must be an array, map or JSON. Actual {}",
            a.name,
            a.types[0]
        );
    };
    least_supertype(&[(**e).clone(), a.types[1].clone()])?;
    Ok(if a.name == "has" {
        ChType::UInt8
    } else {
        ChType::UInt64
    }
    .into())
}

/// For each row, the 1-based positions where the array equals the needle.
fn matches(a: &Args, mut f: impl FnMut(usize, usize)) -> Result<()> {
    let l = list(&a.cols[0], a.name)?;
    let st = least_supertype(&[elem_type(&a.types[0]), a.types[1].clone()])?;
    let values = cast_col(l.values(), &st)?;
    let needle = cast_col(&a.cols[1], &st)?;
    let eq = Eq::new(&[&values, &needle])?;
    for r in 0..a.rows {
        let rg = range_of(l, r);
        let start = rg.start;
        for j in rg {
            if eq[0].eq(j, &eq[1], r) {
                f(r, j - start + 1);
            }
        }
    }
    Ok(())
}

fn has(a: &Args) -> Result<ArrayRef> {
    if matches!(a.types[0], ChType::Map(..)) {
        return map_contains(a);
    }
    let mut out = vec![0u8; a.rows];
    matches(a, |r, _| out[r] = 1)?;
    Ok(Arc::new(UInt8Array::from(out)))
}

fn index_of(a: &Args) -> Result<ArrayRef> {
    let mut out = vec![0u64; a.rows];
    matches(a, |r, p| {
        if out[r] == 0 {
            out[r] = p as u64;
        }
    })?;
    Ok(Arc::new(UInt64Array::from(out)))
}

fn count_equal(a: &Args) -> Result<ArrayRef> {
    let mut out = vec![0u64; a.rows];
    matches(a, |r, _| out[r] += 1)?;
    Ok(Arc::new(UInt64Array::from(out)))
}

fn has_all_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    let mut elems = Vec::new();
    for (i, t) in a.types.iter().enumerate() {
        match t {
            ChType::Array(e) => elems.push((**e).clone()),
            _ => ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Argument {i} for function {} must be an array but it has type {t}.",
                a.name
            ),
        }
    }
    least_supertype(&elems)?;
    Ok(ChType::UInt8.into())
}

fn set_check(a: &Args, all: bool) -> Result<ArrayRef> {
    let l0 = list(&a.cols[0], a.name)?;
    let l1 = list(&a.cols[1], a.name)?;
    let st = least_supertype(&[elem_type(&a.types[0]), elem_type(&a.types[1])])?;
    let v0 = cast_col(l0.values(), &st)?;
    let v1 = cast_col(l1.values(), &st)?;
    let eq = Eq::new(&[&v0, &v1])?;
    let out = (0..a.rows).map(|r| {
        let r0 = range_of(l0, r);
        let mut r1 = range_of(l1, r);
        let found = |j: usize| r0.clone().any(|i| eq[0].eq(i, &eq[1], j));
        u8::from(if all { r1.all(found) } else { r1.any(found) })
    });
    Ok(Arc::new(UInt8Array::from_iter_values(out)))
}

fn has_all(a: &Args) -> Result<ArrayRef> {
    set_check(a, true)
}

fn has_any(a: &Args) -> Result<ArrayRef> {
    set_check(a, false)
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    fn arr(v: Vec<E>) -> E {
        call("array", v)
    }

    #[test]
    fn array_element() {
        // Oracle (00036 and ad-hoc): [1,2][0] = 0, [1,2,3][-1] = 3, [1,2,3][toInt64(-4)] = 0,
        // [NULL,1][5] = NULL (Nullable(UInt8)), [[1]][5] = [] (Array(UInt8)).
        assert_eq!(
            one(call("arrayElement", vec![arr(vec![n(1), n(2)]), n(0)])),
            "UInt8\t0"
        );
        assert_eq!(
            one(call(
                "arrayElement",
                vec![arr(vec![n(1), n(2), n(3)]), n(-1)]
            )),
            "UInt8\t3"
        );
        assert_eq!(
            one(call(
                "arrayElement",
                vec![arr(vec![n(1), n(2), n(3)]), n(-4)]
            )),
            "UInt8\t0"
        );
        assert_eq!(
            one(call("arrayElement", vec![arr(vec![null(), n(1)]), n(5)])),
            "Nullable(UInt8)\t\\N"
        );
        assert_eq!(
            one(call("arrayElement", vec![arr(vec![arr(vec![n(1)])]), n(5)])),
            "Array(UInt8)\t[]"
        );
        assert_eq!(
            one(call("arrayElement", vec![arr(vec![n(1), n(2)]), null()])),
            "Nullable(Nothing)\t\\N"
        );
        assert_code(call("arrayElement", vec![arr(vec![n(1)]), s("a")]), 43);
        assert_code(call("arrayElement", vec![n(1), n(1)]), 43);
    }

    #[test]
    fn array_element_columns() {
        // 00036_array_element: arr Array(Int32), id Int32 and arr Array(String), id Int32.
        use datafusion::arrow::array::{Int32Array, ListArray, StringArray};
        use datafusion::arrow::datatypes::Int32Type;
        use std::sync::Arc;
        let arrs = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(11), Some(12), Some(13)]),
            Some(vec![Some(11), Some(12)]),
            Some(vec![Some(11), Some(12), Some(13)]),
            Some(vec![Some(11), Some(12)]),
            Some(vec![Some(11), Some(12)]),
            Some(vec![Some(11)]),
        ]);
        let ids = Int32Array::from(vec![2, 3, -1, -2, -3, 0]);
        let e = call(
            "arrayElement",
            vec![
                col("Array(Int32)", Arc::new(arrs)),
                col("Int32", Arc::new(ids)),
            ],
        );
        assert_eq!(rows(e, 6), "12\n0\n13\n11\n0\n0");
        let strs = StringArray::from(vec![
            "Abc", "Df", "Q", "Abc", "DEFQ", "ABC", "Q", "ERT", "Ab", "ber", "AB", "asd", "A",
        ]);
        let offsets =
            datafusion::arrow::buffer::OffsetBuffer::new(vec![0, 3, 5, 8, 10, 12, 13].into());
        let field = Arc::new(datafusion::arrow::datatypes::Field::new(
            "item",
            datafusion::arrow::datatypes::DataType::Utf8,
            true,
        ));
        let arrs = ListArray::new(field, offsets, Arc::new(strs), None);
        let ids = Int32Array::from(vec![2, 3, -1, -2, -3, 0]);
        let e = call(
            "arrayElement",
            vec![
                col("Array(String)", Arc::new(arrs)),
                col("Int32", Arc::new(ids)),
            ],
        );
        assert_eq!(rows(e, 6), "Df\n\nERT\nAb\n\n");
    }

    #[test]
    fn map_element() {
        // Oracle: map('a',1)['b'] = 0; map(1,'a',2,'b')[2] = 'b'; map('a',1,'a',2)['a'] = 1;
        // map('a',[1])['z'] = [].
        let m = call("map", vec![s("a"), n(1)]);
        assert_eq!(one(call("arrayElement", vec![m, s("b")])), "UInt8\t0");
        let m = call("map", vec![n(1), s("a"), n(2), s("b")]);
        assert_eq!(one(call("arrayElement", vec![m, n(2)])), "String\tb");
        let m = call("map", vec![s("a"), n(1), s("a"), n(2)]);
        assert_eq!(one(call("arrayElement", vec![m, s("a")])), "UInt8\t1");
        let m = call("map", vec![s("a"), arr(vec![n(1)])]);
        assert_eq!(
            one(call("arrayElement", vec![m, s("z")])),
            "Array(UInt8)\t[]"
        );
        let m = call("map", vec![n(1), s("a")]);
        assert_code(call("arrayElement", vec![m, s("x")]), 43);
        let m = call("map", vec![s("a"), n(1)]);
        assert_eq!(one(call("mapKeys", vec![m])), "Array(String)\t['a']");
        let m = call("map", vec![s("a"), n(1)]);
        assert_eq!(one(call("mapContains", vec![m, s("a")])), "UInt8\t1");
        let m = call("map", vec![s("a"), n(1)]);
        assert_code(call("mapContains", vec![m, n(1)]), 386);
    }

    #[test]
    fn tuple_element() {
        // Oracle: (1,'a').2 = 'a'; tupleElement((1,2), 3, 'def') = 'def';
        // tupleElement((1,2), 3) → 69; tupleElement((1,2), 'x') → 36.
        let t = || call("tuple", vec![n(1), s("a")]);
        assert_eq!(one(call("tupleElement", vec![t(), n(2)])), "String\ta");
        assert_eq!(
            one(call("tupleElement", vec![t(), n(3), s("def")])),
            "String\tdef"
        );
        assert_code(call("tupleElement", vec![t(), n(3)]), 69);
        assert_code(call("tupleElement", vec![t(), n(0)]), 69);
        assert_code(call("tupleElement", vec![t(), s("x")]), 36);
        // Oracle: tupleElement([(1,'a'),(2,'b')], 2) = ['a','b']; toTypeName(… , 1) = Array(UInt8);
        // has(map('a',1), 'a') = 1; has(map('a',1), 'b') = 0.
        let ta = || {
            call(
                "array",
                vec![
                    call("tuple", vec![n(1), s("a")]),
                    call("tuple", vec![n(2), s("b")]),
                ],
            )
        };
        assert_eq!(
            one(call("tupleElement", vec![ta(), n(2)])),
            "Array(String)\t['a','b']"
        );
        assert_eq!(
            one(call("tupleElement", vec![ta(), n(1)])),
            "Array(UInt8)\t[1,2]"
        );
        let m = || call("map", vec![s("a"), n(1)]);
        assert_eq!(one(call("has", vec![m(), s("a")])), "UInt8\t1");
        assert_eq!(one(call("has", vec![m(), s("b")])), "UInt8\t0");
    }

    #[test]
    fn membership() {
        // Oracle: has([nan], nan) = 0; has([NULL, 1], NULL) = 1; indexOf([NULL, 1], NULL) = 1;
        // has([1, 2], NULL) = 0; countEqual([1, NULL, NULL], NULL) = 2; has([0., -0.], -0.) = 1;
        // indexOf([1,2,3], 3) = 3; has([[1,2]], [1,2]) = 1; has([1], 'a') → 386.
        assert_eq!(
            one(call("has", vec![arr(vec![f(f64::NAN)]), f(f64::NAN)])),
            "UInt8\t0"
        );
        assert_eq!(
            one(call("has", vec![arr(vec![null(), n(1)]), null()])),
            "UInt8\t1"
        );
        assert_eq!(
            one(call("indexOf", vec![arr(vec![null(), n(1)]), null()])),
            "UInt64\t1"
        );
        assert_eq!(
            one(call("has", vec![arr(vec![n(1), n(2)]), null()])),
            "UInt8\t0"
        );
        assert_eq!(
            one(call(
                "countEqual",
                vec![arr(vec![n(1), null(), null()]), null()]
            )),
            "UInt64\t2"
        );
        assert_eq!(
            one(call("has", vec![arr(vec![f(0.0), f(-0.0)]), f(-0.0)])),
            "UInt8\t1"
        );
        assert_eq!(
            one(call("indexOf", vec![arr(vec![n(1), n(2), n(3)]), n(3)])),
            "UInt64\t3"
        );
        assert_eq!(
            one(call(
                "has",
                vec![arr(vec![arr(vec![n(1), n(2)])]), arr(vec![n(1), n(2)])]
            )),
            "UInt8\t1"
        );
        assert_eq!(
            one(call("has", vec![arr(vec![n(1), n(2)]), n(300)])),
            "UInt8\t0"
        );
        assert_code(call("has", vec![arr(vec![n(1)]), s("a")]), 386);
        assert_code(call("has", vec![null(), n(1)]), 43);
    }

    #[test]
    fn has_all_any() {
        // Oracle: 00555_hasAll_hasAny.
        let e = || arr(vec![]);
        assert_eq!(one(call("hasAll", vec![e(), e()])), "UInt8\t1");
        assert_eq!(one(call("hasAll", vec![e(), arr(vec![n(1)])])), "UInt8\t0");
        assert_eq!(
            one(call("hasAll", vec![e(), arr(vec![null()])])),
            "UInt8\t0"
        );
        assert_eq!(
            one(call("hasAll", vec![arr(vec![null()]), arr(vec![null()])])),
            "UInt8\t1"
        );
        assert_eq!(
            one(call(
                "hasAll",
                vec![arr(vec![null()]), arr(vec![null(), n(1)])]
            )),
            "UInt8\t0"
        );
        assert_eq!(one(call("hasAll", vec![arr(vec![n(1)]), e()])), "UInt8\t1");
        assert_eq!(
            one(call("hasAll", vec![arr(vec![n(1)]), arr(vec![null()])])),
            "UInt8\t0"
        );
        assert_eq!(
            one(call(
                "hasAll",
                vec![arr(vec![n(1), null()]), arr(vec![null()])]
            )),
            "UInt8\t1"
        );
        assert_eq!(one(call("hasAny", vec![e(), e()])), "UInt8\t0");
        assert_eq!(
            one(call(
                "hasAny",
                vec![arr(vec![null()]), arr(vec![null(), n(1)])]
            )),
            "UInt8\t1"
        );
        assert_eq!(
            one(call("hasAny", vec![arr(vec![n(1)]), arr(vec![null()])])),
            "UInt8\t0"
        );
        assert_eq!(
            one(call(
                "hasAny",
                vec![arr(vec![n(-128), f(1.0), n(512)]), arr(vec![f(1.0)])]
            )),
            "UInt8\t1"
        );
        assert_eq!(
            one(call(
                "hasAll",
                vec![
                    arr(vec![n(-128), f(1.0), n(512)]),
                    arr(vec![f(1.0), n(513)])
                ]
            )),
            "UInt8\t0"
        );
        assert_eq!(
            one(call(
                "hasAny",
                vec![arr(vec![s("a"), s("b")]), arr(vec![s("a"), s("c")])]
            )),
            "UInt8\t1"
        );
        assert_code(
            call("hasAny", vec![arr(vec![n(1)]), arr(vec![s("a")])]),
            386,
        );
        let nested = || arr(vec![arr(vec![n(1), n(2)]), arr(vec![n(3), n(4)])]);
        assert_code(
            call("hasAll", vec![nested(), arr(vec![s("a"), s("c")])]),
            386,
        );
        assert_eq!(
            one(call(
                "hasAll",
                vec![
                    nested(),
                    arr(vec![arr(vec![n(1), n(2)]), arr(vec![n(3), n(5)])])
                ]
            )),
            "UInt8\t0"
        );
        assert_eq!(
            one(call(
                "hasAny",
                vec![
                    nested(),
                    arr(vec![arr(vec![n(1), n(2)]), arr(vec![n(3), n(5)])])
                ]
            )),
            "UInt8\t1"
        );
    }
}
