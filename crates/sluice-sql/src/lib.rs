//! `sluice-sql`: ClickHouse SQL → statements the engine executes.
//!
//! Entry point: [`parse_statements`] (a script of `;`-separated statements) or
//! [`parse_statement`] (exactly one). Each result is a [`ParsedStatement`]: the
//! [`Statement`], the `FORMAT` and `SETTINGS` clauses lifted out of it, and its original
//! text. Errors are ClickHouse exceptions ([`sluice_common::Error`]): `SYNTAX_ERROR` (62)
//! with a message shaped like ClickHouse's, `NOT_IMPLEMENTED` (48) for ClickHouse forms
//! Sluice does not support yet (`INSERT INTO FUNCTION`, `ASOF RIGHT` joins, dictionaries,
//! access control…). Parsing never panics.
//!
//! Queries and expressions are sqlparser's AST (`datafusion::sql::sqlparser::ast`, parsed
//! with [`SluiceDialect`], a wrapper of `ClickHouseDialect`); ClickHouse query forms the AST
//! has no place for are encoded as described in [`query_ext`] and read back with its
//! helpers ([`with_expression`], [`limit_parts`], [`cast_type_text`],
//! [`query_parameter`]). Everything else ClickHouse-specific (the engine clause, ALTER,
//! SYSTEM, SHOW, INSERT data) has its own types in [`ast`].
//!
//! Printing helpers: [`format_column_name`] (ClickHouse's default name of an unaliased
//! select expression, `plus(1, 2)`), [`format_expr`] (ClickHouse's SQL formatting of an
//! expression, as in `SHOW CREATE TABLE`), [`show_create_table`] (the `SHOW CREATE TABLE`
//! text).
//!
//! Module map:
//! - [`ast`]: statement types ([`ParsedStatement`], [`Statement`], [`CreateTable`],
//!   [`EngineClause`], [`Alter`]…).
//! - [`split`]: splitting a script into statements; inline INSERT data rules.
//! - `tokens`: sqlparser tokenizer + the token rewrites for ClickHouse forms.
//! - [`dialect`]: the sqlparser dialect, [`SluiceDialect`].
//! - `parser`: statement families on sqlparser's `Parser`.
//! - [`query_ext`]: encodings of ClickHouse query forms and their decoders.
//! - [`array_join`]: the encoding of `ARRAY JOIN` lists.
//! - [`inline_alias`]: aliases inside expressions (`f(x AS a)`).
//! - [`totals`]: `WITH TOTALS` without `GROUP BY`.
//! - [`join_strictness`]: the encoding of `ANY`/`SEMI`/`ANTI` joins.
//! - [`structure`]: table-function structure strings.
//! - [`column_name`], [`format_expr`], [`show_create`]: printers.
//! - `error`: ClickHouse-shaped syntax errors.
//! - `format`: quoting helpers.

pub mod array_join;
pub mod ast;
mod canon;
pub mod column_name;
pub mod dialect;
mod error;
pub mod format;
pub mod format_expr;
pub mod inline_alias;
pub mod join_strictness;
mod parser;
pub mod query_ext;
pub mod show_create;
pub mod split;
pub mod structure;
mod tokens;
pub mod totals;

pub use array_join::{ARRAY_JOIN_MARKER, array_join_item};
pub use ast::*;
pub use canon::count_queries;
pub use column_name::{format_column_name, format_numbered_column_name};
pub use dialect::SluiceDialect;
pub use format_expr::{format_expr, format_query};
pub use join_strictness::JoinStrictness;
pub use parser::{parse_statement, parse_statements, parse_values_rows};
pub use query_ext::{
    LimitBy, LimitParts, cast_type_text, clear_final, is_final, limit_parts, query_parameter,
    with_expression,
};
pub use show_create::show_create_table;
pub use structure::{is_structure, parse_structure};

/// Re-export of the sqlparser AST the statements use.
pub use datafusion::sql::sqlparser::ast as sql_ast;
