//! The Sluice engine: catalog, sessions, statement execution, system tables and table
//! functions, with SELECTs planned and executed on DataFusion.
//!
//! Entry point: [`Engine::open`] → [`Engine::session`] → [`Session::execute`].
//!
//! Module map:
//! - [`engine`]: the engine (catalog + DataFusion state with ClickHouse functions).
//! - [`session`]: sessions, query outputs, insert input; [`setting_aliases`]: settings
//!   ClickHouse knows under two names.
//! - [`statements`]: one module per statement family (select, insert, ddl, show, misc).
//! - [`rewrite`]: AST rewrites giving ClickHouse semantics before DataFusion plans.
//! - [`catalog`], [`df_catalog`]: databases/tables and their DataFusion bridge.
//! - [`table`], [`tables`]: the table trait and the Memory/Null engines.
//! - [`system`]: `system.*` tables. [`table_functions`]: `numbers`, `values`, `file`.
//! - [`compiled_expr`]: key/TTL/mutation expressions compiled for `sluice-storage`.
//! - [`mview`]: materialized views, run on every block inserted into their source.
//! - [`processes`], [`tracked_query`], [`query_log`], [`memory`], [`scan_count`]: running
//!   server queries (`system.processes`, `KILL QUERY`, limits, cancellation, rows read) and
//!   `system.query_log`.
//! - [`error`]: DataFusion → ClickHouse error mapping.
//! - [`grouping_defaults`]: type defaults instead of NULL for the keys `ROLLUP`/`CUBE`/`GROUPING
//!   SETS` leave out (`group_by_use_nulls = 0`).
//! - [`join_defaults`]: type defaults instead of NULL in outer joins (`join_use_nulls = 0`).
//! - [`comparisons`]: ClickHouse's argument rules for the SQL comparison operators;
//!   [`column_compare`]: `column op constant` filters as one bitmask loop.
//! - [`parallel_numbers`], [`dense_group_by`]: physical rules for aggregations (`numbers()`
//!   split over partitions, `GROUP BY` a small-range integer key without hashing).
//! - [`case_branches`]: two-way `CASE` evaluating each branch on its own rows and columns
//!   ([`aggregate_args`]: aggregate arguments rewritten for such expression rules).
//! - [`unnest_types`]: `arrayJoin`/`ARRAY JOIN` elements typed exactly as the array's.

pub mod aggregate_args;
pub mod case_branches;
pub mod catalog;
pub mod column_compare;
pub mod comparisons;
pub mod compiled_expr;
pub mod dead_letters;
pub mod dense_group_by;
pub mod df_catalog;
pub mod engine;
pub mod error;
pub mod grouping_defaults;
pub mod join_defaults;
pub mod lambda;
pub mod lambda_fold;
pub mod memory;
pub mod modulo_equals;
pub mod mview;
pub mod parallel_numbers;
pub mod processes;
pub mod profile_events;
pub mod query_log;
pub mod rewrite;
pub mod rows;
pub mod scan_count;
pub mod session;
pub mod setting_aliases;
pub mod statements;
pub mod stream;
pub mod system;
pub mod table;
pub mod table_functions;
pub mod tables;
pub mod tracked_query;
pub mod unnest_types;

pub use engine::{Engine, EngineConfig, EngineRef};
pub use error::from_datafusion;
pub use processes::{QueryClient, QueryContext};
pub use session::{InsertInput, Progress, QueryOutput, Session};

pub use datafusion::arrow::record_batch::RecordBatch;

/// The text of one cell (for progress lines and diagnostics, not for client output).
pub fn display_value(column: &datafusion::arrow::array::ArrayRef, row: usize) -> Option<String> {
    datafusion::arrow::util::display::array_value_to_string(column, row).ok()
}
