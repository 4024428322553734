//! Stream adapters.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::runtime::SpawnedTask;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;

/// Re-labels every batch of `stream` with `schema` (same columns, field names/metadata
/// differ).
pub fn rename_stream(
    stream: SendableRecordBatchStream,
    schema: SchemaRef,
) -> SendableRecordBatchStream {
    let s2 = Arc::clone(&schema);
    let mapped = stream.map(move |b| {
        let b = b?;
        Ok(RecordBatch::try_new_with_options(
            Arc::clone(&s2),
            b.columns().to_vec(),
            &datafusion::arrow::record_batch::RecordBatchOptions::new()
                .with_row_count(Some(b.num_rows())),
        )?)
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, mapped))
}

/// Runs every output partition of `plan` concurrently but yields their batches in partition
/// order (all of partition 0, then 1, …). `UNION ALL` branches are partitions, and
/// ClickHouse prints a union's branches in query order; a plain `CoalescePartitionsExec`
/// would interleave them by completion time. Each partition buffers at most a couple of
/// batches ahead, so memory stays bounded while the partitions still run in parallel.
pub fn execute_in_partition_order(
    plan: Arc<dyn ExecutionPlan>,
    ctx: Arc<TaskContext>,
) -> datafusion::error::Result<SendableRecordBatchStream> {
    let n = plan.properties().output_partitioning().partition_count();
    if n <= 1 {
        return if n == 1 {
            plan.execute(0, ctx)
        } else {
            Ok(Box::pin(RecordBatchStreamAdapter::new(
                plan.schema(),
                futures::stream::empty(),
            )))
        };
    }
    let schema = plan.schema();
    let mut receivers = Vec::with_capacity(n);
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (tx, rx) = tokio::sync::mpsc::channel::<datafusion::error::Result<RecordBatch>>(2);
        let mut part = plan.execute(i, Arc::clone(&ctx))?;
        // Aborted when the stream is dropped (KILL QUERY, client gone), even in the middle
        // of a long aggregation that sends nothing until it ends.
        tasks.push(SpawnedTask::spawn(async move {
            while let Some(b) = part.next().await {
                if tx.send(b).await.is_err() {
                    break; // the consumer went away (LIMIT reached, client gone)
                }
            }
        }));
        receivers.push(tokio_stream_of(rx));
    }
    let chained = futures::stream::iter(receivers).flatten().map(move |b| {
        let _running = &tasks;
        b
    });
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, chained)))
}

fn tokio_stream_of<T: Send + 'static>(
    rx: tokio::sync::mpsc::Receiver<T>,
) -> futures::stream::BoxStream<'static, T> {
    Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|x| (x, rx))
    }))
}
