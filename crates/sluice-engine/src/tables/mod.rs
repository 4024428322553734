//! Table engines: `Memory`, `Null`, and the MergeTree family over `sluice-storage`.

pub mod kafka;
pub mod kafka_session;
pub mod memory;
pub(crate) mod memory_split;
pub mod merge_tree;
pub(crate) mod merge_tree_dedup_by;
mod merge_tree_engine;
mod merge_tree_nullable_key;
mod merge_tree_resume;
pub mod null;
pub mod virtuals;
