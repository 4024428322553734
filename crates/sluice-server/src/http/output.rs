//! Output formats for HTTP responses.
//!
//! `sluice-formats` will own every output format (`output_format(name, schema, settings)`);
//! until it exports that entry point, this module provides the formats the HTTP clients need
//! to work (TabSeparated family, CSV family, Native, Null), rendering values with
//! `sluice_formats::text`. [`writer_for`] is the single seam to replace.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use chrono_tz::Tz;
use sluice_common::{ChType, Error, ErrorCode};
use sluice_formats::text::{TextContext, escape::write_tsv_escaped, write_csv, write_tsv};

use crate::native::block::encode_block;

/// A result writer: prefix, blocks, totals, suffix.
pub trait OutputWriter: Send {
    /// `Content-Type` of the body.
    fn content_type(&self) -> &'static str;
    /// Bytes before the first row.
    fn write_prefix(&mut self, _out: &mut Vec<u8>) -> Result<(), Error> {
        Ok(())
    }
    /// One block of rows.
    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), Error>;
    /// The `WITH TOTALS` row(s).
    fn write_totals(&mut self, _batch: &RecordBatch, _out: &mut Vec<u8>) -> Result<(), Error> {
        Ok(())
    }
    /// Bytes after the last row.
    fn write_suffix(&mut self, _out: &mut Vec<u8>) -> Result<(), Error> {
        Ok(())
    }
}

/// The canonical name of a format alias, as `X-ClickHouse-Format` reports it.
pub fn canonical_name(name: &str) -> String {
    match name {
        "TSV" => "TabSeparated".to_string(),
        "TSVRaw" | "Raw" | "TabSeparatedRaw" => "TabSeparatedRaw".to_string(),
        "TSVWithNames" => "TabSeparatedWithNames".to_string(),
        "TSVWithNamesAndTypes" => "TabSeparatedWithNamesAndTypes".to_string(),
        other => other.to_string(),
    }
}

/// Options that affect rendering.
#[derive(Clone, Debug)]
pub struct OutputOptions {
    /// Session time zone.
    pub timezone: String,
    /// Native format revision (`client_protocol_version`).
    pub client_protocol_version: u64,
    /// Effective settings (`output_format_*`, …).
    pub settings: Vec<(String, String)>,
}

fn text_context(opts: &OutputOptions) -> TextContext {
    let mut ctx = TextContext::default();
    if let Ok(tz) = opts.timezone.parse::<Tz>() {
        ctx.timezone = tz;
    }
    for (k, v) in &opts.settings {
        if k == "output_format_decimal_trailing_zeros" {
            ctx.decimal_trailing_zeros = v == "1" || v.eq_ignore_ascii_case("true");
        }
    }
    ctx
}

/// A writer for format `name` (case-sensitive, as ClickHouse).
pub fn writer_for(
    name: &str,
    schema: &SchemaRef,
    opts: &OutputOptions,
) -> Result<Box<dyn OutputWriter>, Error> {
    let types: Vec<ChType> = schema
        .fields()
        .iter()
        .map(|f| ChType::from_field(f))
        .collect();
    let ctx = text_context(opts);
    let text = |kind: TextKind, names: bool, types_row: bool| -> Box<dyn OutputWriter> {
        Box::new(TextWriter {
            schema: Arc::clone(schema),
            types: types.clone(),
            ctx: ctx.clone(),
            kind,
            names,
            types_row,
        })
    };
    Ok(match canonical_name(name).as_str() {
        "TabSeparated" => text(TextKind::Tsv, false, false),
        "TabSeparatedRaw" => text(TextKind::TsvRaw, false, false),
        "TabSeparatedWithNames" => text(TextKind::Tsv, true, false),
        "TabSeparatedWithNamesAndTypes" => text(TextKind::Tsv, true, true),
        "CSV" => text(TextKind::Csv, false, false),
        "CSVWithNames" => text(TextKind::Csv, true, false),
        "CSVWithNamesAndTypes" => text(TextKind::Csv, true, true),
        "Native" => Box::new(NativeWriter {
            revision: opts.client_protocol_version,
        }),
        "Null" => Box::new(NullWriter),
        _ => {
            return Err(Error::new(
                ErrorCode::UNKNOWN_FORMAT,
                format!("Unknown output format {name}"),
            ));
        }
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TextKind {
    Tsv,
    TsvRaw,
    Csv,
}

struct TextWriter {
    schema: SchemaRef,
    types: Vec<ChType>,
    ctx: TextContext,
    kind: TextKind,
    names: bool,
    types_row: bool,
}

impl TextWriter {
    fn header_row(&self, out: &mut Vec<u8>, values: impl Iterator<Item = String>) {
        for (i, v) in values.enumerate() {
            if i > 0 {
                out.push(self.sep());
            }
            match self.kind {
                TextKind::Csv => {
                    out.push(b'"');
                    out.extend_from_slice(v.replace('"', "\"\"").as_bytes());
                    out.push(b'"');
                }
                TextKind::Tsv => write_tsv_escaped(out, v.as_bytes()),
                TextKind::TsvRaw => out.extend_from_slice(v.as_bytes()),
            }
        }
        out.push(b'\n');
    }

    fn sep(&self) -> u8 {
        if self.kind == TextKind::Csv {
            b','
        } else {
            b'\t'
        }
    }
}

impl OutputWriter for TextWriter {
    fn content_type(&self) -> &'static str {
        match self.kind {
            TextKind::Csv => "text/csv; charset=UTF-8; header=absent",
            _ => "text/tab-separated-values; charset=UTF-8",
        }
    }

    fn write_prefix(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        if self.names {
            self.header_row(out, self.schema.fields().iter().map(|f| f.name().clone()));
        }
        if self.types_row {
            self.header_row(out, self.types.iter().map(|t| t.to_string()));
        }
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), Error> {
        let sep = self.sep();
        for row in 0..batch.num_rows() {
            for (i, (col, t)) in batch.columns().iter().zip(&self.types).enumerate() {
                if i > 0 {
                    out.push(sep);
                }
                match self.kind {
                    TextKind::Csv => write_csv(out, col.as_ref(), row, t, &self.ctx),
                    TextKind::Tsv => write_tsv(out, col.as_ref(), row, t, &self.ctx),
                    TextKind::TsvRaw => {
                        sluice_formats::text::write_value(out, col.as_ref(), row, t, &self.ctx)
                    }
                }
            }
            out.push(b'\n');
        }
        Ok(())
    }

    fn write_totals(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), Error> {
        out.push(b'\n');
        self.write_batch(batch, out)
    }
}

struct NativeWriter {
    revision: u64,
}

impl OutputWriter for NativeWriter {
    fn content_type(&self) -> &'static str {
        "application/octet-stream"
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<(), Error> {
        encode_block(batch, self.revision, out)
    }
}

struct NullWriter;

impl OutputWriter for NullWriter {
    fn content_type(&self) -> &'static str {
        "text/plain; charset=UTF-8"
    }

    fn write_batch(&mut self, _batch: &RecordBatch, _out: &mut Vec<u8>) -> Result<(), Error> {
        Ok(())
    }
}
