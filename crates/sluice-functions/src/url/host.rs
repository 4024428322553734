//! The scanners behind the URL functions: where the scheme ends, where the authority starts
//! and which bytes are the host, with ClickHouse's (non-RFC) rules.

use std::ops::Range;

/// Bytes that end the scan for a host: no valid host contains them.
fn restricted(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t'
            | b'<'
            | b'>'
            | b'%'
            | b'{'
            | b'}'
            | b'|'
            | b'\\'
            | b'^'
            | b'~'
            | b'['
            | b']'
            | b';'
            | b'='
            | b'&'
    )
}

/// The length of the scheme (`ALPHA *(ALPHA / DIGIT / + / - / .)`), 0 when there is none.
pub(crate) fn scheme_len(u: &[u8]) -> usize {
    match u.first() {
        Some(c) if c.is_ascii_alphabetic() => {
            1 + u[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
                .count()
        }
        _ => 0,
    }
}

/// Where the authority starts: after a leading `//`, after `scheme://` when the scheme
/// ends within the first 16 bytes, else at 0. `None` when a restricted byte comes first.
pub(crate) fn authority_start(u: &[u8]) -> Option<usize> {
    if u.starts_with(b"//") {
        return Some(2);
    }
    let scheme_end = u.len().min(16);
    let mut pos = 1;
    while pos < scheme_end {
        let c = u[pos];
        if !c.is_ascii_alphanumeric() {
            match c {
                b'.' | b'-' | b'+' => {}
                c if restricted(c) => return None,
                _ => break,
            }
        }
        pos += 1;
    }
    if scheme_end.saturating_sub(pos) > 2 && u[pos..].starts_with(b"://") {
        Some(pos + 3)
    } else {
        Some(0)
    }
}

/// The host: the URL must contain a dot (ClickHouse counts one before an `@` too) with
/// something after it other than `:`, `/`, `?` or `#`.
pub(crate) fn host(u: &[u8]) -> Option<Range<usize>> {
    let start = authority_start(u)?;
    let mut host_start = start;
    let mut dot = None;
    let mut pos = start;
    while pos < u.len() {
        match u[pos] {
            b'.' => dot = Some(pos),
            b':' | b'/' | b'?' | b'#' => break,
            b'@' => host_start = pos + 1,
            c if restricted(c) => return None,
            _ => {}
        }
        pos += 1;
    }
    let dot = dot?;
    if host_start >= pos || pos - dot == 1 {
        return None;
    }
    if matches!(u.get(dot + 1), Some(b':' | b'/' | b'?' | b'#')) {
        return None;
    }
    Some(host_start..pos)
}
