//! `JSON`, `JSONCompact`, `JSONStrings`, `JSONCompactStrings`: one document with
//! `meta`, `data`, `totals`, `rows`, `rows_before_limit_at_least` and `statistics`,
//! laid out with tabs as ClickHouse does.

use arrow::array::Array;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Result};

use super::{OutputFormat, QueryStatistics, check_batch, column_types};
use crate::settings::FormatSettings;
use crate::text::{
    escape::write_json_string, is_null_at, number::write_f64, number::write_int, write_json,
    write_value,
};

/// The placeholder the `*Strings` JSON formats print for NULL.
pub(crate) const NULL_DISPLAY: &str = "ᴺᵁᴸᴸ";

/// Writes one value of a JSON format: JSON proper, or its plain text as a JSON string
/// for the `*Strings` variants.
pub(crate) fn write_json_cell(
    out: &mut Vec<u8>,
    col: &dyn Array,
    row: usize,
    t: &ChType,
    settings: &FormatSettings,
    strings: bool,
    indent: Option<usize>,
) {
    if strings {
        let mut tmp = Vec::new();
        if is_null_at(col, row) {
            tmp.extend_from_slice(NULL_DISPLAY.as_bytes());
        } else {
            write_value(&mut tmp, col, row, t, &settings.text);
        }
        write_json_string(out, &tmp, settings.text.json.escape_forward_slashes);
    } else {
        write_json(out, col, row, t, &settings.text, indent);
    }
}

/// Writer of the single-document JSON formats.
pub struct JsonOutput {
    schema: SchemaRef,
    types: Vec<ChType>,
    settings: FormatSettings,
    compact: bool,
    strings: bool,
    rows: u64,
    data_closed: bool,
}

impl JsonOutput {
    /// `compact`: rows as arrays (`JSONCompact`); `strings`: values as strings.
    pub fn new(schema: SchemaRef, settings: FormatSettings, compact: bool, strings: bool) -> Self {
        let types = column_types(&schema);
        Self {
            schema,
            types,
            settings,
            compact,
            strings,
            rows: 0,
            data_closed: false,
        }
    }

    fn key(&self, out: &mut Vec<u8>, name: &str) {
        write_json_string(
            out,
            name.as_bytes(),
            self.settings.text.json.escape_forward_slashes,
        );
    }

    /// One row: `{ "a": 1, … }` over several lines, or `[1, …]` for compact.
    fn write_row(&self, batch: &RecordBatch, row: usize, out: &mut Vec<u8>, level: usize) {
        let tabs = |out: &mut Vec<u8>, n: usize| out.extend(std::iter::repeat_n(b'\t', n));
        let pretty = self.settings.json_pretty_print;
        if self.compact {
            out.push(b'[');
            for (i, (col, t)) in batch.columns().iter().zip(&self.types).enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
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
            out.push(b']');
            return;
        }
        out.push(b'{');
        out.push(b'\n');
        for (i, (col, t)) in batch.columns().iter().zip(&self.types).enumerate() {
            if i > 0 {
                out.extend_from_slice(b",\n");
            }
            tabs(out, level + 1);
            self.key(out, self.schema.field(i).name());
            out.extend_from_slice(b": ");
            let indent = pretty.then_some(level + 1);
            write_json_cell(
                out,
                col.as_ref(),
                row,
                t,
                &self.settings,
                self.strings,
                indent,
            );
        }
        out.push(b'\n');
        tabs(out, level);
        out.push(b'}');
    }
}

impl OutputFormat for JsonOutput {
    fn write_prefix(&mut self, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(b"{\n\t\"meta\":\n\t[\n");
        for (i, (f, t)) in self.schema.fields().iter().zip(&self.types).enumerate() {
            if i > 0 {
                out.extend_from_slice(b",\n");
            }
            out.extend_from_slice(b"\t\t{\n\t\t\t\"name\": ");
            self.key(out, f.name());
            out.extend_from_slice(b",\n\t\t\t\"type\": ");
            self.key(out, &t.to_string());
            out.extend_from_slice(b"\n\t\t}");
        }
        out.extend_from_slice(b"\n\t],\n\n\t\"data\":\n\t[\n");
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        check_batch(batch, &self.types)?;
        for row in 0..batch.num_rows() {
            if self.rows > 0 {
                out.extend_from_slice(b",\n");
            }
            out.extend_from_slice(b"\t\t");
            self.write_row(batch, row, out, 2);
            self.rows += 1;
        }
        Ok(())
    }

    fn write_totals(&mut self, totals: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        check_batch(totals, &self.types)?;
        if totals.num_rows() == 0 {
            return Ok(());
        }
        self.close_data(out);
        out.extend_from_slice(b"\t\"totals\":");
        if self.compact {
            out.push(b' ');
        } else {
            out.extend_from_slice(b"\n\t");
        }
        self.write_row(totals, 0, out, 1);
        out.extend_from_slice(b",\n\n");
        Ok(())
    }

    fn write_suffix(&mut self, out: &mut Vec<u8>, stats: &QueryStatistics) -> Result<()> {
        self.close_data(out);
        out.extend_from_slice(b"\t\"rows\": ");
        write_int(out, self.rows);
        if let Some(n) = stats.rows_before_limit {
            out.extend_from_slice(b",\n\n\t\"rows_before_limit_at_least\": ");
            write_int(out, n);
        }
        if self.settings.write_statistics {
            out.extend_from_slice(b",\n\n\t\"statistics\":\n\t{\n\t\t\"elapsed\": ");
            write_f64(out, stats.elapsed);
            out.extend_from_slice(b",\n\t\t\"rows_read\": ");
            write_int(out, stats.rows_read);
            out.extend_from_slice(b",\n\t\t\"bytes_read\": ");
            write_int(out, stats.bytes_read);
            out.extend_from_slice(b"\n\t}");
        }
        out.extend_from_slice(b"\n}\n");
        Ok(())
    }

    fn content_type(&self) -> &'static str {
        "application/json; charset=UTF-8"
    }
}

impl JsonOutput {
    /// Ends the `data` array once (before totals or the suffix).
    fn close_data(&mut self, out: &mut Vec<u8>) {
        if self.data_closed {
            return;
        }
        out.extend_from_slice(b"\n\t],\n\n");
        self.data_closed = true;
    }
}
