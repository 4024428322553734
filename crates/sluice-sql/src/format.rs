//! Small printing helpers shared by the formatters: ClickHouse's quoting of identifiers and
//! string literals, and float printing.

/// Quotes an identifier as ClickHouse prints it: bare when it is a plain identifier
/// (`[A-Za-z_][A-Za-z0-9_]*`, not starting with a digit), otherwise back-quoted with `` ` ``
/// and `\` escaped.
pub fn quote_identifier(name: &str) -> String {
    if is_bare_identifier(name) {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('`');
    for c in name.chars() {
        match c {
            '`' => out.push_str("\\`"),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('`');
    out
}

/// Whether ClickHouse prints `name` without quotes.
pub fn is_bare_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Quotes a string literal with single quotes and ClickHouse's escapes (`\'`, `\\`, `\n`,
/// `\t`, `\r`, `\0`, `\b`, `\f`, other control bytes as `\xHH`).
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Prints a float the way ClickHouse prints float literals in SQL (shortest round-trip
/// form; `inf`, `-inf`, `nan`).
pub fn format_float(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        let s = format!("{v}");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(quote_identifier("abc_1"), "abc_1");
        assert_eq!(quote_identifier("1abc"), "`1abc`");
        assert_eq!(quote_identifier("a b"), "`a b`");
        assert_eq!(quote_identifier("a`b"), "`a\\`b`");
        assert_eq!(quote_identifier(""), "``");
    }

    #[test]
    fn strings() {
        assert_eq!(quote_string("it's"), "'it\\'s'");
        assert_eq!(quote_string("a\nb\\"), "'a\\nb\\\\'");
    }
}
