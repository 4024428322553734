//! A part's manifest statistics: its row count and, per column, the NULL count and the
//! min/max. A part writer gathers them from the blocks written into it; an insert
//! computes its block's on a storage worker while it sorts the block (the sort runs on
//! one core and the other was idle), and the writer merges them in.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::functions_aggregate::min_max::{MaxAccumulator, MinAccumulator};
use datafusion::logical_expr::Accumulator;
use sluice_common::{Error, Result};

use crate::stats::column_stats;

/// Row count, NULL counts and min/max of the rows seen so far.
pub(crate) struct PartStats {
    /// Per column: its minimum so far, `None` once the column has no usable minimum
    /// (an unorderable type, a NaN).
    mins: Vec<Option<MinAccumulator>>,
    maxs: Vec<Option<MaxAccumulator>>,
    nulls: Vec<u64>,
    rows: u64,
}

impl PartStats {
    /// No rows yet, for columns of `schema`.
    pub(crate) fn new(schema: &SchemaRef) -> Self {
        let fields = schema.fields();
        Self {
            mins: fields
                .iter()
                .map(|f| MinAccumulator::try_new(f.data_type()).ok())
                .collect(),
            maxs: fields
                .iter()
                .map(|f| MaxAccumulator::try_new(f.data_type()).ok())
                .collect(),
            nulls: vec![0; fields.len()],
            rows: 0,
        }
    }

    /// The statistics of `batch` alone.
    pub(crate) fn of_block(batch: &RecordBatch) -> Self {
        let mut s = Self::new(&batch.schema());
        s.add(batch);
        s
    }

    /// Rows seen.
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    /// NULLs seen in column `i`.
    pub(crate) fn null_count(&self, i: usize) -> u64 {
        self.nulls.get(i).copied().unwrap_or(0)
    }

    /// Adds `batch` (in the schema given to [`Self::new`]).
    pub(crate) fn add(&mut self, batch: &RecordBatch) {
        for (i, col) in batch.columns().iter().enumerate().take(self.nulls.len()) {
            self.nulls[i] += col.null_count() as u64;
            if self.mins[i].is_none() && self.maxs[i].is_none() {
                continue;
            }
            // Statistics only for orderable columns without NaN (NaN breaks ranges).
            if !crate::stats::orderable(col.data_type()) || crate::stats::has_nan(col) {
                self.mins[i] = None;
                self.maxs[i] = None;
                continue;
            }
            let extremes = crate::stats::string_extremes(col);
            let slice = std::slice::from_ref(extremes.as_ref().unwrap_or(col));
            if let Some(acc) = self.mins[i].as_mut()
                && acc.update_batch(slice).is_err()
            {
                self.mins[i] = None;
            }
            if let Some(acc) = self.maxs[i].as_mut()
                && acc.update_batch(slice).is_err()
            {
                self.maxs[i] = None;
            }
        }
        self.rows += batch.num_rows() as u64;
    }

    /// Adds the rows `other` saw (statistics of the same columns).
    pub(crate) fn merge(&mut self, mut other: PartStats) -> Result<()> {
        if other.nulls.len() != self.nulls.len() {
            return Err(Error::internal(format!(
                "part statistics of {} columns merged into {}",
                other.nulls.len(),
                self.nulls.len()
            )));
        }
        for i in 0..self.nulls.len() {
            self.nulls[i] += other.nulls[i];
            merge_one(&mut self.mins[i], other.mins[i].as_mut());
            merge_one(&mut self.maxs[i], other.maxs[i].as_mut());
        }
        self.rows += other.rows;
        Ok(())
    }

    /// Column `i`'s min and max as manifest text.
    pub(crate) fn min_max_text(&mut self, i: usize) -> (Option<String>, Option<String>) {
        let text = |v: Option<datafusion::common::ScalarValue>| -> Option<String> {
            let arr = v?.to_array().ok()?;
            column_stats(&arr).0
        };
        let min = self
            .mins
            .get_mut(i)
            .and_then(Option::as_mut)
            .and_then(|a| text(a.evaluate().ok()));
        let max = self
            .maxs
            .get_mut(i)
            .and_then(Option::as_mut)
            .and_then(|a| text(a.evaluate().ok()));
        (min, max)
    }
}

/// Folds `other`'s extreme into `acc` (`None` on either side: no usable extreme).
fn merge_one<A: Accumulator>(acc: &mut Option<A>, other: Option<&mut A>) {
    let Some(other) = other else {
        *acc = None;
        return;
    };
    let Some(mine) = acc.as_mut() else {
        return;
    };
    let merged = other.state().and_then(|state| {
        let arrays = state
            .iter()
            .map(|v| v.to_array())
            .collect::<datafusion::common::Result<Vec<_>>>()?;
        mine.merge_batch(&arrays)
    });
    if merged.is_err() {
        *acc = None;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Float64Array, StringArray, UInt32Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn block(keys: &[Option<u32>], names: &[&str], floats: &[f64]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::UInt32, true),
            Field::new("s", DataType::Utf8, false),
            Field::new("f", DataType::Float64, false),
        ]));
        let cols: Vec<ArrayRef> = vec![
            Arc::new(UInt32Array::from(keys.to_vec())),
            Arc::new(StringArray::from(names.to_vec())),
            Arc::new(Float64Array::from(floats.to_vec())),
        ];
        RecordBatch::try_new(schema, cols).unwrap()
    }

    #[test]
    fn merged_statistics_equal_those_of_all_the_rows() {
        let a = block(
            &[Some(5), None, Some(9)],
            &["m", "b", "x"],
            &[1.0, 2.0, 3.0],
        );
        let b = block(
            &[Some(2), Some(7), None],
            &["c", "z", "a"],
            &[0.5, f64::NAN, 4.0],
        );
        let mut whole = PartStats::new(&a.schema());
        whole.add(&a);
        whole.add(&b);
        let mut merged = PartStats::new(&a.schema());
        merged.merge(PartStats::of_block(&a)).unwrap();
        merged.merge(PartStats::of_block(&b)).unwrap();
        assert_eq!(merged.rows(), 6);
        for i in 0..3 {
            assert_eq!(merged.null_count(i), whole.null_count(i));
            assert_eq!(merged.min_max_text(i), whole.min_max_text(i));
        }
        assert_eq!(merged.min_max_text(0), (Some("2".into()), Some("9".into())));
        assert_eq!(merged.min_max_text(1), (Some("a".into()), Some("z".into())));
        // A NaN leaves the float column without a range.
        assert_eq!(merged.min_max_text(2), (None, None));
        assert_eq!(merged.null_count(0), 2);
    }
}
