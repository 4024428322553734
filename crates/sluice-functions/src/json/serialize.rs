//! Writes a value back as JSON text the way ClickHouse does (`JSONExtractRaw`,
//! `JSONExtractString` of a non-string, `JSONExtractArrayRaw`…): no whitespace, strings
//! re-escaped (`"` `\` `\b` `\f` `\n` `\r` `\t`, other control characters as `\u00XX` with
//! upper-case hex; `/` and non-ASCII as is), integers normalized (`-0` → `0`), integers too
//! big for 64 bits quoted, doubles in ClickHouse's shortest form.
//!
//! Strings and keys without escapes are copied from the input verbatim, which is what makes
//! serializing typical documents a few `memcpy`s.

use super::doc::Doc;
use super::number::{Num, classify, write_double};

/// Appends value `i` of `doc` as ClickHouse-normalized JSON text.
pub fn write_value(doc: &Doc<'_>, i: usize, out: &mut Vec<u8>) {
    let n = doc.node(i);
    let raw = doc.raw(i);
    match raw[0] {
        b'"' => {
            if n.flag() {
                let content = doc.str_content(i);
                write_string(&content, out);
            } else {
                out.extend_from_slice(raw);
            }
        }
        b'{' => {
            out.push(b'{');
            for (k, c) in doc.children(i).enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                let m = doc.node(c);
                if m.key_escaped() {
                    write_string(&doc.key(c), out);
                } else {
                    let (s, e) = m.key_span();
                    out.push(b'"');
                    out.extend_from_slice(&doc.bytes[s..e]);
                    out.push(b'"');
                }
                out.push(b':');
                write_value(doc, c, out);
            }
            out.push(b'}');
        }
        b'[' => {
            out.push(b'[');
            for (k, c) in doc.children(i).enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                write_value(doc, c, out);
            }
            out.push(b']');
        }
        b't' | b'f' | b'n' => out.extend_from_slice(raw),
        _ => match classify(raw, n.flag()) {
            Num::Double(v) => write_double(v, out),
            Num::Big => {
                out.push(b'"');
                out.extend_from_slice(raw);
                out.push(b'"');
            }
            Num::Int(0) => out.push(b'0'),
            Num::Int(_) | Num::UInt(_) => out.extend_from_slice(raw),
        },
    }
}

/// Appends `s` as a quoted JSON string with ClickHouse's escaping.
pub fn write_string(s: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push(b'"');
    let mut start = 0;
    for (i, &c) in s.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        if esc.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(c >> 4) as usize]);
            out.push(HEX[(c & 15) as usize]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::tape::parse;

    fn roundtrip(s: &str) -> String {
        let mut nodes = Vec::new();
        assert!(parse(s.as_bytes(), &mut nodes).is_ok(), "{s}");
        let doc = Doc {
            bytes: s.as_bytes(),
            nodes: &nodes,
        };
        let mut out = Vec::new();
        write_value(&doc, 0, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Expectations from ClickHouse's `JSONExtractRaw` / `JSONExtractString` (ch-oracle).
    #[test]
    fn serialization_matches_clickhouse() {
        assert_eq!(
            roundtrip(r#"{"a":{"b" : 1, "c":[1, 2,"x"]}}"#),
            r#"{"a":{"b":1,"c":[1,2,"x"]}}"#
        );
        assert_eq!(
            roundtrip(
                r#"{"b":-1.5e-7, "c":1e22, "d":1e21, "e": 123.456e5, "f":-9223372036854775808, "g": 18446744073709551616}"#
            ),
            r#"{"b":-1.5e-7,"c":1e22,"d":1e21,"e":12345600,"f":-9223372036854775808,"g":"18446744073709551616"}"#
        );
        assert_eq!(roundtrip(r#"{"c":"\u00e9\n\/"}"#), "{\"c\":\"é\\n/\"}");
        assert_eq!(
            roundtrip(r#"{"c":"\"\\\t\u0001\u001f\u007f\ud83d\ude00 é\b\f\r"}"#),
            "{\"c\":\"\\\"\\\\\\t\\u0001\\u001F\u{7f}😀 é\\b\\f\\r\"}"
        );
        assert_eq!(roundtrip(r#"{"\u00e9":1}"#), "{\"é\":1}");
        assert_eq!(
            roundtrip(r#"["x", {}, [], {"":null}, true, false]"#),
            r#"["x",{},[],{"":null},true,false]"#
        );
        assert_eq!(
            roundtrip(r#"{"e":-0, "f":-0.0, "h": 1.0, "d": 1e2}"#),
            r#"{"e":0,"f":-0,"h":1,"d":100}"#
        );
        assert_eq!(roundtrip(r#"{"abc":"\n\u0000"}"#), r#"{"abc":"\n\u0000"}"#);
    }
}
