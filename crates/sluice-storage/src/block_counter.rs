//! The per-table block number counter, persisted in `increment.txt` in reserved ranges so
//! numbers are never reused after a crash.

use std::path::{Path, PathBuf};

use sluice_common::Result;

use crate::fsutil::write_atomic;

const FILE: &str = "increment.txt";
const RESERVE: i64 = 1000;

/// Hands out increasing block numbers.
#[derive(Debug)]
pub(crate) struct BlockCounter {
    path: PathBuf,
    next: i64,
    reserved: i64,
}

impl BlockCounter {
    /// Resumes after `max_seen` (largest block number found on disk) and the persisted
    /// reservation.
    pub(crate) fn open(dir: &Path, max_seen: i64) -> Self {
        let path = dir.join(FILE);
        let persisted = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(0);
        let next = persisted.max(max_seen + 1).max(1);
        Self {
            path,
            next,
            reserved: next,
        }
    }

    /// Allocates `n` consecutive numbers; returns the first.
    pub(crate) fn allocate(&mut self, n: i64) -> Result<i64> {
        if self.next + n > self.reserved {
            let reserved = self.next + n + RESERVE;
            write_atomic(&self.path, reserved.to_string().as_bytes())?;
            self.reserved = reserved;
        }
        let first = self.next;
        self.next += n;
        Ok(first)
    }
}
