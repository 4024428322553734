//! URL parts: each function is a byte range of the URL that is returned (`domain`, `path`,
//! …) or cut out (`cutWWW`, `cutQueryString`, `cutFragment`), plus `port`, which parses the
//! digits after the host.

use std::ops::Range;

use datafusion::arrow::array::{ArrayRef, UInt16Array};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::ScalarUDF;
use memchr::{memchr, memchr2};
use sluice_common::ChType;

use super::host::{authority_start, host, scheme_len};
use crate::ch_bail;
use crate::string::col::{StrBuilder, StrCol};
use crate::string::rules::{arity, string_like};
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// A part of a URL: the byte range it covers (empty when missing).
type Part = fn(&[u8]) -> Range<usize>;

macro_rules! part_fns {
    ($($name:literal => $kernel:ident($part:ident, $cut:literal);)*) => {
        /// The functions of this file.
        pub(crate) fn functions() -> Vec<ScalarUDF> {
            vec![
                $(ChUdf::new($name, url_type, $kernel).build(),)*
                ChUdf::new("port", port_type, port).build(),
            ]
        }
        $(fn $kernel(a: &Args) -> Result<ArrayRef> {
            apply(a, $part, $cut)
        })*
    };
}

part_fns! {
    "protocol" => protocol(protocol_part, false);
    "domain" => domain(domain_part, false);
    "domainWithoutWWW" => domain_without_www(domain_without_www_part, false);
    "topLevelDomain" => top_level_domain(top_level_domain_part, false);
    "path" => path(path_part, false);
    "pathFull" => path_full(path_full_part, false);
    "queryString" => query_string(query_string_part, false);
    "fragment" => fragment(fragment_part, false);
    "queryStringAndFragment" => query_string_and_fragment(query_and_fragment_part, false);
    "netloc" => netloc(netloc_part, false);
    "cutWWW" => cut_www(www_part, true);
    "cutQueryString" => cut_query_string(query_cut_part, true);
    "cutFragment" => cut_fragment(fragment_cut_part, true);
    "cutQueryStringAndFragment" => cut_query_string_and_fragment(query_and_fragment_cut_part, true);
}

/// One `String` argument (a FixedString column is `ILLEGAL_COLUMN`, as in ClickHouse).
pub(crate) fn url_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    match a.types[0] {
        ChType::String => Ok(string_like(a, 0)),
        ChType::FixedString(_) => ch_bail!(
            ILLEGAL_COLUMN,
            "Column of type FixedString is not supported by URL functions"
        ),
        _ => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument of function {}",
            a.types[0],
            a.name
        ),
    }
}

/// Returns (`cut = false`) or removes (`cut = true`) the part of each URL.
fn apply(a: &Args, part: Part, cut: bool) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut b = StrBuilder::new(a.rows, a.ret.binary);
    for i in 0..a.rows {
        let u = s.get(i);
        let r = part(u);
        if cut {
            b.push_bytes(&u[..r.start]);
            b.push_bytes(&u[r.end..]);
            b.finish_row()?;
        } else {
            b.append(&u[r])?;
        }
    }
    b.finish()
}

/// The scheme, when followed by `:` and at least three more bytes.
fn protocol_part(u: &[u8]) -> Range<usize> {
    let n = scheme_len(u);
    if n == 0 || u.len() - n < 4 || u[n] != b':' {
        return 0..0;
    }
    0..n
}

fn domain_part(u: &[u8]) -> Range<usize> {
    host(u).unwrap_or(0..0)
}

fn domain_without_www_part(u: &[u8]) -> Range<usize> {
    match host(u) {
        Some(r) if r.len() > 4 && u[r.start..].starts_with(b"www.") => r.start + 4..r.end,
        Some(r) => r,
        None => 0..0,
    }
}

/// The last label of the host (without a trailing dot); nothing for an IPv4 address.
fn top_level_domain_part(u: &[u8]) -> Range<usize> {
    let Some(mut r) = host(u) else {
        return 0..0;
    };
    if u[r.clone()].ends_with(b".") {
        r.end -= 1;
    }
    let Some(dot) = memchr::memrchr(b'.', &u[r.clone()]) else {
        return 0..0;
    };
    let start = r.start + dot + 1;
    if u.get(start).is_none_or(|c| c.is_ascii_digit()) {
        return 0..0;
    }
    start..r.end
}

/// From the first `/` that is not part of `//` (the authority's) to the end.
fn path_start(u: &[u8]) -> Option<usize> {
    let mut pos = memchr(b'/', u)?;
    if u.get(pos + 1) == Some(&b'/') {
        pos = pos + 2 + memchr(b'/', u.get(pos + 2..)?)?;
    }
    Some(pos)
}

fn path_part(u: &[u8]) -> Range<usize> {
    match path_start(u) {
        Some(p) => p..memchr2(b'?', b'#', &u[p..]).map_or(u.len(), |e| p + e),
        None => 0..0,
    }
}

fn path_full_part(u: &[u8]) -> Range<usize> {
    path_start(u).map_or(0..0, |p| p..u.len())
}

/// From the `?` (included when `with_mark`) to the `#` or the end.
fn query(u: &[u8], with_mark: bool) -> Range<usize> {
    match memchr(b'?', u) {
        Some(q) => {
            let end = memchr(b'#', &u[q..]).map_or(u.len(), |e| q + e);
            q + usize::from(!with_mark)..end
        }
        None => 0..0,
    }
}

fn query_string_part(u: &[u8]) -> Range<usize> {
    query(u, false)
}

fn query_cut_part(u: &[u8]) -> Range<usize> {
    query(u, true)
}

/// From the `#` (included when `with_mark`) to the end.
fn frag(u: &[u8], with_mark: bool) -> Range<usize> {
    memchr(b'#', u).map_or(0..0, |h| h + usize::from(!with_mark)..u.len())
}

fn fragment_part(u: &[u8]) -> Range<usize> {
    frag(u, false)
}

fn fragment_cut_part(u: &[u8]) -> Range<usize> {
    frag(u, true)
}

/// The query string and fragment: after the `?` (or from a `#` when there is no `?`) to
/// the end; `cut` takes the range from the first `?` or `#` itself.
fn query_and_fragment(u: &[u8], cut: bool) -> Range<usize> {
    if cut {
        return memchr2(b'?', b'#', u).map_or(0..0, |q| q..u.len());
    }
    match (memchr(b'?', u), memchr(b'#', u)) {
        (Some(q), _) => q + 1..u.len(),
        (None, Some(h)) => h..u.len(),
        (None, None) => 0..0,
    }
}

fn query_and_fragment_part(u: &[u8]) -> Range<usize> {
    query_and_fragment(u, false)
}

fn query_and_fragment_cut_part(u: &[u8]) -> Range<usize> {
    query_and_fragment(u, true)
}

/// `user:password@host:port`: the authority up to the path, query or fragment.
fn netloc_part(u: &[u8]) -> Range<usize> {
    let start = if u.len() > 2 && u.starts_with(b"//") {
        2
    } else {
        match authority_start(u) {
            Some(s) if s == 2 && u.starts_with(b"//") => 0,
            Some(s) => s,
            None => return 0..0,
        }
    };
    let mut has_user = false;
    let mut host_end = u.len();
    let mut question = u.len();
    let mut slash = u.len();
    let mut pos = start;
    while pos < u.len() {
        let c = u[pos];
        match c {
            b'/' | b'?' if has_user => return start..pos,
            // ClickHouse keeps the last `/` and `?` seen, not the first.
            b'/' => slash = pos,
            b'?' => question = pos,
            b'#' => return start..pos,
            b'@' => {
                has_user = true;
                host_end = u.len();
            }
            b';' | b'=' | b'&' | b'~' | b'%' if !has_user => host_end = pos,
            b';' | b'=' | b'&' | b'~' | b'%' | b' ' | b'\t' | b'<' | b'>' | b'{' | b'}' | b'|'
            | b'\\' | b'^' | b'[' | b']' => {
                return if pos > start {
                    start..pos.min(question).min(slash)
                } else {
                    0..0
                };
            }
            _ => {}
        }
        pos += 1;
    }
    if has_user {
        start..u.len()
    } else {
        start..u.len().min(question).min(slash).min(host_end)
    }
}

/// The `www.` at the start of the host of a URL with a scheme (or starting with `//`).
fn www_part(u: &[u8]) -> Range<usize> {
    let Some(slash) = memchr(b'/', u) else {
        return 0..0;
    };
    if slash != 0 {
        let proto = protocol_part(u).len();
        if slash != proto + 1 {
            return 0..0;
        }
    }
    if !u[slash..].starts_with(b"//") {
        return 0..0;
    }
    let mut host_start = slash + 2;
    for (i, &c) in u.iter().enumerate().skip(slash + 2) {
        match c {
            b'@' => host_start = i + 1,
            b':' | b'/' | b'?' | b'#' => break,
            _ => {}
        }
    }
    if host_start + 4 < u.len() && u[host_start..].starts_with(b"www.") {
        host_start..host_start + 4
    } else {
        0..0
    }
}

fn port_type(a: &TypeArgs) -> Result<Ret> {
    if a.types.is_empty() || a.types.len() > 2 {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Number of arguments for function {} doesn't match: passed {}, should be 1 or 2",
            a.name,
            a.types.len()
        );
    }
    if a.types[0] != ChType::String {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of first argument of function {}. Must be String.",
            a.types[0],
            a.name
        );
    }
    if let Some(t) = a.types.get(1)
        && *t != ChType::UInt16
    {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of second argument of function {}. Must be UInt16.",
            a.name
        );
    }
    Ok(ChType::UInt16.into())
}

fn port(a: &Args) -> Result<ArrayRef> {
    let default = match a.consts.get(1) {
        None => 0,
        Some(Some(ScalarValue::UInt16(Some(p)))) => *p,
        Some(Some(ScalarValue::UInt16(None))) => 0,
        Some(_) => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Second argument for function {} must be constant UInt16",
            a.name
        ),
    };
    let s = StrCol::new(&a.cols[0], a.name)?;
    let out: UInt16Array = (0..a.rows)
        .map(|i| Some(url_port(s.get(i), default)))
        .collect();
    Ok(std::sync::Arc::new(out))
}

/// The digits after `host:` up to `/`, `?`, `#` or the end; `default` when anything else
/// follows or the number passes 65535.
fn url_port(u: &[u8], default: u16) -> u16 {
    let Some(h) = host(u) else {
        return default;
    };
    if h.end >= u.len() || u[h.end] != b':' {
        return default;
    }
    let mut port = 0i64;
    for &c in &u[h.end + 1..] {
        if matches!(c, b'/' | b'?' | b'#') {
            break;
        }
        if !c.is_ascii_digit() {
            return default;
        }
        port = port * 10 + i64::from(c - b'0');
        if port > i64::from(u16::MAX) {
            return default;
        }
    }
    u16::try_from(port).unwrap_or(default)
}
