//! `CSV`, `CSVWithNames`, `CSVWithNamesAndTypes` input: double-quoted fields with `""`,
//! unquoted `\N` as NULL, empty unquoted fields as defaults
//! (`input_format_csv_empty_as_default`), whitespace around fields trimmed.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{Error, ErrorCode, Result};

use super::{InputFormat, Rows, at_row, map_header, null_for};
use crate::output::Header;
use crate::parse::{Value, parse_text};
use crate::settings::FormatSettings;

/// One CSV field: its bytes and whether it was quoted.
struct Field {
    bytes: Vec<u8>,
    quoted: bool,
}

/// Splits CSV text into records of fields.
struct Splitter<'a> {
    s: &'a [u8],
    pos: usize,
    delim: u8,
    trim: bool,
    single_quotes: bool,
}

impl Splitter<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn skip_spaces(&mut self) {
        if self.trim {
            while matches!(self.s.get(self.pos), Some(&c) if (c == b' ' || c == b'\t') && c != self.delim)
            {
                self.pos += 1;
            }
        }
    }

    /// Reads one record; `Ok(None)` at the end of input.
    fn record(&mut self, row: usize) -> Result<Option<Vec<Field>>> {
        if self.at_end() {
            return Ok(None);
        }
        let mut fields = Vec::new();
        loop {
            self.skip_spaces();
            let q = self.s.get(self.pos).copied();
            let field = if q == Some(b'"') || (self.single_quotes && q == Some(b'\'')) {
                let quote = q.unwrap_or(b'"');
                self.pos += 1;
                let mut bytes = Vec::new();
                loop {
                    match self.s.get(self.pos) {
                        None => {
                            return Err(at_row(
                                Error::new(
                                    ErrorCode::CANNOT_PARSE_QUOTED_STRING,
                                    "Cannot parse CSV field: expected closing quote",
                                ),
                                row,
                            ));
                        }
                        Some(&c) if c == quote => {
                            if self.s.get(self.pos + 1) == Some(&quote) {
                                bytes.push(quote);
                                self.pos += 2;
                            } else {
                                self.pos += 1;
                                break;
                            }
                        }
                        Some(&c) => {
                            bytes.push(c);
                            self.pos += 1;
                        }
                    }
                }
                self.skip_spaces();
                Field {
                    bytes,
                    quoted: true,
                }
            } else {
                let start = self.pos;
                while let Some(&c) = self.s.get(self.pos) {
                    if c == self.delim || c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
                let mut b = &self.s[start..self.pos];
                if self.trim {
                    while let [rest @ .., b' ' | b'\t'] = b {
                        b = rest;
                    }
                }
                Field {
                    bytes: b.to_vec(),
                    quoted: false,
                }
            };
            fields.push(field);
            match self.s.get(self.pos) {
                Some(&c) if c == self.delim => self.pos += 1,
                Some(b'\r') => {
                    self.pos += 1;
                    if self.s.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    return Ok(Some(fields));
                }
                Some(b'\n') => {
                    self.pos += 1;
                    return Ok(Some(fields));
                }
                None => return Ok(Some(fields)),
                Some(_) => {
                    let rest = String::from_utf8_lossy(
                        &self.s[self.pos..(self.pos + 20).min(self.s.len())],
                    )
                    .into_owned();
                    return Err(at_row(
                        Error::new(
                            ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED,
                            format!(
                                "Cannot parse input: expected '{}' before: '{}'",
                                self.delim as char,
                                rest.escape_default()
                            ),
                        ),
                        row,
                    ));
                }
            }
        }
    }
}

/// Reader of the CSV formats.
pub struct CsvInput {
    schema: SchemaRef,
    settings: FormatSettings,
    header: Header,
}

impl CsvInput {
    /// A CSV reader with the given header rows.
    pub fn new(schema: SchemaRef, settings: FormatSettings, header: Header) -> Self {
        Self {
            schema,
            settings,
            header,
        }
    }
}

impl InputFormat for CsvInput {
    fn read(&mut self, data: &[u8]) -> Result<Vec<RecordBatch>> {
        let mut rows = Rows::new(&self.schema);
        let mut sp = Splitter {
            s: data,
            pos: 0,
            delim: self.settings.text.csv_delimiter,
            trim: self.settings.csv_trim_whitespaces,
            single_quotes: self.settings.csv_allow_single_quotes,
        };
        let mut mapping: Vec<Option<usize>> = (0..rows.types.len()).map(Some).collect();
        if self.header != Header::None {
            if let Some(h) = sp.record(0)? {
                let names: Vec<String> = h
                    .iter()
                    .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
                    .collect();
                mapping = map_header(&self.schema, &names, &self.settings, "CSV")?;
            }
            if self.header == Header::NamesAndTypes {
                sp.record(0)?;
            }
        }
        let mut row_no = 0;
        while let Some(fields) = sp.record(row_no + 1)? {
            row_no += 1;
            if fields.len() == 1
                && fields[0].bytes.is_empty()
                && !fields[0].quoted
                && mapping.len() != 1
            {
                continue;
            }
            if fields.len() != mapping.len() {
                let expected = if fields.len() < mapping.len() {
                    format!("'{}'", self.settings.text.csv_delimiter as char)
                } else {
                    "'\\n'".to_string()
                };
                return Err(at_row(
                    Error::new(
                        ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED,
                        format!("Cannot parse input: expected {expected} before: '\\n'"),
                    ),
                    row_no,
                ));
            }
            let mut row = vec![None; rows.types.len()];
            for (f, col) in fields.iter().zip(&mapping) {
                let Some(c) = *col else { continue };
                let t = &rows.types[c];
                let v = if !f.quoted && f.bytes == self.settings.csv_null.as_bytes() {
                    null_for(t, &self.settings, self.schema.field(c).name())
                        .map_err(|e| at_row(e, row_no))?
                } else if !f.quoted && f.bytes.is_empty() && self.settings.csv_empty_as_default {
                    Value::Null
                } else {
                    parse_text(&f.bytes, t, &self.settings).map_err(|e| at_row(e, row_no))?
                };
                row[c] = Some(v);
            }
            rows.push(row);
        }
        Ok(vec![rows.finish()?])
    }
}
