//! `Null`: consumes the result and writes nothing.

use arrow::record_batch::RecordBatch;
use sluice_common::Result;

use super::{OutputFormat, QueryStatistics};

/// Writer of the `Null` format.
pub struct NullOutput;

impl OutputFormat for NullOutput {
    fn write_prefix(&mut self, _out: &mut Vec<u8>) -> Result<()> {
        Ok(())
    }

    fn write_batch(&mut self, _batch: &RecordBatch, _out: &mut Vec<u8>) -> Result<()> {
        Ok(())
    }

    fn write_suffix(&mut self, _out: &mut Vec<u8>, _stats: &QueryStatistics) -> Result<()> {
        Ok(())
    }
}
