//! `javaHash` (Java's `String.hashCode` over the bytes as signed chars, `Integer/Long.hashCode`
//! for signed integers) and `hiveHash` (`javaHash` of a string with the sign bit cleared).
//! One argument only: ClickHouse does not combine Java hashes. Unsigned integers are
//! rejected with `NOT_IMPLEMENTED`, as ClickHouse does; floats and Hive's integer hash are
//! not reproduced (also `NOT_IMPLEMENTED`).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Int32Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use crate::ch_bail;
use crate::string::col::StrCol;
use crate::string::rules::is_string;
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("javaHash", java_type, java_hash).build(),
        ChUdf::new("hiveHash", java_type, hive_hash).build(),
    ]
}

/// Java's `String.hashCode` over bytes taken as signed chars.
fn java_bytes(s: &[u8]) -> i32 {
    s.iter().fold(0i32, |h, b| {
        h.wrapping_mul(31).wrapping_add(*b as i8 as i32)
    })
}

fn java_type(a: &TypeArgs) -> Result<Ret> {
    if a.types.len() != 1 {
        ch_bail!(
            NOT_IMPLEMENTED,
            "Java hash is not combineable for multiple arguments"
        );
    }
    let t = &a.types[0];
    let hive = a.name == "hiveHash";
    match t {
        t if is_string(t) => {}
        ChType::Int8 | ChType::Int16 | ChType::Int32 | ChType::Int64 if !hive => {}
        ChType::UInt8 | ChType::UInt16 | ChType::UInt32 | ChType::UInt64 if !hive => {
            ch_bail!(NOT_IMPLEMENTED, "Unsigned types are not supported")
        }
        t => ch_bail!(
            NOT_IMPLEMENTED,
            "Function {} over values of type {t} is not implemented",
            a.name
        ),
    }
    Ok(ChType::Int32.into())
}

fn java_values(a: &Args) -> Result<Vec<i32>> {
    let c = &a.cols[0];
    if is_string(&a.types[0]) {
        let s = StrCol::new(c, a.name)?;
        return Ok((0..a.rows).map(|i| java_bytes(s.get(i))).collect());
    }
    let v = cast(c, &DataType::Int64)?;
    let v = v.as_primitive::<Int64Type>();
    Ok(v.values()
        .iter()
        .map(|x| {
            if matches!(a.types[0], ChType::Int64) {
                (*x ^ ((*x as u64) >> 32) as i64) as i32
            } else {
                *x as i32
            }
        })
        .collect())
}

fn java_hash(a: &Args) -> Result<ArrayRef> {
    Ok(Arc::new(Int32Array::from(java_values(a)?)))
}

fn hive_hash(a: &Args) -> Result<ArrayRef> {
    let v = java_values(a)?;
    Ok(Arc::new(Int32Array::from_iter_values(
        v.into_iter().map(|h| h & 0x7fff_ffff),
    )))
}

#[cfg(test)]
mod tests {
    use crate::string::testkit::*;
    use datafusion::common::ScalarValue;

    #[test]
    fn java_hashes() {
        // Oracle: javaHash('hello') = 99162322 :: Int32; hiveHash('hello') = 99162322;
        // javaHash('привет') = 329812286; hiveHash('привет') = 329812286; javaHash('') = 0;
        // javaHash(toInt32(-1)) = -1; javaHash(toInt8(-5)) = -5; javaHash(toInt16(-300)) = -300;
        // javaHash(toInt64(1234567890123)) = 1912276436; javaHash(toUInt8(1)) → 48;
        // javaHash('a', 'b') → 48.
        assert_eq!(one(call("javaHash", vec![s("hello")])), "Int32\t99162322");
        assert_eq!(one(call("hiveHash", vec![s("hello")])), "Int32\t99162322");
        assert_eq!(one(call("javaHash", vec![s("привет")])), "Int32\t329812286");
        assert_eq!(one(call("hiveHash", vec![s("привет")])), "Int32\t329812286");
        assert_eq!(one(call("javaHash", vec![s("")])), "Int32\t0");
        let i32v = typed("Int32", ScalarValue::Int32(Some(-1)));
        assert_eq!(one(call("javaHash", vec![i32v])), "Int32\t-1");
        assert_eq!(one(call("javaHash", vec![n(-5)])), "Int32\t-5");
        assert_eq!(one(call("javaHash", vec![n(-300)])), "Int32\t-300");
        let i64v = typed("Int64", ScalarValue::Int64(Some(1234567890123)));
        assert_eq!(one(call("javaHash", vec![i64v])), "Int32\t1912276436");
        assert_code(call("javaHash", vec![n(1)]), 48);
        assert_code(call("javaHash", vec![s("a"), s("b")]), 48);
    }
}
