//! `JSONEachRow` (`JSONLines`, `NDJSON`), `JSONStringsEachRow`, `JSONCompactEachRow`
//! (+`WithNames`, `WithNamesAndTypes`), `JSONCompactStringsEachRow`: one JSON value per
//! line.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Result};

use super::json::write_json_cell;
use super::{Header, OutputFormat, QueryStatistics, check_batch, column_types};
use crate::settings::FormatSettings;
use crate::text::escape::write_json_string;

/// Writer of the row-per-line JSON formats.
pub struct JsonEachRowOutput {
    schema: SchemaRef,
    types: Vec<ChType>,
    settings: FormatSettings,
    compact: bool,
    strings: bool,
    header: Header,
}

impl JsonEachRowOutput {
    /// `compact`: rows as arrays; `strings`: values as strings; `header` for the
    /// compact variants' name/type lines.
    pub fn new(
        schema: SchemaRef,
        settings: FormatSettings,
        compact: bool,
        strings: bool,
        header: Header,
    ) -> Self {
        let types = column_types(&schema);
        Self {
            schema,
            types,
            settings,
            compact,
            strings,
            header,
        }
    }

    fn string_line(&self, out: &mut Vec<u8>, items: &[String]) {
        out.push(b'[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            write_json_string(
                out,
                s.as_bytes(),
                self.settings.text.json.escape_forward_slashes,
            );
        }
        out.extend_from_slice(b"]\n");
    }
}

impl OutputFormat for JsonEachRowOutput {
    fn write_prefix(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if self.header != Header::None {
            let names: Vec<String> = self
                .schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            self.string_line(out, &names);
        }
        if self.header == Header::NamesAndTypes {
            let types: Vec<String> = self.types.iter().map(|t| t.to_string()).collect();
            self.string_line(out, &types);
        }
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        check_batch(batch, &self.types)?;
        let slashes = self.settings.text.json.escape_forward_slashes;
        for row in 0..batch.num_rows() {
            out.push(if self.compact { b'[' } else { b'{' });
            for (i, (col, t)) in batch.columns().iter().zip(&self.types).enumerate() {
                if self.compact {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                } else {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_json_string(out, self.schema.field(i).name().as_bytes(), slashes);
                    out.push(b':');
                }
                write_json_cell(
                    out,
                    col.as_ref(),
                    row,
                    t,
                    &self.settings,
                    self.strings,
                    None,
                );
            }
            out.extend_from_slice(if self.compact { b"]\n" } else { b"}\n" });
        }
        Ok(())
    }

    fn write_suffix(&mut self, _out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        Ok(())
    }

    fn content_type(&self) -> &'static str {
        "application/x-ndjson; charset=UTF-8"
    }
}
