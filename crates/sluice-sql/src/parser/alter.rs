//! `ALTER TABLE t command, …`.

use datafusion::sql::sqlparser::ast::Expr;
use datafusion::sql::sqlparser::tokenizer::Token;
use sluice_common::Error;

use super::StatementParser;
use crate::ast::{Alter, AlterCommand, PartitionSpec, Statement};
use crate::tokens::is_word;

impl StatementParser<'_> {
    /// `ALTER TABLE [IF EXISTS] t [ON CLUSTER c] command[, command…]`.
    pub(crate) fn parse_alter(&mut self) -> Result<Statement, Error> {
        self.expect_word("ALTER")?;
        if !self.word("TABLE") {
            let t = self.peek().clone();
            for w in [
                "USER",
                "ROLE",
                "QUOTA",
                "POLICY",
                "PROFILE",
                "DATABASE",
                "SETTINGS",
                "ROW",
                "NAMED",
                "TEMPORARY",
            ] {
                if is_word(&t, w) {
                    return Err(Error::not_implemented(format!("ALTER {w}")));
                }
            }
            return Err(self.error_here("Expected TABLE"));
        }
        let if_exists = self.parse_if_exists();
        let table = self.parse_table_name()?;
        self.skip_on_cluster()?;
        let mut commands = Vec::new();
        loop {
            commands.push(self.parse_alter_command()?);
            if !self.parser.consume_token(&Token::Comma) {
                break;
            }
        }
        // `SETTINGS mutations_sync = 2` may follow the commands.
        let _ = self.word("SETTINGS") && {
            let _ = self.parse_settings_list()?;
            true
        };
        self.expect_end()?;
        Ok(Statement::Alter(Alter {
            table,
            if_exists,
            commands,
        }))
    }

    /// An `UPDATE` assignment's value: it ends before a depth-0 `,`, `WHERE` or `IN
    /// PARTITION` (sqlparser alone would read `v + 1 IN PARTITION …` as an `IN` list).
    fn parse_assignment_value(&mut self) -> Result<Expr, Error> {
        self.parse_expr_before(|t, next| {
            *t == Token::Comma
                || is_word(t, "WHERE")
                || (is_word(t, "IN") && is_word(next, "PARTITION"))
        })
    }

    fn parse_in_partition(&mut self) -> Result<Option<PartitionSpec>, Error> {
        if self.words(&["IN", "PARTITION"]) {
            Ok(Some(self.parse_partition_spec()?))
        } else {
            Ok(None)
        }
    }

    /// `PARTITION p` or `PART 'name'`: (spec, is_part).
    fn parse_partition_or_part(&mut self) -> Result<(PartitionSpec, bool), Error> {
        if self.word("PARTITION") {
            Ok((self.parse_partition_spec()?, false))
        } else if self.word("PART") {
            Ok((PartitionSpec::Id(self.parse_string()?), true))
        } else {
            Err(self.error_here("Expected PARTITION or PART"))
        }
    }

    fn parse_after_first(&mut self) -> Result<(Option<String>, bool), Error> {
        if self.word("FIRST") {
            return Ok((None, true));
        }
        if self.word("AFTER") {
            return Ok((Some(self.parse_name()?), false));
        }
        Ok((None, false))
    }

    fn parse_alter_command(&mut self) -> Result<AlterCommand, Error> {
        let t = self.peek().clone();
        let t1 = self.parser.peek_nth_token_ref(1).token.clone();
        if is_word(&t, "ADD") {
            self.parser.next_token();
            if self.word("COLUMN") {
                let if_not_exists = self.parse_if_not_exists();
                let column = self.parse_column_def(false)?;
                let (after, first) = self.parse_after_first()?;
                return Ok(AlterCommand::AddColumn {
                    column,
                    if_not_exists,
                    after,
                    first,
                });
            }
            if self.peek_word("INDEX") {
                let mark = self.parser.index();
                self.parser.next_token();
                let if_not_exists = self.parse_if_not_exists();
                let name = self.parse_name()?;
                while self.parser.index() > mark {
                    self.parser.prev_token();
                }
                let definition = self.raw_until(|t| *t == Token::Comma);
                let definition = definition.replacen("IF NOT EXISTS ", "", 1);
                return Ok(AlterCommand::AddIndex {
                    name,
                    if_not_exists,
                    definition,
                });
            }
            if self.peek_word("PROJECTION")
                || self.peek_word("CONSTRAINT")
                || is_word(self.peek(), "STATISTICS")
            {
                return Err(Error::not_implemented(
                    "ALTER TABLE ADD PROJECTION/CONSTRAINT/STATISTICS",
                ));
            }
            return Err(self.error_here("Expected COLUMN or INDEX"));
        }
        if is_word(&t, "DROP") {
            self.parser.next_token();
            if self.word("COLUMN") {
                let if_exists = self.parse_if_exists();
                let name = self.parse_name()?;
                return Ok(AlterCommand::DropColumn { name, if_exists });
            }
            if self.word("INDEX") {
                let if_exists = self.parse_if_exists();
                let name = self.parse_name()?;
                return Ok(AlterCommand::DropIndex { name, if_exists });
            }
            if self.peek_word("PARTITION") || self.peek_word("PART") {
                let (partition, part) = self.parse_partition_or_part()?;
                return Ok(AlterCommand::DropPartition { partition, part });
            }
            if is_word(self.peek(), "DETACHED") {
                return Err(Error::not_implemented("ALTER TABLE DROP DETACHED"));
            }
            return Err(self.error_here("Expected one of: COLUMN, INDEX, PARTITION, PART"));
        }
        if is_word(&t, "MODIFY") {
            self.parser.next_token();
            if self.word("COLUMN") {
                let if_exists = self.parse_if_exists();
                if is_word(&self.parser.peek_nth_token_ref(1).token, "REMOVE") {
                    let name = self.parse_name()?;
                    self.parser.next_token();
                    let property = match self.parser.next_token().token {
                        Token::Word(w) => w.value.to_ascii_uppercase(),
                        _ => return Err(self.error_here("Expected column property")),
                    };
                    return Ok(AlterCommand::RemoveColumnProperty { name, property });
                }
                let column = self.parse_column_def(true)?;
                let (after, first) = self.parse_after_first()?;
                return Ok(AlterCommand::ModifyColumn {
                    column,
                    if_exists,
                    after,
                    first,
                });
            }
            if self.word("SETTING") {
                return Ok(AlterCommand::ModifySetting(self.parse_settings_list()?));
            }
            if self.word("TTL") {
                return Ok(AlterCommand::ModifyTtl(self.parse_ttl_list()?));
            }
            if self.words(&["ORDER", "BY"]) {
                return Ok(AlterCommand::ModifyOrderBy(self.parse_key_expr()?));
            }
            if self.words(&["SAMPLE", "BY"]) {
                return Ok(AlterCommand::ModifySampleBy(self.parse_expr()?));
            }
            if self.word("COMMENT") {
                return Ok(AlterCommand::ModifyComment(self.parse_string()?));
            }
            if self.word("QUERY") {
                let text = self.rest_text();
                let _ = self.parse_query()?;
                return Ok(AlterCommand::ModifyQuery(text));
            }
            return Err(self.error_here(
                "Expected one of: COLUMN, SETTING, TTL, ORDER BY, SAMPLE BY, COMMENT, QUERY",
            ));
        }
        if is_word(&t, "RESET") && is_word(&t1, "SETTING") {
            self.parser.next_token();
            self.parser.next_token();
            let mut names = Vec::new();
            loop {
                names.push(self.parse_name()?);
                if !self.parser.consume_token(&Token::Comma) {
                    break;
                }
            }
            return Ok(AlterCommand::ResetSetting(names));
        }
        if is_word(&t, "RENAME") && is_word(&t1, "COLUMN") {
            self.parser.next_token();
            self.parser.next_token();
            let if_exists = self.parse_if_exists();
            let from = self.parse_name()?;
            self.expect_word("TO")?;
            let to = self.parse_name()?;
            return Ok(AlterCommand::RenameColumn {
                from,
                to,
                if_exists,
            });
        }
        if is_word(&t, "COMMENT") && is_word(&t1, "COLUMN") {
            self.parser.next_token();
            self.parser.next_token();
            let if_exists = self.parse_if_exists();
            let name = self.parse_name()?;
            let comment = self.parse_string()?;
            return Ok(AlterCommand::CommentColumn {
                name,
                comment,
                if_exists,
            });
        }
        if is_word(&t, "CLEAR") && is_word(&t1, "COLUMN") {
            self.parser.next_token();
            self.parser.next_token();
            let if_exists = self.parse_if_exists();
            let name = self.parse_name()?;
            let partition = self.parse_in_partition()?;
            return Ok(AlterCommand::ClearColumn {
                name,
                if_exists,
                partition,
            });
        }
        if is_word(&t, "MATERIALIZE") {
            self.parser.next_token();
            if self.word("COLUMN") {
                let name = self.parse_name()?;
                let partition = self.parse_in_partition()?;
                return Ok(AlterCommand::MaterializeColumn { name, partition });
            }
            if self.word("TTL") {
                let partition = self.parse_in_partition()?;
                return Ok(AlterCommand::MaterializeTtl { partition });
            }
            if self.peek_word("INDEX") {
                let text = self.raw_until(|t| *t == Token::Comma);
                return Ok(AlterCommand::IndexMaintenance(format!(
                    "MATERIALIZE {text}"
                )));
            }
            return Err(self.error_here("Expected COLUMN, INDEX or TTL"));
        }
        if (is_word(&t, "CLEAR")) && is_word(&t1, "INDEX") {
            self.parser.next_token();
            let text = self.raw_until(|t| *t == Token::Comma);
            return Ok(AlterCommand::IndexMaintenance(format!("CLEAR {text}")));
        }
        if is_word(&t, "DELETE") {
            self.parser.next_token();
            let partition = self.parse_in_partition()?;
            self.expect_word("WHERE")?;
            let selection = self.parse_expr()?;
            return Ok(AlterCommand::Delete {
                partition,
                selection,
            });
        }
        if is_word(&t, "UPDATE") {
            self.parser.next_token();
            let mut assignments = Vec::new();
            loop {
                let name = self.parse_name()?;
                self.expect_token(&Token::Eq)?;
                let value = self.parse_assignment_value()?;
                assignments.push((name, value));
                if !self.parser.consume_token(&Token::Comma) {
                    break;
                }
            }
            let partition = self.parse_in_partition()?;
            self.expect_word("WHERE")?;
            let selection = self.parse_expr()?;
            return Ok(AlterCommand::Update {
                assignments,
                partition,
                selection,
            });
        }
        if is_word(&t, "DETACH") {
            self.parser.next_token();
            let (partition, part) = self.parse_partition_or_part()?;
            return Ok(AlterCommand::DetachPartition { partition, part });
        }
        if is_word(&t, "ATTACH") {
            self.parser.next_token();
            let (partition, part) = self.parse_partition_or_part()?;
            let from = if self.word("FROM") {
                Some(self.parse_table_name()?)
            } else {
                None
            };
            return Ok(AlterCommand::AttachPartition {
                partition,
                part,
                from,
            });
        }
        if is_word(&t, "REPLACE") && is_word(&t1, "PARTITION") {
            self.parser.next_token();
            self.parser.next_token();
            let partition = self.parse_partition_spec()?;
            self.expect_word("FROM")?;
            let from = self.parse_table_name()?;
            return Ok(AlterCommand::ReplacePartition { partition, from });
        }
        if is_word(&t, "FREEZE") {
            self.parser.next_token();
            let partition = if self.word("PARTITION") {
                Some(self.parse_partition_spec()?)
            } else {
                None
            };
            return Ok(AlterCommand::Freeze { partition });
        }
        if is_word(&t, "REMOVE") {
            self.parser.next_token();
            if self.word("TTL") {
                return Ok(AlterCommand::RemoveTtl);
            }
            if self.words(&["SAMPLE", "BY"]) {
                return Ok(AlterCommand::RemoveSampleBy);
            }
            return Err(self.error_here("Expected TTL or SAMPLE BY"));
        }
        for w in ["MOVE", "FETCH", "UNFREEZE", "APPLY"] {
            if is_word(&t, w) {
                return Err(Error::not_implemented(format!("ALTER TABLE {w}")));
            }
        }
        Err(self.error_here(
            "Expected one of: ADD, DROP, MODIFY, RENAME, COMMENT, CLEAR, MATERIALIZE, DELETE, \
             UPDATE, DETACH, ATTACH, REPLACE, FREEZE, REMOVE, RESET",
        ))
    }
}
