//! How an INSERT's rows become insert blocks, as ClickHouse forms them: the input arrives
//! in chunks (an input format — `VALUES`, `FORMAT` data — reads `max_insert_block_size`
//! rows at a time; a `SELECT` yields blocks of `max_block_size` rows; native-protocol
//! blocks come as the client sent them), then the chunks are squashed into blocks of at
//! least `min_insert_block_size_rows` rows or `min_insert_block_size_bytes` bytes
//! (ClickHouse's `Squashing`). Each block becomes one part per partition.

use datafusion::arrow::array::{Array, RecordBatch};
use sluice_common::{Error, Result, Settings};

/// ClickHouse's default `min_insert_block_size_rows`.
const DEFAULT_MIN_INSERT_BLOCK_ROWS: usize = 1_048_449;

/// Where an INSERT's rows come from, which decides the size of the chunks before squashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunking {
    /// The batches as they are (native-protocol blocks).
    AsGiven,
    /// Parsed by an input format: chunks of `max_insert_block_size` rows.
    Format,
    /// A query's output: chunks of `max_block_size` rows.
    Select,
}

/// The session's block-size settings for one INSERT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockSizes {
    /// Rows per chunk (`None`: the batches as they are).
    chunk_rows: Option<usize>,
    /// `min_insert_block_size_rows` (0: no row threshold).
    min_rows: usize,
    /// `min_insert_block_size_bytes` (0: no byte threshold).
    min_bytes: usize,
}

fn setting(settings: &Settings, name: &str) -> usize {
    usize::try_from(settings.get_u64(name)).unwrap_or(usize::MAX)
}

impl BlockSizes {
    /// The sizes `settings` give an INSERT whose rows come as `chunking` says.
    pub(crate) fn of_session(settings: &Settings, chunking: Chunking) -> Self {
        // `max_insert_block_size_rows` is the newer name of `max_insert_block_size`.
        let max_insert = if !settings.is_changed("max_insert_block_size")
            && settings.is_changed("max_insert_block_size_rows")
        {
            setting(settings, "max_insert_block_size_rows")
        } else {
            setting(settings, "max_insert_block_size")
        };
        let chunk_rows = match chunking {
            Chunking::AsGiven => None,
            Chunking::Format => Some(max_insert.max(1)),
            Chunking::Select => Some(setting(settings, "max_block_size").max(1)),
        };
        Self {
            chunk_rows,
            min_rows: setting(settings, "min_insert_block_size_rows"),
            min_bytes: setting(settings, "min_insert_block_size_bytes"),
        }
    }

    /// All the rows in one block (a Kafka block, whose offsets go with all of its rows).
    pub(crate) fn one_block() -> Self {
        Self {
            chunk_rows: None,
            min_rows: usize::MAX,
            min_bytes: 0,
        }
    }

    /// Blocks of at least the default `min_insert_block_size_rows` rows, by rows only (for
    /// blocks that do not come from an INSERT statement).
    pub(crate) fn default_rows() -> Self {
        Self {
            chunk_rows: None,
            min_rows: DEFAULT_MIN_INSERT_BLOCK_ROWS,
            min_bytes: 0,
        }
    }

    /// ClickHouse's `Squashing::isEnoughSize`.
    fn enough(&self, rows: usize, bytes: usize) -> bool {
        (self.min_rows == 0 && self.min_bytes == 0)
            || (self.min_rows > 0 && rows >= self.min_rows)
            || (self.min_bytes > 0 && bytes >= self.min_bytes)
    }
}

/// Bytes of a batch's data as a block size (ClickHouse's `Block::bytes`): the bytes of
/// each column's values in the batch's range, not of the buffers they share.
fn data_bytes(batch: &RecordBatch) -> usize {
    batch
        .columns()
        .iter()
        .map(|c| {
            c.to_data()
                .get_slice_memory_size()
                .unwrap_or_else(|_| c.get_array_memory_size())
        })
        .sum()
}

/// Cuts `batches` into chunks of `rows` rows (the last may be shorter), each a list of
/// zero-copy slices.
fn rechunk(batches: Vec<RecordBatch>, rows: usize) -> Vec<Vec<RecordBatch>> {
    let mut chunks = Vec::new();
    let mut current: Vec<RecordBatch> = Vec::new();
    let mut filled = 0usize;
    for b in batches {
        let mut at = 0usize;
        while at < b.num_rows() {
            let len = (rows - filled).min(b.num_rows() - at);
            current.push(b.slice(at, len));
            filled += len;
            at += len;
            if filled == rows {
                chunks.push(std::mem::take(&mut current));
                filled = 0;
            }
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// The insert blocks of `batches` (in the stored schema, rows in insert order): chunked and
/// squashed as ClickHouse does for an INSERT with `sizes`.
pub(crate) fn insert_blocks(
    batches: Vec<RecordBatch>,
    sizes: &BlockSizes,
) -> Result<Vec<RecordBatch>> {
    let batches: Vec<RecordBatch> = batches.into_iter().filter(|b| b.num_rows() > 0).collect();
    let chunks = match sizes.chunk_rows {
        Some(rows) => rechunk(batches, rows),
        None => batches.into_iter().map(|b| vec![b]).collect(),
    };
    // ClickHouse's `Squashing::add`: a chunk big enough by itself is a block of its own
    // (after the rows accumulated before it); otherwise chunks accumulate until the rows
    // or bytes reach the minimum.
    let mut blocks: Vec<Vec<RecordBatch>> = Vec::new();
    let mut acc: Vec<RecordBatch> = Vec::new();
    let (mut acc_rows, mut acc_bytes) = (0usize, 0usize);
    for chunk in chunks {
        let rows: usize = chunk.iter().map(RecordBatch::num_rows).sum();
        let bytes: usize = chunk.iter().map(data_bytes).sum();
        if sizes.enough(rows, bytes) {
            if !acc.is_empty() {
                blocks.push(std::mem::take(&mut acc));
                (acc_rows, acc_bytes) = (0, 0);
            }
            blocks.push(chunk);
            continue;
        }
        acc.extend(chunk);
        acc_rows += rows;
        acc_bytes += bytes;
        if sizes.enough(acc_rows, acc_bytes) {
            blocks.push(std::mem::take(&mut acc));
            (acc_rows, acc_bytes) = (0, 0);
        }
    }
    if !acc.is_empty() {
        blocks.push(acc);
    }
    blocks
        .into_iter()
        .filter_map(|pieces| {
            let first = pieces.first()?;
            Some(
                datafusion::arrow::compute::concat_batches(&first.schema(), &pieces)
                    .map_err(|e| Error::internal(format!("squashing insert blocks: {e}"))),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::UInt32Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(values: std::ops::Range<u32>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::UInt32, false)]));
        RecordBatch::try_new(
            schema,
            vec![Arc::new(UInt32Array::from_iter_values(values))],
        )
        .unwrap()
    }

    fn sizes(chunk_rows: Option<usize>, min_rows: usize, min_bytes: usize) -> BlockSizes {
        BlockSizes {
            chunk_rows,
            min_rows,
            min_bytes,
        }
    }

    fn rows(blocks: &[RecordBatch]) -> Vec<usize> {
        blocks.iter().map(RecordBatch::num_rows).collect()
    }

    // The cases below are the part sizes ClickHouse 26.9 writes for them (ch-oracle).
    #[test]
    fn chunks_then_squashes_like_clickhouse() {
        let input = || vec![batch(0..3), batch(3..7)];
        // min 0/0, max_insert_block_size 2: 2, 2, 2, 1.
        let b = insert_blocks(input(), &sizes(Some(2), 0, 0)).unwrap();
        assert_eq!(rows(&b), vec![2, 2, 2, 1]);
        // min rows 3: chunks of 2 squashed to 4, then 2 + 1.
        let b = insert_blocks(input(), &sizes(Some(2), 3, 0)).unwrap();
        assert_eq!(rows(&b), vec![4, 3]);
        // min bytes 8 (2 UInt32 rows): each chunk alone; 9: two chunks.
        assert_eq!(
            rows(&insert_blocks(input(), &sizes(Some(2), 0, 8)).unwrap()),
            vec![2, 2, 2, 1]
        );
        assert_eq!(
            rows(&insert_blocks(input(), &sizes(Some(2), 0, 9)).unwrap()),
            vec![4, 3]
        );
        // Defaults: one block; rows stay in order across the input batches.
        let b = insert_blocks(input(), &sizes(Some(1_048_449), 1_048_449, 268_402_944)).unwrap();
        assert_eq!(rows(&b), vec![7]);
        let col = b[0]
            .column(0)
            .as_any()
            .downcast_ref::<UInt32Array>()
            .unwrap();
        assert_eq!(col.values().to_vec(), (0..7).collect::<Vec<u32>>());
    }

    #[test]
    fn a_big_chunk_is_a_block_of_its_own() {
        // As given: 1, 5, 1 rows with min rows 3: the 1 before the 5 is flushed alone.
        let b = insert_blocks(
            vec![batch(0..1), batch(1..6), batch(6..7)],
            &sizes(None, 3, 0),
        )
        .unwrap();
        assert_eq!(rows(&b), vec![1, 5, 1]);
    }

    #[test]
    fn select_chunks_by_max_block_size() {
        // 3,000,000 rows of a query, defaults: 17 chunks of 65409 per block (ClickHouse:
        // parts of 1111953, 1111953, 776094 rows).
        let big: Vec<RecordBatch> = (0..375u32)
            .map(|i| batch(i * 8000..(i + 1) * 8000))
            .collect();
        let s = BlockSizes::of_session(&Settings::new(), Chunking::Select);
        let b = insert_blocks(big, &s).unwrap();
        assert_eq!(rows(&b), vec![1_111_953, 1_111_953, 776_094]);
    }
}
