//! ClickHouse result types of the arithmetic operators (`plus`, `minus`, `multiply`,
//! `divide`, `intDiv`, `modulo` and friends, `negate`). The full pairwise table that
//! ClickHouse produced for these rules is `testdata/arith.tsv`; `arith_tests` checks every row.

use sluice_common::{ChType, Error, ErrorCode, Result};

use super::num::{int_info, int_of, is_float, is_int};
use super::udf::illegal_types;

/// Storage precision of a decimal (9, 18, 38 or 76).
pub(crate) fn storage_precision(p: u8) -> u8 {
    match p {
        0..=9 => 9,
        10..=18 => 18,
        19..=38 => 38,
        _ => 76,
    }
}

fn decimal(p: u8, s: u8) -> ChType {
    ChType::Decimal {
        precision: p,
        scale: s,
    }
}

fn dec_parts(t: &ChType) -> Option<(u8, u8)> {
    match t {
        ChType::Decimal { precision, scale } => Some((*precision, *scale)),
        _ => None,
    }
}

fn is_date_like(t: &ChType) -> bool {
    matches!(
        t,
        ChType::Date | ChType::Date32 | ChType::DateTime(_) | ChType::DateTime64(..)
    )
}

fn scale_error(name: &str) -> Error {
    Error::new(
        ErrorCode::ARGUMENT_OUT_OF_BOUND,
        format!("Decimal result's scale is less than argument's one (function {name})"),
    )
}

/// Result type of `plus`, `minus` or `multiply` (`name`) for two non-nullable types.
pub(crate) fn additive_type(name: &str, a: &ChType, b: &ChType) -> Result<ChType> {
    let minus = name == "minus";
    let multiply = name == "multiply";
    if let (Some((ba, sa)), Some((bb, sb))) = (int_info(a), int_info(b)) {
        let signed = sa || sb || minus;
        let bits = if ba <= 64 && bb <= 64 {
            (ba.max(bb) * 2).min(64)
        } else {
            ba.max(bb)
        };
        return Ok(int_of(bits, signed));
    }
    let big = |t: &ChType| int_info(t).is_some_and(|(bits, _)| bits > 64);
    if (is_float(a) && (is_float(b) || is_int(b))) || (is_float(b) && is_int(a)) {
        if big(a) || big(b) {
            return Err(illegal_types(name, &[a.clone(), b.clone()]));
        }
        return Ok(ChType::Float64);
    }
    match (dec_parts(a), dec_parts(b)) {
        (Some((pa, sa)), Some((pb, sb))) => {
            let p = storage_precision(pa).max(storage_precision(pb));
            let s = if multiply { sa + sb } else { sa.max(sb) };
            if s > p {
                return Err(Error::new(
                    ErrorCode::ARGUMENT_OUT_OF_BOUND,
                    format!(
                        "Decimal scale {s} is out of bounds for precision {p} (function {name})"
                    ),
                ));
            }
            return Ok(decimal(p, s));
        }
        (Some(_), None) if is_int(b) => return Ok(a.clone()),
        (None, Some(_)) if is_int(a) => return Ok(b.clone()),
        (Some(_), None) | (None, Some(_)) if is_float(a) || is_float(b) => {
            return Ok(ChType::Float64);
        }
        _ => {}
    }
    if !multiply {
        let number = |t: &ChType| is_int(t) && !big(t) || is_float(t);
        match (a, b) {
            (d, n) if is_date_like(d) && number(n) => return Ok(d.clone()),
            (n, d) if !minus && is_date_like(d) && number(n) => return Ok(d.clone()),
            (ChType::Date, ChType::Date) | (ChType::DateTime(_), ChType::DateTime(_)) if minus => {
                return Ok(ChType::Int32);
            }
            (ChType::DateTime64(pa, _), ChType::DateTime64(pb, _)) if minus => {
                return Ok(decimal(18, *pa.max(pb)));
            }
            _ => {}
        }
    }
    Err(illegal_types(name, &[a.clone(), b.clone()]))
}

/// Result type of `divide`.
pub(crate) fn divide_type(name: &str, a: &ChType, b: &ChType) -> Result<ChType> {
    let numeric = |t: &ChType| is_int(t) || is_float(t);
    if numeric(a) && numeric(b) {
        return Ok(ChType::Float64);
    }
    match (dec_parts(a), dec_parts(b)) {
        (Some((pa, sa)), Some((pb, sb))) => {
            if sb > sa {
                return Err(scale_error(name));
            }
            Ok(decimal(
                storage_precision(pa).max(storage_precision(pb)),
                sa,
            ))
        }
        (Some(_), None) if is_int(b) => Ok(a.clone()),
        (None, Some(_)) if is_int(a) => Ok(b.clone()),
        (Some(_), None) | (None, Some(_)) if is_float(a) || is_float(b) => Ok(ChType::Float64),
        _ => Err(illegal_types(name, &[a.clone(), b.clone()])),
    }
}

/// Result type of `intDiv` / `intDivOrZero`: the width of the dividend, signed when either
/// side can be negative (floats and decimals map to the signed integer of their width).
pub(crate) fn int_div_type(name: &str, a: &ChType, b: &ChType) -> Result<ChType> {
    let b_ok = is_int(b) || is_float(b) || dec_parts(b).is_some();
    if !b_ok {
        return Err(illegal_types(name, &[a.clone(), b.clone()]));
    }
    let b_unsigned = int_info(b).is_some_and(|(_, s)| !s);
    if let (Some((_, sa)), Some((_, sb))) = (dec_parts(a), dec_parts(b))
        && sb > sa
    {
        return Err(scale_error(name));
    }
    match a {
        t if is_int(t) => {
            let (bits, signed) = int_info(t).unwrap_or((8, false));
            Ok(int_of(bits, signed || !b_unsigned))
        }
        ChType::Float32 | ChType::BFloat16 => Ok(ChType::Int32),
        ChType::Float64 => Ok(ChType::Int64),
        ChType::Decimal { precision, .. } => Ok(int_of(
            match storage_precision(*precision) {
                9 => 32,
                18 => 64,
                38 => 128,
                _ => 256,
            },
            true,
        )),
        _ => Err(illegal_types(name, &[a.clone(), b.clone()])),
    }
}

/// Result type of `modulo` (and `moduloOrZero`, `positiveModulo` via `name`).
pub(crate) fn modulo_type(name: &str, a: &ChType, b: &ChType) -> Result<ChType> {
    if let (Some((_, sa)), Some((bb, _))) = (int_info(a), int_info(b)) {
        if name == "positiveModulo" || !sa {
            return Ok(int_of(bb, false));
        }
        return Ok(int_of(if bb < 64 { bb * 2 } else { bb }, true));
    }
    let numeric = |t: &ChType| is_int(t) || is_float(t);
    if numeric(a) && numeric(b) {
        return Ok(ChType::Float64);
    }
    if name == "moduloOrZero" {
        return Err(illegal_types(name, &[a.clone(), b.clone()]));
    }
    divide_type(name, a, b)
}

/// Result type of `negate`.
pub(crate) fn negate_type(name: &str, a: &ChType) -> Result<ChType> {
    if let Some((bits, signed)) = int_info(a) {
        if signed {
            return Ok(a.clone());
        }
        return Ok(int_of(if bits < 64 { bits * 2 } else { bits }, true));
    }
    match a {
        ChType::Float32 | ChType::Float64 | ChType::BFloat16 | ChType::Decimal { .. } => {
            Ok(a.clone())
        }
        _ => Err(illegal_types(name, std::slice::from_ref(a))),
    }
}
