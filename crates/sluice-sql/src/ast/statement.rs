//! [`Statement`]: every statement `sluice-sql` parses, and the small statement types.

use datafusion::sql::sqlparser::ast::{Expr, Query};

use super::{
    Alter, CreateDatabase, CreateMaterializedView, CreateTable, CreateView, PartitionSpec,
    SettingValue, TableName,
};

/// A parsed ClickHouse statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `SELECT`, `WITH … SELECT`, `UNION`, `(SELECT …)`: sqlparser's query, with the
    /// trailing `SETTINGS` and `FORMAT` removed into [`super::ParsedStatement`]. ClickHouse
    /// forms sqlparser lacks are encoded as documented in [`crate::query_ext`].
    Query(Box<Query>),
    /// `INSERT INTO …`.
    Insert(Box<Insert>),
    /// `CREATE TABLE …`.
    CreateTable(Box<CreateTable>),
    /// `CREATE DATABASE …`.
    CreateDatabase(Box<CreateDatabase>),
    /// `CREATE VIEW …`.
    CreateView(Box<CreateView>),
    /// `CREATE MATERIALIZED VIEW …`.
    CreateMaterializedView(Box<CreateMaterializedView>),
    /// `DROP TABLE|DATABASE|VIEW|DICTIONARY …`.
    Drop(Drop),
    /// `RENAME TABLE a TO b, c TO d` (also `RENAME DATABASE`, with `database` set on
    /// neither side and the names in `table`).
    Rename {
        /// What is renamed (table, database, dictionary).
        kind: ObjectKind,
        /// `(from, to)` pairs in order.
        pairs: Vec<(TableName, TableName)>,
    },
    /// `EXCHANGE TABLES a AND b`.
    Exchange {
        /// First table.
        a: TableName,
        /// Second table.
        b: TableName,
    },
    /// `TRUNCATE [TABLE] [IF EXISTS] t`.
    Truncate {
        /// The table.
        table: TableName,
        /// `IF EXISTS` given.
        if_exists: bool,
    },
    /// `ALTER TABLE …`.
    Alter(Alter),
    /// Lightweight `DELETE FROM t [IN PARTITION p] WHERE expr`.
    Delete {
        /// The table.
        table: TableName,
        /// `IN PARTITION p`.
        partition: Option<PartitionSpec>,
        /// Rows to delete.
        selection: Expr,
    },
    /// `OPTIMIZE TABLE …`.
    Optimize(Optimize),
    /// `DETACH …`.
    Detach(Detach),
    /// `ATTACH …`.
    Attach(Attach),
    /// `SYSTEM …`.
    System(SystemCommand),
    /// `SHOW …`.
    Show(Box<Show>),
    /// `DESCRIBE|DESC [TABLE] …`.
    Describe(Describe),
    /// `EXISTS [TEMPORARY] [TABLE|DATABASE|VIEW|DICTIONARY] name`.
    Exists(Exists),
    /// `USE db`.
    Use {
        /// Database name.
        database: String,
    },
    /// `SET k = v, …`.
    Set(Vec<(String, SettingValue)>),
    /// `KILL QUERY|MUTATION WHERE …`.
    Kill(Kill),
    /// `EXPLAIN …`.
    Explain(Explain),
}

/// The kind of object a statement names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// A table (the default).
    Table,
    /// A database.
    Database,
    /// A view or materialized view.
    View,
    /// A dictionary.
    Dictionary,
}

/// `INSERT INTO [TABLE] t [(cols)] [SETTINGS …] VALUES … | SELECT … | FORMAT name data`.
/// The `SETTINGS` are in [`super::ParsedStatement::settings`].
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    /// Target table.
    pub table: TableName,
    /// Explicit column list (empty: all insertable columns).
    pub columns: Vec<String>,
    /// Where the rows come from.
    pub source: InsertSource,
}

/// The rows of an `INSERT`.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertSource {
    /// `VALUES (…), (…)`: the text after `VALUES`, up to the end of the statement (the
    /// format `Values`). Parse it with [`crate::parse_values_rows`] or a `Values` reader.
    Values {
        /// The raw rows text, e.g. `(1, 'a'), (2, 'b')`.
        data: String,
    },
    /// `SELECT …` / `WITH … SELECT …`.
    Select(Box<Query>),
    /// `FORMAT name [data]`. Inline data starts after the format name (after the first
    /// newline if only whitespace precedes it) and ends where ClickHouse's client ends it:
    /// at the first empty line (`\n\n`) or the end of the input. A `;` inside the data is
    /// data, not a statement separator (see [`crate::split`]).
    Format {
        /// Input format name (`CSV`, `JSONEachRow`).
        format: String,
        /// Inline data; `None` when nothing follows (data comes from elsewhere, e.g. stdin
        /// or an HTTP body).
        data: Option<String>,
    },
}

/// `DROP [TEMPORARY] TABLE|DATABASE|VIEW|DICTIONARY [IF EXISTS] name[, name…] [SYNC]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Drop {
    /// What is dropped. For [`ObjectKind::Database`] each name's `table` is the database.
    pub kind: ObjectKind,
    /// `IF EXISTS` given.
    pub if_exists: bool,
    /// `IF EMPTY` given.
    pub if_empty: bool,
    /// The names.
    pub names: Vec<TableName>,
    /// `SYNC` given.
    pub sync: bool,
    /// `TEMPORARY` given.
    pub temporary: bool,
}

/// `OPTIMIZE TABLE t [PARTITION p] [FINAL] [DEDUPLICATE [BY …]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimize {
    /// The table.
    pub table: TableName,
    /// `PARTITION p`.
    pub partition: Option<PartitionSpec>,
    /// `FINAL` given.
    pub final_: bool,
    /// `DEDUPLICATE` given.
    pub deduplicate: bool,
    /// `DEDUPLICATE BY …` expressions (`*` is [`Expr::Wildcard`], `COLUMNS('re')` a
    /// function call).
    pub deduplicate_by: Vec<Expr>,
    /// Columns of `DEDUPLICATE BY * EXCEPT (c, …)` / `COLUMNS('re') EXCEPT c`.
    pub deduplicate_except: Vec<String>,
}

/// `DETACH TABLE|VIEW|DICTIONARY|DATABASE [IF EXISTS] name [PERMANENTLY] [SYNC]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Detach {
    /// What is detached.
    pub kind: ObjectKind,
    /// The name (for a database, in `table`).
    pub name: TableName,
    /// `IF EXISTS` given.
    pub if_exists: bool,
    /// `PERMANENTLY` given.
    pub permanently: bool,
    /// `SYNC` given.
    pub sync: bool,
}

/// `ATTACH TABLE|VIEW|DICTIONARY|DATABASE [IF NOT EXISTS] name [full definition]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attach {
    /// What is attached.
    pub kind: ObjectKind,
    /// The name (for a database, in `table`).
    pub name: TableName,
    /// `IF NOT EXISTS` given.
    pub if_not_exists: bool,
    /// `UUID '…'` after the name (the full form's way to name an Atomic table's data).
    pub uuid: Option<String>,
    /// The full form (`ATTACH TABLE t (…) ENGINE = …`, as stored in metadata files), parsed
    /// as the corresponding `CREATE` statement; `None` for the short form that re-attaches
    /// a detached object.
    pub definition: Option<Box<Statement>>,
}

/// `SYSTEM command [table]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemCommand {
    /// The command's keywords, upper-case, single-spaced: `FLUSH LOGS`, `STOP MERGES`,
    /// `DROP MARK CACHE`, `SYNC REPLICA`, `RELOAD DICTIONARY`…
    pub command: String,
    /// The table (or view, dictionary, database) the command names, if any.
    pub target: Option<TableName>,
    /// Whatever follows the target, as text (rarely used options).
    pub extra: Option<String>,
}

/// A `LIKE`/`ILIKE` filter of a `SHOW` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct ShowLike {
    /// The pattern.
    pub pattern: String,
    /// `NOT LIKE`.
    pub negated: bool,
    /// `ILIKE`.
    pub case_insensitive: bool,
}

/// `SHOW …`.
#[derive(Debug, Clone, PartialEq)]
pub enum Show {
    /// `SHOW DATABASES [[NOT] [I]LIKE '…'] [LIMIT n]`.
    Databases {
        /// Filter.
        like: Option<ShowLike>,
        /// `LIMIT n`.
        limit: Option<Expr>,
    },
    /// `SHOW [FULL] [TEMPORARY] TABLES [FROM|IN db] [[NOT] [I]LIKE '…'] [LIMIT n]`.
    Tables {
        /// `FROM db`.
        database: Option<String>,
        /// Filter.
        like: Option<ShowLike>,
        /// `LIMIT n`.
        limit: Option<Expr>,
        /// `FULL` given.
        full: bool,
        /// `TEMPORARY` given.
        temporary: bool,
    },
    /// `SHOW CREATE [TEMPORARY] [TABLE|VIEW|DATABASE|DICTIONARY] name`.
    Create {
        /// What kind of object.
        kind: ObjectKind,
        /// The name (for a database, in `table`).
        name: TableName,
    },
    /// `SHOW [FULL] COLUMNS|FIELDS FROM|IN t [FROM|IN db] [[NOT] [I]LIKE '…'] [LIMIT n]`.
    Columns {
        /// The table.
        table: TableName,
        /// Filter.
        like: Option<ShowLike>,
        /// `LIMIT n`.
        limit: Option<Expr>,
        /// `FULL` given.
        full: bool,
    },
    /// `SHOW PROCESSLIST`.
    Processlist,
    /// `SHOW [CHANGED] SETTINGS [I]LIKE '…'`.
    Settings {
        /// Filter.
        like: Option<ShowLike>,
        /// `CHANGED` given.
        changed: bool,
    },
    /// `SHOW ENGINES`.
    Engines,
    /// `SHOW FUNCTIONS [[I]LIKE '…']`.
    Functions {
        /// Filter.
        like: Option<ShowLike>,
    },
    /// `SHOW DICTIONARIES [FROM db] [LIKE …]`.
    Dictionaries {
        /// `FROM db`.
        database: Option<String>,
        /// Filter.
        like: Option<ShowLike>,
    },
}

/// What `DESCRIBE` describes.
#[derive(Debug, Clone, PartialEq)]
pub enum DescribeTarget {
    /// A table or view.
    Table(TableName),
    /// A table function call (`DESCRIBE numbers(10)`), an [`Expr::Function`].
    TableFunction(Box<Expr>),
    /// A query in parentheses (`DESCRIBE (SELECT 1)`).
    Query(Box<Query>),
}

/// `DESCRIBE|DESC [TABLE] target`.
#[derive(Debug, Clone, PartialEq)]
pub struct Describe {
    /// What to describe.
    pub target: DescribeTarget,
}

/// `EXISTS [TEMPORARY] [TABLE|DATABASE|VIEW|DICTIONARY] name`.
#[derive(Debug, Clone, PartialEq)]
pub struct Exists {
    /// What kind of object (default: table).
    pub kind: ObjectKind,
    /// The name (for a database, in `table`).
    pub name: TableName,
    /// `TEMPORARY` given.
    pub temporary: bool,
}

/// Which `KILL` statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillKind {
    /// `KILL QUERY`.
    Query,
    /// `KILL MUTATION`.
    Mutation,
}

/// `KILL QUERY|MUTATION WHERE cond [SYNC|ASYNC|TEST]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Kill {
    /// Query or mutation.
    pub kind: KillKind,
    /// The `WHERE` condition over `system.processes` / `system.mutations`.
    pub selection: Expr,
    /// `SYNC` given.
    pub sync: bool,
    /// `TEST` given.
    pub test: bool,
}

/// `EXPLAIN [AST|SYNTAX|QUERY TREE|PLAN|PIPELINE|ESTIMATE] [k = v, …] statement`.
#[derive(Debug, Clone, PartialEq)]
pub struct Explain {
    /// The kind, upper-case (`PLAN` when none is written).
    pub kind: String,
    /// Options `k = v` written before the statement.
    pub options: Vec<(String, SettingValue)>,
    /// The explained statement.
    pub statement: Box<Statement>,
}
