//! Turning parse failures into ClickHouse exceptions: `SYNTAX_ERROR` (62) with a message in
//! ClickHouse's shape, `Syntax error: failed at position N (token) (line L, col C): rest.
//! Expected …`.

use datafusion::sql::sqlparser::parser::ParserError;
use sluice_common::{Error, ErrorCode};

/// Builds the `SYNTAX_ERROR` for a failure at byte `offset` of `sql`, with `detail`
/// (what was expected) appended.
pub fn syntax_error_at(sql: &str, offset: usize, detail: &str) -> Error {
    let offset = floor_char_boundary(sql, offset.min(sql.len()));
    let before = &sql[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let rest = &sql[offset..];
    let token = first_token(rest);
    let shown_token = if token.is_empty() {
        "end of query".to_string()
    } else {
        format!("'{token}'")
    };
    let excerpt: String = rest.chars().take(60).collect();
    let detail = detail.trim();
    let mut msg = format!(
        "Syntax error: failed at position {} ({}) (line {}, col {}): {}",
        offset + 1,
        shown_token,
        line,
        col,
        excerpt
    );
    if !detail.is_empty() {
        if !msg.ends_with('.') {
            msg.push('.');
        }
        msg.push(' ');
        msg.push_str(detail);
    }
    Error::new(ErrorCode::SYNTAX_ERROR, msg)
}

/// Converts a sqlparser error on `sql` (whose tokens were positioned against `sql`).
pub fn from_parser_error(sql: &str, err: &ParserError) -> Error {
    let text = match err {
        ParserError::TokenizerError(s) | ParserError::ParserError(s) => s.clone(),
        ParserError::RecursionLimitExceeded => {
            return Error::new(
                ErrorCode::SYNTAX_ERROR,
                "Maximum parse depth exceeded: the query is nested too deeply",
            );
        }
    };
    let (detail, offset) = match split_location(&text) {
        Some((detail, line, col)) => (detail, offset_of(sql, line, col)),
        None => (text.as_str(), sql.len()),
    };
    syntax_error_at(sql, offset, &capitalize(detail))
}

/// Byte offset of 1-based (`line`, `col` in characters) in `sql`.
pub fn offset_of(sql: &str, line: u64, col: u64) -> usize {
    if line == 0 {
        return sql.len();
    }
    let mut offset = 0usize;
    for (i, l) in sql.split_inclusive('\n').enumerate() {
        if (i as u64) + 1 == line {
            for (chars, (b, _)) in (1u64..).zip(l.char_indices()) {
                if chars == col {
                    return offset + b;
                }
            }
            return offset + l.len();
        }
        offset += l.len();
    }
    sql.len()
}

/// Splits "message at Line: L, Column: C" into its parts.
fn split_location(text: &str) -> Option<(&str, u64, u64)> {
    let idx = text.rfind(" at Line: ")?;
    let loc = &text[idx + " at Line: ".len()..];
    let (l, c) = loc.split_once(", Column: ")?;
    let line = l.trim().parse().ok()?;
    let col = c.trim().parse().ok()?;
    Some((&text[..idx], line, col))
}

fn capitalize(s: &str) -> String {
    let s = s.trim();
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

fn first_token(rest: &str) -> &str {
    let rest = rest.trim_start();
    let mut end = 0;
    for (i, c) in rest.char_indices() {
        if c.is_alphanumeric() || c == '_' {
            end = i + c.len_utf8();
        } else {
            if i == 0 {
                end = c.len_utf8();
            }
            break;
        }
    }
    &rest[..end]
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_shape() {
        let e = syntax_error_at("SELECT 1 FRM t", 9, "Expected end of query");
        assert_eq!(e.code, ErrorCode::SYNTAX_ERROR);
        assert_eq!(
            e.message,
            "Syntax error: failed at position 10 ('FRM') (line 1, col 10): FRM t. Expected end of query"
        );
    }

    #[test]
    fn locations() {
        assert_eq!(offset_of("ab\ncd", 2, 2), 4);
        assert_eq!(offset_of("ab", 1, 9), 2);
        assert_eq!(
            split_location("Expected: x, found: y at Line: 3, Column: 7"),
            Some(("Expected: x, found: y", 3, 7))
        );
    }
}
