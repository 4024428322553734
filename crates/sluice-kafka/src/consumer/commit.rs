//! Committing a written block's offsets to the consumer group (ClickHouse's
//! `KafkaConsumer::commit`): up to 5 attempts, then `CANNOT_COMMIT_OFFSET` ("All commit
//! attempts failed…") in the consumer's exceptions. A commit that could not be made loses
//! nothing: the block is in the targets, whose recorded offsets filter it out when it is
//! read again (exactly-once), or it is read again (`kafka_exactly_once = 0`, ClickHouse's
//! at-least-once).
//!
//! Every attempt is bounded in time, also when the broker is gone. A synchronous commit
//! (`rd_kafka_commit` with `async = 0`) waits for its result without a limit
//! (`rd_kafka_q_wait_result(RD_POLL_INFINITE)`), and with the broker gone the request is
//! never answered: librdkafka keeps re-queueing a request it could not send
//! (`rd_kafka_buf_retry` counts only sent attempts), so a consumer thread in that call never
//! ended. Here an attempt is an asynchronous commit, whose result is then looked for in the
//! group's committed offsets (`rd_kafka_committed`, itself given a timeout) until they
//! reach the block's offsets ([`COMMIT_TIMEOUT`]; [`COMMIT_STOP_GRACE`] once the consumer is
//! stopping). rdkafka 0.38 gives no result for an asynchronous commit:
//! `ConsumerContext::commit_callback` is only called for librdkafka's own commits, since
//! `rd_kafka_commit(async = 1)` asks for no reply (rust-rdkafka issue #856). librdkafka
//! logs a commit it could not make (`COMMITFAIL`), which the consumer's context records as
//! an exception ([`crate::context`]), as ClickHouse records each failed attempt.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use sluice_common::{Error, ErrorCode, Result};

use super::Worker;

/// ClickHouse's number of commit attempts.
const ATTEMPTS: usize = 5;

/// How long one commit attempt waits for the group's committed offsets to reach the
/// block's offsets (a broker that answers does so in milliseconds).
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Once the consumer is stopping, how much longer a commit attempt is waited for: a
/// commit sent to a broker that answers is done by then; with the broker gone the stop
/// goes on (the block is filtered out or read again).
pub const COMMIT_STOP_GRACE: Duration = Duration::from_secs(1);

/// A commit whose offsets the broker answered this many times without them, over at
/// least [`STALE_WINDOW`], failed (the broker handles a connection's requests in order,
/// so the first answer after the commit already shows it; the rest is for brokers that
/// may not).
const STALE_ANSWERS: usize = 3;

/// See [`STALE_ANSWERS`].
const STALE_WINDOW: Duration = Duration::from_millis(200);

/// The longest pause between two looks at the committed offsets.
const MAX_PAUSE: Duration = Duration::from_millis(100);

/// The longest one look at the committed offsets waits for the coordinator's answer: a
/// stop is seen between two looks.
const LOOK_TIMEOUT: Duration = Duration::from_millis(500);

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
        // Nothing to commit: librdkafka's `_NO_OFFSET`, a success for ClickHouse.
        if offsets.iter().all(|(_, _, o)| *o < 0) {
            return Ok(());
        }
        let mut last = String::new();
        for _ in 0..ATTEMPTS {
            match self.commit_once(&tpl, offsets) {
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

    /// One attempt: an asynchronous commit, then the group's committed offsets until they
    /// reach `offsets`, within [`COMMIT_TIMEOUT`] (or [`COMMIT_STOP_GRACE`] after the stop
    /// was seen). `Err`: why the commit is not known to be made.
    fn commit_once(
        &self,
        tpl: &TopicPartitionList,
        offsets: &[(String, i32, i64)],
    ) -> std::result::Result<(), String> {
        self.consumer
            .commit(tpl, CommitMode::Async)
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let mut deadline = started + COMMIT_TIMEOUT;
        let mut stop_seen = false;
        let mut stale = 0;
        let mut pause = Duration::from_millis(1);
        let mut last = String::from("no answer from the group coordinator");
        loop {
            let now = Instant::now();
            if !stop_seen && self.control.stop.load(Ordering::SeqCst) {
                stop_seen = true;
                deadline = deadline.min(now + COMMIT_STOP_GRACE);
            }
            let left = deadline.saturating_duration_since(now);
            if left.is_zero() {
                return Err(format!(
                    "the commit was not confirmed within {:?}: {last}",
                    started.elapsed()
                ));
            }
            let look = left.min(LOOK_TIMEOUT).max(Duration::from_millis(1));
            match self.behind(offsets, look) {
                Ok(None) => return Ok(()),
                Ok(Some(behind)) => {
                    stale += 1;
                    last = behind;
                    if stale >= STALE_ANSWERS && started.elapsed() >= STALE_WINDOW {
                        return Err(last);
                    }
                }
                Err(e) => last = e,
            }
            let left = deadline.saturating_duration_since(Instant::now());
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// The first partition of `offsets` whose committed offset in the group is below
    /// the one to commit, as a message; `None` when all reached it. Asks the group
    /// coordinator, waiting at most `timeout`.
    fn behind(
        &self,
        offsets: &[(String, i32, i64)],
        timeout: Duration,
    ) -> std::result::Result<Option<String>, String> {
        let mut tpl = TopicPartitionList::new();
        for (t, p, _) in offsets {
            tpl.add_partition(t, *p);
        }
        let got = self
            .consumer
            .committed_offsets(tpl, timeout)
            .map_err(|e| e.to_string())?;
        for (t, p, want) in offsets {
            let have = match got.find_partition(t, *p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) => Some(o),
                _ => None,
            };
            if have.is_none_or(|h| h < *want) {
                let have = have.map_or_else(|| "none".to_string(), |h| h.to_string());
                return Ok(Some(format!(
                    "the group's committed offset of {t}[{p}] is {have}, not {want}"
                )));
            }
        }
        Ok(None)
    }
}
