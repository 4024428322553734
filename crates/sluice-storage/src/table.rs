//! [`MergeTreeTable`]: one MergeTree table on disk — its state (active and outdated parts,
//! block counter, deduplication window, mutations) and the entry points the engine calls.
//! Inserts live in `insert.rs`, merges in `merge_task.rs`/`scheduler.rs`, partition
//! operations in `ops.rs`, mutations in `mutation.rs`, reads in `provider.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use datafusion::arrow::datatypes::SchemaRef;
use parking_lot::{Mutex, RwLock};
use sluice_common::Result;

use crate::block_counter::BlockCounter;
use crate::dedup::DedupWindow;
use crate::expr::StateMerger;
use crate::fsutil::write_atomic;
use crate::info::{DetachedPartInfo, MergeInfo, MutationInfo, PartInfo};
use crate::part::Part;
use crate::part_name::PartName;
use crate::recovery;
use crate::settings::MergeTreeSettings;
use crate::source::SourceKey;
use crate::spec::TableSpec;

const OFFSETS_FLOOR_FILE: &str = "source_offsets.json";

/// Mutable state of a table, behind one lock held only briefly.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) active: BTreeMap<PartName, Arc<Part>>,
    pub(crate) outdated: Vec<(Arc<Part>, Instant, i64)>,
    pub(crate) in_flight_blocks: BTreeSet<i64>,
    pub(crate) merging: HashSet<PartName>,
    pub(crate) dedup: DedupWindow,
    pub(crate) mutations: Vec<MutationInfo>,
    /// Block number of the mutation running now, if any.
    pub(crate) running_mutation: Option<i64>,
    pub(crate) merges: Vec<(Instant, MergeInfo)>,
    /// Old column name → new name, for parts written before a `RENAME COLUMN`.
    pub(crate) renames: HashMap<String, String>,
    /// `DEFAULT` expressions for columns older parts lack.
    pub(crate) column_defaults: crate::part_io::ColumnDefaults,
    /// `CODEC(...)` of columns, applied to parts written from now on.
    pub(crate) column_codecs: Vec<(String, Vec<String>)>,
}

/// A MergeTree table stored as Parquet parts under one directory.
#[derive(Debug)]
pub struct MergeTreeTable {
    pub(crate) dir: PathBuf,
    pub(crate) spec: RwLock<TableSpec>,
    pub(crate) state: RwLock<State>,
    pub(crate) blocks: Mutex<BlockCounter>,
    /// Serialises merges, mutations, OPTIMIZE, partition operations and ALTER.
    pub(crate) ops_lock: Mutex<()>,
    pub(crate) merger: RwLock<Option<Arc<dyn StateMerger>>>,
    pub(crate) shutdown_flag: AtomicBool,
    pub(crate) merges_stopped: AtomicBool,
    pub(crate) offsets_floor: Mutex<BTreeMap<SourceKey, i64>>,
    pub(crate) display_name: RwLock<String>,
}

impl MergeTreeTable {
    /// Opens (creating if missing) the table directory: removes `tmp_*` leftovers, drops
    /// parts covered by a merged part, moves parts whose checksum does not match to
    /// `detached/` (logging an error), loads the `mutation_<N>.txt` entries (unfinished
    /// ones wait for [`MergeTreeTable::resume_mutation`]), and starts the background merge
    /// thread.
    pub fn open(dir: PathBuf, spec: TableSpec) -> Result<Arc<Self>> {
        spec.validate()?;
        let loaded = recovery::recover(&dir)?;
        let window = spec.settings.non_replicated_deduplication_window as usize;
        let ids = loaded
            .parts
            .iter()
            .flat_map(|p| p.manifest.block_ids.iter().cloned())
            .collect();
        let mut state = State {
            dedup: DedupWindow::rebuild(ids, window),
            ..State::default()
        };
        for p in loaded.parts {
            state.active.insert(p.name.clone(), p);
        }
        // `mutation_<N>.txt` entries: done when no active part is older than the mutation.
        let entries = crate::mutation_file::load_all(&dir)?;
        let mut max_block = loaded.max_block;
        for e in &entries {
            max_block = max_block.max(e.version);
            let mut info = crate::mutation::pending_info(e);
            info.parts_to_do_names = state
                .active
                .values()
                .filter(|p| p.name.data_version() < e.version && !p.manifest.drop_marker)
                .map(|p| p.name.to_string())
                .collect();
            info.parts_to_do = info.parts_to_do_names.len() as i64;
            info.is_done = info.parts_to_do == 0;
            state.mutations.push(info);
        }
        if let Ok(bytes) = std::fs::read(dir.join(crate::mutation::RENAMES_FILE))
            && let Ok(list) = serde_json::from_slice::<Vec<(String, String)>>(&bytes)
        {
            state.renames = list.into_iter().collect();
        }
        let floor: BTreeMap<SourceKey, i64> = std::fs::read(dir.join(OFFSETS_FLOOR_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<Vec<(SourceKey, i64)>>(&b).ok())
            .map(|v| v.into_iter().collect())
            .unwrap_or_default();
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let table = Arc::new(Self {
            blocks: Mutex::new(BlockCounter::open(max_block)),
            dir,
            spec: RwLock::new(spec),
            state: RwLock::new(state),
            ops_lock: Mutex::new(()),
            merger: RwLock::new(None),
            shutdown_flag: AtomicBool::new(false),
            merges_stopped: AtomicBool::new(false),
            offsets_floor: Mutex::new(floor),
            display_name: RwLock::new(String::new()),
        });
        *table.display_name.write() = name;
        crate::scheduler::start(&table)?;
        Ok(table)
    }

    /// Names the table in error messages (`db.table`, as ClickHouse prints it).
    pub fn set_display_name(&self, name: impl Into<String>) {
        *self.display_name.write() = name.into();
    }

    /// The table directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The current table definition.
    pub fn spec(&self) -> TableSpec {
        self.spec.read().clone()
    }

    /// The stored schema.
    pub fn schema(&self) -> SchemaRef {
        Arc::clone(&self.spec.read().schema)
    }

    /// Installs the merger of `AggregateFunction` states (AggregatingMergeTree). Until one
    /// is set, such columns keep the first row's state at merges.
    pub fn set_state_merger(&self, merger: Arc<dyn StateMerger>) {
        *self.merger.write() = Some(merger);
    }

    /// Sets the `DEFAULT` expressions of columns, used to fill columns that older parts
    /// lack (after `ADD COLUMN … DEFAULT expr`). The engine calls it after `open` and
    /// after each `ALTER`.
    pub fn set_column_defaults(&self, defaults: Vec<(String, Arc<dyn crate::expr::BatchExpr>)>) {
        self.state.write().column_defaults = Arc::new(defaults);
    }

    /// Sets the columns' `CODEC(...)` lists (e.g. `("ts", ["Delta(4)", "ZSTD(3)"])`),
    /// mapped onto Parquet encodings and compression for parts written from now on.
    /// Unknown codecs: `UNKNOWN_CODEC` (432).
    pub fn set_column_codecs(&self, codecs: Vec<(String, Vec<String>)>) -> Result<()> {
        for (_, list) in &codecs {
            crate::codec::validate(list)?;
        }
        self.state.write().column_codecs = codecs;
        Ok(())
    }

    /// Changes MergeTree settings (`ALTER TABLE … MODIFY SETTING`).
    pub fn modify_settings(&self, pairs: &[(String, String)]) -> Result<()> {
        let mut spec = self.spec.write();
        let mut s = spec.settings.clone();
        for (k, v) in pairs {
            s.set(k, v)?;
        }
        spec.settings = s;
        Ok(())
    }

    /// Replaces all MergeTree settings (`ALTER TABLE … RESET SETTING` rebuilds them from
    /// the remaining `SETTINGS` pairs).
    pub fn set_settings(&self, settings: MergeTreeSettings) {
        self.spec.write().settings = settings;
    }

    /// Replaces the TTL expression (`ALTER TABLE … MODIFY TTL`); applied at the next merge.
    pub fn modify_ttl(&self, ttl: Option<Arc<dyn crate::expr::BatchExpr>>) {
        self.spec.write().ttl = ttl;
    }

    /// The active parts, in name order (a snapshot; the files stay while it is held).
    pub fn active_parts(&self) -> Vec<Arc<Part>> {
        self.state.read().active.values().cloned().collect()
    }

    /// `system.parts` rows: active parts and outdated ones not yet removed (the empty parts
    /// DROP PARTITION and TRUNCATE leave to cover removed ones are not shown).
    pub fn parts(&self) -> Vec<PartInfo> {
        let st = self.state.read();
        let mut out: Vec<PartInfo> = st
            .active
            .values()
            .filter(|p| !p.manifest.drop_marker)
            .map(|p| PartInfo::of(p, true, 0))
            .collect();
        out.extend(
            st.outdated
                .iter()
                .filter(|(p, _, _)| !p.manifest.drop_marker)
                .map(|(p, _, t)| PartInfo::of(p, false, *t)),
        );
        out
    }

    /// `system.merges` rows.
    pub fn merges(&self) -> Vec<MergeInfo> {
        self.state
            .read()
            .merges
            .iter()
            .map(|(start, m)| {
                let mut m = m.clone();
                m.elapsed = start.elapsed().as_secs_f64();
                m
            })
            .collect()
    }

    /// `system.mutations` rows.
    pub fn mutations(&self) -> Vec<MutationInfo> {
        self.state.read().mutations.clone()
    }

    /// `system.detached_parts` rows.
    pub fn detached_parts(&self) -> Vec<DetachedPartInfo> {
        recovery::list_detached(&self.dir)
    }

    /// Largest recorded next-offset per (group, topic, partition) over the active parts
    /// (and over parts removed by DROP/TRUNCATE, which never move an offset back).
    pub fn source_offsets(&self) -> BTreeMap<SourceKey, i64> {
        let mut out = self.offsets_floor.lock().clone();
        for p in self.state.read().active.values() {
            for o in &p.manifest.source_offsets {
                let e = out.entry(o.key.clone()).or_insert(o.next_offset);
                *e = (*e).max(o.next_offset);
            }
        }
        out
    }

    /// Rows in active parts.
    pub fn total_rows(&self) -> u64 {
        self.state.read().active.values().map(|p| p.rows()).sum()
    }

    /// Bytes of active parts.
    pub fn total_bytes(&self) -> u64 {
        self.state.read().active.values().map(|p| p.bytes()).sum()
    }

    /// Stops background merges; a running merge finishes its current chunk and is
    /// abandoned cleanly (its temporary directory removed).
    pub fn shutdown(&self) {
        self.shutdown_flag.store(true, Ordering::SeqCst);
        // A running merge holds `ops_lock`; it notices the flag between chunks, removes
        // its temporary part and releases the lock.
        drop(self.ops_lock.lock());
    }

    /// `SYSTEM STOP MERGES`: no new background merges start (OPTIMIZE still merges).
    pub fn stop_merges(&self) {
        self.merges_stopped.store(true, Ordering::SeqCst);
    }

    /// `SYSTEM START MERGES`.
    pub fn start_merges(&self) {
        self.merges_stopped.store(false, Ordering::SeqCst);
        self.wake_merges();
    }

    /// Wakes the merge thread (after inserts).
    pub(crate) fn wake_merges(&self) {
        crate::scheduler::wake();
    }

    /// Records the offsets of parts about to be removed without a covering part.
    pub(crate) fn remember_offsets(&self, parts: &[Arc<Part>]) -> Result<()> {
        let offsets: Vec<(SourceKey, i64)> = parts
            .iter()
            .flat_map(|p| p.manifest.source_offsets.iter())
            .map(|o| (o.key.clone(), o.next_offset))
            .collect();
        self.record_offsets(&offsets)
    }

    /// Durably records source offsets that no part carries (an insert whose rows were
    /// all filtered out, parts being dropped): they never move back.
    pub(crate) fn record_offsets(&self, offsets: &[(SourceKey, i64)]) -> Result<()> {
        let mut floor = self.offsets_floor.lock();
        let before = floor.clone();
        for (k, o) in offsets {
            let e = floor.entry(k.clone()).or_insert(*o);
            *e = (*e).max(*o);
        }
        if *floor != before {
            let v: Vec<(SourceKey, i64)> = floor.iter().map(|(k, v)| (k.clone(), *v)).collect();
            let bytes = serde_json::to_vec(&v)
                .map_err(|e| sluice_common::Error::internal(format!("offsets: {e}")))?;
            write_atomic(&self.dir.join(OFFSETS_FLOOR_FILE), &bytes)?;
        }
        Ok(())
    }

    /// Replaces `old` parts by `new` ones in the active set; the old ones become outdated.
    pub(crate) fn swap_parts(&self, st: &mut State, old: &[Arc<Part>], new: Vec<Arc<Part>>) {
        let now = chrono::Utc::now().timestamp();
        for p in old {
            if st.active.remove(&p.name).is_some() {
                st.outdated.push((Arc::clone(p), Instant::now(), now));
            }
        }
        for p in new {
            st.active.insert(p.name.clone(), p);
        }
        self.cleanup_outdated(st);
    }

    /// Drops outdated parts past `old_parts_lifetime`; their directories go once no query
    /// snapshot holds them.
    pub(crate) fn cleanup_outdated(&self, st: &mut State) {
        let lifetime = self.spec.read().settings.old_parts_lifetime;
        st.outdated.retain(|(p, since, _)| {
            if since.elapsed().as_secs() >= lifetime {
                p.mark_obsolete();
                false
            } else {
                true
            }
        });
    }
}

impl Drop for MergeTreeTable {
    fn drop(&mut self) {
        self.shutdown_flag.store(true, Ordering::SeqCst);
    }
}
