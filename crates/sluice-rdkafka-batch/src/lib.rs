//! Batch consumption from librdkafka behind a safe API, and the calls a bounded stop needs.
//!
//! The `rdkafka` crate's `BaseConsumer::poll` returns one message per call: one queue
//! lock, two `rd_clock()` reads in librdkafka (`rk_ts_last_poll` and the poll-idle ratio),
//! one `Instant::now()` and one `Arc` per event in the crate. librdkafka's
//! `rd_kafka_consume_batch_queue` returns up to N messages per call with that bookkeeping
//! once. It cannot be called on the consumer's own queue: the `rdkafka` crate enables
//! librdkafka's event API and sets no rebalance callback, so a rebalance op popped by the
//! batch call would be served as "no callback: unassign everything" and the consumer's
//! `ConsumerContext` would never see it.
//!
//! Entry point: [`FetchQueue`]. It owns a queue of its own into which the assigned
//! partitions' fetch queues are forwarded ([`FetchQueue::route`]), so that it only ever
//! holds fetched messages and fetch errors; rebalances, commits, statistics and errors
//! stay on the consumer's queue, served by `BaseConsumer::poll` as before
//! ([`FetchQueue::events_waiting`] says when there is something to serve).
//!
//! Two more calls the `rdkafka` crate lacks, for stopping a consumer within a time limit
//! also when the broker is gone: a commit whose result is waited for with a time limit
//! ([`PendingCommit`]), and destroying a consumer's handle without the consumer close
//! ([`destroy()`]).
//!
//! Module map:
//! - [`queue`]: [`FetchQueue`], the forwarding and the batch call.
//! - [`message`]: [`Fetched`] (one batch, its messages destroyed on drop) and
//!   [`FetchedMessage`] (one message, borrowed).
//! - [`commit`]: [`PendingCommit`] (`rd_kafka_commit_queue` on a queue of its own).
//! - [`mod@destroy`]: [`destroy()`] (`rd_kafka_destroy_flags` with
//!   `RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE`).
//! - `handle`: the queue handles this crate owns.
//!
//! `unsafe` is denied in this crate except on the items that call librdkafka, each block
//! with a `// SAFETY:` comment.

pub mod commit;
pub mod destroy;
mod handle;
pub mod message;
pub mod queue;

pub use commit::PendingCommit;
pub use destroy::destroy;
pub use message::{Fetched, FetchedMessage};
pub use queue::{FetchQueue, FetchQueueError};
