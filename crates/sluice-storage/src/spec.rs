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

impl TableSpec {
    /// The columns whose parts carry Parquet page statistics (the page index): the sorting
    /// and partition key columns, the ones range pruning can use. Every other column's
    /// per-page min/max was a fifth of an insert's CPU.
    pub(crate) fn statistics_columns(&self) -> Vec<String> {
        let partition = self
            .partition_key
            .as_ref()
            .map(|k| k.columns())
            .unwrap_or_default();
        self.sorting_key_columns
            .iter()
            .chain(&partition)
            .cloned()
            .collect()
    }

    /// Checks the definition as ClickHouse does at `CREATE TABLE`: engine columns exist,
    /// and AggregatingMergeTree columns are key columns or aggregate measures unless
    /// `allow_dimensions_outside_sorting_key = 1`.
    pub fn validate(&self) -> sluice_common::Result<()> {
        use sluice_common::{ChType, Error, ErrorCode};
        crate::semantics::Semantics::new(
            &self.engine,
            &self.schema,
            &self.sorting_key_columns,
            None,
        )?;
        if self.engine == MergeTreeEngine::Aggregating {
            let allowed = self.settings.changes.iter().any(|(k, v)| {
                k == "allow_dimensions_outside_sorting_key"
                    && matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true")
            });
            let dims: Vec<String> = self
                .schema
                .fields()
                .iter()
                .filter(|f| !self.sorting_key_columns.contains(f.name()))
                .filter(|f| {
                    !matches!(
                        ChType::from_field(f),
                        ChType::AggregateFunction { .. } | ChType::SimpleAggregateFunction { .. }
                    )
                })
                .map(|f| f.name().clone())
                .collect();
            if !dims.is_empty() && !allowed {
                return Err(Error::new(
                    ErrorCode::BAD_ARGUMENTS,
                    format!(
                        "Column(s) {} of the AggregatingMergeTree table are neither part of the sorting key nor aggregate measures (AggregateFunction or SimpleAggregateFunction). During background merges, rows with the same value of the sorting key are collapsed into one, so these columns keep an arbitrary value, which silently produces wrong results for queries that GROUP BY or filter on them. Add them to the sorting key (ORDER BY), or set 'allow_dimensions_outside_sorting_key = 1' if this is intentional (for example, when the columns are functionally dependent on the sorting key)",
                        dims.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}
