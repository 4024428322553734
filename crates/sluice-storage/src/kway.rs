//! Streaming k-way merge of sorted runs (one per part) on the sorting key, using Arrow
//! `RowConverter` keys. Produces chunks of about `block_size` rows that never split a
//! group of equal keys, with the group boundaries, so engine semantics can be applied
//! chunk by chunk in bounded memory.

use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::compute::SortOptions;
use datafusion::arrow::compute::interleave;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::row::{RowConverter, Rows, SortField};
use sluice_common::{Error, ErrorCode, Result};

use crate::expr::BatchExpr;

/// A sorted run of batches.
pub(crate) type Run = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

fn arrow_err(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::LOGICAL_ERROR, format!("merge: {e}"))
}

/// Evaluates the sorting key of `batch` into comparable rows (`None` key: all rows equal).
pub(crate) struct KeyEncoder {
    expr: Option<Arc<dyn BatchExpr>>,
    converter: Option<RowConverter>,
}

impl KeyEncoder {
    pub(crate) fn new(expr: Option<Arc<dyn BatchExpr>>) -> Self {
        Self {
            expr,
            converter: None,
        }
    }

    /// Key rows of `batch`.
    pub(crate) fn encode(&mut self, batch: &RecordBatch) -> Result<Rows> {
        let cols = self.key_columns(batch)?;
        self.encode_columns(cols, batch.num_rows())
    }

    /// The sorting key's columns evaluated over `batch` (empty for `ORDER BY tuple()`).
    pub(crate) fn key_columns(&self, batch: &RecordBatch) -> Result<Vec<ArrayRef>> {
        match &self.expr {
            Some(e) => e.eval(batch),
            None => Ok(Vec::new()),
        }
    }

    /// Key rows of already evaluated key columns of a batch of `num_rows` rows.
    pub(crate) fn encode_columns(
        &mut self,
        mut cols: Vec<ArrayRef>,
        num_rows: usize,
    ) -> Result<Rows> {
        if cols.is_empty() {
            // ORDER BY tuple(): every row has the same (constant) key.
            cols.push(Arc::new(datafusion::arrow::array::UInt8Array::from(vec![
                0u8;
                num_rows
            ])));
        }
        if self.converter.is_none() {
            let fields = cols
                .iter()
                .map(|c| {
                    SortField::new_with_options(
                        c.data_type().clone(),
                        SortOptions {
                            descending: false,
                            nulls_first: false,
                        },
                    )
                })
                .collect();
            self.converter = Some(RowConverter::new(fields).map_err(arrow_err)?);
        }
        let conv = self
            .converter
            .as_ref()
            .ok_or_else(|| Error::internal("row converter missing"))?;
        conv.convert_columns(&cols).map_err(arrow_err)
    }
}

/// Stable sort of a batch by the key: the permutation, and whether it changed anything.
pub(crate) fn sort_indices(rows: &Rows) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..rows.num_rows() as u32).collect();
    idx.sort_by(|&a, &b| rows.row(a as usize).cmp(&rows.row(b as usize)));
    idx
}

struct Cursor {
    batch: RecordBatch,
    rows: Arc<Rows>,
    pos: usize,
    /// Index of this batch in the current chunk's store, once referenced.
    slot: Option<usize>,
}

/// The merge of several sorted runs.
pub(crate) struct KWayMerge {
    runs: Vec<Run>,
    cursors: Vec<Option<Cursor>>,
    /// Heap of run indices ordered by (current key, run index).
    heap: Vec<usize>,
    encoder: KeyEncoder,
    schema: SchemaRef,
    block_size: usize,
    /// Rows read from the runs.
    pub(crate) rows_read: u64,
}

/// One merged chunk: rows in key order and the ranges of equal keys.
pub(crate) struct Chunk {
    pub(crate) batch: RecordBatch,
    pub(crate) groups: Vec<Range<usize>>,
}

impl KWayMerge {
    pub(crate) fn new(
        runs: Vec<Run>,
        key: Option<Arc<dyn BatchExpr>>,
        schema: SchemaRef,
        block_size: usize,
    ) -> Result<Self> {
        let n = runs.len();
        let mut m = Self {
            runs,
            cursors: (0..n).map(|_| None).collect(),
            heap: Vec::with_capacity(n),
            encoder: KeyEncoder::new(key),
            schema,
            block_size: block_size.max(1),
            rows_read: 0,
        };
        for i in 0..n {
            if m.advance_batch(i)? {
                m.heap.push(i);
                let last = m.heap.len() - 1;
                m.sift_up(last);
            }
        }
        Ok(m)
    }

    /// Loads the next non-empty batch of run `i`; false when the run is exhausted.
    fn advance_batch(&mut self, i: usize) -> Result<bool> {
        loop {
            match self.runs[i].next() {
                None => {
                    self.cursors[i] = None;
                    return Ok(false);
                }
                Some(b) => {
                    let b = b?;
                    if b.num_rows() == 0 {
                        continue;
                    }
                    self.rows_read += b.num_rows() as u64;
                    let rows = Arc::new(self.encoder.encode(&b)?);
                    self.cursors[i] = Some(Cursor {
                        batch: b,
                        rows,
                        pos: 0,
                        slot: None,
                    });
                    return Ok(true);
                }
            }
        }
    }

    fn less(&self, a: usize, b: usize) -> bool {
        match (&self.cursors[a], &self.cursors[b]) {
            (Some(ca), Some(cb)) => {
                let ord = ca.rows.row(ca.pos).cmp(&cb.rows.row(cb.pos));
                ord.then(a.cmp(&b)).is_lt()
            }
            _ => false,
        }
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.less(self.heap[i], self.heap[parent]) {
                self.heap.swap(i, parent);
                i = parent;
            } else {
                break;
            }
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut best = i;
            if l < n && self.less(self.heap[l], self.heap[best]) {
                best = l;
            }
            if r < n && self.less(self.heap[r], self.heap[best]) {
                best = r;
            }
            if best == i {
                break;
            }
            self.heap.swap(i, best);
            i = best;
        }
    }

    /// The next chunk, `None` when all runs are exhausted.
    pub(crate) fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        let mut store: Vec<RecordBatch> = Vec::new();
        let mut store_rows: Vec<Arc<Rows>> = Vec::new();
        let mut indices: Vec<(usize, usize)> = Vec::new();
        let mut groups: Vec<Range<usize>> = Vec::new();
        // Key of the first row of the current group, as (store slot, row).
        let mut last_key: Option<(usize, usize)> = None;
        while let Some(&top) = self.heap.first() {
            let (same_key, slot, row) = {
                let Some(c) = self.cursors[top].as_mut() else {
                    return Err(Error::internal("merge cursor missing"));
                };
                let key = c.rows.row(c.pos);
                let same = last_key.is_some_and(|(s, r)| store_rows[s].row(r) == key);
                if !same && indices.len() >= self.block_size {
                    break;
                }
                let slot = match c.slot {
                    Some(s) => s,
                    None => {
                        store.push(c.batch.clone());
                        store_rows.push(Arc::clone(&c.rows));
                        c.slot = Some(store.len() - 1);
                        store.len() - 1
                    }
                };
                if !same {
                    last_key = Some((slot, c.pos));
                }
                (same, slot, c.pos)
            };
            if same_key {
                if let Some(g) = groups.last_mut() {
                    g.end += 1;
                }
            } else {
                groups.push(indices.len()..indices.len() + 1);
            }
            indices.push((slot, row));
            // Advance the cursor.
            let exhausted = {
                let Some(c) = self.cursors[top].as_mut() else {
                    return Err(Error::internal("merge cursor missing"));
                };
                c.pos += 1;
                c.pos >= c.batch.num_rows()
            };
            if exhausted && !self.advance_batch(top)? {
                let last = self.heap.len() - 1;
                self.heap.swap(0, last);
                self.heap.pop();
            }
            if !self.heap.is_empty() {
                self.sift_down(0);
            }
        }
        if indices.is_empty() {
            return Ok(None);
        }
        for c in self.cursors.iter_mut().flatten() {
            c.slot = None;
        }
        let mut columns = Vec::with_capacity(self.schema.fields().len());
        for col in 0..self.schema.fields().len() {
            let arrays: Vec<&dyn datafusion::arrow::array::Array> =
                store.iter().map(|b| b.column(col).as_ref()).collect();
            columns.push(interleave(&arrays, &indices).map_err(arrow_err)?);
        }
        let batch = RecordBatch::try_new(Arc::clone(&self.schema), columns).map_err(arrow_err)?;
        Ok(Some(Chunk { batch, groups }))
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{AsArray, UInt32Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, UInt32Type};

    use super::*;

    #[derive(Debug)]
    struct FirstColumn;

    impl BatchExpr for FirstColumn {
        fn eval(&self, batch: &RecordBatch) -> Result<Vec<ArrayRef>> {
            Ok(vec![Arc::clone(batch.column(0))])
        }
        fn text(&self) -> String {
            "k".into()
        }
    }

    #[test]
    fn chunks_never_split_equal_keys() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::UInt32, false),
            Field::new("run", DataType::UInt32, false),
        ]));
        // Three runs, each sorted, split into batches of 2 rows, many duplicate keys.
        let data: [&[u32]; 3] = [&[1, 1, 2, 2, 2, 5, 7], &[1, 2, 2, 3, 7, 7], &[0, 2, 9]];
        let runs: Vec<Run> = data
            .iter()
            .enumerate()
            .map(|(r, keys)| {
                let batches: Vec<Result<RecordBatch>> = keys
                    .chunks(2)
                    .map(|c| {
                        Ok(RecordBatch::try_new(
                            Arc::clone(&schema),
                            vec![
                                Arc::new(UInt32Array::from(c.to_vec())),
                                Arc::new(UInt32Array::from(vec![r as u32; c.len()])),
                            ],
                        )
                        .unwrap())
                    })
                    .collect();
                Box::new(batches.into_iter()) as Run
            })
            .collect();
        let mut m = KWayMerge::new(runs, Some(Arc::new(FirstColumn)), schema, 3).unwrap();
        let mut all: Vec<(u32, u32)> = Vec::new();
        let mut chunk_keys: Vec<std::collections::HashSet<u32>> = Vec::new();
        while let Some(chunk) = m.next_chunk().unwrap() {
            let k = chunk.batch.column(0).as_primitive::<UInt32Type>();
            let r = chunk.batch.column(1).as_primitive::<UInt32Type>();
            for g in &chunk.groups {
                assert!(g.clone().all(|i| k.value(i) == k.value(g.start)));
            }
            chunk_keys.push(k.iter().flatten().collect());
            all.extend((0..k.len()).map(|i| (k.value(i), r.value(i))));
        }
        // Sorted by key, ties in run order; every row once.
        let mut expected: Vec<(u32, u32)> = data
            .iter()
            .enumerate()
            .flat_map(|(r, ks)| ks.iter().map(move |&k| (k, r as u32)))
            .collect();
        expected.sort();
        assert_eq!(all, expected);
        assert_eq!(m.rows_read, 16);
        // A key never continues in the next chunk.
        assert!(chunk_keys.len() > 2);
        for w in chunk_keys.windows(2) {
            assert!(w[0].is_disjoint(&w[1]), "{:?} / {:?}", w[0], w[1]);
        }
    }
}
