//! Virtual columns of MergeTree tables (`_part`, `_partition_id`, `_part_index`, …):
//! readable in `SELECT` and `WHERE`, never stored and not part of `SELECT *` (the engine
//! excludes them). Names, types and values as ClickHouse's `DESCRIBE … SETTINGS
//! describe_include_virtual_columns = 1` and the oracle show them.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::ScalarValue;
use sluice_common::{ChType, Error, Result};

use crate::merge_task::SourcePart;

/// Virtual columns: name and ClickHouse type, in the order they follow the stored columns.
pub const VIRTUAL_COLUMNS: &[(&str, &str)] = &[
    ("_part", "LowCardinality(String)"),
    ("_part_index", "UInt64"),
    ("_part_starting_offset", "UInt64"),
    ("_part_uuid", "UUID"),
    ("_partition_id", "LowCardinality(String)"),
    ("_sample_factor", "Float64"),
    ("_part_offset", "UInt64"),
    ("_part_data_version", "UInt64"),
    ("_disk_name", "LowCardinality(String)"),
    ("_row_exists", "UInt8"),
];

/// One row of ClickHouse's `DESCRIBE … SETTINGS describe_include_virtual_columns = 1` for a
/// virtual column: name, type, comment, codec.
pub type DescribedVirtual = (&'static str, &'static str, &'static str, &'static str);

/// The virtual columns of a MergeTree-family table as ClickHouse 26.9 describes them (oracle:
/// `CREATE TABLE m (a UInt8) ENGINE = MergeTree ORDER BY a; DESCRIBE m SETTINGS
/// describe_include_virtual_columns = 1`), in its order. A superset of
/// [`VIRTUAL_COLUMNS`]: `_part_granule_offset`, `_distance`, `_table`, `_database`,
/// `_block_number` and `_block_offset` are read by the engine (`sluice-engine`'s
/// `tables/virtuals.rs`), only in queries whose text names them; `_block_number` and
/// `_block_offset` are the part's, not persisted per row (`enable_block_number_column`).
pub const DESCRIBED_VIRTUAL_COLUMNS: &[DescribedVirtual] = &[
    ("_part", "LowCardinality(String)", "Name of part", ""),
    (
        "_part_index",
        "UInt64",
        "Sequential index of the part in the query result",
        "",
    ),
    (
        "_part_starting_offset",
        "UInt64",
        "Cumulative starting row of the part in the query result",
        "",
    ),
    (
        "_part_uuid",
        "UUID",
        "Unique part identifier (if enabled MergeTree setting assign_part_uuids)",
        "",
    ),
    (
        "_partition_id",
        "LowCardinality(String)",
        "Name of partition",
        "",
    ),
    (
        "_sample_factor",
        "Float64",
        "Sample factor (from the query)",
        "",
    ),
    ("_part_offset", "UInt64", "Number of row in the part", ""),
    (
        "_part_granule_offset",
        "UInt64",
        "Number of granule in the part",
        "",
    ),
    (
        "_part_data_version",
        "UInt64",
        "Data version of part (either min block number or mutation version)",
        "",
    ),
    ("_disk_name", "LowCardinality(String)", "Disk name", ""),
    (
        "_distance",
        "Float32",
        "Pre-computed distance for vector search queries",
        "",
    ),
    ("_table", "LowCardinality(String)", "", ""),
    ("_database", "LowCardinality(String)", "", ""),
    (
        "_row_exists",
        "UInt8",
        "Persisted mask created by lightweight delete that show whether row exists or is deleted",
        "",
    ),
    (
        "_block_number",
        "UInt64",
        "Persisted original number of block that was assigned at insert",
        "Delta, LZ4",
    ),
    (
        "_block_offset",
        "UInt64",
        "Persisted original number of row in block that was assigned at insert",
        "Delta, LZ4",
    ),
];

/// The rows `DESCRIBE` lists for a MergeTree table whose stored columns are `stored`:
/// [`DESCRIBED_VIRTUAL_COLUMNS`] without those a stored column's name hides (ClickHouse
/// hides each one on its own; reading them, Sluice drops all virtual columns then, see
/// [`virtual_names`]).
pub fn described_virtuals(stored: &[&str]) -> Vec<DescribedVirtual> {
    DESCRIBED_VIRTUAL_COLUMNS
        .iter()
        .filter(|(n, ..)| !stored.contains(n))
        .copied()
        .collect()
}

/// Virtual columns whose value is the same for every row of a part (usable to skip parts).
pub(crate) const PER_PART: &[&str] = &[
    "_part",
    "_part_uuid",
    "_partition_id",
    "_sample_factor",
    "_part_data_version",
    "_disk_name",
    "_row_exists",
];

/// Names of the virtual columns a table with `stored` columns has: none when a stored
/// column takes one of their names.
pub fn virtual_names(stored: &Schema) -> Vec<String> {
    if stored.fields().iter().any(|f| is_virtual(f.name())) {
        return Vec::new();
    }
    VIRTUAL_COLUMNS.iter().map(|(n, _)| n.to_string()).collect()
}

/// True for the name of a virtual column.
pub fn is_virtual(name: &str) -> bool {
    VIRTUAL_COLUMNS.iter().any(|(n, _)| *n == name)
}

/// The fields of the virtual columns.
pub(crate) fn virtual_fields() -> Result<Vec<Field>> {
    VIRTUAL_COLUMNS
        .iter()
        .map(|(n, t)| Ok(ChType::parse(t)?.to_field(n).with_nullable(false)))
        .collect()
}

/// The stored schema followed by the virtual columns.
pub(crate) fn with_virtuals(stored: &SchemaRef) -> Result<SchemaRef> {
    let mut fields: Vec<Field> = stored.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.extend(virtual_fields()?);
    Ok(Arc::new(Schema::new_with_metadata(
        fields,
        stored.metadata().clone(),
    )))
}

/// Where a part sits in one query's list of parts (sorted by name).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PartPosition {
    /// `_part_index`.
    pub index: u64,
    /// `_part_starting_offset`: rows of the parts before it.
    pub starting_offset: u64,
}

/// Positions of `parts` (in the order given, which is name order).
pub(crate) fn positions(parts: &[SourcePart]) -> HashMap<String, PartPosition> {
    let mut out = HashMap::new();
    let mut offset = 0u64;
    for (i, sp) in parts.iter().enumerate() {
        out.insert(
            sp.part.name.to_string(),
            PartPosition {
                index: i as u64,
                starting_offset: offset,
            },
        );
        offset += sp.part.rows();
    }
    out
}

fn lc_string(v: &str) -> ScalarValue {
    ScalarValue::Dictionary(
        Box::new(DataType::Int32),
        Box::new(ScalarValue::Utf8(Some(v.to_string()))),
    )
}

/// The value of a per-part virtual column for `sp`.
fn per_part_value(name: &str, sp: &SourcePart, pos: PartPosition) -> ScalarValue {
    match name {
        "_part" => lc_string(&sp.part.name.to_string()),
        "_partition_id" => lc_string(&sp.part.name.partition_id),
        "_part_index" => ScalarValue::UInt64(Some(pos.index)),
        "_part_starting_offset" => ScalarValue::UInt64(Some(pos.starting_offset)),
        "_part_uuid" => ScalarValue::FixedSizeBinary(16, Some(vec![0; 16])),
        "_sample_factor" => ScalarValue::Float64(Some(1.0)),
        "_part_data_version" => {
            ScalarValue::UInt64(Some(sp.part.name.data_version().max(0) as u64))
        }
        "_disk_name" => lc_string("default"),
        _ => ScalarValue::UInt8(Some(1)),
    }
}

/// A one-row batch of the per-part virtual columns of `sp` (to evaluate filters on them).
pub(crate) fn part_row(sp: &SourcePart, pos: PartPosition) -> Result<RecordBatch> {
    let fields = virtual_fields()?;
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(fields.len());
    for f in &fields {
        let v = if f.name() == "_part_offset" {
            ScalarValue::UInt64(Some(0))
        } else {
            per_part_value(f.name(), sp, pos)
        };
        cols.push(to_array(&v, 1, f)?);
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
        .map_err(|e| Error::internal(format!("virtual columns: {e}")))
}

fn to_array(v: &ScalarValue, rows: usize, f: &Field) -> Result<ArrayRef> {
    let a = v
        .to_array_of_size(rows)
        .map_err(|e| Error::internal(format!("virtual column {}: {e}", f.name())))?;
    if a.data_type() == f.data_type() {
        Ok(a)
    } else {
        datafusion::arrow::compute::cast(&a, f.data_type())
            .map_err(|e| Error::internal(format!("virtual column {}: {e}", f.name())))
    }
}

/// `batch` (rows `first_row..` of part `sp`, in the stored schema) followed by the virtual
/// columns, in the schema [`with_virtuals`] returns.
pub(crate) fn append(
    batch: RecordBatch,
    schema: &SchemaRef,
    sp: &SourcePart,
    pos: PartPosition,
    first_row: u64,
) -> Result<RecordBatch> {
    let rows = batch.num_rows();
    let mut cols = batch.columns().to_vec();
    for f in virtual_fields()? {
        let col: ArrayRef = if f.name() == "_part_offset" {
            Arc::new(UInt64Array::from_iter_values(
                first_row..first_row + rows as u64,
            ))
        } else {
            to_array(&per_part_value(f.name(), sp, pos), rows, &f)?
        };
        cols.push(col);
    }
    RecordBatch::try_new(Arc::clone(schema), cols)
        .map_err(|e| Error::internal(format!("virtual columns: {e}")))
}

/// A batch of a `FINAL` read with origins (the stored columns, then the part index in
/// `parts` and the row in that part; see `merge_task::final_merge`) turned into the
/// stored + virtual schema [`with_virtuals`] returns: each surviving row shows the part
/// and offset it came from.
pub(crate) fn from_origin(
    batch: RecordBatch,
    schema: &SchemaRef,
    parts: &[SourcePart],
    positions: &HashMap<String, PartPosition>,
) -> Result<RecordBatch> {
    let Some(n) = batch.num_columns().checked_sub(2) else {
        return Err(Error::internal("FINAL read without origin columns"));
    };
    let mut cols = batch.columns()[..n].to_vec();
    let (src, offsets) = (batch.column(n), batch.column(n + 1));
    let src = src
        .as_any()
        .downcast_ref::<datafusion::arrow::array::UInt32Array>()
        .ok_or_else(|| Error::internal("FINAL origin column is not UInt32"))?;
    for f in virtual_fields()? {
        if f.name() == "_part_offset" {
            cols.push(Arc::clone(offsets));
            continue;
        }
        // One value per part, then one per row by its part.
        let per_part = parts
            .iter()
            .map(|sp| {
                let pos = positions
                    .get(&sp.part.name.to_string())
                    .copied()
                    .unwrap_or_default();
                to_array(&per_part_value(f.name(), sp, pos), 1, &f)
            })
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&dyn datafusion::arrow::array::Array> =
            per_part.iter().map(|a| a.as_ref()).collect();
        let values = datafusion::arrow::compute::concat(&refs)
            .map_err(|e| Error::internal(format!("virtual column {}: {e}", f.name())))?;
        cols.push(
            datafusion::arrow::compute::take(&values, src, None)
                .map_err(|e| Error::internal(format!("virtual column {}: {e}", f.name())))?,
        );
    }
    RecordBatch::try_new(Arc::clone(schema), cols)
        .map_err(|e| Error::internal(format!("virtual columns: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns Sluice reads are ClickHouse's, with the same types and in its order.
    #[test]
    fn read_columns_are_a_subsequence_of_the_described_ones() {
        let mut described = DESCRIBED_VIRTUAL_COLUMNS.iter();
        for (name, ty) in VIRTUAL_COLUMNS {
            let found = described.find(|(n, ..)| n == name);
            assert_eq!(found.map(|(_, t, ..)| *t), Some(*ty), "{name}");
        }
        let hidden = described_virtuals(&["a", "_part"]);
        assert_eq!(hidden.len(), DESCRIBED_VIRTUAL_COLUMNS.len() - 1);
        assert!(hidden.iter().all(|(n, ..)| *n != "_part"));
    }
}
