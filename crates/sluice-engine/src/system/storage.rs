//! `system.parts`, `system.merges`, `system.mutations`, `system.detached_parts` and
//! `system.detached_tables`: the
//! MergeTree tables' state from `sluice-storage`, with ClickHouse's column names and types.
//! Columns of features Sluice does not have (projections, transactions, move/recompression
//! TTL, secondary indices) are left out; docs/status.md lists them.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use sluice_common::Result;

use super::SystemTables;
use crate::rows::{Cell, schema_of};
use crate::tables::merge_tree::MergeTreeStorage;

type Rows = (SchemaRef, Vec<Vec<Cell>>);

/// Every MergeTree table: (database, table, engine, storage).
pub(super) fn merge_tree_tables(
    s: &SystemTables,
) -> Vec<(String, String, Arc<crate::catalog::TableEntry>)> {
    s.catalog
        .all_tables()
        .into_iter()
        .filter(|e| {
            e.table
                .as_ref()
                .is_some_and(|t| t.as_any().downcast_ref::<MergeTreeStorage>().is_some())
        })
        .map(|e| (e.database.clone(), e.name.clone(), e))
        .collect()
}

pub(super) fn storage(e: &crate::catalog::TableEntry) -> Option<&MergeTreeStorage> {
    e.table
        .as_ref()
        .and_then(|t| t.as_any().downcast_ref::<MergeTreeStorage>())
}

pub(super) fn parts(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("partition", "String"),
        ("name", "String"),
        ("uuid", "UUID"),
        ("part_type", "String"),
        ("part_storage_type", "String"),
        ("active", "UInt8"),
        ("marks", "UInt64"),
        ("rows", "UInt64"),
        ("files", "UInt64"),
        ("bytes_on_disk", "UInt64"),
        ("data_compressed_bytes", "UInt64"),
        ("data_uncompressed_bytes", "UInt64"),
        ("primary_key_size", "UInt64"),
        ("marks_bytes", "UInt64"),
        ("modification_time", "DateTime"),
        ("remove_time", "DateTime"),
        ("refcount", "UInt32"),
        ("min_date", "Date"),
        ("max_date", "Date"),
        ("min_time", "DateTime"),
        ("max_time", "DateTime"),
        ("partition_id", "String"),
        ("min_block_number", "Int64"),
        ("max_block_number", "Int64"),
        ("level", "UInt32"),
        ("data_version", "UInt64"),
        ("is_frozen", "UInt8"),
        ("database", "String"),
        ("table", "String"),
        ("engine", "String"),
        ("disk_name", "String"),
        ("path", "String"),
        ("delete_ttl_info_min", "DateTime"),
        ("delete_ttl_info_max", "DateTime"),
        ("default_compression_codec", "String"),
        ("visible", "UInt8"),
        ("has_lightweight_delete", "UInt8"),
        ("removal_state", "String"),
        ("bytes", "UInt64"),
        ("marks_size", "UInt64"),
        ("part_name", "String"),
    ])?;
    let mut rows = Vec::new();
    for (db, table, e) in merge_tree_tables(s) {
        let Some(mt) = storage(&e) else { continue };
        let engine = mt.storage().spec().engine.name().to_string();
        for p in mt.storage().parts() {
            rows.push(vec![
                Cell::Str(p.partition.clone()),
                Cell::Str(p.name.clone()),
                Cell::Str("00000000-0000-0000-0000-000000000000".into()),
                Cell::Str(p.part_type.clone()),
                Cell::Str("Full".into()),
                Cell::from(p.active),
                Cell::U64(p.marks),
                Cell::U64(p.rows),
                Cell::U64(2),
                Cell::U64(p.bytes_on_disk),
                Cell::U64(p.data_compressed_bytes),
                Cell::U64(p.data_uncompressed_bytes),
                Cell::U64(0),
                Cell::U64(0),
                Cell::I64(p.modification_time),
                Cell::I64(p.remove_time),
                Cell::U64(u64::from(p.refcount)),
                Cell::I64(i64::from(p.min_date)),
                Cell::I64(i64::from(p.max_date)),
                Cell::I64(p.min_time),
                Cell::I64(p.max_time),
                Cell::Str(p.partition_id.clone()),
                Cell::I64(p.min_block_number),
                Cell::I64(p.max_block_number),
                Cell::U64(u64::from(p.level)),
                Cell::I64(p.data_version),
                Cell::U64(0),
                Cell::Str(db.clone()),
                Cell::Str(table.clone()),
                Cell::Str(engine.clone()),
                Cell::Str("default".into()),
                Cell::Str(p.path.clone()),
                Cell::I64(p.delete_ttl_info_min),
                Cell::I64(p.delete_ttl_info_max),
                Cell::Str("ZSTD(1)".into()),
                Cell::from(p.active),
                Cell::from(p.has_lightweight_delete),
                Cell::Str(
                    if p.active {
                        "Cleanup thread hasn't seen this part yet"
                    } else {
                        "Waiting for covered parts to be removed first"
                    }
                    .into(),
                ),
                Cell::U64(p.bytes_on_disk),
                Cell::U64(0),
                Cell::Str(p.name.clone()),
            ]);
        }
    }
    Ok((schema, rows))
}

pub(super) fn merges(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("database", "String"),
        ("table", "String"),
        ("elapsed", "Float64"),
        ("progress", "Float64"),
        ("num_parts", "UInt64"),
        ("source_part_names", "Array(String)"),
        ("result_part_name", "String"),
        ("partition_id", "String"),
        ("partition", "String"),
        ("is_mutation", "UInt8"),
        ("total_size_bytes_compressed", "UInt64"),
        ("rows_read", "UInt64"),
        ("rows_written", "UInt64"),
        ("merge_type", "String"),
        ("merge_algorithm", "String"),
    ])?;
    let mut rows = Vec::new();
    for (db, table, e) in merge_tree_tables(s) {
        let Some(mt) = storage(&e) else { continue };
        for m in mt.storage().merges() {
            rows.push(vec![
                Cell::Str(db.clone()),
                Cell::Str(table.clone()),
                Cell::F64(m.elapsed),
                Cell::F64(m.progress),
                Cell::U64(m.num_parts),
                Cell::StrArr(m.source_part_names.clone()),
                Cell::Str(m.result_part_name.clone()),
                Cell::Str(m.partition_id.clone()),
                Cell::Str(m.partition.clone()),
                Cell::from(m.is_mutation),
                Cell::U64(m.total_size_bytes_compressed),
                Cell::U64(m.rows_read),
                Cell::U64(m.rows_written),
                Cell::Str(m.merge_type.clone()),
                Cell::Str(m.merge_algorithm.clone()),
            ]);
        }
    }
    Ok((schema, rows))
}

pub(super) fn mutations(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("database", "String"),
        ("table", "String"),
        ("mutation_id", "String"),
        ("command", "String"),
        ("create_time", "DateTime"),
        ("finish_time", "DateTime"),
        ("block_numbers.partition_id", "Array(String)"),
        ("block_numbers.number", "Array(Int64)"),
        ("parts_to_do_names", "Array(String)"),
        ("parts_to_do", "Int64"),
        ("is_done", "UInt8"),
        ("is_killed", "UInt8"),
        ("latest_failed_part", "String"),
        ("latest_fail_time", "DateTime"),
        ("latest_fail_reason", "String"),
        ("latest_fail_error_code_name", "String"),
    ])?;
    let mut rows = Vec::new();
    for (db, table, e) in merge_tree_tables(s) {
        let Some(mt) = storage(&e) else { continue };
        for m in mt.storage().mutations() {
            rows.push(vec![
                Cell::Str(db.clone()),
                Cell::Str(table.clone()),
                Cell::Str(m.mutation_id.clone()),
                Cell::Str(m.command.clone()),
                Cell::I64(m.create_time),
                Cell::I64(m.finish_time),
                Cell::StrArr(m.block_numbers_partition_id.clone()),
                Cell::I64Arr(m.block_numbers_number.clone()),
                Cell::StrArr(m.parts_to_do_names.clone()),
                Cell::I64(m.parts_to_do),
                Cell::from(m.is_done),
                Cell::from(m.is_killed),
                Cell::Str(m.latest_failed_part.clone()),
                Cell::I64(m.latest_fail_time),
                Cell::Str(m.latest_fail_reason.clone()),
                Cell::Str(m.latest_fail_error_code_name.clone()),
            ]);
        }
    }
    Ok((schema, rows))
}

pub(super) fn detached_parts(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("database", "String"),
        ("table", "String"),
        ("partition_id", "Nullable(String)"),
        ("name", "String"),
        ("bytes_on_disk", "UInt64"),
        ("modification_time", "DateTime"),
        ("disk", "String"),
        ("path", "String"),
        ("reason", "Nullable(String)"),
        ("min_block_number", "Nullable(Int64)"),
        ("max_block_number", "Nullable(Int64)"),
        ("level", "Nullable(UInt32)"),
    ])?;
    let mut rows = Vec::new();
    for (db, table, e) in merge_tree_tables(s) {
        let Some(mt) = storage(&e) else { continue };
        for d in mt.storage().detached_parts() {
            let opt_s = |v: &Option<String>| v.clone().map_or(Cell::Null, Cell::Str);
            let opt_i = |v: Option<i64>| v.map_or(Cell::Null, Cell::I64);
            rows.push(vec![
                Cell::Str(db.clone()),
                Cell::Str(table.clone()),
                opt_s(&d.partition_id),
                Cell::Str(d.name.clone()),
                Cell::U64(d.bytes_on_disk),
                Cell::I64(d.modification_time),
                Cell::Str(d.disk.clone()),
                Cell::Str(d.path.clone()),
                opt_s(&d.reason),
                opt_i(d.min_block_number),
                opt_i(d.max_block_number),
                opt_i(d.level.map(i64::from)),
            ]);
        }
    }
    Ok((schema, rows))
}

/// `system.detached_tables`: tables taken out by `DETACH TABLE`.
pub(super) fn detached_tables(s: &SystemTables) -> Result<Rows> {
    let schema = schema_of(&[
        ("database", "String"),
        ("table", "String"),
        ("uuid", "UUID"),
        ("metadata_path", "String"),
        ("is_permanently", "UInt8"),
    ])?;
    let base = s
        .catalog
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let rows = s
        .catalog
        .detached_tables()
        .into_iter()
        .map(|t| {
            vec![
                Cell::Str(t.database.clone()),
                Cell::Str(t.name.clone()),
                Cell::Str(t.uuid.clone()),
                Cell::Str(format!("{base}/metadata/{}/{}.sql", t.database, t.name)),
                Cell::from(t.permanently),
            ]
        })
        .collect();
    Ok((schema, rows))
}
