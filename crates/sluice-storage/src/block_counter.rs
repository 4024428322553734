//! The per-table block number counter. Block numbers live in part names (inserted parts,
//! merged ranges, mutation versions, detached parts) and `mutation_<N>.txt` names, so on
//! start-up the counter resumes after the largest number found on disk — exactly as
//! ClickHouse's non-replicated MergeTree does — and needs no file of its own.

use sluice_common::Result;

/// Hands out increasing block numbers.
#[derive(Debug)]
pub(crate) struct BlockCounter {
    next: i64,
}

impl BlockCounter {
    /// Resumes after `max_seen` (largest block number found on disk).
    pub(crate) fn open(max_seen: i64) -> Self {
        Self {
            next: (max_seen + 1).max(1),
        }
    }

    /// Allocates `n` consecutive numbers; returns the first.
    pub(crate) fn allocate(&mut self, n: i64) -> Result<i64> {
        let first = self.next;
        self.next += n;
        Ok(first)
    }
}
