//! `MergeTreeTable::insert`: sort by the key, split by partition (and
//! [`InsertOptions::max_part_rows`] rows), apply the engine to the block (`optimize_on_insert`),
//! deduplicate, throttle when a partition has too many parts, and write each piece as a
//! durable part.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, Scalar, UInt32Array};
use datafusion::arrow::compute::kernels::cmp::not_distinct;
use datafusion::arrow::compute::{cast, take_record_batch};
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampSecondType};
use datafusion::arrow::row::{RowConverter, SortField};
use sluice_common::{Error, ErrorCode, Result};

use crate::dedup::{block_hash, block_id};
use crate::info::PartInfo;
use crate::kway::{Chunk, KeyEncoder, sort_indices};
use crate::manifest::{BlockId, SourceOffset};
use crate::part::Part;
use crate::part_io::{PartMeta, PartWriter, PreparedPart};
use crate::part_name::PartName;
use crate::part_stats::PartStats;
use crate::partition::PartitionValue;
use crate::pool::Task;
use crate::semantics::{Mode, Semantics};
use crate::source::InsertOptions;
use crate::table::MergeTreeTable;

/// ClickHouse's default `max_insert_block_size`.
pub const MAX_INSERT_BLOCK_SIZE: usize = 1_048_449;

fn arrow_err(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::LOGICAL_ERROR, format!("insert: {e}"))
}

/// Splits `batch` by partition key value, keeping row order within each piece.
pub(crate) fn split_by_partition(
    batch: &RecordBatch,
    key: Option<&Arc<dyn crate::expr::BatchExpr>>,
) -> Result<Vec<(PartitionValue, RecordBatch)>> {
    let Some(key) = key else {
        return Ok(vec![(PartitionValue::all(), batch.clone())]);
    };
    let cols = key.eval(batch)?;
    if cols.is_empty() {
        return Ok(vec![(PartitionValue::all(), batch.clone())]);
    }
    // The usual case (one partition per insert, e.g. `PARTITION BY today()`): every key
    // column equal to its first value, checked by a comparison kernel (encoding the rows
    // of a million-row insert to compare them took longer).
    if batch.num_rows() > 0 && all_equal_first(&cols) {
        return Ok(vec![(PartitionValue::of_row(&cols, 0)?, batch.clone())]);
    }
    let conv = RowConverter::new(
        cols.iter()
            .map(|c| SortField::new(c.data_type().clone()))
            .collect(),
    )
    .map_err(arrow_err)?;
    let rows = conv.convert_columns(&cols).map_err(arrow_err)?;
    // One partition, for key types the comparison kernel does not take: no hashing.
    if batch.num_rows() > 0 && (1..batch.num_rows()).all(|i| rows.row(i) == rows.row(0)) {
        return Ok(vec![(PartitionValue::of_row(&cols, 0)?, batch.clone())]);
    }
    let mut groups: HashMap<&[u8], Vec<u32>> = HashMap::new();
    let mut order: Vec<&[u8]> = Vec::new();
    for i in 0..batch.num_rows() {
        let k = rows.row(i).data();
        groups
            .entry(k)
            .or_insert_with(|| {
                order.push(k);
                Vec::new()
            })
            .push(i as u32);
    }
    let mut out = Vec::with_capacity(order.len());
    for k in order {
        let idx = &groups[k];
        let value = PartitionValue::of_row(&cols, idx[0] as usize)?;
        let piece = if idx.len() == batch.num_rows() {
            batch.clone()
        } else {
            take_record_batch(batch, &UInt32Array::from(idx.clone())).map_err(arrow_err)?
        };
        out.push((value, piece));
    }
    // Partition ids order pieces as ClickHouse numbers their blocks (first appearance).
    Ok(out)
}

/// Whether every row of `cols` equals row 0 (NULL equal to NULL). `false` when a column
/// cannot be compared that way (the caller then compares encoded rows).
fn all_equal_first(cols: &[ArrayRef]) -> bool {
    cols.iter().all(|c| {
        let first = Scalar::new(c.slice(0, 1));
        not_distinct(c, &first).is_ok_and(|eq| eq.null_count() == 0 && eq.true_count() == c.len())
    })
}

/// The columns of an insert part that get page statistics: `columns` (the sorting and
/// partition key columns) less the partition key's columns outside the sorting key that
/// hold one value in `batch` (`PARTITION BY date_column`): every page of the part would
/// have that value as its min and max, which the manifest has for the whole part, so
/// pruning by it is decided part by part. Their per-value statistics updates were a third
/// of an insert's page statistics work.
fn page_statistics_columns(
    columns: &[String],
    sorting: &[String],
    batch: &RecordBatch,
) -> Vec<String> {
    columns
        .iter()
        .filter(|c| {
            sorting.contains(c)
                || batch.num_rows() == 0
                || !batch
                    .column_by_name(c)
                    .is_some_and(|col| all_equal_first(std::slice::from_ref(col)))
        })
        .cloned()
        .collect()
}

/// TTL values of a batch as unix seconds.
pub(crate) fn ttl_seconds(col: &ArrayRef) -> Result<Vec<Option<i64>>> {
    let ts = cast(col, &DataType::Timestamp(TimeUnit::Second, None)).map_err(|e| {
        Error::new(
            ErrorCode::BAD_ARGUMENTS,
            format!("TTL expression result column should have DateTime or Date type: {e}"),
        )
    })?;
    Ok(ts.as_primitive::<TimestampSecondType>().iter().collect())
}

fn ttl_range(table: &MergeTreeTable, batch: &RecordBatch) -> Result<Option<(i64, i64)>> {
    let Some(ttl) = table.spec.read().ttl.clone() else {
        return Ok(None);
    };
    let cols = ttl.eval(batch)?;
    let Some(col) = cols.first() else {
        return Ok(None);
    };
    let secs: Vec<i64> = ttl_seconds(col)?.into_iter().flatten().collect();
    Ok(secs.iter().min().copied().zip(secs.iter().max().copied()))
}

/// An insert piece in sorting-key order: the rows of `batch`, in the order `order` when
/// there is one. The permutation is applied by the part writer's row-group jobs
/// ([`PartWriter::write_last`]) instead of building the sorted block whole.
pub(crate) struct SortedPiece {
    batch: RecordBatch,
    order: Option<UInt32Array>,
    /// The manifest statistics of `batch`, computed on a storage worker while the block
    /// was sorted (`None`: the writer computes them).
    stats: Option<Task<PartStats>>,
}

impl SortedPiece {
    /// `batch` in the order `idx` (none when it is the identity).
    fn new(batch: RecordBatch, idx: Vec<u32>, stats: Option<Task<PartStats>>) -> Self {
        let identity = idx.iter().enumerate().all(|(i, &j)| i as u32 == j);
        let order = if identity {
            crate::radix::give_back_rows(idx);
            None
        } else {
            Some(UInt32Array::from(idx))
        };
        Self {
            batch,
            order,
            stats,
        }
    }

    /// The sorted rows as one block (gathered now if they were not yet).
    pub(crate) fn materialize(&mut self) -> Result<&RecordBatch> {
        if let Some(idx) = self.order.take() {
            self.batch = crate::key_sort::take_parallel(&self.batch, &idx).map_err(arrow_err)?;
        }
        Ok(&self.batch)
    }

    /// The rows in their original order (for what does not depend on the order).
    fn unordered(&self) -> &RecordBatch {
        &self.batch
    }

    /// Writes the rows, in order, into `w` (as its last rows).
    fn write_to(&mut self, w: &mut PartWriter) -> Result<()> {
        w.write_last(&self.batch, self.order.as_ref(), self.stats.take())
    }
}

impl Drop for SortedPiece {
    /// Keeps the permutation's buffer for the next insert's sort (`crate::radix`): the part
    /// is written by now, so nothing else holds it.
    fn drop(&mut self) {
        if let Some(idx) = self.order.take() {
            let (_, values, _) = idx.into_parts();
            if let Ok(rows) = values.into_inner().into_vec::<u32>() {
                crate::radix::give_back_rows(rows);
            }
        }
    }
}

/// Sorts a piece by the sorting key and applies the engine's row combining.
pub(crate) fn sort_and_combine(
    batch: &RecordBatch,
    encoder: &mut KeyEncoder,
    semantics: &Semantics,
    combine: bool,
) -> Result<SortedPiece> {
    let cols = encoder.key_columns(batch)?;
    if !combine {
        // The rows are written as they are, only reordered: their statistics do not wait
        // for the sort (which runs on this thread alone).
        let block = batch.clone();
        let stats = Some(crate::pool::spawn(move || PartStats::of_block(&block)));
        let idx = match crate::key_sort::packed_sort_indices(&cols) {
            Some(idx) => idx,
            None => sort_indices(&encoder.encode_columns(cols, batch.num_rows())?),
        };
        return Ok(SortedPiece::new(batch.clone(), idx, stats));
    }
    let rows = encoder.encode_columns(cols, batch.num_rows())?;
    let idx = sort_indices(&rows);
    let mut groups = Vec::new();
    let mut start = 0usize;
    for i in 1..=idx.len() {
        if i == idx.len() || rows.row(idx[i] as usize) != rows.row(idx[start] as usize) {
            groups.push(start..i);
            start = i;
        }
    }
    let mut sorted = SortedPiece::new(batch.clone(), idx, None);
    let sorted = sorted.materialize()?.clone();
    let combined = semantics.apply(
        Chunk {
            batch: sorted,
            groups,
        },
        Mode::Merge,
    )?;
    Ok(SortedPiece {
        batch: combined,
        order: None,
        stats: None,
    })
}

impl MergeTreeTable {
    /// Durable insert: sorts by the key, splits by partition (and
    /// [`InsertOptions::max_part_rows`] rows), writes parts `tmp_*` → fsync → rename → fsync of the directory. Returns the
    /// parts written (empty when everything was deduplicated). Blocking.
    ///
    /// An insert without rows (or whose rows are all past their TTL) that carries
    /// `source_offsets` still records them durably, so a Kafka source whose messages a view
    /// filtered out entirely does not replay them after a restart.
    pub fn insert(&self, batch: RecordBatch, opts: InsertOptions) -> Result<Vec<PartInfo>> {
        if batch.num_rows() == 0 {
            self.record_offsets(&opts.source_offsets)?;
            return Ok(Vec::new());
        }
        let spec = self.spec();
        let schema = Arc::clone(&spec.schema);
        let renames = HashMap::new();
        let mut batch = crate::defaults::adapt_batch(&batch, &schema, &renames)?;
        // Rows already past their TTL are not written (as ClickHouse's TTL merge right
        // after the insert would remove them).
        if let Some(ttl) = &spec.ttl {
            let now = chrono::Utc::now().timestamp();
            if let Some(col) = ttl.eval(&batch)?.first() {
                let keep: datafusion::arrow::array::BooleanArray = ttl_seconds(col)?
                    .into_iter()
                    .map(|v| Some(v.is_none_or(|t| t > now)))
                    .collect();
                if keep.true_count() < batch.num_rows() {
                    batch = datafusion::arrow::compute::filter_record_batch(&batch, &keep)
                        .map_err(arrow_err)?;
                }
            }
            if batch.num_rows() == 0 {
                self.record_offsets(&opts.source_offsets)?;
                return Ok(Vec::new());
            }
        }
        let merger = self.merger.read().clone();
        let semantics = Semantics::new(&spec.engine, &schema, &spec.sorting_key_columns, merger)?;
        let mut encoder = KeyEncoder::new(spec.sorting_key.clone());
        let combine = semantics.combines() && !opts.no_optimize_on_insert;
        let level = if combine { 1 } else { 0 };

        let max_part_rows = opts.max_part_rows.unwrap_or(MAX_INSERT_BLOCK_SIZE).max(1);
        let mut pieces = Vec::new();
        for (pv, piece) in split_by_partition(&batch, spec.partition_key.as_ref())? {
            let mut offset = 0;
            while offset < piece.num_rows() {
                let len = (piece.num_rows() - offset).min(max_part_rows);
                let part =
                    sort_and_combine(&piece.slice(offset, len), &mut encoder, &semantics, combine)?;
                pieces.push((pv.clone(), part));
                offset += len;
            }
        }
        let window = spec.settings.non_replicated_deduplication_window as usize;
        let dedup = opts.deduplicate && window > 0;
        // Without a token, the token is a hash of the whole insert block in insert order (as
        // ClickHouse's): a piece equal to an earlier insert's piece but from another block,
        // or the same rows in another order, is not skipped.
        let block_token = match (&opts.dedup_token, dedup) {
            (None, true) => Some(block_hash(&batch)?),
            _ => None,
        };
        // ClickHouse appends the block's number within its insert to the token.
        let token = opts
            .dedup_token
            .as_deref()
            .or(block_token.as_deref())
            .map(|t| format!("{t}_{}", opts.block_index));
        let mut ids = Vec::with_capacity(pieces.len());
        for (i, (pv, _)) in pieces.iter().enumerate() {
            ids.push(if dedup {
                Some(block_id(&pv.id, token.as_deref(), i))
            } else {
                None
            });
        }
        self.throttle(&spec.settings)?;

        // Reserve block numbers and deduplication ids.
        let mut todo = Vec::new();
        {
            let mut st = self.state.write();
            for ((pv, piece), id) in pieces.into_iter().zip(ids) {
                if let Some(id) = &id {
                    if st.dedup.contains(id) {
                        tracing::info!("block {id} already exists; ignoring it");
                        continue;
                    }
                    st.dedup.add_pending(id);
                }
                todo.push((pv, piece, id));
            }
            if todo.is_empty() {
                return Ok(Vec::new());
            }
            let first = match self.blocks.lock().allocate(todo.len() as i64) {
                Ok(f) => f,
                Err(e) => {
                    for (_, _, id) in &todo {
                        if let Some(id) = id {
                            st.dedup.remove_pending(id);
                        }
                    }
                    return Err(e);
                }
            };
            for i in 0..todo.len() {
                st.in_flight_blocks.insert(first + i as i64);
            }
            let blocks: Vec<i64> = (0..todo.len() as i64).map(|i| first + i).collect();
            drop(st);
            self.write_pieces(todo, blocks, level, &opts, window)
        }
    }

    fn write_pieces(
        &self,
        mut todo: Vec<(PartitionValue, SortedPiece, Option<String>)>,
        blocks: Vec<i64>,
        level: u32,
        opts: &InsertOptions,
        window: usize,
    ) -> Result<Vec<PartInfo>> {
        let spec = self.spec();
        let partition_columns = spec
            .partition_key
            .as_ref()
            .map(|k| k.columns())
            .unwrap_or_default();
        let key_columns = spec.statistics_columns();
        // Every part is written and fsynced under its temporary name first; then all of
        // them become visible together (crate::insert_txn), so a crash never leaves part
        // of a block (and its source offsets) in the table.
        let prepared = (|| -> Result<Vec<PreparedPart>> {
            let mut prepared = Vec::with_capacity(todo.len());
            for ((pv, piece, id), &block) in todo.iter_mut().zip(&blocks) {
                let name = PartName {
                    partition_id: pv.id.clone(),
                    min_block: block,
                    max_block: block,
                    level,
                    mutation: None,
                };
                let statistics = page_statistics_columns(
                    &key_columns,
                    &spec.sorting_key_columns,
                    piece.unordered(),
                );
                let layout = crate::part_io::PartLayout {
                    statistics: Some(&statistics),
                    wide_pages: false,
                };
                let mut w = PartWriter::create_with_layout(
                    &self.dir,
                    "insert",
                    name,
                    Arc::clone(&spec.schema),
                    spec.settings.index_granularity,
                    &self.state.read().column_codecs,
                    layout,
                )?;
                piece.write_to(&mut w)?;
                let meta = PartMeta {
                    partition: pv.text.clone(),
                    block_ids: id
                        .iter()
                        .map(|id| BlockId {
                            block,
                            id: id.clone(),
                        })
                        .collect(),
                    source_offsets: opts
                        .source_offsets
                        .iter()
                        .map(|(k, o)| SourceOffset {
                            key: k.clone(),
                            next_offset: *o,
                        })
                        .collect(),
                    partition_columns: partition_columns.clone(),
                    ttl_range: ttl_range(self, piece.unordered())?,
                    has_lightweight_delete: false,
                    drop_marker: false,
                };
                prepared.push(w.prepare(meta)?);
            }
            Ok(prepared)
        })();
        let txn = blocks.first().copied().unwrap_or_default();
        let result = prepared.and_then(|p| crate::insert_txn::publish_all(&self.dir, txn, p));
        let mut written = Vec::new();
        let mut st = self.state.write();
        for ((_, _, id), block) in todo.iter().zip(&blocks) {
            st.in_flight_blocks.remove(block);
            if let Some(id) = id
                && result.is_err()
            {
                st.dedup.remove_pending(id);
            }
        }
        let published = result?;
        for (((_, _, id), &block), (manifest, dir)) in todo.iter().zip(&blocks).zip(published) {
            let name = PartName {
                partition_id: manifest.partition_id.clone(),
                min_block: block,
                max_block: block,
                level,
                mutation: None,
            };
            let part = Arc::new(Part::new(name, dir, manifest));
            if let Some(id) = id {
                st.dedup.commit(
                    BlockId {
                        block,
                        id: id.clone(),
                    },
                    window,
                );
            }
            written.push(crate::info::PartInfo::of(&part, true, 0));
            st.active.insert(part.name.clone(), part);
        }
        drop(st);
        self.wake_merges();
        Ok(written)
    }

    /// Delays or rejects an insert when a partition of the table (any, as ClickHouse's
    /// `getMaxPartsCountAndSizeForPartition`) has too many active parts.
    fn throttle(&self, settings: &crate::settings::MergeTreeSettings) -> Result<()> {
        let (max_in_partition, bytes_in_partition, total) = {
            let st = self.state.read();
            let mut per_partition: HashMap<&str, (u64, u64)> = HashMap::new();
            for p in st.active.values().filter(|p| !p.manifest.drop_marker) {
                let e = per_partition
                    .entry(p.name.partition_id.as_str())
                    .or_default();
                *e = (e.0 + 1, e.1 + p.bytes());
            }
            let worst = per_partition
                .into_values()
                .max_by_key(|(n, _)| *n)
                .unwrap_or_default();
            (worst.0, worst.1, st.active.len() as u64)
        };
        let name = self.display_name.read().clone();
        if total >= settings.max_parts_in_total {
            return Err(Error::new(
                ErrorCode::TOO_MANY_PARTS,
                format!(
                    "Too many parts ({total}) in all partitions in total in table '{name}'. This indicates wrong choice of partition key. The threshold can be modified with 'max_parts_in_total' setting in <merge_tree> element in config.xml or with per-table setting"
                ),
            ));
        }
        if max_in_partition >= settings.parts_to_throw_insert {
            let avg = bytes_in_partition as f64 / max_in_partition.max(1) as f64;
            return Err(Error::new(
                ErrorCode::TOO_MANY_PARTS,
                format!(
                    "Too many parts ({max_in_partition} with average size of {}) in table '{name}'. Merges are processing significantly slower than inserts",
                    readable_size(avg)
                ),
            ));
        }
        if max_in_partition >= settings.parts_to_delay_insert {
            let over = max_in_partition - settings.parts_to_delay_insert + 1;
            let span = (settings.parts_to_throw_insert - settings.parts_to_delay_insert).max(1);
            let max_ms = settings.max_delay_to_insert * 1000;
            let min_ms = settings.min_delay_to_insert_ms;
            let ms = min_ms + (max_ms.saturating_sub(min_ms)) * over / span;
            self.wake_merges();
            std::thread::sleep(Duration::from_millis(ms.min(max_ms.max(min_ms))));
        }
        Ok(())
    }
}

/// Number of rows per merged chunk.
pub(crate) fn block_size(settings: &crate::settings::MergeTreeSettings) -> usize {
    settings.merge_max_block_size.max(1) as usize
}

/// ClickHouse's `formatReadableSizeWithBinarySuffix`: `338.00 B`, `1.50 KiB`.
pub(crate) fn readable_size(bytes: f64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes;
    let mut i = 0;
    while v.abs() >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.2} {}", UNITS[i])
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Date32Array, UInt32Array};
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    #[test]
    fn constant_partition_columns_outside_the_key_get_no_page_statistics() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::UInt32, false),
            Field::new("day", DataType::Date32, false),
            Field::new("d", DataType::Date32, false),
        ]));
        let block = |days: Vec<i32>| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(UInt32Array::from(vec![3, 3, 3])),
                    Arc::new(Date32Array::from(days)),
                    Arc::new(Date32Array::from(vec![7, 7, 7])),
                ],
            )
            .unwrap()
        };
        let columns: Vec<String> = ["k", "day", "d"].map(String::from).to_vec();
        let sorting = vec!["k".to_string()];
        // `day` and `d` hold one value each: left out; `k` too, but it is a sorting key
        // column.
        assert_eq!(
            page_statistics_columns(&columns, &sorting, &block(vec![5, 5, 5])),
            vec!["k".to_string()]
        );
        // `day` takes several values (PARTITION BY toYYYYMM(day)): kept.
        assert_eq!(
            page_statistics_columns(&columns[..2], &sorting, &block(vec![5, 6, 5])),
            vec!["k".to_string(), "day".to_string()]
        );
    }
}
