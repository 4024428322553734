//! Rows of `system.parts`, `system.merges`, `system.mutations` and
//! `system.detached_parts` (column names as in ClickHouse; the engine adds `database` and
//! `table`).

use std::sync::Arc;

use crate::part::Part;

/// One `system.parts` row.
#[derive(Debug, Clone, PartialEq)]
pub struct PartInfo {
    /// Partition value as text (`202509`, `tuple()`, `(-1,'2025-09-01')`).
    pub partition: String,
    /// Part name.
    pub name: String,
    /// `Wide` (ClickHouse's type of multi-file parts; a Sluice part is one Parquet file).
    pub part_type: String,
    /// 1 for active parts, 0 for outdated ones not yet removed.
    pub active: bool,
    /// Granules + 1 (ClickHouse counts the final mark).
    pub marks: u64,
    /// Rows.
    pub rows: u64,
    /// Bytes on disk.
    pub bytes_on_disk: u64,
    /// Compressed bytes of the data.
    pub data_compressed_bytes: u64,
    /// Uncompressed bytes of the data.
    pub data_uncompressed_bytes: u64,
    /// Modification time, unix seconds.
    pub modification_time: i64,
    /// Time the part became outdated (0 when active).
    pub remove_time: i64,
    /// References held (the table's plus running queries').
    pub refcount: u32,
    /// Smallest `Date` of the partition key columns (days since epoch; 0 when none).
    pub min_date: i32,
    /// Largest `Date` of the partition key columns.
    pub max_date: i32,
    /// Smallest `DateTime` of the partition key columns (seconds; 0 when none).
    pub min_time: i64,
    /// Largest `DateTime` of the partition key columns.
    pub max_time: i64,
    /// Partition id.
    pub partition_id: String,
    /// First block number.
    pub min_block_number: i64,
    /// Last block number.
    pub max_block_number: i64,
    /// Merge level.
    pub level: u32,
    /// Data version (last mutation applied, else `min_block_number`).
    pub data_version: i64,
    /// Part directory, with a trailing `/`.
    pub path: String,
    /// Smallest TTL value (seconds; 0 when no TTL).
    pub delete_ttl_info_min: i64,
    /// Largest TTL value.
    pub delete_ttl_info_max: i64,
    /// Rows were removed by a lightweight delete.
    pub has_lightweight_delete: bool,
    /// Insert block ids the part carries (deduplication window).
    pub block_ids: Vec<String>,
}

impl PartInfo {
    pub(crate) fn of(part: &Arc<Part>, active: bool, remove_time: i64) -> Self {
        let m = &part.manifest;
        PartInfo {
            partition: m.partition.clone(),
            name: part.name.to_string(),
            part_type: if m.uncompressed_bytes < crate::part_io::MIN_BYTES_FOR_WIDE_PART {
                "Compact".into()
            } else {
                "Wide".into()
            },
            active,
            marks: m.marks,
            rows: m.rows,
            bytes_on_disk: m.data_size,
            data_compressed_bytes: m.data_size,
            data_uncompressed_bytes: m.uncompressed_bytes,
            modification_time: part.modification_time,
            remove_time,
            refcount: Arc::strong_count(part) as u32,
            min_date: m.min_date.unwrap_or(0),
            max_date: m.max_date.unwrap_or(0),
            min_time: m.min_time.unwrap_or(0),
            max_time: m.max_time.unwrap_or(0),
            partition_id: part.name.partition_id.clone(),
            min_block_number: part.name.min_block,
            max_block_number: part.name.max_block,
            level: part.name.level,
            data_version: part.name.data_version(),
            path: format!("{}/", part.dir.display()),
            delete_ttl_info_min: m.ttl_min.unwrap_or(0),
            delete_ttl_info_max: m.ttl_max.unwrap_or(0),
            has_lightweight_delete: m.has_lightweight_delete,
            block_ids: m.block_ids.iter().map(|b| b.id.clone()).collect(),
        }
    }
}

/// One `system.merges` row (a merge or mutation in progress).
#[derive(Debug, Clone, PartialEq)]
pub struct MergeInfo {
    /// Seconds since the merge started.
    pub elapsed: f64,
    /// Fraction of rows processed.
    pub progress: f64,
    /// Number of source parts.
    pub num_parts: u64,
    /// Source part names.
    pub source_part_names: Vec<String>,
    /// Result part name.
    pub result_part_name: String,
    /// Partition id.
    pub partition_id: String,
    /// Partition value as text.
    pub partition: String,
    /// 1 for a mutation.
    pub is_mutation: bool,
    /// Compressed bytes of the sources.
    pub total_size_bytes_compressed: u64,
    /// Rows read so far.
    pub rows_read: u64,
    /// Rows written so far.
    pub rows_written: u64,
    /// `Regular` or `TTLDelete`.
    pub merge_type: String,
    /// `Horizontal` (Sluice merges all columns together).
    pub merge_algorithm: String,
}

/// One `system.mutations` row.
#[derive(Debug, Clone, PartialEq)]
pub struct MutationInfo {
    /// `mutation_<N>.txt`.
    pub mutation_id: String,
    /// The command text (`DELETE WHERE x = 1`, `UPDATE a = 1 WHERE …`).
    pub command: String,
    /// Creation time, unix seconds.
    pub create_time: i64,
    /// Finish time, unix seconds (0 while running).
    pub finish_time: i64,
    /// `block_numbers.partition_id` (empty string: all partitions).
    pub block_numbers_partition_id: Vec<String>,
    /// `block_numbers.number`: the mutation's block number.
    pub block_numbers_number: Vec<i64>,
    /// Parts still to mutate.
    pub parts_to_do_names: Vec<String>,
    /// Their count.
    pub parts_to_do: i64,
    /// 1 when done.
    pub is_done: bool,
    /// 1 when killed.
    pub is_killed: bool,
    /// Last part that failed.
    pub latest_failed_part: String,
    /// When it failed (unix seconds, 0 = never).
    pub latest_fail_time: i64,
    /// Why.
    pub latest_fail_reason: String,
    /// Error code name of the failure.
    pub latest_fail_error_code_name: String,
}

/// One `system.detached_parts` row.
#[derive(Debug, Clone, PartialEq)]
pub struct DetachedPartInfo {
    /// Partition id when the name parses.
    pub partition_id: Option<String>,
    /// Directory name without the reason prefix.
    pub name: String,
    /// Bytes on disk.
    pub bytes_on_disk: u64,
    /// Modification time, unix seconds.
    pub modification_time: i64,
    /// `default`.
    pub disk: String,
    /// Directory path with a trailing `/`.
    pub path: String,
    /// Reason prefix (`broken-on-start`, …); empty for parts detached by the user.
    pub reason: Option<String>,
    /// First block when the name parses.
    pub min_block_number: Option<i64>,
    /// Last block when the name parses.
    pub max_block_number: Option<i64>,
    /// Level when the name parses.
    pub level: Option<u32>,
}
