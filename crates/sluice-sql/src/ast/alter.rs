//! `ALTER TABLE` and its commands.

use datafusion::sql::sqlparser::ast::Expr;

use super::{ColumnDef, SettingValue, TableName, TtlElement};

/// `ALTER TABLE [IF EXISTS] name command, command, …`.
#[derive(Debug, Clone, PartialEq)]
pub struct Alter {
    /// The table altered.
    pub table: TableName,
    /// `IF EXISTS` given after `TABLE`.
    pub if_exists: bool,
    /// The commands, in order.
    pub commands: Vec<AlterCommand>,
}

/// Which partition(s) a partition command addresses.
#[derive(Debug, Clone, PartialEq)]
pub enum PartitionSpec {
    /// `PARTITION expr` (a value or tuple of the partition key).
    Expr(Box<Expr>),
    /// `PARTITION ID 'id'`.
    Id(String),
    /// `PARTITION ALL`.
    All,
}

/// One `ALTER` command.
#[derive(Debug, Clone, PartialEq)]
pub enum AlterCommand {
    /// `ADD COLUMN [IF NOT EXISTS] def [FIRST | AFTER col]`.
    AddColumn {
        /// The new column.
        column: ColumnDef,
        /// `IF NOT EXISTS` given.
        if_not_exists: bool,
        /// `AFTER col`.
        after: Option<String>,
        /// `FIRST`.
        first: bool,
    },
    /// `DROP COLUMN [IF EXISTS] name`.
    DropColumn {
        /// Column name.
        name: String,
        /// `IF EXISTS` given.
        if_exists: bool,
    },
    /// `MODIFY COLUMN [IF EXISTS] def [FIRST | AFTER col]`: only the parts written change.
    ModifyColumn {
        /// New definition (type and/or default/codec/comment/TTL).
        column: ColumnDef,
        /// `IF EXISTS` given.
        if_exists: bool,
        /// `AFTER col`.
        after: Option<String>,
        /// `FIRST`.
        first: bool,
    },
    /// `MODIFY COLUMN name REMOVE DEFAULT|MATERIALIZED|ALIAS|CODEC|COMMENT|TTL|…`.
    RemoveColumnProperty {
        /// Column name.
        name: String,
        /// The property keyword, upper-case.
        property: String,
    },
    /// `RENAME COLUMN [IF EXISTS] from TO to`.
    RenameColumn {
        /// Old name.
        from: String,
        /// New name.
        to: String,
        /// `IF EXISTS` given.
        if_exists: bool,
    },
    /// `COMMENT COLUMN [IF EXISTS] name 'text'`.
    CommentColumn {
        /// Column name.
        name: String,
        /// The comment.
        comment: String,
        /// `IF EXISTS` given.
        if_exists: bool,
    },
    /// `CLEAR COLUMN [IF EXISTS] name [IN PARTITION p]`.
    ClearColumn {
        /// Column name.
        name: String,
        /// `IF EXISTS` given.
        if_exists: bool,
        /// `IN PARTITION p`.
        partition: Option<PartitionSpec>,
    },
    /// `MATERIALIZE COLUMN name [IN PARTITION p]`.
    MaterializeColumn {
        /// Column name.
        name: String,
        /// `IN PARTITION p`.
        partition: Option<PartitionSpec>,
    },
    /// `MODIFY SETTING k = v, …`.
    ModifySetting(Vec<(String, SettingValue)>),
    /// `RESET SETTING k, …`.
    ResetSetting(Vec<String>),
    /// `DELETE [IN PARTITION p] WHERE expr` (a mutation).
    Delete {
        /// `IN PARTITION p`.
        partition: Option<PartitionSpec>,
        /// Rows to delete.
        selection: Expr,
    },
    /// `UPDATE col = expr, … [IN PARTITION p] WHERE expr` (a mutation).
    Update {
        /// `col = expr` pairs.
        assignments: Vec<(String, Expr)>,
        /// `IN PARTITION p`.
        partition: Option<PartitionSpec>,
        /// Rows to update.
        selection: Expr,
    },
    /// `DROP PARTITION p` / `DROP PART 'name'` (`part` true).
    DropPartition {
        /// The partition or part.
        partition: PartitionSpec,
        /// `DROP PART` rather than `DROP PARTITION`.
        part: bool,
    },
    /// `DETACH PARTITION p` / `DETACH PART 'name'`.
    DetachPartition {
        /// The partition or part.
        partition: PartitionSpec,
        /// `DETACH PART`.
        part: bool,
    },
    /// `ATTACH PARTITION p [FROM table]` / `ATTACH PART 'name'`.
    AttachPartition {
        /// The partition or part.
        partition: PartitionSpec,
        /// `ATTACH PART`.
        part: bool,
        /// `FROM other` (copy from another table).
        from: Option<TableName>,
    },
    /// `REPLACE PARTITION p FROM table`.
    ReplacePartition {
        /// The partition.
        partition: PartitionSpec,
        /// Source table.
        from: TableName,
    },
    /// `FREEZE [PARTITION p]`.
    Freeze {
        /// `PARTITION p`.
        partition: Option<PartitionSpec>,
    },
    /// `MODIFY TTL …`.
    ModifyTtl(Vec<TtlElement>),
    /// `REMOVE TTL`.
    RemoveTtl,
    /// `MATERIALIZE TTL [IN PARTITION p]`.
    MaterializeTtl {
        /// `IN PARTITION p`.
        partition: Option<PartitionSpec>,
    },
    /// `MODIFY ORDER BY expr`.
    ModifyOrderBy(Expr),
    /// `MODIFY SAMPLE BY expr`.
    ModifySampleBy(Expr),
    /// `REMOVE SAMPLE BY`.
    RemoveSampleBy,
    /// `ADD INDEX [IF NOT EXISTS] name expr TYPE t [GRANULARITY n] [FIRST|AFTER x]`, kept as
    /// the text after `ADD` (`INDEX name expr TYPE t GRANULARITY n`).
    AddIndex {
        /// Index name.
        name: String,
        /// `IF NOT EXISTS` given.
        if_not_exists: bool,
        /// The element text, as in [`super::CreateTable::indexes`].
        definition: String,
    },
    /// `DROP INDEX [IF EXISTS] name`.
    DropIndex {
        /// Index name.
        name: String,
        /// `IF EXISTS` given.
        if_exists: bool,
    },
    /// `MATERIALIZE INDEX name` / `CLEAR INDEX name`: kept as text.
    IndexMaintenance(String),
    /// `MODIFY COMMENT 'text'`.
    ModifyComment(String),
    /// `MODIFY QUERY SELECT …` of a materialized view, as text.
    ModifyQuery(String),
}
