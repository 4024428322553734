//! `Native` output: each batch as one Native block.

use arrow::record_batch::RecordBatch;
use sluice_common::Result;

use super::{OutputFormat, QueryStatistics};
use crate::native::write_native_block;

/// Writer of the `Native` format.
pub struct NativeOutput;

impl OutputFormat for NativeOutput {
    fn write_prefix(&mut self, _out: &mut Vec<u8>) -> Result<()> {
        Ok(())
    }

    fn write_batch(&mut self, batch: &RecordBatch, out: &mut Vec<u8>) -> Result<()> {
        write_native_block(out, batch)
    }

    fn write_suffix(&mut self, _out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        Ok(())
    }

    fn content_type(&self) -> &'static str {
        "application/octet-stream"
    }
}
