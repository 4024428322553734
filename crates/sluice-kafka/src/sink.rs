//! Where consumed blocks go: [`KafkaSink`] (the engine's materialized-view push pipeline
//! implements it) and [`BlockWriter`], one block handed over in pieces.
//!
//! A block is what becomes durable at once: `kafka_max_block_size` rows or
//! `kafka_flush_interval_ms`, one insert per target recording the offsets after it. Its
//! messages are decoded and handed over in chunks of a few MiB of payload as they are
//! polled ([`crate::consumer::CHUNK_BYTES`]): a sink that runs views over each chunk
//! keeps only the views' output for the rest of the block, not every payload of it, and
//! the chunk's buffers are reused, warm, by the next chunk. A sink that only implements
//! [`KafkaSink::write`] gets the whole block at once through the default
//! [`KafkaSink::begin`], which buffers the chunks.
//!
//! With `kafka_thread_per_consumer = 0` and several consumers, one block receives the
//! chunks of every consumer's thread ([`KafkaSink::begin_shared`], `consumer/united.rs`).

use std::ops::Deref;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use sluice_common::{Error, Result};

use crate::decode::DeadLetter;
use crate::message::VirtualColumn;

/// A block of rows consumed from Kafka, handed to the sink.
#[derive(Debug)]
pub struct Block {
    /// Rows: the table's columns, then the requested virtual columns.
    pub batch: RecordBatch,
    /// Per partition: `(topic, partition, next offset)` after this block.
    pub offsets: Vec<(String, i32, i64)>,
    /// Per partition: `(topic, partition, first offset)` of this block (replay filter).
    pub start_offsets: Vec<(String, i32, i64)>,
    /// Broken messages (`kafka_handle_error_mode = 'dead_letter_queue'`).
    pub dead_letters: Vec<DeadLetter>,
    /// The consumer group.
    pub group: String,
    /// Index of the consumer that read the block (0 for a block of all consumers,
    /// `kafka_thread_per_consumer = 0`).
    pub consumer: usize,
}

/// Where consumed blocks go: the engine's materialized-view push pipeline.
pub trait KafkaSink: Send + Sync {
    /// Writes one block to every target. `Ok` means durable: the offsets are then
    /// committed to the group.
    fn write(&self, block: &Block) -> Result<()>;

    /// Exactly-once: the smallest next offset recorded with the data over all targets
    /// for `(group, topic, partition)`, `None` when some target has not recorded one (the
    /// partition then starts at the group's committed offset).
    fn committed_offsets(&self, group: &str, topic: &str, partition: i32) -> Option<i64>;

    /// Whether the next block's rows must carry the messages' headers (`_headers.name`,
    /// `_headers.value`). Asked once per block: librdkafka parses a message's header
    /// block only when asked for it, so a sink whose readers never look at the headers
    /// (the seed pipeline's view) saves that parse; without it the columns hold empty
    /// arrays. The default asks for them.
    fn reads_headers(&self) -> bool {
        true
    }

    /// Starts a block of consumer `consumer` of `group` that arrives in chunks. The
    /// default buffers the chunks and [`KafkaSink::write`]s them as one [`Block`] at
    /// [`BlockWriter::commit`].
    fn begin<'a>(&'a self, group: &str, consumer: usize) -> Result<Box<dyn BlockWriter + 'a>> {
        Ok(Box::new(Buffered::new(self, group, consumer)))
    }

    /// Starts a block of all consumers of `group` (`kafka_thread_per_consumer = 0`): its
    /// chunks come from several consumer threads, one at a time, and the last thread to
    /// finish its part commits it with every consumer's offsets. `None` (the default):
    /// the chunks are buffered and [`KafkaSink::write`]n as one [`Block`].
    fn begin_shared(&self, group: &str) -> Result<Option<Box<dyn BlockWriter + Send>>> {
        let _ = group;
        Ok(None)
    }
}

/// A block of all consumers of `group` written to `sink`: [`KafkaSink::begin_shared`], or
/// the chunks buffered and written as one [`Block`].
pub(crate) fn begin_united(
    sink: &Arc<dyn KafkaSink>,
    group: &str,
) -> Result<Box<dyn BlockWriter + Send>> {
    Ok(match sink.begin_shared(group)? {
        Some(w) => w,
        None => Box::new(Buffered::new(Arc::clone(sink), group, 0)),
    })
}

/// One block being handed to a sink in chunks. Dropping it without [`BlockWriter::commit`]
/// abandons the block: nothing of it is written.
pub trait BlockWriter {
    /// The next chunk's rows (possibly none: its messages still count for the offsets)
    /// and broken messages; `first_offsets` holds, per partition, the first offset of the
    /// chunk's messages.
    fn push(
        &mut self,
        batch: &RecordBatch,
        dead_letters: Vec<DeadLetter>,
        first_offsets: &[(String, i32, i64)],
    ) -> Result<()>;

    /// Bytes the writer holds for the block so far (the block is closed early above
    /// [`crate::consumer::MAX_BLOCK_BYTES`]).
    fn buffered_bytes(&self) -> usize;

    /// Whether this block's readers look at the headers. A block read without them (see
    /// [`KafkaSink::reads_headers`]) whose writer says yes here — a view reading
    /// `_headers.*` was created in between — is read again with them.
    fn reads_headers(&self) -> bool {
        true
    }

    /// Whether the next chunk's rows must carry virtual column `v` with its values
    /// (`first_offsets`: per partition, the first offset of the chunk's messages). Asked
    /// once per chunk and column before the chunk is decoded: a column no reader looks at
    /// is built as its type's zero values (0, the epoch, `''`, `[]`) without reading the
    /// messages. The default asks for every column.
    fn reads_virtual(&self, v: VirtualColumn, first_offsets: &[(String, i32, i64)]) -> bool {
        let _ = (v, first_offsets);
        true
    }

    /// Makes the block durable: `offsets` are the next offsets per partition after it,
    /// `start_offsets` its first ones. `Ok` means durable; the offsets are then committed
    /// to the group.
    fn commit(
        self: Box<Self>,
        offsets: Vec<(String, i32, i64)>,
        start_offsets: Vec<(String, i32, i64)>,
    ) -> Result<()>;
}

/// [`KafkaSink::begin`]'s default: the chunks kept until the block is complete, then
/// written to the sink `R` points to.
struct Buffered<R> {
    sink: R,
    batches: Vec<RecordBatch>,
    dead_letters: Vec<DeadLetter>,
    bytes: usize,
    group: String,
    consumer: usize,
}

impl<R> Buffered<R> {
    fn new(sink: R, group: &str, consumer: usize) -> Self {
        Self {
            sink,
            batches: Vec::new(),
            dead_letters: Vec::new(),
            bytes: 0,
            group: group.to_string(),
            consumer,
        }
    }
}

impl<R> BlockWriter for Buffered<R>
where
    R: Deref,
    R::Target: KafkaSink,
{
    fn push(
        &mut self,
        batch: &RecordBatch,
        dead_letters: Vec<DeadLetter>,
        _first_offsets: &[(String, i32, i64)],
    ) -> Result<()> {
        self.bytes += batch.get_array_memory_size();
        self.batches.push(batch.clone());
        self.dead_letters.extend(dead_letters);
        Ok(())
    }

    fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    fn commit(
        self: Box<Self>,
        offsets: Vec<(String, i32, i64)>,
        start_offsets: Vec<(String, i32, i64)>,
    ) -> Result<()> {
        let Some(first) = self.batches.first() else {
            return Err(Error::internal("a Kafka block committed without a chunk"));
        };
        let batch = if self.batches.len() == 1 {
            first.clone()
        } else {
            arrow::compute::concat_batches(&first.schema(), &self.batches)
                .map_err(|e| Error::internal(format!("kafka block concat: {e}")))?
        };
        self.sink.write(&Block {
            batch,
            offsets,
            start_offsets,
            dead_letters: self.dead_letters,
            group: self.group,
            consumer: self.consumer,
        })
    }
}
