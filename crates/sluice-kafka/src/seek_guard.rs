//! [`SeekGuard`]: starting a partition at an offset that may lie inside a record batch.
//!
//! A consumer starts a partition at an explicit offset after a rebalance (the exactly-once
//! offset recorded in the targets, or the group's committed offset) and after a rewind (a
//! block that failed is read again from its first offset). Those offsets are where a block
//! ended, usually inside one of the producer's record batches. Kafka answers a fetch at
//! such an offset with the batch that contains it; tansu 0.6 (the broker of Sluice's demo
//! and tests) answers with the batches whose *base* offset is at or after it, silently
//! skipping the rest of the batch the offset is in (a fetch at offset 1 of a 1,000-message
//! batch returns nothing; `crates/sluice-kafka/tests/tansu.rs` shows it).
//!
//! So the consumer fetches from [`SEEK_BACK_MESSAGES`] before the offset it wants, which
//! lies before the start of that batch as long as the producer's batches are no longer
//! than that (librdkafka's default `batch.num.messages` is 10,000), and drops the messages
//! below the wanted offset as they arrive. Against Kafka this re-reads up to that many
//! messages per partition at each (re)start, and nothing else changes.
//!
//! The guard of a partition lasts until the partition is started again (a rewind, a new
//! assignment) or revoked, not until the first message at or after its start: tansu can
//! answer a fetch with a record batch appended meanwhile before older ones (a server
//! restarted at offset 10,000 fetched 0..1,023, then 10,000, then 1,024..9,999, which a
//! guard ended by 10,000 let through: messages another server of the group had stored,
//! stored twice). The check costs one atomic load per message without guards and one lock
//! per poll step with them ([`SeekGuard::starts`]).

use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

/// How far before the wanted offset a fetch starts.
pub const SEEK_BACK_MESSAGES: i64 = 10_000;

/// Per partition: the offset below which polled messages are dropped.
#[derive(Default)]
pub struct SeekGuard {
    starts: Mutex<Vec<(String, i32, i64)>>,
    /// Entries in `starts`: the per-message check is one atomic load when there are none.
    active: AtomicUsize,
}

impl SeekGuard {
    /// The offset to fetch from so that `(topic, partition)` starts at `start`; messages
    /// below `start` are dropped until one at or after it arrives.
    pub fn fetch_offset(&self, topic: &str, partition: i32, start: i64) -> i64 {
        let from = start.saturating_sub(SEEK_BACK_MESSAGES).max(0);
        let mut starts = self.starts.lock();
        starts.retain(|(t, p, _)| !(*p == partition && t == topic));
        if from < start {
            starts.push((topic.to_string(), partition, start));
        }
        self.active.store(starts.len(), Ordering::Release);
        from
    }

    /// Forgets `(topic, partition)`: it starts where the broker or the group says.
    pub fn forget(&self, topic: &str, partition: i32) {
        let mut starts = self.starts.lock();
        starts.retain(|(t, p, _)| !(*p == partition && t == topic));
        self.active.store(starts.len(), Ordering::Release);
    }

    /// Forgets every partition (they were revoked).
    pub fn clear(&self) {
        self.starts.lock().clear();
        self.active.store(0, Ordering::Release);
    }

    /// Whether a polled message comes before its partition's wanted start (drop it).
    pub fn drops(&self, topic: &str, partition: i32, offset: i64) -> bool {
        if self.active.load(Ordering::Acquire) == 0 {
            return false;
        }
        below(&self.starts.lock(), topic, partition, offset)
    }

    /// The guarded partitions' starts, `None` when there are none: for checking a batch of
    /// messages with [`below`] under one lock.
    pub fn starts(&self) -> Option<Vec<(String, i32, i64)>> {
        if self.active.load(Ordering::Acquire) == 0 {
            return None;
        }
        Some(self.starts.lock().clone())
    }
}

/// Whether `offset` of `(topic, partition)` lies below its start in `starts` (see
/// [`SeekGuard::starts`]).
pub fn below(starts: &[(String, i32, i64)], topic: &str, partition: i32, offset: i64) -> bool {
    starts
        .iter()
        .any(|(t, p, start)| *p == partition && offset < *start && t == topic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_below_the_start_until_it_is_reached() {
        let g = SeekGuard::default();
        assert_eq!(g.fetch_offset("t", 0, 25_000), 15_000);
        assert_eq!(g.fetch_offset("t", 1, 300), 0);
        assert!(!g.drops("t", 2, 5), "partition without a guard");
        assert!(g.drops("t", 0, 15_000));
        assert!(!g.drops("t", 0, 25_000));
        // A batch appended meanwhile may come before older ones: those are still dropped.
        assert!(g.drops("t", 0, 24_999));
        let starts = g.starts().expect("guarded");
        assert!(below(&starts, "t", 0, 20_000));
        assert!(!below(&starts, "t", 0, 30_000));
        assert!(!below(&starts, "u", 0, 20_000));
        // A rewind to an earlier offset starts the partition again.
        g.fetch_offset("t", 0, 20_000);
        assert!(!g.drops("t", 0, 20_000));
        assert!(g.drops("t", 1, 299));
        g.forget("t", 1);
        assert!(!g.drops("t", 1, 0));
        assert_eq!(g.fetch_offset("t", 3, 0), 0);
        assert!(!g.drops("t", 3, 0), "a start at 0 needs no guard");
        g.fetch_offset("u", 0, 50_000);
        g.clear();
        assert!(!g.drops("u", 0, 40_000));
    }
}
