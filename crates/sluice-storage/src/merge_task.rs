//! Running one merge: the source parts of a partition are read as sorted runs, merged
//! k-way on the sorting key, passed through TTL and the engine's semantics, and written
//! as one new part `<partition>_<min>_<max>_<level+1>` that replaces them atomically.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use datafusion::arrow::array::{BooleanArray, RecordBatch, UInt32Array, UInt64Array};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use sluice_common::{Error, ErrorCode, Result};

use crate::expr::StateMerger;
use crate::info::MergeInfo;
use crate::insert::{block_size, ttl_seconds};
use crate::kway::{KWayMerge, Run};
use crate::manifest::{BlockId, SourceOffset};
use crate::part::Part;
use crate::part_io::{ColumnDefaults, PartMeta, PartWriter, read_part};
use crate::part_name::PartName;
use crate::semantics::{Mode, Semantics};
use crate::spec::TableSpec;
use crate::table::MergeTreeTable;

/// What a merge does besides combining parts.
#[derive(Debug, Clone, Default)]
pub(crate) struct MergeOptions {
    /// `OPTIMIZE … DEDUPLICATE`: drop rows identical in every column.
    pub(crate) deduplicate: bool,
    /// `DEDUPLICATE BY …`: the columns compared (empty: every column).
    pub(crate) deduplicate_by: Vec<String>,
}

/// The name of the part that replaces `parts` (same partition, sorted by name).
pub(crate) fn merged_name(parts: &[Arc<Part>]) -> Result<PartName> {
    let first = parts
        .first()
        .ok_or_else(|| Error::internal("merge of no parts"))?;
    Ok(PartName {
        partition_id: first.name.partition_id.clone(),
        min_block: parts.iter().map(|p| p.name.min_block).min().unwrap_or(0),
        max_block: parts.iter().map(|p| p.name.max_block).max().unwrap_or(0),
        level: parts.iter().map(|p| p.name.level).max().unwrap_or(0) + 1,
        mutation: parts.iter().filter_map(|p| p.name.mutation).max(),
    })
}

fn arrow_err(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::LOGICAL_ERROR, format!("merge: {e}"))
}

/// A part to read with the column renames that apply to it.
#[derive(Debug, Clone)]
pub(crate) struct SourcePart {
    pub(crate) part: Arc<Part>,
    pub(crate) renames: HashMap<String, String>,
    pub(crate) defaults: ColumnDefaults,
}

impl MergeTreeTable {
    /// `parts` with their renames.
    pub(crate) fn sources(&self, parts: &[Arc<Part>]) -> Vec<SourcePart> {
        let defaults = Arc::clone(&self.state.read().column_defaults);
        parts
            .iter()
            .map(|p| SourcePart {
                part: Arc::clone(p),
                renames: self.part_renames(p),
                defaults: Arc::clone(&defaults),
            })
            .collect()
    }
}

/// Sorted runs over `parts` in the table's current schema, TTL-expired rows removed when
/// `apply_ttl`.
pub(crate) fn part_runs(
    spec: &TableSpec,
    parts: &[SourcePart],
    batch_rows: usize,
    apply_ttl: bool,
) -> Result<Vec<Run>> {
    let ttl = if apply_ttl { spec.ttl.clone() } else { None };
    let now = chrono::Utc::now().timestamp();
    let mut runs: Vec<Run> = Vec::with_capacity(parts.len());
    for sp in parts {
        let it = read_part(
            &sp.part.dir,
            &spec.schema,
            &sp.renames,
            &sp.defaults,
            batch_rows,
        )?;
        let ttl = ttl.clone();
        let it = it.map(move |b| {
            let b = b?;
            match &ttl {
                None => Ok(b),
                Some(expr) => {
                    let cols = expr.eval(&b)?;
                    let Some(col) = cols.first() else {
                        return Ok(b);
                    };
                    let keep: BooleanArray = ttl_seconds(col)?
                        .into_iter()
                        .map(|v| Some(v.is_none_or(|t| t > now)))
                        .collect();
                    filter_record_batch(&b, &keep).map_err(arrow_err)
                }
            }
        });
        runs.push(Box::new(it));
    }
    Ok(runs)
}

fn dedup_identical(
    batch: RecordBatch,
    groups: &[std::ops::Range<usize>],
    by: &[String],
) -> Result<RecordBatch> {
    use datafusion::arrow::row::{RowConverter, SortField};
    let schema = batch.schema();
    let compared: Vec<usize> = if by.is_empty() {
        (0..schema.fields().len()).collect()
    } else {
        by.iter()
            .map(|c| {
                schema
                    .index_of(c)
                    .map_err(|_| Error::internal(format!("DEDUPLICATE BY column {c} is gone")))
            })
            .collect::<Result<_>>()?
    };
    let conv = RowConverter::new(
        compared
            .iter()
            .map(|&i| SortField::new(schema.field(i).data_type().clone()))
            .collect(),
    )
    .map_err(|e| Error::not_implemented(format!("OPTIMIZE DEDUPLICATE over these types: {e}")))?;
    let columns: Vec<_> = compared
        .iter()
        .map(|&i| Arc::clone(batch.column(i)))
        .collect();
    let rows = conv.convert_columns(&columns).map_err(arrow_err)?;
    let mut keep = vec![true; batch.num_rows()];
    for g in groups {
        let mut seen: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
        for i in g.clone() {
            if !seen.insert(rows.row(i).data()) {
                keep[i] = false;
            }
        }
    }
    filter_record_batch(&batch, &BooleanArray::from(keep)).map_err(arrow_err)
}

impl MergeTreeTable {
    /// Merges `parts` (one partition, contiguous blocks) into one part and swaps it in.
    /// Returns false when abandoned (shutdown, or a source vanished meanwhile).
    pub(crate) fn merge_parts(&self, parts: Vec<Arc<Part>>, opts: MergeOptions) -> Result<bool> {
        let spec = self.spec();
        let name = merged_name(&parts)?;
        let merger = self.merger.read().clone();
        let semantics = Semantics::new(
            &spec.engine,
            &spec.schema,
            &spec.sorting_key_columns,
            merger,
        )?;
        let rows_total: u64 = parts.iter().map(|p| p.rows()).sum();
        let info = MergeInfo {
            elapsed: 0.0,
            progress: 0.0,
            num_parts: parts.len() as u64,
            source_part_names: parts.iter().map(|p| p.name.to_string()).collect(),
            result_part_name: name.to_string(),
            partition_id: name.partition_id.clone(),
            partition: parts[0].manifest.partition.clone(),
            is_mutation: false,
            total_size_bytes_compressed: parts.iter().map(|p| p.bytes()).sum(),
            rows_read: 0,
            rows_written: 0,
            merge_type: if spec.ttl.is_some() {
                "TTLDelete"
            } else {
                "Regular"
            }
            .into(),
            merge_algorithm: "Horizontal".into(),
        };
        {
            let mut st = self.state.write();
            for p in &parts {
                st.merging.insert(p.name.clone());
            }
            st.merges.push((Instant::now(), info));
        }
        let result = self.run_merge(&parts, &name, &semantics, opts, rows_total);
        let mut st = self.state.write();
        for p in &parts {
            st.merging.remove(&p.name);
        }
        st.merges
            .retain(|(_, m)| m.result_part_name != name.to_string());
        match result {
            Ok(Some(new_part)) => {
                if parts.iter().all(|p| st.active.contains_key(&p.name)) {
                    self.swap_parts(&mut st, &parts, vec![new_part]);
                    Ok(true)
                } else {
                    new_part.mark_obsolete();
                    Ok(false)
                }
            }
            Ok(None) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn run_merge(
        &self,
        parts: &[Arc<Part>],
        name: &PartName,
        semantics: &Semantics,
        opts: MergeOptions,
        rows_total: u64,
    ) -> Result<Option<Arc<Part>>> {
        let spec = self.spec();
        let bs = block_size(&spec.settings);
        let runs = part_runs(&spec, &self.sources(parts), bs, true)?;
        let mut merge =
            KWayMerge::new(runs, spec.sorting_key.clone(), Arc::clone(&spec.schema), bs)?;
        let keys = spec.statistics_columns();
        let layout = crate::part_io::PartLayout {
            statistics: Some(&keys),
            wide_pages: true,
        };
        let mut writer = PartWriter::create_with_layout(
            &self.dir,
            "merge",
            name.clone(),
            Arc::clone(&spec.schema),
            spec.settings.index_granularity,
            &self.state.read().column_codecs,
            layout,
        )?;
        let mut ttl_min: Option<i64> = None;
        let mut ttl_max: Option<i64> = None;
        while let Some(chunk) = merge.next_chunk()? {
            if self.shutdown_flag.load(Ordering::SeqCst) {
                writer.abandon();
                return Ok(None);
            }
            let groups = chunk.groups.clone();
            let mut out = semantics.apply(chunk, Mode::Merge)?;
            if opts.deduplicate {
                out = if semantics.combines() {
                    let g: Vec<_> = (0..out.num_rows()).map(|i| i..i + 1).collect();
                    dedup_identical(out, &g, &opts.deduplicate_by)?
                } else {
                    dedup_identical(out, &groups, &opts.deduplicate_by)?
                };
            }
            if let Some(ttl) = &spec.ttl {
                let cols = ttl.eval(&out)?;
                if let Some(c) = cols.first() {
                    for t in ttl_seconds(c)?.into_iter().flatten() {
                        ttl_min = Some(ttl_min.map_or(t, |m| m.min(t)));
                        ttl_max = Some(ttl_max.map_or(t, |m| m.max(t)));
                    }
                }
            }
            writer.write(&out)?;
            let mut st = self.state.write();
            if let Some((_, m)) = st
                .merges
                .iter_mut()
                .find(|(_, m)| m.result_part_name == name.to_string())
            {
                m.rows_read = merge.rows_read;
                m.rows_written = writer.rows();
                m.progress = if rows_total == 0 {
                    1.0
                } else {
                    merge.rows_read as f64 / rows_total as f64
                };
            }
        }
        crate::fsutil::failpoint("merge_before_commit");
        let window = spec.settings.non_replicated_deduplication_window as usize;
        let mut ids: Vec<BlockId> = parts
            .iter()
            .flat_map(|p| p.manifest.block_ids.iter().cloned())
            .collect();
        ids.sort_by_key(|b| b.block);
        let skip = ids.len().saturating_sub(window);
        let ids: Vec<BlockId> = ids.into_iter().skip(skip).collect();
        let mut offsets: BTreeMap<crate::source::SourceKey, i64> = BTreeMap::new();
        for p in parts {
            for o in &p.manifest.source_offsets {
                let e = offsets.entry(o.key.clone()).or_insert(o.next_offset);
                *e = (*e).max(o.next_offset);
            }
        }
        let meta = PartMeta {
            partition: parts[0].manifest.partition.clone(),
            block_ids: ids,
            source_offsets: offsets
                .into_iter()
                .map(|(key, next_offset)| SourceOffset { key, next_offset })
                .collect(),
            partition_columns: spec
                .partition_key
                .as_ref()
                .map(|k| k.columns())
                .unwrap_or_default(),
            ttl_range: ttl_min.zip(ttl_max),
            has_lightweight_delete: parts.iter().any(|p| p.manifest.has_lightweight_delete),
            drop_marker: false,
        };
        let (manifest, dir) = writer.commit(meta)?;
        crate::fsutil::failpoint("merge_after_commit");
        Ok(Some(Arc::new(Part::new(name.clone(), dir, manifest))))
    }
}

/// Reads `parts` of one partition merged with the engine's `FINAL` semantics, sending
/// each output batch to `sink`; stops early when `sink` returns false. With `origin`,
/// every batch ends with two more columns naming where each surviving row came from:
/// the index of its part in `parts` (`UInt32`) and its row in that part (`UInt64`), for
/// the virtual columns (`_part`, `_part_offset`, …) of `SELECT … FINAL`.
pub(crate) fn final_merge(
    spec: &TableSpec,
    merger: Option<Arc<dyn StateMerger>>,
    parts: &[SourcePart],
    origin: bool,
    mut sink: impl FnMut(RecordBatch) -> bool,
) -> Result<()> {
    let semantics = Semantics::new(
        &spec.engine,
        &spec.schema,
        &spec.sorting_key_columns,
        merger,
    )?;
    let bs = block_size(&spec.settings);
    let mut runs = part_runs(spec, parts, bs, false)?;
    let mut schema = Arc::clone(&spec.schema);
    if origin {
        let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
        fields.push(Arc::new(Field::new(
            "_origin_part",
            DataType::UInt32,
            false,
        )));
        fields.push(Arc::new(Field::new("_origin_row", DataType::UInt64, false)));
        schema = Arc::new(Schema::new(fields));
        runs = runs
            .into_iter()
            .enumerate()
            .map(|(i, run)| with_origin(run, i as u32, Arc::clone(&schema)))
            .collect();
    }
    let mut merge = KWayMerge::new(runs, spec.sorting_key.clone(), schema, bs)?;
    while let Some(chunk) = merge.next_chunk()? {
        let out = semantics.apply(chunk, Mode::Final)?;
        if out.num_rows() > 0 && !sink(out) {
            break;
        }
    }
    Ok(())
}

/// `run` (part number `part` of a FINAL read) with its origin columns appended.
fn with_origin(run: Run, part: u32, schema: SchemaRef) -> Run {
    let mut next_row = 0u64;
    Box::new(run.map(move |b| {
        let b = b?;
        let rows = b.num_rows() as u64;
        let mut cols = b.columns().to_vec();
        cols.push(Arc::new(UInt32Array::from(vec![part; rows as usize])));
        cols.push(Arc::new(UInt64Array::from_iter_values(
            next_row..next_row + rows,
        )));
        next_row += rows;
        RecordBatch::try_new(Arc::clone(&schema), cols).map_err(arrow_err)
    }))
}
