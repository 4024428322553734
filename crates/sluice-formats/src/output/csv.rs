//! `CSV`, `CSVWithNames`, `CSVWithNamesAndTypes`: strings, dates and containers in
//! double quotes, tuples split into fields, NULL as `format_csv_null_representation`.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Result};

use super::{Header, OutputFormat, QueryStatistics, check_batch, column_types};
use crate::settings::FormatSettings;
use crate::text::{escape::write_csv_quoted, is_null_at, write_csv};

/// Writer of the CSV formats.
pub struct CsvOutput {
    schema: SchemaRef,
    types: Vec<ChType>,
    settings: FormatSettings,
    header: Header,
}

impl CsvOutput {
    /// A CSV writer with the given header rows.
    pub fn new(schema: SchemaRef, settings: FormatSettings, header: Header) -> Self {
        let types = column_types(&schema);
        Self {
            schema,
            types,
            settings,
            header,
        }
    }

    fn eol(&self, out: &mut Vec<u8>) {
        if self.settings.csv_crlf {
            out.push(b'\r');
        }
        out.push(b'\n');
    }

    fn write_rows(&self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        check_batch(batch, &self.types)?;
        let delim = self.settings.text.csv_delimiter;
        for row in 0..batch.num_rows() {
            for (i, (col, t)) in batch.columns().iter().zip(&self.types).enumerate() {
                if i > 0 {
                    out.push(delim);
                }
                if is_null_at(col.as_ref(), row) {
                    out.extend_from_slice(self.settings.csv_null.as_bytes());
                } else {
                    write_csv(out, col.as_ref(), row, t, &self.settings.text);
                }
            }
            self.eol(out);
        }
        Ok(())
    }

    fn header_row<'a>(&self, out: &mut Vec<u8>, items: impl Iterator<Item = String> + 'a) {
        for (i, s) in items.enumerate() {
            if i > 0 {
                out.push(self.settings.text.csv_delimiter);
            }
            write_csv_quoted(out, s.as_bytes());
        }
        self.eol(out);
    }
}

impl OutputFormat for CsvOutput {
    fn write_prefix(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if self.header != Header::None {
            let names: Vec<String> = self
                .schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            self.header_row(out, names.into_iter());
        }
        if self.header == Header::NamesAndTypes {
            let types: Vec<String> = self.types.iter().map(|t| t.to_string()).collect();
            self.header_row(out, types.into_iter());
        }
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        self.write_rows(batch, out)
    }

    fn write_totals(&mut self, totals: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        self.eol(out);
        self.write_rows(totals, out)
    }

    fn write_suffix(&mut self, _out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        Ok(())
    }

    fn content_type(&self) -> &'static str {
        "text/csv; charset=UTF-8; header=absent"
    }
}
