//! The parts of `CREATE TABLE` sqlparser cannot parse: the column list (ClickHouse types,
//! `DEFAULT/MATERIALIZED/ALIAS/EPHEMERAL`, `CODEC`, `TTL`, `COMMENT`), table elements
//! (`INDEX`, `PROJECTION`, `CONSTRAINT`, `PRIMARY KEY`) and the engine clause with its
//! storage clauses in any order.

use datafusion::sql::sqlparser::ast::Expr;
use datafusion::sql::sqlparser::tokenizer::Token;
use sluice_common::Error;

use super::StatementParser;
use crate::ast::{ColumnDef, DefaultKind, EngineClause, TtlElement};
use crate::tokens::{is_word, type_text_from_parser};

/// Elements of a parenthesised table definition.
#[derive(Debug, Default)]
pub(crate) struct TableElements {
    pub columns: Vec<ColumnDef>,
    pub indexes: Vec<String>,
    pub projections: Vec<String>,
    pub constraints: Vec<String>,
    pub primary_key: Option<Expr>,
}

/// Words that end a column's type / start a column modifier.
fn is_column_modifier(t: &Token) -> bool {
    matches!(
        t,
        Token::Comma | Token::RParen | Token::EOF | Token::SemiColon
    ) || [
        "DEFAULT",
        "MATERIALIZED",
        "ALIAS",
        "EPHEMERAL",
        "CODEC",
        "COMMENT",
        "TTL",
        "NULL",
        "NOT",
        "PRIMARY",
        "STATISTICS",
        "SETTINGS",
        "FIRST",
        "AFTER",
        "REMOVE",
    ]
    .iter()
    .any(|w| is_word(t, w))
}

fn is_engine_clause_start(t: &Token) -> bool {
    is_word(t, "PARTITION")
        || is_word(t, "ORDER")
        || is_word(t, "PRIMARY")
        || is_word(t, "SAMPLE")
        || is_word(t, "TTL")
        || is_word(t, "SETTINGS")
        || is_word(t, "COMMENT")
        || is_word(t, "AS")
        || is_word(t, "EMPTY")
}

impl StatementParser<'_> {
    /// `(element, element, …)`, the opening parenthesis already consumed; consumes the
    /// closing one.
    pub(crate) fn parse_table_elements(&mut self) -> Result<TableElements, Error> {
        let mut out = TableElements::default();
        if self.parser.consume_token(&Token::RParen) {
            return Ok(out);
        }
        loop {
            let t = self.peek().clone();
            let raw_stop = |t: &Token| *t == Token::Comma;
            if is_word(&t, "INDEX") {
                out.indexes.push(self.raw_until(raw_stop));
            } else if is_word(&t, "PROJECTION") {
                out.projections.push(self.raw_until(raw_stop));
            } else if is_word(&t, "CONSTRAINT") {
                out.constraints.push(self.raw_until(raw_stop));
            } else if is_word(&t, "PRIMARY")
                && is_word(&self.parser.peek_nth_token_ref(1).token, "KEY")
            {
                self.parser.next_token();
                self.parser.next_token();
                out.primary_key = Some(self.parse_key_expr()?);
            } else {
                out.columns.push(self.parse_column_def(false)?);
            }
            if self.parser.consume_token(&Token::Comma) {
                // ClickHouse accepts a trailing comma before `)`.
                if self.parser.consume_token(&Token::RParen) {
                    break;
                }
                continue;
            }
            self.expect_token(&Token::RParen)?;
            break;
        }
        Ok(out)
    }

    /// One column definition. `partial` (ALTER MODIFY COLUMN) allows a bare name.
    pub(crate) fn parse_column_def(&mut self, partial: bool) -> Result<ColumnDef, Error> {
        let name = self.parse_name()?;
        let mut col = ColumnDef {
            name,
            type_text: None,
            null_modifier: None,
            default: None,
            codec: None,
            statistics: None,
            comment: None,
            ttl: None,
            primary_key: false,
            settings: Vec::new(),
        };
        if !is_column_modifier(self.peek()) {
            let text = type_text_from_parser(&mut self.parser).map_err(|e| self.map_err(e))?;
            col.type_text = Some(text);
        }
        loop {
            let t = self.peek().clone();
            if is_word(&t, "NULL") {
                self.parser.next_token();
                col.null_modifier = Some(true);
            } else if is_word(&t, "NOT")
                && is_word(&self.parser.peek_nth_token_ref(1).token, "NULL")
            {
                self.parser.next_token();
                self.parser.next_token();
                col.null_modifier = Some(false);
            } else if is_word(&t, "DEFAULT") {
                self.parser.next_token();
                col.default = Some((DefaultKind::Default, Some(self.parse_expr()?)));
            } else if is_word(&t, "MATERIALIZED") {
                self.parser.next_token();
                col.default = Some((DefaultKind::Materialized, Some(self.parse_expr()?)));
            } else if is_word(&t, "ALIAS") {
                self.parser.next_token();
                col.default = Some((DefaultKind::Alias, Some(self.parse_expr()?)));
            } else if is_word(&t, "EPHEMERAL") {
                self.parser.next_token();
                let expr = if is_column_modifier(self.peek()) {
                    None
                } else {
                    Some(self.parse_expr()?)
                };
                col.default = Some((DefaultKind::Ephemeral, expr));
            } else if is_word(&t, "CODEC") {
                self.parser.next_token();
                self.expect_token(&Token::LParen)?;
                col.codec = Some(self.raw_until(|_| false));
                self.expect_token(&Token::RParen)?;
            } else if is_word(&t, "STATISTICS") {
                self.parser.next_token();
                self.expect_token(&Token::LParen)?;
                col.statistics = Some(self.raw_until(|_| false));
                self.expect_token(&Token::RParen)?;
            } else if is_word(&t, "COMMENT") {
                self.parser.next_token();
                col.comment = Some(self.parse_string()?);
            } else if is_word(&t, "TTL") {
                self.parser.next_token();
                col.ttl = Some(self.parse_expr()?);
            } else if is_word(&t, "PRIMARY")
                && is_word(&self.parser.peek_nth_token_ref(1).token, "KEY")
            {
                self.parser.next_token();
                self.parser.next_token();
                col.primary_key = true;
            } else if is_word(&t, "SETTINGS") {
                self.parser.next_token();
                self.expect_token(&Token::LParen)?;
                col.settings = self.parse_settings_list()?;
                self.expect_token(&Token::RParen)?;
            } else {
                break;
            }
        }
        if !partial && col.type_text.is_none() && col.default.is_none() {
            return Err(self.error_here("Expected column type or DEFAULT expression"));
        }
        Ok(col)
    }

    /// A key expression (`ORDER BY`, `PRIMARY KEY`): `(a, b)`, `tuple()`, `a`, or the
    /// unparenthesised list `a, b` (returned as a tuple).
    pub(crate) fn parse_key_expr(&mut self) -> Result<Expr, Error> {
        let first = self.parse_expr()?;
        if self.peek() == &Token::Comma
            && !matches!(self.parser.peek_nth_token_ref(1).token, Token::Word(ref w) if is_engine_clause_start(&Token::Word(w.clone())))
        {
            let mut items = vec![first];
            while self.parser.consume_token(&Token::Comma) {
                items.push(self.parse_expr()?);
            }
            return Ok(Expr::Tuple(items));
        }
        Ok(first)
    }

    /// `ENGINE [=] Name[(args)]` and the storage clauses after it (the `ENGINE` keyword is
    /// the current token). Stops before `AS`, `COMMENT`, `EMPTY` or the end.
    pub(crate) fn parse_engine_clause(&mut self) -> Result<EngineClause, Error> {
        self.expect_word("ENGINE")?;
        let _ = self.parser.consume_token(&Token::Eq);
        let name = self.parse_name()?;
        let mut engine = EngineClause::new(name);
        if self.parser.consume_token(&Token::LParen) {
            engine.has_parens = true;
            if !self.parser.consume_token(&Token::RParen) {
                loop {
                    engine.args.push(self.parse_expr()?);
                    if !self.parser.consume_token(&Token::Comma) {
                        break;
                    }
                }
                self.expect_token(&Token::RParen)?;
            }
        }
        self.parse_storage_clauses(&mut engine)?;
        Ok(engine)
    }

    /// `PARTITION BY`, `PRIMARY KEY`, `ORDER BY`, `SAMPLE BY`, `TTL`, `SETTINGS` in any
    /// order, each at most once.
    pub(crate) fn parse_storage_clauses(&mut self, engine: &mut EngineClause) -> Result<(), Error> {
        loop {
            if self.words(&["PARTITION", "BY"]) {
                if engine.partition_by.is_some() {
                    return Err(self.error_here("Duplicate PARTITION BY"));
                }
                engine.partition_by = Some(self.parse_expr()?);
            } else if self.words(&["PRIMARY", "KEY"]) {
                if engine.primary_key.is_some() {
                    return Err(self.error_here("Duplicate PRIMARY KEY"));
                }
                engine.primary_key = Some(self.parse_key_expr()?);
            } else if self.words(&["ORDER", "BY"]) {
                if engine.order_by.is_some() {
                    return Err(self.error_here("Duplicate ORDER BY"));
                }
                engine.order_by = Some(self.parse_key_expr()?);
            } else if self.words(&["SAMPLE", "BY"]) {
                if engine.sample_by.is_some() {
                    return Err(self.error_here("Duplicate SAMPLE BY"));
                }
                engine.sample_by = Some(self.parse_expr()?);
            } else if self.word("TTL") {
                if !engine.ttl.is_empty() {
                    return Err(self.error_here("Duplicate TTL"));
                }
                engine.ttl = self.parse_ttl_list()?;
            } else if self.word("SETTINGS") {
                if !engine.settings.is_empty() {
                    return Err(self.error_here("Duplicate SETTINGS"));
                }
                engine.settings = self.parse_settings_list()?;
            } else {
                return Ok(());
            }
        }
    }

    /// `expr [action] [WHERE cond], …`.
    pub(crate) fn parse_ttl_list(&mut self) -> Result<Vec<TtlElement>, Error> {
        let mut out = Vec::new();
        loop {
            let expr = self.parse_expr_until(|t| {
                *t == Token::Comma
                    || ["DELETE", "TO", "RECOMPRESS", "GROUP", "WHERE"]
                        .iter()
                        .any(|w| is_word(t, w))
                    || (is_engine_clause_start(t) && !is_word(t, "AS"))
            })?;
            let action = if self.word("DELETE") {
                Some("DELETE".to_string())
            } else if self.word("TO") {
                let what = if self.word("DISK") {
                    "DISK"
                } else if self.word("VOLUME") {
                    "VOLUME"
                } else {
                    return Err(self.error_here("Expected DISK or VOLUME"));
                };
                let target = self.parse_string()?;
                Some(format!(
                    "TO {what} {}",
                    crate::format::quote_string(&target)
                ))
            } else if is_word(self.peek(), "RECOMPRESS") {
                let text = self.raw_until(|t| {
                    *t == Token::Comma || is_word(t, "WHERE") || is_engine_clause_start(t)
                });
                Some(text)
            } else if self.peek_word("GROUP") {
                let text = self.raw_until(|t| {
                    is_word(t, "WHERE") || (is_engine_clause_start(t) && !is_word(t, "AS"))
                });
                Some(text)
            } else {
                None
            };
            let where_ = if self.word("WHERE") {
                Some(self.parse_expr()?)
            } else {
                None
            };
            out.push(TtlElement {
                expr,
                action,
                where_,
            });
            if !self.parser.consume_token(&Token::Comma) {
                break;
            }
        }
        Ok(out)
    }
}
