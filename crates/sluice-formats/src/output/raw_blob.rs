//! `RawBLOB` and `LineAsString` output of String columns: the values as they are, all
//! concatenated (`RawBLOB`) or a line per row with tabs between columns (`LineAsString`),
//! with no escaping. Other column types are `NOT_IMPLEMENTED` (ClickHouse writes RawBLOB
//! numbers in binary).

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use sluice_common::{Error, ErrorCode, Result};

use super::{OutputFormat, QueryStatistics};

/// Writer of `RawBLOB` (`lines = false`) and `LineAsString` (`lines = true`).
pub struct RawOutput {
    lines: bool,
}

impl RawOutput {
    /// Checks the schema: String-like columns only.
    pub fn new(schema: SchemaRef, lines: bool) -> Result<Self> {
        let name = if lines { "LineAsString" } else { "RawBLOB" };
        for f in schema.fields() {
            if !matches!(
                f.data_type(),
                DataType::Utf8
                    | DataType::LargeUtf8
                    | DataType::Utf8View
                    | DataType::Binary
                    | DataType::LargeBinary
                    | DataType::FixedSizeBinary(_)
            ) {
                return Err(Error::new(
                    ErrorCode::NOT_IMPLEMENTED,
                    format!("{name} output of the non-String column {}", f.name()),
                ));
            }
        }
        Ok(Self { lines })
    }
}

fn value(col: &dyn Array, i: usize) -> &[u8] {
    match col.data_type() {
        DataType::Utf8 => col.as_string::<i32>().value(i).as_bytes(),
        DataType::LargeUtf8 => col.as_string::<i64>().value(i).as_bytes(),
        DataType::Utf8View => col.as_string_view().value(i).as_bytes(),
        DataType::Binary => col.as_binary::<i32>().value(i),
        DataType::LargeBinary => col.as_binary::<i64>().value(i),
        DataType::FixedSizeBinary(_) => col.as_fixed_size_binary().value(i),
        _ => &[],
    }
}

impl OutputFormat for RawOutput {
    fn write_prefix(&mut self, _out: &mut Vec<u8>) -> Result<()> {
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        for i in 0..batch.num_rows() {
            for (c, col) in batch.columns().iter().enumerate() {
                if self.lines && c > 0 {
                    out.push(b'\t');
                }
                if !col.is_null(i) {
                    out.extend_from_slice(value(col.as_ref(), i));
                }
            }
            if self.lines {
                out.push(b'\n');
            }
        }
        Ok(())
    }

    fn write_suffix(&mut self, _out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        Ok(())
    }
}
