//! The statements `sluice-sql` produces: [`ParsedStatement`] wraps one [`Statement`] with the
//! `FORMAT` and `SETTINGS` clauses lifted out of it and the statement's original text.
//!
//! Expressions and queries are sqlparser's AST (`datafusion::sql::sqlparser::ast`); the
//! ClickHouse statement forms sqlparser lacks are the types of this module:
//! - [`ddl`]: `CREATE TABLE/DATABASE/VIEW/MATERIALIZED VIEW`, columns, the engine clause.
//! - [`alter`]: `ALTER TABLE` commands.
//! - [`statement`]: [`Statement`] and the smaller statements (`INSERT`, `SHOW`, `SYSTEM`…).
//! - [`setting`]: [`SettingValue`], the value of a `SETTINGS k = v` entry.

pub mod alter;
pub mod ddl;
pub mod setting;
pub mod statement;

use std::fmt;

pub use alter::{Alter, AlterCommand, PartitionSpec};
pub use ddl::{
    ColumnDef, CreateDatabase, CreateMaterializedView, CreateTable, CreateView, DefaultKind,
    EngineClause, TtlElement,
};
pub use setting::SettingValue;
pub use statement::{
    Attach, Describe, DescribeTarget, Detach, Drop, Exists, Explain, Insert, InsertSource, Kill,
    KillKind, ObjectKind, Optimize, Show, ShowLike, Statement, SystemCommand,
};

/// One statement of the input, ready to execute.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedStatement {
    /// What to execute.
    pub statement: Statement,
    /// The output format named by a trailing `FORMAT Name` clause (SELECT, SHOW, DESCRIBE,
    /// EXISTS, EXPLAIN). `None` when the statement has none. For `INSERT … FORMAT Name` the
    /// format is the *input* format and lives in [`InsertSource::Format`] instead.
    pub format: Option<String>,
    /// The statement-level `SETTINGS k = v, …` clause (after SELECT, or in `INSERT INTO t
    /// SETTINGS … VALUES/FORMAT/SELECT`), in the order written. Engine-clause settings of
    /// `CREATE TABLE` are in [`EngineClause::settings`], not here.
    pub settings: Vec<(String, SettingValue)>,
    /// This statement's original SQL text (without the separating `;`), including inline
    /// INSERT data.
    pub text: String,
}

/// A possibly database-qualified table (or view, dictionary) name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableName {
    /// `db` in `db.t`; `None` means the current database.
    pub database: Option<String>,
    /// `t` in `db.t`.
    pub table: String,
}

impl TableName {
    /// A name without a database.
    pub fn new(table: impl Into<String>) -> Self {
        Self {
            database: None,
            table: table.into(),
        }
    }

    /// A `db.table` name.
    pub fn qualified(database: impl Into<String>, table: impl Into<String>) -> Self {
        Self {
            database: Some(database.into()),
            table: table.into(),
        }
    }
}

impl fmt::Display for TableName {
    /// Prints the name as ClickHouse does in DDL: identifiers that need quoting are
    /// back-quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(db) = &self.database {
            write!(f, "{}.", crate::format::quote_identifier(db))?;
        }
        f.write_str(&crate::format::quote_identifier(&self.table))
    }
}
