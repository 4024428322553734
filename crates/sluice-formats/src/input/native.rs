//! `Native` input: blocks until the end of the data, columns matched to the target
//! schema by name (missing ones become defaults).

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use sluice_common::{Error, ErrorCode, Result};

use super::{InputFormat, Rows};
use crate::native::read_native_block;

/// Reader of the `Native` format.
pub struct NativeInput {
    schema: SchemaRef,
}

impl NativeInput {
    /// A Native reader into `schema`.
    pub fn new(schema: SchemaRef) -> Self {
        Self { schema }
    }
}

impl InputFormat for NativeInput {
    fn read(&mut self, data: &[u8]) -> Result<Vec<RecordBatch>> {
        let mut pos = 0;
        let mut out = Vec::new();
        while pos < data.len() {
            let block = read_native_block(data, &mut pos)?;
            let n = block.num_rows();
            let mut defaults = Rows::new(&self.schema);
            for _ in 0..n {
                defaults.push(vec![None; self.schema.fields().len()]);
            }
            let defaults = defaults.finish()?;
            let mut cols: Vec<ArrayRef> = Vec::new();
            for (i, f) in self.schema.fields().iter().enumerate() {
                let col = match block.schema().index_of(f.name()) {
                    Ok(j) if block.column(j).data_type() == f.data_type() => {
                        Arc::clone(block.column(j))
                    }
                    Ok(j) => arrow::compute::cast(block.column(j), f.data_type()).map_err(|e| {
                        Error::new(
                            ErrorCode::TYPE_MISMATCH,
                            format!("Cannot convert column {}: {e}", f.name()),
                        )
                    })?,
                    Err(_) => Arc::clone(defaults.column(i)),
                };
                cols.push(col);
            }
            let opts = RecordBatchOptions::new().with_row_count(Some(n));
            out.push(
                RecordBatch::try_new_with_options(Arc::clone(&self.schema), cols, &opts)
                    .map_err(|e| Error::new(ErrorCode::INCORRECT_DATA, e.to_string()))?,
            );
        }
        Ok(out)
    }
}
