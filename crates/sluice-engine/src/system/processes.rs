//! `system.processes` (the running server queries) and `system.query_log`, with
//! ClickHouse's columns (`DESCRIBE` checked against the oracle). Columns Sluice cannot
//! fill (thread ids, profile events, settings maps, `used_*` lists…) hold their type's
//! default; docs/status.md lists them. The `ProfileEvents.Names`-style ALIAS columns are
//! not there.

use std::net::IpAddr;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, FixedSizeBinaryBuilder, ListArray, MapArray, StructArray, new_empty_array,
};
use datafusion::arrow::buffer::{OffsetBuffer, ScalarBuffer};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::catalog::{MemTable, TableProvider};
use sluice_common::{ChType, Error, Result};

use super::SystemTables;
use crate::processes::QueryClient;
use crate::rows::{Cell, build_batch, schema_of};

pub(super) const INTERFACE: &str = "Enum8('Unknown' = 0, 'TCP' = 1, 'HTTP' = 2, 'gRPC' = 3, 'MySQL' = 4, 'PostgreSQL' = 5, 'Local' = 6, 'TCP_Interserver' = 7, 'Prometheus' = 8, 'Background' = 9, 'ArrowFlight' = 10)";
pub(super) const HTTP_METHOD: &str = "Enum8('UNKNOWN' = 0, 'GET' = 1, 'POST' = 2, 'OPTIONS' = 3, 'PUT' = 4, 'DELETE' = 5, 'HEAD' = 6)";

/// `system.processes`.
pub(super) fn processes(s: &SystemTables) -> Result<Arc<dyn TableProvider>> {
    let schema = schema_of(&[
        ("is_initial_query", "UInt8"),
        ("user", "String"),
        ("query_id", "String"),
        ("address", "IPv6"),
        ("port", "UInt16"),
        ("initial_user", "String"),
        ("initial_query_id", "String"),
        ("initial_address", "IPv6"),
        ("initial_port", "UInt16"),
        ("interface", INTERFACE),
        ("os_user", "String"),
        ("client_hostname", "String"),
        ("client_name", "String"),
        ("client_agent", "LowCardinality(String)"),
        ("client_revision", "UInt64"),
        ("client_version_major", "UInt64"),
        ("client_version_minor", "UInt64"),
        ("client_version_patch", "UInt64"),
        ("http_method", HTTP_METHOD),
        ("http_user_agent", "String"),
        ("http_referer", "String"),
        ("forwarded_for", "String"),
        ("quota_key", "String"),
        ("distributed_depth", "UInt64"),
        ("elapsed", "Float64"),
        ("is_cancelled", "UInt8"),
        ("is_all_data_sent", "UInt8"),
        ("read_rows", "UInt64"),
        ("read_bytes", "UInt64"),
        ("total_rows_approx", "UInt64"),
        ("written_rows", "UInt64"),
        ("written_bytes", "UInt64"),
        ("memory_usage", "Int64"),
        ("peak_memory_usage", "Int64"),
        ("query", "String"),
        ("normalized_query_hash", "UInt64"),
        ("query_kind", "String"),
        ("thread_ids", "Array(UInt64)"),
        ("peak_threads_usage", "UInt64"),
        ("ProfileEvents", "Map(LowCardinality(String), UInt64)"),
        (
            "Settings",
            "Map(LowCardinality(String), LowCardinality(String))",
        ),
        ("current_database", "String"),
        ("is_internal", "UInt8"),
    ])?;
    let mut rows = Vec::new();
    for q in s.processes.snapshot() {
        let (read_rows, read_bytes, written_rows, written_bytes) = q.counters();
        let c = &q.client;
        let mut row = vec![
            Cell::U64(1),
            Cell::from(q.user.as_str()),
            q.query_id.as_str().into(),
        ];
        row.extend(address_cells(c));
        row.extend([q.user.as_str().into(), q.query_id.as_str().into()]);
        row.extend(address_cells(c));
        row.extend([
            interface(c),
            Cell::Null,
            Cell::Null,
            c.client_name.as_str().into(),
            Cell::Null,
            Cell::U64(c.client_revision),
            Cell::U64(c.client_version.0),
            Cell::U64(c.client_version.1),
            Cell::U64(c.client_version.2),
            http_method(c),
            c.http_user_agent.as_str().into(),
            Cell::Null,
            Cell::Null,
            c.quota_key.as_str().into(),
            Cell::U64(0),
            Cell::F64(q.elapsed()),
            Cell::from(q.is_cancelled()),
            Cell::U64(0),
            Cell::U64(read_rows),
            Cell::U64(read_bytes),
            Cell::U64(0),
            Cell::U64(written_rows),
            Cell::U64(written_bytes),
            Cell::I64(q.memory.used() as i64),
            Cell::I64(q.memory.peak() as i64),
            q.query.as_str().into(),
            Cell::U64(0),
            q.query_kind.as_str().into(),
            Cell::Null,
            Cell::U64(0),
            Cell::Null,
            Cell::Null,
            q.current_database.as_str().into(),
            Cell::U64(0),
        ]);
        rows.push(row);
    }
    provider(schema, &rows)
}

/// The `address` and `port` cells of a client.
pub(super) fn address_cells(c: &QueryClient) -> [Cell; 2] {
    match c.address {
        Some(a) => [
            Cell::Str(a.ip().to_string()),
            Cell::U64(u64::from(a.port())),
        ],
        None => [Cell::Null, Cell::U64(0)],
    }
}

/// The `interface` cell.
pub(super) fn interface(c: &QueryClient) -> Cell {
    match c.interface.as_str() {
        "" => "Unknown".into(),
        other => other.into(),
    }
}

/// The `http_method` cell.
pub(super) fn http_method(c: &QueryClient) -> Cell {
    match c.http_method.as_str() {
        "" => "UNKNOWN".into(),
        other => other.into(),
    }
}

/// A one-batch table from rows. Columns of types the row builder does not know (Map,
/// Tuple, arrays of LowCardinality) hold their type's default; IPv6 cells are addresses
/// in text (IPv4 ones mapped into IPv6, as ClickHouse shows `::ffff:127.0.0.1`).
pub(super) fn provider(schema: SchemaRef, rows: &[Vec<Cell>]) -> Result<Arc<dyn TableProvider>> {
    if let Some(r) = rows.iter().find(|r| r.len() != schema.fields().len()) {
        return Err(Error::internal(format!(
            "system table row has {} cells for {} columns",
            r.len(),
            schema.fields().len()
        )));
    }
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (i, field) in schema.fields().iter().enumerate() {
        let t = ChType::from_field(field);
        let cells = || {
            rows.iter()
                .map(move |r| r.get(i).cloned().unwrap_or(Cell::Null))
        };
        let column = match &t {
            ChType::IPv6 => ipv6_column(cells())?,
            ChType::Map(..) => empty_maps(&t, rows.len())?,
            ChType::Tuple(_) => crate::statements::fill::default_array(&t, rows.len())?,
            ChType::Array(inner) if matches!(**inner, ChType::LowCardinality(_)) => {
                empty_lists(&t, rows.len())?
            }
            _ => {
                let one = Arc::new(Schema::new(vec![field.as_ref().clone()]));
                let one_rows: Vec<Vec<Cell>> = cells().map(|c| vec![c]).collect();
                Arc::clone(build_batch(one, &one_rows)?.column(0))
            }
        };
        columns.push(column);
    }
    let batch = RecordBatch::try_new_with_options(
        Arc::clone(&schema),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows.len())),
    )
    .map_err(|e| Error::internal(e.to_string()))?;
    let table =
        MemTable::try_new(schema, vec![vec![batch]]).map_err(crate::error::from_datafusion)?;
    Ok(Arc::new(table))
}

/// `len` empty arrays, the item field as the type has it (with its metadata).
fn empty_lists(t: &ChType, len: usize) -> Result<ArrayRef> {
    let DataType::List(item) = t.to_arrow() else {
        return Err(Error::internal(format!(
            "{t} is not stored as an Arrow list"
        )));
    };
    let offsets = OffsetBuffer::new(ScalarBuffer::from(vec![0i32; len + 1]));
    let values = new_empty_array(item.data_type());
    let list = ListArray::try_new(item, offsets, values, None)
        .map_err(|e| Error::internal(e.to_string()))?;
    Ok(Arc::new(list))
}

/// `len` empty maps (arrow's default-value path panics for Map).
fn empty_maps(t: &ChType, len: usize) -> Result<ArrayRef> {
    let DataType::Map(entries, sorted) = t.to_arrow() else {
        return Err(Error::internal(format!(
            "{t} is not stored as an Arrow map"
        )));
    };
    let DataType::Struct(fields) = entries.data_type() else {
        return Err(Error::internal(format!(
            "{t}: map entries are not a struct"
        )));
    };
    let entries_array = StructArray::try_new(
        fields.clone(),
        fields
            .iter()
            .map(|f| new_empty_array(f.data_type()))
            .collect(),
        None,
    )
    .map_err(|e| Error::internal(e.to_string()))?;
    let offsets = OffsetBuffer::new(ScalarBuffer::from(vec![0i32; len + 1]));
    let map = MapArray::try_new(entries, offsets, entries_array, None, sorted)
        .map_err(|e| Error::internal(e.to_string()))?;
    Ok(Arc::new(map))
}

fn ipv6_column(cells: impl Iterator<Item = Cell>) -> Result<ArrayRef> {
    let mut b = FixedSizeBinaryBuilder::new(16);
    for c in cells {
        let ip = match c {
            Cell::Str(s) => s.parse::<IpAddr>().ok(),
            _ => None,
        };
        let bytes = match ip {
            Some(IpAddr::V4(v4)) => v4.to_ipv6_mapped().octets(),
            Some(IpAddr::V6(v6)) => v6.octets(),
            None => [0u8; 16],
        };
        b.append_value(bytes)
            .map_err(|e| Error::internal(e.to_string()))?;
    }
    Ok(Arc::new(b.finish()))
}
