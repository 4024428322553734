//! Consumer state for `system.kafka_consumers`: [`ConsumerStats`] is the snapshot of one
//! consumer (ClickHouse's columns plus `assignments.high_water_mark` and
//! `assignments.lag`), [`ConsumerState`] the live, shared counters that the consumer
//! thread and librdkafka's callbacks update.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

/// ClickHouse keeps the last 10 exceptions per consumer (`EXCEPTIONS_DEPTH`).
pub const EXCEPTIONS_DEPTH: usize = 10;

/// Offset value librdkafka uses for "no offset" (`RD_KAFKA_OFFSET_INVALID`).
pub const OFFSET_INVALID: i64 = -1001;

/// One assigned partition.
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionAssignment {
    /// `assignments.topic`.
    pub topic: String,
    /// `assignments.partition_id`.
    pub partition_id: i32,
    /// `assignments.current_offset`: the next offset to read (-1001 when unknown).
    pub current_offset: i64,
    /// `assignments.high_water_mark` (Sluice): the partition's end offset as last
    /// reported by librdkafka's statistics (-1001 when unknown).
    pub high_water_mark: i64,
    /// `assignments.lag` (Sluice): `high_water_mark - current_offset`, -1 when unknown.
    pub lag: i64,
}

/// A snapshot of one consumer, one row of `system.kafka_consumers`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConsumerStats {
    /// `database`.
    pub database: String,
    /// `table`.
    pub table: String,
    /// `consumer_id`: librdkafka's client instance name (`client.id#consumer-N`).
    pub consumer_id: String,
    /// `assignments.*`.
    pub assignments: Vec<PartitionAssignment>,
    /// `exceptions.time` (unix seconds) and `exceptions.text`, oldest first, at most 10.
    pub exceptions: Vec<(u64, String)>,
    /// `last_poll_time` (unix seconds, 0 = never).
    pub last_poll_time: u64,
    /// `num_messages_read`.
    pub num_messages_read: u64,
    /// `last_commit_time` (unix seconds).
    pub last_commit_time: u64,
    /// `num_commits`.
    pub num_commits: u64,
    /// `last_rebalance_time` (unix seconds).
    pub last_rebalance_time: u64,
    /// `num_rebalance_revocations`.
    pub num_rebalance_revocations: u64,
    /// `num_rebalance_assignments`.
    pub num_rebalance_assignments: u64,
    /// `is_currently_used`.
    pub is_currently_used: bool,
    /// `last_used` (unix microseconds).
    pub last_used_us: u64,
    /// `rdkafka_stat`: the last statistics JSON from librdkafka.
    pub rdkafka_stat: String,
}

/// Seconds since the epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

#[derive(Default)]
struct Inner {
    stats: ConsumerStats,
    /// Assigned partitions in assignment order.
    assignment: Vec<(String, i32)>,
    /// Next offset to read per partition.
    positions: HashMap<(String, i32), i64>,
    /// High-water marks from the statistics.
    high_water_marks: HashMap<(String, i32), i64>,
}

/// Live state of one consumer, shared between its thread and librdkafka's callbacks.
#[derive(Default)]
pub struct ConsumerState {
    inner: Mutex<Inner>,
}

/// Shared handle to a [`ConsumerState`].
pub type ConsumerStateRef = Arc<ConsumerState>;

impl ConsumerState {
    /// A state for consumer of `database.table`.
    pub fn new(database: &str, table: &str) -> Self {
        let s = Self::default();
        {
            let mut i = s.inner.lock();
            i.stats.database = database.to_string();
            i.stats.table = table.to_string();
        }
        s
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> ConsumerStats {
        let i = self.inner.lock();
        let mut s = i.stats.clone();
        s.assignments = i
            .assignment
            .iter()
            .map(|(t, p)| {
                let key = (t.clone(), *p);
                let current = i.positions.get(&key).copied().unwrap_or(OFFSET_INVALID);
                let hwm = i
                    .high_water_marks
                    .get(&key)
                    .copied()
                    .unwrap_or(OFFSET_INVALID);
                let lag = if current >= 0 && hwm >= 0 {
                    (hwm - current).max(0)
                } else {
                    -1
                };
                PartitionAssignment {
                    topic: t.clone(),
                    partition_id: *p,
                    current_offset: current,
                    high_water_mark: hwm,
                    lag,
                }
            })
            .collect();
        s
    }

    /// Records an exception (keeps the last [`EXCEPTIONS_DEPTH`]).
    pub fn push_exception(&self, text: impl Into<String>) {
        let mut i = self.inner.lock();
        let ex = &mut i.stats.exceptions;
        ex.push((now_secs(), text.into()));
        if ex.len() > EXCEPTIONS_DEPTH {
            let extra = ex.len() - EXCEPTIONS_DEPTH;
            ex.drain(..extra);
        }
    }

    /// A poll returned `n` messages.
    pub fn polled(&self, n: usize) {
        let mut i = self.inner.lock();
        i.stats.last_poll_time = now_secs();
        i.stats.num_messages_read += n as u64;
    }

    /// The next offset to read of a partition.
    pub fn set_position(&self, topic: &str, partition: i32, next: i64) {
        self.inner
            .lock()
            .positions
            .insert((topic.to_string(), partition), next);
    }

    /// A successful commit.
    pub fn committed(&self) {
        let mut i = self.inner.lock();
        i.stats.last_commit_time = now_secs();
        i.stats.num_commits += 1;
    }

    /// Partitions were revoked.
    pub fn revoked(&self) {
        let mut i = self.inner.lock();
        i.stats.last_rebalance_time = now_secs();
        i.stats.num_rebalance_revocations += 1;
        i.assignment.clear();
        i.positions.clear();
    }

    /// Partitions were assigned.
    pub fn assigned(&self, partitions: Vec<(String, i32)>) {
        let mut i = self.inner.lock();
        i.stats.num_rebalance_assignments += 1;
        i.assignment = partitions;
    }

    /// The consumer started or stopped being used by a thread.
    pub fn set_used(&self, used: bool) {
        let mut i = self.inner.lock();
        i.stats.is_currently_used = used;
        i.stats.last_used_us = now_micros();
    }

    /// librdkafka statistics JSON: kept raw, high-water marks extracted.
    pub fn statistics(&self, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw).into_owned();
        let parsed: Option<serde_json::Value> = serde_json::from_slice(raw).ok();
        let mut i = self.inner.lock();
        if let Some(v) = &parsed {
            if let Some(name) = v.get("name").and_then(|n| n.as_str()) {
                i.stats.consumer_id = name.to_string();
            }
            if let Some(topics) = v.get("topics").and_then(|t| t.as_object()) {
                for (topic, t) in topics {
                    let Some(parts) = t.get("partitions").and_then(|p| p.as_object()) else {
                        continue;
                    };
                    for (p, pv) in parts {
                        let (Ok(p), Some(hi)) = (
                            p.parse::<i32>(),
                            pv.get("hi_offset").and_then(|h| h.as_i64()),
                        ) else {
                            continue;
                        };
                        if p >= 0 && hi >= 0 {
                            i.high_water_marks.insert((topic.clone(), p), hi);
                        }
                    }
                }
            }
        }
        i.stats.rdkafka_stat = text;
    }

    /// Sets the consumer id before statistics arrive.
    pub fn set_consumer_id(&self, id: &str) {
        let mut i = self.inner.lock();
        if i.stats.consumer_id.is_empty() {
            i.stats.consumer_id = id.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceptions_ring_and_lag() {
        let s = ConsumerState::new("db", "t");
        for n in 0..12 {
            s.push_exception(format!("e{n}"));
        }
        let snap = s.snapshot();
        assert_eq!(snap.exceptions.len(), 10);
        assert_eq!(snap.exceptions[0].1, "e2");
        s.assigned(vec![("t".into(), 0), ("t".into(), 1)]);
        s.set_position("t", 0, 5);
        s.statistics(
            br#"{"name":"cid#consumer-1","topics":{"t":{"partitions":{"0":{"hi_offset":12},"-1":{"hi_offset":-1001}}}}}"#,
        );
        let snap = s.snapshot();
        assert_eq!(snap.consumer_id, "cid#consumer-1");
        assert_eq!(snap.assignments.len(), 2);
        assert_eq!(snap.assignments[0].current_offset, 5);
        assert_eq!(snap.assignments[0].high_water_mark, 12);
        assert_eq!(snap.assignments[0].lag, 7);
        assert_eq!(snap.assignments[1].current_offset, OFFSET_INVALID);
        assert_eq!(snap.assignments[1].lag, -1);
        assert_eq!(snap.num_rebalance_assignments, 1);
        s.revoked();
        let snap = s.snapshot();
        assert!(snap.assignments.is_empty());
        assert_eq!(snap.num_rebalance_revocations, 1);
        assert!(!snap.rdkafka_stat.is_empty());
    }
}
