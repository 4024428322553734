//! URL parameters in the query string or fragment: `extractURLParameter(url, name)`,
//! `extractURLParameters(url)` (`name=value` pieces), `extractURLParameterNames(url)` and
//! `cutURLParameter(url, name | [names])`. Values are not %-decoded; a parameter matches only
//! when its name follows `?`, `#` or `&`.

use std::ops::Range;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use memchr::{memchr2, memmem};
use sluice_common::ChType;

use crate::array::lists::{build_list, list, range_of};
use crate::ch_bail;
use crate::string::col::{StrBuilder, StrCol};
use crate::string::rules::{arity, string_like, want_const};
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs, scalar_bytes};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("extractURLParameter", param_type, extract_param).build(),
        ChUdf::new("extractURLParameters", list_type, extract_params).build(),
        ChUdf::new("extractURLParameterNames", list_type, extract_names).build(),
        ChUdf::new("cutURLParameter", cut_type, cut_param).build(),
    ]
}

fn want_url(a: &TypeArgs) -> Result<()> {
    if a.types[0] != ChType::String {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument of function {}",
            a.types[0],
            a.name
        );
    }
    Ok(())
}

fn param_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    want_url(a)?;
    if a.types[1] != ChType::String {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument of function {}",
            a.types[1],
            a.name
        );
    }
    Ok(string_like(a, 0))
}

fn list_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_url(a)?;
    Ok(ChType::Array(Box::new(ChType::String)).into())
}

fn cut_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 2, 2)?;
    want_url(a)?;
    match &a.types[1] {
        ChType::String => {}
        ChType::Array(e) if matches!(e.base(), ChType::String | ChType::Nothing) => {}
        // An empty array literal can arrive typed as a bare NULL: no names.
        ChType::Nullable(e) if **e == ChType::Nothing => {}
        t => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument of function {}",
            a.name
        ),
    }
    // An array literal may reach here as a column; a single name must be a constant.
    if a.types[1] == ChType::String {
        want_const(a, 1)?;
    }
    Ok(string_like(a, 0))
}

/// Where `name=` starts as a whole parameter name (after `?`, `#` or `&`) past the first
/// `?` or `#`.
fn find_param(u: &[u8], name: &[u8]) -> Option<usize> {
    let q = memchr2(b'?', b'#', u)?;
    let mut pat = name.to_vec();
    pat.push(b'=');
    let finder = memmem::Finder::new(&pat);
    let mut from = q + 1;
    while from <= u.len() {
        let p = from + finder.find(&u[from..])?;
        if matches!(u[p - 1], b'?' | b'#' | b'&') {
            return Some(p);
        }
        from = p + pat.len();
    }
    None
}

/// Bytes of a string-valued argument at row `i` (constant or column).
fn name_at<'a>(col: &'a StrCol<'a>, i: usize) -> &'a [u8] {
    col.get(i)
}

fn extract_param(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let n = StrCol::new(&a.cols[1], a.name)?;
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for i in 0..a.rows {
        let (u, name) = (s.get(i), name_at(&n, i));
        match find_param(u, name) {
            Some(p) => {
                let v = p + name.len() + 1;
                let end = memchr2(b'&', b'#', &u[v..]).map_or(u.len(), |e| v + e);
                let end = memchr::memchr(0, &u[v..end]).map_or(end, |z| v + z);
                b.append(&u[v..end])?;
            }
            None => b.append(b"")?,
        }
    }
    b.finish()
}

/// The `name[=value]` ranges of a URL's parameters: `names_only` keeps the names. A last
/// parameter with neither `=` nor a following `&`/`#` is not listed (as in ClickHouse).
fn params(u: &[u8], names_only: bool, out: &mut Vec<Range<usize>>) {
    let Some(q) = memchr2(b'?', b'#', u) else {
        return;
    };
    let mut pos = q + 1;
    while pos < u.len() {
        // The name: up to `=`, `&` or `#`; a `?` restarts it.
        let mut begin = pos;
        let stop = loop {
            match u[pos..]
                .iter()
                .position(|c| matches!(c, b'=' | b'&' | b'#' | b'?'))
            {
                None => return,
                Some(k) if u[pos + k] == b'?' => {
                    pos += k + 1;
                    begin = pos;
                }
                Some(k) => break pos + k,
            }
        };
        let value_end = if u[stop] == b'=' {
            memchr2(b'&', b'#', &u[stop + 1..]).map_or(u.len(), |e| stop + 1 + e)
        } else {
            stop
        };
        out.push(if names_only {
            begin..stop
        } else {
            begin..value_end
        });
        pos = value_end + 1;
    }
}

fn param_lists(a: &Args, names_only: bool) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut b = StrBuilder::new(a.rows, false);
    let mut offsets = vec![0i32];
    let mut total = 0i32;
    let mut ranges = Vec::new();
    for i in 0..a.rows {
        let u = s.get(i);
        ranges.clear();
        params(u, names_only, &mut ranges);
        for r in &ranges {
            b.append(&u[r.clone()])?;
            total += 1;
        }
        offsets.push(total);
    }
    build_list(&ChType::String, offsets, b.finish()?)
}

fn extract_params(a: &Args) -> Result<ArrayRef> {
    param_lists(a, false)
}

fn extract_names(a: &Args) -> Result<ArrayRef> {
    param_lists(a, true)
}

/// The names to cut at each row: the constant string, or the row's array of names.
enum CutNames<'a> {
    One(Vec<u8>),
    Lists(Option<(&'a datafusion::arrow::array::ListArray, StrCol<'a>)>),
}

impl CutNames<'_> {
    fn at(&self, i: usize, out: &mut Vec<Vec<u8>>) {
        out.clear();
        match self {
            CutNames::One(n) => out.push(n.clone()),
            CutNames::Lists(None) => {}
            CutNames::Lists(Some((l, names))) => {
                if !l.is_null(i) {
                    out.extend(range_of(l, i).map(|k| names.get(k).to_vec()));
                }
            }
        }
    }
}

fn cut_names(a: &Args) -> Result<CutNames<'_>> {
    if a.types[1] == ChType::String {
        return match a.consts.get(1) {
            Some(Some(v)) => Ok(CutNames::One(scalar_bytes(v).unwrap_or_default())),
            _ => ch_bail!(
                ILLEGAL_COLUMN,
                "Second argument of function {} must be constant string or constant array",
                a.name
            ),
        };
    }
    if !matches!(a.types[1], ChType::Array(_)) {
        return Ok(CutNames::Lists(None));
    }
    let l = list(&a.cols[1], a.name)?;
    if matches!(l.values().data_type(), DataType::Null) {
        return Ok(CutNames::Lists(None));
    }
    let names = StrCol::new(l.values(), a.name)?;
    Ok(CutNames::Lists(Some((l, names))))
}

/// The bytes to remove for one name: the parameter with one adjoining `&`.
fn cut_range(u: &[u8], name: &[u8]) -> Option<Range<usize>> {
    let p = find_param(u, name)?;
    let prev = u[p - 1];
    let mut begin = p;
    let mut end = p + name.len() + 1;
    end = memchr2(b'&', b'#', &u[end..]).map_or(u.len(), |e| end + e);
    if u.get(end) == Some(&b'&') {
        end += 1;
    } else if prev == b'&' {
        begin -= 1;
    }
    Some(begin..end)
}

fn cut_param(a: &Args) -> Result<ArrayRef> {
    let names_of = cut_names(a)?;
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    let mut cuts = Vec::new();
    let mut names = Vec::new();
    for i in 0..a.rows {
        let u = s.get(i);
        names_of.at(i, &mut names);
        cuts.clear();
        cuts.extend(names.iter().filter_map(|n| cut_range(u, n)));
        cuts.sort_by_key(|r: &Range<usize>| (r.start, r.end));
        let mut done = 0;
        for r in &cuts {
            if r.start > done {
                b.push_bytes(&u[done..r.start]);
            }
            done = done.max(r.end);
        }
        b.push_bytes(&u[done..]);
        b.finish_row()?;
    }
    b.finish()
}
