//! The table abstraction every engine (Memory, Null, MergeTree family, Kafka…) implements,
//! and column descriptions with ClickHouse types and defaults.

use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use sluice_common::{ChType, Result};

/// How a column gets its value when an INSERT does not provide it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultKind {
    /// `DEFAULT expr`: computed when missing, stored.
    Default,
    /// `MATERIALIZED expr`: always computed, stored, not in `SELECT *`.
    Materialized,
    /// `ALIAS expr`: computed on read, not stored.
    Alias,
    /// `EPHEMERAL [expr]`: accepted in INSERT, never stored.
    Ephemeral,
}

impl DefaultKind {
    /// The keyword ClickHouse prints (`DEFAULT`, `MATERIALIZED`, …).
    pub fn keyword(self) -> &'static str {
        match self {
            DefaultKind::Default => "DEFAULT",
            DefaultKind::Materialized => "MATERIALIZED",
            DefaultKind::Alias => "ALIAS",
            DefaultKind::Ephemeral => "EPHEMERAL",
        }
    }
}

/// One column of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDesc {
    /// Column name.
    pub name: String,
    /// ClickHouse type.
    pub ty: ChType,
    /// DEFAULT/MATERIALIZED/ALIAS/EPHEMERAL and its expression (ClickHouse SQL text).
    pub default: Option<(DefaultKind, String)>,
    /// `CODEC(...)` text, kept for SHOW CREATE.
    pub codec: Option<String>,
    /// `COMMENT '...'`.
    pub comment: String,
}

impl ColumnDesc {
    /// A plain column without default.
    pub fn new(name: impl Into<String>, ty: ChType) -> Self {
        Self {
            name: name.into(),
            ty,
            default: None,
            codec: None,
            comment: String::new(),
        }
    }

    /// True when the column is stored (not ALIAS/EPHEMERAL).
    pub fn is_stored(&self) -> bool {
        !matches!(
            self.default,
            Some((DefaultKind::Alias, _)) | Some((DefaultKind::Ephemeral, _))
        )
    }

    /// True when `SELECT *` returns the column (not MATERIALIZED/ALIAS/EPHEMERAL).
    pub fn in_star(&self) -> bool {
        self.default
            .as_ref()
            .is_none_or(|(k, _)| *k == DefaultKind::Default)
    }
}

/// Arrow schema of the stored columns, each field carrying its ClickHouse type.
pub fn stored_schema(columns: &[ColumnDesc]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .filter(|c| c.is_stored())
            .map(|c| c.ty.to_field(&c.name))
            .collect::<Vec<_>>(),
    ))
}

/// A table of some engine. Reads go through DataFusion (`provider`), writes through
/// `insert` with batches already shaped as the stored schema.
pub trait Table: Send + Sync + Debug {
    /// Engine name as ClickHouse prints it in `system.tables.engine` (`Memory`, `MergeTree`…).
    fn engine(&self) -> &str;
    /// Full engine clause for SHOW CREATE (`Memory`, `MergeTree\nORDER BY x …`).
    fn engine_full(&self) -> String {
        self.engine().to_string()
    }
    /// Column descriptions.
    fn columns(&self) -> Vec<ColumnDesc>;
    /// DataFusion provider reading the stored columns.
    fn provider(&self) -> Arc<dyn TableProvider>;
    /// Provider for `SELECT … FROM t FINAL` (merge-on-read with the engine's semantics);
    /// `None` when the engine does not support `FINAL` (`ILLEGAL_FINAL`).
    fn final_provider(&self) -> Option<Arc<dyn TableProvider>> {
        None
    }
    /// Appends a batch whose schema is `stored_schema(columns())`.
    fn insert(&self, batch: RecordBatch) -> Result<()>;
    /// Removes all rows.
    fn truncate(&self) -> Result<()>;
    /// Stops background work and deletes the table's data (`DROP TABLE`); blocking.
    fn drop_data(&self) -> Result<()> {
        Ok(())
    }
    /// Total rows when cheap to know.
    fn total_rows(&self) -> Option<u64> {
        None
    }
    /// Total bytes when cheap to know.
    fn total_bytes(&self) -> Option<u64> {
        None
    }
    /// Names of virtual columns (`_part`, … of MergeTree): readable, left out of `*`.
    fn virtual_columns(&self) -> Vec<String> {
        Vec::new()
    }
    /// For downcasting.
    fn as_any(&self) -> &dyn Any;
}

/// Shared table handle.
pub type TableRef = Arc<dyn Table>;
