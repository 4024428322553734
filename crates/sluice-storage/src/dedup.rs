//! Insert deduplication: the window of the most recent insert block ids
//! (`non_replicated_deduplication_window`), rebuilt from part manifests on start-up.

use std::collections::{HashSet, VecDeque};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::ipc::writer::StreamWriter;
use sluice_common::{Error, Result};

use crate::manifest::BlockId;

/// Recent block ids, oldest first.
#[derive(Debug, Default)]
pub(crate) struct DedupWindow {
    entries: VecDeque<BlockId>,
    ids: HashSet<String>,
    pending: HashSet<String>,
}

impl DedupWindow {
    /// Builds the window from the block ids of all active parts.
    pub(crate) fn rebuild(mut all: Vec<BlockId>, limit: usize) -> Self {
        all.sort_by_key(|b| b.block);
        let skip = all.len().saturating_sub(limit);
        let entries: VecDeque<BlockId> = all.into_iter().skip(skip).collect();
        let ids = entries.iter().map(|b| b.id.clone()).collect();
        Self {
            entries,
            ids,
            pending: HashSet::new(),
        }
    }

    /// True when `id` was inserted recently or is being inserted now.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.ids.contains(id) || self.pending.contains(id)
    }

    /// Reserves `id` for an insert in progress.
    pub(crate) fn add_pending(&mut self, id: &str) {
        self.pending.insert(id.to_string());
    }

    /// Drops a reservation (failed insert).
    pub(crate) fn remove_pending(&mut self, id: &str) {
        self.pending.remove(id);
    }

    /// Records a committed block id, evicting beyond `limit`.
    pub(crate) fn commit(&mut self, id: BlockId, limit: usize) {
        self.pending.remove(&id.id);
        self.ids.insert(id.id.clone());
        self.entries.push_back(id);
        while self.entries.len() > limit {
            if let Some(old) = self.entries.pop_front() {
                self.ids.remove(&old.id);
            }
        }
    }

    /// Forgets everything (TRUNCATE).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.ids.clear();
    }
}

/// A hash of a whole insert block (its rows in insert order), the token of a block inserted
/// without `insert_deduplication_token`.
pub(crate) fn block_hash(block: &RecordBatch) -> Result<String> {
    let mut buf = Vec::new();
    {
        let mut w = StreamWriter::try_new(&mut buf, &block.schema())
            .map_err(|e| Error::internal(format!("hashing an insert block: {e}")))?;
        w.write(block)
            .map_err(|e| Error::internal(format!("hashing an insert block: {e}")))?;
        w.finish()
            .map_err(|e| Error::internal(format!("hashing an insert block: {e}")))?;
    }
    Ok(format!("{:032x}", twox_hash::XxHash3_128::oneshot(&buf)))
}

/// The block id of the `index`-th piece (per partition) of an insert block with `token`:
/// `<partition_id>_<hash of token and index>`.
pub(crate) fn block_id(partition_id: &str, token: Option<&str>, index: usize) -> String {
    let hash =
        twox_hash::XxHash3_128::oneshot(format!("{}_{index}", token.unwrap_or("")).as_bytes());
    format!("{partition_id}_{hash:032x}")
}
