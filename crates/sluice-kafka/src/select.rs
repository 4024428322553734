//! Direct `SELECT` from a Kafka table (allowed by `stream_like_engine_allow_direct_select`):
//! as ClickHouse's direct read, a consumer of the table's group waits up to 15 s for an
//! assignment (then polls for at most 50 ms while it has none), returns the rows of the
//! first non-empty poll (or nothing after 10 empty polls), and commits what it read only
//! with `kafka_commit_on_select = 1`; otherwise the next read sees the same messages again.
//!
//! Also with the broker gone the read ends after those waits (an empty result), and the
//! consumer is closed within the consumers' stop bound ([`crate::consumer::STOP_TIMEOUT`]):
//! a consumer dropped instead would wait for its close (leaving the group) without a
//! limit. A commit (`kafka_commit_on_select = 1`) is bounded as the consumers' are.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::record_batch::RecordBatch;
use rdkafka::consumer::Consumer;
use sluice_common::Result;

use crate::batch::MessageBatch;
use crate::consumer::{ConsumerSpec, Control, Worker, create_consumer};
use crate::decode::Decoder;
use crate::settings::KafkaSettings;
use crate::sink::{Block, KafkaSink};
use crate::stats::ConsumerState;

/// ClickHouse's `MAX_TIME_TO_WAIT_FOR_ASSIGNMENT_MS`.
const MAX_WAIT_FOR_ASSIGNMENT: Duration = Duration::from_secs(15);
/// ClickHouse's `MAX_FAILED_POLL_ATTEMPTS`.
const MAX_FAILED_POLLS: usize = 10;
/// ClickHouse's `POLL_TIMEOUT_WO_ASSIGNMENT_MS`: the longest poll once the wait for an
/// assignment is over and there is still none.
const POLL_WITHOUT_ASSIGNMENT: Duration = Duration::from_millis(50);

/// A sink that records nothing: direct reads do not use the targets' offsets.
struct NoTargets;

impl KafkaSink for NoTargets {
    fn write(&self, _block: &Block) -> Result<()> {
        Ok(())
    }

    fn committed_offsets(&self, _group: &str, _topic: &str, _partition: i32) -> Option<i64> {
        None
    }
}

/// Reads once from the table's topics; returns the rows (data columns, then the
/// requested virtual columns).
pub fn direct_select(spec: &ConsumerSpec) -> Result<RecordBatch> {
    let mut settings = spec.settings.clone();
    settings.exactly_once = false;
    let spec = ConsumerSpec {
        settings: settings.clone(),
        ..spec.clone()
    };
    let state = Arc::new(ConsumerState::new(&spec.database, &spec.table));
    let sink: Arc<dyn KafkaSink> = Arc::new(NoTargets);
    let control = Arc::new(Control::default());
    let consumer = create_consumer(
        &spec,
        0,
        Arc::clone(&state),
        Arc::clone(&sink),
        Arc::clone(&control.stop),
    )?;
    let decoder = Decoder::try_new(&settings, Arc::clone(&spec.data_schema), &spec.virtuals)?
        .with_table_name(&spec.table);
    let mut w = Worker::try_new(0, consumer, decoder, state, sink, control, settings.clone())?;
    let read = read_once(&mut w, &settings);
    // Closed within the stop bound on every path, errors included.
    w.close();
    read
}

/// The read and the commit of [`direct_select`], on its consumer.
fn read_once(w: &mut Worker, settings: &KafkaSettings) -> Result<RecordBatch> {
    let poll_timeout = Duration::from_millis(settings.effective_poll_timeout_ms());
    let max_batch = settings.effective_poll_max_batch_size() as usize;
    let started = Instant::now();
    let mut failed = 0;
    let mut messages = MessageBatch::default();
    let result = loop {
        let assigned = w
            .consumer
            .assignment()
            .map(|a| a.count() > 0)
            .unwrap_or(false);
        // Assignments during a direct read need no rewind: nothing is in flight.
        w.consumer
            .context()
            .rebalanced
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let waited = started.elapsed() > MAX_WAIT_FOR_ASSIGNMENT;
        let timeout = if !assigned && waited {
            poll_timeout.min(POLL_WITHOUT_ASSIGNMENT)
        } else {
            poll_timeout
        };
        w.poll_batch(&mut messages, max_batch, timeout);
        if !messages.is_empty() {
            let decoded = w.decoder.decode_batch(&mut messages)?;
            if decoded.batch.num_rows() > 0 || failed + 1 >= MAX_FAILED_POLLS {
                break decoded.batch;
            }
        }
        if assigned || waited {
            failed += 1;
        }
        if failed >= MAX_FAILED_POLLS {
            break RecordBatch::new_empty(Arc::clone(w.decoder.output_schema()));
        }
        messages = MessageBatch::default();
    };
    if settings.commit_on_select && !messages.is_empty() {
        let mut next: Vec<(String, i32, i64)> = Vec::new();
        for m in messages.iter() {
            match next
                .iter_mut()
                .find(|(t, p, _)| *p == m.partition && **t == **m.topic)
            {
                Some(e) => e.2 = e.2.max(m.offset + 1),
                None => next.push((m.topic.to_string(), m.partition, m.offset + 1)),
            }
        }
        w.try_commit(&next)?;
    }
    Ok(result)
}
