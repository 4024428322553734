//! `TabSeparated` family: `TSV`, `TSVRaw`, `…WithNames`, `…WithNamesAndTypes`.
//! Values are TSV-escaped (or raw), NULL is `format_tsv_null_representation` (`\N`),
//! totals follow the data after an empty line.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Result};

use super::{Header, OutputFormat, QueryStatistics, check_batch, column_types};
use crate::settings::FormatSettings;
use crate::text::column::ColumnText;
use crate::text::{self, Style, escape::write_tsv_escaped, is_null_at};

/// Writer of the TabSeparated formats.
pub struct TsvOutput {
    schema: SchemaRef,
    types: Vec<ChType>,
    settings: FormatSettings,
    raw: bool,
    header: Header,
}

impl TsvOutput {
    /// `raw`: strings unescaped (`TSVRaw`).
    pub fn new(schema: SchemaRef, settings: FormatSettings, raw: bool, header: Header) -> Self {
        let types = column_types(&schema);
        Self {
            schema,
            types,
            settings,
            raw,
            header,
        }
    }

    fn eol(&self, out: &mut Vec<u8>) {
        if self.settings.tsv_crlf {
            out.push(b'\r');
        }
        out.push(b'\n');
    }

    fn write_rows(&self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        check_batch(batch, &self.types)?;
        let style = if self.raw { Style::Plain } else { Style::Tsv };
        let fast: Vec<Option<ColumnText<'_>>> = batch
            .columns()
            .iter()
            .zip(&self.types)
            .map(|(col, t)| ColumnText::try_new(col.as_ref(), t, &self.settings.text))
            .collect();
        for row in 0..batch.num_rows() {
            for (i, ((col, t), fast)) in batch
                .columns()
                .iter()
                .zip(&self.types)
                .zip(&fast)
                .enumerate()
            {
                if i > 0 {
                    out.push(b'\t');
                }
                if let Some(f) = fast {
                    if f.is_null(row) {
                        out.extend_from_slice(self.settings.tsv_null.as_bytes());
                    } else {
                        f.write(out, row, style);
                    }
                } else if is_null_at(col.as_ref(), row) {
                    out.extend_from_slice(self.settings.tsv_null.as_bytes());
                } else {
                    text::write_styled(out, col.as_ref(), row, t, &self.settings.text, style);
                }
            }
            self.eol(out);
        }
        Ok(())
    }
}

impl OutputFormat for TsvOutput {
    fn write_prefix(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if self.header == Header::None {
            return Ok(());
        }
        for (i, f) in self.schema.fields().iter().enumerate() {
            if i > 0 {
                out.push(b'\t');
            }
            write_tsv_escaped(out, f.name().as_bytes());
        }
        self.eol(out);
        if self.header == Header::NamesAndTypes {
            for (i, t) in self.types.iter().enumerate() {
                if i > 0 {
                    out.push(b'\t');
                }
                write_tsv_escaped(out, t.to_string().as_bytes());
            }
            self.eol(out);
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
        "text/tab-separated-values; charset=UTF-8"
    }
}
