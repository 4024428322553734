//! Small statements: `DROP`, `DETACH`, `RENAME`, `EXCHANGE`, `TRUNCATE`, `OPTIMIZE`,
//! lightweight `DELETE`, `USE`, `SET`, `KILL`, `SYSTEM`.

use datafusion::sql::sqlparser::ast::Expr;
use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::tokenizer::Token;
use sluice_common::Error;

use super::{Parsed, StatementParser};
use crate::ast::{
    Detach, Drop, Kill, KillKind, ObjectKind, Optimize, Statement, SystemCommand, TableName,
};
use crate::tokens::{is_word, token_text};

/// `SYSTEM` commands: the keyword phrase and whether a target name may follow.
const SYSTEM_COMMANDS: &[(&str, bool)] = &[
    ("FLUSH LOGS", false),
    ("FLUSH DISTRIBUTED", true),
    ("FLUSH ASYNC INSERT QUEUE", false),
    ("DROP DNS CACHE", false),
    ("DROP MARK CACHE", false),
    ("DROP UNCOMPRESSED CACHE", false),
    ("DROP QUERY CACHE", false),
    ("DROP COMPILED EXPRESSION CACHE", false),
    ("DROP FILESYSTEM CACHE", false),
    ("DROP SCHEMA CACHE", false),
    ("DROP FORMAT SCHEMA CACHE", false),
    ("DROP MMAP CACHE", false),
    ("DROP PAGE CACHE", false),
    ("DROP CONNECTIONS CACHE", false),
    ("DROP REPLICA", false),
    ("RELOAD CONFIG", false),
    ("RELOAD DICTIONARIES", false),
    ("RELOAD DICTIONARY", true),
    ("RELOAD FUNCTIONS", false),
    ("RELOAD FUNCTION", true),
    ("RELOAD MODELS", false),
    ("RELOAD USERS", false),
    ("RELOAD ASYNCHRONOUS METRICS", false),
    ("STOP MERGES", true),
    ("START MERGES", true),
    ("STOP TTL MERGES", true),
    ("START TTL MERGES", true),
    ("STOP MOVES", true),
    ("START MOVES", true),
    ("STOP FETCHES", true),
    ("START FETCHES", true),
    ("STOP REPLICATED SENDS", true),
    ("START REPLICATED SENDS", true),
    ("STOP REPLICATION QUEUES", true),
    ("START REPLICATION QUEUES", true),
    ("STOP DISTRIBUTED SENDS", true),
    ("START DISTRIBUTED SENDS", true),
    ("STOP VIEWS", false),
    ("START VIEWS", false),
    ("STOP VIEW", true),
    ("START VIEW", true),
    ("REFRESH VIEW", true),
    ("CANCEL VIEW", true),
    ("WAIT VIEW", true),
    ("SYNC REPLICA", true),
    ("RESTART REPLICA", true),
    ("RESTART REPLICAS", false),
    ("SYNC DATABASE REPLICA", true),
    ("ENABLE FAILPOINT", true),
    ("DISABLE FAILPOINT", true),
    ("WAIT FAILPOINT", true),
    ("SHUTDOWN", false),
    ("KILL", false),
    ("UNFREEZE", false),
    ("STOP LISTEN", false),
    ("START LISTEN", false),
    ("JEMALLOC PURGE", false),
];

impl StatementParser<'_> {
    /// `DROP [TEMPORARY] TABLE|DATABASE|VIEW|DICTIONARY [IF EXISTS] [IF EMPTY] names [SYNC]`.
    pub(crate) fn parse_drop(&mut self) -> Result<Statement, Error> {
        self.expect_word("DROP")?;
        let temporary = self.word("TEMPORARY");
        let kind = if self.word("TABLE") {
            ObjectKind::Table
        } else if self.word("DATABASE") {
            ObjectKind::Database
        } else if self.word("VIEW") {
            ObjectKind::View
        } else if self.word("DICTIONARY") {
            ObjectKind::Dictionary
        } else if temporary {
            ObjectKind::Table
        } else {
            let t = self.peek().clone();
            for w in [
                "USER", "ROLE", "FUNCTION", "QUOTA", "POLICY", "PROFILE", "INDEX", "NAMED",
            ] {
                if is_word(&t, w) {
                    return Err(Error::not_implemented(format!("DROP {w}")));
                }
            }
            return Err(self.error_here("Expected one of: TABLE, DATABASE, VIEW, DICTIONARY"));
        };
        let if_exists = self.parse_if_exists();
        let if_empty = self.words(&["IF", "EMPTY"]);
        let mut names = Vec::new();
        loop {
            names.push(if kind == ObjectKind::Database {
                TableName::new(self.parse_name()?)
            } else {
                self.parse_table_name()?
            });
            if !self.parser.consume_token(&Token::Comma) {
                break;
            }
        }
        self.skip_on_cluster()?;
        let _ = self.word("PERMANENTLY");
        let sync = self.word("SYNC");
        self.expect_end()?;
        Ok(Statement::Drop(Drop {
            kind,
            if_exists,
            if_empty,
            names,
            sync,
            temporary,
        }))
    }

    /// `DETACH TABLE|VIEW|DICTIONARY|DATABASE [IF EXISTS] name [PERMANENTLY] [SYNC]`.
    pub(crate) fn parse_detach(&mut self) -> Result<Statement, Error> {
        self.expect_word("DETACH")?;
        let kind = if self.word("TABLE") {
            ObjectKind::Table
        } else if self.word("DATABASE") {
            ObjectKind::Database
        } else if self.word("VIEW") {
            ObjectKind::View
        } else if self.word("DICTIONARY") {
            ObjectKind::Dictionary
        } else {
            ObjectKind::Table
        };
        let if_exists = self.parse_if_exists();
        let name = if kind == ObjectKind::Database {
            TableName::new(self.parse_name()?)
        } else {
            self.parse_table_name()?
        };
        self.skip_on_cluster()?;
        let permanently = self.word("PERMANENTLY");
        let sync = self.word("SYNC");
        self.expect_end()?;
        Ok(Statement::Detach(Detach {
            kind,
            name,
            if_exists,
            permanently,
            sync,
        }))
    }

    /// `RENAME TABLE|DATABASE|DICTIONARY a TO b[, c TO d]`.
    pub(crate) fn parse_rename(&mut self) -> Result<Statement, Error> {
        self.expect_word("RENAME")?;
        let kind = if self.word("DATABASE") {
            ObjectKind::Database
        } else if self.word("DICTIONARY") {
            ObjectKind::Dictionary
        } else {
            let _ = self.word("TABLE");
            ObjectKind::Table
        };
        let mut pairs = Vec::new();
        loop {
            let (from, to) = if kind == ObjectKind::Database {
                let a = TableName::new(self.parse_name()?);
                self.expect_word("TO")?;
                (a, TableName::new(self.parse_name()?))
            } else {
                let a = self.parse_table_name()?;
                self.expect_word("TO")?;
                (a, self.parse_table_name()?)
            };
            pairs.push((from, to));
            if !self.parser.consume_token(&Token::Comma) {
                break;
            }
        }
        self.skip_on_cluster()?;
        self.expect_end()?;
        Ok(Statement::Rename { kind, pairs })
    }

    /// `EXCHANGE TABLES a AND b`.
    pub(crate) fn parse_exchange(&mut self) -> Result<Statement, Error> {
        self.parser.next_token();
        if !(is_word(self.peek(), "TABLES") || is_word(self.peek(), "DICTIONARIES")) {
            return Err(self.error_here("Expected TABLES"));
        }
        self.parser.next_token();
        let a = self.parse_table_name()?;
        self.expect_word("AND")?;
        let b = self.parse_table_name()?;
        self.skip_on_cluster()?;
        self.expect_end()?;
        Ok(Statement::Exchange { a, b })
    }

    /// `TRUNCATE [TEMPORARY] [TABLE] [IF EXISTS] t`.
    pub(crate) fn parse_truncate(&mut self) -> Result<Statement, Error> {
        self.expect_word("TRUNCATE")?;
        let _ = self.word("TEMPORARY");
        if self.word("DATABASE") || is_word(self.peek(), "ALL") {
            return Err(Error::not_implemented(
                "TRUNCATE DATABASE / TRUNCATE ALL TABLES",
            ));
        }
        let _ = self.word("TABLE");
        let if_exists = self.parse_if_exists();
        let table = self.parse_table_name()?;
        self.skip_on_cluster()?;
        let _ = self.word("SYNC");
        self.expect_end()?;
        Ok(Statement::Truncate { table, if_exists })
    }

    /// `OPTIMIZE TABLE t [PARTITION p] [FINAL] [CLEANUP] [DEDUPLICATE [BY …]]` (`CLEANUP`:
    /// `SUPPORT_IS_DISABLED`, as ClickHouse without its experimental setting).
    pub(crate) fn parse_optimize(&mut self) -> Result<Statement, Error> {
        self.expect_word("OPTIMIZE")?;
        self.expect_word("TABLE")?;
        let table = self.parse_table_name()?;
        self.skip_on_cluster()?;
        let partition = if self.word("PARTITION") {
            Some(self.parse_partition_spec()?)
        } else {
            None
        };
        let final_ = self.word("FINAL");
        if self.word("CLEANUP") {
            // ClickHouse refuses it unless `allow_experimental_replacing_merge_with_cleanup`
            // is set for a ReplacingMergeTree; Sluice has no CLEANUP merge.
            return Err(sluice_common::ch_err!(
                SUPPORT_IS_DISABLED,
                "Experimental merges with CLEANUP are not allowed"
            ));
        }
        let deduplicate = self.word("DEDUPLICATE");
        let mut deduplicate_by = Vec::new();
        let mut deduplicate_except = Vec::new();
        if deduplicate && self.word("BY") {
            loop {
                if self.parser.consume_token(&Token::Mul) {
                    deduplicate_by.push(Expr::Wildcard(AttachedToken::empty()));
                } else {
                    deduplicate_by.push(self.parse_expr()?);
                }
                // `* EXCEPT c` / `COLUMNS('re') EXCEPT (c1, c2)`.
                if self.word("EXCEPT") {
                    if self.parser.consume_token(&Token::LParen) {
                        loop {
                            deduplicate_except.push(self.parse_name()?);
                            if !self.parser.consume_token(&Token::Comma) {
                                break;
                            }
                        }
                        self.expect_token(&Token::RParen)?;
                    } else {
                        deduplicate_except.push(self.parse_name()?);
                    }
                }
                if !self.parser.consume_token(&Token::Comma) {
                    break;
                }
            }
        }
        self.expect_end()?;
        Ok(Statement::Optimize(Optimize {
            table,
            partition,
            final_,
            deduplicate,
            deduplicate_by,
            deduplicate_except,
        }))
    }

    /// Lightweight `DELETE FROM t [IN PARTITION p] WHERE cond`.
    pub(crate) fn parse_delete(&mut self) -> Result<Statement, Error> {
        self.expect_word("DELETE")?;
        self.expect_word("FROM")?;
        let table = self.parse_table_name()?;
        self.skip_on_cluster()?;
        let partition = if self.words(&["IN", "PARTITION"]) {
            Some(self.parse_partition_spec()?)
        } else {
            None
        };
        self.expect_word("WHERE")?;
        let selection = self.parse_expr()?;
        self.expect_end()?;
        Ok(Statement::Delete {
            table,
            partition,
            selection,
        })
    }

    /// `USE db`.
    pub(crate) fn parse_use(&mut self) -> Result<Statement, Error> {
        self.expect_word("USE")?;
        let _ = self.word("DATABASE");
        let database = self.parse_name()?;
        self.expect_end()?;
        Ok(Statement::Use { database })
    }

    /// `SET k = v, …`.
    pub(crate) fn parse_set(&mut self) -> Result<Statement, Error> {
        self.expect_word("SET")?;
        let t = self.peek().clone();
        for w in ["ROLE", "DEFAULT", "TRANSACTION"] {
            if is_word(&t, w) && self.parser.peek_nth_token_ref(1).token != Token::Eq {
                return Err(Error::not_implemented(format!("SET {w}")));
            }
        }
        let list = self.parse_settings_list()?;
        self.expect_end()?;
        Ok(Statement::Set(list))
    }

    /// `KILL QUERY|MUTATION [ON CLUSTER c] WHERE cond [SYNC|ASYNC|TEST]`.
    pub(crate) fn parse_kill(&mut self) -> Result<Parsed, Error> {
        self.expect_word("KILL")?;
        let kind = if self.word("QUERY") {
            KillKind::Query
        } else if is_word(self.peek(), "MUTATION") {
            self.parser.next_token();
            KillKind::Mutation
        } else {
            return Err(self.error_here("Expected QUERY or MUTATION"));
        };
        self.skip_on_cluster()?;
        self.expect_word("WHERE")?;
        let selection = self.parse_expr()?;
        let mut sync = false;
        let mut test = false;
        if self.word("SYNC") {
            sync = true;
        } else if is_word(self.peek(), "ASYNC") {
            self.parser.next_token();
        } else if is_word(self.peek(), "TEST") {
            self.parser.next_token();
            test = true;
        }
        // A FORMAT may follow KILL.
        let format = if self.word("FORMAT") {
            Some(self.parse_name()?)
        } else {
            None
        };
        self.expect_end()?;
        Ok((
            Statement::Kill(Kill {
                kind,
                selection,
                sync,
                test,
            }),
            format,
            vec![],
        ))
    }

    /// `SYSTEM command [target] [extra]`.
    pub(crate) fn parse_system(&mut self) -> Result<Statement, Error> {
        self.expect_word("SYSTEM")?;
        // Longest known phrase matching the next words.
        let mut best: Option<(&str, bool, usize)> = None;
        for (phrase, takes_target) in SYSTEM_COMMANDS {
            let words: Vec<&str> = phrase.split(' ').collect();
            let matches = words
                .iter()
                .enumerate()
                .all(|(i, w)| is_word(&self.parser.peek_nth_token_ref(i).token, w));
            if matches && best.is_none_or(|(_, _, n)| words.len() > n) {
                best = Some((phrase, *takes_target, words.len()));
            }
        }
        let Some((phrase, takes_target, n)) = best else {
            return Err(self.error_here("Expected a SYSTEM command"));
        };
        for _ in 0..n {
            self.parser.next_token();
        }
        self.skip_on_cluster()?;
        let mut target = None;
        if takes_target && matches!(self.peek(), Token::Word(_) | Token::SingleQuotedString(_)) {
            if let Token::SingleQuotedString(s) = self.peek().clone() {
                self.parser.next_token();
                target = Some(TableName::new(s));
            } else {
                target = Some(self.parse_table_name()?);
            }
        }
        let mut extra_tokens = Vec::new();
        while !matches!(self.peek(), Token::EOF | Token::SemiColon) {
            extra_tokens.push(token_text(&self.parser.next_token().token));
        }
        self.expect_end()?;
        Ok(Statement::System(SystemCommand {
            command: phrase.to_string(),
            target,
            extra: (!extra_tokens.is_empty()).then(|| extra_tokens.join(" ")),
        }))
    }
}
