//! Insert options and the Kafka source positions recorded with each part
//! (architecture.md §5, exactly-once ingestion).

use serde::{Deserialize, Serialize};

/// A Kafka source position key: consumer group, topic and partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceKey {
    /// Consumer group name.
    pub group: String,
    /// Topic name.
    pub topic: String,
    /// Topic partition.
    pub partition: i32,
}

/// Options of one insert.
#[derive(Debug, Clone, Default)]
pub struct InsertOptions {
    /// `insert_deduplication_token`: replaces the data hash in the block ids.
    pub dedup_token: Option<String>,
    /// Next offset after the inserted block, per source (stored in every written part).
    pub source_offsets: Vec<(SourceKey, i64)>,
    /// `insert_deduplicate`: skip blocks whose id is in the deduplication window.
    pub deduplicate: bool,
    /// `optimize_on_insert = 0`: write the block as inserted, without applying the
    /// engine's merge (Replacing, Summing, …) to it first.
    pub no_optimize_on_insert: bool,
}
