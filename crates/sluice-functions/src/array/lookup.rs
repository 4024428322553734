//! `transform(x, from, to[, default])`: maps values found in the constant array `from` to
//! the element at the same position of `to`; other values become `default` (or stay `x`).
//!
//! Result type: the least supertype of `to`'s elements and `default` (or `x`). A NULL `x`
//! never matches (so `transform(NULL, …, d)` = `d`).

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::compute::interleave;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::element::Eq;
use super::lists::{cast_col, elem_type, list, null_at, range_of};
use super::supertype::least_supertype;
use crate::ch_bail;
use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Nulls, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("transform", transform_type, transform)
            .nulls(Nulls::Custom)
            .no_low_card()
            .build(),
    ]
}

fn signature_error() -> datafusion::error::DataFusionError {
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
        "Function transform has signature: transform(T, Array(T), Array(U), U) -> U; or transform(T, Array(T), Array(T)) -> T; where T and U are types",
    ))
}

/// The result type `transform` gives values of types `a` and `b`.
fn result_type(a: &ChType, b: &ChType) -> Result<ChType> {
    least_supertype(&[a.clone(), b.clone()]).map_err(|_| signature_error())
}

fn transform_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 3, 4)?;
    let (ChType::Array(from), ChType::Array(to)) = (&a.types[1], &a.types[2]) else {
        return Err(signature_error());
    };
    // The constness of `from`/`to` is checked by the kernel: while a query is planned, an
    // array literal is still an `array(…)` call that only becomes a constant when folded.
    least_supertype(&[a.types[0].non_nullable(), (**from).clone()])
        .map_err(|_| signature_error())?;
    let t = if a.types.len() == 4 {
        result_type(to, &a.types[3])?
    } else {
        result_type(&a.types[0], to)?
    };
    Ok(t.into())
}

fn transform(a: &Args) -> Result<ArrayRef> {
    for i in [1, 2] {
        if !a.consts.get(i).is_some_and(|c| c.is_some()) {
            ch_bail!(
                ILLEGAL_COLUMN,
                "Argument at index {i} for function transform must be constant"
            );
        }
    }
    let from_l = list(&a.cols[1], a.name)?;
    let to_l = list(&a.cols[2], a.name)?;
    let (from_r, to_r) = (range_of(from_l, 0), range_of(to_l, 0));
    if from_r.len() != to_r.len() {
        ch_bail!(
            BAD_ARGUMENTS,
            "Second and third arguments of function transform must be arrays of same size"
        );
    }
    let from_t = elem_type(&a.types[1]);
    let cmp_t = least_supertype(&[a.types[0].non_nullable(), from_t])?;
    let x = cast_col(&a.cols[0], &cmp_t.clone().into_nullable())?;
    let from = cast_col(
        &from_l.values().slice(from_r.start, from_r.len()),
        &cmp_t.into_nullable(),
    )?;
    let eq = Eq::new(&[&x, &from])?;
    let ret = &a.ret.t;
    let to = cast_col(&to_l.values().slice(to_r.start, to_r.len()), ret)?;
    let fallback = match a.cols.get(3) {
        Some(d) => cast_col(d, ret)?,
        None => cast_col(&a.cols[0], ret)?,
    };
    let idx: Vec<(usize, usize)> = (0..a.rows)
        .map(|r| {
            if null_at(x.as_ref(), r) {
                return (1, r);
            }
            match (0..from.len()).find(|j| eq[0].eq(r, &eq[1], *j)) {
                Some(j) => (0, j),
                None => (1, r),
            }
        })
        .collect();
    Ok(interleave(&[to.as_ref(), fallback.as_ref()], &idx)?)
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;
    use datafusion::common::ScalarValue;

    fn arr(v: Vec<E>) -> E {
        call("array", v)
    }

    #[test]
    fn transforms() {
        // Oracle: transform(2, [1,2,3], ['a','b','c'], 'z') = 'b' :: String; (5, …) = 'z';
        // transform(2, [1,2], [10,20]) = 20; transform(5, [1,2], [10,20]) = 5;
        // transform(5, [1], [1000]) :: UInt16; transform(toInt16(5), [1], [1000]) :: Int32;
        // transform(5, [1,2], [10,-1]) :: Int16; transform(1, [1], [-1], 300) :: Int32;
        // transform(NULL, [1], [2], 0) = 0; transform(1, [1,1], [2,3], 0) = 2;
        // transform(1, [1], ['a']) → 43; transform(1, [1,2], [2]) → 36.
        let abc = || arr(vec![s("a"), s("b"), s("c")]);
        let f123 = || arr(vec![n(1), n(2), n(3)]);
        assert_eq!(
            one(call("transform", vec![n(2), f123(), abc(), s("z")])),
            "String\tb"
        );
        assert_eq!(
            one(call("transform", vec![n(5), f123(), abc(), s("z")])),
            "String\tz"
        );
        let f12 = || arr(vec![n(1), n(2)]);
        assert_eq!(
            one(call(
                "transform",
                vec![n(2), f12(), arr(vec![n(10), n(20)])]
            )),
            "UInt8\t20"
        );
        assert_eq!(
            one(call(
                "transform",
                vec![n(5), f12(), arr(vec![n(10), n(20)])]
            )),
            "UInt8\t5"
        );
        assert_eq!(
            one(call(
                "transform",
                vec![n(5), arr(vec![n(1)]), arr(vec![n(1000)])]
            )),
            "UInt16\t5"
        );
        let i16v = typed("Int16", ScalarValue::Int16(Some(5)));
        assert_eq!(
            one(call(
                "transform",
                vec![i16v, arr(vec![n(1)]), arr(vec![n(1000)])]
            )),
            "Int32\t5"
        );
        assert_eq!(
            one(call(
                "transform",
                vec![n(5), f12(), arr(vec![n(10), n(-1)])]
            )),
            "Int16\t5"
        );
        assert_eq!(
            one(call(
                "transform",
                vec![n(1), arr(vec![n(1)]), arr(vec![n(-1)]), n(300)]
            )),
            "Int32\t-1"
        );
        assert_eq!(
            one(call(
                "transform",
                vec![null(), arr(vec![n(1)]), arr(vec![n(2)]), n(0)]
            )),
            "UInt8\t0"
        );
        assert_eq!(
            one(call(
                "transform",
                vec![n(1), arr(vec![n(1), n(1)]), arr(vec![n(2), n(3)]), n(0)]
            )),
            "UInt8\t2"
        );
        assert_code(
            call("transform", vec![n(1), arr(vec![n(1)]), arr(vec![s("a")])]),
            43,
        );
        assert_code(call("transform", vec![n(1), f12(), arr(vec![n(2)])]), 36);
    }
}
