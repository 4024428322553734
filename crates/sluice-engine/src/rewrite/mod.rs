//! AST rewrites that give a ClickHouse query ClickHouse's meaning before DataFusion plans
//! it: typed numeric literals, operators as ClickHouse functions, `CAST` with ClickHouse
//! types, subscripts and tuple access, INTERVAL arithmetic, aliases usable anywhere,
//! `PREWHERE`, `ARRAY JOIN`, `LIMIT n BY`, `LIMIT n WITH TIES`, view expansion and table-function arguments.
//!
//! Entry point: [`rewrite_query`].

mod agg_arithmetic;
mod aliases;
mod array_join;
mod column_names;
mod exists_subquery;
mod expr;
mod functions;
mod in_subquery;
pub mod join_ambiguity;
mod join_asof;
pub mod join_strictness;
pub mod join_using;
mod limit_by;
mod plain_qualify;
mod query;
pub mod query_params;
mod session_constants;
mod totals;
mod uniq_injective;
mod values_fn;
mod view_params;
mod views;
mod with_ties;
pub mod zero_column_window;

pub(crate) use expr::interval_of;
pub(crate) use view_params::is_parameterized;

pub use expr::{ch_type_of_sql, lit_str};
pub use query::{DUP_MARK, RewriteContext, rewrite_query};
pub use totals::totals_query;
