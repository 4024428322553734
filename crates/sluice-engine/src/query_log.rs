//! `system.query_log` in memory: one row when a query starts (`QueryStart`) and one when it
//! ends (`QueryFinish`, `ExceptionBeforeStart`, `ExceptionWhileProcessing`), the newest
//! [`QueryLog::CAPACITY`] rows kept. Rows are visible at once (`SYSTEM FLUSH LOGS` has
//! nothing to wait for).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use parking_lot::Mutex;
use sluice_common::Error;

use crate::processes::{QueryStatus, micros_since_epoch};

/// ClickHouse's `type` of a query log row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryLogType {
    /// The query started.
    QueryStart,
    /// The query ended successfully.
    QueryFinish,
    /// The query failed before it started (parsing, planning, limits).
    ExceptionBeforeStart,
    /// The query failed while it ran (or was cancelled).
    ExceptionWhileProcessing,
}

impl QueryLogType {
    /// The Enum8 value name.
    pub fn name(self) -> &'static str {
        match self {
            QueryLogType::QueryStart => "QueryStart",
            QueryLogType::QueryFinish => "QueryFinish",
            QueryLogType::ExceptionBeforeStart => "ExceptionBeforeStart",
            QueryLogType::ExceptionWhileProcessing => "ExceptionWhileProcessing",
        }
    }
}

/// One row of `system.query_log`.
#[derive(Clone, Debug)]
pub struct QueryLogRow {
    /// Row type.
    pub kind: QueryLogType,
    /// When the row was written, microseconds since the epoch.
    pub event_time_us: i64,
    /// Duration so far, milliseconds (0 for `QueryStart`).
    pub duration_ms: u64,
    /// Rows read.
    pub read_rows: u64,
    /// Bytes read.
    pub read_bytes: u64,
    /// Rows written.
    pub written_rows: u64,
    /// Bytes written.
    pub written_bytes: u64,
    /// Rows in the result.
    pub result_rows: u64,
    /// Bytes of the result (in memory).
    pub result_bytes: u64,
    /// Peak memory reserved by the query's operators.
    pub memory_usage: u64,
    /// Error code (0 without an error).
    pub exception_code: i32,
    /// Error text as clients see it (empty without an error).
    pub exception: String,
    /// The query (id, user, text, client…).
    pub status: Arc<QueryStatus>,
}

/// The bounded in-memory query log.
#[derive(Debug, Default)]
pub struct QueryLog {
    rows: Mutex<VecDeque<QueryLogRow>>,
}

impl QueryLog {
    /// Rows kept; older ones are dropped.
    pub const CAPACITY: usize = 100_000;

    /// Appends a row for `status`.
    pub fn push(&self, status: &Arc<QueryStatus>, kind: QueryLogType, error: Option<&Error>) {
        let start = kind == QueryLogType::QueryStart;
        let (read_rows, read_bytes, written_rows, written_bytes) = if start {
            (0, 0, 0, 0)
        } else {
            status.counters()
        };
        let (result_rows, result_bytes) = if start {
            (0, 0)
        } else {
            (
                status.result_rows.load(Ordering::Relaxed),
                status.result_bytes.load(Ordering::Relaxed),
            )
        };
        let row = QueryLogRow {
            kind,
            event_time_us: micros_since_epoch(SystemTime::now()),
            duration_ms: if start {
                0
            } else {
                (status.elapsed() * 1000.0) as u64
            },
            read_rows,
            read_bytes,
            written_rows,
            written_bytes,
            result_rows,
            result_bytes,
            memory_usage: if start { 0 } else { status.memory.peak() },
            exception_code: error.map_or(0, |e| e.code.0),
            exception: error.map(|e| e.to_clickhouse_string()).unwrap_or_default(),
            status: Arc::clone(status),
        };
        let mut rows = self.rows.lock();
        if rows.len() >= Self::CAPACITY {
            rows.pop_front();
        }
        rows.push_back(row);
    }

    /// All rows, oldest first.
    pub fn rows(&self) -> Vec<QueryLogRow> {
        self.rows.lock().iter().cloned().collect()
    }
}
