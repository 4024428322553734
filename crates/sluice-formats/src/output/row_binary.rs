//! `RowBinary`, `RowBinaryWithNames`, `RowBinaryWithNamesAndTypes` output.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Result};

use super::{Header, OutputFormat, QueryStatistics, check_batch, column_types};
use crate::native::row::write_row_value;
use crate::native::{write_bytes, write_varint};

/// Writer of the RowBinary formats.
pub struct RowBinaryOutput {
    schema: SchemaRef,
    types: Vec<ChType>,
    header: Header,
}

impl RowBinaryOutput {
    /// A RowBinary writer with the given header.
    pub fn new(schema: SchemaRef, header: Header) -> Self {
        Self {
            types: column_types(&schema),
            schema,
            header,
        }
    }
}

impl OutputFormat for RowBinaryOutput {
    fn write_prefix(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if self.header == Header::None {
            return Ok(());
        }
        write_varint(out, self.types.len() as u64);
        for f in self.schema.fields() {
            write_bytes(out, f.name().as_bytes());
        }
        if self.header == Header::NamesAndTypes {
            for t in &self.types {
                write_bytes(out, t.to_string().as_bytes());
            }
        }
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        check_batch(batch, &self.types)?;
        for row in 0..batch.num_rows() {
            for (col, t) in batch.columns().iter().zip(&self.types) {
                write_row_value(out, col.as_ref(), row, t)?;
            }
        }
        Ok(())
    }

    fn write_suffix(&mut self, _out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        Ok(())
    }

    fn content_type(&self) -> &'static str {
        "application/octet-stream"
    }
}
