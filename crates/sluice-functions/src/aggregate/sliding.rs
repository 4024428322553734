//! Aggregates over sliding window frames (`ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING`):
//! DataFusion adds the rows entering the frame and retracts the rows leaving it. ClickHouse
//! aggregate states cannot subtract in general (`min`, `uniq`, `groupArray`…), so the
//! sliding accumulator keeps the frame's rows and folds a fresh state over them when the
//! frame's value is asked for — O(frame) per row, exact for every aggregate.

use std::collections::VecDeque;

use datafusion::arrow::array::ArrayRef;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::Accumulator;
use sluice_common::Error;

use super::func::AggFuncRef;
use super::udaf::{conform, normalize_args};
use crate::util::ch_error;

/// The accumulator DataFusion uses for a sliding frame.
#[derive(Debug)]
pub struct SlidingAccumulator {
    func: AggFuncRef,
    /// Argument columns of the rows in the frame, in arrival order.
    chunks: VecDeque<Vec<ArrayRef>>,
    /// Rows of the first chunk already retracted.
    skip: usize,
    /// The frame's value since the last change.
    cached: Option<ScalarValue>,
}

impl SlidingAccumulator {
    /// An empty frame of `func`.
    pub fn new(func: AggFuncRef) -> Self {
        Self {
            func,
            chunks: VecDeque::new(),
            skip: 0,
            cached: None,
        }
    }
}

fn rows(chunk: &[ArrayRef]) -> usize {
    chunk.first().map_or(0, |a| a.len())
}

impl Accumulator for SlidingAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if rows(values) == 0 {
            return Ok(());
        }
        self.chunks.push_back(values.to_vec());
        self.cached = None;
        Ok(())
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let mut n = rows(values);
        while n > 0 {
            let Some(front) = self.chunks.front() else {
                return Err(ch_error(Error::internal(
                    "window frame retracts more rows than it holds",
                )));
            };
            let left = rows(front) - self.skip;
            if left <= n {
                self.chunks.pop_front();
                self.skip = 0;
                n -= left;
            } else {
                self.skip += n;
                n = 0;
            }
        }
        self.cached = None;
        Ok(())
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if let Some(v) = &self.cached {
            return Ok(v.clone());
        }
        let mut state = self.func.new_state();
        for (i, chunk) in self.chunks.iter().enumerate() {
            let skip = if i == 0 { self.skip } else { 0 };
            let len = rows(chunk) - skip;
            let sliced: Vec<ArrayRef> = chunk.iter().map(|a| a.slice(skip, len)).collect();
            state.add(&normalize_args(&sliced)?)?;
        }
        let v = conform(state.finalize()?, &self.func.ret.to_arrow())?;
        self.cached = Some(v.clone());
        Ok(v)
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self
                .chunks
                .iter()
                .flat_map(|c| c.iter())
                .map(|a| a.get_array_memory_size())
                .sum::<usize>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Err(ch_error(Error::internal(
            "a sliding window frame has no partial state",
        )))
    }

    fn merge_batch(&mut self, _states: &[ArrayRef]) -> Result<()> {
        Err(ch_error(Error::internal(
            "a sliding window frame has no partial state",
        )))
    }
}
