//! String escaping rules of ClickHouse's text formats: TSV escaping, single-quoted
//! literals (arrays, tuples, maps, `Values`), CSV quoting and JSON strings.

/// TSV escaping (`TabSeparated`): backslash escapes for `\b \f \n \r \t \0 \\ \'`.
pub fn write_tsv_escaped(out: &mut Vec<u8>, s: &[u8]) {
    write_backslash_escaped(out, s, b'\'');
}

fn write_backslash_escaped(out: &mut Vec<u8>, s: &[u8], quote: u8) {
    let mut start = 0;
    for (i, &c) in s.iter().enumerate() {
        let esc: &[u8] = match c {
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\\' => b"\\\\",
            0 => b"\\0",
            0x08 => b"\\b",
            0x0c => b"\\f",
            c if c == quote => {
                out.extend_from_slice(&s[start..i]);
                out.push(b'\\');
                out.push(c);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
}

/// A single-quoted literal as in `['a','b']` and `Values`: `'a\'b'`.
pub fn write_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'\'');
    write_backslash_escaped(out, s, b'\'');
    out.push(b'\'');
}

/// A back-quoted identifier when needed, as ClickHouse prints column names in
/// `Values`-like contexts.
pub fn write_back_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'`');
    write_backslash_escaped(out, s, b'`');
    out.push(b'`');
}

/// A CSV field in double quotes, with `"` doubled.
pub fn write_csv_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    let mut start = 0;
    for i in memchr::memchr_iter(b'"', s) {
        out.extend_from_slice(&s[start..=i]);
        out.push(b'"');
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

/// A JSON string: `"` and `\` escaped, `\b \f \n \r \t`, other control characters as
/// `\u00XX`, `/` as `\/` when `escape_forward_slashes`
/// (`output_format_json_escape_forward_slashes`, on by default). Other bytes pass
/// through unchanged (ClickHouse does not validate UTF-8 by default).
pub fn write_json_string(out: &mut Vec<u8>, s: &[u8], escape_forward_slashes: bool) {
    out.push(b'"');
    let mut start = 0;
    for (i, &c) in s.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'/' if escape_forward_slashes => b"\\/",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            c if c < 0x20 => {
                out.extend_from_slice(&s[start..i]);
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 15) as usize]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_clickhouse() {
        // ch-oracle -f TSV -q "SELECT 'a''b\0\b\f\r\\\\\"/\x01é' s"
        let input = "a'b\0\x08\x0c\r\\\"/\x01é".as_bytes();
        let mut o = Vec::new();
        write_tsv_escaped(&mut o, input);
        assert_eq!(o, "a\\'b\\0\\b\\f\\r\\\\\"/\x01é".as_bytes());
        // ch-oracle -f CSV (same query)
        let mut o = Vec::new();
        write_csv_quoted(&mut o, input);
        assert_eq!(o, "\"a'b\0\x08\x0c\r\\\"\"/\x01é\"".as_bytes());
        // ch-oracle -f Values (same query)
        let mut o = Vec::new();
        write_quoted(&mut o, input);
        assert_eq!(o, "'a\\'b\\0\\b\\f\\r\\\\\"/\x01é'".as_bytes());
        // ch-oracle -f JSONEachRow (same query)
        let mut o = Vec::new();
        write_json_string(&mut o, input, true);
        assert_eq!(o, "\"a'b\\u0000\\b\\f\\r\\\\\\\"\\/\\u0001é\"".as_bytes());
    }
}
