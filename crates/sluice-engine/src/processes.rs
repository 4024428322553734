//! The process list: every query running through a server, as `system.processes` shows it
//! and `KILL QUERY` cancels it.
//!
//! [`ProcessList`] (one per [`crate::Engine`]) holds a [`QueryStatus`] per running query.
//! A query registers with [`ProcessList::register`] (which enforces
//! `max_concurrent_queries`) and gets a [`ProcessHandle`]; the handle leaves the list and
//! writes the query's final `system.query_log` row when the query finishes, fails, or its
//! output is dropped (client gone, cancel). Cancellation is a [`CancellationToken`] shared
//! with the server, so a `KILL QUERY` and a client disconnect end the query the same way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use parking_lot::Mutex;
use sluice_common::{Error, ErrorCode, Result};
use tokio_util::sync::CancellationToken;

use crate::memory::QueryMemoryPool;
use crate::profile_events::{ErrorCounts, ProfileEvents};
use crate::query_log::{QueryLog, QueryLogType};
use crate::session::Progress;

/// Who sent a query, for `system.processes` and `system.query_log`.
#[derive(Clone, Debug, Default)]
pub struct QueryClient {
    /// ClickHouse's interface name: `TCP`, `HTTP`, `Local` (empty: `Unknown`).
    pub interface: String,
    /// Peer address.
    pub address: Option<SocketAddr>,
    /// Client program name (native Hello, or the HTTP user agent).
    pub client_name: String,
    /// Client version `(major, minor, patch)`.
    pub client_version: (u64, u64, u64),
    /// Native protocol revision (0 for HTTP).
    pub client_revision: u64,
    /// `GET` / `POST` for HTTP queries (empty: `UNKNOWN`).
    pub http_method: String,
    /// HTTP `User-Agent`.
    pub http_user_agent: String,
    /// Quota key sent by the client.
    pub quota_key: String,
}

/// What a server knows about a query before the engine runs it.
#[derive(Clone, Debug)]
pub struct QueryContext {
    /// The query id (the client's, or one the server generated).
    pub query_id: String,
    /// Who sent it.
    pub client: QueryClient,
    /// Cancelled by the server when the client cancels or leaves; `KILL QUERY` cancels it
    /// too.
    pub cancel: CancellationToken,
}

/// One running query.
#[derive(Debug)]
pub struct QueryStatus {
    /// Query id.
    pub query_id: String,
    /// User who runs it.
    pub user: String,
    /// Query text.
    pub query: String,
    /// ClickHouse's `query_kind` (`Select`, `Insert`, `Create`, …).
    pub query_kind: String,
    /// Current database when it started.
    pub current_database: String,
    /// Who sent it.
    pub client: QueryClient,
    /// Wall-clock start.
    pub start_time: SystemTime,
    started: Instant,
    /// Rows in the result sent so far.
    pub result_rows: AtomicU64,
    /// Bytes (in memory) of the result sent so far.
    pub result_bytes: AtomicU64,
    /// Rows and bytes read (leaf scans of the query plan) and written; the query's output
    /// hands these counters to the server.
    pub read: Arc<Progress>,
    cancel: CancellationToken,
    /// Memory reserved by the query's operators, with its `max_memory_usage` limit.
    pub memory: Arc<QueryMemoryPool>,
}

impl QueryStatus {
    /// A status for a query about to start.
    pub fn new(
        ctx: &QueryContext,
        user: &str,
        query: &str,
        query_kind: &str,
        current_database: &str,
        memory: Arc<QueryMemoryPool>,
    ) -> Self {
        Self {
            query_id: ctx.query_id.clone(),
            user: user.to_string(),
            query: query.to_string(),
            query_kind: query_kind.to_string(),
            current_database: current_database.to_string(),
            client: ctx.client.clone(),
            start_time: SystemTime::now(),
            started: Instant::now(),
            result_rows: AtomicU64::new(0),
            result_bytes: AtomicU64::new(0),
            read: Arc::new(Progress::default()),
            cancel: ctx.cancel.clone(),
            memory,
        }
    }

    /// Seconds since the query started.
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// When it started, as microseconds since the Unix epoch.
    pub fn start_time_us(&self) -> i64 {
        micros_since_epoch(self.start_time)
    }

    /// Whether it was cancelled (KILL QUERY, client cancel or disconnect).
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Cancels the query: its output ends with `QUERY_WAS_CANCELLED`.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// The token cancelled when the query must stop.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Adds a statement's own counters (rows written by INSERT, …) to the query's.
    pub fn absorb(&self, p: &Progress) {
        let add = |to: &AtomicU64, from: &AtomicU64| {
            to.fetch_add(from.load(Ordering::Relaxed), Ordering::Relaxed);
        };
        add(&self.read.read_rows, &p.read_rows);
        add(&self.read.read_bytes, &p.read_bytes);
        add(&self.read.written_rows, &p.written_rows);
        add(&self.read.written_bytes, &p.written_bytes);
    }

    /// Counters: (read rows, read bytes, written rows, written bytes).
    pub fn counters(&self) -> (u64, u64, u64, u64) {
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let p = &self.read;
        (
            load(&p.read_rows),
            load(&p.read_bytes),
            load(&p.written_rows),
            load(&p.written_bytes),
        )
    }
}

/// Microseconds since the Unix epoch (0 before it).
pub(crate) fn micros_since_epoch(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// The running queries of an engine, and its query log.
#[derive(Debug, Default)]
pub struct ProcessList {
    entries: Mutex<Vec<Arc<QueryStatus>>>,
    max_concurrent_queries: AtomicU64,
    /// `system.query_log`.
    pub log: QueryLog,
    /// `system.events` (the query counters).
    pub events: ProfileEvents,
    /// `system.errors`.
    pub errors: ErrorCounts,
}

impl ProcessList {
    /// An empty list without a concurrency limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the server's `max_concurrent_queries` (0: no limit).
    pub fn set_max_concurrent_queries(&self, n: u64) {
        self.max_concurrent_queries.store(n, Ordering::Relaxed);
    }

    /// Adds a query. `exempt` queries (`KILL QUERY`) pass the concurrency limit, as in
    /// ClickHouse, so a full server can still be relieved.
    pub fn register(
        self: &Arc<Self>,
        status: Arc<QueryStatus>,
        exempt: bool,
    ) -> Result<ProcessHandle> {
        let mut entries = self.entries.lock();
        let max = self.max_concurrent_queries.load(Ordering::Relaxed);
        if !exempt && max > 0 && entries.len() as u64 >= max {
            let e = Error::new(
                ErrorCode::TOO_MANY_SIMULTANEOUS_QUERIES,
                format!("Too many simultaneous queries. Maximum: {max}"),
            );
            self.events.failed_query(&status.query_kind);
            self.errors.record(&e, &status.query_id);
            return Err(e);
        }
        entries.push(Arc::clone(&status));
        Ok(ProcessHandle {
            list: Arc::clone(self),
            status,
            done: AtomicBool::new(false),
            log_queries: AtomicBool::new(true),
        })
    }

    /// The running queries, oldest first.
    pub fn snapshot(&self) -> Vec<Arc<QueryStatus>> {
        self.entries.lock().clone()
    }

    /// The running query with this id.
    pub fn find(&self, query_id: &str) -> Option<Arc<QueryStatus>> {
        self.entries
            .lock()
            .iter()
            .find(|e| e.query_id == query_id)
            .cloned()
    }

    fn remove(&self, status: &Arc<QueryStatus>) {
        self.entries.lock().retain(|e| !Arc::ptr_eq(e, status));
    }
}

/// A registered query: leaves the process list (and logs its end) when finished or
/// dropped.
#[derive(Debug)]
pub struct ProcessHandle {
    list: Arc<ProcessList>,
    status: Arc<QueryStatus>,
    done: AtomicBool,
    log_queries: AtomicBool,
}

impl ProcessHandle {
    /// The query's status.
    pub fn status(&self) -> &Arc<QueryStatus> {
        &self.status
    }

    /// `log_queries = 0`: nothing goes to `system.query_log`.
    pub fn set_log_queries(&self, on: bool) {
        self.log_queries.store(on, Ordering::Relaxed);
    }

    /// Writes the `QueryStart` row.
    pub fn log_start(&self) {
        if self.log_queries.load(Ordering::Relaxed) {
            self.list
                .log
                .push(&self.status, QueryLogType::QueryStart, None);
        }
    }

    /// Ends the query: `QueryFinish`, or `ExceptionWhileProcessing` with `error`. Only the
    /// first call counts.
    pub fn finish(&self, error: Option<&Error>) {
        if self.done.swap(true, Ordering::AcqRel) {
            return;
        }
        self.list.remove(&self.status);
        self.list.events.query_ended(&self.status, error.is_some());
        if let Some(e) = error {
            self.list.errors.record(e, &self.status.query_id);
        }
        if self.log_queries.load(Ordering::Relaxed) {
            let kind = if error.is_some() {
                QueryLogType::ExceptionWhileProcessing
            } else {
                QueryLogType::QueryFinish
            };
            self.list.log.push(&self.status, kind, error);
        }
    }

    /// Ends a query that failed before it started (planning errors): only an
    /// `ExceptionBeforeStart` row.
    pub fn fail_before_start(&self, error: &Error) {
        if self.done.swap(true, Ordering::AcqRel) {
            return;
        }
        self.list.remove(&self.status);
        self.list.events.query_ended(&self.status, true);
        self.list.errors.record(error, &self.status.query_id);
        if self.log_queries.load(Ordering::Relaxed) {
            self.list.log.push(
                &self.status,
                QueryLogType::ExceptionBeforeStart,
                Some(error),
            );
        }
    }
}

impl Drop for ProcessHandle {
    fn drop(&mut self) {
        // Output dropped before its end: the client went away or cancelled.
        self.finish(Some(&cancelled_error()));
    }
}

/// ClickHouse's error for a cancelled query.
pub fn cancelled_error() -> Error {
    Error::new(ErrorCode::QUERY_WAS_CANCELLED, "Query was cancelled")
}

/// ClickHouse's `query_kind` of a statement.
pub fn query_kind(stmt: &sluice_sql::Statement) -> &'static str {
    use sluice_sql::Statement as S;
    match stmt {
        S::Query(_) => "Select",
        S::Show(_) | S::Exists(_) => "Show",
        S::Describe(_) => "Describe",
        S::Explain(_) => "Explain",
        S::Insert(_) => "Insert",
        S::CreateTable(_)
        | S::CreateDatabase(_)
        | S::CreateView(_)
        | S::CreateMaterializedView(_)
        | S::Attach(_) => "Create",
        S::Drop(_) | S::Detach(_) | S::Truncate { .. } => "Drop",
        S::Rename { .. } | S::Exchange { .. } => "Rename",
        S::Alter(_) => "Alter",
        S::Delete { .. } => "Delete",
        S::Optimize(_) => "Optimize",
        S::System(_) => "System",
        S::Use { .. } => "Use",
        S::Set(_) => "Set",
        S::Kill(_) => "KillQuery",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(id: &str) -> Arc<QueryStatus> {
        let ctx = QueryContext {
            query_id: id.to_string(),
            client: QueryClient::default(),
            cancel: CancellationToken::new(),
        };
        Arc::new(QueryStatus::new(
            &ctx,
            "default",
            "SELECT 1",
            "Select",
            "default",
            Arc::new(QueryMemoryPool::default()),
        ))
    }

    #[test]
    fn limit_registration_and_exempt_queries() {
        let list = Arc::new(ProcessList::new());
        list.set_max_concurrent_queries(1);
        let first = list.register(status("a"), false).expect("first");
        let refused = list.register(status("b"), false).expect_err("second");
        assert_eq!(refused.code, ErrorCode::TOO_MANY_SIMULTANEOUS_QUERIES);
        assert_eq!(refused.message, "Too many simultaneous queries. Maximum: 1");
        // KILL passes the limit.
        let kill = list.register(status("k"), true).expect("exempt");
        assert_eq!(list.snapshot().len(), 2);
        drop(kill);
        first.finish(None);
        assert!(list.snapshot().is_empty());
        assert!(list.register(status("c"), false).is_ok());
    }

    #[test]
    fn the_end_is_logged_once_and_a_dropped_query_was_cancelled() {
        let list = Arc::new(ProcessList::new());
        let done = list.register(status("done"), false).expect("register");
        done.log_start();
        done.finish(None);
        done.finish(Some(&cancelled_error()));
        drop(done);
        let dropped = list.register(status("dropped"), false).expect("register");
        dropped.log_start();
        drop(dropped);
        let failed = list.register(status("failed"), false).expect("register");
        failed.fail_before_start(&Error::new(ErrorCode::UNKNOWN_TABLE, "no"));
        let rows: Vec<(String, &str, i32)> = list
            .log
            .rows()
            .iter()
            .map(|r| (r.status.query_id.clone(), r.kind.name(), r.exception_code))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("done".to_string(), "QueryStart", 0),
                ("done".to_string(), "QueryFinish", 0),
                ("dropped".to_string(), "QueryStart", 0),
                ("dropped".to_string(), "ExceptionWhileProcessing", 394),
                ("failed".to_string(), "ExceptionBeforeStart", 60),
            ]
        );
        assert!(list.snapshot().is_empty());
    }

    #[test]
    fn cancel_reaches_the_token() {
        let list = Arc::new(ProcessList::new());
        let h = list.register(status("x"), false).expect("register");
        let found = list.find("x").expect("running");
        assert!(!found.is_cancelled());
        found.cancel();
        assert!(h.status().is_cancelled());
        assert!(h.status().cancel_token().is_cancelled());
    }
}
