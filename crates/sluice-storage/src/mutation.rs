//! Mutations: `ALTER TABLE … DELETE WHERE`, lightweight `DELETE FROM`, `ALTER TABLE …
//! UPDATE … WHERE` rewrite every affected part as `<part>_<mutation>` (a part that covers
//! the old one), and `ALTER … ADD/DROP/MODIFY/RENAME COLUMN` change the schema that old
//! parts are read with. Mutations run synchronously and are listed in `system.mutations`;
//! each has a `mutation_<N>.txt` entry (`mutation_file`), so the list survives a restart
//! and an unfinished mutation resumes ([`MergeTreeTable::resume_mutation`]).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::compute::kernels::zip::zip;
use datafusion::arrow::compute::{cast, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use sluice_common::{Error, ErrorCode, Result};

use crate::defaults::convert_column;
use crate::expr::BatchExpr;
use crate::fsutil::write_atomic;
use crate::info::MutationInfo;
use crate::insert::block_size;
use crate::manifest::SourceOffset;
use crate::mutation_file::{self, MutationEntry};
use crate::part::Part;
use crate::part_io::{PartMeta, PartWriter, link_part, read_part};
use crate::part_name::PartName;
use crate::table::MergeTreeTable;

/// File keeping column renames (old name → new name), applied to older parts.
pub(crate) const RENAMES_FILE: &str = "renames.json";

fn arrow_err(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::LOGICAL_ERROR, format!("mutation: {e}"))
}

/// The predicate's result as a mask (NULL = false).
fn mask_of(predicate: &dyn BatchExpr, batch: &RecordBatch) -> Result<BooleanArray> {
    let cols = predicate.eval(batch)?;
    let col = cols
        .first()
        .ok_or_else(|| Error::internal("mutation predicate returned no column"))?;
    let b = if col.data_type() == &DataType::Boolean {
        Arc::clone(col)
    } else {
        cast(col, &DataType::Boolean).map_err(|e| {
            Error::new(
                ErrorCode::ILLEGAL_TYPE_OF_ARGUMENT,
                format!("Illegal type {} of column for filter: {e}", col.data_type()),
            )
        })?
    };
    Ok(b.as_boolean()
        .iter()
        .map(|v| Some(v.unwrap_or(false)))
        .collect())
}

/// An unfinished mutation's command, compiled by the engine from its text, to resume it
/// ([`MergeTreeTable::resume_mutation`]).
#[derive(Debug)]
pub enum MutationCommand {
    /// `DELETE WHERE predicate`.
    Delete(Arc<dyn BatchExpr>),
    /// Lightweight `DELETE FROM … WHERE predicate` (`UPDATE _row_exists = 0 WHERE …`).
    LightweightDelete(Arc<dyn BatchExpr>),
    /// `UPDATE col = expr, … WHERE predicate`.
    Update(Vec<(String, Arc<dyn BatchExpr>)>, Arc<dyn BatchExpr>),
    /// `MATERIALIZE TTL` with the table's current TTL.
    MaterializeTtl,
    /// An `ALTER … COLUMN`: the remaining parts are read in the current schema.
    AlterColumns,
}

/// `IN PARTITION p` of a mutation.
#[derive(Debug, Clone)]
pub struct MutationPartition {
    /// The partition's id.
    pub id: String,
    /// The clause as `system.mutations` shows it after `IN ` (`PARTITION 202510`,
    /// `PARTITION ID '202509'`).
    pub text: String,
}

/// `IN PARTITION p ` (with the trailing space) or nothing.
fn in_partition(p: Option<&MutationPartition>) -> String {
    p.map(|p| format!("IN {} ", p.text)).unwrap_or_default()
}

/// Which mutation a rewrite is for.
#[derive(Debug, Clone, Copy)]
struct Target<'a> {
    version: i64,
    partition_id: Option<&'a str>,
}

/// The `system.mutations` row of an entry not run yet (or loaded from disk).
pub(crate) fn pending_info(entry: &MutationEntry) -> MutationInfo {
    MutationInfo {
        mutation_id: mutation_file::file_name(entry.version),
        command: entry.command.clone(),
        create_time: entry.create_time,
        finish_time: 0,
        block_numbers_partition_id: vec![String::new()],
        block_numbers_number: vec![entry.version],
        parts_to_do_names: Vec::new(),
        parts_to_do: 0,
        is_done: false,
        is_killed: false,
        latest_failed_part: String::new(),
        latest_fail_time: 0,
        latest_fail_reason: String::new(),
        latest_fail_error_code_name: String::new(),
    }
}

enum MutationKind {
    Delete(Arc<dyn BatchExpr>),
    LightweightDelete(Arc<dyn BatchExpr>),
    Update(Vec<(String, Arc<dyn BatchExpr>)>, Arc<dyn BatchExpr>),
    /// ALTER of columns: parts keep their data under a new name.
    Relink,
    /// `MATERIALIZE TTL` (run by `MODIFY TTL`): rows past the TTL go, every part's TTL
    /// range is recomputed with the current expression.
    MaterializeTtl(Arc<dyn BatchExpr>),
}

/// Rows whose TTL (`ttl` evaluated on `batch`) is at or before `now` (unix seconds).
fn expired_mask(ttl: &dyn BatchExpr, batch: &RecordBatch, now: i64) -> Result<BooleanArray> {
    let cols = ttl.eval(batch)?;
    let Some(col) = cols.first() else {
        return Ok(BooleanArray::from(vec![false; batch.num_rows()]));
    };
    Ok(crate::insert::ttl_seconds(col)?
        .into_iter()
        .map(|v| Some(v.is_some_and(|t| t <= now)))
        .collect())
}

/// The (min, max) TTL of the rows of `batch`, merged into `range`.
fn widen_ttl_range(
    ttl: &dyn BatchExpr,
    batch: &RecordBatch,
    range: &mut Option<(i64, i64)>,
) -> Result<()> {
    if batch.num_rows() == 0 {
        return Ok(());
    }
    let cols = ttl.eval(batch)?;
    if let Some(col) = cols.first() {
        for t in crate::insert::ttl_seconds(col)?.into_iter().flatten() {
            *range = Some(match *range {
                None => (t, t),
                Some((lo, hi)) => (lo.min(t), hi.max(t)),
            });
        }
    }
    Ok(())
}

impl MergeTreeTable {
    /// `ALTER TABLE … DELETE WHERE predicate` / `DELETE FROM … WHERE`: rewrites the parts
    /// holding matching rows without them.
    pub fn mutate_delete(&self, predicate: Arc<dyn BatchExpr>) -> Result<()> {
        self.mutate_delete_in(None, predicate)
    }

    /// `ALTER TABLE … DELETE [IN PARTITION p] WHERE predicate`: as
    /// [`MergeTreeTable::mutate_delete`], only rows of partition `p` (the parts of other
    /// partitions get the new data version unchanged, as ClickHouse).
    pub fn mutate_delete_in(
        &self,
        partition: Option<MutationPartition>,
        predicate: Arc<dyn BatchExpr>,
    ) -> Result<()> {
        let command = format!(
            "(DELETE {}WHERE {})",
            in_partition(partition.as_ref()),
            predicate.text()
        );
        let _ops = self.ops_lock.lock();
        self.mutate(MutationKind::Delete(predicate), command, partition)
    }

    /// Lightweight `DELETE FROM t WHERE predicate`: like `mutate_delete`, and parts that
    /// lost rows are flagged `has_lightweight_delete`.
    pub fn lightweight_delete(&self, predicate: Arc<dyn BatchExpr>) -> Result<()> {
        self.lightweight_delete_in(None, predicate)
    }

    /// Lightweight `DELETE FROM t [IN PARTITION p] WHERE predicate`.
    pub fn lightweight_delete_in(
        &self,
        partition: Option<MutationPartition>,
        predicate: Arc<dyn BatchExpr>,
    ) -> Result<()> {
        let command = format!(
            "(UPDATE _row_exists = 0 {}WHERE {})",
            in_partition(partition.as_ref()),
            predicate.text()
        );
        let _ops = self.ops_lock.lock();
        self.mutate(
            MutationKind::LightweightDelete(predicate),
            command,
            partition,
        )
    }

    /// `ALTER TABLE … UPDATE col = expr, … WHERE predicate`.
    pub fn mutate_update(
        &self,
        assignments: Vec<(String, Arc<dyn BatchExpr>)>,
        predicate: Arc<dyn BatchExpr>,
    ) -> Result<()> {
        self.mutate_update_in(None, assignments, predicate)
    }

    /// `ALTER TABLE … UPDATE col = expr, … [IN PARTITION p] WHERE predicate`.
    pub fn mutate_update_in(
        &self,
        partition: Option<MutationPartition>,
        assignments: Vec<(String, Arc<dyn BatchExpr>)>,
        predicate: Arc<dyn BatchExpr>,
    ) -> Result<()> {
        let schema = self.schema();
        for (c, _) in &assignments {
            if schema.index_of(c).is_err() {
                return Err(Error::new(
                    ErrorCode::NO_SUCH_COLUMN_IN_TABLE,
                    format!("There is no column {c} in table"),
                ));
            }
        }
        let sets: Vec<String> = assignments
            .iter()
            .map(|(c, e)| format!("{c} = {}", e.text()))
            .collect();
        let command = format!(
            "(UPDATE {} {}WHERE {})",
            sets.join(", "),
            in_partition(partition.as_ref()),
            predicate.text()
        );
        let _ops = self.ops_lock.lock();
        self.mutate(
            MutationKind::Update(assignments, predicate),
            command,
            partition,
        )
    }

    /// `ALTER TABLE … MATERIALIZE TTL` (and `MODIFY TTL`, which runs it): rewrites the
    /// parts holding rows past the current TTL without them; the other parts get the new
    /// data version with their TTL range recomputed. No-op without a TTL.
    pub fn materialize_ttl(&self) -> Result<()> {
        let Some(ttl) = self.spec.read().ttl.clone() else {
            return Ok(());
        };
        let _ops = self.ops_lock.lock();
        self.mutate(
            MutationKind::MaterializeTtl(ttl),
            "(MATERIALIZE TTL)".to_string(),
            None,
        )
    }

    /// Starts a mutation: allocates its block number, writes its `mutation_<N>.txt` entry
    /// durably and lists it, then runs it. The caller holds `ops_lock`.
    fn mutate(
        &self,
        kind: MutationKind,
        command: String,
        partition: Option<MutationPartition>,
    ) -> Result<()> {
        let version = self.blocks.lock().allocate(1)?;
        let entry = MutationEntry {
            version,
            create_time: chrono::Utc::now().timestamp(),
            command,
        };
        mutation_file::write(&self.dir, &entry)?;
        {
            // Listed as running at once, so that a `KILL MUTATION` from now on stops it.
            let mut st = self.state.write();
            st.mutations.push(pending_info(&entry));
            st.running_mutation = Some(version);
        }
        self.run_mutation(&kind, version, partition.as_ref().map(|p| p.id.as_str()))
    }

    /// Runs (or, after a restart, resumes) mutation `version` over the active parts whose
    /// data version is below it; records the outcome in its `system.mutations` entry. The
    /// caller holds `ops_lock`.
    fn run_mutation(
        &self,
        kind: &MutationKind,
        version: i64,
        partition_id: Option<&str>,
    ) -> Result<()> {
        let mutation_id = mutation_file::file_name(version);
        let parts: Vec<Arc<Part>> = self
            .active_parts()
            .into_iter()
            .filter(|p| p.name.data_version() < version && !p.manifest.drop_marker)
            .collect();
        {
            let mut st = self.state.write();
            let Some(m) = st
                .mutations
                .iter_mut()
                .find(|m| m.mutation_id == mutation_id)
            else {
                // Killed before it started.
                st.running_mutation = None;
                return Err(Error::new(
                    ErrorCode::UNFINISHED,
                    format!("Mutation {mutation_id} was killed"),
                ));
            };
            m.parts_to_do_names = parts.iter().map(|p| p.name.to_string()).collect();
            m.parts_to_do = parts.len() as i64;
            st.running_mutation = Some(version);
        }
        let mut failed_part = String::new();
        let result = self.mutate_parts(kind, &parts, version, partition_id, &mut failed_part);
        let mut st = self.state.write();
        st.running_mutation = None;
        let Some(pos) = st
            .mutations
            .iter()
            .position(|m| m.mutation_id == mutation_id)
        else {
            return result;
        };
        if st.mutations[pos].is_killed {
            // `KILL MUTATION` arrived while it ran: nothing of it stays, nor its entry.
            st.mutations.remove(pos);
            drop(st);
            mutation_file::remove(&self.dir, version)?;
            return Err(Error::new(
                ErrorCode::UNFINISHED,
                format!("Mutation {mutation_id} was killed"),
            ));
        }
        let info = &mut st.mutations[pos];
        match result {
            Ok(()) => {
                info.is_done = true;
                info.finish_time = chrono::Utc::now().timestamp();
                info.parts_to_do = 0;
                info.parts_to_do_names.clear();
                info.latest_failed_part.clear();
                info.latest_fail_time = 0;
                info.latest_fail_reason.clear();
                info.latest_fail_error_code_name.clear();
                Ok(())
            }
            Err(e) => {
                info.latest_failed_part = failed_part.clone();
                info.latest_fail_time = chrono::Utc::now().timestamp();
                info.latest_fail_reason = e.to_clickhouse_string();
                info.latest_fail_error_code_name = e.code.name().to_string();
                if matches!(kind, MutationKind::Relink) {
                    // The ALTER is rolled back by the caller: the mutation is over and
                    // leaves nothing on disk to resume.
                    info.is_killed = true;
                    drop(st);
                    mutation_file::remove(&self.dir, version)?;
                    Err(e)
                } else {
                    // As in ClickHouse, the failed mutation stays listed, not done,
                    // until `KILL MUTATION` removes it (and resumes after a restart).
                    Err(Error::new(
                        ErrorCode::UNFINISHED,
                        format!(
                            "Exception happened during execution of mutation '{mutation_id}' \
                             with part '{failed_part}' reason: '{}'. This error maybe \
                             retryable or not. In case of unretryable error, mutation can be \
                             killed with KILL MUTATION query",
                            e.to_clickhouse_string()
                        ),
                    ))
                }
            }
        }
    }

    /// Mutations listed in `mutation_<N>.txt` files whose parts are not all mutated yet
    /// (after a restart): `(mutation_id, command)` in version order. The engine compiles
    /// each command and calls [`MergeTreeTable::resume_mutation`].
    pub fn unfinished_mutations(&self) -> Vec<(String, String)> {
        self.state
            .read()
            .mutations
            .iter()
            .filter(|m| !m.is_done && !m.is_killed)
            .map(|m| (m.mutation_id.clone(), m.command.clone()))
            .collect()
    }

    /// Records that unfinished mutation `mutation_id` could not run (its command no longer
    /// compiles): shown in `latest_fail_*` until it is killed.
    pub fn record_mutation_failure(&self, mutation_id: &str, error: &Error) {
        let mut st = self.state.write();
        if let Some(m) = st
            .mutations
            .iter_mut()
            .find(|m| m.mutation_id == mutation_id)
        {
            m.latest_fail_time = chrono::Utc::now().timestamp();
            m.latest_fail_reason = error.to_clickhouse_string();
            m.latest_fail_error_code_name = error.code.name().to_string();
        }
    }

    /// Resumes unfinished mutation `mutation_id` (its command compiled by the engine) over
    /// the parts it has not rewritten yet (with `IN PARTITION`, the id of that partition). A
    /// failure is recorded in `system.mutations`
    /// (`latest_fail_*`) and returned; the mutation stays listed until killed.
    pub fn resume_mutation(
        &self,
        mutation_id: &str,
        command: MutationCommand,
        partition_id: Option<&str>,
    ) -> Result<()> {
        let Some(version) = mutation_file::parse_file_name(mutation_id) else {
            return Err(Error::internal(format!("bad mutation id {mutation_id}")));
        };
        let kind = match command {
            MutationCommand::Delete(p) => MutationKind::Delete(p),
            MutationCommand::LightweightDelete(p) => MutationKind::LightweightDelete(p),
            MutationCommand::Update(sets, p) => MutationKind::Update(sets, p),
            MutationCommand::AlterColumns => MutationKind::Relink,
            MutationCommand::MaterializeTtl => match self.spec.read().ttl.clone() {
                Some(ttl) => MutationKind::MaterializeTtl(ttl),
                None => MutationKind::Relink,
            },
        };
        let _ops = self.ops_lock.lock();
        self.run_mutation(&kind, version, partition_id)
    }

    /// `KILL MUTATION`: a running mutation stops at its next part or block (its entry
    /// shows `is_killed` until then, and nothing it wrote stays); any other one leaves
    /// `system.mutations` at once and its `mutation_<N>.txt` is removed. False when the
    /// table has no such mutation.
    pub fn kill_mutation(&self, mutation_id: &str) -> bool {
        let mut st = self.state.write();
        let Some(pos) = st
            .mutations
            .iter()
            .position(|m| m.mutation_id == mutation_id)
        else {
            return false;
        };
        let running = st.running_mutation.is_some()
            && st.running_mutation == st.mutations[pos].block_numbers_number.first().copied();
        if running {
            st.mutations[pos].is_killed = true;
        } else {
            st.mutations.remove(pos);
            drop(st);
            // As ClickHouse, the entry's file goes with it.
            if let Some(version) = mutation_file::parse_file_name(mutation_id)
                && let Err(e) = mutation_file::remove(&self.dir, version)
            {
                tracing::error!("{}", e.to_clickhouse_string());
            }
        }
        true
    }

    /// Fails with `UNFINISHED` once `KILL MUTATION` marked mutation `version` killed.
    fn check_killed(&self, version: i64) -> Result<()> {
        let id = format!("mutation_{version}.txt");
        let st = self.state.read();
        if st
            .mutations
            .iter()
            .any(|m| m.mutation_id == id && m.is_killed)
        {
            return Err(Error::new(
                ErrorCode::UNFINISHED,
                format!("Mutation {id} was killed"),
            ));
        }
        Ok(())
    }

    fn mutate_parts(
        &self,
        kind: &MutationKind,
        parts: &[Arc<Part>],
        version: i64,
        partition_id: Option<&str>,
        failed_part: &mut String,
    ) -> Result<()> {
        let mut replaced: Vec<(Arc<Part>, Arc<Part>)> = Vec::new();
        let target = Target {
            version,
            partition_id,
        };
        if let Err(e) = self.rewrite_parts(kind, parts, target, &mut replaced, failed_part) {
            // Parts already written for this mutation are removed: all or nothing.
            for (_, new) in replaced {
                new.mark_obsolete();
            }
            return Err(e);
        }
        let mut st = self.state.write();
        for (old, new) in replaced {
            self.swap_parts(&mut st, &[old], vec![new]);
        }
        crate::fsutil::failpoint("mutation_after_commit");
        Ok(())
    }

    fn rewrite_parts(
        &self,
        kind: &MutationKind,
        parts: &[Arc<Part>],
        target: Target<'_>,
        replaced: &mut Vec<(Arc<Part>, Arc<Part>)>,
        current_part: &mut String,
    ) -> Result<()> {
        let version = target.version;
        let spec = self.spec();
        let bs = block_size(&spec.settings);
        for sp in self.sources(parts) {
            let p = &sp.part;
            self.check_killed(version)?;
            *current_part = p.name.to_string();
            let name = PartName {
                mutation: Some(version),
                ..p.name.clone()
            };
            // `IN PARTITION`: parts of other partitions only get the new data version.
            let in_scope = target
                .partition_id
                .is_none_or(|id| id == p.name.partition_id);
            let predicate = match kind {
                MutationKind::Delete(pred)
                | MutationKind::LightweightDelete(pred)
                | MutationKind::Update(_, pred)
                    if in_scope =>
                {
                    Some(pred)
                }
                _ => None,
            };
            // Parts without matching rows keep their data under the new name; an ALTER
            // rewrites parts holding a column whose type changed (conversion errors
            // surface now, as ClickHouse's MODIFY COLUMN mutation does).
            let mut affected = matches!(kind, MutationKind::Relink)
                && p.manifest.columns.iter().any(|c| {
                    let name = sp.renames.get(&c.name).unwrap_or(&c.name);
                    spec.schema.field_with_name(name).is_ok_and(|f| {
                        sluice_common::ChType::from_field(f).to_string() != c.ch_type
                    })
                });
            if let Some(pred) = predicate {
                for b in read_part(&p.dir, &spec.schema, &sp.renames, &sp.defaults, bs)? {
                    if mask_of(pred.as_ref(), &b?)?.true_count() > 0 {
                        affected = true;
                        break;
                    }
                }
            }
            // MATERIALIZE TTL: the part is rewritten if rows expired; its TTL range is
            // recomputed either way.
            let now = chrono::Utc::now().timestamp();
            let mut ttl_range = p.manifest.ttl_min.zip(p.manifest.ttl_max);
            if let MutationKind::MaterializeTtl(ttl) = kind {
                ttl_range = None;
                for b in read_part(&p.dir, &spec.schema, &sp.renames, &sp.defaults, bs)? {
                    let b = b?;
                    let mask = expired_mask(ttl.as_ref(), &b, now)?;
                    if mask.true_count() > 0 {
                        affected = true;
                        break;
                    }
                    widen_ttl_range(ttl.as_ref(), &b, &mut ttl_range)?;
                }
                if affected {
                    ttl_range = None;
                }
            }
            crate::fsutil::failpoint("mutation_before_commit");
            if !affected {
                let relinked_ttl = ttl_range;
                let recompute = matches!(kind, MutationKind::MaterializeTtl(_));
                let (manifest, dir) = link_part(&self.dir, &p.dir, &p.manifest, &name, move |m| {
                    if recompute {
                        m.ttl_min = relinked_ttl.map(|r| r.0);
                        m.ttl_max = relinked_ttl.map(|r| r.1);
                    }
                })?;
                replaced.push((Arc::clone(p), Arc::new(Part::new(name, dir, manifest))));
                continue;
            }
            let mut writer = PartWriter::create(
                &self.dir,
                "mut",
                name.clone(),
                Arc::clone(&spec.schema),
                spec.settings.index_granularity,
                &self.state.read().column_codecs,
            )?;
            for b in read_part(&p.dir, &spec.schema, &sp.renames, &sp.defaults, bs)? {
                let b = b?;
                self.check_killed(version)?;
                let out = match kind {
                    MutationKind::Delete(pred) | MutationKind::LightweightDelete(pred) => {
                        let mask = mask_of(pred.as_ref(), &b)?;
                        let keep = datafusion::arrow::compute::not(&mask).map_err(arrow_err)?;
                        filter_record_batch(&b, &keep).map_err(arrow_err)?
                    }
                    MutationKind::Update(sets, pred) => {
                        let mask = mask_of(pred.as_ref(), &b)?;
                        apply_update(&b, &spec.schema, sets, &mask)?
                    }
                    MutationKind::Relink => b,
                    MutationKind::MaterializeTtl(ttl) => {
                        let mask = expired_mask(ttl.as_ref(), &b, now)?;
                        let keep = datafusion::arrow::compute::not(&mask).map_err(arrow_err)?;
                        let kept = filter_record_batch(&b, &keep).map_err(arrow_err)?;
                        widen_ttl_range(ttl.as_ref(), &kept, &mut ttl_range)?;
                        kept
                    }
                };
                writer.write(&out)?;
            }
            let meta = PartMeta {
                partition: p.manifest.partition.clone(),
                block_ids: p.manifest.block_ids.clone(),
                source_offsets: p
                    .manifest
                    .source_offsets
                    .iter()
                    .map(|o| SourceOffset {
                        key: o.key.clone(),
                        next_offset: o.next_offset,
                    })
                    .collect(),
                partition_columns: spec
                    .partition_key
                    .as_ref()
                    .map(|k| k.columns())
                    .unwrap_or_default(),
                ttl_range,
                has_lightweight_delete: p.manifest.has_lightweight_delete
                    || matches!(kind, MutationKind::LightweightDelete(_)),
                drop_marker: false,
            };
            let (manifest, dir) = writer.commit(meta)?;
            crate::fsutil::failpoint("mutation_part_written");
            replaced.push((Arc::clone(p), Arc::new(Part::new(name, dir, manifest))));
        }
        Ok(())
    }

    /// Renames that apply to a part: those whose old name the part has and whose new name
    /// it lacks.
    pub(crate) fn part_renames(&self, part: &Part) -> HashMap<String, String> {
        let st = self.state.read();
        let mut out = HashMap::new();
        for (from, to) in st.renames.iter() {
            if part.manifest.column(from).is_some() && part.manifest.column(to).is_none() {
                out.insert(from.clone(), to.clone());
            }
        }
        out
    }

    /// `ALTER TABLE … ADD/DROP/MODIFY/RENAME COLUMN`: the new stored schema; `renames` are
    /// (old name, new name) pairs. Parts are not rewritten: older parts are read with the
    /// new schema (missing columns = type default, casts where types changed).
    pub fn alter_schema(
        &self,
        new_schema: SchemaRef,
        renames: Vec<(String, String)>,
    ) -> Result<()> {
        let _ops = self.ops_lock.lock();
        let old_schema = self.schema();
        // RENAME, MODIFY and DROP are mutations in ClickHouse (parts get a new data version);
        // ADD is metadata only.
        let is_mutation = !renames.is_empty()
            || old_schema
                .fields()
                .iter()
                .any(|f| match new_schema.field_with_name(f.name()) {
                    Ok(nf) => nf.data_type() != f.data_type(),
                    Err(_) => true,
                });
        // Check that every retyped column converts.
        let old = self.schema();
        for f in new_schema.fields() {
            if let Ok(of) = old.field_with_name(f.name())
                && of.data_type() != f.data_type()
                && !datafusion::arrow::compute::can_cast_types(of.data_type(), f.data_type())
            {
                return Err(Error::new(
                    ErrorCode::CANNOT_CONVERT_TYPE,
                    format!(
                        "Cannot convert column {} from {} to {}",
                        f.name(),
                        sluice_common::ChType::from_field(of),
                        sluice_common::ChType::from_field(f)
                    ),
                ));
            }
        }
        let old_renames = self.state.read().renames.clone();
        {
            let mut st = self.state.write();
            for (from, to) in renames {
                // A chain a → b → c maps a straight to c.
                for (_, t) in st.renames.iter_mut() {
                    if *t == from {
                        *t = to.clone();
                    }
                }
                st.renames.insert(from, to);
            }
            let list: Vec<(String, String)> = st
                .renames
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect();
            let bytes =
                serde_json::to_vec(&list).map_err(|e| Error::internal(format!("renames: {e}")))?;
            write_atomic(&self.dir.join(RENAMES_FILE), &bytes)?;
        }
        let command = {
            let added: Vec<String> = new_schema
                .fields()
                .iter()
                .filter(|f| old_schema.field_with_name(f.name()).is_err())
                .map(|f| f.name().clone())
                .collect();
            format!("(ALTER COLUMNS {})", added.join(", "))
        };
        self.spec.write().schema = new_schema;
        if is_mutation && let Err(e) = self.mutate(MutationKind::Relink, command, None) {
            // The ALTER did not happen: back to the old schema and renames.
            self.spec.write().schema = old_schema;
            let list: Vec<(String, String)> = old_renames
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect();
            self.state.write().renames = old_renames;
            if let Ok(bytes) = serde_json::to_vec(&list) {
                write_atomic(&self.dir.join(RENAMES_FILE), &bytes)?;
            }
            return Err(e);
        }
        Ok(())
    }
}

fn apply_update(
    batch: &RecordBatch,
    schema: &SchemaRef,
    sets: &[(String, Arc<dyn BatchExpr>)],
    mask: &BooleanArray,
) -> Result<RecordBatch> {
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    for (name, expr) in sets {
        let idx = schema.index_of(name).map_err(|_| {
            Error::new(
                ErrorCode::NO_SUCH_COLUMN_IN_TABLE,
                format!("There is no column {name} in table"),
            )
        })?;
        let vals = expr.eval(batch)?;
        let v = vals
            .first()
            .ok_or_else(|| Error::internal("update expression returned no column"))?;
        let v = convert_column(v, schema.field(idx))?;
        if v.len() != batch.num_rows() {
            return Err(Error::internal(
                "update expression returned a wrong number of rows",
            ));
        }
        columns[idx] = zip(mask, &v, &batch.column(idx)).map_err(arrow_err)?;
    }
    RecordBatch::try_new(Arc::clone(schema), columns).map_err(arrow_err)
}
