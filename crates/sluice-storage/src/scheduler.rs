//! Background merges: a shared pool of threads visits the open tables; for each it picks,
//! in the spirit of ClickHouse's
//! `SimpleMergeSelector`, a run of adjacent parts of one partition whose largest part is
//! no bigger than the rest together (so each merge at least halves write amplification),
//! preferring longer runs and then smaller total size. Inserts never wait for it.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use sluice_common::Result;

use crate::part::Part;
use crate::settings::MergeTreeSettings;
use crate::table::{MergeTreeTable, State};

/// Adjacent runs of mergeable parts per partition (no part being merged, no block number
/// still being written in between, and — as ClickHouse — no unfinished mutation between
/// their data versions: a part it has rewritten never merges with one it has not).
pub(crate) fn candidate_runs(st: &State) -> Vec<Vec<Arc<Part>>> {
    let pending: Vec<i64> = st
        .mutations
        .iter()
        .filter(|m| !m.is_done)
        .filter_map(|m| m.block_numbers_number.first().copied())
        .collect();
    let mut runs: Vec<Vec<Arc<Part>>> = Vec::new();
    let mut current: Vec<Arc<Part>> = Vec::new();
    for p in st.active.values() {
        let breaks = match current.last() {
            None => false,
            Some(last) => {
                last.name.partition_id != p.name.partition_id
                    || st
                        .in_flight_blocks
                        .range(last.name.max_block + 1..p.name.min_block)
                        .next()
                        .is_some()
                    || pending
                        .iter()
                        .any(|&v| (last.name.data_version() < v) != (p.name.data_version() < v))
            }
        };
        if breaks || st.merging.contains(&p.name) {
            if current.len() > 1 {
                runs.push(std::mem::take(&mut current));
            } else {
                current.clear();
            }
        }
        if !st.merging.contains(&p.name) {
            current.push(Arc::clone(p));
        }
    }
    if current.len() > 1 {
        runs.push(current);
    }
    runs
}

/// Chooses the parts of the next background merge.
pub(crate) fn select_merge(st: &State, settings: &MergeTreeSettings) -> Option<Vec<Arc<Part>>> {
    let max_parts = settings.max_parts_to_merge_at_once.max(2) as usize;
    let max_bytes = settings.max_bytes_to_merge_at_max_space_in_pool;
    let mut best: Option<(usize, u64, Vec<Arc<Part>>)> = None;
    for run in candidate_runs(st) {
        for start in 0..run.len() {
            let mut total = 0u64;
            let mut largest = 0u64;
            for end in start..run.len().min(start + max_parts) {
                let size = run[end].bytes().max(1);
                total += size;
                largest = largest.max(size);
                if total > max_bytes {
                    break;
                }
                let len = end - start + 1;
                if len < 2 || largest > total - largest {
                    continue;
                }
                let better = match &best {
                    None => true,
                    Some((bl, bt, _)) => len > *bl || (len == *bl && total < *bt),
                };
                if better {
                    best = Some((len, total, run[start..=end].to_vec()));
                }
            }
        }
    }
    best.map(|(_, _, parts)| parts)
}

/// The shared pool of merge threads: every open table registers here; a few threads
/// (half the cores, at least 2) take turns over the tables.
struct Pool {
    tables: Mutex<Vec<Weak<MergeTreeTable>>>,
    wake: (Mutex<bool>, Condvar),
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get() / 2)
            .unwrap_or(1)
            .max(2);
        for i in 0..threads {
            let spawned = std::thread::Builder::new()
                .name(format!("sluice-merge-{i}"))
                .spawn(worker);
            if let Err(e) = spawned {
                tracing::error!("cannot start merge thread {i}: {e:#}");
            }
        }
        Pool {
            tables: Mutex::new(Vec::new()),
            wake: (Mutex::new(false), Condvar::new()),
        }
    })
}

/// Runs one background merge for `t` when one is due; true when it merged.
fn merge_once(t: &MergeTreeTable) -> bool {
    if t.shutdown_flag.load(Ordering::SeqCst) {
        return false;
    }
    let Some(_ops) = t.ops_lock.try_lock() else {
        return false;
    };
    let settings = t.spec.read().settings.clone();
    let parts = {
        let mut st = t.state.write();
        t.cleanup_outdated(&mut st);
        if t.merges_stopped.load(Ordering::SeqCst) {
            None
        } else {
            select_merge(&st, &settings)
        }
    };
    let Some(parts) = parts else {
        return false;
    };
    match t.merge_parts(parts, Default::default()) {
        Ok(done) => done,
        Err(e) => {
            tracing::error!(
                "background merge in {} failed: {}",
                t.dir.display(),
                e.to_clickhouse_string()
            );
            false
        }
    }
}

fn worker() {
    let pool = pool();
    let mut cursor = 0usize;
    loop {
        // Round-robin over live tables; one merge per visit keeps tables fair.
        let tables: Vec<Arc<MergeTreeTable>> = {
            let mut list = pool.tables.lock();
            list.retain(|w| w.strong_count() > 0);
            list.iter().filter_map(Weak::upgrade).collect()
        };
        let mut merged = false;
        for i in 0..tables.len() {
            let t = &tables[(cursor + i) % tables.len()];
            if merge_once(t) {
                merged = true;
                cursor = (cursor + i + 1) % tables.len().max(1);
                break;
            }
        }
        drop(tables);
        if merged {
            continue;
        }
        let (lock, cv) = &pool.wake;
        let mut woken = lock.lock();
        if !*woken {
            cv.wait_for(&mut woken, Duration::from_millis(500));
        }
        *woken = false;
    }
}

/// Wakes the merge threads (after inserts).
pub(crate) fn wake() {
    let (lock, cv) = &pool().wake;
    *lock.lock() = true;
    cv.notify_all();
}

/// Registers `table` with the merge pool.
pub(crate) fn start(table: &Arc<MergeTreeTable>) -> Result<()> {
    pool().tables.lock().push(Arc::downgrade(table));
    wake();
    Ok(())
}
