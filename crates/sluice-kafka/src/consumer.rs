//! The consumption loop: [`KafkaConsumers::start`] runs `kafka_num_consumers` rdkafka
//! consumers of one group, each on its own OS thread. Each thread reads a block (poll
//! batches that end at `kafka_poll_max_batch_size` messages or after
//! `kafka_poll_timeout_ms`, as ClickHouse's `poll_batch`, until `kafka_max_block_size` rows
//! or `kafka_flush_interval_ms`), hands it to the [`KafkaSink`] in chunks of
//! [`CHUNK_BYTES`] as it is read ([`crate::sink::BlockWriter`]), and commits the block's offsets to
//! the group only after the sink's commit returned `Ok` (at-least-once). On a sink or
//! parse error nothing is committed, the exception is recorded for
//! `system.kafka_consumers`, the consumer rewinds to the block's first offsets and
//! retries after a back-off (a seek of the block's partitions, `Worker::rewind`). A
//! rebalance during a block discards the block (as ClickHouse does); the partitions it
//! assigns start at their start offsets (the context's `rebalance`), those the consumer
//! kept go back to the block's first offsets. With `kafka_exactly_once` (default) assigned
//! partitions start at the sink's recorded offsets ([`KafkaSink::committed_offsets`]), or at
//! the group's committed offset when that is ahead.
//!
//! With `kafka_thread_per_consumer = 1`, or one consumer, each consumer writes its own
//! blocks. With `= 0` (ClickHouse's default) and several consumers, their threads still
//! poll and decode in parallel, but each flush is one block of all of them, one insert per
//! target, after which every consumer commits its offsets (`consumer/united.rs`).
//!
//! Module map: `block` (reading one block), `poll` (the two queues a worker reads), `united`
//! (the block of all consumers), `commit` (committing to the group), `stop` (a bounded
//! stop).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arrow::datatypes::SchemaRef;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message as _;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use sluice_common::{Error, ErrorCode, Result};
use sluice_rdkafka_batch::FetchQueue;

use crate::config::{KafkaConfig, consumer_properties};
use crate::context::ConsumerCtx;
use crate::decode::Decoder;
use crate::message::VirtualColumn;
use crate::seek_guard::SeekGuard;
use crate::settings::KafkaSettings;
use crate::sink::KafkaSink;
use crate::stats::{ConsumerState, ConsumerStateRef, ConsumerStats};

mod block;
mod commit;
mod poll;
mod stop;
mod united;

pub use stop::{JOIN_TIMEOUT, STOP_TIMEOUT};
use united::United;

/// A block is also closed once the sink holds this many bytes of it
/// ([`crate::sink::BlockWriter::buffered_bytes`]: the views' output, or the decoded rows for a sink that
/// buffers them): with the default `kafka_max_block_size` (about a million rows) a view
/// keeping 400-byte JSON messages would hold gigabytes until the part is written.
/// ClickHouse bounds its inserts by bytes too (`min_insert_block_size_bytes`).
pub const MAX_BLOCK_BYTES: usize = 32 << 20;

/// Messages are decoded and handed to the sink in chunks of about this many payload bytes
/// ([`crate::sink`]): the block's size in rows decides its part, the chunk's size what is
/// held of the payloads at once. The chunk's payload buffer is reused by the next chunk.
pub const CHUNK_BYTES: usize = 4 << 20;

/// Messages are polled in steps of at most this many, each step's payloads split by the
/// decoder right after they were copied out of librdkafka: about 100 KiB of the seed
/// pipeline's events, still in the core's cache when the splitter reads them.
const POLL_STEP: usize = 256;

/// A consumer of a united block (`kafka_thread_per_consumer = 0`) that has read nothing
/// ends its block after this many empty poll batches (ClickHouse's
/// `MAX_FAILED_POLL_ATTEMPTS`: about 5 s at the default 500 ms poll timeout).
const MAX_EMPTY_BATCHES: u32 = 10;

/// While waiting for a first message on the batch queue, the consumer's own queue
/// (rebalances, errors, statistics) is served at least this often: a wait on one queue is
/// not woken by the other.
const EVENT_SLICE: Duration = Duration::from_millis(100);

/// What a consumer thread needs to know about its table.
#[derive(Clone)]
pub struct ConsumerSpec {
    /// The table's settings.
    pub settings: KafkaSettings,
    /// Server-level librdkafka properties.
    pub config: KafkaConfig,
    /// Database of the Kafka table.
    pub database: String,
    /// Name of the Kafka table.
    pub table: String,
    /// The table's ordinary columns.
    pub data_schema: SchemaRef,
    /// Virtual columns the views need, appended after the data columns.
    pub virtuals: Vec<VirtualColumn>,
}

/// Flags shared by all consumer threads of a table.
#[derive(Default)]
pub(crate) struct Control {
    /// Shared with the consumers' contexts too: a start seek's lookup gives up on it.
    pub(crate) stop: Arc<AtomicBool>,
    paused: AtomicBool,
    /// Workers inside a sink call (see [`stop::join_within`]).
    in_sink: AtomicUsize,
}

/// The running consumers of one Kafka table.
pub struct KafkaConsumers {
    control: Arc<Control>,
    states: Vec<ConsumerStateRef>,
    threads: Vec<JoinHandle<()>>,
}

pub(crate) type Consumer_ = BaseConsumer<ConsumerCtx>;

impl KafkaConsumers {
    /// Creates the consumers (configuration errors are returned here), subscribes them
    /// and starts their threads.
    pub fn start(spec: ConsumerSpec, sink: Arc<dyn KafkaSink>) -> Result<Self> {
        let control = Arc::new(Control::default());
        // Dropped on an error below, it stops and joins the threads started so far.
        let mut this = Self {
            control: Arc::clone(&control),
            states: Vec::new(),
            threads: Vec::new(),
        };
        let n = spec.settings.num_consumers.max(1) as usize;
        // `kafka_thread_per_consumer = 0`: one block (one insert) per flush for all.
        let united = (!spec.settings.thread_per_consumer && n > 1).then(|| {
            Arc::new(United::new(
                Arc::clone(&sink),
                &spec.settings.group_name,
                Arc::clone(&control),
                n,
            ))
        });
        let mut started = Vec::new();
        for index in 0..n {
            let state: ConsumerStateRef = Arc::new(ConsumerState::new(&spec.database, &spec.table));
            let made = Decoder::try_new(
                &spec.settings,
                Arc::clone(&spec.data_schema),
                &spec.virtuals,
            )
            .and_then(|decoder| {
                let consumer = create_consumer(
                    &spec,
                    index,
                    Arc::clone(&state),
                    Arc::clone(&sink),
                    Arc::clone(&control.stop),
                )?;
                Ok((consumer, decoder.with_table_name(&spec.table)))
            });
            let (consumer, decoder) = match made {
                Ok(made) => made,
                Err(e) => {
                    close_unstarted(started);
                    return Err(e);
                }
            };
            this.states.push(Arc::clone(&state));
            started.push((index, consumer, decoder, state));
        }
        let mut started = started.into_iter();
        while let Some((index, consumer, decoder, state)) = started.next() {
            let worker = match Worker::try_new(
                index,
                consumer,
                decoder,
                state,
                Arc::clone(&sink),
                Arc::clone(&control),
                spec.settings.clone(),
            ) {
                Ok(w) => w.with_united(united.clone()),
                Err(e) => {
                    close_unstarted(started.collect());
                    return Err(e);
                }
            };
            let name = format!("kafka-{}-{index}", spec.table);
            // A failed spawn drops the worker (its consumer with rust-rdkafka's own close).
            let spawned = std::thread::Builder::new()
                .name(name)
                .spawn(move || worker.run());
            match spawned {
                Ok(handle) => this.threads.push(handle),
                Err(e) => {
                    close_unstarted(started.collect());
                    return Err(Error::internal(format!(
                        "cannot spawn a Kafka consumer thread: {e}"
                    )));
                }
            }
        }
        Ok(this)
    }

    /// Stops consuming without leaving the group (`DETACH`); offsets stay where they are.
    pub fn pause(&self) {
        self.control.paused.store(true, Ordering::SeqCst);
    }

    /// Resumes after [`KafkaConsumers::pause`].
    pub fn resume(&self) {
        self.control.paused.store(false, Ordering::SeqCst);
    }

    /// Whether the consumers are paused.
    pub fn is_paused(&self) -> bool {
        self.control.paused.load(Ordering::SeqCst)
    }

    /// One snapshot per consumer, for `system.kafka_consumers`.
    pub fn stats(&self) -> Vec<ConsumerStats> {
        self.states.iter().map(|s| s.snapshot()).collect()
    }

    /// Stops the threads (each finishes or abandons its block without committing it),
    /// leaves the group and waits for the threads: at most [`JOIN_TIMEOUT`] for the
    /// librdkafka calls, also when the broker is gone (see the `consumer::stop` module docs).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.control.stop.store(true, Ordering::SeqCst);
        stop::join_within(&self.control, self.threads.drain(..).collect());
    }
}

/// Closes, within the stop bound, the consumers of a start that failed before their threads
/// ran (see [`stop`](self::stop)).
fn close_unstarted(consumers: Vec<(usize, Consumer_, Decoder, ConsumerStateRef)>) {
    for (index, consumer, _, _) in consumers {
        stop::close_and_destroy(index, Arc::new(consumer));
    }
}

impl Drop for KafkaConsumers {
    fn drop(&mut self) {
        self.shutdown();
    }
}

pub(crate) fn create_consumer(
    spec: &ConsumerSpec,
    index: usize,
    state: ConsumerStateRef,
    sink: Arc<dyn KafkaSink>,
    stop: Arc<AtomicBool>,
) -> Result<Consumer_> {
    let mut cfg = ClientConfig::new();
    for (k, v) in consumer_properties(
        &spec.settings,
        &spec.config,
        &spec.database,
        &spec.table,
        index,
    ) {
        cfg.set(k, v);
    }
    if let Some((_, id)) = cfg
        .config_map()
        .iter()
        .find(|(k, _)| k.as_str() == "client.id")
    {
        state.set_consumer_id(id);
    }
    let ctx = ConsumerCtx {
        state,
        sink,
        group: spec.settings.group_name.clone(),
        exactly_once: spec.settings.exactly_once,
        trust_group_offsets: !spec.settings.commit_every_batch,
        rebalanced: AtomicBool::new(false),
        assigned_since_block: Default::default(),
        stop,
        assignments: AtomicU64::new(0),
        seek_guard: SeekGuard::default(),
    };
    let consumer: Consumer_ = cfg.create_with_context(ctx).map_err(|e| {
        Error::new(
            ErrorCode::BAD_ARGUMENTS,
            format!("Cannot create a Kafka consumer: {e}"),
        )
    })?;
    let topics: Vec<&str> = spec
        .settings
        .topic_list
        .iter()
        .map(String::as_str)
        .collect();
    consumer.subscribe(&topics).map_err(|e| {
        Error::new(
            ErrorCode::BAD_ARGUMENTS,
            format!("Cannot subscribe to Kafka topics {topics:?}: {e}"),
        )
    })?;
    Ok(consumer)
}

/// The shared names of the topics read (one allocation per topic, not per message).
#[derive(Default)]
pub(crate) struct Topics {
    /// The last name returned: consecutive messages are almost always of one topic, and
    /// comparing a few bytes is cheaper than hashing them.
    last: Option<Arc<str>>,
    all: HashMap<String, Arc<str>>,
}

impl Topics {
    /// The shared name equal to `name`.
    fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some(t) = &self.last
            && **t == *name
        {
            return Arc::clone(t);
        }
        let t = match self.all.get(name) {
            Some(t) => Arc::clone(t),
            None => {
                let t: Arc<str> = Arc::from(name);
                self.all.insert(name.to_string(), Arc::clone(&t));
                t
            }
        };
        self.last = Some(Arc::clone(&t));
        t
    }
}

/// First and last offset per partition in a block.
#[derive(Default)]
struct Span {
    ranges: Vec<(Arc<str>, i32, i64, i64)>,
}

impl Span {
    /// Adds a message's offset; returns the partition's last offset so far when `offset`
    /// lies below it (a message read out of order: see `poll::serve_consumer_queue`).
    fn add(&mut self, topic: &Arc<str>, partition: i32, offset: i64) -> Option<i64> {
        match self
            .ranges
            .iter_mut()
            .find(|(t, p, _, _)| *p == partition && (Arc::ptr_eq(t, topic) || **t == **topic))
        {
            Some(r) => {
                let last = r.3;
                r.2 = r.2.min(offset);
                r.3 = r.3.max(offset);
                (offset < last).then_some(last)
            }
            None => {
                self.ranges
                    .push((Arc::clone(topic), partition, offset, offset));
                None
            }
        }
    }
}

/// How reading and writing one block ended.
enum Outcome {
    /// Nothing was read (or the consumer is stopping: the block was abandoned).
    Empty,
    /// A rebalance happened; the block in flight was dropped.
    Rebalanced,
    /// The sink made the block durable; the offsets after it, to commit.
    Written(Vec<(String, i32, i64)>),
    /// Parsing or the sink failed; the block must be re-read.
    Failed(Error, Span),
    /// The block went into the united block of all consumers, which is not settled yet.
    Read(Span),
    /// The united block was given up (rebalance, pause, stop); the block must be re-read.
    Abandoned(Span),
}

/// `(topic, partition, offset)` per partition of a span: its first offsets, or the
/// offsets after its last message.
fn span_offsets(span: &Span, next: bool) -> Vec<(String, i32, i64)> {
    span.ranges
        .iter()
        .map(|(t, p, first, last)| (t.to_string(), *p, if next { last + 1 } else { *first }))
        .collect()
}

pub(crate) struct Worker {
    pub(crate) index: usize,
    pub(crate) consumer: Arc<Consumer_>,
    /// The batch queue the assigned partitions' messages are routed to (one librdkafka
    /// call per up to [`POLL_STEP`] messages instead of one per message).
    pub(crate) fetch: FetchQueue<ConsumerCtx>,
    /// The [`ConsumerCtx::assignments`] count `fetch`'s routes were made for.
    pub(crate) routed_for: Option<u64>,
    pub(crate) decoder: Decoder,
    pub(crate) state: ConsumerStateRef,
    pub(crate) sink: Arc<dyn KafkaSink>,
    pub(crate) control: Arc<Control>,
    pub(crate) settings: KafkaSettings,
    pub(crate) topics: Topics,
    /// The previous block's payload buffer, for the next block to fill (its pages are
    /// already mapped).
    pub(crate) spare_payloads: Vec<u8>,
    /// The current block's reads.
    pub(crate) reads: poll::ReadCounts,
    /// The block of all consumers its blocks go into (`kafka_thread_per_consumer = 0`).
    united: Option<Arc<United>>,
}

impl Worker {
    /// A worker for `consumer` (its batch queue is made here).
    pub(crate) fn try_new(
        index: usize,
        consumer: Consumer_,
        decoder: Decoder,
        state: ConsumerStateRef,
        sink: Arc<dyn KafkaSink>,
        control: Arc<Control>,
        settings: KafkaSettings,
    ) -> Result<Self> {
        let consumer = Arc::new(consumer);
        let fetch = match FetchQueue::try_new(Arc::clone(&consumer)) {
            Ok(fetch) => fetch,
            Err(e) => {
                stop::close_and_destroy(index, consumer);
                return Err(Error::internal(format!("Kafka consumer batch queue: {e}")));
            }
        };
        Ok(Self {
            index,
            consumer,
            fetch,
            routed_for: None,
            decoder,
            state,
            sink,
            control,
            settings,
            topics: Topics::default(),
            spare_payloads: Vec::new(),
            reads: poll::ReadCounts::default(),
            united: None,
        })
    }

    /// Its blocks go into `united` instead of their own insert.
    fn with_united(mut self, united: Option<Arc<United>>) -> Self {
        self.united = united;
        self
    }

    fn run(mut self) {
        self.state.set_used(true);
        let base_backoff = Duration::from_millis(self.settings.consumer_reschedule_ms.max(10));
        let mut backoff = base_backoff;
        while !self.control.stop.load(Ordering::SeqCst) {
            if self.control.paused.load(Ordering::SeqCst) {
                self.idle_while_paused();
                continue;
            }
            let united = self.united.clone();
            let block = united.as_ref().map(|u| u.current());
            let mut outcome = self.run_block(block);
            if let (Some(u), Some(b)) = (united, block) {
                outcome = self.settle_united(&u, b, outcome);
            }
            match outcome {
                Outcome::Empty | Outcome::Rebalanced => {}
                Outcome::Written(offsets) => {
                    self.commit(&offsets);
                    backoff = base_backoff;
                }
                Outcome::Failed(e, span) => self.fail(e, &span, &mut backoff),
                Outcome::Read(span) | Outcome::Abandoned(span) => self.rewind(&span),
            }
        }
        self.state.set_used(false);
        self.close();
    }

    /// Records the exception, rewinds to the block start and waits (doubling, ≤ 10 s).
    fn fail(&mut self, e: Error, span: &Span, backoff: &mut Duration) {
        tracing::warn!(
            "Kafka consumer {} of {}: {}",
            self.index,
            self.settings.group_name,
            e.to_clickhouse_string()
        );
        self.state.push_exception(e.to_clickhouse_string());
        self.rewind(span);
        self.sleep(*backoff);
        *backoff = (*backoff * 2).min(Duration::from_secs(10));
    }

    /// Sleeps in small steps so that stop stays quick; keeps serving callbacks.
    fn sleep(&self, d: Duration) {
        let end = Instant::now() + d;
        while Instant::now() < end && !self.control.stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20).min(end - Instant::now()));
        }
    }

    /// While paused the consumer keeps its group membership: its partitions are paused
    /// and it polls (which returns nothing) to serve heartbeats and rebalances.
    fn idle_while_paused(&mut self) {
        let Ok(assignment) = self.consumer.assignment() else {
            self.sleep(Duration::from_millis(100));
            return;
        };
        if let Err(e) = self.consumer.pause(&assignment) {
            tracing::debug!("pause: {e}");
        }
        let mut positions = Span::default();
        while self.control.paused.load(Ordering::SeqCst)
            && !self.control.stop.load(Ordering::SeqCst)
        {
            self.route();
            // Messages fetched before the pause took effect: read them again later.
            if let Some(Ok(m)) = self.consumer.poll(Duration::from_millis(100))
                && !self
                    .consumer
                    .context()
                    .seek_guard
                    .drops(m.topic(), m.partition(), m.offset())
            {
                let t = self.topics.intern(m.topic());
                let _ = positions.add(&t, m.partition(), m.offset());
            }
            let guard = &self.consumer.context().seek_guard;
            for m in self.fetch.consume(POLL_STEP, Duration::ZERO).iter() {
                if m.error().is_none() && !guard.drops(m.topic(), m.partition(), m.offset()) {
                    let t = self.topics.intern(m.topic());
                    let _ = positions.add(&t, m.partition(), m.offset());
                }
            }
            if self
                .consumer
                .context()
                .rebalanced
                .swap(false, Ordering::SeqCst)
                && let Ok(a) = self.consumer.assignment()
            {
                positions.ranges.clear();
                let _ = self.consumer.pause(&a);
            }
        }
        if let Ok(a) = self.consumer.assignment() {
            let _ = self.consumer.resume(&a);
        }
        if !positions.ranges.is_empty() {
            self.rewind(&positions);
        }
    }

    /// Rewinds the partitions of `span` to their first offsets (re-read the block) with a
    /// seek, which leaves the assignment alone: librdkafka moves such a partition's fetch
    /// version on the calling thread, so a message fetched before the seek is never served
    /// after it (an `assign` starts the new fetch on librdkafka's own thread, and messages
    /// of the old one could still come, ending the [`SeekGuard`] early). A partition no
    /// longer assigned, or assigned by a rebalance since the block began (it starts at its
    /// own start offset, which another server's commit may have moved past the block), is
    /// left alone.
    fn rewind(&mut self, span: &Span) {
        if span.ranges.is_empty() {
            return;
        }
        let Ok(assignment) = self.consumer.assignment() else {
            return;
        };
        let ctx = self.consumer.context();
        let fresh = ctx.assigned_since_block.lock().clone();
        let mut tpl = TopicPartitionList::new();
        for (t, p, first, _) in &span.ranges {
            let (t, p) = (&**t, *p);
            if assignment.find_partition(t, p).is_none()
                || fresh.iter().any(|(ft, fp)| *fp == p && ft == t)
            {
                continue;
            }
            self.state.set_position(t, p, *first);
            // Where a block started is usually inside a record batch.
            let from = ctx.seek_guard.fetch_offset(t, p, *first);
            if tpl
                .add_partition_offset(t, p, Offset::Offset(from))
                .is_err()
            {
                return;
            }
        }
        if tpl.count() == 0 {
            return;
        }
        tracing::info!(
            target: "sluice_kafka::exactly_once",
            "consumer {} rewinds to the first offsets of {:?}",
            self.index,
            span.ranges
        );
        if let Err(e) = self.consumer.seek_partitions(tpl, Duration::ZERO) {
            self.state.push_exception(format!("rewind: {e}"));
        }
    }

    /// After a rebalance in the middle of a block: the partitions the consumer kept (a
    /// cooperative rebalance) go back to the block's first offsets; those the rebalance
    /// assigned start at their start offsets already (see [`ConsumerCtx`]'s `rebalance`).
    fn rewind_after_rebalance(&mut self, span: &Span) {
        self.rewind(span);
        self.consumer
            .context()
            .rebalanced
            .store(false, Ordering::SeqCst);
    }
}
