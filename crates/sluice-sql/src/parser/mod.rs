//! The statement parser: [`parse_statements`] splits the input, prepares each statement's
//! tokens and dispatches on the first keyword to a statement family's parser. Expressions
//! and queries are parsed by sqlparser's `Parser` on the same token stream (GreptimeDB's
//! `ParserContext` pattern).
//!
//! Families: [`query`] (SELECT, SETTINGS/FORMAT), [`create`] (CREATE/ATTACH),
//! [`engine`] (engine clause, columns), [`alter`], [`insert`], [`show`] (SHOW, DESCRIBE,
//! EXISTS), [`misc`] (DROP, RENAME, TRUNCATE, OPTIMIZE, DELETE, USE, SET, KILL, DETACH,
//! SYSTEM, EXPLAIN), [`common`] (shared helpers).

mod alter;
mod common;
mod create;
mod engine;
mod insert;
mod misc;
mod query;
mod show;

pub use insert::parse_values_rows;

use datafusion::sql::sqlparser::dialect::ClickHouseDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan};
use sluice_common::Error;

use crate::ast::{ParsedStatement, Statement};
use crate::dialect::SluiceDialect;
use crate::split::split_statements;
use crate::tokens::prepare_tokens;

static DIALECT: SluiceDialect = SluiceDialect::const_new(ClickHouseDialect {});

/// Parses a script of `;`-separated ClickHouse statements (see [`crate::split`] for how
/// statements and inline INSERT data are delimited). Fails on the first statement that does
/// not parse: `SYNTAX_ERROR` (62) with a ClickHouse-style message, `NOT_IMPLEMENTED` (48)
/// for ClickHouse statements Sluice does not support. Never panics.
pub fn parse_statements(sql: &str) -> Result<Vec<ParsedStatement>, Error> {
    let script = split_statements(sql);
    let mut out = Vec::with_capacity(script.statements.len());
    for span in &script.statements {
        let text = sql.get(span.start..span.end).unwrap_or_default();
        let sql_part = script
            .sanitized
            .get(span.start..span.sql_end)
            .unwrap_or_default();
        let data = span
            .data_start
            .and_then(|d| sql.get(d..span.end))
            .map(str::to_string);
        let mut parsed = parse_one(sql_part, data)?;
        parsed.text = text.to_string();
        out.push(parsed);
    }
    Ok(out)
}

/// Parses exactly one statement (no `;` separation; a trailing `;` is allowed).
pub fn parse_statement(sql: &str) -> Result<ParsedStatement, Error> {
    let mut all = parse_statements(sql)?;
    match all.len() {
        1 => Ok(all.remove(0)),
        0 => Err(crate::error::syntax_error_at(sql, sql.len(), "Empty query")),
        _ => Err(Error::new(
            sluice_common::ErrorCode::SYNTAX_ERROR,
            "Multi-statements are not allowed here",
        )),
    }
}

/// One statement's text (`sql`, without inline data) plus its inline INSERT data.
fn parse_one(sql: &str, data: Option<String>) -> Result<ParsedStatement, Error> {
    let mut tokens = prepare_tokens(sql)?;
    let first = match tokens.first().map(|t| &t.token) {
        Some(Token::Word(w)) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
        Some(Token::LParen) => "(".to_string(),
        _ => String::new(),
    };
    let strip = matches!(
        first.as_str(),
        "SELECT"
            | "WITH"
            | "("
            | "SHOW"
            | "DESCRIBE"
            | "DESC"
            | "EXISTS"
            | "EXPLAIN"
            | "FROM"
            | "VALUES"
            | "TABLE"
    );
    // INSERT … SELECT … SETTINGS: sqlparser reads SETTINGS only after some clauses.
    let strip = strip || (first == "INSERT" && !has_depth0_word(&tokens, &["VALUES", "FORMAT"]));
    let clauses = if strip {
        query::strip_output_clauses(&mut tokens)
    } else {
        query::OutputClauses::default()
    };
    // A trailing `SETTINGS`/`FORMAT` without its argument (but `FROM system.settings`
    // names a table).
    let after_period = tokens.len() >= 2 && tokens[tokens.len() - 2].token == Token::Period;
    if strip
        && !after_period
        && let Some(last) = tokens.last()
        && ["SETTINGS", "FORMAT"]
            .iter()
            .any(|w| crate::tokens::is_word(&last.token, w))
    {
        let offset = crate::tokens::token_offset(sql, last);
        let what = if crate::tokens::is_word(&last.token, "FORMAT") {
            "Expected identifier (format name)"
        } else {
            "Expected setting name"
        };
        return Err(crate::error::syntax_error_at(
            sql,
            sql.trim_end().len().max(offset),
            what,
        ));
    }
    let mut ctx = StatementParser::new(sql, tokens);
    let stripped_settings = ctx.parse_stripped_settings(clauses.settings_tokens)?;
    let (statement, format, mut settings) = ctx.parse_statement(data)?;
    let format = clauses.format.or(format);
    settings.extend(stripped_settings);
    Ok(ParsedStatement {
        statement,
        format,
        settings,
        text: sql.to_string(),
    })
}

/// Whether any of `words` occurs at bracket depth 0.
fn has_depth0_word(tokens: &[TokenWithSpan], words: &[&str]) -> bool {
    let mut depth = 0i32;
    for t in tokens {
        match t.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth -= 1,
            _ if depth == 0 && words.iter().any(|w| crate::tokens::is_word(&t.token, w)) => {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// A statement's parser: the statement text and sqlparser's `Parser` over its tokens.
pub(crate) struct StatementParser<'a> {
    /// The statement's SQL text; token spans point into it.
    pub sql: &'a str,
    /// sqlparser's parser over the prepared tokens.
    pub parser: Parser<'a>,
}

/// What a family parser returns: the statement, the output format, the settings.
type Parsed = (
    Statement,
    Option<String>,
    Vec<(String, crate::ast::SettingValue)>,
);

impl<'a> StatementParser<'a> {
    fn new(sql: &'a str, tokens: Vec<TokenWithSpan>) -> Self {
        let parser = Parser::new(&DIALECT).with_tokens_with_locations(tokens);
        Self { sql, parser }
    }

    fn peek(&self) -> &Token {
        &self.parser.peek_token_ref().token
    }

    fn parse_statement(&mut self, data: Option<String>) -> Result<Parsed, Error> {
        let first = self.peek().clone();
        let word = match &first {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            Token::LParen => return self.parse_query_statement(),
            Token::EOF => return Err(self.error_here("Empty query")),
            _ => String::new(),
        };
        match word.as_str() {
            "SELECT" | "WITH" | "FROM" | "VALUES" | "TABLE" => self.parse_query_statement(),
            "INSERT" => self.parse_insert(data),
            "CREATE" | "REPLACE" => self.parse_create().map(|s| (s, None, vec![])),
            "ATTACH" => self.parse_attach().map(|s| (s, None, vec![])),
            "ALTER" => self.parse_alter().map(|s| (s, None, vec![])),
            "SHOW" => self.parse_show(),
            "DESCRIBE" | "DESC" => self.parse_describe(),
            "EXISTS" => self.parse_exists(),
            "DROP" => self.parse_drop().map(|s| (s, None, vec![])),
            "DETACH" => self.parse_detach().map(|s| (s, None, vec![])),
            "RENAME" => self.parse_rename().map(|s| (s, None, vec![])),
            "EXCHANGE" => self.parse_exchange().map(|s| (s, None, vec![])),
            "TRUNCATE" => self.parse_truncate().map(|s| (s, None, vec![])),
            "OPTIMIZE" => self.parse_optimize().map(|s| (s, None, vec![])),
            "DELETE" => self.parse_delete().map(|s| (s, None, vec![])),
            "USE" => self.parse_use().map(|s| (s, None, vec![])),
            "SET" => self.parse_set().map(|s| (s, None, vec![])),
            "KILL" => self.parse_kill(),
            "SYSTEM" => self.parse_system().map(|s| (s, None, vec![])),
            "EXPLAIN" => self.parse_explain(data),
            "GRANT" | "REVOKE" | "CHECK" | "BACKUP" | "RESTORE" | "WATCH" | "UNDROP" | "MOVE"
            | "BEGIN" | "COMMIT" | "ROLLBACK" | "UPDATE" | "START" => {
                Err(Error::not_implemented(format!("The {word} statement")))
            }
            _ => Err(self.error_here(
                "Expected one of: SELECT, WITH, INSERT, CREATE, ALTER, DROP, SHOW, DESCRIBE, \
                 EXISTS, USE, SET, SYSTEM, OPTIMIZE, TRUNCATE, RENAME, DETACH, ATTACH, EXPLAIN",
            )),
        }
    }

    /// `EXPLAIN [kind] [k = v, …] statement`.
    fn parse_explain(&mut self, data: Option<String>) -> Result<Parsed, Error> {
        self.parser.next_token(); // EXPLAIN
        let kind = if self.word("AST") {
            "AST"
        } else if self.word("SYNTAX") {
            "SYNTAX"
        } else if self.words(&["QUERY", "TREE"]) {
            "QUERY TREE"
        } else if self.word("PLAN") {
            "PLAN"
        } else if self.word("PIPELINE") {
            "PIPELINE"
        } else if self.word("ESTIMATE") {
            "ESTIMATE"
        } else {
            "PLAN"
        }
        .to_string();
        let mut options = Vec::new();
        // Options: `name = value` pairs before the statement.
        while matches!(self.peek(), Token::Word(_))
            && self.parser.peek_nth_token_ref(1).token == Token::Eq
        {
            let name = self.parse_name()?;
            self.parser.next_token(); // =
            let value = self.parse_setting_value()?;
            options.push((name, value));
            if !self.parser.consume_token(&Token::Comma) {
                break;
            }
        }
        let (statement, format, settings) = self.parse_statement(data)?;
        Ok((
            Statement::Explain(crate::ast::Explain {
                kind,
                options,
                statement: Box::new(statement),
            }),
            format,
            settings,
        ))
    }
}
