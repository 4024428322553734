//! `Parquet`, `Arrow` (IPC file) and `ArrowStream` (IPC stream) via the arrow/parquet
//! crates. Batches are written in the columns' Arrow types; ClickHouse type names stay
//! in the field metadata.

use arrow::datatypes::SchemaRef;
use arrow::ipc::writer::{FileWriter, StreamWriter};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use sluice_common::{Error, ErrorCode, Result};

use super::{OutputFormat, QueryStatistics};

fn io_err(e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::ILLEGAL_COLUMN,
        format!("Cannot write output: {e}"),
    )
}

/// Writer of the `Parquet` format: each row group is sent as soon as the writer completes
/// it (every 1M rows), the footer at the suffix.
pub struct ParquetOutput {
    schema: SchemaRef,
    writer: Option<ArrowWriter<Vec<u8>>>,
}

impl ParquetOutput {
    /// A Parquet writer for `schema`.
    pub fn new(schema: SchemaRef) -> Self {
        Self {
            schema,
            writer: None,
        }
    }

    fn writer(&mut self) -> Result<&mut ArrowWriter<Vec<u8>>> {
        if self.writer.is_none() {
            self.writer = Some(
                ArrowWriter::try_new(Vec::new(), std::sync::Arc::clone(&self.schema), None)
                    .map_err(io_err)?,
            );
        }
        self.writer
            .as_mut()
            .ok_or_else(|| Error::internal("parquet writer missing"))
    }
}

impl OutputFormat for ParquetOutput {
    fn write_prefix(&mut self, _out: &mut Vec<u8>) -> Result<()> {
        self.writer().map(|_| ())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        let w = self.writer()?;
        w.write(batch).map_err(io_err)?;
        // Row groups the writer has completed are final: stream them instead of holding
        // the whole file (the writer counts offsets itself, so taking the bytes it has
        // already written out of its buffer is safe).
        out.append(w.inner_mut());
        Ok(())
    }

    fn write_suffix(&mut self, out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        self.writer()?;
        if let Some(w) = self.writer.take() {
            out.extend_from_slice(&w.into_inner().map_err(io_err)?);
        }
        Ok(())
    }

    fn content_type(&self) -> &'static str {
        "application/octet-stream"
    }
}

enum IpcWriter {
    File(FileWriter<Vec<u8>>),
    Stream(StreamWriter<Vec<u8>>),
}

/// Writer of the `Arrow` (file) and `ArrowStream` formats.
pub struct ArrowOutput {
    schema: SchemaRef,
    stream: bool,
    writer: Option<IpcWriter>,
}

impl ArrowOutput {
    /// `stream`: IPC stream format (`ArrowStream`) instead of the file format.
    pub fn new(schema: SchemaRef, stream: bool) -> Self {
        Self {
            schema,
            stream,
            writer: None,
        }
    }

    /// Moves what the writer has produced so far into `out` (stream format only; the
    /// file format needs its footer and is flushed at the end).
    fn drain(&mut self, out: &mut Vec<u8>) {
        if let Some(IpcWriter::Stream(w)) = &mut self.writer {
            out.append(w.get_mut());
        }
    }

    fn ensure(&mut self) -> Result<()> {
        if self.writer.is_none() {
            self.writer = Some(if self.stream {
                IpcWriter::Stream(StreamWriter::try_new(Vec::new(), &self.schema).map_err(io_err)?)
            } else {
                IpcWriter::File(FileWriter::try_new(Vec::new(), &self.schema).map_err(io_err)?)
            });
        }
        Ok(())
    }
}

impl OutputFormat for ArrowOutput {
    fn write_prefix(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.ensure()?;
        self.drain(out);
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        self.ensure()?;
        match &mut self.writer {
            Some(IpcWriter::File(w)) => w.write(batch).map_err(io_err)?,
            Some(IpcWriter::Stream(w)) => w.write(batch).map_err(io_err)?,
            None => return Err(Error::internal("arrow writer missing")),
        }
        self.drain(out);
        Ok(())
    }

    fn write_suffix(&mut self, out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        self.ensure()?;
        match self.writer.take() {
            Some(IpcWriter::File(mut w)) => {
                w.finish().map_err(io_err)?;
                out.extend_from_slice(&w.into_inner().map_err(io_err)?);
            }
            Some(IpcWriter::Stream(mut w)) => {
                w.finish().map_err(io_err)?;
                out.extend_from_slice(&w.into_inner().map_err(io_err)?);
            }
            None => {}
        }
        Ok(())
    }

    fn content_type(&self) -> &'static str {
        "application/octet-stream"
    }
}
