//! Whole-partition and whole-table operations: `OPTIMIZE [PARTITION] [FINAL]
//! [DEDUPLICATE]`, `TRUNCATE`, `DROP/DETACH/ATTACH PARTITION`. Removals write an empty part
//! covering the removed ones first, so a crash can never bring removed rows back.

use std::fs;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice_common::{Error, ErrorCode, Result};

use crate::fsutil::{fsync_dir, io_err};
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::merge_task::{MergeOptions, merged_name};
use crate::part::Part;
use crate::part_io::{PartMeta, PartWriter, verify_checksum};
use crate::part_name::PartName;
use crate::recovery::DETACHED_DIR;
use crate::table::MergeTreeTable;

impl MergeTreeTable {
    fn partition_parts(&self, partition_id: &str) -> Vec<Arc<Part>> {
        self.state
            .read()
            .active
            .values()
            .filter(|p| p.name.partition_id == partition_id)
            .cloned()
            .collect()
    }

    fn partition_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .state
            .read()
            .active
            .keys()
            .map(|n| n.partition_id.clone())
            .collect();
        ids.dedup();
        ids
    }

    /// Waits until no insert of `partition_id` is still writing a block inside the
    /// partition's block range (a merged part must not cover a part still to come).
    fn wait_in_flight(&self, parts: &[Arc<Part>]) -> Result<()> {
        let lo = parts.iter().map(|p| p.name.min_block).min().unwrap_or(0);
        let hi = parts.iter().map(|p| p.name.max_block).max().unwrap_or(0);
        let start = Instant::now();
        while self
            .state
            .read()
            .in_flight_blocks
            .range(lo..=hi)
            .next()
            .is_some()
        {
            if start.elapsed() > Duration::from_secs(60) {
                return Err(Error::new(
                    ErrorCode::ABORTED,
                    "Cannot select parts for optimization: inserts in progress",
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }

    /// `OPTIMIZE TABLE t [PARTITION p] [FINAL] [DEDUPLICATE]`: merges the parts of each
    /// (or the given) partition into one; with FINAL even a single part is rewritten (TTL,
    /// engine semantics); DEDUPLICATE drops rows equal in every column.
    pub fn optimize(
        &self,
        partition_id: Option<&str>,
        final_: bool,
        deduplicate: bool,
    ) -> Result<()> {
        let opts = MergeOptions {
            deduplicate,
            deduplicate_by: Vec::new(),
        };
        self.optimize_with(partition_id, final_, opts)
    }

    /// `OPTIMIZE TABLE t [PARTITION p] [FINAL] DEDUPLICATE BY c1, c2, …`: like
    /// [`MergeTreeTable::optimize`] with DEDUPLICATE, rows being duplicates when they are
    /// equal in `columns` (which the engine checked include every key column, so equal
    /// rows are always in one group of equal sorting keys); the first of them stays.
    pub fn optimize_deduplicate_by(
        &self,
        partition_id: Option<&str>,
        final_: bool,
        columns: Vec<String>,
    ) -> Result<()> {
        let schema = self.schema();
        for c in &columns {
            if schema.index_of(c).is_err() {
                return Err(Error::new(
                    ErrorCode::NO_SUCH_COLUMN_IN_TABLE,
                    format!("There is no column {c} in table"),
                ));
            }
        }
        let opts = MergeOptions {
            deduplicate: true,
            deduplicate_by: columns,
        };
        self.optimize_with(partition_id, final_, opts)
    }

    fn optimize_with(
        &self,
        partition_id: Option<&str>,
        final_: bool,
        opts: MergeOptions,
    ) -> Result<()> {
        let deduplicate = opts.deduplicate;
        let _ops = self.ops_lock.lock();
        let ids = match partition_id {
            Some(p) => vec![p.to_string()],
            None => self.partition_ids(),
        };
        for id in ids {
            let parts = self.partition_parts(&id);
            let rows: u64 = parts.iter().map(|p| p.rows()).sum();
            let needed =
                parts.len() > 1 || (parts.len() == 1 && (final_ || deduplicate) && rows > 0);
            if !needed {
                continue;
            }
            self.wait_in_flight(&parts)?;
            let parts = self.partition_parts(&id);
            self.merge_parts(parts, opts.clone())?;
        }
        Ok(())
    }

    /// Replaces `parts` (grouped by partition) by empty covering parts.
    fn drop_parts(&self, parts: Vec<Arc<Part>>) -> Result<()> {
        if parts.is_empty() {
            return Ok(());
        }
        self.remember_offsets(&parts)?;
        let spec = self.spec();
        let mut by_partition: std::collections::BTreeMap<String, Vec<Arc<Part>>> =
            Default::default();
        for p in parts {
            by_partition
                .entry(p.name.partition_id.clone())
                .or_default()
                .push(p);
        }
        for (_, group) in by_partition {
            self.wait_in_flight(&group)?;
            let name = merged_name(&group)?;
            let writer = PartWriter::create(
                &self.dir,
                "drop",
                name.clone(),
                Arc::clone(&spec.schema),
                spec.settings.index_granularity,
                &self.state.read().column_codecs,
            )?;
            let meta = PartMeta {
                partition: group[0].manifest.partition.clone(),
                drop_marker: true,
                ..PartMeta::default()
            };
            let (manifest, dir) = writer.commit(meta)?;
            let marker = Arc::new(Part::new(name, dir, manifest));
            let mut st = self.state.write();
            let now = chrono::Utc::now().timestamp();
            for p in &group {
                if st.active.remove(&p.name).is_some() {
                    st.outdated.push((Arc::clone(p), Instant::now(), now));
                }
            }
            st.active.insert(marker.name.clone(), marker);
            self.cleanup_outdated(&mut st);
        }
        Ok(())
    }

    /// `TRUNCATE TABLE`: removes every part (and the deduplication window and the
    /// mutations listed).
    pub fn truncate(&self) -> Result<()> {
        let _ops = self.ops_lock.lock();
        let parts = self.active_parts();
        self.drop_parts(parts)?;
        // With no part left every mutation is done, and ClickHouse's TRUNCATE clears the
        // finished ones (`mutation_<N>.txt` files too).
        let cleared = {
            let mut st = self.state.write();
            st.dedup.clear();
            std::mem::take(&mut st.mutations)
        };
        for m in cleared {
            if let Some(&version) = m.block_numbers_number.first() {
                crate::mutation_file::remove(&self.dir, version)?;
            }
        }
        Ok(())
    }

    /// `ALTER TABLE … DROP PARTITION id`.
    pub fn drop_partition(&self, partition_id: &str) -> Result<()> {
        let _ops = self.ops_lock.lock();
        let parts = self.partition_parts(partition_id);
        self.drop_parts(parts)
    }

    /// `ALTER TABLE … DETACH PARTITION id`: parts move to `detached/`.
    pub fn detach_partition(&self, partition_id: &str) -> Result<()> {
        let _ops = self.ops_lock.lock();
        let parts = self.partition_parts(partition_id);
        self.remember_offsets(&parts)?;
        let detached = self.dir.join(DETACHED_DIR);
        for p in parts {
            let mut st = self.state.write();
            st.active.remove(&p.name);
            drop(st);
            if p.rows() == 0 {
                p.mark_obsolete();
                continue;
            }
            let to = detached.join(p.name.to_string());
            fs::rename(&p.dir, &to).map_err(|e| io_err("rename", &p.dir, e))?;
        }
        fsync_dir(&detached)?;
        fsync_dir(&self.dir)
    }

    /// `ALTER TABLE … ATTACH PARTITION id`: detached parts of the partition (without a
    /// reason prefix) come back under new block numbers.
    pub fn attach_partition(&self, partition_id: &str) -> Result<()> {
        let _ops = self.ops_lock.lock();
        let detached = self.dir.join(DETACHED_DIR);
        let mut names: Vec<PartName> = fs::read_dir(&detached)
            .map_err(|e| io_err("read directory", &detached, e))?
            .flatten()
            .filter_map(|e| PartName::parse(&e.file_name().to_string_lossy()))
            .filter(|n| n.partition_id == partition_id)
            .collect();
        names.sort();
        for old in names {
            let from = detached.join(old.to_string());
            let mut manifest = Manifest::load(&from)?;
            verify_checksum(&from, &manifest)?;
            let block = self.blocks.lock().allocate(1)?;
            let name = PartName {
                partition_id: old.partition_id.clone(),
                min_block: block,
                max_block: block,
                level: old.level,
                mutation: None,
            };
            manifest.name = name.to_string();
            crate::fsutil::write_atomic(&from.join(MANIFEST_FILE), &manifest.to_bytes()?)?;
            let to = self.dir.join(name.to_string());
            fs::rename(&from, &to).map_err(|e| io_err("rename", &from, e))?;
            fsync_dir(&self.dir)?;
            let part = Arc::new(Part::new(name.clone(), to, manifest));
            self.state.write().active.insert(name, part);
        }
        fsync_dir(&detached)?;
        self.wake_merges();
        Ok(())
    }
}
