//! ClickHouse's least common supertype (`getLeastSupertype`): the one type every value of
//! several types converts to without loss. Used by `if`/`multiIf`/`CASE`/`coalesce`, by the
//! array functions (through [`crate::array::supertype`]), and by other crates for `UNION`
//! and `IN`.
//!
//! ClickHouse 26.x falls back to a `Variant(...)` type where no supertype exists (with its
//! default `use_variant_as_common_type = 1`); Sluice has no `Variant` type and reports
//! `NO_COMMON_TYPE` instead. The rules here follow the oracle table in the tests, taken with
//! `use_variant_as_common_type = 0`.

use sluice_common::{ChType, Error, ErrorCode, Result};

/// The least supertype of `types`, or `NO_COMMON_TYPE` (`NOT_IMPLEMENTED` for the `IPv4`
/// mixtures ClickHouse rejects that way).
///
/// `Nothing` types are skipped; `Nullable` anywhere makes the result `Nullable`;
/// `LowCardinality` is kept only when every type has it.
pub fn least_supertype(types: &[ChType]) -> Result<ChType> {
    let Some(first) = types.first() else {
        return Ok(ChType::Nothing);
    };
    if types.iter().all(|t| t == first) {
        return Ok(first.clone());
    }
    // Nothing / Nullable(Nothing): NULL literals and empty arrays.
    let mut has_null = false;
    let rest: Vec<ChType> = types
        .iter()
        .filter(|t| match t {
            ChType::Nothing => false,
            ChType::Nullable(inner) if **inner == ChType::Nothing => {
                has_null = true;
                false
            }
            _ => true,
        })
        .cloned()
        .collect();
    if rest.is_empty() {
        return Ok(if has_null {
            ChType::Nullable(Box::new(ChType::Nothing))
        } else {
            ChType::Nothing
        });
    }
    if has_null || rest.len() < types.len() {
        let t = least_supertype(&rest)?;
        if !has_null {
            return Ok(t);
        }
        return match t {
            ChType::Array(_) | ChType::Map(..) => {
                Err(no_common(types, "Array and Map values cannot be NULL"))
            }
            ChType::LowCardinality(inner) => Ok(make_nullable(*inner)),
            t => Ok(make_nullable(t)),
        };
    }
    // Nullable.
    if rest.iter().any(ChType::is_nullable) {
        let stripped: Vec<ChType> = rest.iter().map(strip_nullable).collect();
        return Ok(make_nullable(least_supertype(&stripped)?));
    }
    // LowCardinality: kept only if every type has it.
    if rest.iter().any(|t| matches!(t, ChType::LowCardinality(_))) {
        let all_lc = rest.iter().all(|t| matches!(t, ChType::LowCardinality(_)));
        let stripped: Vec<ChType> = rest
            .iter()
            .map(|t| match t {
                ChType::LowCardinality(inner) => (**inner).clone(),
                t => t.clone(),
            })
            .collect();
        let t = least_supertype(&stripped)?;
        return Ok(if all_lc {
            ChType::LowCardinality(Box::new(t))
        } else {
            t
        });
    }
    non_nullable_supertype(&rest)
}

/// `Nullable(t)` for any `t` that may be inside `Nullable` (tuples included, as ClickHouse
/// does); `LowCardinality(T)` becomes `LowCardinality(Nullable(T))`; arrays and maps stay.
pub fn make_nullable(t: ChType) -> ChType {
    match t {
        t @ (ChType::Nullable(_) | ChType::Array(_) | ChType::Map(..)) => t,
        ChType::LowCardinality(inner) => ChType::LowCardinality(Box::new(make_nullable(*inner))),
        t => ChType::Nullable(Box::new(t)),
    }
}

fn strip_nullable(t: &ChType) -> ChType {
    match t {
        ChType::Nullable(inner) => (**inner).clone(),
        ChType::LowCardinality(inner) => ChType::LowCardinality(Box::new(strip_nullable(inner))),
        t => t.clone(),
    }
}

fn no_common(types: &[ChType], why: &str) -> Error {
    let names: Vec<String> = types.iter().map(ToString::to_string).collect();
    Error::new(
        ErrorCode::NO_COMMON_TYPE,
        format!(
            "There is no supertype for types {} because {why} (ClickHouse would use a Variant \
             type here, which Sluice does not support)",
            names.join(", ")
        ),
    )
}

/// Types ClickHouse treats as already equal when looking for a supertype, so the first one
/// is the answer: `Bool` and `UInt8` (the same storage), and decimals of the same storage
/// width and scale (oracle: `[1::Decimal(10, 2), 1::Decimal(12, 2)]` is
/// `Array(Decimal(10, 2))`).
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
        ) => s1 == s2 && decimal_storage_precision(*p1) == decimal_storage_precision(*p2),
        _ => a == b,
    }
}

fn non_nullable_supertype(types: &[ChType]) -> Result<ChType> {
    let first = &types[0];
    if types.iter().all(|t| same(t, first)) {
        return Ok(first.clone());
    }
    let count = |f: fn(&ChType) -> bool| types.iter().filter(|t| f(t)).count();

    let arrays = count(|t| matches!(t, ChType::Array(_)));
    if arrays > 0 {
        if arrays != types.len() {
            return Err(no_common(
                types,
                "some of them are Array and some of them are not",
            ));
        }
        let elems: Vec<ChType> = types
            .iter()
            .filter_map(|t| match t {
                ChType::Array(e) => Some((**e).clone()),
                _ => None,
            })
            .collect();
        return Ok(ChType::Array(Box::new(least_supertype(&elems)?)));
    }
    let maps = count(|t| matches!(t, ChType::Map(..)));
    if maps > 0 {
        if maps != types.len() {
            return Err(no_common(
                types,
                "some of them are Maps and some of them are not",
            ));
        }
        let (mut keys, mut values) = (Vec::new(), Vec::new());
        for t in types {
            if let ChType::Map(k, v) = t {
                keys.push((**k).clone());
                values.push((**v).clone());
            }
        }
        return Ok(ChType::Map(
            Box::new(least_supertype(&keys)?),
            Box::new(least_supertype(&values)?),
        ));
    }
    let tuples = count(|t| matches!(t, ChType::Tuple(_)));
    if tuples > 0 {
        return tuple_supertype(types, tuples);
    }
    let strings = count(|t| matches!(t, ChType::String | ChType::FixedString(_)));
    if strings > 0 {
        let all_stringy = types.iter().all(|t| {
            matches!(
                t,
                ChType::String | ChType::FixedString(_) | ChType::Enum8(_) | ChType::Enum16(_)
            )
        });
        if !all_stringy {
            return Err(no_common(
                types,
                "some of them are String/FixedString/Enum and some of them are not",
            ));
        }
        return Ok(ChType::String);
    }
    let dates = count(|t| {
        matches!(
            t,
            ChType::Date | ChType::Date32 | ChType::DateTime(_) | ChType::DateTime64(..)
        )
    });
    if dates > 0 {
        if dates != types.len() {
            return Err(no_common(
                types,
                "some of them are Date/Date32/DateTime/DateTime64 and some of them are not",
            ));
        }
        return Ok(date_supertype(types));
    }
    let decimals = count(|t| matches!(t, ChType::Decimal { .. }));
    if decimals > 0 {
        return decimal_supertype(types);
    }
    number_supertype(types)
}

fn tuple_supertype(types: &[ChType], tuples: usize) -> Result<ChType> {
    if tuples != types.len() {
        return Err(no_common(
            types,
            "some of them are Tuple and some of them are not",
        ));
    }
    let elems: Vec<&Vec<(Option<String>, ChType)>> = types
        .iter()
        .filter_map(|t| match t {
            ChType::Tuple(e) => Some(e),
            _ => None,
        })
        .collect();
    let n = elems[0].len();
    if elems.iter().any(|e| e.len() != n) {
        return Err(no_common(types, "Tuples have different sizes"));
    }
    let same_names = elems
        .iter()
        .all(|e| e.iter().zip(elems[0].iter()).all(|(a, b)| a.0 == b.0));
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let column: Vec<ChType> = elems.iter().map(|e| e[i].1.clone()).collect();
        let name = if same_names {
            elems[0][i].0.clone()
        } else {
            None
        };
        out.push((name, least_supertype(&column)?));
    }
    Ok(ChType::Tuple(out))
}

fn date_supertype(types: &[ChType]) -> ChType {
    let mut max_dt64: Option<(u8, Option<String>)> = None;
    let mut first_datetime: Option<Option<String>> = None;
    let mut has_date32 = false;
    for t in types {
        match t {
            ChType::DateTime64(p, tz) if max_dt64.as_ref().is_none_or(|(mp, _)| p > mp) => {
                max_dt64 = Some((*p, tz.clone()));
            }
            ChType::DateTime(tz) if first_datetime.is_none() => {
                first_datetime = Some(tz.clone());
            }
            ChType::Date32 => has_date32 = true,
            _ => {}
        }
    }
    match (max_dt64, first_datetime) {
        (Some((p, tz)), _) => ChType::DateTime64(p, tz),
        (None, Some(_)) if has_date32 => ChType::DateTime64(0, None),
        (None, Some(tz)) => ChType::DateTime(tz),
        (None, None) if has_date32 => ChType::Date32,
        (None, None) => ChType::Date,
    }
}

/// Bits and signedness of an integer-like type (Bool as UInt8, Enum as its Int width,
/// IPv4 as UInt32); `None` for everything else.
pub(crate) fn int_bits(t: &ChType) -> Option<(u16, bool)> {
    Some(match t {
        ChType::UInt8 | ChType::Bool => (8, false),
        ChType::UInt16 => (16, false),
        ChType::UInt32 | ChType::IPv4 => (32, false),
        ChType::UInt64 => (64, false),
        ChType::UInt128 => (128, false),
        ChType::UInt256 => (256, false),
        ChType::Int8 | ChType::Enum8(_) => (8, true),
        ChType::Int16 | ChType::Enum16(_) => (16, true),
        ChType::Int32 => (32, true),
        ChType::Int64 => (64, true),
        ChType::Int128 => (128, true),
        ChType::Int256 => (256, true),
        _ => return None,
    })
}

/// The integer type of `bits` width and signedness.
pub(crate) fn int_type(bits: u16, signed: bool) -> ChType {
    match (bits, signed) {
        (0..=8, false) => ChType::UInt8,
        (9..=16, false) => ChType::UInt16,
        (17..=32, false) => ChType::UInt32,
        (33..=64, false) => ChType::UInt64,
        (65..=128, false) => ChType::UInt128,
        (_, false) => ChType::UInt256,
        (0..=8, true) => ChType::Int8,
        (9..=16, true) => ChType::Int16,
        (17..=32, true) => ChType::Int32,
        (33..=64, true) => ChType::Int64,
        (65..=128, true) => ChType::Int128,
        (_, true) => ChType::Int256,
    }
}

fn decimal_storage_precision(p: u8) -> u32 {
    match p {
        0..=9 => 9,
        10..=18 => 18,
        19..=38 => 38,
        _ => 76,
    }
}

fn decimal_supertype(types: &[ChType]) -> Result<ChType> {
    let mut max_scale = 0u32;
    let mut max_storage = 0u32;
    let mut int_digits = 0u32;
    for t in types {
        match t {
            ChType::Decimal { precision, scale } => {
                max_scale = max_scale.max(u32::from(*scale));
                max_storage = max_storage.max(decimal_storage_precision(*precision));
            }
            t => match int_bits(t) {
                Some((bits, signed))
                    if bits <= 64
                        && !matches!(t, ChType::IPv4 | ChType::Enum8(_) | ChType::Enum16(_)) =>
                {
                    let digits = match (bits, signed) {
                        (8, _) => 3,
                        (16, _) => 5,
                        (32, _) => 10,
                        (_, true) => 19,
                        (_, false) => 20,
                    };
                    int_digits = int_digits.max(digits);
                }
                _ => {
                    return Err(no_common(
                        types,
                        "some of them have no lossless conversion to Decimal",
                    ));
                }
            },
        }
    }
    let min_precision = max_scale + int_digits;
    let precision = if max_storage >= 76 || min_precision > 38 {
        76
    } else if max_storage >= 38 || min_precision > 18 {
        38
    } else if max_storage >= 18 || min_precision > 9 {
        18
    } else {
        9
    };
    if max_scale > precision {
        return Err(no_common(types, "the scale does not fit the precision"));
    }
    Ok(ChType::Decimal {
        precision: precision as u8,
        scale: max_scale as u8,
    })
}

fn number_supertype(types: &[ChType]) -> Result<ChType> {
    // Bool mixed only with UInt8: the first type wins (ClickHouse keeps Bool when it comes first).
    if types
        .iter()
        .all(|t| matches!(t, ChType::Bool | ChType::UInt8))
    {
        return Ok(types[0].clone());
    }
    let has_ipv4 = types.iter().any(|t| matches!(t, ChType::IPv4));
    let (mut max_signed, mut max_unsigned, mut max_float) = (0u16, 0u16, 0u16);
    for t in types {
        match t {
            ChType::Float32 | ChType::BFloat16 => max_float = max_float.max(32),
            ChType::Float64 => max_float = max_float.max(64),
            t => match int_bits(t) {
                Some((bits, true)) => max_signed = max_signed.max(bits),
                Some((bits, false)) => max_unsigned = max_unsigned.max(bits),
                None => return Err(no_common(types, "some of them are not numbers")),
            },
        }
    }
    if has_ipv4 && (max_signed > 0 || max_float > 0) {
        return Err(Error::new(
            ErrorCode::NOT_IMPLEMENTED,
            format!(
                "Common type of IPv4 and signed or floating-point types ({}) is not implemented",
                types
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if max_float > 0 {
        let int_bits = max_signed.max(max_unsigned);
        if int_bits > 32 {
            return Err(no_common(
                types,
                "some of them are integers and some are floating point, but there is no floating \
                 point type, that can exactly represent all required integers",
            ));
        }
        let mantissa = if max_float == 64 { 53 } else { 24 }.max(int_bits);
        return Ok(if mantissa <= 24 {
            ChType::Float32
        } else {
            ChType::Float64
        });
    }
    if max_signed > 0 {
        if max_unsigned == 256 || (max_unsigned == 64 && max_signed <= 64) {
            return Err(no_common(
                types,
                "some of them are signed integers and some are unsigned integers, but there is no \
                 signed integer type, that can exactly represent all required unsigned integer values",
            ));
        }
        let needed = if max_unsigned > 0 {
            max_signed.max(max_unsigned * 2)
        } else {
            max_signed
        };
        return Ok(int_type(needed, true));
    }
    Ok(int_type(max_unsigned, false))
}
