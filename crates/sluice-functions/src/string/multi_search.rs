//! Searching for several needles at once (byte positions, 1-based):
//! `multiSearchAny` (1 if any needle occurs), `multiSearchFirstIndex` (1-based index of the
//! first needle, in needle order, that occurs), `multiSearchFirstPosition` (leftmost position
//! of any needle), `multiSearchAllPositions` (each needle's first position, 0 if absent) and
//! `multiMatchAny` (any of the regular expressions matches). An empty needle matches at 1.
//! The `…CaseInsensitive` variants ignore ASCII case, the `…UTF8` variants count positions
//! in code points, and `…CaseInsensitiveUTF8` ignores Unicode case.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, UInt8Array, UInt64Array};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use memchr::memmem;
use sluice_common::ChType;

use super::col::StrCol;
use super::pattern::compile;
use super::rules::arity;
use super::udf::{Args, ChUdf, Ret, TypeArgs};
use crate::array::lists::{build_list, list, range_of};
use crate::ch_bail;

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    for (names, k) in MODES {
        v.push(ChUdf::new(names[0], any_type, k.any).build());
        v.push(ChUdf::new(names[1], index_type, k.index).build());
        v.push(ChUdf::new(names[2], index_type, k.position).build());
        v.push(ChUdf::new(names[3], all_type, k.all).build());
    }
    v.push(ChUdf::new("multiMatchAny", any_type, match_any).build());
    v
}

/// How needles are compared and positions counted.
#[derive(Clone, Copy)]
struct Mode {
    /// Ignore case (ASCII, or Unicode with `utf8`).
    ci: bool,
    /// Positions in code points.
    utf8: bool,
}

/// The kernels of one mode.
struct Kernels {
    any: crate::string::udf::InvokeFn,
    index: crate::string::udf::InvokeFn,
    position: crate::string::udf::InvokeFn,
    all: crate::string::udf::InvokeFn,
}

macro_rules! kernels {
    ($ci:literal, $utf8:literal) => {{
        const M: Mode = Mode {
            ci: $ci,
            utf8: $utf8,
        };
        Kernels {
            any: |a| search_any(a, M),
            index: |a| first_index(a, M),
            position: |a| first_position(a, M),
            all: |a| all_positions(a, M),
        }
    }};
}

/// The Any, FirstIndex, FirstPosition and AllPositions names of each mode, with its kernels.
const MODES: [([&str; 4], Kernels); 4] = [
    (
        [
            "multiSearchAny",
            "multiSearchFirstIndex",
            "multiSearchFirstPosition",
            "multiSearchAllPositions",
        ],
        kernels!(false, false),
    ),
    (
        [
            "multiSearchAnyUTF8",
            "multiSearchFirstIndexUTF8",
            "multiSearchFirstPositionUTF8",
            "multiSearchAllPositionsUTF8",
        ],
        kernels!(false, true),
    ),
    (
        [
            "multiSearchAnyCaseInsensitive",
            "multiSearchFirstIndexCaseInsensitive",
            "multiSearchFirstPositionCaseInsensitive",
            "multiSearchAllPositionsCaseInsensitive",
        ],
        kernels!(true, false),
    ),
    (
        [
            "multiSearchAnyCaseInsensitiveUTF8",
            "multiSearchFirstIndexCaseInsensitiveUTF8",
            "multiSearchFirstPositionCaseInsensitiveUTF8",
            "multiSearchAllPositionsCaseInsensitiveUTF8",
        ],
        kernels!(true, true),
    ),
];

fn check(a: &TypeArgs) -> Result<()> {
    arity(a, 2, 2)?;
    if a.types[0] != ChType::String {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument of function {}",
            a.types[0],
            a.name
        );
    }
    if !matches!(&a.types[1], ChType::Array(e) if matches!(e.base(), ChType::String)) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument of function {}",
            a.types[1],
            a.name
        );
    }
    Ok(())
}

fn any_type(a: &TypeArgs) -> Result<Ret> {
    check(a)?;
    Ok(ChType::UInt8.into())
}

fn index_type(a: &TypeArgs) -> Result<Ret> {
    check(a)?;
    Ok(ChType::UInt64.into())
}

fn all_type(a: &TypeArgs) -> Result<Ret> {
    check(a)?;
    Ok(ChType::Array(Box::new(ChType::UInt64)).into())
}

/// Calls `f(row, haystack, needles)` for every row.
fn each_row(a: &Args, mut f: impl FnMut(&[u8], &[&[u8]]) -> Result<()>) -> Result<()> {
    let hay = StrCol::new(&a.cols[0], a.name)?;
    let l = list(&a.cols[1], a.name)?;
    let values = l.values();
    let needles = StrCol::new(values, a.name)?;
    let mut row = Vec::new();
    for i in 0..a.rows {
        row.clear();
        row.extend(range_of(l, i).map(|k| needles.get(k)));
        f(hay.get(i), &row)?;
    }
    Ok(())
}

/// 1-based position of the first occurrence of `n` in `h` (an empty needle is at 1).
fn position(h: &[u8], n: &[u8], m: Mode) -> Option<u64> {
    if m.ci && m.utf8 {
        let lower = |b: &[u8]| -> Vec<char> {
            String::from_utf8_lossy(b)
                .chars()
                .map(|c| c.to_lowercase().next().unwrap_or(c))
                .collect()
        };
        let (h, n) = (lower(h), lower(n));
        if n.is_empty() {
            return Some(1);
        }
        return h
            .windows(n.len())
            .position(|w| w == n.as_slice())
            .map(|p| p as u64 + 1);
    }
    let at = if m.ci {
        memmem::find(&h.to_ascii_lowercase(), &n.to_ascii_lowercase())
    } else {
        memmem::find(h, n)
    }?;
    if m.utf8 {
        let chars = h[..at].iter().filter(|&&b| (b & 0xC0) != 0x80).count();
        Some(chars as u64 + 1)
    } else {
        Some(at as u64 + 1)
    }
}

fn search_any(a: &Args, m: Mode) -> Result<ArrayRef> {
    let mut out = Vec::with_capacity(a.rows);
    each_row(a, |h, ns| {
        out.push(u8::from(ns.iter().any(|n| position(h, n, m).is_some())));
        Ok(())
    })?;
    Ok(Arc::new(UInt8Array::from(out)))
}

fn first_index(a: &Args, m: Mode) -> Result<ArrayRef> {
    let mut out = Vec::with_capacity(a.rows);
    each_row(a, |h, ns| {
        let idx = ns.iter().position(|n| position(h, n, m).is_some());
        out.push(idx.map_or(0, |i| i as u64 + 1));
        Ok(())
    })?;
    Ok(Arc::new(UInt64Array::from(out)))
}

fn first_position(a: &Args, m: Mode) -> Result<ArrayRef> {
    let mut out = Vec::with_capacity(a.rows);
    each_row(a, |h, ns| {
        out.push(
            ns.iter()
                .filter_map(|n| position(h, n, m))
                .min()
                .unwrap_or(0),
        );
        Ok(())
    })?;
    Ok(Arc::new(UInt64Array::from(out)))
}

fn all_positions(a: &Args, m: Mode) -> Result<ArrayRef> {
    let mut vals = Vec::new();
    let mut offsets = vec![0i32];
    each_row(a, |h, ns| {
        vals.extend(ns.iter().map(|n| position(h, n, m).unwrap_or(0)));
        offsets.push(i32::try_from(vals.len()).unwrap_or(i32::MAX));
        Ok(())
    })?;
    build_list(&ChType::UInt64, offsets, Arc::new(UInt64Array::from(vals)))
}

fn match_any(a: &Args) -> Result<ArrayRef> {
    let mut out = Vec::with_capacity(a.rows);
    let mut cache: Vec<(Vec<u8>, regex::bytes::Regex)> = Vec::new();
    each_row(a, |h, ns| {
        let mut hit = false;
        for n in ns {
            let re = match cache.iter().find(|(p, _)| p.as_slice() == *n) {
                Some((_, re)) => re.clone(),
                None => {
                    // ClickHouse compiles these with Hyperscan and reports BAD_ARGUMENTS.
                    let Ok(re) = compile(n, false) else {
                        ch_bail!(
                            BAD_ARGUMENTS,
                            "Pattern '{}' failed with error",
                            String::from_utf8_lossy(n)
                        );
                    };
                    cache.push((n.to_vec(), re.clone()));
                    re
                }
            };
            if re.is_match(h) {
                hit = true;
                break;
            }
        }
        out.push(u8::from(hit));
        Ok(())
    })?;
    Ok(Arc::new(UInt8Array::from(out)))
}
