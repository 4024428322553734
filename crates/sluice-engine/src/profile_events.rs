//! Server-wide query counters: ClickHouse's profile events about queries
//! (`system.events`) and the count of each error code (`system.errors`).
//!
//! Every query that ends through the process list is counted once: `Query` and its
//! `Select`/`Insert` variants when the statement was interpreted, `Failed*` when it ended
//! with an error, the time it took, and the rows and bytes it read and wrote. Statements
//! that fail before they parse count only as failed queries and as errors, as in ClickHouse.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use parking_lot::Mutex;
use sluice_common::Error;

use crate::processes::QueryStatus;

/// One counter of `system.events`: its name, description (ClickHouse's text) and value.
#[derive(Debug)]
struct Counter {
    name: &'static str,
    description: &'static str,
    value: AtomicU64,
}

impl Counter {
    const fn new(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            description,
            value: AtomicU64::new(0),
        }
    }

    fn add(&self, v: u64) {
        self.value.fetch_add(v, Ordering::Relaxed);
    }
}

/// The counters, in ClickHouse's order of `system.events`.
#[derive(Debug)]
pub struct ProfileEvents {
    query: Counter,
    select_query: Counter,
    insert_query: Counter,
    initial_query: Counter,
    initial_select_query: Counter,
    failed_initial_query: Counter,
    failed_initial_select_query: Counter,
    failed_query: Counter,
    failed_select_query: Counter,
    failed_insert_query: Counter,
    query_time: Counter,
    select_query_time: Counter,
    insert_query_time: Counter,
    other_query_time: Counter,
    inserted_rows: Counter,
    inserted_bytes: Counter,
    selected_rows: Counter,
    selected_bytes: Counter,
}

impl Default for ProfileEvents {
    fn default() -> Self {
        Self {
            query: Counter::new(
                "Query",
                "Number of queries to be interpreted and potentially executed. Does not include \
                 queries that failed to parse or were rejected due to AST size limits, quota \
                 limits or limits on the number of simultaneously running queries. May include \
                 internal queries initiated by ClickHouse itself. Does not count subqueries.",
            ),
            select_query: Counter::new(
                "SelectQuery",
                "Same as Query, but only for SELECT queries.",
            ),
            insert_query: Counter::new(
                "InsertQuery",
                "Same as Query, but only for INSERT queries.",
            ),
            initial_query: Counter::new(
                "InitialQuery",
                "Same as Query, but only counts initial queries (see is_initial_query).",
            ),
            initial_select_query: Counter::new(
                "InitialSelectQuery",
                "Same as InitialQuery, but only for SELECT queries.",
            ),
            failed_initial_query: Counter::new(
                "FailedInitialQuery",
                "Number of failed initial queries.",
            ),
            failed_initial_select_query: Counter::new(
                "FailedInitialSelectQuery",
                "Same as FailedInitialQuery, but only for SELECT queries.",
            ),
            failed_query: Counter::new(
                "FailedQuery",
                "Number of total failed queries, both internal and user queries.",
            ),
            failed_select_query: Counter::new(
                "FailedSelectQuery",
                "Same as FailedQuery, but only for SELECT queries.",
            ),
            failed_insert_query: Counter::new(
                "FailedInsertQuery",
                "Same as FailedQuery, but only for INSERT queries.",
            ),
            query_time: Counter::new("QueryTimeMicroseconds", "Total time of all queries."),
            select_query_time: Counter::new(
                "SelectQueryTimeMicroseconds",
                "Total time of SELECT queries.",
            ),
            insert_query_time: Counter::new(
                "InsertQueryTimeMicroseconds",
                "Total time of INSERT queries.",
            ),
            other_query_time: Counter::new(
                "OtherQueryTimeMicroseconds",
                "Total time of queries that are not SELECT or INSERT.",
            ),
            inserted_rows: Counter::new("InsertedRows", "Number of rows INSERTed to all tables."),
            inserted_bytes: Counter::new(
                "InsertedBytes",
                "Number of bytes (uncompressed; for columns as they stored in memory) INSERTed \
                 to all tables.",
            ),
            selected_rows: Counter::new("SelectedRows", "Number of rows SELECTed from all tables."),
            selected_bytes: Counter::new(
                "SelectedBytes",
                "Number of bytes (uncompressed; for columns as they stored in memory) SELECTed \
                 from all tables.",
            ),
        }
    }
}

impl ProfileEvents {
    fn all(&self) -> [&Counter; 18] {
        [
            &self.query,
            &self.select_query,
            &self.insert_query,
            &self.initial_query,
            &self.initial_select_query,
            &self.failed_initial_query,
            &self.failed_initial_select_query,
            &self.failed_query,
            &self.failed_select_query,
            &self.failed_insert_query,
            &self.query_time,
            &self.select_query_time,
            &self.insert_query_time,
            &self.other_query_time,
            &self.inserted_rows,
            &self.inserted_bytes,
            &self.selected_rows,
            &self.selected_bytes,
        ]
    }

    /// `(event, value, description)` of every counter above zero, as `system.events` lists
    /// them.
    pub fn snapshot(&self) -> Vec<(&'static str, u64, &'static str)> {
        self.all()
            .iter()
            .map(|c| (c.name, c.value.load(Ordering::Relaxed), c.description))
            .filter(|(_, v, _)| *v > 0)
            .collect()
    }

    /// Counts a query that ran (`failed`: it ended with an error).
    pub fn query_ended(&self, status: &QueryStatus, failed: bool) {
        let kind = status.query_kind.as_str();
        let (select, insert) = (kind == "Select", kind == "Insert");
        self.query.add(1);
        self.initial_query.add(1);
        if select {
            self.select_query.add(1);
            self.initial_select_query.add(1);
        }
        if insert {
            self.insert_query.add(1);
        }
        if failed {
            self.failed_query(kind);
        }
        let micros = (status.elapsed() * 1e6) as u64;
        self.query_time.add(micros);
        match (select, insert) {
            (true, _) => self.select_query_time.add(micros),
            (_, true) => self.insert_query_time.add(micros),
            _ => self.other_query_time.add(micros),
        }
        let (read_rows, read_bytes, written_rows, written_bytes) = status.counters();
        self.selected_rows.add(read_rows);
        self.selected_bytes.add(read_bytes);
        self.inserted_rows.add(written_rows);
        self.inserted_bytes.add(written_bytes);
    }

    /// Counts a query that failed before it could be interpreted (`kind` empty when it did
    /// not parse).
    pub fn failed_query(&self, kind: &str) {
        self.failed_query.add(1);
        self.failed_initial_query.add(1);
        match kind {
            "Select" => {
                self.failed_select_query.add(1);
                self.failed_initial_select_query.add(1);
            }
            "Insert" => self.failed_insert_query.add(1),
            _ => {}
        }
    }
}

/// The last occurrence and the count of one error code.
#[derive(Clone, Debug)]
pub struct ErrorStat {
    /// How many times it happened.
    pub count: u64,
    /// Seconds since the epoch of the last time.
    pub last_time: i64,
    /// The last message.
    pub last_message: String,
    /// The query that raised it last.
    pub last_query_id: String,
}

/// `system.errors`: occurrences per error code.
#[derive(Debug, Default)]
pub struct ErrorCounts {
    by_code: Mutex<BTreeMap<i32, ErrorStat>>,
}

impl ErrorCounts {
    /// Counts `error`, raised by query `query_id`.
    pub fn record(&self, error: &Error, query_id: &str) {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut by_code = self.by_code.lock();
        let e = by_code.entry(error.code.0).or_insert_with(|| ErrorStat {
            count: 0,
            last_time: 0,
            last_message: String::new(),
            last_query_id: String::new(),
        });
        e.count += 1;
        e.last_time = now;
        e.last_message = error.message.clone();
        e.last_query_id = query_id.to_string();
    }

    /// `(code, stat)` pairs in code order.
    pub fn snapshot(&self) -> Vec<(i32, ErrorStat)> {
        self.by_code
            .lock()
            .iter()
            .map(|(c, s)| (*c, s.clone()))
            .collect()
    }
}
