//! The MergeTree family members and their engine parameters.

/// Which MergeTree engine a table uses; decides what merges and `FINAL` do with rows that
/// share a sorting key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MergeTreeEngine {
    /// `MergeTree`: rows are kept as they are.
    #[default]
    MergeTree,
    /// `ReplacingMergeTree([ver[, is_deleted]])`: one row per key (max `version`, else the
    /// last inserted); with `is_deleted`, rows whose latest version is deleted vanish in
    /// `FINAL`.
    Replacing {
        /// Version column.
        version: Option<String>,
        /// `UInt8` deletion flag column.
        is_deleted: Option<String>,
    },
    /// `SummingMergeTree([columns])`: numeric columns (or the listed ones) are summed.
    Summing {
        /// Columns to sum; empty = every numeric column outside the sorting key.
        columns: Vec<String>,
    },
    /// `AggregatingMergeTree`: `AggregateFunction` states are merged.
    Aggregating,
    /// `CollapsingMergeTree(sign)`: `+1`/`-1` row pairs cancel.
    Collapsing {
        /// `Int8` sign column.
        sign: String,
    },
    /// `VersionedCollapsingMergeTree(sign, ver)`: pairs with the same version cancel.
    VersionedCollapsing {
        /// `Int8` sign column.
        sign: String,
        /// Version column.
        version: String,
    },
}

impl MergeTreeEngine {
    /// The engine name as ClickHouse prints it in `system.tables.engine`.
    pub fn name(&self) -> &'static str {
        match self {
            MergeTreeEngine::MergeTree => "MergeTree",
            MergeTreeEngine::Replacing { .. } => "ReplacingMergeTree",
            MergeTreeEngine::Summing { .. } => "SummingMergeTree",
            MergeTreeEngine::Aggregating => "AggregatingMergeTree",
            MergeTreeEngine::Collapsing { .. } => "CollapsingMergeTree",
            MergeTreeEngine::VersionedCollapsing { .. } => "VersionedCollapsingMergeTree",
        }
    }

    /// True when rows sharing a key are combined (everything but plain `MergeTree`).
    pub fn combines_rows(&self) -> bool {
        !matches!(self, MergeTreeEngine::MergeTree)
    }
}
