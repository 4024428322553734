//! DDL statement types: `CREATE TABLE`, `CREATE DATABASE`, `CREATE VIEW`,
//! `CREATE MATERIALIZED VIEW`, column definitions and the engine clause.

use datafusion::sql::sqlparser::ast::{Expr, Query};

use super::{SettingValue, TableName};

/// `CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] name …` (also the full
/// `ATTACH TABLE name (…) ENGINE = …` form).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    /// `IF NOT EXISTS` given.
    pub if_not_exists: bool,
    /// `OR REPLACE` given (or `REPLACE TABLE`).
    pub or_replace: bool,
    /// `TEMPORARY` given.
    pub temporary: bool,
    /// The table's name.
    pub name: TableName,
    /// Column definitions in order (empty for `AS other` / `AS table_function(…)` without a
    /// column list, and for `AS SELECT` without one).
    pub columns: Vec<ColumnDef>,
    /// `INDEX name expr TYPE t GRANULARITY n` elements, as SQL text.
    pub indexes: Vec<String>,
    /// `PROJECTION name (SELECT …)` elements, as SQL text.
    pub projections: Vec<String>,
    /// `CONSTRAINT name CHECK|ASSUME expr` elements, as SQL text.
    pub constraints: Vec<String>,
    /// A `PRIMARY KEY (…)` given as a table element (inside the column list) or as a
    /// column modifier (`id UInt64 PRIMARY KEY`). The engine clause's `PRIMARY KEY` is in
    /// [`EngineClause::primary_key`].
    pub element_primary_key: Option<Expr>,
    /// `ENGINE = Name(args) PARTITION BY … ORDER BY … SETTINGS …`.
    pub engine: Option<EngineClause>,
    /// `AS [db.]other`: copy the structure (and the engine, when none is given) of `other`.
    pub as_table: Option<TableName>,
    /// `AS table_function(…)`, e.g. `AS numbers(10)` (an [`Expr::Function`]).
    pub as_table_function: Option<Expr>,
    /// `AS SELECT …` (or `EMPTY AS SELECT`, see [`CreateTable::empty`]).
    pub as_select: Option<Box<Query>>,
    /// The SQL text of the `AS SELECT` query as written.
    pub as_select_text: Option<String>,
    /// `EMPTY AS SELECT`: create the table from the query's structure without inserting.
    pub empty: bool,
    /// `COMMENT 'text'` after the engine clause.
    pub comment: Option<String>,
}

/// One column of a column list.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    /// Column name (unquoted).
    pub name: String,
    /// The type exactly as written with whitespace normalised (`Nullable(String)`,
    /// `Decimal(10, 2)`, `DateTime('UTC')`). `None` when the column has no type
    /// (`x DEFAULT 1`: the type comes from the expression). A `NULL` modifier is *not*
    /// folded in: see [`ColumnDef::null_modifier`].
    pub type_text: Option<String>,
    /// `NULL` (`Some(true)`) or `NOT NULL` (`Some(false)`) after the type. ClickHouse
    /// turns `T NULL` into `Nullable(T)`.
    pub null_modifier: Option<bool>,
    /// `DEFAULT|MATERIALIZED|ALIAS|EPHEMERAL expr`. `EPHEMERAL` without an expression has
    /// the expression `None`.
    pub default: Option<(DefaultKind, Option<Expr>)>,
    /// `CODEC(…)`: the text inside the parentheses, formatted (`ZSTD(1)`, `Delta, LZ4`).
    pub codec: Option<String>,
    /// `STATISTICS(…)` text inside the parentheses.
    pub statistics: Option<String>,
    /// `COMMENT 'text'`.
    pub comment: Option<String>,
    /// `TTL expr`.
    pub ttl: Option<Expr>,
    /// `PRIMARY KEY` written after the column.
    pub primary_key: bool,
    /// `SETTINGS (…)` column-level settings.
    pub settings: Vec<(String, SettingValue)>,
}

impl ColumnDef {
    /// A column with a name and a type and nothing else.
    pub fn new(name: impl Into<String>, type_text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            type_text: Some(type_text.into()),
            null_modifier: None,
            default: None,
            codec: None,
            statistics: None,
            comment: None,
            ttl: None,
            primary_key: false,
            settings: Vec::new(),
        }
    }
}

/// The kind of a column's default expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DefaultKind {
    /// `DEFAULT expr`: stored, filled when the column is omitted on insert.
    Default,
    /// `MATERIALIZED expr`: stored, always computed, not in `SELECT *`.
    Materialized,
    /// `ALIAS expr`: not stored, computed on read.
    Alias,
    /// `EPHEMERAL [expr]`: not stored, usable by other defaults on insert.
    Ephemeral,
}

impl DefaultKind {
    /// The keyword as ClickHouse prints it.
    pub fn keyword(self) -> &'static str {
        match self {
            DefaultKind::Default => "DEFAULT",
            DefaultKind::Materialized => "MATERIALIZED",
            DefaultKind::Alias => "ALIAS",
            DefaultKind::Ephemeral => "EPHEMERAL",
        }
    }
}

/// `ENGINE = Name[(args)]` with the storage clauses that may follow it, in ClickHouse's
/// grammar (any order): `PARTITION BY`, `PRIMARY KEY`, `ORDER BY`, `SAMPLE BY`, `TTL`,
/// `SETTINGS`.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineClause {
    /// Engine name as written (`MergeTree`, `Kafka`, `Memory`).
    pub name: String,
    /// Engine arguments; empty both for `Kafka` and `MergeTree()`.
    pub args: Vec<Expr>,
    /// Whether parentheses followed the name (`MergeTree()` vs `MergeTree`).
    pub has_parens: bool,
    /// `PARTITION BY expr`.
    pub partition_by: Option<Expr>,
    /// `PRIMARY KEY expr`.
    pub primary_key: Option<Expr>,
    /// `ORDER BY expr`: `tuple()`, a tuple `(a, b)` ([`Expr::Tuple`]) or one expression.
    pub order_by: Option<Expr>,
    /// `SAMPLE BY expr`.
    pub sample_by: Option<Expr>,
    /// `TTL expr [action], …`.
    pub ttl: Vec<TtlElement>,
    /// `SETTINGS k = v, …` of the engine, in order.
    pub settings: Vec<(String, SettingValue)>,
}

impl EngineClause {
    /// An engine with a name and nothing else.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            args: Vec::new(),
            has_parens: false,
            partition_by: None,
            primary_key: None,
            order_by: None,
            sample_by: None,
            ttl: Vec::new(),
            settings: Vec::new(),
        }
    }

    /// Looks up an engine setting by name.
    pub fn setting(&self, name: &str) -> Option<&SettingValue> {
        self.settings
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// One `TTL` element: the expression and what happens when it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct TtlElement {
    /// The time expression (`d + INTERVAL 30 DAY`).
    pub expr: Expr,
    /// The action as SQL text when one is given (`DELETE`, `TO DISK 'x'`,
    /// `TO VOLUME 'v'`, `RECOMPRESS CODEC(…)`, `GROUP BY … SET …`); `None` means the
    /// default, `DELETE`.
    pub action: Option<String>,
    /// `WHERE cond` of a conditional TTL.
    pub where_: Option<Expr>,
}

/// `CREATE DATABASE [IF NOT EXISTS] name [ENGINE = E(…)] [COMMENT '…']`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateDatabase {
    /// Database name.
    pub name: String,
    /// `IF NOT EXISTS` given.
    pub if_not_exists: bool,
    /// `ENGINE = Atomic` etc.
    pub engine: Option<EngineClause>,
    /// `COMMENT 'text'`.
    pub comment: Option<String>,
}

/// `CREATE [OR REPLACE] VIEW [IF NOT EXISTS] name [(columns)] AS SELECT …`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateView {
    /// The view's name.
    pub name: TableName,
    /// The view's query.
    pub query: Box<Query>,
    /// The query's SQL text as written.
    pub query_text: String,
    /// Optional column list.
    pub columns: Vec<ColumnDef>,
    /// `OR REPLACE` given.
    pub or_replace: bool,
    /// `IF NOT EXISTS` given.
    pub if_not_exists: bool,
    /// `COMMENT 'text'`.
    pub comment: Option<String>,
}

/// `CREATE MATERIALIZED VIEW [IF NOT EXISTS] name [TO target] [(columns)]
/// [ENGINE = …] [POPULATE] AS SELECT …`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateMaterializedView {
    /// The view's name.
    pub name: TableName,
    /// `TO target`: rows go to an existing table.
    pub to: Option<TableName>,
    /// Column list, if given.
    pub columns: Vec<ColumnDef>,
    /// Engine of the inner table when there is no `TO`.
    pub engine: Option<EngineClause>,
    /// `POPULATE` given.
    pub populate: bool,
    /// The view's query.
    pub query: Box<Query>,
    /// The query's SQL text as written.
    pub query_text: String,
    /// `IF NOT EXISTS` given.
    pub if_not_exists: bool,
    /// `OR REPLACE` given.
    pub or_replace: bool,
    /// `COMMENT 'text'`.
    pub comment: Option<String>,
}
