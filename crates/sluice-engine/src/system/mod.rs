//! The `system` database: tables generated on each query from the catalog, the settings
//! and the function registry, with ClickHouse's column names and types.

mod events;
mod kafka;
mod layout;
mod monitoring;
mod numbers;
mod processes;
mod query_log;
mod storage;
mod tables;

use std::sync::Arc;

use datafusion::catalog::{MemTable, TableProvider};
use sluice_common::{Result, Settings};

use crate::catalog::Catalog;
use crate::rows::{Cell, build_batch, schema_of};

pub(crate) use numbers::NumbersGenerator;
pub use numbers::NumbersTable;

/// Function registry facts for `system.functions`.
#[derive(Debug, Clone)]
pub struct FunctionInfo {
    /// Name.
    pub name: String,
    /// Aggregate?
    pub is_aggregate: bool,
    /// Name it aliases, or empty.
    pub alias_to: String,
    /// Case-insensitive?
    pub case_insensitive: bool,
}

/// A per-query view of everything the system tables show.
#[derive(Debug)]
pub struct SystemTables {
    /// Catalog.
    pub catalog: Arc<Catalog>,
    /// Session settings.
    pub settings: Settings,
    /// Registered functions.
    pub functions: Arc<Vec<FunctionInfo>>,
    /// `system.dead_letter_queue`.
    pub dead_letters: Arc<crate::dead_letters::DeadLetterQueue>,
    /// Running queries and the query log.
    pub processes: Arc<crate::processes::ProcessList>,
}

/// Names of the system tables (`SHOW TABLES FROM system` lists them).
pub(crate) const NAMES: &[&str] = &[
    "one",
    "numbers",
    "numbers_mt",
    "zeros",
    "databases",
    "tables",
    "columns",
    "functions",
    "settings",
    "table_engines",
    "formats",
    "data_type_families",
    "parts",
    "merges",
    "mutations",
    "detached_parts",
    "detached_tables",
    "kafka_consumers",
    "dead_letter_queue",
    "processes",
    "query_log",
    "events",
    "errors",
    "time_zones",
    "metrics",
    "asynchronous_metrics",
    "disks",
    "merge_tree_settings",
    "build_options",
    "users",
    "clusters",
];

impl SystemTables {
    /// Names of the system tables.
    pub fn names(&self) -> &'static [&'static str] {
        NAMES
    }

    /// A provider for `system.<name>`, or None.
    pub fn provider(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let (schema, rows) = match name {
            "one" => (schema_of(&[("dummy", "UInt8")])?, vec![vec![Cell::U64(0)]]),
            "numbers" | "numbers_mt" => {
                return Ok(Some(Arc::new(NumbersTable::new("number", 0, None))));
            }
            "zeros" => return Ok(Some(Arc::new(NumbersTable::zeros(None)))),
            "databases" => tables::databases(self)?,
            "tables" => tables::tables(self)?,
            "columns" => tables::columns(self)?,
            "functions" => tables::functions(self)?,
            "settings" => tables::settings(self)?,
            "table_engines" => tables::table_engines()?,
            "formats" => tables::formats()?,
            "data_type_families" => tables::data_type_families()?,
            "parts" => storage::parts(self)?,
            "merges" => storage::merges(self)?,
            "mutations" => storage::mutations(self)?,
            "detached_parts" => storage::detached_parts(self)?,
            "detached_tables" => storage::detached_tables(self)?,
            "kafka_consumers" => kafka::kafka_consumers(self)?,
            "dead_letter_queue" => kafka::dead_letter_queue(self)?,
            "processes" => return processes::processes(self).map(Some),
            "query_log" => return query_log::query_log(self).map(Some),
            "events" => events::events(self)?,
            "errors" => events::errors(self)?,
            "time_zones" => events::time_zones()?,
            "metrics" => monitoring::metrics(self)?,
            "asynchronous_metrics" => monitoring::asynchronous_metrics(self)?,
            "disks" => monitoring::disks(self)?,
            "merge_tree_settings" => monitoring::merge_tree_settings()?,
            "build_options" => monitoring::build_options()?,
            "users" => monitoring::users()?,
            "clusters" => monitoring::clusters()?,
            _ => return Ok(None),
        };
        let (schema, rows) = layout::conform(name, (schema, rows))?;
        let batch = build_batch(Arc::clone(&schema), &rows)?;
        let t =
            MemTable::try_new(schema, vec![vec![batch]]).map_err(crate::error::from_datafusion)?;
        Ok(Some(Arc::new(t)))
    }
}
