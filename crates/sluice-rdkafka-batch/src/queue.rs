//! [`FetchQueue`]: an application queue that receives the fetched messages of the
//! partitions routed to it, read in batches with `rd_kafka_consume_batch_queue`.
//!
//! How librdkafka's queues are wired for a `BaseConsumer` of the `rdkafka` crate: each
//! partition has a fetch queue, forwarded by librdkafka to the consumer group's queue when
//! its fetcher starts; the main queue (statistics, errors, commit results) is forwarded
//! there too (`rd_kafka_poll_set_consumer`), and the group's rebalance ops are put there.
//! [`FetchQueue::route`] forwards the assigned partitions' fetch queues to this queue
//! instead (`rd_kafka_queue_forward`), so that a batch call here can only meet fetched
//! messages, fetch errors (returned as messages with an error) and version barriers
//! (served inside the call); everything else stays on the consumer's queue.
//!
//! Two librdkafka behaviours the caller must respect:
//! - After an application forward, librdkafka no longer forwards that partition's fetch
//!   queue to the consumer's queue, and stopping its fetcher (every `assign`, a revoke)
//!   clears the forward. Messages of a restarted fetcher then wait in the partition's
//!   queue until it is forwarded again: call [`FetchQueue::reroute`] before each read
//!   (one lock per partition) and [`FetchQueue::route`] after every assignment change.
//! - Messages fetched before a partition was first routed here are on the consumer's
//!   queue: serve it (`BaseConsumer::poll`) while [`FetchQueue::events_waiting`] and treat
//!   the messages it returns as older than this queue's.

use std::ffi::CString;
use std::ptr::NonNull;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::bindings as rdsys;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};

use crate::handle::QueueHandle;
use crate::message::Fetched;

/// Why a [`FetchQueue`] could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FetchQueueError {
    /// librdkafka returned no queue.
    #[error("librdkafka returned no {what} queue")]
    NoQueue {
        /// Which queue.
        what: &'static str,
    },
}

/// One routed partition.
struct Routed {
    topic: String,
    partition: i32,
    queue: QueueHandle,
}

/// See the module documentation.
pub struct FetchQueue<C: ConsumerContext + 'static> {
    /// Dropped last (fields drop in order): every handle and message belongs to it.
    queue: QueueHandle,
    consumer_queue: QueueHandle,
    routed: Vec<Routed>,
    messages: Vec<*mut rdsys::rd_kafka_message_t>,
    consumer: Arc<BaseConsumer<C>>,
}

// SAFETY: librdkafka's queue handles and messages may be used from any thread (every queue
// operation takes the queue's lock; a message is only touched by its owner), the pointers
// are owned by this value and never shared, and `BaseConsumer` is `Send + Sync`.
#[allow(unsafe_code)]
unsafe impl<C: ConsumerContext + 'static> Send for FetchQueue<C> {}

impl<C: ConsumerContext + 'static> FetchQueue<C> {
    /// A queue of `consumer`'s, with no partition routed to it yet. The consumer must have
    /// a `group.id` (the consumer's queue is the group's).
    #[allow(unsafe_code)]
    pub fn try_new(consumer: Arc<BaseConsumer<C>>) -> Result<Self, FetchQueueError> {
        let rk = consumer.client().native_ptr();
        // SAFETY: `rk` is the live client of `consumer`, which this value keeps alive
        // until after the queue is destroyed (field order).
        let queue = NonNull::new(unsafe { rdsys::rd_kafka_queue_new(rk) })
            .ok_or(FetchQueueError::NoQueue { what: "new" })?;
        let queue = QueueHandle(queue);
        // SAFETY: as above; a new handle to the group's queue (NULL without a group).
        let consumer_queue = NonNull::new(unsafe { rdsys::rd_kafka_queue_get_consumer(rk) })
            .ok_or(FetchQueueError::NoQueue { what: "consumer" })?;
        Ok(Self {
            queue,
            consumer_queue: QueueHandle(consumer_queue),
            routed: Vec::new(),
            messages: Vec::new(),
            consumer,
        })
    }

    /// The consumer.
    pub fn consumer(&self) -> &Arc<BaseConsumer<C>> {
        &self.consumer
    }

    /// Routes exactly `partitions` (the current assignment) here: forwards each one's
    /// fetch queue to this queue, and gives the partitions routed before and no longer
    /// listed back to librdkafka (forward cleared).
    #[allow(unsafe_code)]
    pub fn route(&mut self, partitions: &[(String, i32)]) {
        let rk = self.consumer.client().native_ptr();
        let mut routed = Vec::with_capacity(partitions.len());
        for (topic, partition) in partitions {
            if let Some(i) = self
                .routed
                .iter()
                .position(|r| r.partition == *partition && r.topic == *topic)
            {
                routed.push(self.routed.swap_remove(i));
                continue;
            }
            let Ok(name) = CString::new(topic.as_str()) else {
                continue;
            };
            // SAFETY: `rk` is live (see `try_new`), `name` a NUL-terminated string; the
            // returned handle (NULL for an invalid partition) is owned by the new `Routed`.
            let queue =
                unsafe { rdsys::rd_kafka_queue_get_partition(rk, name.as_ptr(), *partition) };
            if let Some(queue) = NonNull::new(queue) {
                routed.push(Routed {
                    topic: topic.clone(),
                    partition: *partition,
                    queue: QueueHandle(queue),
                });
            }
        }
        for old in self.routed.drain(..) {
            // SAFETY: both handles are live; a NULL destination clears the forward.
            unsafe { rdsys::rd_kafka_queue_forward(old.queue.ptr(), std::ptr::null_mut()) };
        }
        self.routed = routed;
        self.reroute();
    }

    /// Forwards the routed partitions' fetch queues here again (a stopped fetcher cleared
    /// the forward; messages waiting in a partition's queue move here in order).
    #[allow(unsafe_code)]
    pub fn reroute(&self) {
        for r in &self.routed {
            // SAFETY: both handles are live and owned by this value.
            unsafe { rdsys::rd_kafka_queue_forward(r.queue.ptr(), self.queue.ptr()) };
        }
    }

    /// The partitions routed here.
    pub fn routed(&self) -> impl Iterator<Item = (&str, i32)> {
        self.routed.iter().map(|r| (r.topic.as_str(), r.partition))
    }

    /// Ops waiting on the consumer's queue (rebalances, commit results, statistics,
    /// errors, messages fetched before their partition was routed here): serve them with
    /// `BaseConsumer::poll` while this is not zero.
    #[allow(unsafe_code)]
    pub fn events_waiting(&self) -> usize {
        // SAFETY: a live handle owned by this value.
        unsafe { rdsys::rd_kafka_queue_length(self.consumer_queue.ptr()) }
    }

    /// Up to `max` messages in one call; waits up to `timeout` for each message while
    /// fewer than `max` arrived (librdkafka's behaviour: ask for one message to wait only
    /// for the first). Returns an empty batch on a timeout.
    #[allow(unsafe_code)]
    pub fn consume(&mut self, max: usize, timeout: Duration) -> Fetched<'_> {
        self.messages.clear();
        self.messages.reserve(max);
        let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        let room = self.messages.spare_capacity_mut();
        let max = max.min(room.len());
        // SAFETY: the queue handle is live; `room` has `max` writable pointer slots, and
        // librdkafka writes at most `max` of them (it returns how many, or -1).
        let n = unsafe {
            rdsys::rd_kafka_consume_batch_queue(
                self.queue.ptr(),
                timeout_ms,
                room.as_mut_ptr().cast::<*mut rdsys::rd_kafka_message_t>(),
                max,
            )
        };
        let n = usize::try_from(n).unwrap_or(0).min(max);
        // SAFETY: librdkafka initialised the first `n` slots with message pointers; the
        // vector's capacity holds them (`max` ≤ spare capacity).
        unsafe { self.messages.set_len(n) };
        Fetched {
            messages: &mut self.messages,
        }
    }
}

impl<C: ConsumerContext + 'static> Drop for FetchQueue<C> {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        for r in self.routed.drain(..) {
            // SAFETY: both handles are live; a NULL destination clears the forward, so no
            // partition keeps a reference to the queue destroyed next.
            unsafe { rdsys::rd_kafka_queue_forward(r.queue.ptr(), std::ptr::null_mut()) };
        }
        // `queue` and `consumer_queue` are destroyed by their own drops, before
        // `consumer` (field order).
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::ClientConfig;
    use rdkafka::consumer::{BaseConsumer, DefaultConsumerContext};
    use rdkafka::message::{BorrowedMessage, Header, Message, OwnedHeaders};
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

    fn produce(bootstrap: &str, topic: &str, partitions: i32, n: usize) {
        let p: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .create()
            .expect("producer");
        for i in 0..n {
            let payload = format!("m{i}");
            let key = format!("k{i}");
            let headers = OwnedHeaders::new()
                .insert(Header {
                    key: "n",
                    value: Some(&payload),
                })
                .insert(Header::<&str> {
                    key: "null",
                    value: None,
                });
            let record = BaseRecord::to(topic)
                .payload(&payload)
                .key(&key)
                .headers(headers)
                .partition(i as i32 % partitions)
                .timestamp(1_700_000_000_000 + i as i64);
            p.send(record).expect("send");
        }
        p.flush(Duration::from_secs(10)).expect("flush");
    }

    fn consumer(bootstrap: &str, group: &str) -> Arc<BaseConsumer<DefaultConsumerContext>> {
        Arc::new(
            ClientConfig::new()
                .set("bootstrap.servers", bootstrap)
                .set("group.id", group)
                .set("auto.offset.reset", "earliest")
                .set("enable.auto.commit", "false")
                .create()
                .expect("consumer"),
        )
    }

    type Row = (i32, i64, String, String, Option<i64>);

    /// A mock cluster with `n` messages in `topic` (`partitions` partitions), a consumer
    /// of `group` subscribed to it and its batch queue.
    fn setup(
        topic: &str,
        partitions: i32,
        n: usize,
        group: &str,
    ) -> (
        MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
        Arc<BaseConsumer<DefaultConsumerContext>>,
        FetchQueue<DefaultConsumerContext>,
    ) {
        let cluster = MockCluster::new(1).expect("mock cluster");
        cluster.create_topic(topic, partitions, 1).expect("topic");
        let bootstrap = cluster.bootstrap_servers();
        produce(&bootstrap, topic, partitions, n);
        let c = consumer(&bootstrap, group);
        c.subscribe(&[topic]).expect("subscribe");
        let q = FetchQueue::try_new(Arc::clone(&c)).expect("queue");
        (cluster, c, q)
    }

    fn row(m: &BorrowedMessage<'_>) -> Row {
        (
            m.partition(),
            m.offset(),
            String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
            String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
            m.timestamp().to_millis(),
        )
    }

    /// Reads every message of `topic` through the batch queue, serving the consumer's
    /// queue (rebalance) with `poll` as the crate's users do; returns (partition,
    /// offset, key, payload, timestamp) in order of arrival and how many came from the
    /// batch queue.
    fn read_all(
        q: &mut FetchQueue<DefaultConsumerContext>,
        topic: &str,
        n: usize,
    ) -> (Vec<Row>, usize) {
        let mut got = Vec::new();
        let mut batched = 0;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut routed_to = 0;
        while got.len() < n {
            assert!(std::time::Instant::now() < deadline, "timed out: {got:?}");
            let assignment: Vec<(String, i32)> = q
                .consumer()
                .assignment()
                .expect("assignment")
                .elements()
                .iter()
                .map(|e| (e.topic().to_string(), e.partition()))
                .collect();
            if assignment.len() != routed_to {
                routed_to = assignment.len();
                q.route(&assignment);
            }
            q.reroute();
            // The consumer's queue: at least one poll, so that the group is joined.
            let mut wait = Duration::from_millis(10);
            while q.events_waiting() > 0 || !wait.is_zero() {
                if let Some(Ok(m)) = q.consumer().poll(wait) {
                    got.push(row(&m));
                }
                wait = Duration::ZERO;
            }
            let batch = q.consume(64, Duration::from_millis(50));
            batched += batch.len();
            for m in batch.iter() {
                assert!(m.error().is_none(), "{:?}", m.error());
                assert_eq!(m.topic(), topic);
                let payload = m.payload().map(<[u8]>::to_vec);
                assert_eq!(
                    m.headers(),
                    vec![("n".to_string(), payload), ("null".to_string(), None)]
                );
                got.push((
                    m.partition(),
                    m.offset(),
                    String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                    String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
                    m.timestamp_ms(),
                ));
            }
        }
        (got, batched)
    }

    #[test]
    fn batches_return_every_message_once_in_partition_order() {
        let (_cluster, _c, mut q) = setup("t", 3, 300, "g1");
        let (mut got, batched) = read_all(&mut q, "t", 300);
        assert_eq!(got.len(), 300);
        assert!(batched > 0, "nothing came through the batch queue");
        for p in 0..3 {
            let offsets: Vec<i64> = got.iter().filter(|m| m.0 == p).map(|m| m.1).collect();
            assert_eq!(offsets, (0..100).collect::<Vec<i64>>(), "partition {p}");
        }
        got.sort_by_key(|m| (m.1, m.0));
        let (p, o, k, v, ts) = &got[4];
        // Message i went to partition i % 3 at offset i / 3: i = 3 * 1 + 1 = 4.
        assert_eq!((*p, *o, k.as_str(), v.as_str()), (1, 1, "k4", "m4"));
        assert_eq!(*ts, Some(1_700_000_000_004));
        // Nothing more, and an empty batch after the timeout.
        assert!(q.consume(16, Duration::from_millis(20)).is_empty());
    }

    #[test]
    fn a_reassignment_is_routed_again_and_rewinds() {
        let (_cluster, c, mut q) = setup("r", 1, 50, "g2");
        let (first, _) = read_all(&mut q, "r", 50);
        assert_eq!(first.len(), 50);
        // Rewind to offset 40 with an assign: the fetcher stops (clearing the forward)
        // and restarts; `reroute` brings its messages here.
        let mut tpl = rdkafka::TopicPartitionList::new();
        tpl.add_partition_offset("r", 0, rdkafka::Offset::Offset(40))
            .expect("tpl");
        c.assign(&tpl).expect("assign");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut again = Vec::new();
        let mut batched = 0;
        while again.len() < 10 {
            assert!(
                std::time::Instant::now() < deadline,
                "no messages after the rewind"
            );
            q.reroute();
            while q.events_waiting() > 0 {
                if let Some(Ok(m)) = c.poll(Duration::ZERO) {
                    again.push(m.offset());
                }
            }
            let batch = q.consume(64, Duration::from_millis(50));
            batched += batch.len();
            again.extend(batch.iter().map(|m| m.offset()));
        }
        assert_eq!(again, (40..50).collect::<Vec<i64>>());
        assert_eq!(
            batched, 10,
            "the restarted fetcher's messages came to the batch queue"
        );
    }
}
