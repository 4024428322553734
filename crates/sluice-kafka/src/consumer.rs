//! The consumption loop: [`KafkaConsumers::start`] runs `kafka_num_consumers` rdkafka
//! consumers of one group, each on its own OS thread. Each thread reads a block (poll
//! batches that end at `kafka_poll_max_batch_size` messages or after
//! `kafka_poll_timeout_ms`, as ClickHouse's `poll_batch`, until `kafka_max_block_size` rows
//! or `kafka_flush_interval_ms`), hands it to the [`KafkaSink`] in chunks of
//! [`CHUNK_BYTES`] as it is read ([`BlockWriter`]), and commits the block's offsets to
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

use crate::batch::MessageBatch;
use crate::config::{KafkaConfig, consumer_properties};
use crate::context::ConsumerCtx;
use crate::decode::{Decoder, reclaim_payload_buffer};
use crate::message::VirtualColumn;
use crate::seek_guard::SeekGuard;
use crate::settings::KafkaSettings;
use crate::sink::{BlockWriter, KafkaSink};
use crate::stats::{ConsumerState, ConsumerStateRef, ConsumerStats};

mod commit;
mod poll;
mod stop;
mod united;

use stop::InSink;
pub use stop::{JOIN_TIMEOUT, STOP_TIMEOUT};
use united::United;

/// A block is also closed once the sink holds this many bytes of it
/// ([`BlockWriter::buffered_bytes`]: the views' output, or the decoded rows for a sink that
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
    /// The partition's last offset so far, when `offset` lies below it (a message read
    /// out of order: see `poll::serve_consumer_queue`).
    fn below_last(&self, topic: &str, partition: i32, offset: i64) -> Option<i64> {
        self.ranges
            .iter()
            .find(|(t, p, _, _)| *p == partition && **t == *topic)
            .map(|r| r.3)
            .filter(|last| offset < *last)
    }

    fn add(&mut self, topic: &Arc<str>, partition: i32, offset: i64) {
        match self
            .ranges
            .iter_mut()
            .find(|(t, p, _, _)| *p == partition && (Arc::ptr_eq(t, topic) || **t == **topic))
        {
            Some(r) => {
                r.2 = r.2.min(offset);
                r.3 = r.3.max(offset);
            }
            None => self
                .ranges
                .push((Arc::clone(topic), partition, offset, offset)),
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

/// `sink.begin`, counted as time inside the sink, or the way into united block `united`.
fn begin<'s>(
    control: &Control,
    sink: &'s dyn KafkaSink,
    united: Option<(&'s United, u64)>,
    group: &str,
    index: usize,
) -> Result<Box<dyn BlockWriter + 's>> {
    if let Some((u, block)) = united {
        return Ok(Box::new(u.writer(index, block)));
    }
    let _in_sink = InSink::enter(control);
    sink.begin(group, index)
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
                positions.add(&t, m.partition(), m.offset());
            }
            let guard = &self.consumer.context().seek_guard;
            for m in self.fetch.consume(POLL_STEP, Duration::ZERO).iter() {
                if m.error().is_none() && !guard.drops(m.topic(), m.partition(), m.offset()) {
                    let t = self.topics.intern(m.topic());
                    positions.add(&t, m.partition(), m.offset());
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

    /// Reads one block and hands it to the sink chunk by chunk as it is read (see
    /// [`CHUNK_BYTES`]); commits it to the sink at the end, or, as part of united block
    /// `united` (`kafka_thread_per_consumer = 0`), returns [`Outcome::Read`].
    fn run_block(&mut self, united: Option<u64>) -> Outcome {
        let max_rows = self.settings.effective_max_block_size() as usize;
        let max_batch = (self.settings.effective_poll_max_batch_size() as usize).max(1);
        let poll_timeout = Duration::from_millis(self.settings.effective_poll_timeout_ms());
        let deadline =
            Instant::now() + Duration::from_millis(self.settings.effective_flush_interval_ms());
        self.consumer.context().begin_block();
        let sink = Arc::clone(&self.sink);
        let shared = self.united.clone();
        // Headers only when the sink's readers look at them (asked once per block).
        self.decoder.set_read_headers(true);
        let headers_skipped = self.decoder.wants_headers() && !sink.reads_headers();
        self.decoder.set_read_headers(!headers_skipped);
        let mut writer: Option<Box<dyn BlockWriter + '_>> = None;
        // The whole block's offsets, and the current chunk's.
        let mut span = Span::default();
        let mut chunk_span = Span::default();
        let mut rows = 0usize;
        let mut any = false;
        let mut last_read: Vec<(String, i32, i64)> = Vec::new();
        let mut empty_batches = 0u32;
        // The chunk's messages, kept until it is handed over: the decoder records where
        // each row is in them and builds the columns once per chunk.
        let mut chunk = MessageBatch::with_buffer(std::mem::take(&mut self.spare_payloads));
        chunk.reserve_payloads(CHUNK_BYTES + CHUNK_BYTES / 16);
        self.decoder.reset();
        self.reads = poll::ReadCounts::default();
        loop {
            if self.control.stop.load(Ordering::SeqCst) {
                // Abandon the block: nothing committed, re-read by whoever comes next.
                self.decoder.reset();
                return Outcome::Empty;
            }
            let now = Instant::now();
            // A poll batch ends at `kafka_poll_max_batch_size` messages or after
            // `kafka_poll_timeout_ms` (as ClickHouse's `poll_batch`), within the block's time.
            let batch_end = deadline.min(now + poll_timeout);
            if self.settings.commit_every_batch && any {
                // ClickHouse's intermediate commit: what was read so far, before the next
                // poll (not yet in the targets; exactly-once seeks ignore it). Nothing new
                // read since the last one: nothing to commit (librdkafka answers
                // `_NO_OFFSET` to ClickHouse's repeated commit without asking the broker).
                let read = span_offsets(&span, true);
                if read != last_read {
                    self.commit(&read);
                    last_read = read;
                }
            }
            // One poll batch of up to `max_batch` messages, read in steps of `POLL_STEP`:
            // the decoder splits each step's payloads while they are still in the cache,
            // and a chunk is handed over as soon as it holds `CHUNK_BYTES`.
            let mut budget = max_batch;
            let mut done;
            self.reads.batches += 1;
            loop {
                let step = budget.min(POLL_STEP);
                let before = chunk.len();
                // Each step waits for its first message until the batch's end.
                let wait = batch_end.saturating_duration_since(Instant::now());
                let more = self.poll_batch(&mut chunk, step, wait);
                let mut reordered = false;
                for i in before..chunk.len() {
                    let (topic, partition, offset) = chunk.position(i);
                    if !reordered && let Some(last) = span.below_last(topic, partition, offset) {
                        reordered = true;
                        tracing::debug!(
                            target: "sluice_kafka::exactly_once",
                            "consumer {}: {topic}[{partition}] offset {offset} read after {last} in one block",
                            self.index
                        );
                    }
                    span.add(topic, partition, offset);
                    chunk_span.add(topic, partition, offset);
                }
                if self.consumer.context().rebalanced.load(Ordering::SeqCst) {
                    if any || chunk.len() > before {
                        self.rewind_after_rebalance(&span);
                    }
                    self.decoder.reset();
                    return Outcome::Rebalanced;
                }
                let polled = chunk.len() - before;
                if polled > 0 {
                    any = true;
                    if let Err(e) = self.decoder.push(&chunk) {
                        self.decoder.reset();
                        return Outcome::Failed(e, span);
                    }
                }
                budget = budget.saturating_sub(polled);
                done = rows + self.decoder.pending_rows() >= max_rows || Instant::now() >= deadline;
                if !chunk.is_empty() && (done || chunk.size() >= CHUNK_BYTES) {
                    let w = match &mut writer {
                        Some(w) => w,
                        None => match begin(
                            &self.control,
                            sink.as_ref(),
                            shared.as_deref().zip(united),
                            &self.settings.group_name,
                            self.index,
                        ) {
                            Ok(w) if headers_skipped && w.reads_headers() => {
                                // A view reading the headers came after the block began:
                                // the block is read again, with them.
                                drop(w);
                                self.decoder.reset();
                                self.rewind(&span);
                                return Outcome::Empty;
                            }
                            Ok(w) => writer.insert(w),
                            Err(e) => {
                                self.decoder.reset();
                                return Outcome::Failed(e, span);
                            }
                        },
                    };
                    self.reads.chunks += 1;
                    let control = Arc::clone(&self.control);
                    let in_sink = InSink::enter(&control);
                    let handed = self.hand_over(&mut chunk, &chunk_span, w.as_mut());
                    drop(in_sink);
                    match handed {
                        Ok(n) => rows += n,
                        Err(e) => return Outcome::Failed(e, span),
                    }
                    chunk_span = Span::default();
                    chunk.reuse(std::mem::take(&mut self.spare_payloads));
                    chunk.reserve_payloads(CHUNK_BYTES + CHUNK_BYTES / 16);
                    // The sink's share only grows when a chunk is handed over, so a full
                    // block has no chunk left.
                    done |= writer
                        .as_ref()
                        .is_some_and(|w| w.buffered_bytes() >= MAX_BLOCK_BYTES);
                }
                // Drained before the batch's end: wait for more (the consumer is ahead of
                // the fetches; a batch that ended here would cost a commit per drain with
                // `kafka_commit_every_batch`).
                if done || budget == 0 || (!more && Instant::now() >= batch_end) {
                    break;
                }
            }
            if done {
                break;
            }
            // Part of a united block: a consumer that reads nothing ends its block as
            // ClickHouse's source does (after `MAX_EMPTY_BATCHES` empty polls; at once
            // without an assignment), instead of holding the others until the flush time.
            if united.is_some() && !any {
                empty_batches += 1;
                let unassigned = self.consumer.assignment().map_or(true, |a| a.count() == 0);
                if unassigned || empty_batches >= MAX_EMPTY_BATCHES {
                    break;
                }
            }
        }
        self.spare_payloads = chunk.take_payload_bytes();
        let Some(writer) = writer.filter(|_| any) else {
            return Outcome::Empty;
        };
        if united.is_some() {
            // Written (or not) with the other consumers' blocks: `settle_united`.
            return Outcome::Read(span);
        }
        let offsets = span_offsets(&span, true);
        let in_sink = InSink::enter(&self.control);
        let written = writer.commit(offsets.clone(), span_offsets(&span, false));
        drop(in_sink);
        match written {
            Ok(()) => {
                tracing::debug!(
                    target: "sluice_kafka::exactly_once",
                    "consumer {} wrote {rows} rows: from {:?} to {offsets:?}; read in {:?}",
                    self.index,
                    span_offsets(&span, false),
                    self.reads,
                );
                for (t, p, _, last) in &span.ranges {
                    self.state.set_position(t, *p, last + 1);
                }
                Outcome::Written(offsets)
            }
            Err(e) => Outcome::Failed(e, span),
        }
    }

    /// Decodes the chunk's messages and hands their rows to `writer`; returns the number
    /// of rows. The chunk's payload buffer is kept for the next chunk when the rows no
    /// longer hold it.
    fn hand_over(
        &mut self,
        chunk: &mut MessageBatch,
        span: &Span,
        writer: &mut dyn BlockWriter,
    ) -> Result<usize> {
        let starts = span_offsets(span, false);
        // The virtual columns the writer's readers do not look at are not built.
        let unread: Vec<VirtualColumn> = self
            .decoder
            .virtuals()
            .iter()
            .copied()
            .filter(|&v| !writer.reads_virtual(v, &starts))
            .collect();
        self.decoder.set_unread_virtuals(unread);
        let decoded = self.decoder.finish(chunk)?;
        let rows = decoded.batch.num_rows();
        writer.push(&decoded.batch, decoded.dead_letters, &starts)?;
        if let Some(buffer) = reclaim_payload_buffer(decoded.batch) {
            self.spare_payloads = buffer;
        }
        Ok(rows)
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
