//! [`ConsumerCtx`]: the librdkafka callbacks of one consumer — statistics and errors
//! into its [`ConsumerState`](crate::stats::ConsumerState), rebalance bookkeeping (ClickHouse's counters, the
//! "rebalance happened" flag that discards the block in flight), and the start seek: on
//! assignment each partition starts at the offset the sink recorded with the data
//! (exactly-once), or at the group's committed offset when another member of the group has
//! moved past it or nothing is recorded — fetched from a little earlier, see
//! [`crate::seek_guard`]. The start offsets go into the rebalance's own assign
//! ([`ConsumerCtx`]'s `rebalance`), and the lookup of the group's offsets gives up once the
//! table stops.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;

use crate::seek_guard::SeekGuard;
use crate::sink::KafkaSink;
use crate::stats::ConsumerStateRef;

/// How long a start seek waits for the group's committed offsets in all.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one request for them waits (the table's stop is checked between requests).
const LOOKUP_SLICE: Duration = Duration::from_millis(500);

/// Callbacks of one consumer.
pub struct ConsumerCtx {
    pub(crate) state: ConsumerStateRef,
    pub(crate) sink: Arc<dyn KafkaSink>,
    pub(crate) group: String,
    pub(crate) exactly_once: bool,
    /// The group's committed offsets are only ever written after the block is in every
    /// target (false with `kafka_commit_every_batch`, which commits what was merely read).
    pub(crate) trust_group_offsets: bool,
    /// Set by every rebalance; the consumer thread clears it when it starts a block.
    pub(crate) rebalanced: AtomicBool,
    /// Partitions assigned by a rebalance since the consumer thread began its block
    /// ([`ConsumerCtx::begin_block`]): they start at their own start offsets, and a rewind
    /// of the block leaves them alone.
    pub(crate) assigned_since_block: Mutex<Vec<(String, i32)>>,
    /// The table's stop flag: a start seek's lookup of the group's offsets gives up on it
    /// (with the broker gone it would hold the stop for its whole time limit).
    pub(crate) stop: Arc<AtomicBool>,
    /// Bumped by every assignment change (rebalance, or the consumer thread's own
    /// `assign`): the thread routes the new assignment's partitions to its batch queue
    /// ([`sluice_rdkafka_batch::FetchQueue::route`]) when this moved.
    pub(crate) assignments: AtomicU64,
    /// Partitions started at an explicit offset: fetched from earlier, messages below
    /// the start dropped (see [`SeekGuard`]).
    pub(crate) seek_guard: SeekGuard,
}

impl ClientContext for ConsumerCtx {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", "[rdk:{fac}] {log_message}");
                self.state
                    .push_exception(format!("[rdk:{fac}] {log_message}"));
            }
            RDKafkaLogLevel::Warning => {
                tracing::warn!(target: "librdkafka", "[rdk:{fac}] {log_message}")
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", "[rdk:{fac}] {log_message}")
            }
            RDKafkaLogLevel::Debug => {
                tracing::debug!(target: "librdkafka", "[rdk:{fac}] {log_message}")
            }
        }
    }

    fn stats_raw(&self, statistics: &[u8]) {
        self.state.statistics(statistics);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(target: "librdkafka", "{error}: {reason}");
        self.state.push_exception(format!("{error}: {reason}"));
    }
}

impl ConsumerCtx {
    /// Start offset of each partition: with exactly-once the smallest offset recorded with
    /// the data over the targets, or the group's committed offset when that is ahead or
    /// nothing is recorded; otherwise the group's committed offset. `None`: neither is
    /// known (`auto.offset.reset` decides).
    pub(crate) fn start_offsets(
        &self,
        consumer: &BaseConsumer<Self>,
        parts: &[(String, i32)],
    ) -> Vec<Option<i64>> {
        // Another server of the group may have consumed a partition since this one
        // last held it: its commit (made after its own targets had the data) is ahead of
        // what our targets recorded, and wins. After a crash here, our record is ahead.
        let group_offsets = {
            let mut tpl = TopicPartitionList::new();
            for (topic, partition) in parts {
                tpl.add_partition(topic, *partition);
            }
            self.committed_offsets(consumer, tpl)
        };
        let group_offset = |topic: &str, partition: i32| -> Option<i64> {
            match group_offsets
                .as_ref()?
                .find_partition(topic, partition)?
                .offset()
            {
                Offset::Offset(o) => Some(o),
                _ => None,
            }
        };
        parts
            .iter()
            .map(|(topic, partition)| {
                let recorded = if self.exactly_once {
                    self.sink.committed_offsets(&self.group, topic, *partition)
                } else {
                    None
                };
                let group = group_offset(topic, *partition);
                let start = match (recorded, group) {
                    (Some(r), Some(g)) if self.trust_group_offsets => Some(r.max(g)),
                    (Some(r), _) => Some(r),
                    (None, g) => g,
                };
                tracing::info!(
                    target: "sluice_kafka::exactly_once",
                    "group {} {topic}[{partition}]: targets recorded {recorded:?}, group committed {group:?}: start at {start:?}",
                    self.group
                );
                start
            })
            .collect()
    }
}

impl ConsumerContext for ConsumerCtx {
    /// Serves a rebalance in place of rust-rdkafka's default, which assigns the partitions
    /// as given (at the group's committed offsets) and only then lets the context seek.
    /// That second assign races with the first one's fetches: librdkafka starts the new
    /// fetch on its own thread, and a message of the first fetch (at the committed offset)
    /// read in between ended the [`SeekGuard`] early, so the messages fetched from before the
    /// wanted start went through (two servers of one group stored a partition's messages
    /// between this server's record and the group's offset twice). Here the start offsets
    /// are in the list before the one assign.
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                self.set_start_offsets(consumer, tpl);
                let r = if cooperative {
                    consumer.incremental_assign(tpl)
                } else {
                    consumer.assign(tpl)
                };
                self.assignments.fetch_add(1, Ordering::SeqCst);
                if let Err(e) = r {
                    self.state.push_exception(format!("assign: {e}"));
                }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                tracing::debug!(
                    target: "sluice_kafka::exactly_once",
                    "group {}: partitions revoked: {:?}",
                    self.group,
                    tpl.elements().iter().map(|e| e.partition()).collect::<Vec<_>>()
                );
                self.seek_guard.clear();
                self.state.revoked();
                self.rebalanced.store(true, Ordering::SeqCst);
                let r = if cooperative {
                    consumer.incremental_unassign(tpl)
                } else {
                    consumer.unassign()
                };
                self.assignments.fetch_add(1, Ordering::SeqCst);
                if let Err(e) = r {
                    self.state.push_exception(format!("unassign: {e}"));
                }
            }
            other => {
                let e = KafkaError::Rebalance(other.into());
                self.state.push_exception(format!("Rebalance error: {e}"));
                self.rebalanced.store(true, Ordering::SeqCst);
                // As rust-rdkafka's default: an eager consumer drops its assignment.
                if !cooperative && let Err(e) = consumer.unassign() {
                    self.state.push_exception(format!("unassign: {e}"));
                }
                self.assignments.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

impl ConsumerCtx {
    /// The group's committed offsets of `tpl`, asked in slices of [`LOOKUP_SLICE`] for up to
    /// [`LOOKUP_TIMEOUT`]; `None` once the table is stopping or when no answer came.
    fn committed_offsets(
        &self,
        consumer: &BaseConsumer<Self>,
        tpl: TopicPartitionList,
    ) -> Option<TopicPartitionList> {
        let started = Instant::now();
        loop {
            match consumer.committed_offsets(tpl.clone(), LOOKUP_SLICE) {
                Ok(offsets) => return Some(offsets),
                Err(e) => {
                    if self.stop.load(Ordering::SeqCst) || started.elapsed() >= LOOKUP_TIMEOUT {
                        tracing::warn!(
                            "group {}: the committed offsets could not be read: {e}",
                            self.group
                        );
                        return None;
                    }
                }
            }
        }
    }

    /// The consumer thread begins a block: no rebalance seen in it yet.
    pub(crate) fn begin_block(&self) {
        self.rebalanced.store(false, Ordering::SeqCst);
        self.assigned_since_block.lock().clear();
    }

    /// Bookkeeping of an assignment, and its start offsets written into `tpl` (see
    /// [`ConsumerCtx::start_offsets`]); a partition without one keeps the group's
    /// committed offset (or `auto.offset.reset`).
    fn set_start_offsets(&self, consumer: &BaseConsumer<Self>, tpl: &mut TopicPartitionList) {
        let parts: Vec<(String, i32)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_string(), e.partition()))
            .collect();
        if parts.is_empty() {
            tracing::info!("Not enough partitions in the topic for all consumers?");
        }
        self.state.assigned(parts.clone());
        self.assigned_since_block
            .lock()
            .extend(parts.iter().cloned());
        self.rebalanced.store(true, Ordering::SeqCst);
        if parts.is_empty() {
            return;
        }
        let starts = self.start_offsets(consumer, &parts);
        for ((topic, partition), start) in parts.iter().zip(starts) {
            match start {
                Some(o) => {
                    self.state.set_position(topic, *partition, o);
                    let from = self.seek_guard.fetch_offset(topic, *partition, o);
                    if let Err(e) =
                        tpl.set_partition_offset(topic, *partition, Offset::Offset(from))
                    {
                        self.state.push_exception(format!("start seek: {e}"));
                    }
                }
                None => self.seek_guard.forget(topic, *partition),
            }
        }
    }
}
