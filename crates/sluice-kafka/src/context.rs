//! [`ConsumerCtx`]: the librdkafka callbacks of one consumer — statistics and errors
//! into its [`ConsumerState`], rebalance bookkeeping (ClickHouse's counters, the
//! "rebalance happened" flag that discards the block in flight), and the start seek: on
//! assignment each partition starts at the offset the sink recorded with the data
//! (exactly-once), or at the group's committed offset when another member of the group has
//! moved past it or nothing is recorded — fetched from a little earlier, see
//! [`crate::seek_guard`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::seek_guard::SeekGuard;
use crate::sink::KafkaSink;
use crate::stats::ConsumerStateRef;

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
            consumer
                .committed_offsets(tpl, std::time::Duration::from_secs(10))
                .ok()
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
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(_) => {
                self.seek_guard.clear();
                self.state.revoked();
                self.rebalanced.store(true, Ordering::SeqCst);
                self.assignments.fetch_add(1, Ordering::SeqCst);
            }
            Rebalance::Assign(_) => {}
            Rebalance::Error(e) => {
                self.state.push_exception(format!("Rebalance error: {e}"));
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Assign(tpl) = rebalance else {
            return;
        };
        let parts: Vec<(String, i32)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_string(), e.partition()))
            .collect();
        if parts.is_empty() {
            tracing::info!("Not enough partitions in the topic for all consumers?");
        }
        self.state.assigned(parts.clone());
        self.rebalanced.store(true, Ordering::SeqCst);
        self.assignments.fetch_add(1, Ordering::SeqCst);
        if parts.is_empty() {
            return;
        }
        let starts = self.start_offsets(consumer, &parts);
        let mut with_offsets = TopicPartitionList::new();
        let mut any = false;
        for ((topic, partition), start) in parts.iter().zip(starts) {
            let offset = match start {
                Some(o) => {
                    any = true;
                    self.state.set_position(topic, *partition, o);
                    Offset::Offset(self.seek_guard.fetch_offset(topic, *partition, o))
                }
                None => {
                    self.seek_guard.forget(topic, *partition);
                    Offset::Stored
                }
            };
            if let Err(e) = with_offsets.add_partition_offset(topic, *partition, offset) {
                self.state.push_exception(format!("start seek: {e}"));
                return;
            }
        }
        if any && let Err(e) = consumer.assign(&with_offsets) {
            self.state
                .push_exception(format!("start seek (assign): {e}"));
        }
    }
}
