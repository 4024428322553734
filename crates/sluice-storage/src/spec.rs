//! The definition of a MergeTree table as storage needs it.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;

use crate::engine_kind::MergeTreeEngine;
use crate::expr::BatchExpr;
use crate::settings::MergeTreeSettings;

/// A MergeTree table's engine, columns, keys, TTL and settings.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// Engine and its parameters.
    pub engine: MergeTreeEngine,
    /// Stored columns; ClickHouse type in field metadata (`ChType::from_field`).
    pub schema: SchemaRef,
    /// `ORDER BY` expression(s); `None` = `ORDER BY tuple()`.
    pub sorting_key: Option<Arc<dyn BatchExpr>>,
    /// Plain column names the sorting key reads, in order.
    pub sorting_key_columns: Vec<String>,
    /// `PARTITION BY` expression(s); `None` = one partition `all`.
    pub partition_key: Option<Arc<dyn BatchExpr>>,
    /// `TTL expr`: one `DateTime`/`Date` column; rows whose value is `<= now()` are dropped
    /// at merges and `OPTIMIZE … FINAL`.
    pub ttl: Option<Arc<dyn BatchExpr>>,
    /// `SETTINGS …`.
    pub settings: MergeTreeSettings,
}
