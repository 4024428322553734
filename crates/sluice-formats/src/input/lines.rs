//! `LineAsString` (one row per line) and `RawBLOB` (the whole input as one value).

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use sluice_common::{Error, ErrorCode, Result};

use super::{InputFormat, Rows};
use crate::parse::Value;

/// Reader of `LineAsString` and `RawBLOB` into a single String column.
pub struct LinesInput {
    schema: SchemaRef,
    blob: bool,
}

impl LinesInput {
    /// `blob`: the whole input is one row (`RawBLOB`).
    pub fn new(schema: SchemaRef, blob: bool) -> Self {
        Self { schema, blob }
    }
}

impl InputFormat for LinesInput {
    fn read(&mut self, data: &[u8]) -> Result<Vec<RecordBatch>> {
        if self.schema.fields().len() != 1 {
            let name = if self.blob { "RawBLOB" } else { "LineAsString" };
            return Err(Error::new(
                ErrorCode::BAD_ARGUMENTS,
                format!(
                    "This input format is only suitable for tables with a single column of type String but the number of columns is {} ({name})",
                    self.schema.fields().len()
                ),
            ));
        }
        let mut rows = Rows::new(&self.schema);
        if self.blob {
            rows.push(vec![Some(Value::Bytes(data.to_vec()))]);
        } else {
            let mut v: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
            if v.last().is_some_and(|l| l.is_empty()) {
                v.pop();
            }
            for line in v {
                rows.push(vec![Some(Value::Bytes(line.to_vec()))]);
            }
        }
        Ok(vec![rows.finish()?])
    }
}
