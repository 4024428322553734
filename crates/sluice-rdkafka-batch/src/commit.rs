//! [`PendingCommit`]: a commit of a consumer's offsets whose result is waited for with a
//! time limit.
//!
//! The `rdkafka` crate offers a synchronous commit, which waits for the result without a
//! limit (`rd_kafka_commit(async = 0)` → `rd_kafka_q_wait_result(RD_POLL_INFINITE)`), and
//! an asynchronous one, which asks for no result (its `ConsumerContext::commit_callback`
//! is not called for it). Here the commit's result is asked for on a queue of its own
//! (`rd_kafka_commit_queue`, as the synchronous commit does inside librdkafka) and waited
//! for on that queue (`rd_kafka_queue_poll`) as long as the caller wants.
//!
//! How librdkafka 2.12.1 handles the request (rdkafka_offset.c, rdkafka_cgrp.c):
//! - The commit is an op on the consumer group's queue; the group sends it to the
//!   coordinator, or defers it while there is none (`rd_kafka_cgrp_defer_offset_commit`:
//!   up to `session.timeout.ms`), and a request that could not be sent is put back in the
//!   broker's queue (`rd_kafka_buf_retry` counts only sent attempts), so with the broker
//!   gone there may be no answer for a long time, or none at all.
//! - The answer (the request's error and each partition's) is put on the queue given here
//!   as an `OFFSET_COMMIT` event. A queue destroyed before the answer came is disabled
//!   (`rd_kafka_q_destroy_owner`), and the late answer is discarded on arrival: a
//!   [`PendingCommit`] can be dropped at any time.
//! - A commit still waiting keeps the group's close from finishing
//!   (`rd_kafka_cgrp_try_terminate` needs `wait_commit_cnt == 0`); destroying the handle
//!   without the close ([`crate::destroy()`]) ends it with `_DESTROY`.

use std::marker::PhantomData;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use rdkafka::bindings as rdsys;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::topic_partition_list::TopicPartitionList;

use crate::handle::QueueHandle;

/// A commit sent by [`PendingCommit::start`], whose result [`PendingCommit::wait`] waits
/// for. Borrows the consumer: its handle outlives the commit's queue.
pub struct PendingCommit<'c> {
    queue: QueueHandle,
    _consumer: PhantomData<&'c ()>,
}

// SAFETY: a librdkafka queue handle may be used from any thread (every queue operation
// takes the queue's lock) and is owned by this value alone.
#[allow(unsafe_code)]
unsafe impl Send for PendingCommit<'_> {}

impl<'c> PendingCommit<'c> {
    /// Sends a commit of `offsets` for `consumer`'s group; its answer goes to a queue of
    /// its own. `Err`: librdkafka refused it at once (no group).
    #[allow(unsafe_code)]
    pub fn start<C: ConsumerContext>(
        consumer: &'c BaseConsumer<C>,
        offsets: &TopicPartitionList,
    ) -> KafkaResult<Self> {
        let rk = consumer.client().native_ptr();
        // SAFETY: `rk` is the live handle of `consumer`, which the returned value borrows,
        // so the queue is destroyed before the handle.
        let queue = NonNull::new(unsafe { rdsys::rd_kafka_queue_new(rk) }).ok_or(
            KafkaError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::Fail),
        )?;
        let queue = QueueHandle(queue);
        // SAFETY: `rk` and the queue are live; librdkafka copies `offsets` (a live list)
        // before returning; no callback and no opaque are passed.
        let err = unsafe {
            rdsys::rd_kafka_commit_queue(rk, offsets.ptr(), queue.ptr(), None, std::ptr::null_mut())
        };
        if err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(KafkaError::ConsumerCommit(err.into()));
        }
        Ok(Self {
            queue,
            _consumer: PhantomData,
        })
    }

    /// Waits up to `timeout` for the commit's answer: `Some(Ok)` when the group took
    /// every offset, `Some(Err)` with the request's error or the first partition's,
    /// `None` when no answer came within `timeout` (wait again, or drop the commit: its
    /// outcome is then unknown). The answer is returned once.
    #[allow(unsafe_code)]
    pub fn wait(&mut self, timeout: Duration) -> Option<KafkaResult<()>> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
            // SAFETY: the queue handle is live and owned by this value.
            let event = NonNull::new(unsafe { rdsys::rd_kafka_queue_poll(self.queue.ptr(), ms) })?;
            let event = Event(event);
            // SAFETY: a live event returned by librdkafka, destroyed by `Event`'s drop.
            let kind = unsafe { rdsys::rd_kafka_event_type(event.ptr()) };
            if kind == rdsys::RD_KAFKA_EVENT_OFFSET_COMMIT {
                return Some(event.commit_result());
            }
            if left.is_zero() {
                return None;
            }
        }
    }
}

/// A librdkafka event, destroyed on drop.
struct Event(NonNull<rdsys::rd_kafka_event_t>);

impl Event {
    fn ptr(&self) -> *mut rdsys::rd_kafka_event_t {
        self.0.as_ptr()
    }

    /// The request's error, else the first partition's error, of an `OFFSET_COMMIT`
    /// event.
    #[allow(unsafe_code)]
    fn commit_result(&self) -> KafkaResult<()> {
        // SAFETY: a live event.
        let err = unsafe { rdsys::rd_kafka_event_error(self.ptr()) };
        if err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(KafkaError::ConsumerCommit(err.into()));
        }
        // SAFETY: a live event; the list (NULL when none) belongs to the event and is
        // only read here, while the event lives.
        let list = unsafe { rdsys::rd_kafka_event_topic_partition_list(self.ptr()) };
        // SAFETY: a non-NULL list is a valid `rd_kafka_topic_partition_list_t`.
        let Some(list) = (unsafe { list.as_ref() }) else {
            return Ok(());
        };
        let n = usize::try_from(list.cnt).unwrap_or(0);
        if n == 0 || list.elems.is_null() {
            return Ok(());
        }
        // SAFETY: `elems` points to `cnt` initialised elements owned by the list.
        let elems = unsafe { std::slice::from_raw_parts(list.elems, n) };
        match elems
            .iter()
            .find(|e| e.err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
        {
            Some(e) => Err(KafkaError::ConsumerCommit(e.err.into())),
            None => Ok(()),
        }
    }
}

impl Drop for Event {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: the event was returned by `rd_kafka_queue_poll`, is owned by this value
        // and destroyed once.
        unsafe { rdsys::rd_kafka_event_destroy(self.ptr()) };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use rdkafka::ClientConfig;
    use rdkafka::consumer::{BaseConsumer, Consumer, DefaultConsumerContext};
    use rdkafka::mocking::MockCluster;
    use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

    use super::PendingCommit;

    /// A consumer of `group`; `session.timeout.ms` 6 s (librdkafka's default: 45 s), which
    /// also bounds how long a commit without a coordinator holds the destroy.
    fn consumer(bootstrap: &str, group: &str) -> BaseConsumer<DefaultConsumerContext> {
        ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("session.timeout.ms", "6000")
            .set("heartbeat.interval.ms", "500")
            .create()
            .expect("consumer")
    }

    fn offsets(topic: &str, partition: i32, offset: i64) -> TopicPartitionList {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
            .expect("offset");
        tpl
    }

    #[test]
    fn a_commit_is_answered_and_made() {
        let cluster = MockCluster::new(1).expect("mock cluster");
        cluster.create_topic("c", 2, 1).expect("topic");
        let c = consumer(&cluster.bootstrap_servers(), "commit_group");
        let mut pending = PendingCommit::start(&c, &offsets("c", 1, 42)).expect("start");
        let answer = pending.wait(Duration::from_secs(30));
        assert!(matches!(answer, Some(Ok(()))), "{answer:?}");
        // Answered once.
        assert!(pending.wait(Duration::from_millis(10)).is_none());
        drop(pending);
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition("c", 1);
        let committed = c
            .committed_offsets(tpl, Duration::from_secs(10))
            .expect("committed");
        assert_eq!(
            committed.find_partition("c", 1).map(|e| e.offset()),
            Some(Offset::Offset(42))
        );
        crate::destroy(c);
    }

    #[test]
    fn without_a_broker_there_is_no_answer_and_the_handle_is_destroyed() {
        // A port nothing listens on: the group never finds its coordinator.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let c = Arc::new(consumer(&format!("127.0.0.1:{port}"), "gone_group"));
        c.subscribe(&["c"]).expect("subscribe");
        let mut pending = PendingCommit::start(&c, &offsets("c", 0, 7)).expect("start");
        assert!(pending.wait(Duration::from_millis(500)).is_none());
        // Dropped unanswered: a late answer finds its queue disabled.
        drop(pending);
        let c = Arc::try_unwrap(c).ok().expect("one owner");
        // The destroy does not wait for the close; the commit still queued for want of a
        // coordinator holds it until librdkafka times that queue out (`session.timeout.ms`
        // after the commit was deferred). A hang would fail the receive below.
        let (tx, rx) = std::sync::mpsc::channel();
        let started = std::time::Instant::now();
        std::thread::spawn(move || {
            crate::destroy(c);
            let _ = tx.send(());
        });
        assert!(
            rx.recv_timeout(Duration::from_secs(120)).is_ok(),
            "destroy hung"
        );
        println!("destroy with a commit queued: {:?}", started.elapsed());
    }
}
