//! `RowBinary`, `RowBinaryWithNames`, `RowBinaryWithNamesAndTypes` input.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{ChType, Error, ErrorCode, Result};

use super::{InputFormat, Rows, at_row};
use crate::native::Cursor;
use crate::native::row::read_row_value;
use crate::output::Header;

/// Reader of the RowBinary formats.
pub struct RowBinaryInput {
    schema: SchemaRef,
    header: Header,
}

impl RowBinaryInput {
    /// A RowBinary reader with the given header.
    pub fn new(schema: SchemaRef, header: Header) -> Self {
        Self { schema, header }
    }
}

impl InputFormat for RowBinaryInput {
    fn read(&mut self, data: &[u8]) -> Result<Vec<RecordBatch>> {
        let mut rows = Rows::new(&self.schema);
        let mut c = Cursor::new(data);
        // Column order and types as written in the header, else the schema's.
        let mut layout: Vec<(Option<usize>, ChType)> = rows
            .types
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, t)| (Some(i), t))
            .collect();
        if self.header != Header::None && !c.at_end() {
            let n = c.read_len()?;
            let names: Vec<String> = (0..n).map(|_| c.string()).collect::<Result<_>>()?;
            let types: Vec<Option<ChType>> = if self.header == Header::NamesAndTypes {
                (0..n)
                    .map(|_| c.string().and_then(|s| ChType::parse(&s)).map(Some))
                    .collect::<Result<_>>()?
            } else {
                vec![None; n]
            };
            layout = Vec::with_capacity(n);
            for (name, t) in names.iter().zip(types) {
                let pos = self.schema.fields().iter().position(|f| f.name() == name);
                let t = match (pos, t) {
                    (_, Some(t)) => t,
                    (Some(p), None) => rows.types[p].clone(),
                    (None, None) => {
                        return Err(Error::new(
                            ErrorCode::INCORRECT_DATA,
                            format!("Unknown column '{name}' in RowBinaryWithNames header"),
                        ));
                    }
                };
                if let Some(p) = pos.filter(|&p| rows.types[p] != t) {
                    {
                        return Err(Error::new(
                            ErrorCode::TYPE_MISMATCH,
                            format!("Type of '{name}' must be {}, not {t}", rows.types[p]),
                        ));
                    }
                }
                layout.push((pos, t));
            }
        }
        let mut row_no = 0;
        while !c.at_end() {
            row_no += 1;
            let mut row = vec![None; rows.types.len()];
            for (pos, t) in &layout {
                let v = read_row_value(&mut c, t).map_err(|e| at_row(e, row_no))?;
                if let Some(p) = pos {
                    row[*p] = Some(v);
                }
            }
            rows.push(row);
        }
        Ok(vec![rows.finish()?])
    }
}
