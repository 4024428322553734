//! `Parquet`, `Arrow`, `ArrowStream` input: columns matched to the target schema by
//! name and cast to its Arrow types; missing columns become defaults.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sluice_common::{Error, ErrorCode, Result};

use super::{InputFormat, Rows};

/// Which container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Parquet file.
    Parquet,
    /// Arrow IPC file.
    File,
    /// Arrow IPC stream.
    Stream,
}

fn bad(e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::INCORRECT_DATA,
        format!("Cannot read input data: {e}"),
    )
}

/// Walks the frames of an Arrow IPC stream so that lengths larger than the input are
/// rejected before the arrow reader allocates buffers for them.
fn check_stream_frames(data: &[u8]) -> Result<()> {
    let mut p = 0usize;
    let word = |p: usize| {
        data.get(p..p + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    while let Some(mut len) = word(p) {
        p += 4;
        if len == u32::MAX {
            len = word(p).ok_or_else(|| bad("truncated stream"))?;
            p += 4;
        }
        if len == 0 {
            return Ok(());
        }
        let len = len as usize;
        let meta = data
            .get(p..p.saturating_add(len))
            .ok_or_else(|| bad("message length exceeds the input"))?;
        let msg = arrow::ipc::root_as_message(meta).map_err(|e| bad(format!("{e:?}")))?;
        p += len;
        let body = usize::try_from(msg.bodyLength()).map_err(|_| bad("negative body length"))?;
        if body > data.len() - p {
            return Err(bad("message body exceeds the input"));
        }
        p += body;
    }
    Ok(())
}

/// Reader of the Arrow-family formats.
pub struct ArrowInput {
    schema: SchemaRef,
    kind: Kind,
}

impl ArrowInput {
    /// A reader of the given container.
    pub fn new(schema: SchemaRef, kind: Kind) -> Self {
        Self { schema, kind }
    }

    /// Re-shapes a source batch into the target schema.
    fn conform(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        let n = batch.num_rows();
        let defaults = {
            let mut r = Rows::new(&self.schema);
            for _ in 0..n {
                r.push(vec![None; self.schema.fields().len()]);
            }
            r.finish()?
        };
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for (i, f) in self.schema.fields().iter().enumerate() {
            let col = match batch.schema().index_of(f.name()) {
                Ok(j) => {
                    let c = batch.column(j);
                    if c.data_type() == f.data_type() {
                        Arc::clone(c)
                    } else {
                        arrow::compute::cast(c, f.data_type()).map_err(|e| {
                            Error::new(
                                ErrorCode::TYPE_MISMATCH,
                                format!("Cannot convert column {}: {e}", f.name()),
                            )
                        })?
                    }
                }
                Err(_) => Arc::clone(defaults.column(i)),
            };
            cols.push(col);
        }
        let opts = RecordBatchOptions::new().with_row_count(Some(n));
        RecordBatch::try_new_with_options(Arc::clone(&self.schema), cols, &opts).map_err(bad)
    }
}

impl InputFormat for ArrowInput {
    fn read(&mut self, data: &[u8]) -> Result<Vec<RecordBatch>> {
        let batches: Vec<RecordBatch> = match self.kind {
            Kind::Parquet => {
                ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::copy_from_slice(data))
                    .map_err(bad)?
                    .build()
                    .map_err(bad)?
                    .collect::<std::result::Result<_, _>>()
                    .map_err(bad)?
            }
            Kind::File => arrow::ipc::reader::FileReader::try_new(std::io::Cursor::new(data), None)
                .map_err(bad)?
                .collect::<std::result::Result<_, _>>()
                .map_err(bad)?,
            Kind::Stream => {
                check_stream_frames(data)?;
                arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(data), None)
                    .map_err(bad)?
                    .collect::<std::result::Result<_, _>>()
                    .map_err(bad)?
            }
        };
        batches.iter().map(|b| self.conform(b)).collect()
    }
}
