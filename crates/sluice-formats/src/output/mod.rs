//! Output formats: [`output_format`] builds a writer for a format name, and every writer
//! implements [`OutputFormat`] (prefix, batches, totals, suffix with statistics).
//!
//! One format family per file: [`tsv`] (TabSeparated…), [`csv`], [`json`] (JSON,
//! JSONCompact, JSONStrings…), [`json_each_row`], [`pretty`], [`vertical`], [`markdown`],
//! [`values`], [`row_binary`], [`native`](crate::native) (Native), [`arrow_ipc`]
//! (Arrow, ArrowStream, Parquet), [`null`].

pub mod arrow_ipc;
pub mod csv;
pub mod json;
pub mod json_each_row;
pub mod markdown;
pub mod native;
pub mod null;
pub mod pretty;
pub mod raw_blob;
pub mod row_binary;
pub mod tsv;
pub mod values;
pub mod vertical;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Error, ErrorCode, Result};

use crate::settings::FormatSettings;

/// What the JSON formats print under `statistics` and `rows_before_limit_at_least`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryStatistics {
    /// Seconds since the query started.
    pub elapsed: f64,
    /// Rows read from tables.
    pub rows_read: u64,
    /// Bytes read from tables.
    pub bytes_read: u64,
    /// Rows before `LIMIT`, when the query had one.
    pub rows_before_limit: Option<u64>,
}

/// A writer of one output format. Call [`write_prefix`](Self::write_prefix) once, then
/// [`write_batch`](Self::write_batch) per block, optionally
/// [`write_totals`](Self::write_totals), then [`write_suffix`](Self::write_suffix).
pub trait OutputFormat: Send {
    /// Writes what comes before the data (headers, `{"meta": …`).
    fn write_prefix(&mut self, out: &mut Vec<u8>) -> Result<()>;
    /// Writes one block of rows.
    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()>;
    /// Writes the `WITH TOTALS` row (formats without totals ignore it).
    fn write_totals(&mut self, totals: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        let _ = (totals, out);
        Ok(())
    }
    /// Writes what comes after the data (closing brackets, statistics, buffered tables).
    fn write_suffix(&mut self, out: &mut Vec<u8>, stats: &QueryStatistics) -> Result<()>;
    /// The HTTP `Content-Type` ClickHouse sends for this format.
    fn content_type(&self) -> &'static str {
        "text/plain; charset=UTF-8"
    }
}

/// The header rows a row format starts with (`…WithNames`, `…WithNamesAndTypes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    /// No header.
    None,
    /// Column names.
    Names,
    /// Column names, then ClickHouse type names.
    NamesAndTypes,
}

/// The ClickHouse types of a schema's columns.
pub(crate) fn column_types(schema: &SchemaRef) -> Vec<ChType> {
    schema
        .fields()
        .iter()
        .map(|f| ChType::from_field(f))
        .collect()
}

/// Checks that a batch has the columns the writer was built for.
pub(crate) fn check_batch(batch: &RecordBatch, types: &[ChType]) -> Result<()> {
    if batch.num_columns() != types.len() {
        return Err(Error::internal(format!(
            "output block has {} columns, the format expects {}",
            batch.num_columns(),
            types.len()
        )));
    }
    Ok(())
}

/// The canonical ClickHouse name of an output format, matched case-insensitively
/// (`tsv` → `TSV`), or `None` when unknown.
pub fn canonical_output_name(name: &str) -> Option<&'static str> {
    const NAMES: &[&str] = &[
        "TabSeparated",
        "TSV",
        "TabSeparatedRaw",
        "TSVRaw",
        "Raw",
        "TabSeparatedWithNames",
        "TSVWithNames",
        "TabSeparatedWithNamesAndTypes",
        "TSVWithNamesAndTypes",
        "TabSeparatedRawWithNames",
        "TSVRawWithNames",
        "RawWithNames",
        "TabSeparatedRawWithNamesAndTypes",
        "TSVRawWithNamesAndTypes",
        "RawWithNamesAndTypes",
        "CSV",
        "CSVWithNames",
        "CSVWithNamesAndTypes",
        "JSON",
        "JSONCompact",
        "JSONStrings",
        "JSONCompactStrings",
        "JSONEachRow",
        "JSONLines",
        "JSONL",
        "NDJSON",
        "JSONCompactEachRow",
        "JSONCompactEachRowWithNames",
        "JSONCompactEachRowWithNamesAndTypes",
        "JSONStringsEachRow",
        "JSONCompactStringsEachRow",
        "Pretty",
        "PrettyCompact",
        "PrettySpace",
        "PrettyNoEscapes",
        "PrettyCompactNoEscapes",
        "PrettySpaceNoEscapes",
        "PrettyMonoBlock",
        "PrettyCompactMonoBlock",
        "PrettySpaceMonoBlock",
        "Vertical",
        "Markdown",
        "MD",
        "Values",
        "RowBinary",
        "RowBinaryWithNames",
        "RowBinaryWithNamesAndTypes",
        "Native",
        "Parquet",
        "Arrow",
        "ArrowStream",
        "Null",
        "RawBLOB",
        "LineAsString",
    ];
    NAMES.iter().copied().find(|n| n.eq_ignore_ascii_case(name))
}

/// Builds the writer for format `name` over `schema` (UNKNOWN_FORMAT when unknown).
pub fn output_format(
    name: &str,
    schema: SchemaRef,
    settings: &FormatSettings,
) -> Result<Box<dyn OutputFormat>> {
    let Some(canonical) = canonical_output_name(name) else {
        return Err(Error::new(
            ErrorCode::UNKNOWN_FORMAT,
            format!("Unknown format {name}"),
        ));
    };
    let s = settings.clone();
    use tsv::TsvOutput;
    Ok(match canonical {
        "TabSeparated" | "TSV" => Box::new(TsvOutput::new(schema, s, false, Header::None)),
        "TabSeparatedRaw" | "TSVRaw" | "Raw" => {
            Box::new(TsvOutput::new(schema, s, true, Header::None))
        }
        "TabSeparatedWithNames" | "TSVWithNames" => {
            Box::new(TsvOutput::new(schema, s, false, Header::Names))
        }
        "TabSeparatedWithNamesAndTypes" | "TSVWithNamesAndTypes" => {
            Box::new(TsvOutput::new(schema, s, false, Header::NamesAndTypes))
        }
        "TabSeparatedRawWithNames" | "TSVRawWithNames" | "RawWithNames" => {
            Box::new(TsvOutput::new(schema, s, true, Header::Names))
        }
        "TabSeparatedRawWithNamesAndTypes" | "TSVRawWithNamesAndTypes" | "RawWithNamesAndTypes" => {
            Box::new(TsvOutput::new(schema, s, true, Header::NamesAndTypes))
        }
        "CSV" => Box::new(csv::CsvOutput::new(schema, s, Header::None)),
        "CSVWithNames" => Box::new(csv::CsvOutput::new(schema, s, Header::Names)),
        "CSVWithNamesAndTypes" => Box::new(csv::CsvOutput::new(schema, s, Header::NamesAndTypes)),
        "JSON" => Box::new(json::JsonOutput::new(schema, s, false, false)),
        "JSONCompact" => Box::new(json::JsonOutput::new(schema, s, true, false)),
        "JSONStrings" => Box::new(json::JsonOutput::new(schema, s, false, true)),
        "JSONCompactStrings" => Box::new(json::JsonOutput::new(schema, s, true, true)),
        "JSONEachRow" | "JSONLines" | "JSONL" | "NDJSON" => Box::new(
            json_each_row::JsonEachRowOutput::new(schema, s, false, false, Header::None),
        ),
        "JSONStringsEachRow" => Box::new(json_each_row::JsonEachRowOutput::new(
            schema,
            s,
            false,
            true,
            Header::None,
        )),
        "JSONCompactEachRow" => Box::new(json_each_row::JsonEachRowOutput::new(
            schema,
            s,
            true,
            false,
            Header::None,
        )),
        "JSONCompactEachRowWithNames" => Box::new(json_each_row::JsonEachRowOutput::new(
            schema,
            s,
            true,
            false,
            Header::Names,
        )),
        "JSONCompactEachRowWithNamesAndTypes" => Box::new(json_each_row::JsonEachRowOutput::new(
            schema,
            s,
            true,
            false,
            Header::NamesAndTypes,
        )),
        "JSONCompactStringsEachRow" => Box::new(json_each_row::JsonEachRowOutput::new(
            schema,
            s,
            true,
            true,
            Header::None,
        )),
        "Pretty" | "PrettyNoEscapes" | "PrettyMonoBlock" => {
            Box::new(pretty::PrettyOutput::new(schema, s, pretty::Style::Full))
        }
        "PrettyCompact" | "PrettyCompactNoEscapes" | "PrettyCompactMonoBlock" => {
            Box::new(pretty::PrettyOutput::new(schema, s, pretty::Style::Compact))
        }
        "PrettySpace" | "PrettySpaceNoEscapes" | "PrettySpaceMonoBlock" => {
            Box::new(pretty::PrettyOutput::new(schema, s, pretty::Style::Space))
        }
        "Vertical" => Box::new(vertical::VerticalOutput::new(schema, s)),
        "Markdown" | "MD" => Box::new(markdown::MarkdownOutput::new(schema, s)),
        "Values" => Box::new(values::ValuesOutput::new(schema, s)),
        "RowBinary" => Box::new(row_binary::RowBinaryOutput::new(schema, Header::None)),
        "RowBinaryWithNames" => Box::new(row_binary::RowBinaryOutput::new(schema, Header::Names)),
        "RowBinaryWithNamesAndTypes" => Box::new(row_binary::RowBinaryOutput::new(
            schema,
            Header::NamesAndTypes,
        )),
        "Native" => Box::new(native::NativeOutput),
        "Parquet" => Box::new(arrow_ipc::ParquetOutput::new(schema)),
        "Arrow" => Box::new(arrow_ipc::ArrowOutput::new(schema, false)),
        "ArrowStream" => Box::new(arrow_ipc::ArrowOutput::new(schema, true)),
        "Null" => Box::new(null::NullOutput),
        "RawBLOB" => Box::new(raw_blob::RawOutput::new(schema, false)?),
        "LineAsString" => Box::new(raw_blob::RawOutput::new(schema, true)?),
        other => {
            return Err(Error::internal(format!(
                "format {other} listed but not built"
            )));
        }
    })
}

#[cfg(test)]
mod tests;
