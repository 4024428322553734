//! Parquet writing with row groups encoded on worker threads. A part's rows are cut into
//! row groups of a fixed number of rows; each full row group is encoded (dictionary, page
//! statistics, compression) on the storage worker pool (`crate::pool`) while the caller
//! produces the next rows
//! (sorts an insert, merges parts), and the encoded column chunks are appended to the
//! file in row-group order. At most one row group more than the pool has threads is in
//! flight, so memory stays bounded by a few row groups.
//!
//! A sorted insert block can be handed over unsorted with its permutation
//! ([`ParallelWriter::write_gathered`]): each row group's job gathers its own rows, one
//! column at a time, each encoded before the next is gathered (`crate::row_gather`,
//! reading the block in row order), so the sorted
//! block is never built whole (one pass over fresh memory less) and the gather runs on the
//! workers beside the encoding. The last, partial row group of such a block is gathered
//! the same way by its job when the caller says no more rows follow
//! ([`ParallelWriter::end_rows`]: an insert, before it takes the part's statistics) or
//! when the file is finished.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, compute_leaves,
};
use datafusion::parquet::errors::{ParquetError, Result as ParquetResult};
use datafusion::parquet::file::metadata::ParquetMetaData;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::file::writer::SerializedFileWriter;

use crate::page_layout::{ColumnWriterFactory, WidePages};

/// Row groups smaller than this are encoded on the calling thread (a thread costs more).
const INLINE_ROWS: usize = 16_384;

type Encoded = ParquetResult<Vec<ArrowColumnChunk>>;

/// A row group being encoded, or already encoded on the calling thread.
enum InFlight {
    Pool(crate::pool::Task<Encoded>),
    Done(Vec<ArrowColumnChunk>),
}

/// A Parquet file writer that encodes row groups of `row_group_rows` rows in parallel.
pub(crate) struct ParallelWriter<W: Write + Send> {
    file: SerializedFileWriter<W>,
    factory: Arc<ColumnWriterFactory>,
    schema: SchemaRef,
    row_group_rows: usize,
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    in_flight: VecDeque<InFlight>,
    next_row_group: usize,
    max_in_flight: usize,
    /// The rows of a gathered block after its last full row group, not yet gathered: they
    /// start the next row group (gathered by its job when nothing else is written).
    deferred: Option<(RecordBatch, UInt32Array)>,
}

/// The rows of one row group.
enum RowGroupRows {
    /// These batches, in order.
    Batches(Vec<RecordBatch>),
    /// The rows of a batch at these indices, in their order.
    Gather(RecordBatch, UInt32Array),
}

/// Encodes one row group's rows into column chunks. Gathered rows are gathered and
/// encoded one column at a time (see `crate::row_gather::Gather`).
fn encode(
    factory: &ColumnWriterFactory,
    schema: &SchemaRef,
    index: usize,
    rows: RowGroupRows,
) -> Encoded {
    let mut writers = factory.create_column_writers(index)?;
    match rows {
        RowGroupRows::Batches(batches) => {
            for b in &batches {
                write_columns(&mut writers, schema, |i| {
                    b.columns().get(i).cloned().ok_or_else(|| {
                        ParquetError::General(format!("a row group batch without column {i}"))
                    })
                })?;
            }
        }
        RowGroupRows::Gather(batch, idx) => {
            let gather = crate::row_gather::Gather::new(&batch, &idx);
            write_columns(&mut writers, schema, |i| Ok(gather.column(i)?))?;
        }
    }
    writers.into_iter().map(|w| w.close()).collect()
}

/// Writes each column `column(i)` of the schema into its leaves' writers, in order.
fn write_columns(
    writers: &mut [ArrowColumnWriter],
    schema: &SchemaRef,
    column: impl Fn(usize) -> ParquetResult<ArrayRef>,
) -> ParquetResult<()> {
    let mut w = writers.iter_mut();
    for (i, field) in schema.fields().iter().enumerate() {
        let arr = column(i)?;
        for leaf in compute_leaves(field, &arr)? {
            w.next()
                .ok_or_else(|| ParquetError::General("more leaves than column writers".into()))?
                .write(&leaf)?;
        }
    }
    Ok(())
}

impl<W: Write + Send> ParallelWriter<W> {
    /// A writer of `schema` into `sink` (the Arrow schema is embedded in the file's
    /// metadata as `ArrowWriter` does, so readers get the exact Arrow types back). The
    /// columns of `wide` are written with its properties (larger pages, see
    /// `crate::page_layout`), the others with `props`.
    pub(crate) fn try_new(
        sink: W,
        schema: SchemaRef,
        props: WriterProperties,
        wide: Option<WidePages>,
        row_group_rows: usize,
    ) -> ParquetResult<Self> {
        let writer = ArrowWriter::try_new(sink, Arc::clone(&schema), Some(props))?;
        let (file, factory) = writer.into_serialized_writer()?;
        let factory = ColumnWriterFactory::try_new(factory, &schema, file.schema_descr(), wide)?;
        // One row group more than there are workers, so a worker that finishes before the
        // oldest row group (which is appended first) finds the next one queued.
        let threads = crate::pool::threads();
        let max_in_flight = if threads <= 1 {
            1
        } else {
            (threads + 1).min(5)
        };
        Ok(Self {
            file,
            factory: Arc::new(factory),
            schema,
            row_group_rows: row_group_rows.max(1),
            pending: Vec::new(),
            pending_rows: 0,
            in_flight: VecDeque::new(),
            next_row_group: 0,
            max_in_flight,
            deferred: None,
        })
    }

    /// Appends rows (in the writer's schema); full row groups start encoding.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> ParquetResult<()> {
        self.gather_deferred()?;
        self.append(batch)
    }

    /// Gathers the deferred rows of the last block into the open row group.
    fn gather_deferred(&mut self) -> ParquetResult<()> {
        match self.deferred.take() {
            Some((batch, idx)) => self.append(&crate::row_gather::gather_rows(&batch, &idx)?),
            None => Ok(()),
        }
    }

    /// [`Self::write`] without deferred rows.
    fn append(&mut self, batch: &RecordBatch) -> ParquetResult<()> {
        let mut offset = 0;
        while offset < batch.num_rows() {
            let take = (self.row_group_rows - self.pending_rows).min(batch.num_rows() - offset);
            self.pending.push(batch.slice(offset, take));
            self.pending_rows += take;
            offset += take;
            if self.pending_rows == self.row_group_rows {
                self.start_row_group_of_pending()?;
            }
        }
        Ok(())
    }

    /// Appends the rows of `batch` at `idx`, in that order: full row groups are gathered
    /// by their encoding jobs (see the module doc); the rest is kept for the next row
    /// group (gathered by its job at [`Self::finish`], or here when more rows follow).
    pub(crate) fn write_gathered(
        &mut self,
        batch: &RecordBatch,
        idx: &UInt32Array,
    ) -> ParquetResult<()> {
        self.gather_deferred()?;
        let mut offset = 0;
        if self.pending_rows > 0 {
            // Fill the open row group first.
            let take = (self.row_group_rows - self.pending_rows).min(idx.len());
            self.append(&take_record_batch(batch, &idx.slice(0, take))?)?;
            offset = take;
        }
        while idx.len() - offset >= self.row_group_rows {
            let rows = RowGroupRows::Gather(batch.clone(), idx.slice(offset, self.row_group_rows));
            self.start(rows, self.row_group_rows)?;
            offset += self.row_group_rows;
        }
        if offset < idx.len() {
            // The open row group is empty here (filled and started above).
            self.deferred = Some((batch.clone(), idx.slice(offset, idx.len() - offset)));
        }
        Ok(())
    }

    /// Starts encoding the open row group now, when no more rows follow (rows written
    /// after this start a new row group): its job runs while the caller does other work
    /// before [`Self::finish`].
    pub(crate) fn end_rows(&mut self) -> ParquetResult<()> {
        self.start_row_group()
    }

    /// Starts the last row group: the deferred rows, or the open row group's batches.
    fn start_row_group(&mut self) -> ParquetResult<()> {
        if let Some((batch, idx)) = self.deferred.take() {
            // Nothing was written after them: they are the whole row group.
            self.start_row_group_of_pending()?;
            let rows = idx.len();
            return self.start(RowGroupRows::Gather(batch, idx), rows);
        }
        self.start_row_group_of_pending()
    }

    fn start_row_group_of_pending(&mut self) -> ParquetResult<()> {
        let batches = std::mem::take(&mut self.pending);
        let rows = std::mem::take(&mut self.pending_rows);
        if rows == 0 {
            return Ok(());
        }
        self.start(RowGroupRows::Batches(batches), rows)
    }

    /// Starts encoding row group `self.next_row_group` (`rows` rows).
    fn start(&mut self, batches: RowGroupRows, rows: usize) -> ParquetResult<()> {
        while self.in_flight.len() >= self.max_in_flight {
            self.append_oldest()?;
        }
        let index = self.next_row_group;
        self.next_row_group += 1;
        if rows < INLINE_ROWS || self.max_in_flight == 1 {
            let chunks = encode(&self.factory, &self.schema, index, batches)?;
            self.in_flight.push_back(InFlight::Done(chunks));
            return Ok(());
        }
        let factory = Arc::clone(&self.factory);
        let schema = Arc::clone(&self.schema);
        let task = crate::pool::spawn(move || encode(&factory, &schema, index, batches));
        self.in_flight.push_back(InFlight::Pool(task));
        Ok(())
    }

    /// Waits for the oldest row group and appends it to the file.
    fn append_oldest(&mut self) -> ParquetResult<()> {
        let chunks = match self.in_flight.pop_front() {
            None => return Ok(()),
            Some(InFlight::Done(c)) => c,
            Some(InFlight::Pool(t)) => t.join().map_err(ParquetError::General)??,
        };
        let mut rg = self.file.next_row_group()?;
        for c in chunks {
            c.append_to_row_group(&mut rg)?;
        }
        rg.close()?;
        Ok(())
    }

    /// Encodes the last (partial) row group, appends everything and writes the footer.
    pub(crate) fn finish(&mut self) -> ParquetResult<ParquetMetaData> {
        self.start_row_group()?;
        while !self.in_flight.is_empty() {
            self.append_oldest()?;
        }
        self.file.finish()
    }

    /// The sink (after [`Self::finish`]: every byte of the file has gone through it).
    pub(crate) fn inner_mut(&mut self) -> &mut W {
        self.file.inner_mut()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Array, AsArray, StringArray, UInt32Array};
    use datafusion::arrow::datatypes::{DataType, Field, Schema, UInt32Type};
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;

    #[test]
    fn row_groups_in_order_with_exact_sizes() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::UInt32, false),
            Field::new("s", DataType::Utf8, true),
        ]));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let file = std::fs::File::create(&path).unwrap();
        let mut w = ParallelWriter::try_new(
            file,
            Arc::clone(&schema),
            WriterProperties::builder().build(),
            None,
            20_000,
        )
        .unwrap();
        // Batches of odd sizes so row groups are cut across batch boundaries.
        let mut next = 0u32;
        for n in [7_000u32, 30_001, 13, 50_000] {
            let k = UInt32Array::from_iter_values(next..next + n);
            let s = StringArray::from_iter(
                (next..next + n).map(|i| (!i.is_multiple_of(7)).then(|| i.to_string())),
            );
            next += n;
            let b =
                RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(k), Arc::new(s)]).unwrap();
            w.write(&b).unwrap();
        }
        let md = w.finish().unwrap();
        let sizes: Vec<i64> = md.row_groups().iter().map(|g| g.num_rows()).collect();
        assert_eq!(sizes, vec![20_000, 20_000, 20_000, 20_000, 7_014]);
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        let mut expect = 0u32;
        for b in reader {
            let b = b.unwrap();
            assert_eq!(b.schema(), schema);
            let k = b.column(0).as_primitive::<UInt32Type>();
            let s = b.column(1).as_string::<i32>();
            for i in 0..b.num_rows() {
                assert_eq!(k.value(i), expect);
                assert_eq!(s.is_valid(i), !expect.is_multiple_of(7));
                expect += 1;
            }
        }
        assert_eq!(expect, next);
    }

    #[test]
    fn gathered_rows_come_out_in_the_permutation_order() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::UInt32, false),
            Field::new("s", DataType::Utf8, true),
        ]));
        let make = |keys: Vec<u32>| {
            let s = StringArray::from_iter(
                keys.iter()
                    .map(|i| (!i.is_multiple_of(5)).then(|| format!("v{i}"))),
            );
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(UInt32Array::from(keys)), Arc::new(s)],
            )
            .unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let file = std::fs::File::create(&path).unwrap();
        let mut w = ParallelWriter::try_new(
            file,
            Arc::clone(&schema),
            WriterProperties::builder().build(),
            None,
            20_000,
        )
        .unwrap();
        // An open row group of 7,000 rows, then 50,000 rows given in reverse by a
        // permutation: the open group is filled, two are gathered whole, the rest stays open.
        w.write(&make((0..7_000).collect())).unwrap();
        let block = make((7_000..57_000).collect());
        let idx = UInt32Array::from_iter_values((0..50_000).rev());
        w.write_gathered(&block, &idx).unwrap();
        // The open row group starts encoding before `finish`; nothing more is written.
        w.end_rows().unwrap();
        assert!(w.deferred.is_none() && w.pending_rows == 0);
        let md = w.finish().unwrap();
        let sizes: Vec<i64> = md.row_groups().iter().map(|g| g.num_rows()).collect();
        assert_eq!(sizes, vec![20_000, 20_000, 17_000]);
        let want: Vec<u32> = (0..7_000).chain((7_000..57_000).rev()).collect();
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        let mut got = Vec::new();
        for b in reader {
            let b = b.unwrap();
            let k = b.column(0).as_primitive::<UInt32Type>();
            let s = b.column(1).as_string::<i32>();
            for i in 0..b.num_rows() {
                assert_eq!(s.is_valid(i), !k.value(i).is_multiple_of(5));
                if s.is_valid(i) {
                    assert_eq!(s.value(i), format!("v{}", k.value(i)));
                }
                got.push(k.value(i));
            }
        }
        assert_eq!(got, want);
    }
}
