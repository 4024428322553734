//! `kafka_thread_per_consumer = 0` (ClickHouse's default) with several consumers: one
//! insert for all of them per flush.
//!
//! ClickHouse's `StorageKafka::streamToViews` reads the `kafka_num_consumers` consumers in
//! parallel (one `KafkaSource` each, each ending its block at `kafka_max_block_size` rows or
//! `kafka_flush_interval_ms`), unites their blocks into one `INSERT` into the views, and
//! commits every consumer after that insert; an exception in any of them (a parse error, a
//! view failing) fails the whole insert, nothing is committed, every consumer re-reads and
//! shows the exception. With `= 1` each consumer has its own task, insert and commit.
//!
//! Here the workers keep polling and decoding on their own threads; their chunks go into
//! one [`BlockWriter`] per flush ([`United`]'s block, begun with
//! [`crate::sink::begin_united`]), whose views run on the thread that hands a chunk over,
//! one at a time (ClickHouse's united insert also runs its views on one chain). A worker
//! whose block is complete waits until every worker has brought its block; the last one
//! commits the united block with every worker's offsets (one part per target), and then
//! each worker commits its own consumer's offsets to the group. The outcome of one block
//! is the outcome of all: a failure is every consumer's exception, and every worker
//! rewinds to its block's first offsets. A worker that reads nothing ends its part early
//! (at once without an assignment, else after `MAX_EMPTY_BATCHES` empty polls, like
//! ClickHouse's source), so an idle consumer does not hold the others until the flush time.
//!
//! ClickHouse drops only the rebalanced consumer's rows of the cycle; here that consumer's
//! chunks have already gone through the views, so when it had handed some over the whole
//! united block is abandoned and every worker reads its part again (the rows are the same,
//! one flush later). Pause (`DETACH`) and stop abandon the block being filled too: a worker
//! waiting for the others gives up at once, the others find their block gone when they
//! bring it, and all of them rewind.

use std::sync::Arc;
use std::time::Duration;

use arrow::record_batch::RecordBatch;
use parking_lot::{Condvar, Mutex};
use sluice_common::{Error, ErrorCode, Result};

use super::stop::InSink;
use super::{Control, Outcome, Worker, span_offsets};
use crate::decode::DeadLetter;
use crate::message::VirtualColumn;
use crate::sink::{BlockWriter, KafkaSink, begin_united};

/// How often a worker waiting for the others checks for stop and pause.
const WAIT_SLICE: Duration = Duration::from_millis(50);

/// `(topic, partition, offset)` per partition.
type Offsets = Vec<(String, i32, i64)>;

/// The united block of a table's workers (see the module docs).
pub(crate) struct United {
    sink: Arc<dyn KafkaSink>,
    group: String,
    control: Arc<Control>,
    inner: Mutex<Inner>,
    changed: Condvar,
}

/// The block being filled and what each worker brought to it.
struct Inner {
    /// Number of the block being filled; a worker joins the current one when it starts
    /// reading, and its pushes and arrival count only while the number is still the same.
    block: u64,
    /// Begun with the first chunk of the block.
    writer: Option<Box<dyn BlockWriter + Send>>,
    /// Per worker: its part of the current block, once it is complete.
    arrived: Vec<Option<Arrival>>,
    /// Per worker: whether it handed chunks to the current block.
    pushed: Vec<bool>,
    /// Per worker: how the last block it arrived at was settled.
    settled: Vec<Option<(u64, Settled)>>,
}

/// What one worker brings to the united block.
enum Arrival {
    /// Nothing of it is in the block.
    Nothing,
    /// Its chunks are in the block: the next and the first offsets per partition.
    Read { next: Offsets, first: Offsets },
    /// Reading or handing over failed.
    Failed(Error),
    /// A rebalance: its chunks (if any) cannot be committed.
    Rebalanced,
}

/// How a united block ended.
#[derive(Clone, Debug)]
enum Settled {
    /// Written to every target (or empty); each worker commits its offsets.
    Written,
    /// Not written: every worker records the exception and re-reads its part.
    Failed(Error),
    /// Given up (rebalance, pause, stop): every worker re-reads its part.
    Abandoned,
}

impl United {
    /// The united block of `workers` consumers of `group` writing to `sink`.
    pub(crate) fn new(
        sink: Arc<dyn KafkaSink>,
        group: &str,
        control: Arc<Control>,
        workers: usize,
    ) -> Self {
        Self {
            sink,
            group: group.to_string(),
            control,
            inner: Mutex::new(Inner {
                block: 0,
                writer: None,
                arrived: (0..workers).map(|_| None).collect(),
                pushed: vec![false; workers],
                settled: (0..workers).map(|_| None).collect(),
            }),
            changed: Condvar::new(),
        }
    }

    /// The number of the block a worker that starts reading now joins.
    pub(crate) fn current(&self) -> u64 {
        self.inner.lock().block
    }

    /// Worker `index`'s way into block `block`.
    pub(crate) fn writer(&self, index: usize, block: u64) -> UnitedWriter<'_> {
        UnitedWriter {
            united: self,
            index,
            block,
        }
    }

    /// The writer of block `block`, begun if needed; an error when that block is over.
    fn open<'i>(
        &self,
        inner: &'i mut Inner,
        block: u64,
    ) -> Result<&'i mut Box<dyn BlockWriter + Send>> {
        if inner.block != block {
            return Err(Error::new(
                ErrorCode::ABORTED,
                "The united Kafka block was abandoned (rebalance, pause or stop); it is read again",
            ));
        }
        if inner.writer.is_none() {
            inner.writer = Some(begin_united(&self.sink, &self.group)?);
        }
        inner
            .writer
            .as_mut()
            .ok_or_else(|| Error::internal("the united Kafka block has no writer"))
    }

    /// Brings worker `index`'s part of block `block` and waits until the block is settled
    /// (by the last worker to arrive, or given up on pause or stop).
    fn arrive(&self, index: usize, block: u64, arrival: Arrival) -> Settled {
        let mut inner = self.inner.lock();
        if inner.block != block {
            return Settled::Abandoned;
        }
        let arrival = match arrival {
            // Chunks already ran through the views: the block cannot be committed.
            Arrival::Rebalanced if inner.pushed[index] => Arrival::Rebalanced,
            Arrival::Rebalanced => Arrival::Nothing,
            other => other,
        };
        inner.arrived[index] = Some(arrival);
        if inner.arrived.iter().all(Option::is_some) {
            self.settle(&mut inner);
        }
        loop {
            if let Some((b, s)) = &inner.settled[index]
                && *b == block
            {
                return s.clone();
            }
            if inner.block != block {
                // Settled without this worker's mark (not expected): re-read to be safe.
                return Settled::Abandoned;
            }
            if self.stopping() || self.control.paused.load(SEQ) {
                self.finish(&mut inner, Settled::Abandoned);
                continue;
            }
            self.changed.wait_for(&mut inner, WAIT_SLICE);
        }
    }

    fn stopping(&self) -> bool {
        self.control.stop.load(SEQ)
    }

    /// Every worker has arrived: writes the united block (or gives it up) and settles it.
    fn settle(&self, inner: &mut Inner) {
        // Each slot keeps a mark: `finish` settles the workers that arrived.
        let arrivals: Vec<Arrival> = inner
            .arrived
            .iter_mut()
            .map(|a| a.replace(Arrival::Nothing).unwrap_or(Arrival::Nothing))
            .collect();
        let writer = inner.writer.take();
        let failure = arrivals.iter().find_map(|a| match a {
            Arrival::Failed(e) => Some(e.clone()),
            _ => None,
        });
        let settled = if self.stopping() {
            Settled::Abandoned
        } else if let Some(e) = failure {
            Settled::Failed(e)
        } else if arrivals.iter().any(|a| matches!(a, Arrival::Rebalanced)) {
            Settled::Abandoned
        } else {
            self.write(writer, arrivals)
        };
        self.finish(inner, settled);
    }

    /// Commits the united block: every worker's offsets, in one insert per target.
    fn write(
        &self,
        writer: Option<Box<dyn BlockWriter + Send>>,
        arrivals: Vec<Arrival>,
    ) -> Settled {
        let mut next: Offsets = Vec::new();
        let mut first: Offsets = Vec::new();
        for a in arrivals {
            if let Arrival::Read { next: n, first: f } = a {
                next.extend(n);
                first.extend(f);
            }
        }
        if next.is_empty() {
            return Settled::Written;
        }
        // Two consumers of one group holding one partition in the same block (a rebalance
        // neither has seen yet): its rows may be there twice.
        let mut keys: Vec<(&str, i32)> = next.iter().map(|(t, p, _)| (t.as_str(), *p)).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) {
            return Settled::Abandoned;
        }
        let Some(writer) = writer else {
            return Settled::Failed(Error::internal(
                "a united Kafka block with offsets but no writer",
            ));
        };
        let _in_sink = InSink::enter(&self.control);
        tracing::debug!(
            target: "sluice_kafka::exactly_once",
            "united block of group {}: from {first:?} to {next:?}",
            self.group
        );
        match writer.commit(next, first) {
            Ok(()) => Settled::Written,
            Err(e) => Settled::Failed(e),
        }
    }

    /// Settles the current block for the workers that arrived at it (they are waiting
    /// for this) and opens the next one; a worker still reading finds its block gone when
    /// it arrives.
    fn finish(&self, inner: &mut Inner, settled: Settled) {
        let block = inner.block;
        // Dropping an uncommitted writer abandons its block.
        inner.writer = None;
        for i in 0..inner.arrived.len() {
            if inner.arrived[i].take().is_some() {
                inner.settled[i] = Some((block, settled.clone()));
            }
        }
        inner.pushed.iter_mut().for_each(|p| *p = false);
        inner.block += 1;
        self.changed.notify_all();
    }
}

const SEQ: std::sync::atomic::Ordering = std::sync::atomic::Ordering::SeqCst;

/// One worker's way into the united block: chunks go to the shared writer (its views run
/// here, one worker at a time); [`BlockWriter::commit`] is not used (see
/// [`Worker::settle_united`]).
pub(crate) struct UnitedWriter<'u> {
    united: &'u United,
    index: usize,
    block: u64,
}

impl BlockWriter for UnitedWriter<'_> {
    fn push(
        &mut self,
        batch: &RecordBatch,
        dead_letters: Vec<DeadLetter>,
        first_offsets: &[(String, i32, i64)],
    ) -> Result<()> {
        let mut inner = self.united.inner.lock();
        if inner.block == self.block {
            inner.pushed[self.index] = true;
        }
        let w = self.united.open(&mut inner, self.block)?;
        w.push(batch, dead_letters, first_offsets)
    }

    fn buffered_bytes(&self) -> usize {
        let inner = self.united.inner.lock();
        match &inner.writer {
            Some(w) if inner.block == self.block => w.buffered_bytes(),
            _ => 0,
        }
    }

    fn reads_headers(&self) -> bool {
        let mut inner = self.united.inner.lock();
        self.united
            .open(&mut inner, self.block)
            .map_or(true, |w| w.reads_headers())
    }

    fn reads_virtual(&self, v: VirtualColumn, first_offsets: &[(String, i32, i64)]) -> bool {
        let mut inner = self.united.inner.lock();
        self.united
            .open(&mut inner, self.block)
            .map_or(true, |w| w.reads_virtual(v, first_offsets))
    }

    fn commit(self: Box<Self>, _: Offsets, _: Offsets) -> Result<()> {
        Err(Error::internal(
            "a united Kafka block is written by the last worker to arrive, not committed by one",
        ))
    }
}

impl Worker {
    /// Brings this worker's block (`outcome` of [`Worker::run_block`] for united block
    /// `block`) to the united block, waits until it is settled, and returns what this
    /// worker does next: commit its offsets, record the exception and re-read, or re-read.
    pub(super) fn settle_united(
        &mut self,
        united: &United,
        block: u64,
        outcome: Outcome,
    ) -> Outcome {
        let (arrival, span) = match outcome {
            Outcome::Empty => (Arrival::Nothing, None),
            Outcome::Read(span) => (
                Arrival::Read {
                    next: span_offsets(&span, true),
                    first: span_offsets(&span, false),
                },
                Some(span),
            ),
            Outcome::Failed(e, span) => (Arrival::Failed(e), Some(span)),
            Outcome::Rebalanced => {
                united.arrive(self.index, block, Arrival::Rebalanced);
                return Outcome::Rebalanced;
            }
            // Not returned for a united block; nothing of it is in the block.
            done @ (Outcome::Written(_) | Outcome::Abandoned(_)) => {
                united.arrive(self.index, block, Arrival::Nothing);
                return done;
            }
        };
        if let Arrival::Read { next, first } = &arrival {
            tracing::debug!(
                target: "sluice_kafka::exactly_once",
                "consumer {} brings {first:?} to {next:?} to united block {block}",
                self.index
            );
        }
        let read = matches!(arrival, Arrival::Read { .. });
        match (united.arrive(self.index, block, arrival), span) {
            (Settled::Written, Some(span)) if read => {
                for (t, p, _, last) in &span.ranges {
                    self.state.set_position(t, *p, last + 1);
                }
                Outcome::Written(span_offsets(&span, true))
            }
            (Settled::Written, _) => Outcome::Empty,
            (Settled::Failed(e), span) => Outcome::Failed(e, span.unwrap_or_default()),
            (Settled::Abandoned, Some(span)) => Outcome::Abandoned(span),
            (Settled::Abandoned, None) => Outcome::Empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::thread::{self, JoinHandle};

    use arrow::array::UInt32Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;
    use parking_lot::Mutex;
    use sluice_common::{Error, ErrorCode, Result};

    use super::{Arrival, Control, Offsets, Settled, United};
    use crate::sink::{Block, BlockWriter, KafkaSink};

    /// Records each block written: its rows and offsets.
    #[derive(Default)]
    struct Blocks(Mutex<Vec<(usize, Offsets)>>);

    impl KafkaSink for Blocks {
        fn write(&self, block: &Block) -> Result<()> {
            self.0
                .lock()
                .push((block.batch.num_rows(), block.offsets.clone()));
            Ok(())
        }

        fn committed_offsets(&self, _: &str, _: &str, _: i32) -> Option<i64> {
            None
        }
    }

    fn setup(workers: usize) -> (Arc<Blocks>, Arc<Control>, Arc<United>) {
        let sink = Arc::new(Blocks::default());
        let control = Arc::new(Control::default());
        let united = Arc::new(United::new(
            Arc::clone(&sink) as Arc<dyn KafkaSink>,
            "g",
            Arc::clone(&control),
            workers,
        ));
        (sink, control, united)
    }

    fn rows(n: u32) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::UInt32, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(UInt32Array::from_iter_values(0..n))])
            .expect("batch")
    }

    /// Worker `index` hands `n` rows of partition `index` (offsets `0..n`) to `block`.
    fn push(united: &United, index: usize, block: u64, n: u32) -> Result<()> {
        let mut w = united.writer(index, block);
        w.push(&rows(n), Vec::new(), &[("t".into(), index as i32, 0)])
    }

    fn read(index: usize, n: i64) -> Arrival {
        Arrival::Read {
            next: vec![("t".into(), index as i32, n)],
            first: vec![("t".into(), index as i32, 0)],
        }
    }

    /// Worker `index` on its own thread: hands `n` rows (none: nothing) to `block` and
    /// arrives.
    fn reader(united: &Arc<United>, index: usize, block: u64, n: u32) -> JoinHandle<Settled> {
        let u = Arc::clone(united);
        thread::spawn(move || {
            if n == 0 {
                return u.arrive(index, block, Arrival::Nothing);
            }
            push(&u, index, block, n).expect("push");
            u.arrive(index, block, read(index, i64::from(n)))
        })
    }

    /// Each worker on its own thread: hands `rows[i]` rows to `block` and arrives.
    fn run(united: &Arc<United>, block: u64, rows: &[u32]) -> Vec<Settled> {
        let handles: Vec<_> = rows
            .iter()
            .enumerate()
            .map(|(i, &n)| reader(united, i, block, n))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    }

    #[test]
    fn one_block_for_all_workers_per_flush() {
        let (sink, _, united) = setup(3);
        let b = united.current();
        let settled = run(&united, b, &[3, 0, 2]);
        assert!(
            settled.iter().all(|s| matches!(s, Settled::Written)),
            "{settled:?}"
        );
        assert_eq!(
            *sink.0.lock(),
            vec![(5, vec![("t".to_string(), 0, 3), ("t".to_string(), 2, 2)])]
        );
        // The next flush is the next block.
        assert_eq!(united.current(), b + 1);
        let settled = run(&united, b + 1, &[1, 1, 1]);
        assert!(settled.iter().all(|s| matches!(s, Settled::Written)));
        assert_eq!(sink.0.lock().len(), 2);
        assert_eq!(sink.0.lock()[1].0, 3);
    }

    #[test]
    fn a_failure_is_every_workers_and_nothing_is_written() {
        let (sink, _, united) = setup(2);
        let b = united.current();
        let first = reader(&united, 0, b, 4);
        let e = Error::new(
            ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED,
            "bad message",
        );
        let second = united.arrive(1, b, Arrival::Failed(e.clone()));
        let first = first.join().expect("worker");
        for s in [first, second] {
            assert!(matches!(&s, Settled::Failed(got) if *got == e), "{s:?}");
        }
        assert!(sink.0.lock().is_empty());
    }

    #[test]
    fn a_rebalance_gives_up_the_block_only_when_its_chunks_are_in_it() {
        let (sink, _, united) = setup(2);
        let b = united.current();
        // Rebalanced before handing anything over: the other worker's block is written.
        let other = reader(&united, 0, b, 2);
        united.arrive(1, b, Arrival::Rebalanced);
        assert!(matches!(other.join().expect("worker"), Settled::Written));
        assert_eq!(sink.0.lock().len(), 1);
        // Rebalanced after handing chunks over: the whole block is read again.
        let b = united.current();
        let other = reader(&united, 0, b, 2);
        push(&united, 1, b, 2).expect("push");
        united.arrive(1, b, Arrival::Rebalanced);
        assert!(matches!(other.join().expect("worker"), Settled::Abandoned));
        assert_eq!(sink.0.lock().len(), 1);
    }

    #[test]
    fn pause_gives_up_the_block_and_late_workers_find_it_gone() {
        let (sink, control, united) = setup(2);
        let b = united.current();
        push(&united, 0, b, 2).expect("push");
        control.paused.store(true, Ordering::SeqCst);
        // The other worker is still reading: the waiting one gives up at once.
        assert!(matches!(
            united.arrive(0, b, read(0, 2)),
            Settled::Abandoned
        ));
        assert!(push(&united, 1, b, 2).is_err());
        assert!(matches!(
            united.arrive(1, b, read(1, 2)),
            Settled::Abandoned
        ));
        control.paused.store(false, Ordering::SeqCst);
        let settled = run(&united, united.current(), &[2, 2]);
        assert!(settled.iter().all(|s| matches!(s, Settled::Written)));
        assert_eq!(sink.0.lock().len(), 1);
    }
}
