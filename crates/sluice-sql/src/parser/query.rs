//! Queries (`SELECT`, `WITH`, `UNION`, parenthesised queries) and the clauses that follow a
//! query or a `SHOW`/`DESCRIBE`/`EXISTS`/`EXPLAIN`: `SETTINGS k = v, …` and `FORMAT Name`,
//! which are lifted out of the statement into [`crate::ParsedStatement`].

use datafusion::sql::sqlparser::ast::{FormatClause, Query};
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan};
use sluice_common::Error;

use super::common::setting_value;
use super::{Parsed, StatementParser};
use crate::ast::{SettingValue, Statement};
use crate::tokens::is_word;

/// The `FORMAT` and `SETTINGS` removed from the end of a statement's tokens.
#[derive(Debug, Default)]
pub(crate) struct OutputClauses {
    /// `FORMAT Name`.
    pub format: Option<String>,
    /// The tokens of `k = v, …` after a trailing `SETTINGS`.
    pub settings_tokens: Option<Vec<TokenWithSpan>>,
}

/// Removes a trailing `FORMAT Name` and a trailing `SETTINGS k = v, …` (in either order)
/// from the depth-0 end of `tokens`.
pub(crate) fn strip_output_clauses(tokens: &mut Vec<TokenWithSpan>) -> OutputClauses {
    let mut out = OutputClauses::default();
    while tokens.last().map(|t| &t.token) == Some(&Token::SemiColon) {
        tokens.pop();
    }
    for _ in 0..2 {
        let n = tokens.len();
        if out.format.is_none()
            && n >= 2
            && is_word(&tokens[n - 2].token, "FORMAT")
            && let Token::Word(w) = &tokens[n - 1].token
        {
            out.format = Some(w.value.clone());
            tokens.truncate(n - 2);
            continue;
        }
        if out.settings_tokens.is_none()
            && let Some(pos) = last_depth0_settings(tokens)
            && looks_like_settings(&tokens[pos + 1..])
        {
            out.settings_tokens = Some(tokens.split_off(pos + 1));
            tokens.pop();
            continue;
        }
        break;
    }
    out
}

fn last_depth0_settings(tokens: &[TokenWithSpan]) -> Option<usize> {
    let mut depth = 0i32;
    let mut found = None;
    for (i, t) in tokens.iter().enumerate() {
        match t.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth -= 1,
            // `system.settings` is a table name, not the clause.
            _ if depth == 0
                && is_word(&t.token, "SETTINGS")
                && (i == 0 || tokens[i - 1].token != Token::Period) =>
            {
                found = Some(i)
            }
            _ => {}
        }
    }
    found
}

/// `name = literal (, name = literal)*` shape check (literals may be bracketed).
fn looks_like_settings(tokens: &[TokenWithSpan]) -> bool {
    let mut i = 0;
    loop {
        if !matches!(tokens.get(i).map(|t| &t.token), Some(Token::Word(_))) {
            return false;
        }
        if tokens.get(i + 1).map(|t| &t.token) != Some(&Token::Eq) {
            return false;
        }
        i += 2;
        let mut depth = 0i32;
        let mut any = false;
        while let Some(t) = tokens.get(i) {
            match t.token {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => depth -= 1,
                Token::Comma if depth == 0 => break,
                // `INSERT INTO t SETTINGS k = v SELECT …`: these settings precede the query.
                _ if depth == 0 && (is_word(&t.token, "SELECT") || is_word(&t.token, "WITH")) => {
                    return false;
                }
                _ => {}
            }
            any = true;
            i += 1;
        }
        if !any {
            return false;
        }
        if i >= tokens.len() {
            return true;
        }
        i += 1; // comma
    }
}

impl StatementParser<'_> {
    /// Parses the statement's settings tokens (if any were stripped).
    pub(crate) fn parse_stripped_settings(
        &self,
        tokens: Option<Vec<TokenWithSpan>>,
    ) -> Result<Vec<(String, SettingValue)>, Error> {
        let Some(tokens) = tokens else {
            return Ok(Vec::new());
        };
        let mut sub = StatementParser::new(self.sql, tokens);
        let list = sub.parse_settings_list()?;
        sub.expect_end()?;
        Ok(list)
    }

    /// A query statement (`SELECT …`): its SETTINGS/FORMAT clauses are already stripped.
    pub(crate) fn parse_query_statement(&mut self) -> Result<Parsed, Error> {
        let mut query = self.parse_query()?;
        self.expect_end()?;
        let (format, settings) = take_query_clauses(&mut query);
        Ok((Statement::Query(query), format, settings))
    }

    /// A query at the current position.
    pub(crate) fn parse_query(&mut self) -> Result<Box<Query>, Error> {
        self.parser.parse_query().map_err(|e| self.map_err(e))
    }
}

/// Moves `SETTINGS`/`FORMAT` that sqlparser attached to a query out of it.
pub(crate) fn take_query_clauses(
    query: &mut Query,
) -> (Option<String>, Vec<(String, SettingValue)>) {
    let settings = query
        .settings
        .take()
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.key.value.clone(), setting_value(&s.value)))
        .collect();
    let format = match query.format_clause.take() {
        Some(FormatClause::Identifier(id)) => Some(id.value),
        Some(FormatClause::Null) => Some("Null".to_string()),
        None => None,
    };
    (format, settings)
}
