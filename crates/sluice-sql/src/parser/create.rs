//! `CREATE TABLE/DATABASE/VIEW/MATERIALIZED VIEW` and `ATTACH` (short and full forms).

use datafusion::sql::sqlparser::ast::Expr;
use datafusion::sql::sqlparser::tokenizer::Token;
use sluice_common::Error;

use super::StatementParser;
use crate::ast::{
    Attach, CreateDatabase, CreateMaterializedView, CreateTable, CreateView, ObjectKind, Statement,
    TableName,
};
use crate::tokens::{is_word, token_offset};

impl StatementParser<'_> {
    /// `CREATE …` / `REPLACE TABLE …`.
    pub(crate) fn parse_create(&mut self) -> Result<Statement, Error> {
        let mut or_replace = false;
        if self.word("REPLACE") {
            or_replace = true;
        } else {
            self.expect_word("CREATE")?;
            if self.words(&["OR", "REPLACE"]) {
                or_replace = true;
            }
        }
        let temporary = self.word("TEMPORARY");
        self.parse_create_object(or_replace, temporary)
    }

    /// After `CREATE [OR REPLACE] [TEMPORARY]`: the object kind and the rest.
    fn parse_create_object(
        &mut self,
        or_replace: bool,
        temporary: bool,
    ) -> Result<Statement, Error> {
        if self.word("TABLE") {
            return self.parse_create_table(or_replace, temporary);
        }
        if self.word("DATABASE") {
            return self.parse_create_database();
        }
        if self.word("VIEW") {
            return self.parse_create_view(or_replace);
        }
        if self.words(&["MATERIALIZED", "VIEW"]) {
            return self.parse_create_materialized_view(or_replace);
        }
        let t = self.peek().clone();
        for (word, what) in [
            ("DICTIONARY", "CREATE DICTIONARY"),
            ("FUNCTION", "CREATE FUNCTION"),
            ("USER", "CREATE USER"),
            ("ROLE", "CREATE ROLE"),
            ("QUOTA", "CREATE QUOTA"),
            ("POLICY", "CREATE POLICY"),
            ("PROFILE", "CREATE SETTINGS PROFILE"),
            ("SETTINGS", "CREATE SETTINGS PROFILE"),
            ("ROW", "CREATE ROW POLICY"),
            ("LIVE", "CREATE LIVE VIEW"),
            ("WINDOW", "CREATE WINDOW VIEW"),
            ("NAMED", "CREATE NAMED COLLECTION"),
            ("INDEX", "CREATE INDEX"),
            ("WORKLOAD", "CREATE WORKLOAD"),
            ("RESOURCE", "CREATE RESOURCE"),
        ] {
            if is_word(&t, word) {
                return Err(Error::not_implemented(what));
            }
        }
        Err(self
            .error_here("Expected one of: TABLE, DATABASE, VIEW, MATERIALIZED VIEW, DICTIONARY"))
    }

    /// `… TABLE [IF NOT EXISTS] name …`.
    fn parse_create_table(
        &mut self,
        or_replace: bool,
        temporary: bool,
    ) -> Result<Statement, Error> {
        let if_not_exists = self.parse_if_not_exists();
        let name = self.parse_table_name()?;
        self.parse_create_table_body(name, if_not_exists, or_replace, temporary)
            .map(|t| Statement::CreateTable(Box::new(t)))
    }

    /// Everything after the table name of `CREATE TABLE`.
    fn parse_create_table_body(
        &mut self,
        name: TableName,
        if_not_exists: bool,
        or_replace: bool,
        temporary: bool,
    ) -> Result<CreateTable, Error> {
        self.skip_uuid()?;
        self.skip_on_cluster()?;
        let mut table = CreateTable {
            if_not_exists,
            or_replace,
            temporary,
            name,
            columns: vec![],
            indexes: vec![],
            projections: vec![],
            constraints: vec![],
            element_primary_key: None,
            engine: None,
            as_table: None,
            as_table_function: None,
            as_select: None,
            as_select_text: None,
            empty: false,
            comment: None,
        };
        if self.parser.consume_token(&Token::LParen) {
            let elements = self.parse_table_elements()?;
            table.columns = elements.columns;
            table.indexes = elements.indexes;
            table.projections = elements.projections;
            table.constraints = elements.constraints;
            table.element_primary_key = elements.primary_key;
            for c in &table.columns {
                if c.primary_key && table.element_primary_key.is_none() {
                    table.element_primary_key = Some(Expr::Identifier(
                        datafusion::sql::sqlparser::ast::Ident::new(c.name.clone()),
                    ));
                }
            }
        }
        // `AS other` / `AS func(…)` may come before the engine clause.
        if self.peek_word("AS") && !self.as_starts_query() {
            self.parser.next_token();
            self.parse_as_source(&mut table)?;
        }
        if self.peek_word("ENGINE") {
            table.engine = Some(self.parse_engine_clause()?);
        } else if is_word(self.peek(), "PARTITION")
            || is_word(self.peek(), "ORDER")
            || is_word(self.peek(), "PRIMARY")
        {
            return Err(self.error_here("Expected ENGINE before storage clauses"));
        }
        if self.word("COMMENT") {
            table.comment = Some(self.parse_string()?);
        }
        if self.word("EMPTY") {
            table.empty = true;
            if !self.peek_word("AS") {
                return Err(self.error_here("Expected AS after EMPTY"));
            }
        }
        if self.word("AS") {
            if self.as_starts_query_here() {
                let start = token_offset(self.sql, self.parser.peek_token_ref());
                let query = self.parse_query()?;
                let end = self.current_offset();
                table.as_select_text = self.sql.get(start..end).map(|s| s.trim().to_string());
                table.as_select = Some(query);
            } else if table.as_table.is_none() && table.as_table_function.is_none() {
                self.parse_as_source(&mut table)?;
            } else {
                return Err(self.error_here("Expected SELECT"));
            }
        }
        if table.comment.is_none() && self.word("COMMENT") {
            table.comment = Some(self.parse_string()?);
        }
        self.expect_end()?;
        if table.columns.is_empty()
            && table.as_table.is_none()
            && table.as_table_function.is_none()
            && table.as_select.is_none()
        {
            return Err(Error::new(
                sluice_common::ErrorCode::INCORRECT_QUERY,
                "Incorrect CREATE query: required list of column descriptions or AS section or SELECT.",
            ));
        }
        Ok(table)
    }

    /// `db.t` or `table_function(…)` after `AS`.
    fn parse_as_source(&mut self, table: &mut CreateTable) -> Result<(), Error> {
        let name = self.parse_table_name()?;
        if self.peek() == &Token::LParen {
            // A table function: re-parse as an expression from the name.
            let fname = match &name.database {
                Some(db) => format!("{db}.{}", name.table),
                None => name.table.clone(),
            };
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
            table.as_table_function = Some(crate::dialect::function_call(&fname, args));
        } else {
            table.as_table = Some(name);
        }
        Ok(())
    }

    /// Whether `AS` (current token) is followed by a query.
    fn as_starts_query(&self) -> bool {
        let t = &self.parser.peek_nth_token_ref(1).token;
        is_word(t, "SELECT") || is_word(t, "WITH") || *t == Token::LParen
    }

    /// Whether the current token starts a query.
    fn as_starts_query_here(&self) -> bool {
        let t = self.peek();
        is_word(t, "SELECT") || is_word(t, "WITH") || *t == Token::LParen
    }

    /// Byte offset of the current token (end of text at EOF).
    fn current_offset(&self) -> usize {
        let t = self.parser.peek_token_ref();
        if t.token == Token::EOF || t.span.start.line == 0 {
            self.sql.trim_end().trim_end_matches(';').len()
        } else {
            token_offset(self.sql, t)
        }
    }

    /// Skips `UUID '…'` (ATTACH form of metadata).
    fn skip_uuid(&mut self) -> Result<(), Error> {
        if is_word(self.peek(), "UUID") {
            self.parser.next_token();
            self.parse_string()?;
        }
        Ok(())
    }

    /// `… DATABASE [IF NOT EXISTS] name [ENGINE = …] [COMMENT '…']`.
    fn parse_create_database(&mut self) -> Result<Statement, Error> {
        let if_not_exists = self.parse_if_not_exists();
        let name = self.parse_name()?;
        self.skip_uuid()?;
        self.skip_on_cluster()?;
        let engine = if self.peek_word("ENGINE") {
            Some(self.parse_engine_clause()?)
        } else {
            None
        };
        let comment = if self.word("COMMENT") {
            Some(self.parse_string()?)
        } else {
            None
        };
        self.expect_end()?;
        Ok(Statement::CreateDatabase(Box::new(CreateDatabase {
            name,
            if_not_exists,
            engine,
            comment,
        })))
    }

    /// `AS SELECT …` of a view: the query and its text.
    fn parse_view_query(
        &mut self,
    ) -> Result<(Box<datafusion::sql::sqlparser::ast::Query>, String), Error> {
        self.expect_word("AS")?;
        let start = self.current_offset();
        let query = self.parse_query()?;
        let end = self.current_offset();
        let text = self
            .sql
            .get(start..end)
            .unwrap_or_default()
            .trim()
            .to_string();
        Ok((query, text))
    }

    /// `… VIEW [IF NOT EXISTS] name [(cols)] AS SELECT …`.
    fn parse_create_view(&mut self, or_replace: bool) -> Result<Statement, Error> {
        let if_not_exists = self.parse_if_not_exists();
        let name = self.parse_table_name()?;
        self.skip_uuid()?;
        self.skip_on_cluster()?;
        let columns = if self.parser.consume_token(&Token::LParen) {
            self.parse_table_elements()?.columns
        } else {
            vec![]
        };
        let (query, query_text) = self.parse_view_query()?;
        let comment = if self.word("COMMENT") {
            Some(self.parse_string()?)
        } else {
            None
        };
        self.expect_end()?;
        Ok(Statement::CreateView(Box::new(CreateView {
            name,
            query,
            query_text,
            columns,
            or_replace,
            if_not_exists,
            comment,
        })))
    }

    /// `… MATERIALIZED VIEW [IF NOT EXISTS] name [TO t] [(cols)] [ENGINE …] [POPULATE]
    /// AS SELECT …`.
    fn parse_create_materialized_view(&mut self, or_replace: bool) -> Result<Statement, Error> {
        let if_not_exists = self.parse_if_not_exists();
        let name = self.parse_table_name()?;
        self.skip_uuid()?;
        self.skip_on_cluster()?;
        if is_word(self.peek(), "REFRESH") {
            return Err(Error::not_implemented("Refreshable materialized views"));
        }
        let mut to = None;
        let mut columns = vec![];
        if self.word("TO") {
            to = Some(self.parse_table_name()?);
        }
        if self.parser.consume_token(&Token::LParen) {
            columns = self.parse_table_elements()?.columns;
        }
        if to.is_none() && self.word("TO") {
            to = Some(self.parse_table_name()?);
        }
        let engine = if self.peek_word("ENGINE") {
            if to.is_some() {
                return Err(Error::new(
                    sluice_common::ErrorCode::INCORRECT_QUERY,
                    "Cannot CREATE MATERIALIZED VIEW with both TO and ENGINE",
                ));
            }
            Some(self.parse_engine_clause()?)
        } else {
            None
        };
        let populate = self.word("POPULATE");
        let _empty = self.word("EMPTY");
        let (query, query_text) = self.parse_view_query()?;
        let comment = if self.word("COMMENT") {
            Some(self.parse_string()?)
        } else {
            None
        };
        self.expect_end()?;
        Ok(Statement::CreateMaterializedView(Box::new(
            CreateMaterializedView {
                name,
                to,
                columns,
                engine,
                populate,
                query,
                query_text,
                if_not_exists,
                or_replace,
                comment,
            },
        )))
    }

    /// `ATTACH TABLE|VIEW|MATERIALIZED VIEW|DATABASE|DICTIONARY [IF NOT EXISTS] name [full
    /// definition]`.
    pub(crate) fn parse_attach(&mut self) -> Result<Statement, Error> {
        self.expect_word("ATTACH")?;
        let (kind, materialized) = if self.word("TABLE") {
            (ObjectKind::Table, false)
        } else if self.word("DATABASE") {
            (ObjectKind::Database, false)
        } else if self.word("VIEW") {
            (ObjectKind::View, false)
        } else if self.words(&["MATERIALIZED", "VIEW"]) {
            (ObjectKind::View, true)
        } else if self.word("DICTIONARY") {
            (ObjectKind::Dictionary, false)
        } else {
            (ObjectKind::Table, false)
        };
        let mark = self.parser.index();
        let if_not_exists = self.parse_if_not_exists();
        let name = if kind == ObjectKind::Database {
            TableName::new(self.parse_name()?)
        } else {
            self.parse_table_name()?
        };
        let uuid = if is_word(self.peek(), "UUID") {
            self.parser.next_token();
            Some(self.parse_string()?)
        } else {
            None
        };
        self.skip_on_cluster()?;
        let short = self.parser.peek_token_ref().token == Token::EOF
            || self.parser.peek_token_ref().token == Token::SemiColon
            || (is_word(self.peek(), "FROM") && kind == ObjectKind::Table)
            || is_word(self.peek(), "PERMANENTLY");
        if short {
            if is_word(self.peek(), "FROM") {
                return Err(Error::not_implemented("ATTACH TABLE … FROM 'path'"));
            }
            let _ = self.word("PERMANENTLY");
            self.expect_end()?;
            return Ok(Statement::Attach(Attach {
                kind,
                name,
                if_not_exists,
                uuid,
                definition: None,
            }));
        }
        // Full form: re-parse from after the kind keyword as the CREATE body.
        while self.parser.index() > mark {
            self.parser.prev_token();
        }
        let definition = match (kind, materialized) {
            (ObjectKind::Table, _) => self.parse_create_table(false, false)?,
            (ObjectKind::Database, _) => self.parse_create_database()?,
            (ObjectKind::View, false) => self.parse_create_view(false)?,
            (ObjectKind::View, true) => self.parse_create_materialized_view(false)?,
            (ObjectKind::Dictionary, _) => {
                return Err(Error::not_implemented("ATTACH DICTIONARY"));
            }
        };
        Ok(Statement::Attach(Attach {
            kind,
            name,
            if_not_exists,
            uuid,
            definition: Some(Box::new(definition)),
        }))
    }
}
