//! [`QueryMemoryPool`]: the DataFusion memory pool of one query. It counts what the
//! query's operators reserve (hash tables, sort buffers, join builds — DataFusion's
//! memory accounting, not every allocation), which `system.processes` and
//! `system.query_log` show as `memory_usage`, and enforces `max_memory_usage`
//! (`MEMORY_LIMIT_EXCEEDED`, 241) with ClickHouse's message.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};

use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::{MemoryLimit, MemoryPool, MemoryReservation};
use sluice_common::{Error, ErrorCode};

use crate::processes::QueryStatus;

/// Memory reserved by one query, with an optional limit.
#[derive(Debug, Default)]
pub struct QueryMemoryPool {
    used: AtomicUsize,
    peak: AtomicUsize,
    /// `max_memory_usage` in bytes; 0: no limit.
    limit: usize,
}

impl QueryMemoryPool {
    /// A pool refusing to grow past `limit` bytes (0: unlimited).
    pub fn new(limit: u64) -> Self {
        Self {
            used: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        }
    }

    /// Bytes reserved now.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed) as u64
    }

    /// The most bytes reserved at once.
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed) as u64
    }

    fn add(&self, n: usize) {
        let now = self.used.fetch_add(n, Ordering::Relaxed).saturating_add(n);
        self.peak.fetch_max(now, Ordering::Relaxed);
    }
}

impl std::fmt::Display for QueryMemoryPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "QueryMemoryPool(used: {}, limit: {})",
            self.used(),
            self.limit
        )
    }
}

impl MemoryPool for QueryMemoryPool {
    fn name(&self) -> &str {
        "QueryMemoryPool"
    }

    fn grow(&self, _reservation: &MemoryReservation, additional: usize) {
        self.add(additional);
    }

    fn shrink(&self, _reservation: &MemoryReservation, shrink: usize) {
        // Never below zero, even if a consumer shrinks more than it grew.
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(shrink))
            });
    }

    fn try_grow(
        &self,
        _reservation: &MemoryReservation,
        additional: usize,
    ) -> datafusion::error::Result<()> {
        if self.limit == 0 {
            self.add(additional);
            return Ok(());
        }
        let limit = self.limit;
        let grown = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                let next = u.saturating_add(additional);
                (next <= limit).then_some(next)
            });
        match grown {
            Ok(before) => {
                self.peak
                    .fetch_max(before.saturating_add(additional), Ordering::Relaxed);
                Ok(())
            }
            Err(before) => Err(DataFusionError::External(Box::new(Error::new(
                ErrorCode::MEMORY_LIMIT_EXCEEDED,
                format!(
                    "Query memory limit exceeded: would use {} (attempt to allocate chunk of {}), maximum: {}",
                    readable_size(before.saturating_add(additional) as u64),
                    readable_size(additional as u64),
                    readable_size(limit as u64)
                ),
            )))),
        }
    }

    fn reserved(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    fn memory_limit(&self) -> MemoryLimit {
        if self.limit == 0 {
            MemoryLimit::Infinite
        } else {
            MemoryLimit::Finite(self.limit)
        }
    }
}

/// A runtime whose memory pool is `query`'s, the rest of `base` shared (disk manager,
/// caches, object stores); `None` (the shared runtime) if it cannot be built.
pub(crate) fn query_runtime(
    base: &Arc<RuntimeEnv>,
    query: &Arc<QueryStatus>,
) -> Option<Arc<RuntimeEnv>> {
    let pool: Arc<dyn MemoryPool> = Arc::clone(&query.memory) as Arc<dyn MemoryPool>;
    match RuntimeEnvBuilder::from_runtime_env(base)
        .with_memory_pool(pool)
        .build_arc()
    {
        Ok(env) => Some(env),
        // Keep the shared runtime: the query then runs without its own accounting.
        Err(e) => {
            tracing::warn!("query memory pool: {e:#}");
            None
        }
    }
}

/// ClickHouse's `formatReadableSize`: binary units, two decimals (`9.54 MiB`).
pub fn readable_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v.abs() >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.2} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected texts from the oracle: `SELECT formatReadableSize(x)`.
    #[test]
    fn readable_sizes() {
        assert_eq!(readable_size(10_000_000), "9.54 MiB");
        assert_eq!(readable_size(8 * 1024 * 1024), "8.00 MiB");
        assert_eq!(readable_size(0), "0.00 B");
        assert_eq!(readable_size(1023), "1023.00 B");
        assert_eq!(readable_size(1536), "1.50 KiB");
    }
}
