//! A worker's reads: the assigned partitions routed to the batch queue
//! (`sluice-rdkafka-batch`), the consumer's own queue served before it (rebalances, commit
//! results, errors, older messages) and again after every batch that gave messages, and
//! both kinds of message appended to the chunk being read.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaResult;
use rdkafka::message::{BorrowedMessage, Headers, Message as _};

use super::{EVENT_SLICE, Worker};
use crate::batch::{MessageBatch, MessageRef};
use crate::seek_guard::below;

/// What one block's reads took (logged at `debug` with the block, target
/// `sluice_kafka::exactly_once`): how many poll batches, librdkafka batch calls and waits
/// for a first message the block's messages came in.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ReadCounts {
    /// Poll batches (`kafka_poll_max_batch_size` messages or the poll timeout).
    pub(crate) batches: u64,
    /// librdkafka batch calls that take what is queued without waiting.
    pub(crate) calls: u64,
    /// librdkafka calls that may wait for a first message (most return one at once).
    pub(crate) waits: u64,
    /// Chunks handed to the sink.
    pub(crate) chunks: u64,
}

/// How many consumer-queue ops one [`Worker::serve_consumer_queue`] call serves at most
/// beyond its message limit (messages the seek guard drops, statistics, commit results):
/// a call returns after that many, saying whether ops are left.
const SERVE_SLACK: usize = 1 << 12;

/// [`Worker::drain_late`] forwards the partitions again after every this many messages.
const LATE_DRAIN_STEP: usize = 1 << 16;

impl Worker {
    /// Up to `max` messages appended to `out`: waits up to `wait` for the first one, not
    /// for the rest. True when it stopped at `max` (more may be waiting). Stops early
    /// after a rebalance (the context's `rebalanced` flag is set).
    ///
    /// Each round routes the assigned partitions to the batch queue, serves the consumer's
    /// own queue (rebalances, commit results, statistics, errors, and messages fetched
    /// before their partition was routed, which are older than the batch queue's), then
    /// takes what the batch queue holds in one librdkafka call.
    pub(crate) fn poll_batch(
        &mut self,
        out: &mut MessageBatch,
        max: usize,
        wait: Duration,
    ) -> bool {
        let start = out.len();
        let mut left = wait;
        let mut any = false;
        let mut more = false;
        loop {
            self.route();
            if !self.serve_consumer_queue(out, start + max) {
                more = true;
                break;
            }
            if self.consumer.context().rebalanced.load(Ordering::SeqCst) {
                break;
            }
            let room = max.saturating_sub(out.len() - start);
            if room == 0 {
                more = true;
                break;
            }
            let n = self.read_batch(out, room, Duration::ZERO);
            self.reads.calls += 1;
            if n > 0 {
                self.drain_late(out);
                more = n == room;
                break;
            }
            if any || left.is_zero() {
                break;
            }
            // Nothing waiting: wait for one message (librdkafka waits for every message
            // of a batch until the timeout), in slices so that the consumer's queue is
            // served meanwhile; the rest is taken without waiting in the next round.
            let slice = left.min(EVENT_SLICE);
            let t0 = Instant::now();
            any = self.read_batch(out, 1, slice) > 0;
            self.reads.waits += 1;
            if any {
                self.drain_late(out);
            }
            left = left.saturating_sub(t0.elapsed());
        }
        if out.len() > start {
            self.state.polled(out.len() - start);
        }
        more
    }

    /// Routes the assigned partitions to the batch queue after an assignment change, and
    /// forwards them again otherwise (stopping a fetcher, at any `assign`, clears the
    /// forward, asynchronously).
    pub(super) fn route(&mut self) {
        let count = self.consumer.context().assignments.load(Ordering::SeqCst);
        if self.routed_for == Some(count) {
            self.fetch.reroute();
            return;
        }
        let Some(parts) = self.assigned_partitions() else {
            self.fetch.reroute();
            return;
        };
        self.fetch.route(&parts);
        self.routed_for = Some(count);
    }

    /// The consumer's assignment as `(topic, partition)` pairs.
    pub(super) fn assigned_partitions(&self) -> Option<Vec<(String, i32)>> {
        let assignment = self.consumer.assignment().ok()?;
        Some(
            assignment
                .elements()
                .iter()
                .map(|e| (e.topic().to_string(), e.partition()))
                .collect(),
        )
    }

    /// After the batch queue gave messages: serves the consumer's queue again until it is
    /// empty, without the block's size limit, so that its messages join the same block. A
    /// partition's fetcher enqueues in order, so once a message reached the batch queue,
    /// every older message of its partition that was on its way into the consumer's queue
    /// (enqueued there just before the partition was forwarded) is in that queue now. Read
    /// later, in another block, such a message would sit below offsets already written
    /// (the block's span reaches past it), and the replay filter would drop it.
    fn drain_late(&mut self, out: &mut MessageBatch) {
        // Forwarded again between steps: a fetch start that reset the forward would
        // otherwise keep this queue filling.
        while !self.serve_consumer_queue(out, out.len().saturating_add(LATE_DRAIN_STEP))
            && !self.control.stop.load(Ordering::SeqCst)
        {
            self.route();
        }
    }

    /// Serves the consumer's queue until it is empty (true) or `out` holds `limit` messages,
    /// or after [`SERVE_SLACK`] ops more than that (false: ops are left). The batch queue
    /// must not be read while this returns false: the ops left may be older messages of
    /// the batch queue's partitions (fetched before a partition was forwarded there, or
    /// after librdkafka's fetch start reset the forward), and a block that took a newer
    /// message first would end past them. Many such ops are messages the seek guard drops,
    /// which do not count towards `limit`.
    fn serve_consumer_queue(&mut self, out: &mut MessageBatch, limit: usize) -> bool {
        let consumer = Arc::clone(&self.consumer);
        let ops = limit.saturating_sub(out.len()).saturating_add(SERVE_SLACK);
        for _ in 0..ops {
            if self.fetch.events_waiting() == 0 {
                return true;
            }
            if out.len() >= limit {
                return false;
            }
            if let Some(res) = consumer.poll(Duration::ZERO) {
                self.push_polled(out, res);
            }
            if self.consumer.context().rebalanced.load(Ordering::SeqCst) {
                return true;
            }
        }
        self.fetch.events_waiting() == 0
    }

    /// Appends a message `BaseConsumer::poll` returned (or records its error).
    fn push_polled(&mut self, out: &mut MessageBatch, res: KafkaResult<BorrowedMessage<'_>>) {
        match res {
            Ok(m) => {
                let name = m.topic();
                let guard = &self.consumer.context().seek_guard;
                if guard.drops(name, m.partition(), m.offset()) {
                    return;
                }
                let topic = self.topics.intern(name);
                let headers = match self.decoder.wants_headers().then(|| m.headers()).flatten() {
                    Some(h) => h
                        .iter()
                        .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                        .collect(),
                    None => Vec::new(),
                };
                out.push(
                    MessageRef {
                        topic: &topic,
                        partition: m.partition(),
                        offset: m.offset(),
                        key: m.key(),
                        payload: m.payload(),
                        timestamp_ms: m.timestamp().to_millis(),
                        headers: &[],
                    },
                    headers,
                );
            }
            Err(e) => {
                tracing::warn!("Kafka consumer error: {e}");
                self.state.push_exception(e.to_string());
            }
        }
    }

    /// Up to `max` messages of the batch queue appended to `out` in one librdkafka call,
    /// waiting up to `timeout` for each while fewer arrived; returns how many the call
    /// gave (fetch errors and messages the seek guard drops included).
    fn read_batch(&mut self, out: &mut MessageBatch, max: usize, timeout: Duration) -> usize {
        let wants_headers = self.decoder.wants_headers();
        let batch = self.fetch.consume(max, timeout);
        // Taken after the call: a rebalance or rewind is served on this thread, between calls.
        let guarded = self.consumer.context().seek_guard.starts();
        // The previous message and its shared topic name: a batch's messages are almost
        // always of one topic, compared by handle.
        let mut last: Option<(sluice_rdkafka_batch::FetchedMessage<'_>, Arc<str>)> = None;
        for m in batch.iter() {
            if let Some(e) = m.error() {
                tracing::warn!("Kafka consumer error: {e}");
                self.state.push_exception(e.to_string());
                continue;
            }
            if !matches!(&last, Some((prev, _)) if prev.same_topic(&m)) {
                last = Some((m, self.topics.intern(m.topic())));
            }
            let Some((_, topic)) = &last else {
                continue;
            };
            if let Some(starts) = &guarded
                && below(starts, topic, m.partition(), m.offset())
            {
                continue;
            }
            let headers = if wants_headers {
                m.headers()
            } else {
                Vec::new()
            };
            out.push(
                MessageRef {
                    topic,
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key(),
                    payload: m.payload(),
                    timestamp_ms: m.timestamp_ms(),
                    headers: &[],
                },
                headers,
            );
        }
        batch.len()
    }
}
