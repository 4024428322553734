//! Helpers shared by the statement families: names, `IF [NOT] EXISTS`, `ON CLUSTER`,
//! settings lists, string literals, partition specs, errors at the current token.

use datafusion::sql::sqlparser::ast::{Expr, UnaryOperator, Value};
use datafusion::sql::sqlparser::parser::ParserError;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan};
use sluice_common::Error;

use super::StatementParser;
use crate::ast::{PartitionSpec, SettingValue, TableName};
use crate::error::{from_parser_error, syntax_error_at};
use crate::tokens::{is_word, render_tokens, token_offset};

impl StatementParser<'_> {
    /// A `SYNTAX_ERROR` at the current token.
    pub(crate) fn error_here(&self, detail: &str) -> Error {
        let t = self.parser.peek_token_ref();
        let offset = if t.token == Token::EOF || t.span.start.line == 0 {
            self.sql.trim_end().len()
        } else {
            token_offset(self.sql, t)
        };
        syntax_error_at(self.sql, offset, detail)
    }

    /// Converts a sqlparser error.
    pub(crate) fn map_err(&self, e: ParserError) -> Error {
        from_parser_error(self.sql, &e)
    }

    /// Requires the end of the statement.
    pub(crate) fn expect_end(&mut self) -> Result<(), Error> {
        let _ = self.parser.consume_token(&Token::SemiColon);
        if self.parser.peek_token_ref().token == Token::EOF {
            Ok(())
        } else {
            Err(self.error_here("Expected end of query"))
        }
    }

    /// Requires the (unquoted, case-insensitive) word `w`.
    pub(crate) fn expect_word(&mut self, w: &str) -> Result<(), Error> {
        if self.word(w) {
            Ok(())
        } else {
            Err(self.error_here(&format!("Expected {w}")))
        }
    }

    /// Consumes the word `w` if it is next.
    pub(crate) fn word(&mut self, w: &str) -> bool {
        if is_word(&self.parser.peek_token_ref().token, w) {
            self.parser.next_token();
            true
        } else {
            false
        }
    }

    /// Consumes the words `ws` if they are all next.
    pub(crate) fn words(&mut self, ws: &[&str]) -> bool {
        let all = ws
            .iter()
            .enumerate()
            .all(|(i, w)| is_word(&self.parser.peek_nth_token_ref(i).token, w));
        if all {
            for _ in ws {
                self.parser.next_token();
            }
        }
        all
    }

    /// Whether the next token is the word `w`.
    pub(crate) fn peek_word(&self, w: &str) -> bool {
        is_word(&self.parser.peek_token_ref().token, w)
    }

    /// Requires token `t`.
    pub(crate) fn expect_token(&mut self, t: &Token) -> Result<(), Error> {
        if self.parser.consume_token(t) {
            Ok(())
        } else {
            Err(self.error_here(&format!("Expected '{t}'")))
        }
    }

    /// An identifier (quoted or not), as its unquoted value.
    pub(crate) fn parse_name(&mut self) -> Result<String, Error> {
        match self.parser.peek_token_ref().token.clone() {
            Token::Word(w) => {
                self.parser.next_token();
                Ok(w.value)
            }
            _ => Err(self.error_here("Expected identifier")),
        }
    }

    /// `[db.]name`.
    pub(crate) fn parse_table_name(&mut self) -> Result<TableName, Error> {
        let first = self.parse_name()?;
        if self.parser.peek_token_ref().token == Token::Period
            && matches!(self.parser.peek_nth_token_ref(1).token, Token::Word(_))
        {
            self.parser.next_token();
            let second = self.parse_name()?;
            return Ok(TableName::qualified(first, second));
        }
        Ok(TableName::new(first))
    }

    /// `IF EXISTS`.
    pub(crate) fn parse_if_exists(&mut self) -> bool {
        self.words(&["IF", "EXISTS"])
    }

    /// `IF NOT EXISTS`.
    pub(crate) fn parse_if_not_exists(&mut self) -> bool {
        self.words(&["IF", "NOT", "EXISTS"])
    }

    /// Skips `ON CLUSTER name` (one node: ignored).
    pub(crate) fn skip_on_cluster(&mut self) -> Result<(), Error> {
        if self.words(&["ON", "CLUSTER"]) {
            match self.parser.next_token().token {
                Token::Word(_) | Token::SingleQuotedString(_) => {}
                _ => return Err(self.error_here("Expected cluster name")),
            }
        }
        Ok(())
    }

    /// A string literal.
    pub(crate) fn parse_string(&mut self) -> Result<String, Error> {
        match self.parser.peek_token_ref().token.clone() {
            Token::SingleQuotedString(s) => {
                self.parser.next_token();
                Ok(s)
            }
            _ => Err(self.error_here("Expected string literal")),
        }
    }

    /// An expression.
    pub(crate) fn parse_expr(&mut self) -> Result<Expr, Error> {
        self.parser.parse_expr().map_err(|e| self.map_err(e))
    }

    /// An expression that ends before the first depth-0 token matching `stop`: parsed on its
    /// own so that sqlparser cannot read past it (`INTERVAL 1 YEAR TO DISK` would otherwise
    /// read `YEAR TO …` as an interval range).
    pub(crate) fn parse_expr_until(
        &mut self,
        stop: impl Fn(&Token) -> bool,
    ) -> Result<Expr, Error> {
        self.parse_expr_before(|t, _| stop(t))
    }

    /// Like [`Self::parse_expr_until`], `stop` seeing each depth-0 token and the one after
    /// it (`IN` of `IN PARTITION`).
    pub(crate) fn parse_expr_before(
        &mut self,
        stop: impl Fn(&Token, &Token) -> bool,
    ) -> Result<Expr, Error> {
        let mut toks = Vec::new();
        let mut depth = 0i32;
        let mut i = 0;
        loop {
            let t = self.parser.peek_nth_token_ref(i).clone();
            match &t.token {
                Token::EOF => break,
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                tok if depth == 0 && stop(tok, &self.parser.peek_nth_token_ref(i + 1).token) => {
                    break;
                }
                _ => {}
            }
            toks.push(t);
            i += 1;
        }
        let mut sub = StatementParser::new(self.sql, toks);
        let expr = sub.parse_expr()?;
        sub.expect_end()?;
        for _ in 0..i {
            self.parser.next_token();
        }
        Ok(expr)
    }

    /// A setting's value (a literal).
    pub(crate) fn parse_setting_value(&mut self) -> Result<SettingValue, Error> {
        let expr = self.parse_expr()?;
        Ok(setting_value(&expr))
    }

    /// `k = v[, k = v…]`.
    pub(crate) fn parse_settings_list(&mut self) -> Result<Vec<(String, SettingValue)>, Error> {
        let mut out = Vec::new();
        loop {
            let name = self.parse_name()?;
            self.expect_token(&Token::Eq)?;
            let value = self.parse_setting_value()?;
            out.push((name, value));
            if !self.parser.consume_token(&Token::Comma) {
                break;
            }
        }
        Ok(out)
    }

    /// `ID 'id'` | `ALL` | expr (after the `PARTITION` keyword).
    pub(crate) fn parse_partition_spec(&mut self) -> Result<PartitionSpec, Error> {
        if self.word("ID") {
            return Ok(PartitionSpec::Id(self.parse_string()?));
        }
        if self.word("ALL") {
            return Ok(PartitionSpec::All);
        }
        Ok(PartitionSpec::Expr(Box::new(self.parse_expr()?)))
    }

    /// Collects tokens up to (not including) the first depth-0 token matching `stop` (or
    /// the end / an unmatched closing bracket) and renders them as text.
    pub(crate) fn raw_until(&mut self, stop: impl Fn(&Token) -> bool) -> String {
        let mut toks: Vec<TokenWithSpan> = Vec::new();
        let mut depth = 0i32;
        loop {
            let t = self.parser.peek_token_ref().clone();
            match &t.token {
                Token::EOF => break,
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                tok if depth == 0 && stop(tok) => break,
                _ => {}
            }
            self.parser.next_token();
            toks.push(t);
        }
        render_tokens(&toks)
    }

    /// The original text from the current token to the end of the statement.
    pub(crate) fn rest_text(&self) -> String {
        let t = self.parser.peek_token_ref();
        if t.token == Token::EOF {
            return String::new();
        }
        let start = token_offset(self.sql, t);
        self.sql
            .get(start..)
            .unwrap_or_default()
            .trim()
            .trim_end_matches(';')
            .trim_end()
            .to_string()
    }
}

/// Converts a literal expression into a [`SettingValue`].
pub(crate) fn setting_value(expr: &Expr) -> SettingValue {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => {
                if let Ok(u) = n.parse::<u64>() {
                    SettingValue::UInt(u)
                } else if let Ok(f) = n.parse::<f64>() {
                    SettingValue::Float(f)
                } else {
                    SettingValue::Other(n.clone())
                }
            }
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => {
                SettingValue::String(s.clone())
            }
            Value::Boolean(b) => SettingValue::Bool(*b),
            Value::Null => SettingValue::Null,
            _ => SettingValue::Other(crate::format_expr::format_expr(expr)),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr: inner,
        } => match setting_value(inner) {
            SettingValue::UInt(u) => i64::try_from(u)
                .map(|v| SettingValue::Int(-v))
                .unwrap_or_else(|_| SettingValue::Other(format!("-{u}"))),
            SettingValue::Float(f) => SettingValue::Float(-f),
            _ => SettingValue::Other(crate::format_expr::format_expr(expr)),
        },
        Expr::Identifier(id) => SettingValue::String(id.value.clone()),
        _ => SettingValue::Other(crate::format_expr::format_expr(expr)),
    }
}
