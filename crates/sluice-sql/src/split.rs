//! Splitting a script into statements, the way ClickHouse's clients do.
//!
//! Statements are separated by `;` outside string literals, quoted identifiers and
//! comments (`--…`, `/* … */` nested, and `# `/`#!` to the end of the line). An
//! `INSERT … FORMAT Name` whose format is not `Values` carries inline data: the data starts
//! after the format name (after the first newline when only blanks precede it) and runs to
//! the first empty line (`\n\n`) or the end of the input; a `;` inside it is data. This is
//! `clickhouse-client`'s rule (`INSERT INTO t FORMAT CSV 1,2;` inserts the row `1,2;`).
//! `VALUES` data ends at the first `;` outside quotes, like any other statement.

/// One statement's place in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementSpan {
    /// Byte offset of the statement's first character.
    pub start: usize,
    /// Byte offset just past the statement (before the `;`, or at the end of the data).
    pub end: usize,
    /// For `INSERT … FORMAT Name data`: byte offset where the inline data starts (it runs to
    /// `end`). `None` for every other statement.
    pub data_start: Option<usize>,
    /// For such an INSERT: byte offset just past the format name (the SQL part ends here).
    pub sql_end: usize,
}

/// A lexical view of a script used for splitting: the same text with `#` comments blanked
/// (so sqlparser's tokenizer, which does not know them in the ClickHouse dialect, sees
/// whitespace) and the statement spans.
#[derive(Debug, Clone)]
pub struct Script {
    /// The input with `# ` / `#!` comments replaced by spaces (same byte length).
    pub sanitized: String,
    /// The statements, in order; empty statements (only whitespace/comments) are skipped.
    pub statements: Vec<StatementSpan>,
}

/// Splits `sql` into statements.
pub fn split_statements(sql: &str) -> Script {
    let bytes = sql.as_bytes();
    let mut sanitized = bytes.to_vec();
    let mut statements = Vec::new();
    let mut i = 0usize;
    let n = bytes.len();
    // State of the current statement.
    let mut stmt_start: Option<usize> = None;
    let mut depth: i64 = 0;
    let mut word_index = 0usize; // number of words seen at depth 0 in this statement
    let mut is_insert = false;
    let mut prev_word_format = false;

    while i < n {
        let c = bytes[i];
        // Comments and whitespace do not start a statement.
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'-' && i + 1 < n && bytes[i + 1] == b'-' {
            while i < n && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'#' && i + 1 < n && (bytes[i + 1] == b' ' || bytes[i + 1] == b'!') {
            while i < n && bytes[i] != b'\n' {
                sanitized[i] = b' ';
                i += 1;
            }
            continue;
        }
        if c == b'/' && i + 1 < n && bytes[i + 1] == b'*' {
            let mut level = 1;
            i += 2;
            while i < n && level > 0 {
                if bytes[i] == b'/' && i + 1 < n && bytes[i + 1] == b'*' {
                    level += 1;
                    i += 2;
                } else if bytes[i] == b'*' && i + 1 < n && bytes[i + 1] == b'/' {
                    level -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            continue;
        }
        if c == b';' {
            if let Some(start) = stmt_start.take() {
                statements.push(StatementSpan {
                    start,
                    end: i,
                    data_start: None,
                    sql_end: i,
                });
            }
            depth = 0;
            word_index = 0;
            is_insert = false;
            prev_word_format = false;
            i += 1;
            continue;
        }
        if stmt_start.is_none() {
            stmt_start = Some(i);
        }
        match c {
            b'\'' | b'"' | b'`' => {
                i = skip_quoted(bytes, i);
                prev_word_format = false;
                word_index += 1;
            }
            b'(' | b'[' => {
                depth += 1;
                i += 1;
                prev_word_format = false;
            }
            b')' | b']' => {
                depth -= 1;
                i += 1;
                prev_word_format = false;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let w_start = i;
                while i < n
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                let word = &sql[w_start..i];
                if word_index == 0 && depth == 0 {
                    is_insert = word.eq_ignore_ascii_case("INSERT");
                }
                word_index += 1;
                if is_insert
                    && depth == 0
                    && prev_word_format
                    && !word.eq_ignore_ascii_case("Values")
                {
                    // Inline data follows the format name.
                    let sql_end = i;
                    let mut d = i;
                    while d < n && matches!(bytes[d], b' ' | b'\t' | b'\x0c') {
                        d += 1;
                    }
                    if d < n && bytes[d] == b'\r' {
                        d += 1;
                    }
                    if d < n && bytes[d] == b'\n' {
                        d += 1;
                    }
                    let rest = &sql[d..];
                    let trimmed = rest.trim_start();
                    let start = stmt_start.take().unwrap_or(w_start);
                    if trimmed.is_empty() || trimmed.starts_with(';') {
                        // No inline data: the statement ends at the format name.
                        statements.push(StatementSpan {
                            start,
                            end: sql_end,
                            data_start: None,
                            sql_end,
                        });
                        i = sql_end;
                    } else {
                        let end = match rest.find("\n\n") {
                            Some(p) => d + p,
                            None => n,
                        };
                        statements.push(StatementSpan {
                            start,
                            end,
                            data_start: Some(d),
                            sql_end,
                        });
                        i = end;
                    }
                    depth = 0;
                    word_index = 0;
                    is_insert = false;
                    prev_word_format = false;
                    continue;
                }
                prev_word_format = depth == 0 && word.eq_ignore_ascii_case("FORMAT");
            }
            _ => {
                i += utf8_len(c);
                prev_word_format = false;
            }
        }
    }
    if let Some(start) = stmt_start {
        statements.push(StatementSpan {
            start,
            end: n,
            data_start: None,
            sql_end: n,
        });
    }
    // Only ASCII bytes were replaced by ASCII spaces inside whole comments, but a comment
    // may contain multi-byte characters: all their bytes were blanked, so the result is
    // valid UTF-8 either way; fall back to the original text if not.
    let sanitized = String::from_utf8(sanitized).unwrap_or_else(|_| sql.to_string());
    Script {
        sanitized,
        statements,
    }
}

/// Skips a quoted string/identifier starting at `i` (the quote); returns the index after
/// the closing quote (or the end of input when unterminated). Handles `\x` escapes and
/// doubled quotes.
fn skip_quoted(bytes: &[u8], i: usize) -> usize {
    let q = bytes[i];
    let mut j = i + 1;
    while j < bytes.len() {
        let b = bytes[j];
        if b == b'\\' {
            j += 2;
            continue;
        }
        if b == q {
            if j + 1 < bytes.len() && bytes[j + 1] == q {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    bytes.len()
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xff => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        split_statements(sql)
            .statements
            .iter()
            .map(|s| sql[s.start..s.end].to_string())
            .collect()
    }

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        assert_eq!(
            texts("SELECT ';'; SELECT 2 -- ; x\n; /* ; */ SELECT `a;b`"),
            vec!["SELECT ';'", "SELECT 2 -- ; x\n", "SELECT `a;b`"]
        );
        assert_eq!(texts("  ;; \n"), Vec::<String>::new());
        assert_eq!(
            texts("SELECT 'it''s;'; SELECT 'a\\';'"),
            vec!["SELECT 'it''s;'", "SELECT 'a\\';'"]
        );
    }

    #[test]
    fn insert_format_data_runs_to_empty_line() {
        let sql = "INSERT INTO t FORMAT CSV\n1,2;\n3,4\n\nSELECT 1; SELECT 2";
        let script = split_statements(sql);
        assert_eq!(script.statements.len(), 3);
        let s = script.statements[0];
        assert_eq!(&sql[s.start..s.sql_end], "INSERT INTO t FORMAT CSV");
        assert_eq!(s.data_start.map(|d| &sql[d..s.end]), Some("1,2;\n3,4"));
        assert_eq!(texts(sql)[1], "SELECT 1");
    }

    #[test]
    fn insert_values_ends_at_semicolon() {
        assert_eq!(
            texts("INSERT INTO t VALUES (1, ';'); SELECT 1"),
            vec!["INSERT INTO t VALUES (1, ';')", "SELECT 1"]
        );
        assert_eq!(
            texts("INSERT INTO t FORMAT Values (1); SELECT 1"),
            vec!["INSERT INTO t FORMAT Values (1)", "SELECT 1"]
        );
    }

    #[test]
    fn insert_format_without_data() {
        let sql = "INSERT INTO t FORMAT JSONEachRow; SELECT 1";
        assert_eq!(
            texts(sql),
            vec!["INSERT INTO t FORMAT JSONEachRow", "SELECT 1"]
        );
    }

    #[test]
    fn hash_comments_are_blanked() {
        let script = split_statements("SELECT 1 # c ; still comment\n");
        assert_eq!(script.statements.len(), 1);
        assert!(!script.sanitized.contains('#'));
    }
}
