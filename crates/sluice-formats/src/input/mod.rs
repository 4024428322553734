//! Input formats: [`input_format`] builds a reader for a format name that turns a
//! whole buffer into record batches of exactly the target schema (missing values become
//! type defaults, non-Nullable columns never hold NULL).
//!
//! One family per file: [`tsv`], [`csv`], [`json`] (JSONEachRow, JSONCompactEachRow,
//! JSONStringsEachRow, JSONAsString), [`values`], [`lines`] (LineAsString, RawBLOB),
//! [`arrow_ipc`] (Parquet, Arrow, ArrowStream), [`row_binary`], [`native`].

pub mod arrow_ipc;
pub mod csv;
pub mod json;
pub mod lines;
pub mod native;
pub mod row_binary;
pub mod tsv;
pub mod values;

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use sluice_common::{ChType, Error, ErrorCode, Result};

use crate::parse::{Value, build_array};
use crate::settings::FormatSettings;

/// A reader of one input format.
pub trait InputFormat: Send {
    /// Parses a whole buffer into batches of the target schema.
    fn read(&mut self, data: &[u8]) -> Result<Vec<RecordBatch>>;
}

/// Rows collected column by column, then built into a batch of the target schema.
pub(crate) struct Rows {
    pub schema: SchemaRef,
    pub types: Vec<ChType>,
    pub cols: Vec<Vec<Value>>,
    pub rows: usize,
}

impl Rows {
    pub fn new(schema: &SchemaRef) -> Self {
        let types: Vec<ChType> = schema
            .fields()
            .iter()
            .map(|f| ChType::from_field(f))
            .collect();
        let cols = vec![Vec::new(); types.len()];
        Self {
            schema: Arc::clone(schema),
            types,
            cols,
            rows: 0,
        }
    }

    /// Appends a row given as one optional value per column (`None`: default).
    pub fn push(&mut self, row: Vec<Option<Value>>) {
        for (col, v) in self.cols.iter_mut().zip(row) {
            col.push(v.unwrap_or(Value::Null));
        }
        self.rows += 1;
    }

    pub fn finish(self) -> Result<RecordBatch> {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.cols.len());
        for ((vals, t), f) in self.cols.iter().zip(&self.types).zip(self.schema.fields()) {
            let a = build_array(vals, t)?;
            let a = if a.data_type() == f.data_type() {
                a
            } else {
                arrow::compute::cast(&a, f.data_type())
                    .map_err(|e| Error::internal(format!("input column cast: {e}")))?
            };
            arrays.push(a);
        }
        let opts = RecordBatchOptions::new().with_row_count(Some(self.rows));
        RecordBatch::try_new_with_options(Arc::clone(&self.schema), arrays, &opts)
            .map_err(|e| Error::internal(format!("input batch: {e}")))
    }
}

/// Adds `(at row N)` to a parse error, as ClickHouse does.
pub(crate) fn at_row(e: Error, row: usize) -> Error {
    Error::new(e.code, format!("{}: (at row {row})", e.message))
}

/// Checks a NULL against a non-Nullable column (`input_format_null_as_default`).
pub(crate) fn null_for(t: &ChType, settings: &FormatSettings, name: &str) -> Result<Value> {
    if t.is_nullable() || settings.null_as_default || matches!(t.base(), ChType::Nothing) {
        Ok(Value::Null)
    } else {
        Err(Error::new(
            ErrorCode::CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN,
            format!("Cannot insert NULL value into a column of type '{t}' at: {name}"),
        ))
    }
}

/// Maps header names to column positions (`…WithNames` formats).
pub(crate) fn map_header(
    schema: &SchemaRef,
    names: &[String],
    settings: &FormatSettings,
    format: &str,
) -> Result<Vec<Option<usize>>> {
    names
        .iter()
        .map(
            |n| match schema.fields().iter().position(|f| f.name() == n) {
                Some(i) => Ok(Some(i)),
                None if settings.skip_unknown_fields => Ok(None),
                None => Err(Error::new(
                    ErrorCode::INCORRECT_DATA,
                    format!("Unknown field found in {format} header: '{n}'"),
                )),
            },
        )
        .collect()
}

/// The canonical name of an input format (case-insensitive), `None` when unknown.
pub fn canonical_input_name(name: &str) -> Option<&'static str> {
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
        "CSV",
        "CSVWithNames",
        "CSVWithNamesAndTypes",
        "JSONEachRow",
        "JSONLines",
        "JSONL",
        "NDJSON",
        "JSONCompactEachRow",
        "JSONStringsEachRow",
        "JSONCompactStringsEachRow",
        "JSONAsString",
        "Values",
        "LineAsString",
        "RawBLOB",
        "RowBinary",
        "RowBinaryWithNames",
        "RowBinaryWithNamesAndTypes",
        "Native",
        "Parquet",
        "Arrow",
        "ArrowStream",
    ];
    NAMES.iter().copied().find(|n| n.eq_ignore_ascii_case(name))
}

/// Builds the reader for format `name` into `schema` (UNKNOWN_FORMAT when unknown).
pub fn input_format(
    name: &str,
    schema: SchemaRef,
    settings: &FormatSettings,
) -> Result<Box<dyn InputFormat>> {
    let Some(canonical) = canonical_input_name(name) else {
        return Err(Error::new(
            ErrorCode::UNKNOWN_FORMAT,
            format!("Unknown format {name}"),
        ));
    };
    let s = settings.clone();
    use crate::output::Header;
    Ok(match canonical {
        "TabSeparated" | "TSV" => Box::new(tsv::TsvInput::new(schema, s, false, Header::None)),
        "TabSeparatedRaw" | "TSVRaw" | "Raw" => {
            Box::new(tsv::TsvInput::new(schema, s, true, Header::None))
        }
        "TabSeparatedWithNames" | "TSVWithNames" => {
            Box::new(tsv::TsvInput::new(schema, s, false, Header::Names))
        }
        "TabSeparatedWithNamesAndTypes" | "TSVWithNamesAndTypes" => {
            Box::new(tsv::TsvInput::new(schema, s, false, Header::NamesAndTypes))
        }
        "CSV" => Box::new(csv::CsvInput::new(schema, s, Header::None)),
        "CSVWithNames" => Box::new(csv::CsvInput::new(schema, s, Header::Names)),
        "CSVWithNamesAndTypes" => Box::new(csv::CsvInput::new(schema, s, Header::NamesAndTypes)),
        "JSONEachRow" | "JSONLines" | "JSONL" | "NDJSON" => {
            Box::new(json::JsonInput::new(schema, s, json::Kind::EachRow))
        }
        "JSONStringsEachRow" => {
            Box::new(json::JsonInput::new(schema, s, json::Kind::StringsEachRow))
        }
        "JSONCompactEachRow" => {
            Box::new(json::JsonInput::new(schema, s, json::Kind::CompactEachRow))
        }
        "JSONCompactStringsEachRow" => Box::new(json::JsonInput::new(
            schema,
            s,
            json::Kind::CompactStringsEachRow,
        )),
        "JSONAsString" => Box::new(json::JsonInput::new(schema, s, json::Kind::AsString)),
        "Values" => Box::new(values::ValuesInput::new(schema, s)),
        "LineAsString" => Box::new(lines::LinesInput::new(schema, false)),
        "RawBLOB" => Box::new(lines::LinesInput::new(schema, true)),
        "RowBinary" => Box::new(row_binary::RowBinaryInput::new(schema, Header::None)),
        "RowBinaryWithNames" => Box::new(row_binary::RowBinaryInput::new(schema, Header::Names)),
        "RowBinaryWithNamesAndTypes" => Box::new(row_binary::RowBinaryInput::new(
            schema,
            Header::NamesAndTypes,
        )),
        "Native" => Box::new(native::NativeInput::new(schema)),
        "Parquet" => Box::new(arrow_ipc::ArrowInput::new(schema, arrow_ipc::Kind::Parquet)),
        "Arrow" => Box::new(arrow_ipc::ArrowInput::new(schema, arrow_ipc::Kind::File)),
        "ArrowStream" => Box::new(arrow_ipc::ArrowInput::new(schema, arrow_ipc::Kind::Stream)),
        other => {
            return Err(Error::internal(format!(
                "input format {other} listed but not built"
            )));
        }
    })
}

#[cfg(test)]
mod tests;
