//! ClickHouse type conversion functions: `to<Type>` with its `OrZero`/`OrNull`/`OrDefault`
//! variants, `toDecimal*`, `toDateTime[64]`, `toString`, `toFixedString`, `CAST`/`_CAST`
//! (the engine rewrites `CAST(x AS T)` and `x::T` into `_CAST(x, 'T')`), `accurateCast*`,
//! `toLowCardinality`, `toNullable`, `parseDateTime[64]BestEffort*` and `reinterpretAs*`.
//!
//! Submodules: [`value`] (one scalar value read from / written to Arrow), [`parse`] (text →
//! value), [`best_effort`] (date-time text), [`scalar`] (value → value rules), [`temporal`] (into date/time types), [`cast`]
//! (whole columns, composites, failure modes), [`columnar`] (one-pass conversions of plain
//! integer columns), [`string_date`] (one-pass `toDate` of text), [`udf`] (the UDFs),
//! [`reinterpret`],
//! [`wide_float`] (`Float64` → 128/256-bit integers as ClickHouse rounds them).

pub mod best_effort;
pub mod cast;
pub mod columnar;
pub mod parse;
pub mod reinterpret;
pub mod scalar;
pub mod string_date;
pub mod temporal;
pub mod udf;
pub mod value;
pub mod wide_float;

#[cfg(test)]
mod tests;

use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;

use udf::{ConvUdf, Fail, Target};

fn fixed_targets() -> Vec<(&'static str, ChType)> {
    vec![
        ("UInt8", ChType::UInt8),
        ("UInt16", ChType::UInt16),
        ("UInt32", ChType::UInt32),
        ("UInt64", ChType::UInt64),
        ("UInt128", ChType::UInt128),
        ("UInt256", ChType::UInt256),
        ("Int8", ChType::Int8),
        ("Int16", ChType::Int16),
        ("Int32", ChType::Int32),
        ("Int64", ChType::Int64),
        ("Int128", ChType::Int128),
        ("Int256", ChType::Int256),
        ("Float32", ChType::Float32),
        ("Float64", ChType::Float64),
        ("Date", ChType::Date),
        ("Date32", ChType::Date32),
        ("UUID", ChType::Uuid),
        ("Bool", ChType::Bool),
        ("IPv4", ChType::IPv4),
        ("IPv6", ChType::IPv6),
    ]
}

const SUFFIXES: [(&str, Fail); 4] = [
    ("", Fail::Throw),
    ("OrZero", Fail::Zero),
    ("OrNull", Fail::Null),
    ("OrDefault", Fail::Default),
];

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v: Vec<ConvUdf> = Vec::new();
    for (name, t) in fixed_targets() {
        for (suffix, fail) in SUFFIXES {
            v.push(ConvUdf::new(
                &format!("to{name}{suffix}"),
                Target::Fixed(t.clone()),
                fail,
                false,
            ));
        }
    }
    for (bits, p) in [(32, 9u8), (64, 18), (128, 38), (256, 76)] {
        for (suffix, fail) in SUFFIXES {
            v.push(ConvUdf::new(
                &format!("toDecimal{bits}{suffix}"),
                Target::Decimal(p),
                fail,
                false,
            ));
        }
    }
    for (suffix, fail) in SUFFIXES {
        v.push(ConvUdf::new(
            &format!("toDateTime{suffix}"),
            Target::DateTime,
            fail,
            false,
        ));
        v.push(ConvUdf::new(
            &format!("toDateTime64{suffix}"),
            Target::DateTime64,
            fail,
            false,
        ));
    }
    v.push(ConvUdf::new("toString", Target::Str, Fail::Throw, false));
    v.push(ConvUdf::new(
        "toFixedString",
        Target::FixedStr,
        Fail::Throw,
        false,
    ));
    v.push(ConvUdf::new(
        "toLowCardinality",
        Target::LowCard,
        Fail::Throw,
        false,
    ));
    v.push(ConvUdf::new(
        "toNullable",
        Target::Nullable,
        Fail::Throw,
        false,
    ));
    v.push(ConvUdf::new("_CAST", Target::Cast, Fail::Throw, false));
    v.push(ConvUdf::new("CAST", Target::Cast, Fail::Throw, false).with_aliases(&["cast"]));
    v.push(ConvUdf::new(
        "accurateCast",
        Target::Cast,
        Fail::Throw,
        true,
    ));
    v.push(ConvUdf::new(
        "accurateCastOrNull",
        Target::Cast,
        Fail::Null,
        true,
    ));
    v.push(ConvUdf::new(
        "accurateCastOrDefault",
        Target::Cast,
        Fail::Default,
        true,
    ));
    for (suffix, fail) in [
        ("", Fail::Throw),
        ("OrNull", Fail::Null),
        ("OrZero", Fail::Zero),
    ] {
        for (base, p64, us) in [
            ("parseDateTimeBestEffort", false, false),
            ("parseDateTime32BestEffort", false, false),
            ("parseDateTime64BestEffort", true, false),
            ("parseDateTimeBestEffortUS", false, true),
            ("parseDateTime64BestEffortUS", true, true),
        ] {
            v.push(ConvUdf::new(
                &format!("{base}{suffix}"),
                Target::BestEffort { p64, us },
                fail,
                false,
            ));
        }
    }
    let mut out: Vec<ScalarUDF> = v.into_iter().map(ScalarUDF::new_from_impl).collect();
    out.extend(reinterpret::functions());
    out
}
