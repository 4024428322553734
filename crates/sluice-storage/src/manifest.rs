//! The part manifest (`manifest.json`): what a part holds without opening its Parquet file
//! — rows, sizes, partition, per-column min/max, checksum of `data.parquet`, insert block
//! ids (deduplication) and Kafka source offsets.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sluice_common::{Error, ErrorCode, Result};

use crate::source::SourceKey;

/// File name of the manifest inside a part directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// File name of the data inside a part directory.
pub const DATA_FILE: &str = "data.parquet";
/// Manifest format version written by this build.
pub const MANIFEST_FORMAT: u32 = 1;

/// Statistics of one stored column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnManifest {
    /// Column name.
    pub name: String,
    /// ClickHouse type name.
    #[serde(rename = "type")]
    pub ch_type: String,
    /// Minimum non-null value as text (Arrow's cast to `Utf8`), when orderable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// Maximum non-null value as text, when orderable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// Number of NULLs.
    #[serde(default)]
    pub null_count: u64,
}

/// One insert block id kept for deduplication, with the block number it was written as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockId {
    /// Block number.
    pub block: i64,
    /// `<partition_id>_<hash>`.
    pub id: String,
}

/// A Kafka source position recorded in a part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceOffset {
    /// Group, topic, partition.
    pub key: SourceKey,
    /// Next offset after the data the part holds.
    pub next_offset: i64,
}

/// Everything known about a part without reading its data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version.
    pub format: u32,
    /// Part name.
    pub name: String,
    /// Partition id.
    pub partition_id: String,
    /// Partition value as ClickHouse prints it.
    pub partition: String,
    /// Rows.
    pub rows: u64,
    /// Size of `data.parquet` in bytes.
    pub data_size: u64,
    /// xxHash64 of `data.parquet`, hex.
    pub data_xxh64: String,
    /// Uncompressed size of the column chunks.
    pub uncompressed_bytes: u64,
    /// ClickHouse's mark count for a part of these rows (granules and the final mark,
    /// `system.parts.marks`; see `part_io::marks`).
    pub marks: u64,
    /// Columns with their statistics, in table order.
    pub columns: Vec<ColumnManifest>,
    /// Smallest/largest `Date` of the partition key columns (days), as `min_date`.
    #[serde(default)]
    pub min_date: Option<i32>,
    /// Largest `Date` of the partition key columns.
    #[serde(default)]
    pub max_date: Option<i32>,
    /// Smallest `DateTime` of the partition key columns (seconds).
    #[serde(default)]
    pub min_time: Option<i64>,
    /// Largest `DateTime` of the partition key columns.
    #[serde(default)]
    pub max_time: Option<i64>,
    /// Smallest TTL value of the rows (seconds), when the table has a TTL.
    #[serde(default)]
    pub ttl_min: Option<i64>,
    /// Largest TTL value of the rows.
    #[serde(default)]
    pub ttl_max: Option<i64>,
    /// Insert block ids of the deduplication window this part carries.
    #[serde(default)]
    pub block_ids: Vec<BlockId>,
    /// Kafka positions (maximum over merged sources).
    #[serde(default)]
    pub source_offsets: Vec<SourceOffset>,
    /// Creation time, unix seconds.
    pub created: i64,
    /// Rows were removed by a lightweight delete.
    #[serde(default)]
    pub has_lightweight_delete: bool,
    /// An empty part written by DROP PARTITION / TRUNCATE only to cover removed parts
    /// (never listed in `system.parts`).
    #[serde(default)]
    pub drop_marker: bool,
}

impl Manifest {
    /// Reads and parses `dir/manifest.json`.
    pub fn load(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let text = fs::read(&path).map_err(|e| {
            Error::new(
                ErrorCode::CANNOT_OPEN_FILE,
                format!("Cannot open {}: {e}", path.display()),
            )
        })?;
        serde_json::from_slice(&text).map_err(|e| {
            Error::new(
                ErrorCode::CORRUPTED_DATA,
                format!("Corrupted manifest {}: {e}", path.display()),
            )
        })
    }

    /// The manifest as pretty JSON bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self)
            .map_err(|e| Error::internal(format!("cannot serialise a part manifest: {e}")))
    }

    /// Column statistics by name.
    pub fn column(&self, name: &str) -> Option<&ColumnManifest> {
        self.columns.iter().find(|c| c.name == name)
    }
}
