//! [`destroy`]: destroying a consumer's librdkafka handle without the consumer close, as
//! ClickHouse does (`rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)`).
//!
//! The `rdkafka` crate's `Drop` of a `BaseConsumer` closes the consumer (leaves the group)
//! and polls until the close is done, without a time limit, then destroys the handle
//! (`rd_kafka_destroy`, whose own close is skipped once closed). Two things follow:
//! - The close waits for every commit still in flight (`rd_kafka_cgrp_try_terminate`
//!   needs `wait_commit_cnt == 0`), and with the broker gone a commit may never be
//!   answered: the drop never returns, and the handle's threads never end.
//! - A consumer its user already closed (`close_queue` and polling until `closed()`, to
//!   bound the close) is closed a second time by the drop, which fails
//!   (`_DESTROY`, "Consumer already closed") and is logged at ERROR level by the crate.
//!
//! [`destroy`] skips the crate's `Drop` and destroys the handle with
//! `RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE`: the close is not started (or, if the caller
//! started it, no longer waited for; librdkafka then leaves without committing and without
//! the LeaveGroup request), the group's requests still queued fail with `_DESTROY`, and
//! librdkafka's threads are joined before it returns. A consumer that was closed first
//! has already left its group; one that was not is removed from the group by the broker
//! after `session.timeout.ms`, as a crashed member.
//!
//! What the skipped `Drop` would have freed besides the handle: the crate's context `Arc`
//! (released here), the `group.id` string and the crate's handle of the consumer queue
//! (a few hundred bytes, not reachable through the crate's API), which stay allocated.

use std::mem::ManuallyDrop;
use std::sync::Arc;

use rdkafka::bindings as rdsys;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};

/// Destroys `consumer`'s handle without the consumer close (see the module docs). Must
/// not be called from a librdkafka callback. Returns once librdkafka's threads of the
/// handle have ended.
#[allow(unsafe_code)]
pub fn destroy<C: ConsumerContext>(consumer: BaseConsumer<C>) {
    let consumer = ManuallyDrop::new(consumer);
    let rk = consumer.client().native_ptr();
    let context: *const C = Arc::as_ptr(consumer.client().context());
    // SAFETY: `rk` is the live handle of `consumer`, which is never used or dropped after
    // this (`ManuallyDrop`), so the handle is destroyed once. The crate's context (the
    // handle's opaque, used by librdkafka's callbacks during the destroy) stays alive
    // until after the call.
    unsafe {
        rdsys::rd_kafka_destroy_flags(rk, rdsys::RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    // SAFETY: `context` is the pointer of the `Arc` the forgotten consumer's client holds
    // (one strong count, alive until here); that count is released here, in place of the
    // client's drop, and the forgotten client never touches it again. librdkafka no longer
    // calls back into the context: its threads ended in the destroy above.
    unsafe { Arc::decrement_strong_count(context) };
}
