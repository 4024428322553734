//! UUIDs as 16 raw bytes: `UUIDStringToNum(text[, variant])` → `FixedString(16)` (text that
//! is not a dashed UUID gives 16 zero bytes) and `UUIDNumToString(bytes[, variant])`.
//! Variant 2 is Microsoft's layout: the first three groups are stored little-endian.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;
use sluice_formats::text::ids::write_uuid;

use crate::ch_bail;
use crate::ip::convert::fixed16;
use crate::string::col::{StrBuilder, StrCol};
use crate::string::rules::{arity, is_int};
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("UUIDStringToNum", to_num_type, to_num).build(),
        ChUdf::new("UUIDNumToString", to_string_type, to_string).build(),
    ]
}

fn check_variant(a: &TypeArgs) -> Result<()> {
    if let Some(t) = a.types.get(1)
        && !is_int(t)
    {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument 2 of function {}",
            a.name
        );
    }
    Ok(())
}

fn to_num_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 2)?;
    if !matches!(a.types[0], ChType::String | ChType::FixedString(_)) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument of function {}, expected String or FixedString",
            a.types[0],
            a.name
        );
    }
    check_variant(a)?;
    Ok(ChType::FixedString(16).into())
}

fn to_string_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 2)?;
    if a.types[0] != ChType::FixedString(16) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument of function {}, expected FixedString(16)",
            a.types[0],
            a.name
        );
    }
    check_variant(a)?;
    Ok(ChType::String.into())
}

/// Whether the optional variant argument asks for Microsoft's layout (2); 1 is the default.
fn microsoft(a: &Args) -> Result<bool> {
    let v = match a.consts.get(1) {
        None => return Ok(false),
        Some(Some(v)) => v.clone(),
        Some(None) => ScalarValue::try_from_array(&a.cols[1], 0)?,
    };
    let n = v
        .cast_to(&datafusion::arrow::datatypes::DataType::Int64)
        .ok()
        .and_then(|v| match v {
            ScalarValue::Int64(Some(n)) => Some(n),
            _ => None,
        });
    match n {
        Some(1) => Ok(false),
        Some(2) => Ok(true),
        Some(n) => ch_bail!(ARGUMENT_OUT_OF_BOUND, "Expected UUID variant, got {n}"),
        None => ch_bail!(ARGUMENT_OUT_OF_BOUND, "Expected UUID variant"),
    }
}

/// Swaps between the standard and Microsoft byte orders (its own inverse).
fn swap_variant(b: &mut [u8; 16]) {
    b[0..4].reverse();
    b[4..6].reverse();
    b[6..8].reverse();
}

/// A 36-byte `8-4-4-4-12` UUID text; like ClickHouse, the separators are not checked and a
/// non-hex digit counts as 0xFF (the byte wraps).
fn parse(s: &[u8]) -> Option<[u8; 16]> {
    if s.len() != 36 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map_or(0xFF, |d| d as u8);
    let digits: Vec<u8> = s
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(i, 8 | 13 | 18 | 23))
        .map(|(_, &c)| nibble(c))
        .collect();
    let mut out = [0u8; 16];
    for (o, pair) in out.iter_mut().zip(digits.chunks(2)) {
        *o = pair[0].wrapping_mul(16).wrapping_add(pair[1]);
    }
    Some(out)
}

fn to_num(a: &Args) -> Result<ArrayRef> {
    let ms = microsoft(a)?;
    let s = StrCol::new(&a.cols[0], a.name)?;
    let rows = (0..a.rows)
        .map(|i| {
            let mut b = parse(s.get(i)).unwrap_or([0; 16]);
            if ms {
                swap_variant(&mut b);
            }
            Some(b)
        })
        .collect();
    fixed16(rows)
}

fn to_string(a: &Args) -> Result<ArrayRef> {
    let ms = microsoft(a)?;
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut b = StrBuilder::new(a.rows, false);
    for i in 0..a.rows {
        let mut bytes = [0u8; 16];
        let v = s.get(i);
        let n = v.len().min(16);
        bytes[..n].copy_from_slice(&v[..n]);
        if ms {
            swap_variant(&mut bytes);
        }
        write_uuid(b.current(), &bytes);
        b.finish_row()?;
    }
    b.finish()
}
