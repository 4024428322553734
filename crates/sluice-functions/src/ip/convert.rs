//! Conversions between IP addresses and their text: `IPv4NumToString` (`INET_NTOA`),
//! `IPv4NumToStringClassC` (last octet `xxx`), `IPv4StringToNum` (`INET_ATON`, with
//! `OrDefault`/`OrNull`), `IPv6NumToString` (`INET6_NTOA`), `IPv6StringToNum` (`INET6_ATON`,
//! with `OrDefault`/`OrNull`; an IPv4 text becomes `::ffff:a.b.c.d`) and `IPv4ToIPv6`.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, FixedSizeBinaryArray, UInt32Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, UInt32Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use sluice_common::ChType;
use sluice_formats::text::ids::{write_ipv4, write_ipv6};

use crate::ch_bail;
use crate::conversion::parse::{parse_ipv4, parse_ipv6};
use crate::string::col::{StrBuilder, StrCol};
use crate::string::rules::arity;
use crate::string::udf::{Args, ChUdf, Nulls, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("IPv4NumToString", v4_num_type, v4_to_string)
            .ci_aliases(&["INET_NTOA"])
            .build(),
        ChUdf::new("IPv4NumToStringClassC", v4_num_type, v4_to_string_class_c).build(),
        ChUdf::new("IPv4StringToNum", v4_text_type, v4_parse)
            .ci_aliases(&["INET_ATON"])
            .build(),
        ChUdf::new(
            "IPv4StringToNumOrDefault",
            v4_text_type,
            v4_parse_or_default,
        )
        .build(),
        ChUdf::new("IPv4StringToNumOrNull", v4_text_null_type, v4_parse_or_null)
            .nulls(Nulls::Custom)
            .build(),
        ChUdf::new("IPv6NumToString", v6_num_type, v6_to_string)
            .ci_aliases(&["INET6_NTOA"])
            .build(),
        ChUdf::new("IPv6StringToNum", v6_text_type, v6_parse)
            .ci_aliases(&["INET6_ATON"])
            .build(),
        ChUdf::new(
            "IPv6StringToNumOrDefault",
            v6_text_type,
            v6_parse_or_default,
        )
        .build(),
        ChUdf::new("IPv6StringToNumOrNull", v6_text_null_type, v6_parse_or_null)
            .nulls(Nulls::Custom)
            .build(),
        ChUdf::new("IPv4ToIPv6", v4_to_v6_type, v4_to_v6).build(),
    ]
}

fn v4_num_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    let t = &a.types[0];
    if !matches!(
        t,
        ChType::IPv4 | ChType::UInt8 | ChType::UInt16 | ChType::UInt32
    ) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of first argument of function {}, expected IPv4 or UInt8 or \
             UInt16 or UInt32",
            a.name
        );
    }
    Ok(ChType::String.into())
}

/// The first argument as `u32` addresses.
fn v4_values(a: &Args) -> Result<Vec<u32>> {
    let c = cast(&a.cols[0], &DataType::UInt32)?;
    Ok(c.as_primitive::<UInt32Type>().values().to_vec())
}

fn v4_to_string(a: &Args) -> Result<ArrayRef> {
    let mut b = StrBuilder::new(a.rows, false);
    for v in v4_values(a)? {
        write_ipv4(b.current(), v);
        b.finish_row()?;
    }
    b.finish()
}

fn v4_to_string_class_c(a: &Args) -> Result<ArrayRef> {
    let mut b = StrBuilder::new(a.rows, false);
    for v in v4_values(a)? {
        let out = b.current();
        write_ipv4(out, v & 0xFFFF_FF00);
        // Replace the last octet (`0`) with `xxx`.
        out.pop();
        out.extend_from_slice(b"xxx");
        b.finish_row()?;
    }
    b.finish()
}

/// One `String` argument (FixedString too, as ClickHouse accepts).
fn want_text(a: &TypeArgs) -> Result<()> {
    arity(a, 1, 1)?;
    let t = a.types[0].base();
    if !matches!(t, ChType::String | ChType::FixedString(_)) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument of function {}",
            a.types[0],
            a.name
        );
    }
    Ok(())
}

fn v4_text_type(a: &TypeArgs) -> Result<Ret> {
    want_text(a)?;
    Ok(ChType::UInt32.into())
}

fn v4_text_null_type(a: &TypeArgs) -> Result<Ret> {
    want_text(a)?;
    Ok(ChType::UInt32.into_nullable().into())
}

/// Trailing zero bytes of a FixedString do not belong to the text.
fn text_of(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
    &b[..end]
}

/// How a failed parse is reported.
#[derive(Clone, Copy, PartialEq)]
enum OnError {
    Throw,
    Default,
    Null,
}

fn v4_run(a: &Args, on_error: OnError) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let nulls = datafusion::arrow::array::Array::logical_nulls(a.cols[0].as_ref());
    let mut out: Vec<Option<u32>> = Vec::with_capacity(a.rows);
    for i in 0..a.rows {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            out.push(None);
            continue;
        }
        match parse_ipv4(text_of(s.get(i))) {
            Ok(v) => out.push(Some(v)),
            Err(_) => match on_error {
                OnError::Throw => ch_bail!(CANNOT_PARSE_IPV4, "Invalid IPv4 value"),
                OnError::Default => out.push(Some(0)),
                OnError::Null => out.push(None),
            },
        }
    }
    Ok(Arc::new(UInt32Array::from(out)))
}

fn v4_parse(a: &Args) -> Result<ArrayRef> {
    v4_run(a, OnError::Throw)
}

fn v4_parse_or_default(a: &Args) -> Result<ArrayRef> {
    v4_run(a, OnError::Default)
}

fn v4_parse_or_null(a: &Args) -> Result<ArrayRef> {
    v4_run(a, OnError::Null)
}

fn v6_num_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    let t = &a.types[0];
    if !matches!(t, ChType::IPv6 | ChType::FixedString(16)) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument of function {}, expected IPv6 or FixedString(16)",
            a.name
        );
    }
    Ok(ChType::String.into())
}

fn v6_to_string(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut b = StrBuilder::new(a.rows, false);
    for i in 0..a.rows {
        write_ipv6(b.current(), s.get(i));
        b.finish_row()?;
    }
    b.finish()
}

fn v6_text_type(a: &TypeArgs) -> Result<Ret> {
    want_text(a)?;
    Ok(ChType::FixedString(16).into())
}

fn v6_text_null_type(a: &TypeArgs) -> Result<Ret> {
    want_text(a)?;
    Ok(ChType::FixedString(16).into_nullable().into())
}

fn v6_run(a: &Args, on_error: OnError) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let nulls = datafusion::arrow::array::Array::logical_nulls(a.cols[0].as_ref());
    let mut out: Vec<Option<[u8; 16]>> = Vec::with_capacity(a.rows);
    for i in 0..a.rows {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            out.push(None);
            continue;
        }
        match parse_ipv6(text_of(s.get(i))) {
            Ok(v) => out.push(Some(v)),
            Err(_) => match on_error {
                OnError::Throw => ch_bail!(CANNOT_PARSE_IPV6, "Invalid IPv6 value"),
                OnError::Default => out.push(Some([0; 16])),
                OnError::Null => out.push(None),
            },
        }
    }
    fixed16(out)
}

/// A `FixedSizeBinary(16)` column.
pub(crate) fn fixed16(rows: Vec<Option<[u8; 16]>>) -> Result<ArrayRef> {
    let arr = FixedSizeBinaryArray::try_from_sparse_iter_with_size(rows.into_iter(), 16)?;
    Ok(Arc::new(arr))
}

fn v6_parse(a: &Args) -> Result<ArrayRef> {
    v6_run(a, OnError::Throw)
}

fn v6_parse_or_default(a: &Args) -> Result<ArrayRef> {
    v6_run(a, OnError::Default)
}

fn v6_parse_or_null(a: &Args) -> Result<ArrayRef> {
    v6_run(a, OnError::Null)
}

/// `IPv4` gives `IPv6`; a `UInt32` gives the raw 16 bytes as `FixedString(16)`.
fn v4_to_v6_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    match &a.types[0] {
        ChType::IPv4 => Ok(ChType::IPv6.into()),
        ChType::UInt32 => Ok(ChType::FixedString(16).into()),
        t => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument of function {}",
            a.name
        ),
    }
}

fn v4_to_v6(a: &Args) -> Result<ArrayRef> {
    let rows = v4_values(a)?
        .into_iter()
        .map(|v| Some(std::net::Ipv4Addr::from(v).to_ipv6_mapped().octets()))
        .collect();
    fixed16(rows)
}
