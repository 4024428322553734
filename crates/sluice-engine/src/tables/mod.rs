//! Table engines: `Memory`, `Null`, and the MergeTree family over `sluice-storage`.

pub mod kafka;
pub mod memory;
pub(crate) mod memory_split;
pub mod merge_tree;
mod merge_tree_engine;
pub mod null;
