//! Committing a written block's offsets to the consumer group (ClickHouse's
//! `KafkaConsumer::commit`): up to 5 attempts, then `CANNOT_COMMIT_OFFSET` ("All commit
//! attempts failed…") in the consumer's exceptions. A commit that could not be made loses
//! nothing: the block is in the targets, whose recorded offsets filter it out when it is
//! read again (exactly-once), or it is read again (`kafka_exactly_once = 0`, ClickHouse's
//! at-least-once).
//!
//! The commit is synchronous, as ClickHouse's: the worker goes on (polls again) only after
//! the group coordinator answered, or after the attempts failed. That keeps two servers of
//! one group from reading a block twice: a poll can serve a rebalance that hands the
//! partitions to another member, which starts at the group's committed offsets.
//!
//! Each attempt is bounded in time, also when the broker is gone: the `rdkafka` crate's
//! synchronous commit waits for its answer without a limit (`rd_kafka_commit` →
//! `rd_kafka_q_wait_result(RD_POLL_INFINITE)`), and with the broker gone a commit may
//! never be answered (librdkafka keeps a request it could not send queued), so a consumer
//! thread in that call never ended. An attempt here is
//! [`sluice_rdkafka_batch::PendingCommit`] (`rd_kafka_commit_queue`, the same request with
//! its answer on a queue of its own) waited for at most [`COMMIT_TIMEOUT`], or
//! [`COMMIT_STOP_GRACE`] once the consumer is stopping. An attempt without an answer by then
//! counts as failed (its outcome is unknown: the commit may still be made later, which only
//! moves the group's offsets to where this block ends).
//!
//! The figures: a coordinator that runs answers a commit in milliseconds. One that is
//! being looked up (after a broker restart or a coordinator move) gets the commit once
//! found; librdkafka defers a commit without a coordinator for up to `session.timeout.ms`
//! (45 s by default) before failing it. 5 attempts of 10 s wait 50 s in all, longer than
//! that default, as ClickHouse's commit (no limit) would wait for a coordinator that comes
//! back. Once stopping, a commit that is answered is answered within 1 s; one that is not
//! no longer holds the stop (`DROP`, `DETACH`, shutdown), whose bound is
//! [`super::STOP_TIMEOUT`] and [`super::JOIN_TIMEOUT`].

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use sluice_common::{Error, ErrorCode, Result};
use sluice_rdkafka_batch::PendingCommit;

use super::Worker;

/// ClickHouse's number of commit attempts.
const ATTEMPTS: usize = 5;

/// How long one commit attempt waits for the group coordinator's answer (see the module
/// docs for the figure).
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Once the consumer is stopping, how much longer a commit attempt is waited for: a
/// coordinator that answers does so by then; with the broker gone the stop goes on (the
/// written block is filtered out or read again).
pub const COMMIT_STOP_GRACE: Duration = Duration::from_secs(1);

/// How often a waiting commit looks at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(100);

impl Worker {
    /// Commits the block's offsets (5 attempts, as ClickHouse); a failure is recorded in
    /// the consumer's exceptions.
    pub(crate) fn commit(&mut self, offsets: &[(String, i32, i64)]) {
        if let Err(e) = self.try_commit(offsets) {
            self.state.push_exception(e.to_clickhouse_string());
        }
    }

    /// [`Worker::commit`], returning the failure (`CANNOT_COMMIT_OFFSET`) instead.
    pub(crate) fn try_commit(&mut self, offsets: &[(String, i32, i64)]) -> Result<()> {
        let mut tpl = TopicPartitionList::new();
        for (t, p, o) in offsets {
            if tpl.add_partition_offset(t, *p, Offset::Offset(*o)).is_err() {
                return Ok(());
            }
        }
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            match self.commit_once(&tpl) {
                Ok(()) => {
                    self.state.committed();
                    return Ok(());
                }
                Err(e) => last = e,
            }
            // Stopping: no further attempt; the written block is filtered out or read
            // again.
            if self.control.stop.load(Ordering::SeqCst) {
                break;
            }
        }
        Err(Error::new(
            ErrorCode::CANNOT_COMMIT_OFFSET,
            format!(
                "All commit attempts failed. Last block was already written to target table(s), but was not committed to Kafka. ({last})"
            ),
        ))
    }

    /// One attempt: the commit, and its answer within [`COMMIT_TIMEOUT`] (or
    /// [`COMMIT_STOP_GRACE`] after the stop was seen). `Err`: why it is not known to be
    /// made.
    fn commit_once(&self, tpl: &TopicPartitionList) -> std::result::Result<(), String> {
        let mut pending = PendingCommit::start(&*self.consumer, tpl).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let mut deadline = started + COMMIT_TIMEOUT;
        let mut stop_seen = false;
        loop {
            let now = Instant::now();
            if !stop_seen && self.control.stop.load(Ordering::SeqCst) {
                stop_seen = true;
                deadline = deadline.min(now + COMMIT_STOP_GRACE);
            }
            let left = deadline.saturating_duration_since(now);
            if left.is_zero() {
                return Err(format!(
                    "no answer from the group coordinator within {:?}",
                    started.elapsed()
                ));
            }
            if let Some(answer) = pending.wait(left.min(STOP_CHECK)) {
                return answer.map_err(|e| e.to_string());
            }
        }
    }
}
