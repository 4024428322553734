//! Committing a written block's offsets to the consumer group (ClickHouse's
//! `KafkaConsumer::commit`): up to 5 attempts, then `CANNOT_COMMIT_OFFSET` ("All commit
//! attempts failed…") in the consumer's exceptions. A commit that could not be made loses
//! nothing: the block is in the targets, whose recorded offsets filter it out when it is
//! read again (exactly-once), or it is read again (`kafka_exactly_once = 0`, ClickHouse's
//! at-least-once).

use std::sync::atomic::Ordering;

use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use sluice_common::{Error, ErrorCode};

use super::Worker;

impl Worker {
    /// Commits the block's offsets (5 attempts, as ClickHouse).
    pub(crate) fn commit(&mut self, offsets: &[(String, i32, i64)]) {
        let mut tpl = TopicPartitionList::new();
        for (t, p, o) in offsets {
            if tpl.add_partition_offset(t, *p, Offset::Offset(*o)).is_err() {
                return;
            }
        }
        let mut last = None;
        for _ in 0..5 {
            match self.consumer.commit(&tpl, CommitMode::Sync) {
                Ok(()) => {
                    self.state.committed();
                    return;
                }
                Err(e) => last = Some(e),
            }
            // Stopping: no further attempt (each may wait for the broker without a
            // limit); the written block is filtered out or read again.
            if self.control.stop.load(Ordering::SeqCst) {
                break;
            }
        }
        let e = Error::new(
            ErrorCode::CANNOT_COMMIT_OFFSET,
            format!(
                "All commit attempts failed. Last block was already written to target table(s), but was not committed to Kafka. ({})",
                last.map(|e| e.to_string()).unwrap_or_default()
            ),
        );
        self.state.push_exception(e.to_clickhouse_string());
    }
}
