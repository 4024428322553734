//! Aliases inside expressions: ClickHouse accepts `expr AS name` anywhere an expression
//! stands (`[1 AS a, 2]`, `plus(1 AS x, 2)`, `count(number AS n)`), and the name is then
//! usable in the whole query. sqlparser accepts aliases only on select items, so an alias
//! that ends an element of an array literal or of a function call's arguments is removed and
//! every other use of the name in the statement becomes the aliased expression, in
//! parentheses (what the engine does with select-list aliases too).
//!
//! `CAST(x AS T)` and its spellings, subqueries (`(SELECT … AS a, …)`) and CTE bodies are
//! left alone.

use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::tokens::{is_word, tok};

/// Functions whose `AS` is part of their syntax.
const AS_SYNTAX: &[&str] = &["CAST", "TRY_CAST", "SAFE_CAST"];

/// Words after which `(` does not open a function call's arguments.
const NOT_CALLS: &[&str] = &[
    "AS", "IN", "ON", "USING", "VALUES", "OVER", "FROM", "JOIN", "EXISTS", "ANY", "ALL", "AND",
    "OR", "NOT", "WHERE", "SELECT", "BY", "HAVING", "WINDOW", "INTO", "TABLE", "WHEN", "THEN",
    "ELSE", "CASE", "PREWHERE", "LIMIT", "SETTINGS", "INTERVAL",
];

#[derive(Clone, Copy, PartialEq)]
enum Open {
    /// An array literal or a call's argument list: aliases are rewritten.
    List,
    /// Anything else (subqueries, CAST, nested expressions, column lists).
    Other,
}

fn opens_list(tokens: &[TokenWithSpan], i: usize) -> Open {
    let next_starts_query = tokens
        .get(i + 1)
        .is_some_and(|t| is_word(&t.token, "SELECT") || is_word(&t.token, "WITH"));
    if next_starts_query {
        return Open::Other;
    }
    match &tokens[i].token {
        Token::LBracket => Open::List,
        Token::LParen => match i.checked_sub(1).map(|p| &tokens[p].token) {
            Some(t @ Token::Word(w)) => {
                let as_syntax = AS_SYNTAX.iter().any(|k| is_word(t, k));
                let keyword = w.quote_style.is_none()
                    && NOT_CALLS.iter().any(|k| w.value.eq_ignore_ascii_case(k));
                // `* REPLACE (expr AS col, …)`: the column transformer, not `replace()`.
                let wildcard_replace = is_word(t, "REPLACE")
                    && i.checked_sub(2)
                        .is_some_and(|p| matches!(tokens[p].token, Token::Mul));
                if as_syntax || keyword || wildcard_replace {
                    Open::Other
                } else {
                    Open::List
                }
            }
            _ => Open::Other,
        },
        _ => Open::Other,
    }
}

/// Removes inline aliases and substitutes their uses (see the module doc).
pub(crate) fn rewrite_inline_aliases(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    if !tokens.iter().any(|t| is_word(&t.token, "AS")) {
        return tokens;
    }
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    // Open brackets: kind and the index in `out` where the current element starts.
    let mut stack: Vec<(Open, usize)> = Vec::new();
    let mut aliases: Vec<(String, Vec<TokenWithSpan>)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i].token;
        match t {
            Token::LParen | Token::LBracket => {
                let kind = opens_list(&tokens, i);
                out.push(tokens[i].clone());
                stack.push((kind, out.len()));
                i += 1;
                continue;
            }
            Token::RParen | Token::RBracket => {
                stack.pop();
            }
            Token::Comma => {
                out.push(tokens[i].clone());
                if let Some(top) = stack.last_mut() {
                    top.1 = out.len();
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        if is_word(t, "AS")
            && let Some(&(Open::List, start)) = stack.last()
            && let Some(Token::Word(name)) = tokens.get(i + 1).map(|t| &t.token)
            && matches!(
                tokens.get(i + 2).map(|t| &t.token),
                Some(Token::Comma | Token::RParen | Token::RBracket)
            )
            && start < out.len()
        {
            aliases.push((name.value.clone(), out[start..].to_vec()));
            i += 2;
            continue;
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    if aliases.is_empty() {
        return out;
    }
    substitute(out, &aliases)
}

/// Replaces uses of each alias name (not after `.` or `AS`, not before `(`) by the aliased
/// expression in parentheses.
fn substitute(
    tokens: Vec<TokenWithSpan>,
    aliases: &[(String, Vec<TokenWithSpan>)],
) -> Vec<TokenWithSpan> {
    let mut out = Vec::with_capacity(tokens.len());
    for (i, t) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &tokens[p].token);
        let next = tokens.get(i + 1).map(|n| &n.token);
        let replaceable = !matches!(prev, Some(Token::Period))
            && !prev.is_some_and(|p| is_word(p, "AS"))
            && !matches!(next, Some(Token::LParen | Token::Period));
        if let Token::Word(w) = &t.token
            && replaceable
            && let Some((_, expr)) = aliases.iter().find(|(n, _)| *n == w.value)
        {
            out.push(tok(Token::LParen));
            out.extend(expr.iter().cloned());
            out.push(tok(Token::RParen));
            continue;
        }
        out.push(t.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{Statement, parse_statement};

    fn sql(text: &str) -> String {
        match parse_statement(text).expect("parses").statement {
            Statement::Query(q) => q.to_string(),
            _ => String::new(),
        }
    }

    #[test]
    fn aliases_in_arrays_and_calls() {
        assert_eq!(
            sql("SELECT [1 AS a, 2] AS arr, a"),
            "SELECT [1, 2] AS arr, (1)"
        );
        assert_eq!(
            sql("SELECT plus(1 AS x, 2), x * 10"),
            "SELECT plus(1, 2), (1) * 10"
        );
        assert_eq!(
            sql("SELECT CAST(1 AS String), count(number AS n) FROM t"),
            "SELECT CAST(1 AS String), count(number) FROM t"
        );
        assert_eq!(
            sql("SELECT x FROM (SELECT 1 AS x, 2 AS y)"),
            "SELECT x FROM (SELECT 1 AS x, 2 AS y)"
        );
    }
}
