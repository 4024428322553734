//! `Values`: rows as SQL tuples `(1,'a'),(2,'b')`, no trailing newline.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Result};

use super::{OutputFormat, QueryStatistics, check_batch, column_types};
use crate::settings::FormatSettings;
use crate::text::write_quoted_value;

/// Writer of the `Values` format.
pub struct ValuesOutput {
    types: Vec<ChType>,
    settings: FormatSettings,
    rows: u64,
}

impl ValuesOutput {
    /// A `Values` writer.
    pub fn new(schema: SchemaRef, settings: FormatSettings) -> Self {
        Self {
            types: column_types(&schema),
            settings,
            rows: 0,
        }
    }
}

impl OutputFormat for ValuesOutput {
    fn write_prefix(&mut self, _out: &mut Vec<u8>) -> Result<()> {
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        check_batch(batch, &self.types)?;
        for row in 0..batch.num_rows() {
            if self.rows > 0 {
                out.push(b',');
            }
            out.push(b'(');
            for (i, (col, t)) in batch.columns().iter().zip(&self.types).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_quoted_value(out, col.as_ref(), row, t, &self.settings.text);
            }
            out.push(b')');
            self.rows += 1;
        }
        Ok(())
    }

    fn write_suffix(&mut self, _out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        Ok(())
    }
}
