//! `system.query_log` from the engine's in-memory [`crate::query_log::QueryLog`], with
//! ClickHouse's columns (`DESCRIBE system.query_log` of ClickHouse 26.9). Columns Sluice
//! does not track hold their type's default (docs/status.md lists them).

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use sluice_common::Result;

use super::SystemTables;
use super::processes::{HTTP_METHOD, INTERFACE, address_cells, http_method, interface, provider};
use crate::rows::{Cell, schema_of};

/// `system.query_log`.
pub(super) fn query_log(s: &SystemTables) -> Result<Arc<dyn TableProvider>> {
    let lc = "LowCardinality(String)";
    let lc_array = "Array(LowCardinality(String))";
    let schema = schema_of(&[
        ("hostname", lc),
        ("clickhouse_version", lc),
        ("system_processor", lc),
        (
            "type",
            "Enum8('QueryStart' = 1, 'QueryFinish' = 2, 'ExceptionBeforeStart' = 3, 'ExceptionWhileProcessing' = 4)",
        ),
        ("event_date", "Date"),
        ("event_time", "DateTime"),
        ("event_time_microseconds", "DateTime64(6)"),
        ("query_start_time", "DateTime"),
        ("query_start_time_microseconds", "DateTime64(6)"),
        ("query_duration_ms", "UInt64"),
        ("read_rows", "UInt64"),
        ("read_bytes", "UInt64"),
        ("written_rows", "UInt64"),
        ("written_bytes", "UInt64"),
        ("result_rows", "UInt64"),
        ("result_bytes", "UInt64"),
        ("memory_usage", "UInt64"),
        ("current_database", lc),
        ("query", "String"),
        ("formatted_query", "String"),
        ("normalized_query_hash", "UInt64"),
        ("query_kind", lc),
        ("databases", lc_array),
        ("tables", lc_array),
        ("columns", lc_array),
        ("partitions", lc_array),
        ("projections", lc_array),
        ("views", lc_array),
        ("exception_code", "Int32"),
        ("exception", "String"),
        ("stack_trace", "String"),
        ("is_initial_query", "UInt8"),
        ("connection_address", "IPv6"),
        ("connection_port", "UInt16"),
        ("user", lc),
        ("query_id", "String"),
        ("address", "IPv6"),
        ("port", "UInt16"),
        ("initial_user", lc),
        ("initial_query_id", "String"),
        ("initial_address", "IPv6"),
        ("initial_port", "UInt16"),
        ("initial_query_start_time", "DateTime"),
        ("initial_query_start_time_microseconds", "DateTime64(6)"),
        ("authenticated_user", lc),
        ("interface", INTERFACE),
        ("is_secure", "UInt8"),
        ("os_user", lc),
        ("client_hostname", lc),
        ("client_name", lc),
        ("client_agent", lc),
        ("client_revision", "UInt32"),
        ("client_version_major", "UInt32"),
        ("client_version_minor", "UInt32"),
        ("client_version_patch", "UInt32"),
        ("script_query_number", "UInt32"),
        ("script_line_number", "UInt32"),
        ("http_method", HTTP_METHOD),
        ("http_user_agent", lc),
        ("http_referer", "String"),
        ("forwarded_for", "String"),
        ("quota_key", "String"),
        ("distributed_depth", "UInt64"),
        ("revision", "UInt32"),
        ("http_handler_name", "String"),
        ("http_request_url", "String"),
        ("log_comment", "String"),
        ("thread_ids", "Array(UInt64)"),
        ("peak_threads_usage", "UInt64"),
        ("ProfileEvents", "Map(LowCardinality(String), UInt64)"),
        (
            "Settings",
            "Map(LowCardinality(String), LowCardinality(String))",
        ),
        ("used_aggregate_functions", lc_array),
        ("used_aggregate_function_combinators", lc_array),
        ("used_database_engines", lc_array),
        ("used_data_type_families", lc_array),
        ("used_dictionaries", lc_array),
        ("used_formats", lc_array),
        ("used_functions", lc_array),
        ("used_storages", lc_array),
        ("used_table_functions", lc_array),
        ("used_executable_user_defined_functions", lc_array),
        ("used_sql_user_defined_functions", lc_array),
        ("used_row_policies", lc_array),
        ("used_privileges", lc_array),
        ("missing_privileges", lc_array),
        ("transaction_id", "Tuple(UInt64, UInt64, UUID)"),
        (
            "query_cache_usage",
            "Enum8('Unknown' = 0, 'None' = 1, 'Write' = 2, 'Read' = 3)",
        ),
        (
            "asynchronous_read_counters",
            "Map(LowCardinality(String), UInt64)",
        ),
        ("is_internal", "UInt8"),
    ])?;
    let mut rows = Vec::new();
    for r in s.processes.log.rows() {
        let q = &r.status;
        let c = &q.client;
        let start_us = q.start_time_us();
        let mut row: Vec<Cell> = vec![
            Cell::Null,
            Cell::Null,
            Cell::Null,
            r.kind.name().into(),
            Cell::I64(r.event_time_us.div_euclid(86_400_000_000)),
            Cell::I64(r.event_time_us.div_euclid(1_000_000)),
            Cell::I64(r.event_time_us),
            Cell::I64(start_us.div_euclid(1_000_000)),
            Cell::I64(start_us),
            Cell::U64(r.duration_ms),
            Cell::U64(r.read_rows),
            Cell::U64(r.read_bytes),
            Cell::U64(r.written_rows),
            Cell::U64(r.written_bytes),
            Cell::U64(r.result_rows),
            Cell::U64(r.result_bytes),
            Cell::U64(r.memory_usage),
            q.current_database.as_str().into(),
            q.query.as_str().into(),
            Cell::Null,
            Cell::U64(0),
            q.query_kind.as_str().into(),
        ];
        row.extend(std::iter::repeat_n(Cell::Null, 6));
        row.extend([
            Cell::I64(i64::from(r.exception_code)),
            r.exception.as_str().into(),
            Cell::Null,
            Cell::U64(1),
        ]);
        row.extend(address_cells(c));
        row.extend([q.user.as_str().into(), q.query_id.as_str().into()]);
        row.extend(address_cells(c));
        row.extend([q.user.as_str().into(), q.query_id.as_str().into()]);
        row.extend(address_cells(c));
        row.extend([
            Cell::I64(start_us.div_euclid(1_000_000)),
            Cell::I64(start_us),
            q.user.as_str().into(),
            interface(c),
            Cell::U64(0),
            Cell::Null,
            Cell::Null,
            c.client_name.as_str().into(),
            Cell::Null,
            Cell::U64(c.client_revision),
            Cell::U64(c.client_version.0),
            Cell::U64(c.client_version.1),
            Cell::U64(c.client_version.2),
            Cell::U64(0),
            Cell::U64(0),
            http_method(c),
            c.http_user_agent.as_str().into(),
            Cell::Null,
            Cell::Null,
            c.quota_key.as_str().into(),
            Cell::U64(0),
            Cell::U64(0),
            Cell::Null,
            Cell::Null,
            Cell::Null,
            Cell::Null,
            Cell::U64(0),
        ]);
        // ProfileEvents, Settings, the used_* lists, transaction_id: defaults.
        row.extend(std::iter::repeat_n(Cell::Null, 17));
        row.extend(["Unknown".into(), Cell::Null, Cell::U64(0)]);
        rows.push(row);
    }
    provider(schema, &rows)
}
