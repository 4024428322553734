//! Stopping consumers within a time limit, also when the broker is gone.
//!
//! librdkafka's calls on the stop path wait for the broker: a synchronous commit waits for
//! its result without a time limit (`rd_kafka_commit` → `rd_kafka_q_wait_result(-1)`; with
//! the broker gone a server had not exited 6.5 min after SIGTERM, its consumer thread in
//! that commit), and rust-rdkafka's `Drop` polls until the consumer's close (leaving the
//! group) is done, without a limit; the close itself waits for every commit in flight.
//! ClickHouse bounds its stop: it drains for at most 5 s, destroys its handles without the
//! consumer close (`RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE`) and waits 3 s for librdkafka's
//! threads.
//!
//! Here a commit is bounded by itself (`commit.rs`: its answer is waited for at most
//! `COMMIT_STOP_GRACE` once stopping, and no second attempt); a stopping worker closes its
//! consumer by polling for at most [`STOP_TIMEOUT`] and then destroys the handle without
//! the close (`sluice_rdkafka_batch::destroy`): after a close that finished this is the
//! plain destroy (and no second close, which rust-rdkafka's `Drop` would make and log as an
//! ERROR); after one that did not (the broker gone), librdkafka fails what is still queued
//! and its threads end. One wait is left in the destroy: a commit librdkafka deferred for
//! want of a group coordinator stays queued until `session.timeout.ms` after it was
//! deferred or after the close began (librdkafka's `rd_kafka_cgrp_try_terminate` times its
//! wait-for-coordinator queue out then): 6 s in the tests' configuration, 45 s with
//! librdkafka's default. [`join_within`] waits for the threads up to [`JOIN_TIMEOUT`]
//! (longer while one is inside the sink, whose work is local) and leaves the others running
//! detached: they end with that wait, or with the start seek of an assignment callback
//! (`context.rs`, 10 s at most). Nothing acknowledged is lost: a block is committed to the
//! group only after it is in every target, and a block written but not committed is
//! filtered out by the targets' recorded offsets (exactly-once) or read again.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Consumer_, Control, Worker};

/// How long a stopping consumer waits for its close (leaving the group) to finish.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long `join_within` waits for the consumer threads of a table (they stop in
/// parallel): the close's [`STOP_TIMEOUT`] plus the destruction of the handle.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(8);

/// Counts a worker's time inside the sink, where the stop waits without a time limit.
pub(crate) struct InSink<'a>(&'a Control);

impl<'a> InSink<'a> {
    /// Marks the start of a sink call; the end is the guard's drop.
    pub(crate) fn enter(control: &'a Control) -> Self {
        control.in_sink.fetch_add(1, Ordering::SeqCst);
        Self(control)
    }
}

impl Drop for InSink<'_> {
    fn drop(&mut self) {
        self.0.in_sink.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Worker {
    /// Closes the consumer (leaves the group) within [`STOP_TIMEOUT`], then destroys its
    /// handle without a second close: when the close is not done by then (the broker is
    /// gone), the destroy abandons it.
    pub(crate) fn close(self) {
        let Worker {
            index,
            consumer,
            fetch,
            ..
        } = self;
        // The batch queue holds the other reference to the consumer.
        drop(fetch);
        close_and_destroy(index, consumer);
    }
}

/// Closes consumer `index` (leaves the group) within [`STOP_TIMEOUT`], then destroys its
/// handle without a second close (see [`Worker::close`]).
pub(crate) fn close_and_destroy(index: usize, consumer: Arc<Consumer_>) {
    let started = Instant::now();
    if let Err(e) = consumer.close_queue() {
        tracing::debug!("Kafka consumer {index}: close: {e}");
    }
    while !consumer.closed() && started.elapsed() < STOP_TIMEOUT {
        // What is polled now is not committed: it is read again by the next owner.
        let _ = consumer.poll(Duration::from_millis(100));
    }
    if !consumer.closed() {
        tracing::warn!(
            "Kafka consumer {index}: the close did not finish within {STOP_TIMEOUT:?} (broker unreachable?); destroying the consumer without it"
        );
    }
    match Arc::try_unwrap(consumer) {
        Ok(consumer) => sluice_rdkafka_batch::destroy(consumer),
        Err(consumer) => {
            // Not reached (the worker holds the only other reference); its drop would
            // close it again, without a limit.
            tracing::warn!("Kafka consumer {index}: still shared at its stop; left open");
            std::mem::forget(consumer);
        }
    }
}

/// Joins the threads within [`JOIN_TIMEOUT`] (longer while one of them is inside the sink);
/// the threads still running after that are left detached, with a warning.
pub(crate) fn join_within(control: &Control, threads: Vec<JoinHandle<()>>) {
    let deadline = Instant::now() + JOIN_TIMEOUT;
    for t in threads {
        while !t.is_finished()
            && (Instant::now() < deadline || control.in_sink.load(Ordering::SeqCst) > 0)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        if !t.is_finished() {
            tracing::warn!(
                "a Kafka consumer thread did not stop within {JOIN_TIMEOUT:?}: left running"
            );
            continue;
        }
        if t.join().is_err() {
            tracing::error!("a Kafka consumer thread panicked");
        }
    }
}
