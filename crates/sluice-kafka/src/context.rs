//! [`ConsumerCtx`]: the librdkafka callbacks of one consumer — statistics and errors
//! into its [`ConsumerState`], rebalance bookkeeping (ClickHouse's counters, the
//! "rebalance happened" flag that discards the block in flight), and Sluice's
//! exactly-once seek: on assignment each partition starts at the offset the sink
//! recorded with the data, not at the group's committed offset.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::consumer::KafkaSink;
use crate::stats::ConsumerStateRef;

/// Callbacks of one consumer.
pub struct ConsumerCtx {
    pub(crate) state: ConsumerStateRef,
    pub(crate) sink: Arc<dyn KafkaSink>,
    pub(crate) group: String,
    pub(crate) exactly_once: bool,
    /// Set by every rebalance; the consumer thread clears it when it starts a block.
    pub(crate) rebalanced: AtomicBool,
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

impl ConsumerContext for ConsumerCtx {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(_) => {
                self.state.revoked();
                self.rebalanced.store(true, Ordering::SeqCst);
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
        if !self.exactly_once || parts.is_empty() {
            return;
        }
        let mut with_offsets = TopicPartitionList::new();
        let mut any = false;
        for (topic, partition) in &parts {
            let offset = match self.sink.committed_offsets(&self.group, topic, *partition) {
                Some(o) => {
                    any = true;
                    self.state.set_position(topic, *partition, o);
                    Offset::Offset(o)
                }
                None => Offset::Stored,
            };
            if let Err(e) = with_offsets.add_partition_offset(topic, *partition, offset) {
                self.state.push_exception(format!("exactly-once seek: {e}"));
                return;
            }
        }
        if any && let Err(e) = consumer.assign(&with_offsets) {
            self.state
                .push_exception(format!("exactly-once seek (assign): {e}"));
        }
    }
}
