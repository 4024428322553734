//! `TabSeparated` input (`TSV`, `TSVRaw`, `…WithNames`, `…WithNamesAndTypes`).

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{Error, ErrorCode, Result};

use super::{InputFormat, Rows, at_row, map_header, null_for};
use crate::output::Header;
use crate::parse::{parse_text, quoted::unescape_byte};
use crate::settings::FormatSettings;

/// Undoes TSV escaping (`\t`, `\n`, `\\`, `\xHH`, …).
pub(crate) fn unescape_tsv(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 1 < s.len() {
            let e = s[i + 1];
            if e == b'x'
                && i + 3 < s.len()
                && let Some(v) = std::str::from_utf8(&s[i + 2..i + 4])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 4;
                continue;
            }
            out.push(unescape_byte(e));
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Splits input into lines, dropping a final empty line and a `\r` before `\n`.
pub(crate) fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v.into_iter()
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect()
}

/// Reader of the TabSeparated formats.
pub struct TsvInput {
    schema: SchemaRef,
    settings: FormatSettings,
    raw: bool,
    header: Header,
}

impl TsvInput {
    /// `raw`: fields are not unescaped (`TSVRaw`).
    pub fn new(schema: SchemaRef, settings: FormatSettings, raw: bool, header: Header) -> Self {
        Self {
            schema,
            settings,
            raw,
            header,
        }
    }
}

impl InputFormat for TsvInput {
    fn read(&mut self, data: &[u8]) -> Result<Vec<RecordBatch>> {
        let mut rows = Rows::new(&self.schema);
        let mut lines = lines(data).into_iter();
        let mut mapping: Vec<Option<usize>> = (0..rows.types.len()).map(Some).collect();
        if self.header != Header::None {
            if let Some(h) = lines.next() {
                let names: Vec<String> = h
                    .split(|&b| b == b'\t')
                    .map(|n| String::from_utf8_lossy(&unescape_tsv(n)).into_owned())
                    .collect();
                mapping = map_header(&self.schema, &names, &self.settings, "TSV")?;
            }
            if self.header == Header::NamesAndTypes {
                lines.next();
            }
        }
        for (n, line) in lines.enumerate() {
            let row_no = n + 1;
            let fields: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
            if fields.len() != mapping.len() {
                let expected = if fields.len() < mapping.len() {
                    "'\\t'"
                } else {
                    "'\\n'"
                };
                return Err(at_row(
                    Error::new(
                        ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED,
                        format!(
                            "Cannot parse input: expected {expected} before: '{}'",
                            String::from_utf8_lossy(line).escape_default()
                        ),
                    ),
                    row_no,
                ));
            }
            let mut row = vec![None; rows.types.len()];
            for (field, col) in fields.iter().zip(&mapping) {
                let Some(c) = *col else { continue };
                let t = &rows.types[c];
                let v = if *field == b"\\N" {
                    null_for(t, &self.settings, self.schema.field(c).name())
                        .map_err(|e| at_row(e, row_no))?
                } else if field.is_empty() && self.settings.tsv_empty_as_default {
                    crate::parse::Value::Null
                } else {
                    let text = if self.raw {
                        field.to_vec()
                    } else {
                        unescape_tsv(field)
                    };
                    parse_text(&text, t, &self.settings).map_err(|e| at_row(e, row_no))?
                };
                row[c] = Some(v);
            }
            rows.push(row);
        }
        Ok(vec![rows.finish()?])
    }
}
