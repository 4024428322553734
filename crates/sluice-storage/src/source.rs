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
    /// Most rows of one part: a partition's rows of the block beyond it go to further
    /// parts. `None`: ClickHouse's default `max_insert_block_size` (blocks that did not
    /// go through an INSERT's squashing, e.g. a Kafka block). An INSERT statement, whose
    /// blocks are already ClickHouse's insert blocks, passes `usize::MAX`.
    pub max_part_rows: Option<usize>,
    /// Number of this block within its INSERT (0 for the first): ClickHouse appends it to
    /// the block's deduplication token (the user's or the data hash), so the same rows as
    /// another block number of an earlier insert are not a duplicate.
    pub block_index: usize,
}
