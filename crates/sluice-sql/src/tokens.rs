//! Tokenizing a statement with sqlparser's tokenizer and rewriting the token stream so that
//! ClickHouse forms sqlparser does not know become forms it does (the encodings are listed
//! in [`crate::query_ext`]):
//! - `0x1F` (a number in ClickHouse, a hex *string* in sqlparser) → the decimal number;
//! - `{name:Type}` query parameters → one placeholder token (`Value::Placeholder`);
//! - `GLOBAL IN` / `GLOBAL JOIN` → `IN` / `JOIN` (one node: no difference);
//! - join strictness (`ALL`, `ANY`, `SEMI`, `ANTI`) → a plain join after a marker relation
//!   ([`crate::join_strictness`]);
//! - `USING a, b` without parentheses → `USING (a, b)`;
//! - `t [AS x] FINAL` → `t [AS x] WITH (FINAL)` (a table hint: [`crate::query_ext::is_final`]);
//! - `f(expr AS name)`, `[expr AS name]` → the alias removed, its uses substituted
//!   ([`crate::inline_alias`]);
//! - `WITH expr AS name` → a marker CTE;
//! - `ARRAY JOIN expr [AS x], …` → marker table functions ([`crate::array_join`]);
//! - the LIMIT forms sqlparser lacks (`LIMIT n BY x LIMIT m`, `LIMIT a, b BY x`,
//!   `LIMIT n WITH TIES`).

use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Word};
use sluice_common::Error;

use crate::dialect::SluiceDialect;
use crate::error::{from_parser_error, syntax_error_at};
use crate::query_ext::{FETCH_OFFSET_MARKER, WITH_EXPRESSION_MARKER};

/// Tokenizes `sql` (one statement, `#` comments already blanked) and applies the rewrites.
/// Whitespace and comment tokens are dropped.
pub fn prepare_tokens(sql: &str) -> Result<Vec<TokenWithSpan>, Error> {
    let dialect = SluiceDialect::new();
    let raw = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| {
            let err = ParserError::TokenizerError(e.to_string());
            from_parser_error(sql, &err)
        })?;
    let mut tokens: Vec<TokenWithSpan> = raw
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .collect();
    rewrite_hex_numbers(sql, &mut tokens);
    tokens = rewrite_placeholders(sql, tokens);
    tokens = crate::join_strictness::rewrite_join_operators(tokens)?;
    tokens = rewrite_using(tokens);
    if !tokens
        .first()
        .is_some_and(|t| is_word(&t.token, "OPTIMIZE"))
    {
        tokens = rewrite_final(tokens);
    }
    if !tokens.first().is_some_and(|t| is_word(&t.token, "SHOW")) {
        tokens = rewrite_in_table(tokens);
    }
    tokens = crate::inline_alias::rewrite_inline_aliases(tokens);
    tokens = rewrite_with_expressions(tokens);
    tokens = crate::array_join::rewrite_array_join(tokens);
    tokens = rewrite_limits(sql, tokens)?;
    tokens = crate::totals::rewrite_totals_without_group_by(tokens);
    Ok(tokens)
}

/// Whether `t` is the unquoted keyword `kw`.
#[allow(dead_code)]
pub fn is_kw(t: &Token, kw: Keyword) -> bool {
    matches!(t, Token::Word(w) if w.keyword == kw && w.quote_style.is_none())
}

/// Whether `t` is an unquoted word equal (ignoring case) to `s` (for words sqlparser has
/// no keyword for).
pub fn is_word(t: &Token, s: &str) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(s))
}

pub(crate) fn kw(s: &str) -> TokenWithSpan {
    TokenWithSpan::wrap(Token::make_keyword(s))
}

pub(crate) fn tok(t: Token) -> TokenWithSpan {
    TokenWithSpan::wrap(t)
}

/// Byte offset of a token's start in `sql`.
pub fn token_offset(sql: &str, t: &TokenWithSpan) -> usize {
    crate::error::offset_of(sql, t.span.start.line, t.span.start.column)
}

/// Byte offset just past a token's end in `sql`.
pub fn token_end_offset(sql: &str, t: &TokenWithSpan) -> usize {
    crate::error::offset_of(sql, t.span.end.line, t.span.end.column)
}

fn rewrite_hex_numbers(sql: &str, tokens: &mut [TokenWithSpan]) {
    for t in tokens.iter_mut() {
        if let Token::HexStringLiteral(hex) = &t.token {
            let start = token_offset(sql, t);
            let src = sql.get(start..start + 2).unwrap_or("");
            if src.eq_ignore_ascii_case("0x")
                && let Ok(v) = u128::from_str_radix(hex, 16)
            {
                t.token = Token::Number(v.to_string(), false);
            }
        }
    }
}

fn rewrite_placeholders(sql: &str, tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].token == Token::LBrace
            && matches!(tokens.get(i + 1).map(|t| &t.token), Some(Token::Word(w)) if w.quote_style.is_none())
            && tokens.get(i + 2).map(|t| &t.token) == Some(&Token::Colon)
        {
            // Find the matching `}`.
            let mut depth = 0i32;
            let mut j = i;
            while j < tokens.len() {
                match tokens[j].token {
                    Token::LBrace => depth += 1,
                    Token::RBrace => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            if j < tokens.len() {
                let start = token_offset(sql, &tokens[i]);
                let end = token_end_offset(sql, &tokens[j]);
                let text = sql.get(start..end).unwrap_or("{}").to_string();
                out.push(TokenWithSpan::new(
                    Token::Placeholder(text),
                    tokens[i].span.union(&tokens[j].span),
                ));
                i = j + 1;
                continue;
            }
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

fn rewrite_using(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out = Vec::with_capacity(tokens.len() + 4);
    let mut i = 0;
    while i < tokens.len() {
        out.push(tokens[i].clone());
        if is_word(&tokens[i].token, "USING")
            && matches!(tokens.get(i + 1).map(|t| &t.token), Some(Token::Word(_)))
        {
            out.push(tok(Token::LParen));
            i += 1;
            // ident [. ident] (, ident [. ident])*
            while let Some(Token::Word(_)) = tokens.get(i).map(|t| &t.token) {
                out.push(tokens[i].clone());
                i += 1;
                while tokens.get(i).map(|t| &t.token) == Some(&Token::Period)
                    && matches!(tokens.get(i + 1).map(|t| &t.token), Some(Token::Word(_)))
                {
                    out.push(tokens[i].clone());
                    out.push(tokens[i + 1].clone());
                    i += 2;
                }
                if tokens.get(i).map(|t| &t.token) == Some(&Token::Comma)
                    && matches!(tokens.get(i + 1).map(|t| &t.token), Some(Token::Word(w)) if w.keyword == Keyword::NoKeyword || w.quote_style.is_some())
                {
                    out.push(tokens[i].clone());
                    i += 1;
                    continue;
                }
                break;
            }
            out.push(tok(Token::RParen));
            continue;
        }
        i += 1;
    }
    out
}

/// `t [AS x] FINAL` → `t [AS x] WITH (FINAL)`. `FINAL` counts as the modifier when it
/// follows a name or `)` and ends the table expression (end, `)`, `,` or a clause/join
/// keyword follows), so a column called `final` in a select list stays a column.
fn rewrite_final(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    const FOLLOWERS: &[&str] = &[
        "WHERE",
        "PREWHERE",
        "GROUP",
        "ORDER",
        "LIMIT",
        "HAVING",
        "JOIN",
        "LEFT",
        "RIGHT",
        "INNER",
        "FULL",
        "CROSS",
        "SEMI",
        "ANTI",
        "ARRAY",
        "SAMPLE",
        "SETTINGS",
        "FORMAT",
        "UNION",
        "EXCEPT",
        "INTERSECT",
        "WINDOW",
        "QUALIFY",
        "OUTER",
        "PASTE",
        "INTO",
    ];
    let mut out = Vec::with_capacity(tokens.len() + 3);
    for (i, t) in tokens.iter().enumerate() {
        let is_final = is_word(&t.token, "FINAL")
            && i > 0
            && matches!(tokens[i - 1].token, Token::Word(_) | Token::RParen)
            && !is_word(&tokens[i - 1].token, "AS")
            && !is_word(&tokens[i - 1].token, "FINAL")
            && match tokens.get(i + 1).map(|n| &n.token) {
                None | Some(Token::EOF | Token::RParen | Token::Comma | Token::SemiColon) => true,
                Some(n) => FOLLOWERS.iter().any(|k| is_word(n, k)),
            };
        if is_final {
            out.push(tok(Token::make_keyword("WITH")));
            out.push(tok(Token::LParen));
            out.push(t.clone());
            out.push(tok(Token::RParen));
        } else {
            out.push(t.clone());
        }
    }
    out
}

/// `x IN t` / `x IN db.t` (a table's values) → `x IN (SELECT * FROM t)`.
fn rewrite_in_table(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        out.push(tokens[i].clone());
        let is_in = is_word(&tokens[i].token, "IN");
        let word_at = |j: usize| matches!(tokens.get(j).map(|t| &t.token), Some(Token::Word(_)));
        if is_in && word_at(i + 1) && !is_word(&tokens[i + 1].token, "PARTITION") {
            // name or db.name, not followed by `(` (a function call).
            let mut end = i + 2;
            if tokens.get(end).map(|t| &t.token) == Some(&Token::Period) && word_at(end + 1) {
                end += 2;
            }
            if tokens.get(end).map(|t| &t.token) != Some(&Token::LParen) {
                out.push(tok(Token::LParen));
                out.push(kw("SELECT"));
                out.push(tok(Token::Mul));
                out.push(kw("FROM"));
                out.extend_from_slice(&tokens[i + 1..end]);
                out.push(tok(Token::RParen));
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Index of the token closing the group opened at `open` (which must be `(` or `[`).
fn matching_close(tokens: &[TokenWithSpan], open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (j, t) in tokens.iter().enumerate().skip(open) {
        match t.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

/// Scans from `start` at the depth of `start`; returns the index of the first token at
/// that depth for which `stop` holds, or where the depth closes, or the end.
pub(crate) fn scan_same_depth(
    tokens: &[TokenWithSpan],
    start: usize,
    stop: impl Fn(&Token) -> bool,
) -> usize {
    let mut depth = 0i32;
    let mut j = start;
    while j < tokens.len() {
        let t = &tokens[j].token;
        match t {
            Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
            Token::RParen | Token::RBracket | Token::RBrace => {
                if depth == 0 {
                    return j;
                }
                depth -= 1;
            }
            Token::SemiColon if depth == 0 => return j,
            _ if depth == 0 && stop(t) => return j,
            _ => {}
        }
        j += 1;
    }
    tokens.len()
}

const WITH_MODIFIERS: &[&str] = &[
    "TOTALS",
    "ROLLUP",
    "CUBE",
    "FILL",
    "TIES",
    "ORDINALITY",
    "NAME",
    "CHECK",
    "RECURSIVE",
    "OFFSET",
    "TIME",
    "LOCAL",
    "NO",
    "DATA",
    "REPLACE",
    "GRANT",
    "ADMIN",
];

fn rewrite_with_expressions(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i].token;
        let starts_with_list = is_word(t, "WITH")
            && tokens
                .get(i + 1)
                .is_some_and(|n| !WITH_MODIFIERS.iter().any(|m| is_word(&n.token, m)));
        if !starts_with_list {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        let end = scan_same_depth(&tokens, i + 1, |t| is_word(t, "SELECT"));
        if end >= tokens.len() || !is_word(&tokens[end].token, "SELECT") {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        out.push(tokens[i].clone());
        // Elements separated by commas at depth 0 between i+1 and end.
        let mut elem_start = i + 1;
        let mut first = true;
        while elem_start < end {
            let elem_end = scan_same_depth(&tokens, elem_start, |t| *t == Token::Comma).min(end);
            let elem = &tokens[elem_start..elem_end];
            if !first {
                out.push(tok(Token::Comma));
            }
            first = false;
            out.extend(rewrite_with_element(elem));
            elem_start = elem_end + 1;
        }
        // Recurse into nested queries of the WITH list is done by the outer loop only for
        // tokens we did not copy; rewrite nested WITHs inside the copied elements too.
        i = end;
    }
    out
}

/// One WITH element: a CTE (`name AS (query)`) stays; `expr AS name` becomes
/// `name AS (SELECT expr FROM <marker>)`.
fn rewrite_with_element(elem: &[TokenWithSpan]) -> Vec<TokenWithSpan> {
    let is_cte = elem.len() >= 4
        && matches!(elem[0].token, Token::Word(_))
        && is_word(&elem[1].token, "AS")
        && elem[2].token == Token::LParen
        && (is_word(&elem[3].token, "SELECT")
            || is_word(&elem[3].token, "WITH")
            || elem[3].token == Token::LParen)
        && matching_close(elem, 2) == Some(elem.len() - 1);
    let nested = |ts: &[TokenWithSpan]| rewrite_with_expressions(ts.to_vec());
    if is_cte {
        return nested(elem);
    }
    // Last top-level AS followed by exactly one identifier.
    let n = elem.len();
    if n >= 3 && is_word(&elem[n - 2].token, "AS") && matches!(elem[n - 1].token, Token::Word(_)) {
        let mut out = vec![
            elem[n - 1].clone(),
            kw("AS"),
            tok(Token::LParen),
            kw("SELECT"),
        ];
        out.extend(nested(&elem[..n - 2]));
        out.push(kw("FROM"));
        out.push(tok(Token::Word(Word {
            value: WITH_EXPRESSION_MARKER.to_string(),
            quote_style: Some('`'),
            keyword: Keyword::NoKeyword,
        })));
        out.push(tok(Token::RParen));
        return out;
    }
    nested(elem)
}

fn is_limit_stop(t: &Token) -> bool {
    *t == Token::Comma
        || [
            "OFFSET",
            "BY",
            "WITH",
            "LIMIT",
            "SETTINGS",
            "FORMAT",
            "UNION",
            "EXCEPT",
            "INTERSECT",
            "FETCH",
        ]
        .iter()
        .any(|k| is_word(t, k))
}

fn is_limit_by_stop(t: &Token) -> bool {
    [
        "LIMIT",
        "SETTINGS",
        "FORMAT",
        "UNION",
        "EXCEPT",
        "INTERSECT",
        "OFFSET",
    ]
    .iter()
    .any(|k| is_word(t, k))
}

/// `LIMIT a [, b | OFFSET b]` starting at `i` (the LIMIT): (count, offset, next index).
type LimitSpec = (Vec<TokenWithSpan>, Option<Vec<TokenWithSpan>>, usize);

fn parse_limit_spec(tokens: &[TokenWithSpan], i: usize) -> LimitSpec {
    let a_end = scan_same_depth(tokens, i + 1, is_limit_stop);
    let a = tokens[i + 1..a_end].to_vec();
    match tokens.get(a_end).map(|t| &t.token) {
        Some(Token::Comma) => {
            let b_end = scan_same_depth(tokens, a_end + 1, is_limit_stop);
            (tokens[a_end + 1..b_end].to_vec(), Some(a), b_end)
        }
        Some(t) if is_word(t, "OFFSET") => {
            let b_end = scan_same_depth(tokens, a_end + 1, is_limit_stop);
            (a, Some(tokens[a_end + 1..b_end].to_vec()), b_end)
        }
        _ => (a, None, a_end),
    }
}

fn rewrite_limits(sql: &str, tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>, Error> {
    let mut out = Vec::with_capacity(tokens.len() + 8);
    let mut i = 0;
    while i < tokens.len() {
        if !is_word(&tokens[i].token, "LIMIT") {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        let (count, offset, next) = parse_limit_spec(&tokens, i);
        let at = |j: usize| tokens.get(j).map(|t| &t.token);
        if at(next).is_some_and(|t| is_word(t, "BY")) {
            // LIMIT n [OFFSET m] BY exprs
            let by_end = scan_same_depth(&tokens, next + 1, is_limit_by_stop);
            out.push(tokens[i].clone());
            out.extend(count);
            out.push(kw("BY"));
            out.extend(strip_item_aliases(&tokens[next + 1..by_end]));
            if let Some(off) = offset {
                out.push(kw("OFFSET"));
                out.extend(off);
            }
            i = by_end;
            if at(i).is_some_and(|t| is_word(t, "LIMIT")) {
                let (count2, offset2, next2) = parse_limit_spec(&tokens, i);
                let ties = at(next2).is_some_and(|t| is_word(t, "WITH"))
                    && at(next2 + 1).is_some_and(|t| is_word(t, "TIES"));
                out.push(kw("FETCH"));
                out.push(kw("FIRST"));
                match offset2 {
                    None => out.extend(count2),
                    Some(off) => out.push(fetch_with_offset(sql, &count2, &off)?),
                }
                out.push(kw("ROWS"));
                if ties {
                    out.push(kw("WITH"));
                    out.push(kw("TIES"));
                    i = next2 + 2;
                } else {
                    out.push(kw("ONLY"));
                    i = next2;
                }
            } else if at(i).is_some_and(|t| is_word(t, "OFFSET")) {
                let pos = token_offset(sql, &tokens[i]);
                return Err(syntax_error_at(sql, pos, "Expected LIMIT after LIMIT … BY"));
            }
            continue;
        }
        let ties = at(next).is_some_and(|t| is_word(t, "WITH"))
            && at(next + 1).is_some_and(|t| is_word(t, "TIES"));
        if ties {
            if let Some(off) = offset {
                out.push(kw("OFFSET"));
                out.extend(off);
                out.push(kw("ROWS"));
            }
            out.push(kw("FETCH"));
            out.push(kw("FIRST"));
            out.extend(count);
            out.push(kw("ROWS"));
            out.push(kw("WITH"));
            out.push(kw("TIES"));
            i = next + 2;
            continue;
        }
        out.extend_from_slice(&tokens[i..next]);
        i = next;
    }
    Ok(out)
}

/// The items of a `LIMIT n BY e1 [AS a1], e2 …` list without their aliases (sqlparser's
/// expression list has no place for them; ClickHouse accepts and ignores them there).
fn strip_item_aliases(items: &[TokenWithSpan]) -> Vec<TokenWithSpan> {
    let mut out = Vec::with_capacity(items.len());
    let mut depth = 0i32;
    let mut i = 0;
    while i < items.len() {
        let t = &items[i].token;
        match t {
            Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
            Token::RParen | Token::RBracket | Token::RBrace => depth -= 1,
            _ => {}
        }
        let ends_item = items.get(i + 2).is_none_or(|n| n.token == Token::Comma);
        if depth == 0
            && is_word(t, "AS")
            && matches!(items.get(i + 1).map(|n| &n.token), Some(Token::Word(_)))
            && ends_item
        {
            i += 2;
            continue;
        }
        out.push(items[i].clone());
        i += 1;
    }
    out
}

/// The `FETCH` quantity that carries both the count and the offset of a `LIMIT k OFFSET j`
/// following `LIMIT … BY` (sqlparser's query has one offset slot, taken by the BY clause's
/// own offset): the placeholder `FETCH_OFFSET_MARKER(k,j)`, decoded by
/// [`crate::query_ext::limit_parts`]. Both must be integer literals.
fn fetch_with_offset(
    sql: &str,
    count: &[TokenWithSpan],
    offset: &[TokenWithSpan],
) -> Result<TokenWithSpan, Error> {
    let number = |toks: &[TokenWithSpan]| match toks {
        [t] => match &t.token {
            Token::Number(n, _) if n.bytes().all(|b| b.is_ascii_digit()) => Some(n.clone()),
            _ => None,
        },
        _ => None,
    };
    match (number(count), number(offset)) {
        (Some(k), Some(j)) => Ok(tok(Token::Placeholder(format!(
            "{FETCH_OFFSET_MARKER}({k},{j})"
        )))),
        _ => {
            let pos = offset.first().map_or(sql.len(), |t| token_offset(sql, t));
            Err(syntax_error_at(
                sql,
                pos,
                "Expected integer literals in the LIMIT that follows LIMIT … BY",
            ))
        }
    }
}

/// Renders tokens back to SQL text with ClickHouse-like spacing (`Decimal(10, 2)`,
/// `Enum8('a' = 1)`, `Tuple(a UInt8)`). Used for type names and kept-as-text clauses.
pub fn render_tokens(tokens: &[TokenWithSpan]) -> String {
    let mut out = String::new();
    let mut prev: Option<&Token> = None;
    for t in tokens {
        let text = token_text(&t.token);
        let glue = match (prev, &t.token) {
            (None, _) => false,
            (Some(Token::LParen | Token::LBracket | Token::Period), _) => true,
            (_, Token::RParen | Token::RBracket | Token::Comma | Token::Period) => true,
            (Some(Token::Word(_)), Token::LParen) => true,
            (Some(Token::RParen), Token::LParen) => true,
            (Some(Token::Minus), Token::Number(..)) => {
                // Unary minus directly before a number: glue when the minus followed an
                // opening bracket, a comma or an operator.
                true
            }
            _ => false,
        };
        if !glue {
            out.push(' ');
        }
        out.push_str(&text);
        prev = Some(&t.token);
    }
    out.trim().to_string()
}

/// One token as SQL text.
pub fn token_text(t: &Token) -> String {
    match t {
        Token::Word(w) => match w.quote_style {
            Some(_) => crate::format::quote_identifier(&w.value),
            None => w.value.clone(),
        },
        Token::SingleQuotedString(s) => crate::format::quote_string(s),
        Token::Number(n, _) => n.clone(),
        other => other.to_string(),
    }
}

/// Multi-word SQL type names ClickHouse accepts.
fn continues_type_name(prev: &str, next: &Token) -> bool {
    let p = prev.to_ascii_uppercase();
    match p.as_str() {
        "DOUBLE" => is_word(next, "PRECISION"),
        "CHAR" | "CHARACTER" | "BINARY" | "NCHAR" => {
            is_word(next, "VARYING") || is_word(next, "LARGE")
        }
        "NATIONAL" => is_word(next, "CHAR") || is_word(next, "CHARACTER"),
        "LARGE" => is_word(next, "OBJECT"),
        "TINYINT" | "SMALLINT" | "INT" | "INTEGER" | "BIGINT" | "MEDIUMINT" | "INT1" => {
            is_word(next, "UNSIGNED") || is_word(next, "SIGNED")
        }
        _ => false,
    }
}

/// Reads a ClickHouse type (`Name`, `Name(args…)`, `DOUBLE PRECISION`) from `parser` and
/// returns its normalised text.
pub fn type_text_from_parser(parser: &mut Parser) -> Result<String, ParserError> {
    let first = parser.next_token();
    let mut toks = vec![first.clone()];
    let Token::Word(w) = &first.token else {
        return parser.expected("a data type", first);
    };
    let mut last_word = w.value.clone();
    while continues_type_name(&last_word, &parser.peek_token_ref().token) {
        let t = parser.next_token();
        if let Token::Word(w) = &t.token {
            last_word = w.value.clone();
        }
        toks.push(t);
    }
    if parser.peek_token_ref().token == Token::LParen {
        let mut depth = 0i32;
        loop {
            let t = parser.next_token();
            match t.token {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                Token::EOF => return parser.expected("')'", t),
                _ => {}
            }
            toks.push(t);
            if depth == 0 {
                break;
            }
        }
    }
    Ok(render_tokens(&toks))
}
