//! Constructors: `array(…)` (`[…]` literals), `tuple(…)`, `map(k, v, …)`, `range`,
//! `emptyArray<T>()`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Int64Array, StructArray, UInt64Array};
use datafusion::arrow::compute::interleave;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::lists::{build_list, build_map, cast_col, default_array};
use super::supertype::least_supertype;
use crate::ch_bail;
use crate::string::col::ints;
use crate::string::rules::{arity, illegal, is_int};
use crate::string::udf::{Args, ChUdf, Nulls, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    let mut v = vec![
        ChUdf::new("array", array_type, array)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        ChUdf::new("tuple", tuple_type, tuple)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        // `__ch_map`: the engine's name for ClickHouse's `map(k, v, …)`, because DataFusion's
        // SQL planner takes over any function called `map`.
        ChUdf::new("map", map_type, map)
            .ci_aliases(&["__ch_map"])
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        ChUdf::new("mapFromArrays", from_arrays_type, map_from_arrays)
            .no_low_card()
            .build(),
        ChUdf::new("range", range_type, range).build(),
        ChUdf::new("arrayWithConstant", with_constant_type, array_with_constant)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
        ChUdf::new("emptyArrayToSingle", to_single_type, empty_array_to_single)
            .no_low_card()
            .build(),
    ];
    for (name, _) in EMPTY_ARRAYS {
        v.push(ChUdf::new(name, empty_array_type, empty_array).build());
    }
    v
}

const EMPTY_ARRAYS: [(&str, &str); 14] = [
    ("emptyArrayUInt8", "UInt8"),
    ("emptyArrayUInt16", "UInt16"),
    ("emptyArrayUInt32", "UInt32"),
    ("emptyArrayUInt64", "UInt64"),
    ("emptyArrayInt8", "Int8"),
    ("emptyArrayInt16", "Int16"),
    ("emptyArrayInt32", "Int32"),
    ("emptyArrayInt64", "Int64"),
    ("emptyArrayFloat32", "Float32"),
    ("emptyArrayFloat64", "Float64"),
    ("emptyArrayDate", "Date"),
    ("emptyArrayDateTime", "DateTime"),
    ("emptyArrayString", "String"),
    ("emptyArrayUUID", "UUID"),
];

fn array_type(a: &TypeArgs) -> Result<Ret> {
    Ok(ChType::Array(Box::new(least_supertype(&a.types)?)).into())
}

fn array(a: &Args) -> Result<ArrayRef> {
    let ChType::Array(elem) = &a.ret.t else {
        ch_bail!(LOGICAL_ERROR, "array: result type is not an array");
    };
    let n = a.cols.len();
    if n == 0 {
        return default_array(&a.ret.t, a.rows);
    }
    let cast: Vec<ArrayRef> = a
        .cols
        .iter()
        .map(|c| cast_col(c, elem))
        .collect::<Result<_>>()?;
    let refs: Vec<&dyn Array> = cast.iter().map(|c| c.as_ref()).collect();
    let mut idx = Vec::with_capacity(n * a.rows);
    for row in 0..a.rows {
        for arg in 0..n {
            idx.push((arg, row));
        }
    }
    let values = interleave(&refs, &idx)?;
    let offsets = (0..=a.rows).map(|r| (r * n) as i32).collect();
    build_list(elem, offsets, values)
}

fn tuple_type(a: &TypeArgs) -> Result<Ret> {
    Ok(ChType::Tuple(a.types.iter().map(|t| (None, t.clone())).collect()).into())
}

fn tuple(a: &Args) -> Result<ArrayRef> {
    let DataType::Struct(fields) = a.ret_arrow() else {
        ch_bail!(LOGICAL_ERROR, "tuple: result type is not a struct");
    };
    if a.cols.is_empty() {
        return Ok(Arc::new(StructArray::new_empty_fields(a.rows, None)));
    }
    let cols = a
        .cols
        .iter()
        .zip(&a.types)
        .map(|(c, t)| cast_col(c, t))
        .collect::<Result<_>>()?;
    Ok(Arc::new(StructArray::try_new(fields, cols, None)?))
}

fn map_type(a: &TypeArgs) -> Result<Ret> {
    if !a.types.len().is_multiple_of(2) {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Function map requires even number of arguments, but {} given",
            a.types.len()
        );
    }
    let keys: Vec<ChType> = a.types.iter().step_by(2).cloned().collect();
    let vals: Vec<ChType> = a.types.iter().skip(1).step_by(2).cloned().collect();
    let k = least_supertype(&keys)?;
    if k.is_nullable() {
        ch_bail!(BAD_ARGUMENTS, "Map cannot have a key of type {k}");
    }
    let v = least_supertype(&vals)?;
    Ok(ChType::Map(Box::new(k), Box::new(v)).into())
}

fn map(a: &Args) -> Result<ArrayRef> {
    let ChType::Map(kt, vt) = &a.ret.t else {
        ch_bail!(LOGICAL_ERROR, "map: result type is not a map");
    };
    let pairs = a.cols.len() / 2;
    if pairs == 0 {
        // Arrow map keys cannot have the (always nullable) Null type of `Nothing`.
        ch_bail!(
            NOT_IMPLEMENTED,
            "map() without arguments (type Map(Nothing, Nothing)) is not supported"
        );
    }
    let keys: Vec<ArrayRef> = a
        .cols
        .iter()
        .step_by(2)
        .map(|c| cast_col(c, kt))
        .collect::<Result<_>>()?;
    let vals: Vec<ArrayRef> = a
        .cols
        .iter()
        .skip(1)
        .step_by(2)
        .map(|c| cast_col(c, vt))
        .collect::<Result<_>>()?;
    let mut idx = Vec::with_capacity(pairs * a.rows);
    for row in 0..a.rows {
        for p in 0..pairs {
            idx.push((p, row));
        }
    }
    let krefs: Vec<&dyn Array> = keys.iter().map(|c| c.as_ref()).collect();
    let vrefs: Vec<&dyn Array> = vals.iter().map(|c| c.as_ref()).collect();
    let k = interleave(&krefs, &idx)?;
    let v = interleave(&vrefs, &idx)?;
    let offsets = (0..=a.rows).map(|r| (r * pairs) as i32).collect();
    build_map(kt, vt, offsets, k, v, None)
}

fn from_arrays_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    let (ChType::Array(k), ChType::Array(v)) = (&a.types[0], &a.types[1]) else {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Arguments of function mapFromArrays must be arrays, got {} and {}",
            a.types[0],
            a.types[1]
        );
    };
    if k.is_nullable() {
        ch_bail!(BAD_ARGUMENTS, "Map cannot have a key of type {k}");
    }
    Ok(ChType::Map(k.clone(), v.clone()).into())
}

/// `mapFromArrays(keys, values)`: a map from two arrays of equal length.
fn map_from_arrays(a: &Args) -> Result<ArrayRef> {
    let ChType::Map(kt, vt) = &a.ret.t else {
        ch_bail!(LOGICAL_ERROR, "mapFromArrays: result type is not a map");
    };
    let kl = super::lists::list(&a.cols[0], a.name)?;
    let vl = super::lists::list(&a.cols[1], a.name)?;
    let mut offsets = vec![0i32];
    let (mut ki, mut vi) = (Vec::new(), Vec::new());
    for r in 0..a.rows {
        let (kr, vr) = (super::lists::range_of(kl, r), super::lists::range_of(vl, r));
        if kr.len() != vr.len() {
            ch_bail!(
                SIZES_OF_ARRAYS_DOESNT_MATCH,
                "Two arguments of function mapFromArrays must have equal sizes"
            );
        }
        ki.extend(kr.map(|j| j as u32));
        vi.extend(vr.map(|j| j as u32));
        offsets.push(ki.len() as i32);
    }
    let take = |vals: &ArrayRef, idx: Vec<u32>| {
        datafusion::arrow::compute::take(
            vals.as_ref(),
            &datafusion::arrow::array::UInt32Array::from(idx),
            None,
        )
    };
    let keys = cast_col(&take(kl.values(), ki)?, kt)?;
    let values = cast_col(&take(vl.values(), vi)?, vt)?;
    build_map(kt, vt, offsets, keys, values, None)
}

/// ClickHouse's limit on the total number of elements one `range` call may produce.
const MAX_RANGE_ELEMENTS: i128 = 500_000_000;

fn range_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 3)?;
    for (i, t) in a.types.iter().enumerate() {
        if !is_int(t) || *t == ChType::Bool {
            return Err(illegal_range(a, i));
        }
    }
    Ok(ChType::Array(Box::new(least_supertype(&a.types)?)).into())
}

fn illegal_range(a: &TypeArgs, i: usize) -> datafusion::error::DataFusionError {
    let _ = illegal(a, i);
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
        format!("Illegal type {} of argument of function range", a.types[i]),
    ))
}

fn range(a: &Args) -> Result<ArrayRef> {
    let ChType::Array(elem) = &a.ret.t else {
        ch_bail!(LOGICAL_ERROR, "range: result type is not an array");
    };
    let unsigned64 = |i: usize| -> Result<Vec<i128>> {
        if *a.cols[i].data_type() == DataType::UInt64 {
            let c = datafusion::common::cast::as_uint64_array(&a.cols[i])?;
            Ok(c.values().iter().map(|v| *v as i128).collect())
        } else {
            Ok(ints(&a.cols[i], a.name)?
                .into_iter()
                .map(|v| v as i128)
                .collect())
        }
    };
    let (start, end, step) = match a.cols.len() {
        1 => (vec![0i128; a.rows], unsigned64(0)?, vec![1i128; a.rows]),
        2 => (unsigned64(0)?, unsigned64(1)?, vec![1i128; a.rows]),
        _ => (unsigned64(0)?, unsigned64(1)?, unsigned64(2)?),
    };
    let mut total: i128 = 0;
    let mut counts = Vec::with_capacity(a.rows);
    for r in 0..a.rows {
        let (s, e, st) = (start[r], end[r], step[r]);
        if st == 0 {
            ch_bail!(
                ARGUMENT_OUT_OF_BOUND,
                "A call to function range underflows, the 3rd argument step can't be less or equal to zero"
            );
        }
        let c = if st > 0 {
            if e > s { (e - s + st - 1) / st } else { 0 }
        } else if s > e {
            (s - e + (-st) - 1) / (-st)
        } else {
            0
        };
        total += c;
        counts.push(c);
    }
    if total > MAX_RANGE_ELEMENTS {
        ch_bail!(
            ARGUMENT_OUT_OF_BOUND,
            "A call to function range would produce {total} array elements, which is greater than the allowed maximum of {MAX_RANGE_ELEMENTS}"
        );
    }
    let mut offsets = Vec::with_capacity(a.rows + 1);
    offsets.push(0i32);
    // Values are generated straight into 64-bit storage (up to 500M elements).
    let mut done = 0usize;
    let mut gen_values = |push: &mut dyn FnMut(i128)| {
        for r in 0..a.rows {
            let mut v = start[r];
            for _ in 0..counts[r] {
                push(v);
                v += step[r];
            }
            done += counts[r] as usize;
            offsets.push(done as i32);
        }
    };
    let values: ArrayRef = if **elem == ChType::UInt64 {
        let mut vals: Vec<u64> = Vec::with_capacity(total as usize);
        gen_values(&mut |v| vals.push(v as u64));
        Arc::new(UInt64Array::from(vals))
    } else {
        let mut vals: Vec<i64> = Vec::with_capacity(total as usize);
        gen_values(&mut |v| vals.push(v as i64));
        Arc::new(Int64Array::from(vals))
    };
    build_list(elem, offsets, values)
}

fn with_constant_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    if !is_int(a.types[0].base()) {
        return Err(illegal(a, 0));
    }
    Ok(ChType::Array(Box::new(a.types[1].clone())).into())
}

/// `arrayWithConstant(n, x)`: `n` copies of `x`.
fn array_with_constant(a: &Args) -> Result<ArrayRef> {
    let ChType::Array(elem) = &a.ret.t else {
        ch_bail!(
            LOGICAL_ERROR,
            "arrayWithConstant: result type is not an array"
        );
    };
    let counts = ints(&a.cols[0], a.name)?;
    let mut offsets = Vec::with_capacity(a.rows + 1);
    offsets.push(0i32);
    let mut idx = Vec::new();
    for (r, &c) in counts.iter().enumerate() {
        if c < 0 {
            return Err(crate::util::ch_error(sluice_common::Error::new(
                sluice_common::ErrorCode::TOO_LARGE_ARRAY_SIZE,
                format!("Array size {c} cannot be negative"),
            )));
        }
        if c > 1 << 30 {
            return Err(crate::util::ch_error(sluice_common::Error::new(
                sluice_common::ErrorCode::TOO_LARGE_ARRAY_SIZE,
                format!("Too large array size: {c}, maximum: {}", 1 << 30),
            )));
        }
        idx.extend(std::iter::repeat_n(r as u32, c as usize));
        offsets.push(idx.len() as i32);
    }
    let x = cast_col(&a.cols[1], elem)?;
    let values = datafusion::arrow::compute::take(
        x.as_ref(),
        &datafusion::arrow::array::UInt32Array::from(idx),
        None,
    )?;
    build_list(elem, offsets, values)
}

fn to_single_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    match &a.types[0] {
        ChType::Array(_) => Ok(a.types[0].clone().into()),
        _ => Err(illegal(a, 0)),
    }
}

/// `emptyArrayToSingle(arr)`: an empty array becomes one default element.
fn empty_array_to_single(a: &Args) -> Result<ArrayRef> {
    let ChType::Array(elem) = &a.ret.t else {
        ch_bail!(
            LOGICAL_ERROR,
            "emptyArrayToSingle: result type is not an array"
        );
    };
    let l = super::lists::list(&a.cols[0], a.name)?;
    let values = cast_col(l.values(), elem)?;
    let def = default_array(elem, 1)?;
    let all = datafusion::arrow::compute::concat(&[values.as_ref(), def.as_ref()])?;
    let mut offsets = vec![0i32];
    let mut idx: Vec<u32> = Vec::new();
    for r in 0..a.rows {
        let rg = super::lists::range_of(l, r);
        if rg.is_empty() {
            idx.push(values.len() as u32);
        } else {
            idx.extend(rg.map(|j| j as u32));
        }
        offsets.push(idx.len() as i32);
    }
    let out = datafusion::arrow::compute::take(
        all.as_ref(),
        &datafusion::arrow::array::UInt32Array::from(idx),
        None,
    )?;
    build_list(elem, offsets, out)
}

fn empty_array_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 0, 0)?;
    let t = EMPTY_ARRAYS
        .iter()
        .find(|(n, _)| *n == a.name)
        .and_then(|(_, t)| ChType::parse(t).ok())
        .unwrap_or(ChType::Nothing);
    Ok(ChType::Array(Box::new(t)).into())
}

fn empty_array(a: &Args) -> Result<ArrayRef> {
    default_array(&a.ret.t, a.rows)
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;

    #[test]
    fn array_literals() {
        // Oracle: SELECT toTypeName([1, -1]), [1, -1] etc.
        assert_eq!(
            one(call("array", vec![n(1), n(-1)])),
            "Array(Int16)\t[1,-1]"
        );
        assert_eq!(
            one(call("array", vec![n(1), f(2.5)])),
            "Array(Float64)\t[1,2.5]"
        );
        assert_eq!(
            one(call("array", vec![n(1), null()])),
            "Array(Nullable(UInt8))\t[1,NULL]"
        );
        assert_eq!(one(call("array", vec![])), "Array(Nothing)\t[]");
        assert_eq!(
            one(call("array", vec![null()])),
            "Array(Nullable(Nothing))\t[NULL]"
        );
        assert_eq!(
            one(call(
                "array",
                vec![call("array", vec![n(1)]), call("array", vec![null()])]
            )),
            "Array(Array(Nullable(UInt8)))\t[[1],[NULL]]"
        );
        assert_code(call("array", vec![n(1), s("a")]), 386);
    }

    #[test]
    fn tuples_and_maps() {
        // Oracle: toTypeName(tuple(1, 'a', NULL)) = Tuple(UInt8, String, Nullable(Nothing)).
        assert_eq!(
            one(call("tuple", vec![n(1), s("a"), null()])),
            "Tuple(UInt8, String, Nullable(Nothing))\t(1,'a',NULL)"
        );
        // Oracle: map() = {} :: Map(Nothing, Nothing) — not representable in Arrow.
        assert_code(call("map", vec![]), 48);
        assert_eq!(
            one(call("map", vec![s("a"), n(1), s("b"), f(2.5)])),
            "Map(String, Float64)\t{'a':1,'b':2.5}"
        );
        assert_code(call("map", vec![s("a"), n(1), s("b")]), 42);
        // Oracle: mapFromArrays(['a','b'], [1,2]) = {'a':1,'b':2} :: Map(String, UInt8);
        // mapFromArrays(['a'], [1, 2]) → 190.
        let ab = || call("array", vec![s("a"), s("b")]);
        assert_eq!(
            one(call(
                "mapFromArrays",
                vec![ab(), call("array", vec![n(1), n(2)])]
            )),
            "Map(String, UInt8)\t{'a':1,'b':2}"
        );
        assert_code(
            call(
                "mapFromArrays",
                vec![call("array", vec![s("a")]), call("array", vec![n(1), n(2)])],
            ),
            190,
        );
        // Oracle: map(toNullable('a'), 1) → Code 36 BAD_ARGUMENTS.
        let key = typed(
            "Nullable(String)",
            datafusion::common::ScalarValue::Utf8(Some("a".into())),
        );
        assert_code(call("map", vec![key, n(1)]), 36);
    }

    #[test]
    fn ranges() {
        // Oracle: toTypeName(range(5)) = Array(UInt8); range(-1, 5) → Array(Int16);
        // range(5, 0, -1) = [5,4,3,2,1]; range(toInt8(1), toUInt32(10), 2) → Array(Int64).
        assert_eq!(one(call("range", vec![n(5)])), "Array(UInt8)\t[0,1,2,3,4]");
        assert_eq!(
            one(call("range", vec![n(-1), n(5)])),
            "Array(Int16)\t[-1,0,1,2,3,4]"
        );
        assert_eq!(
            one(call("range", vec![n(5), n(0), n(-1)])),
            "Array(Int16)\t[5,4,3,2,1]"
        );
        assert_eq!(
            one(call("range", vec![n(1), n(5), n(2)])),
            "Array(UInt8)\t[1,3]"
        );
        assert_code(call("range", vec![f(3.5)]), 43);
        assert_code(call("range", vec![n(1), n(5), n(0)]), 69);
        assert_code(call("range", vec![n(10_000_000_000)]), 69);
        assert_eq!(one(call("range", vec![null()])), "Nullable(Nothing)\t\\N");
        assert_eq!(one(call("emptyArrayUInt8", vec![])), "Array(UInt8)\t[]");
        // Oracle: arrayWithConstant(3, 'a') = ['a','a','a']; arrayWithConstant(0, 1) = [];
        // toTypeName(arrayWithConstant(2, NULL)) = Array(Nullable(Nothing));
        // arrayWithConstant(-1, 1) → 128; emptyArrayToSingle([1,2]) = [1,2];
        // emptyArrayToSingle(emptyArrayString()) = ['']; emptyArrayToSingle([[1]]) = [[1]];
        // emptyArrayToSingle(CAST([] AS Array(Nullable(UInt8)))) = [NULL].
        assert_eq!(
            one(call("arrayWithConstant", vec![n(3), s("a")])),
            "Array(String)\t['a','a','a']"
        );
        assert_eq!(
            one(call("arrayWithConstant", vec![n(0), n(1)])),
            "Array(UInt8)\t[]"
        );
        assert_eq!(
            one(call("arrayWithConstant", vec![n(2), null()])),
            "Array(Nullable(Nothing))\t[NULL,NULL]"
        );
        assert_code(call("arrayWithConstant", vec![n(-1), n(1)]), 128);
        assert_eq!(
            one(call(
                "emptyArrayToSingle",
                vec![call("array", vec![n(1), n(2)])]
            )),
            "Array(UInt8)\t[1,2]"
        );
        assert_eq!(
            one(call(
                "emptyArrayToSingle",
                vec![call("emptyArrayString", vec![])]
            )),
            "Array(String)\t['']"
        );
        assert_eq!(
            one(call(
                "emptyArrayToSingle",
                vec![call("array", vec![null()])]
            )),
            "Array(Nullable(Nothing))\t[NULL]"
        );
    }
}
