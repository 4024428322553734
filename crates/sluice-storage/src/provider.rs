//! The DataFusion `TableProvider` over a snapshot of a table's active parts: part-level
//! pruning from manifests (`PruningPredicate` over [`ManifestStatistics`]), then
//! DataFusion's Parquet scan with the filters pushed down (row groups and pages pruned by
//! statistics and page indexes), or `FINAL` merge-on-read.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::DFSchema;
use datafusion::datasource::TableType;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::pruning::PruningPredicateBuilder;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::physical_plan::union::UnionExec;
use sluice_common::ChType;

use crate::expr::StateMerger;
use crate::merge_task::SourcePart;
use crate::scan_exec::{PartScanExec, ScanMode, part_statistics};
use crate::spec::TableSpec;
use crate::stats::ManifestStatistics;
use crate::table::MergeTreeTable;
use crate::virtual_columns::{PER_PART, is_virtual, part_row, positions, with_virtuals};

/// A snapshot of a table for one query.
#[derive(Debug)]
pub struct MergeTreeProvider {
    spec: TableSpec,
    /// The stored columns followed by the virtual ones (`_part`, …).
    full_schema: SchemaRef,
    merger: Option<Arc<dyn StateMerger>>,
    parts: Vec<SourcePart>,
    final_: bool,
}

impl MergeTreeTable {
    /// A `TableProvider` over the current active parts; with `final_`, merge-on-read with
    /// the engine's semantics (`SELECT … FINAL`).
    pub fn provider(&self, final_: bool) -> Arc<dyn TableProvider> {
        self.provider_with(final_, false)
    }

    /// Like [`MergeTreeTable::provider`]; with `virtual_columns`, the schema also has the
    /// virtual columns (`_part`, `_partition_id`, … after the stored ones; see
    /// [`crate::virtual_columns`]) unless a stored column takes one of their names.
    pub fn provider_with(&self, final_: bool, virtual_columns: bool) -> Arc<dyn TableProvider> {
        let parts: Vec<_> = self
            .active_parts()
            .into_iter()
            .filter(|p| p.rows() > 0)
            .collect();
        let spec = self.spec();
        // A stored column named like a virtual one hides them all (ClickHouse lets real
        // columns shadow virtual ones).
        let full_schema =
            if !virtual_columns || spec.schema.fields().iter().any(|f| is_virtual(f.name())) {
                Arc::clone(&spec.schema)
            } else {
                with_virtuals(&spec.schema).unwrap_or_else(|_| Arc::clone(&spec.schema))
            };
        Arc::new(MergeTreeProvider {
            full_schema,
            spec,
            merger: self.merger.read().clone(),
            parts: self.sources(&parts),
            final_,
        })
    }
}

impl MergeTreeProvider {
    /// True when the part's stored columns are exactly the table's (DataFusion's Parquet
    /// scan can read it as is).
    fn same_schema(&self, sp: &SourcePart) -> bool {
        let cols = &sp.part.manifest.columns;
        sp.renames.is_empty()
            && cols.len() == self.spec.schema.fields().len()
            && self
                .spec
                .schema
                .fields()
                .iter()
                .zip(cols)
                .all(|(f, c)| f.name() == &c.name && ChType::from_field(f).to_string() == c.ch_type)
    }

    fn prune(&self, predicate: Option<&Arc<dyn PhysicalExpr>>) -> Vec<SourcePart> {
        let Some(pred) = predicate else {
            return self.parts.clone();
        };
        let Some(pp) = PruningPredicateBuilder::new()
            .with_file_schema(Arc::clone(&self.spec.schema))
            .build(Arc::clone(pred))
        else {
            return self.parts.clone();
        };
        let stats = ManifestStatistics {
            schema: Arc::clone(&self.spec.schema),
            manifests: self.parts.iter().map(|p| &p.part.manifest).collect(),
        };
        match pp.prune(&stats) {
            Ok(keep) => self
                .parts
                .iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(p, _)| p.clone())
                .collect(),
            Err(_) => self.parts.clone(),
        }
    }
}

fn to_df(e: sluice_common::Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

fn spread<T>(items: Vec<T>, n: usize) -> Vec<Vec<T>> {
    let n = n.max(1).min(items.len().max(1));
    let mut out: Vec<Vec<T>> = (0..n).map(|_| Vec::new()).collect();
    for (i, it) in items.into_iter().enumerate() {
        out[i % n].push(it);
    }
    out.retain(|g| !g.is_empty());
    out
}

#[async_trait::async_trait]
impl TableProvider for MergeTreeProvider {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.full_schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let schema = Arc::clone(&self.spec.schema);
        let n_stored = schema.fields().len();
        let physical = |exprs: Vec<Expr>, schema: &SchemaRef| -> Option<Arc<dyn PhysicalExpr>> {
            let expr = conjunction(exprs)?;
            let dfs = DFSchema::try_from(schema.as_ref().clone()).ok()?;
            state.create_physical_expr(expr, &dfs).ok()
        };
        // Filters on stored columns go to pruning and the Parquet scan; filters on per-part
        // virtual columns (`_part`, `_partition_id`, …) skip whole parts. DataFusion applies
        // every filter again above the scan (pushdown is Inexact).
        let (virtual_filters, stored_filters): (Vec<Expr>, Vec<Expr>) =
            filters.iter().cloned().partition(|f| {
                f.column_refs()
                    .iter()
                    .any(|c| schema.index_of(&c.name).is_err() && is_virtual(&c.name))
            });
        let virtual_filters: Vec<Expr> = virtual_filters
            .into_iter()
            .filter(|f| {
                f.column_refs()
                    .iter()
                    .all(|c| PER_PART.contains(&c.name.as_str()))
            })
            .collect();
        let predicate = physical(stored_filters.clone(), &schema);
        // FINAL applies WHERE to the merged rows, so parts may only be skipped by filters
        // on sorting-key columns (rows sharing a key all pass or all fail them).
        let prune_with = if self.final_ {
            let key = &self.spec.sorting_key_columns;
            physical(
                stored_filters
                    .iter()
                    .filter(|f| f.column_refs().iter().all(|c| key.contains(&c.name)))
                    .cloned()
                    .collect(),
                &schema,
            )
        } else {
            predicate.clone()
        };
        let mut parts = self.prune(prune_with.as_ref());
        if !self.final_
            && let Some(vp) = physical(
                virtual_filters,
                &Arc::new(datafusion::arrow::datatypes::Schema::new(
                    crate::virtual_columns::virtual_fields().map_err(to_df)?,
                )),
            )
        {
            let pos = positions(&parts);
            let mut kept = Vec::with_capacity(parts.len());
            for sp in parts {
                let Some(p) = pos.get(&sp.part.name.to_string()) else {
                    continue;
                };
                let row = part_row(&sp, *p).map_err(to_df)?;
                let keep = vp
                    .evaluate(&row)
                    .and_then(|v| v.into_array(1))
                    .map(|a| {
                        a.as_any()
                            .downcast_ref::<datafusion::arrow::array::BooleanArray>()
                            .is_none_or(|b| {
                                datafusion::arrow::array::Array::is_null(b, 0) || b.value(0)
                            })
                    })
                    .unwrap_or(true);
                if keep {
                    kept.push(sp);
                }
            }
            parts = kept;
        }
        let target = state.config().target_partitions().max(1);
        let wants_virtual = match projection {
            Some(p) => p.iter().any(|&i| i >= n_stored),
            None => true,
        };
        let projected = match projection {
            Some(p) => Arc::new(self.full_schema.project(p)?),
            None => Arc::clone(&self.full_schema),
        };
        if parts.is_empty() {
            return Ok(Arc::new(EmptyExec::new(projected)));
        }
        if wants_virtual {
            let pos = positions(&parts);
            // FINAL: one merge over all parts, each surviving row showing its origin.
            let (groups, mode) = if self.final_ {
                (vec![vec![parts]], ScanMode::Final)
            } else {
                let groups = spread(parts, target).into_iter().map(|g| vec![g]).collect();
                (groups, ScanMode::Plain)
            };
            let exec = PartScanExec::new(
                self.spec.clone(),
                self.merger.clone(),
                groups,
                projection.cloned(),
                mode,
            )?
            .with_virtuals(Arc::clone(&self.full_schema), pos, projection.cloned())?;
            return Ok(Arc::new(exec));
        }
        if self.final_ {
            // As in ClickHouse (do_not_merge_across_partitions_select_final = 0), FINAL
            // merges rows of equal key across partitions too: one merge over all parts.
            let groups = vec![vec![parts]];
            let exec = PartScanExec::new(
                self.spec.clone(),
                self.merger.clone(),
                groups,
                projection.cloned(),
                ScanMode::Final,
            )?;
            return Ok(Arc::new(exec));
        }
        let (fast, slow): (Vec<SourcePart>, Vec<SourcePart>) =
            parts.into_iter().partition(|p| self.same_schema(p));
        let mut plans: Vec<Arc<dyn ExecutionPlan>> = Vec::new();
        if !fast.is_empty() {
            let mut source = ParquetSource::new(Arc::clone(&schema)).with_enable_page_index(true);
            if let Some(p) = &predicate {
                source = source.with_predicate(Arc::clone(p));
            }
            let files: Vec<PartitionedFile> = fast
                .iter()
                .map(|sp| {
                    // The object store resolves paths from the root: a table opened under a
                    // relative `--path` still needs an absolute file name.
                    let path = sp.part.data_path();
                    let path = std::path::absolute(&path).unwrap_or(path);
                    PartitionedFile::new(
                        path.to_string_lossy().into_owned(),
                        sp.part.manifest.data_size,
                    )
                })
                .collect();
            let groups: Vec<FileGroup> = spread(files, target)
                .into_iter()
                .map(FileGroup::new)
                .collect();
            let config =
                FileScanConfigBuilder::new(ObjectStoreUrl::local_filesystem(), Arc::new(source))
                    .with_statistics(part_statistics(&schema, &fast))
                    .with_file_groups(groups)
                    .with_projection_indices(projection.cloned())?
                    .with_limit(limit)
                    .build();
            let pinned = fast.iter().map(|sp| Arc::clone(&sp.part)).collect();
            plans.push(Arc::new(crate::keep_alive::PinPartsExec::new(
                DataSourceExec::from_data_source(config),
                pinned,
            )));
        }
        if !slow.is_empty() {
            let groups = spread(slow, target).into_iter().map(|g| vec![g]).collect();
            plans.push(Arc::new(PartScanExec::new(
                self.spec.clone(),
                self.merger.clone(),
                groups,
                projection.cloned(),
                ScanMode::Plain,
            )?));
        }
        UnionExec::try_new(plans)
    }
}
