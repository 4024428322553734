//! Reading one block ([`Worker::run_block`]): poll batches of up to
//! `kafka_poll_max_batch_size` messages until `kafka_max_block_size` rows,
//! `kafka_flush_interval_ms` or [`MAX_BLOCK_BYTES`] of the sink's share, handed to the sink
//! in chunks of about [`CHUNK_BYTES`] of payloads as they are read, and committed to the
//! sink at the end (or, with `kafka_thread_per_consumer = 0`, brought to the united block).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;
use sluice_common::Result;

use super::stop::InSink;
use super::united::United;
use super::{
    CHUNK_BYTES, Control, MAX_BLOCK_BYTES, MAX_EMPTY_BATCHES, Outcome, POLL_STEP, Span, Worker,
    poll, span_offsets,
};
use crate::batch::MessageBatch;
use crate::decode::reclaim_payload_buffer;
use crate::message::VirtualColumn;
use crate::sink::{BlockWriter, KafkaSink};

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

impl Worker {
    /// Reads one block and hands it to the sink chunk by chunk as it is read (see
    /// [`CHUNK_BYTES`]); commits it to the sink at the end, or, as part of united block
    /// `united` (`kafka_thread_per_consumer = 0`), returns [`Outcome::Read`].
    pub(super) fn run_block(&mut self, united: Option<u64>) -> Outcome {
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
                    if let Some(last) = span.add(topic, partition, offset)
                        && !reordered
                    {
                        reordered = true;
                        tracing::debug!(
                            target: "sluice_kafka::exactly_once",
                            "consumer {}: {topic}[{partition}] offset {offset} read after {last} in one block",
                            self.index
                        );
                    }
                    let _ = chunk_span.add(topic, partition, offset);
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
}
