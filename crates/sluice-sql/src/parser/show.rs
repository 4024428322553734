//! `SHOW …`, `DESCRIBE|DESC …` and `EXISTS …`.

use datafusion::sql::sqlparser::ast::Expr;
use datafusion::sql::sqlparser::tokenizer::Token;
use sluice_common::Error;

use super::{Parsed, StatementParser};
use crate::ast::{
    Describe, DescribeTarget, Exists, ObjectKind, Show, ShowLike, Statement, TableName,
};
use crate::tokens::is_word;

impl StatementParser<'_> {
    /// `[NOT] LIKE|ILIKE 'pattern'`, if present.
    fn parse_show_like(&mut self) -> Result<Option<ShowLike>, Error> {
        let negated = is_word(self.peek(), "NOT")
            && (is_word(&self.parser.peek_nth_token_ref(1).token, "LIKE")
                || is_word(&self.parser.peek_nth_token_ref(1).token, "ILIKE"));
        if negated {
            self.parser.next_token();
        }
        let case_insensitive = if self.word("LIKE") {
            false
        } else if self.word("ILIKE") {
            true
        } else {
            return Ok(None);
        };
        let pattern = self.parse_string()?;
        Ok(Some(ShowLike {
            pattern,
            negated,
            case_insensitive,
        }))
    }

    fn parse_show_limit(&mut self) -> Result<Option<Expr>, Error> {
        if self.word("LIMIT") {
            Ok(Some(self.parse_expr()?))
        } else {
            Ok(None)
        }
    }

    fn parse_from_db(&mut self) -> Result<Option<String>, Error> {
        if self.word("FROM") || self.word("IN") {
            Ok(Some(self.parse_name()?))
        } else {
            Ok(None)
        }
    }

    /// `SHOW …`.
    pub(crate) fn parse_show(&mut self) -> Result<Parsed, Error> {
        self.expect_word("SHOW")?;
        let full = self.word("FULL");
        let temporary = self.word("TEMPORARY");
        let show = if self.word("DATABASES") {
            let like = self.parse_show_like()?;
            let limit = self.parse_show_limit()?;
            Show::Databases { like, limit }
        } else if self.word("TABLES") {
            let database = self.parse_from_db()?;
            let like = self.parse_show_like()?;
            let limit = self.parse_show_limit()?;
            Show::Tables {
                database,
                like,
                limit,
                full,
                temporary,
            }
        } else if self.word("CREATE") {
            let _ = self.word("TEMPORARY");
            let kind = self.parse_object_kind();
            let name = if kind == ObjectKind::Database {
                TableName::new(self.parse_name()?)
            } else {
                self.parse_table_name()?
            };
            Show::Create { kind, name }
        } else if self.word("COLUMNS") || self.word("FIELDS") {
            if !(self.word("FROM") || self.word("IN")) {
                return Err(self.error_here("Expected FROM or IN"));
            }
            let mut table = self.parse_table_name()?;
            if let Some(db) = self.parse_from_db()? {
                table.database = Some(db);
            }
            let like = self.parse_show_like()?;
            let limit = self.parse_show_limit()?;
            Show::Columns {
                table,
                like,
                limit,
                full,
            }
        } else if self.word("PROCESSLIST") {
            Show::Processlist
        } else if is_word(self.peek(), "CHANGED") || self.peek_word("SETTINGS") {
            let changed = is_word(self.peek(), "CHANGED");
            if changed {
                self.parser.next_token();
            }
            self.expect_word("SETTINGS")?;
            let like = self.parse_show_like()?;
            Show::Settings { like, changed }
        } else if self.word("ENGINES") {
            Show::Engines
        } else if self.word("FUNCTIONS") {
            let like = self.parse_show_like()?;
            Show::Functions { like }
        } else if is_word(self.peek(), "DICTIONARIES") {
            self.parser.next_token();
            let database = self.parse_from_db()?;
            let like = self.parse_show_like()?;
            Show::Dictionaries { database, like }
        } else {
            let t = self.peek().clone();
            for w in [
                "GRANTS",
                "USERS",
                "ROLES",
                "PROFILES",
                "POLICIES",
                "QUOTAS",
                "QUOTA",
                "ACCESS",
                "CLUSTER",
                "CLUSTERS",
                "INDEX",
                "INDEXES",
                "INDICES",
                "KEYS",
                "MERGES",
                "FILESYSTEM",
                "PRIVILEGES",
                "SETTING",
            ] {
                if is_word(&t, w) {
                    return Err(Error::not_implemented(format!("SHOW {w}")));
                }
            }
            return Err(self.error_here(
                "Expected one of: DATABASES, TABLES, CREATE, COLUMNS, PROCESSLIST, SETTINGS, \
                 ENGINES, FUNCTIONS, DICTIONARIES",
            ));
        };
        self.expect_end()?;
        Ok((Statement::Show(Box::new(show)), None, vec![]))
    }

    /// `[TABLE|DATABASE|VIEW|DICTIONARY]`, default table.
    fn parse_object_kind(&mut self) -> ObjectKind {
        if self.word("TABLE") {
            ObjectKind::Table
        } else if self.word("DATABASE") {
            ObjectKind::Database
        } else if self.word("VIEW") || self.words(&["MATERIALIZED", "VIEW"]) {
            ObjectKind::View
        } else if self.word("DICTIONARY") {
            ObjectKind::Dictionary
        } else {
            ObjectKind::Table
        }
    }

    /// `DESCRIBE|DESC [TABLE] t | table_function(…) | (query)`.
    pub(crate) fn parse_describe(&mut self) -> Result<Parsed, Error> {
        self.parser.next_token();
        let _ = self.word("TABLE");
        let target = if self.peek() == &Token::LParen {
            self.parser.next_token();
            let q = self.parse_query()?;
            self.expect_token(&Token::RParen)?;
            DescribeTarget::Query(q)
        } else {
            let name = self.parse_table_name()?;
            if self.peek() == &Token::LParen {
                self.parser.next_token();
                let mut args = Vec::new();
                if !self.parser.consume_token(&Token::RParen) {
                    loop {
                        args.push(self.parse_expr()?);
                        if !self.parser.consume_token(&Token::Comma) {
                            break;
                        }
                    }
                    self.expect_token(&Token::RParen)?;
                }
                let fname = match &name.database {
                    Some(db) => format!("{db}.{}", name.table),
                    None => name.table,
                };
                DescribeTarget::TableFunction(Box::new(crate::dialect::function_call(&fname, args)))
            } else {
                DescribeTarget::Table(name)
            }
        };
        self.expect_end()?;
        Ok((Statement::Describe(Describe { target }), None, vec![]))
    }

    /// `EXISTS [TEMPORARY] [TABLE|DATABASE|VIEW|DICTIONARY] name`.
    pub(crate) fn parse_exists(&mut self) -> Result<Parsed, Error> {
        self.parser.next_token();
        let temporary = self.word("TEMPORARY");
        let kind = self.parse_object_kind();
        let name = if kind == ObjectKind::Database {
            TableName::new(self.parse_name()?)
        } else {
            self.parse_table_name()?
        };
        self.expect_end()?;
        Ok((
            Statement::Exists(Exists {
                kind,
                name,
                temporary,
            }),
            None,
            vec![],
        ))
    }
}
