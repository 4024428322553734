//! `INSERT INTO [TABLE] t [(cols)] [SETTINGS …] VALUES … | FORMAT name [data] | SELECT …`.

use datafusion::sql::sqlparser::tokenizer::Token;
use sluice_common::Error;

use super::query::take_query_clauses;
use super::{Parsed, StatementParser};
use crate::ast::{Insert, InsertSource, Statement};
use crate::tokens::{is_word, token_offset};

impl StatementParser<'_> {
    /// `INSERT …`; `data` is the inline data the splitter found after `FORMAT name`.
    pub(crate) fn parse_insert(&mut self, data: Option<String>) -> Result<Parsed, Error> {
        self.expect_word("INSERT")?;
        self.expect_word("INTO")?;
        if self.word("FUNCTION") {
            return Err(Error::not_implemented("INSERT INTO FUNCTION"));
        }
        let _ = self.word("TABLE");
        let table = self.parse_table_name()?;
        let mut columns = Vec::new();
        if self.peek() == &Token::LParen && !self.paren_starts_query() {
            self.parser.next_token();
            if !self.parser.consume_token(&Token::RParen) {
                loop {
                    columns.push(self.parse_name()?);
                    if !self.parser.consume_token(&Token::Comma) {
                        break;
                    }
                }
                self.expect_token(&Token::RParen)?;
            }
        }
        let mut settings = Vec::new();
        if self.word("SETTINGS") {
            settings = self.parse_settings_list()?;
        }
        let mut format = None;
        let source = if self.peek_word("VALUES") {
            let t = self.parser.next_token();
            let start = crate::tokens::token_end_offset(self.sql, &t);
            let data = self.sql.get(start..).unwrap_or_default().trim();
            let data = data
                .strip_suffix(';')
                .unwrap_or(data)
                .trim_end()
                .to_string();
            // Consume the rest: the data is raw text, not SQL tokens.
            while self.parser.next_token().token != Token::EOF {}
            InsertSource::Values { data }
        } else if self.word("FORMAT") {
            let name = self.parse_name()?;
            if name.eq_ignore_ascii_case("Values") {
                let start = self.current_data_offset();
                let data = self.sql.get(start..).unwrap_or_default().trim();
                let data = data
                    .strip_suffix(';')
                    .unwrap_or(data)
                    .trim_end()
                    .to_string();
                while self.parser.next_token().token != Token::EOF {}
                InsertSource::Values { data }
            } else {
                self.expect_end()?;
                InsertSource::Format { format: name, data }
            }
        } else if is_word(self.peek(), "SELECT")
            || is_word(self.peek(), "WITH")
            || self.peek() == &Token::LParen
        {
            let mut query = self.parse_query()?;
            let (f, s) = take_query_clauses(&mut query);
            format = f;
            settings.extend(s);
            self.expect_end()?;
            InsertSource::Select(query)
        } else if self.parser.peek_token_ref().token == Token::EOF {
            // `INSERT INTO t` with the data sent separately in the Native/Values form.
            InsertSource::Format {
                format: "Values".to_string(),
                data: None,
            }
        } else {
            return Err(self.error_here("Expected one of: VALUES, FORMAT, SELECT, WITH, SETTINGS"));
        };
        if format.is_some() {
            return Err(self.error_here("FORMAT is not allowed in INSERT … SELECT"));
        }
        Ok((
            Statement::Insert(Box::new(Insert {
                table,
                columns,
                source,
            })),
            None,
            settings,
        ))
    }

    /// Whether the `(` at the current position opens a query rather than a column list.
    fn paren_starts_query(&self) -> bool {
        let t = &self.parser.peek_nth_token_ref(1).token;
        is_word(t, "SELECT") || is_word(t, "WITH")
    }

    fn current_data_offset(&self) -> usize {
        let t = self.parser.peek_token_ref();
        if t.token == Token::EOF || t.span.start.line == 0 {
            self.sql.len()
        } else {
            token_offset(self.sql, t)
        }
    }
}

/// Parses the rows of `VALUES` data (`(1, 'a'), (2, 'b')`) into expressions, one vector per
/// row. Rows may be separated by commas or only by whitespace, as ClickHouse allows.
pub fn parse_values_rows(
    data: &str,
) -> Result<Vec<Vec<datafusion::sql::sqlparser::ast::Expr>>, Error> {
    let tokens = crate::tokens::prepare_tokens(data)?;
    let mut ctx = StatementParser::new(data, tokens);
    let mut rows = Vec::new();
    loop {
        let _ = ctx.parser.consume_token(&Token::SemiColon);
        if ctx.parser.peek_token_ref().token == Token::EOF {
            break;
        }
        ctx.expect_token(&Token::LParen)?;
        let mut row = Vec::new();
        if !ctx.parser.consume_token(&Token::RParen) {
            loop {
                row.push(ctx.parse_expr()?);
                if !ctx.parser.consume_token(&Token::Comma) {
                    break;
                }
            }
            ctx.expect_token(&Token::RParen)?;
        }
        rows.push(row);
        let _ = ctx.parser.consume_token(&Token::Comma);
    }
    Ok(rows)
}
