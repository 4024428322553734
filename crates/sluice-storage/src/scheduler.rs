//! Background merges: one thread per table picks, in the spirit of ClickHouse's
//! `SimpleMergeSelector`, a run of adjacent parts of one partition whose largest part is
//! no bigger than the rest together (so each merge at least halves write amplification),
//! preferring longer runs and then smaller total size. Inserts never wait for it.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use sluice_common::{Error, Result};

use crate::part::Part;
use crate::settings::MergeTreeSettings;
use crate::table::{MergeTreeTable, State};

/// Adjacent runs of mergeable parts per partition (no part being merged, no block number
/// still being written in between).
pub(crate) fn candidate_runs(st: &State) -> Vec<Vec<Arc<Part>>> {
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

fn worker(table: Weak<MergeTreeTable>) {
    loop {
        let Some(t) = table.upgrade() else {
            return;
        };
        if t.shutdown_flag.load(Ordering::SeqCst) {
            return;
        }
        let Some(ops) = t.ops_lock.try_lock() else {
            drop(t);
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let picked = {
            let _ops = ops;
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
            match parts {
                Some(parts) => {
                    if let Err(e) = t.merge_parts(parts, Default::default()) {
                        tracing::error!(
                            "background merge in {} failed: {}",
                            t.dir.display(),
                            e.to_clickhouse_string()
                        );
                        false
                    } else {
                        true
                    }
                }
                None => false,
            }
        };
        if picked {
            continue;
        }
        let (lock, cv) = &t.wake;
        let mut woken = lock.lock();
        if !*woken {
            cv.wait_for(&mut woken, Duration::from_millis(500));
        }
        *woken = false;
    }
}

/// Starts the merge thread of `table`.
pub(crate) fn start(table: &Arc<MergeTreeTable>) -> Result<()> {
    let weak = Arc::downgrade(table);
    let handle = std::thread::Builder::new()
        .name("sluice-merge".into())
        .spawn(move || worker(weak))
        .map_err(|e| Error::internal(format!("cannot start the merge thread: {e}")))?;
    *table.worker.lock() = Some(handle);
    Ok(())
}
