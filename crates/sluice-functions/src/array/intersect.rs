//! `arrayIntersect(a1, a2, …)`: the distinct elements of `a1` present in every other array,
//! in `a1`'s order.
//!
//! ClickHouse first casts every array to the element types' *most subtype* (checked against
//! the oracle): integers win over floats, the narrowest integer wins (unsigned on a tie,
//! `UInt16` with `Int8` → `Int8`), `FixedString` wins over `String`, and the result is
//! `Nullable` only when every element type is. Other mixes are `NOT_IMPLEMENTED`.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use super::element::Eq;
use super::lists::{cast_col, elem_type, list, range_of};
use super::transform::{gather, want_array};
use crate::ch_bail;
use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("arrayIntersect", intersect_type, intersect)
            .no_low_card()
            .build(),
    ]
}

fn int_bits(t: &ChType) -> Option<(bool, u32)> {
    Some(match t {
        ChType::UInt8 | ChType::Bool => (false, 8),
        ChType::UInt16 => (false, 16),
        ChType::UInt32 => (false, 32),
        ChType::UInt64 => (false, 64),
        ChType::Int8 => (true, 8),
        ChType::Int16 => (true, 16),
        ChType::Int32 => (true, 32),
        ChType::Int64 => (true, 64),
        _ => return None,
    })
}

/// ClickHouse's most subtype of `types` (the cases this function needs).
fn most_subtype(types: &[ChType]) -> Result<ChType> {
    let Some(first) = types.first() else {
        return Ok(ChType::Nothing);
    };
    if types.iter().all(|t| t == first) {
        return Ok(first.clone());
    }
    if types.contains(&ChType::Nothing) {
        return Ok(ChType::Nothing);
    }
    if types.iter().any(|t| matches!(t, ChType::Nullable(_))) {
        let all = types.iter().all(|t| matches!(t, ChType::Nullable(_)));
        let inner: Vec<ChType> = types.iter().map(|t| t.non_nullable()).collect();
        let s = most_subtype(&inner)?;
        return Ok(if all { s.into_nullable() } else { s });
    }
    let ints: Vec<(bool, u32)> = types.iter().filter_map(int_bits).collect();
    let floats = types
        .iter()
        .filter(|t| matches!(t, ChType::Float32 | ChType::Float64))
        .count();
    if ints.len() + floats == types.len() {
        if ints.is_empty() {
            return Ok(if types.contains(&ChType::Float32) {
                ChType::Float32
            } else {
                ChType::Float64
            });
        }
        let min_u = ints.iter().filter(|i| !i.0).map(|i| i.1).min();
        let min_s = ints.iter().filter(|i| i.0).map(|i| i.1).min();
        let (signed, bits) = match (min_u, min_s) {
            (Some(u), Some(s)) if s < u => (true, s),
            (Some(u), _) => (false, u),
            (None, Some(s)) => (true, s),
            (None, None) => (false, 8),
        };
        return Ok(match (signed, bits) {
            (false, 8) => ChType::UInt8,
            (false, 16) => ChType::UInt16,
            (false, 32) => ChType::UInt32,
            (false, _) => ChType::UInt64,
            (true, 8) => ChType::Int8,
            (true, 16) => ChType::Int16,
            (true, 32) => ChType::Int32,
            (true, _) => ChType::Int64,
        });
    }
    if types
        .iter()
        .all(|t| matches!(t, ChType::String | ChType::FixedString(_)))
    {
        let fixed: Vec<&ChType> = types
            .iter()
            .filter(|t| matches!(t, ChType::FixedString(_)))
            .collect();
        if fixed.iter().all(|t| *t == fixed[0]) {
            return Ok(fixed[0].clone());
        }
    }
    let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
    ch_bail!(
        NOT_IMPLEMENTED,
        "arrayIntersect over element types {} is not implemented",
        names.join(", ")
    )
}

fn intersect_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, usize::MAX)?;
    let mut elems = Vec::new();
    for i in 0..a.types.len() {
        elems.push(want_array(a, i)?);
    }
    Ok(ChType::Array(Box::new(most_subtype(&elems)?)).into())
}

fn intersect(a: &Args) -> Result<ArrayRef> {
    // Values that do not fit the narrower type become NULL here and never match (ClickHouse
    // would wrap them; such mixes are rare).
    let elem = elem_type(&a.ret.t);
    let keep_nulls = elem.is_nullable();
    let loose = ChType::Array(Box::new(elem.clone().into_nullable()));
    let cast: Vec<ArrayRef> = a
        .cols
        .iter()
        .map(|c| cast_col(c, &loose))
        .collect::<Result<_>>()?;
    let lists: Vec<_> = cast
        .iter()
        .map(|c| list(c, a.name))
        .collect::<Result<_>>()?;
    let values: Vec<&ArrayRef> = lists.iter().map(|l| l.values()).collect();
    let eq = Eq::new(&values)?;
    let rows = (0..a.rows)
        .map(|r| {
            let mut keep: Vec<usize> = Vec::new();
            for i in range_of(lists[0], r) {
                if !keep_nulls && super::lists::null_at(values[0].as_ref(), i) {
                    continue;
                }
                if keep.iter().any(|k| eq[0].eq(*k, &eq[0], i)) {
                    continue;
                }
                let everywhere = lists
                    .iter()
                    .enumerate()
                    .skip(1)
                    .all(|(k, l)| range_of(l, r).any(|j| eq[0].eq(i, &eq[k], j)));
                if everywhere {
                    keep.push(i);
                }
            }
            keep
        })
        .collect();
    gather(lists[0], &elem, rows)
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;
    use datafusion::common::ScalarValue;

    fn arr(v: Vec<E>) -> E {
        call("array", v)
    }

    #[test]
    fn intersections() {
        // Oracle: arrayIntersect([1,2],[2,-1]) :: Array(UInt8); arrayIntersect([1,2,2,3],[3,2]) =
        // [2,3]; arrayIntersect([3,1,2],[2,3]) = [3,2]; arrayIntersect([], [1]) = [];
        // arrayIntersect([1]) = [1]; arrayIntersect([toUInt16(1)],[toInt8(1)]) :: Array(Int8);
        // arrayIntersect([1.5],[1]) = [1] :: Array(UInt8); arrayIntersect([1,2],[2,3],[2]) = [2].
        assert_eq!(
            one(call(
                "arrayIntersect",
                vec![arr(vec![n(1), n(2)]), arr(vec![n(2), n(-1)])]
            )),
            "Array(UInt8)\t[2]"
        );
        assert_eq!(
            one(call(
                "arrayIntersect",
                vec![arr(vec![n(1), n(2), n(2), n(3)]), arr(vec![n(3), n(2)])]
            )),
            "Array(UInt8)\t[2,3]"
        );
        assert_eq!(
            one(call(
                "arrayIntersect",
                vec![arr(vec![n(3), n(1), n(2)]), arr(vec![n(2), n(3)])]
            )),
            "Array(UInt8)\t[3,2]"
        );
        assert_eq!(
            one(call("arrayIntersect", vec![arr(vec![n(1)])])),
            "Array(UInt8)\t[1]"
        );
        let u16v = typed("UInt16", ScalarValue::UInt16(Some(1)));
        let i8v = typed("Int8", ScalarValue::Int8(Some(1)));
        assert_eq!(
            one(call(
                "arrayIntersect",
                vec![arr(vec![u16v]), arr(vec![i8v])]
            )),
            "Array(Int8)\t[1]"
        );
        assert_eq!(
            one(call(
                "arrayIntersect",
                vec![arr(vec![f(1.5)]), arr(vec![n(1)])]
            )),
            "Array(UInt8)\t[1]"
        );
        assert_eq!(
            one(call(
                "arrayIntersect",
                vec![
                    arr(vec![n(1), n(2)]),
                    arr(vec![n(2), n(3)]),
                    arr(vec![n(2)])
                ]
            )),
            "Array(UInt8)\t[2]"
        );
    }
}
