//! `Vertical`: each row as `Row N:` followed by `name: value` lines.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Result};

use super::pretty::{cells, width};
use super::{OutputFormat, QueryStatistics, check_batch, column_types};
use crate::settings::FormatSettings;

/// Writer of the `Vertical` format.
pub struct VerticalOutput {
    names: Vec<String>,
    types: Vec<ChType>,
    settings: FormatSettings,
    rows: usize,
}

impl VerticalOutput {
    /// A `Vertical` writer.
    pub fn new(schema: SchemaRef, settings: FormatSettings) -> Self {
        let names = schema.fields().iter().map(|f| f.name().clone()).collect();
        Self {
            names,
            types: column_types(&schema),
            settings,
            rows: 0,
        }
    }
}

impl OutputFormat for VerticalOutput {
    fn write_prefix(&mut self, _out: &mut Vec<u8>) -> Result<()> {
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        check_batch(batch, &self.types)?;
        let name_w = self.names.iter().map(|n| width(n)).max().unwrap_or(0);
        for row in cells(batch, &self.types, &self.settings) {
            if self.rows > 0 {
                out.push(b'\n');
            }
            self.rows += 1;
            let title = format!("Row {}:", self.rows);
            out.extend_from_slice(title.as_bytes());
            out.push(b'\n');
            out.extend_from_slice("─".repeat(width(&title)).as_bytes());
            out.push(b'\n');
            for (name, value) in self.names.iter().zip(&row) {
                out.extend_from_slice(name.as_bytes());
                out.push(b':');
                out.extend(std::iter::repeat_n(b' ', name_w - width(name) + 1));
                out.extend_from_slice(value.as_bytes());
                out.push(b'\n');
            }
        }
        Ok(())
    }

    fn write_suffix(&mut self, _out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        Ok(())
    }
}
