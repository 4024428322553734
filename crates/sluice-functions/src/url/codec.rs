//! Percent-encoding: `encodeURLComponent` keeps `[0-9A-Za-z-_.~]` and writes every other
//! byte as `%XX` (upper-case hex); `encodeURLFormComponent` also writes space as `+`.
//! `decodeURLComponent` turns each `%XX` with two hex digits into its byte and leaves other
//! `%` alone; `decodeURLFormComponent` also reads `+` as space.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;

use super::parts::url_type;
use crate::string::col::{StrBuilder, StrCol};
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    vec![
        ChUdf::new("encodeURLComponent", url_type, encode).build(),
        ChUdf::new("encodeURLFormComponent", url_type, encode_form).build(),
        ChUdf::new("decodeURLComponent", decode_type, decode).build(),
        ChUdf::new("decodeURLFormComponent", decode_type, decode_form).build(),
    ]
}

/// Decoding makes arbitrary bytes: the result is stored as `Binary`.
fn decode_type(a: &TypeArgs) -> Result<Ret> {
    let t = url_type(a)?.t;
    Ok(Ret { t, binary: true })
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn encode_into(out: &mut Vec<u8>, s: &[u8], form: bool) {
    for &c in s {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            out.push(c);
        } else if c == b' ' && form {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
        }
    }
}

fn decode_into(out: &mut Vec<u8>, s: &[u8], form: bool) {
    let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'+' && form {
            out.push(b' ');
        } else if c == b'%'
            && let (Some(h), Some(l)) = (hex(s.get(i + 1)), hex(s.get(i + 2)))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        } else {
            out.push(c);
        }
        i += 1;
    }
}

fn run(a: &Args, f: fn(&mut Vec<u8>, &[u8], bool), form: bool, binary: bool) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let mut b = StrBuilder::new(a.rows, binary);
    for i in 0..a.rows {
        f(b.current(), s.get(i), form);
        b.finish_row()?;
    }
    b.finish()
}

fn encode(a: &Args) -> Result<ArrayRef> {
    run(a, encode_into, false, false)
}

fn encode_form(a: &Args) -> Result<ArrayRef> {
    run(a, encode_into, true, false)
}

fn decode(a: &Args) -> Result<ArrayRef> {
    run(a, decode_into, false, true)
}

fn decode_form(a: &Args) -> Result<ArrayRef> {
    run(a, decode_into, true, true)
}
