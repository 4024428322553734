//! Stream adapters.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
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
