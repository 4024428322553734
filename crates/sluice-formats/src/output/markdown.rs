//! `Markdown` (`MD`): a GitHub table, numbers and dates right-aligned.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Result};

use super::pretty::align_right;
use super::{OutputFormat, QueryStatistics, check_batch, column_types};
use crate::settings::FormatSettings;
use crate::text::write_tsv;

/// Writer of the `Markdown` format.
pub struct MarkdownOutput {
    schema: SchemaRef,
    types: Vec<ChType>,
    settings: FormatSettings,
}

impl MarkdownOutput {
    /// A Markdown writer.
    pub fn new(schema: SchemaRef, settings: FormatSettings) -> Self {
        Self {
            types: column_types(&schema),
            schema,
            settings,
        }
    }
}

impl OutputFormat for MarkdownOutput {
    fn write_prefix(&mut self, out: &mut Vec<u8>) -> Result<()> {
        out.push(b'|');
        for f in self.schema.fields() {
            out.push(b' ');
            out.extend_from_slice(f.name().as_bytes());
            out.extend_from_slice(b" |");
        }
        out.extend_from_slice(b"\n|");
        for t in &self.types {
            out.extend_from_slice(if align_right(t) { b"-:|" } else { b":-|" });
        }
        out.push(b'\n');
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        check_batch(batch, &self.types)?;
        for row in 0..batch.num_rows() {
            out.push(b'|');
            for (col, t) in batch.columns().iter().zip(&self.types) {
                out.push(b' ');
                write_tsv(out, col.as_ref(), row, t, &self.settings.text);
                out.extend_from_slice(b" |");
            }
            out.push(b'\n');
        }
        Ok(())
    }

    fn write_suffix(&mut self, _out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        Ok(())
    }
}
