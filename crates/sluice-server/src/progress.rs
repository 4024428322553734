//! Query progress: counters the engine updates while a query runs, and the snapshots the
//! servers send (native Progress packets, `X-ClickHouse-Progress` / `X-ClickHouse-Summary`).

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one query, shared between the engine (writer) and the server (reader).
#[derive(Debug, Default)]
pub struct ProgressCounters {
    /// Rows read from tables.
    pub read_rows: AtomicU64,
    /// Uncompressed bytes read from tables.
    pub read_bytes: AtomicU64,
    /// Estimate of rows to read in total (0 = unknown).
    pub total_rows_to_read: AtomicU64,
    /// Estimate of bytes to read in total (0 = unknown).
    pub total_bytes_to_read: AtomicU64,
    /// Rows written by INSERT.
    pub written_rows: AtomicU64,
    /// Bytes written by INSERT.
    pub written_bytes: AtomicU64,
}

impl ProgressCounters {
    /// Adds to the read counters.
    pub fn add_read(&self, rows: u64, bytes: u64) {
        self.read_rows.fetch_add(rows, Ordering::Relaxed);
        self.read_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Adds to the written counters.
    pub fn add_written(&self, rows: u64, bytes: u64) {
        self.written_rows.fetch_add(rows, Ordering::Relaxed);
        self.written_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Current values.
    pub fn snapshot(&self) -> ProgressValues {
        ProgressValues {
            read_rows: self.read_rows.load(Ordering::Relaxed),
            read_bytes: self.read_bytes.load(Ordering::Relaxed),
            total_rows_to_read: self.total_rows_to_read.load(Ordering::Relaxed),
            total_bytes_to_read: self.total_bytes_to_read.load(Ordering::Relaxed),
            written_rows: self.written_rows.load(Ordering::Relaxed),
            written_bytes: self.written_bytes.load(Ordering::Relaxed),
        }
    }
}

/// A point-in-time copy of [`ProgressCounters`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgressValues {
    /// Rows read.
    pub read_rows: u64,
    /// Bytes read.
    pub read_bytes: u64,
    /// Total rows to read (estimate).
    pub total_rows_to_read: u64,
    /// Total bytes to read (estimate).
    pub total_bytes_to_read: u64,
    /// Rows written.
    pub written_rows: u64,
    /// Bytes written.
    pub written_bytes: u64,
}

impl ProgressValues {
    /// `self - earlier`, field by field (native Progress packets carry increments).
    pub fn delta_since(&self, earlier: &ProgressValues) -> ProgressValues {
        ProgressValues {
            read_rows: self.read_rows.saturating_sub(earlier.read_rows),
            read_bytes: self.read_bytes.saturating_sub(earlier.read_bytes),
            total_rows_to_read: self
                .total_rows_to_read
                .saturating_sub(earlier.total_rows_to_read),
            total_bytes_to_read: self
                .total_bytes_to_read
                .saturating_sub(earlier.total_bytes_to_read),
            written_rows: self.written_rows.saturating_sub(earlier.written_rows),
            written_bytes: self.written_bytes.saturating_sub(earlier.written_bytes),
        }
    }

    /// True when nothing changed.
    pub fn is_zero(&self) -> bool {
        *self == ProgressValues::default()
    }
}

/// The JSON of `X-ClickHouse-Summary` / `X-ClickHouse-Progress`: numbers as strings, in
/// ClickHouse's key order (`ProgressValues::writeJSON`).
pub fn summary_json(
    values: &ProgressValues,
    result_rows: u64,
    result_bytes: u64,
    elapsed_ns: u64,
) -> String {
    format!(
        "{{\"read_rows\":\"{}\",\"read_bytes\":\"{}\",\"written_rows\":\"{}\",\"written_bytes\":\"{}\",\
         \"total_rows_to_read\":\"{}\",\"result_rows\":\"{}\",\"result_bytes\":\"{}\",\"elapsed_ns\":\"{}\"}}",
        values.read_rows,
        values.read_bytes,
        values.written_rows,
        values.written_bytes,
        values.total_rows_to_read,
        result_rows,
        result_bytes,
        elapsed_ns
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_and_summary() {
        let c = ProgressCounters::default();
        c.add_read(10, 80);
        let a = c.snapshot();
        c.add_read(5, 40);
        c.add_written(2, 16);
        let b = c.snapshot();
        let d = b.delta_since(&a);
        assert_eq!(d.read_rows, 5);
        assert_eq!(d.read_bytes, 40);
        assert_eq!(d.written_rows, 2);
        assert!(!d.is_zero());
        assert!(b.delta_since(&b).is_zero());
        assert_eq!(
            summary_json(&b, 3, 24, 662334),
            "{\"read_rows\":\"15\",\"read_bytes\":\"120\",\"written_rows\":\"2\",\"written_bytes\":\"16\",\
             \"total_rows_to_read\":\"0\",\"result_rows\":\"3\",\"result_bytes\":\"24\",\"elapsed_ns\":\"662334\"}"
        );
    }
}
