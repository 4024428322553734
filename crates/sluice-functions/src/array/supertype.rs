//! ClickHouse's least common supertype (`getLeastSupertype`), used for array literals,
//! `has`/`indexOf` comparisons, `arrayConcat`, `map` keys and values.
//!
//! Rules (checked against the oracle): `Nothing` is ignored; any `Nullable`/`Nothing` makes
//! the result `Nullable`; `LowCardinality` is kept only when every type has it; integers
//! widen (`UInt8`+`Int8` → `Int16`, `UInt64`+`Int8` has no supertype); floats absorb
//! integers of ≤ 16 bits into `Float32`, otherwise `Float64`; decimals take the widest
//! underlying width needed and the largest scale; `String`+`FixedString` → `String`;
//! `Date`/`DateTime`/`DateTime64` widen to the finest; arrays, tuples and maps recurse.
//! Types ClickHouse would only unite into a `Variant` are reported as `NOT_IMPLEMENTED`.

use datafusion::common::Result;
use sluice_common::ChType;

use crate::ch_bail;

fn no_supertype(types: &[ChType], why: &str) -> datafusion::error::DataFusionError {
    let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::NO_COMMON_TYPE,
        format!("There is no supertype for types {}{why}", names.join(", ")),
    ))
}

/// Types ClickHouse treats as equal when looking for a supertype (Bool is UInt8 underneath,
/// decimals of the same width and scale compare equal).
fn same(a: &ChType, b: &ChType) -> bool {
    match (a, b) {
        (ChType::Bool, ChType::UInt8) | (ChType::UInt8, ChType::Bool) => true,
        (
            ChType::Decimal {
                precision: p1,
                scale: s1,
            },
            ChType::Decimal {
                precision: p2,
                scale: s2,
            },
        ) => s1 == s2 && decimal_width(*p1) == decimal_width(*p2),
        _ => a == b,
    }
}

fn decimal_width(p: u8) -> u32 {
    match p {
        0..=9 => 32,
        10..=18 => 64,
        19..=38 => 128,
        _ => 256,
    }
}

fn width_precision(w: u32) -> u8 {
    match w {
        32 => 9,
        64 => 18,
        128 => 38,
        _ => 76,
    }
}

/// The least supertype of `types`.
pub fn least_supertype(types: &[ChType]) -> Result<ChType> {
    if types.is_empty() {
        return Ok(ChType::Nothing);
    }
    if types.iter().all(|t| same(t, &types[0])) {
        return Ok(types[0].clone());
    }
    // Nothing is ignored.
    let non_nothing: Vec<ChType> = types
        .iter()
        .filter(|t| **t != ChType::Nothing)
        .cloned()
        .collect();
    if non_nothing.len() != types.len() {
        return least_supertype(&non_nothing);
    }
    // LowCardinality: kept only when every argument has it.
    if types.iter().any(|t| matches!(t, ChType::LowCardinality(_))) {
        let all_lc = types.iter().all(|t| matches!(t, ChType::LowCardinality(_)));
        let inner: Vec<ChType> = types
            .iter()
            .map(|t| match t {
                ChType::LowCardinality(x) => (**x).clone(),
                t => t.clone(),
            })
            .collect();
        let s = least_supertype(&inner)?;
        return Ok(if all_lc {
            ChType::LowCardinality(Box::new(s))
        } else {
            s
        });
    }
    // Nullable.
    if types.iter().any(|t| matches!(t, ChType::Nullable(_))) {
        let inner: Vec<ChType> = types
            .iter()
            .map(|t| match t {
                ChType::Nullable(x) => (**x).clone(),
                t => t.clone(),
            })
            .filter(|t| *t != ChType::Nothing)
            .collect();
        let s = least_supertype(&inner)?;
        return Ok(s.into_nullable());
    }
    let first = &types[0];
    match first {
        ChType::Array(_) => {
            let mut elems = Vec::new();
            for t in types {
                match t {
                    ChType::Array(e) => elems.push((**e).clone()),
                    _ => {
                        return Err(no_supertype(
                            types,
                            " because some of them are Array and some of them are not",
                        ));
                    }
                }
            }
            return Ok(ChType::Array(Box::new(least_supertype(&elems)?)));
        }
        ChType::Tuple(first_elems) => {
            let n = first_elems.len();
            let mut cols: Vec<Vec<ChType>> = vec![Vec::new(); n];
            for t in types {
                match t {
                    ChType::Tuple(e) if e.len() == n => {
                        for (i, (_, et)) in e.iter().enumerate() {
                            cols[i].push(et.clone());
                        }
                    }
                    _ => {
                        return Err(no_supertype(
                            types,
                            " because some of them are Tuple and some of them are not",
                        ));
                    }
                }
            }
            let mut out = Vec::with_capacity(n);
            for (i, c) in cols.iter().enumerate() {
                let name = first_elems[i].0.clone();
                let same_name = types.iter().all(|t| match t {
                    ChType::Tuple(e) => e[i].0 == name,
                    _ => false,
                });
                out.push((if same_name { name } else { None }, least_supertype(c)?));
            }
            if out.iter().any(|(n, _)| n.is_none()) {
                for e in &mut out {
                    e.0 = None;
                }
            }
            return Ok(ChType::Tuple(out));
        }
        ChType::Map(..) => {
            let mut ks = Vec::new();
            let mut vs = Vec::new();
            for t in types {
                match t {
                    ChType::Map(k, v) => {
                        ks.push((**k).clone());
                        vs.push((**v).clone());
                    }
                    _ => {
                        return Err(no_supertype(
                            types,
                            " because some of them are Maps and some of them are not",
                        ));
                    }
                }
            }
            return Ok(ChType::Map(
                Box::new(least_supertype(&ks)?),
                Box::new(least_supertype(&vs)?),
            ));
        }
        _ => {}
    }
    let is_stringish = |t: &ChType| {
        matches!(
            t,
            ChType::String | ChType::FixedString(_) | ChType::Enum8(_) | ChType::Enum16(_)
        )
    };
    if types.iter().any(is_stringish) {
        if types.iter().all(is_stringish) {
            return Ok(ChType::String);
        }
        return Err(no_supertype(
            types,
            " because some of them are String/FixedString/Enum and some of them are not",
        ));
    }
    let is_time = |t: &ChType| {
        matches!(
            t,
            ChType::Date | ChType::Date32 | ChType::DateTime(_) | ChType::DateTime64(..)
        )
    };
    if types.iter().any(is_time) {
        if !types.iter().all(is_time) {
            return Err(no_supertype(
                types,
                " because some of them are Date/Date32/DateTime/DateTime64 and some of them are not",
            ));
        }
        let max_p = types
            .iter()
            .filter_map(|t| match t {
                ChType::DateTime64(p, _) => Some(*p),
                _ => None,
            })
            .max();
        if let Some(p) = max_p {
            return Ok(ChType::DateTime64(p, None));
        }
        if let Some(t) = types.iter().find(|t| matches!(t, ChType::DateTime(_))) {
            let tz = match t {
                ChType::DateTime(tz) => tz.clone(),
                _ => None,
            };
            return Ok(ChType::DateTime(tz));
        }
        return Ok(ChType::Date32);
    }
    numeric_supertype(types)
}

fn int_bits(t: &ChType) -> Option<(bool, u32)> {
    Some(match t {
        ChType::UInt8 | ChType::Bool => (false, 8),
        ChType::UInt16 => (false, 16),
        ChType::UInt32 => (false, 32),
        ChType::UInt64 => (false, 64),
        ChType::UInt128 => (false, 128),
        ChType::UInt256 => (false, 256),
        ChType::Int8 => (true, 8),
        ChType::Int16 => (true, 16),
        ChType::Int32 => (true, 32),
        ChType::Int64 => (true, 64),
        ChType::Int128 => (true, 128),
        ChType::Int256 => (true, 256),
        _ => return None,
    })
}

fn int_digits(t: &ChType) -> u32 {
    match t {
        ChType::UInt8 | ChType::Int8 | ChType::Bool => 3,
        ChType::UInt16 | ChType::Int16 => 5,
        ChType::UInt32 | ChType::Int32 => 10,
        ChType::Int64 => 19,
        ChType::UInt64 => 20,
        ChType::Int128 | ChType::UInt128 => 39,
        _ => 78,
    }
}

fn variant(types: &[ChType]) -> datafusion::error::DataFusionError {
    let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
    crate::util::ch_error(sluice_common::Error::new(
        sluice_common::ErrorCode::NOT_IMPLEMENTED,
        format!(
            "Common type of {} is a Variant type, which is not supported",
            names.join(", ")
        ),
    ))
}

fn numeric_supertype(types: &[ChType]) -> Result<ChType> {
    let mut signed_bits = 0u32;
    let mut unsigned_bits = 0u32;
    let mut float_bits = 0u32;
    let mut decimals: Vec<(u8, u8)> = Vec::new();
    let mut int_types = Vec::new();
    for t in types {
        if let Some((signed, bits)) = int_bits(t) {
            if signed {
                signed_bits = signed_bits.max(bits);
            } else {
                unsigned_bits = unsigned_bits.max(bits);
            }
            int_types.push(t.clone());
            continue;
        }
        match t {
            ChType::Float32 | ChType::BFloat16 => float_bits = float_bits.max(24),
            ChType::Float64 => float_bits = float_bits.max(53),
            ChType::Decimal { precision, scale } => decimals.push((*precision, *scale)),
            _ => {
                let names: Vec<String> = types.iter().map(|t| t.to_string()).collect();
                ch_bail!(
                    NO_COMMON_TYPE,
                    "There is no supertype for types {}",
                    names.join(", ")
                );
            }
        }
    }
    if !decimals.is_empty() {
        if float_bits > 0 {
            return Err(variant(types));
        }
        let max_scale = decimals.iter().map(|d| d.1).max().unwrap_or(0);
        let mut width = decimals
            .iter()
            .map(|d| decimal_width(d.0))
            .max()
            .unwrap_or(32);
        for t in &int_types {
            let need = int_digits(t) + max_scale as u32;
            if need > 76 {
                return Err(variant(types));
            }
            let w = decimal_width(need as u8);
            width = width.max(w);
        }
        return Ok(ChType::Decimal {
            precision: width_precision(width),
            scale: max_scale,
        });
    }
    if float_bits > 0 {
        let int_width = signed_bits.max(unsigned_bits);
        let need = float_bits.max(int_width);
        return match need {
            0..=24 => Ok(ChType::Float32),
            25..=53 => Ok(ChType::Float64),
            _ => Err(variant(types)),
        };
    }
    if signed_bits > 0 {
        let width = if unsigned_bits > 0 {
            signed_bits.max(unsigned_bits * 2)
        } else {
            signed_bits
        };
        if unsigned_bits + 1 > signed_bits.max(64) && unsigned_bits >= signed_bits {
            return Err(variant(types));
        }
        return Ok(match width {
            0..=8 => ChType::Int8,
            9..=16 => ChType::Int16,
            17..=32 => ChType::Int32,
            33..=64 => ChType::Int64,
            65..=128 => ChType::Int128,
            129..=256 => ChType::Int256,
            _ => return Err(variant(types)),
        });
    }
    Ok(match unsigned_bits {
        0..=8 => ChType::UInt8,
        9..=16 => ChType::UInt16,
        17..=32 => ChType::UInt32,
        33..=64 => ChType::UInt64,
        65..=128 => ChType::UInt128,
        _ => ChType::UInt256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(names: &[&str]) -> String {
        let types: Vec<ChType> = names
            .iter()
            .map(|n| ChType::parse(n).unwrap_or(ChType::Nothing))
            .collect();
        match least_supertype(&types) {
            Ok(t) => t.to_string(),
            Err(e) => crate::string::testkit::err_text(e),
        }
    }

    #[test]
    fn matches_oracle() {
        // Each expectation: toTypeName([...]) from the oracle, element type.
        assert_eq!(st(&["UInt8", "Int8"]), "Int16");
        assert_eq!(st(&["UInt32", "Int8"]), "Int64");
        assert_eq!(st(&["UInt8", "Float64"]), "Float64");
        assert_eq!(st(&["Float32", "UInt16"]), "Float32");
        assert_eq!(st(&["Float32", "Int32"]), "Float64");
        assert_eq!(st(&["UInt8", "Nullable(Nothing)"]), "Nullable(UInt8)");
        assert_eq!(st(&["Decimal(9, 2)", "UInt8"]), "Decimal(9, 2)");
        assert_eq!(st(&["Decimal(9, 2)", "Int64"]), "Decimal(38, 2)");
        assert_eq!(st(&["Decimal(9, 2)", "Decimal(18, 3)"]), "Decimal(18, 3)");
        assert_eq!(st(&["Decimal(9, 2)", "Decimal(9, 3)"]), "Decimal(9, 3)");
        assert_eq!(st(&["Decimal(10, 2)", "Decimal(12, 2)"]), "Decimal(10, 2)");
        assert_eq!(st(&["Decimal(10, 2)", "Decimal(12, 3)"]), "Decimal(18, 3)");
        assert_eq!(st(&["Decimal(10, 2)", "Decimal(20, 3)"]), "Decimal(38, 3)");
        assert_eq!(st(&["Decimal(5, 2)", "Int32"]), "Decimal(18, 2)");
        assert_eq!(st(&["Decimal(5, 2)", "Int16"]), "Decimal(9, 2)");
        assert_eq!(st(&["LowCardinality(String)", "String"]), "String");
        assert_eq!(
            st(&["LowCardinality(String)", "LowCardinality(String)"]),
            "LowCardinality(String)"
        );
        assert_eq!(st(&["FixedString(1)", "String"]), "String");
        assert_eq!(st(&["FixedString(1)", "FixedString(2)"]), "String");
        assert_eq!(st(&["Date", "DateTime"]), "DateTime");
        assert_eq!(st(&["Date", "DateTime64(3)"]), "DateTime64(3)");
        assert_eq!(st(&["Date32", "Date"]), "Date32");
        assert_eq!(
            st(&["Tuple(UInt8, String)", "Tuple(Int8, Nullable(Nothing))"]),
            "Tuple(Int16, Nullable(String))"
        );
        assert_eq!(
            st(&["Map(UInt8, UInt8)", "Map(Int8, UInt8)"]),
            "Map(Int16, UInt8)"
        );
        assert_eq!(
            st(&["Array(UInt8)", "Array(Nullable(Nothing))"]),
            "Array(Nullable(UInt8))"
        );
        assert_eq!(st(&["Int128", "UInt64"]), "Int128");
        assert_eq!(st(&["UInt8", "Bool"]), "UInt8");
        assert_eq!(st(&["Bool", "UInt8"]), "Bool");
        assert_eq!(st(&["Bool", "Int8"]), "Int16");
        assert_eq!(st(&["Enum8('a' = 1)", "String"]), "String");
        // Oracle: Code 386 NO_COMMON_TYPE.
        assert!(st(&["UInt8", "String"]).contains("Code: 386"));
        // Oracle: Variant(Int8, UInt64).
        assert!(st(&["UInt64", "Int8"]).contains("Code: 48"));
        assert!(st(&["Float64", "Int64"]).contains("Code: 48"));
    }
}
