//! `PartScanExec`: reads parts on a blocking thread — either merged per partition with
//! the engine's `FINAL` semantics, or plainly (parts whose stored schema differs from the
//! table's after an `ALTER`, adapted batch by batch). One DataFusion partition per group
//! of table partitions.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{Field, SchemaRef};
use datafusion::common::stats::Precision;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{ScalarValue, Statistics};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::TaskContext;
use datafusion::functions_aggregate::min_max::{MaxAccumulator, MinAccumulator};
use datafusion::logical_expr::Accumulator;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::statistics::StatisticsArgs;
use datafusion::physical_plan::stream::RecordBatchReceiverStream;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SendableRecordBatchStream,
};
use sluice_common::ChType;

use crate::expr::StateMerger;
use crate::merge_task::{SourcePart, final_merge};
use crate::part_io::read_part;
use crate::spec::TableSpec;
use crate::virtual_columns::{self, PartPosition};

/// How parts are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanMode {
    /// Part after part, adapted to the table schema.
    Plain,
    /// Merged per partition with `FINAL` semantics.
    Final,
}

/// Reads groups of parts (one group per output partition).
#[derive(Debug)]
pub(crate) struct PartScanExec {
    spec: TableSpec,
    merger: Option<Arc<dyn StateMerger>>,
    /// Per output partition: groups of parts that are merged together (one table
    /// partition each in `Final` mode).
    groups: Vec<Vec<Vec<SourcePart>>>,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    mode: ScanMode,
    props: Arc<PlanProperties>,
    /// With virtual columns: the stored + virtual schema that
    /// `projection` indexes, and each part's position in the query.
    virtuals: Option<(SchemaRef, Arc<HashMap<String, PartPosition>>)>,
}

impl PartScanExec {
    pub(crate) fn new(
        spec: TableSpec,
        merger: Option<Arc<dyn StateMerger>>,
        groups: Vec<Vec<Vec<SourcePart>>>,
        projection: Option<Vec<usize>>,
        mode: ScanMode,
    ) -> DfResult<Self> {
        let n = spec.schema.fields().len();
        let schema = match &projection {
            Some(p) => Arc::new(
                spec.schema
                    .project(&p.iter().copied().filter(|&i| i < n).collect::<Vec<_>>())?,
            ),
            None => Arc::clone(&spec.schema),
        };
        let props = PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(groups.len().max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(Self {
            spec,
            merger,
            groups,
            projection,
            schema,
            mode,
            props: Arc::new(props),
            virtuals: None,
        })
    }

    /// Reads the virtual columns too: `projection` indexes `full_schema` (the stored
    /// columns followed by the virtual ones).
    pub(crate) fn with_virtuals(
        mut self,
        full_schema: SchemaRef,
        positions: HashMap<String, PartPosition>,
        projection: Option<Vec<usize>>,
    ) -> DfResult<Self> {
        let schema = match &projection {
            Some(p) => Arc::new(full_schema.project(p)?),
            None => Arc::clone(&full_schema),
        };
        self.props = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(self.groups.len().max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        self.schema = schema;
        self.projection = projection;
        self.virtuals = Some((full_schema, Arc::new(positions)));
        Ok(self)
    }
}

impl DisplayAs for PartScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let parts: usize = self.groups.iter().flatten().map(Vec::len).sum();
        write!(f, "PartScanExec: mode={:?}, parts={parts}", self.mode)
    }
}

/// Statistics of a scan of `parts` for the planner (join sides, repartitioning, the
/// engine's dense `GROUP BY`): the manifests' row counts and uncompressed bytes, and each
/// column's smallest minimum and largest maximum over the parts. All inexact: filters,
/// `FINAL` and lightweight deletes drop rows, so the values are bounds, not the values read.
pub(crate) fn part_statistics<'a>(
    schema: &SchemaRef,
    parts: impl IntoIterator<Item = &'a SourcePart>,
) -> Statistics {
    let parts: Vec<&SourcePart> = parts.into_iter().collect();
    let (rows, bytes) = parts.iter().fold((0u64, 0u64), |(r, b), sp| {
        (r + sp.part.rows(), b + sp.part.manifest.uncompressed_bytes)
    });
    let mut stats = Statistics::new_unknown(schema);
    stats.num_rows = Precision::Inexact(rows as usize);
    stats.total_byte_size = Precision::Inexact(bytes as usize);
    for (field, col) in schema.fields().iter().zip(&mut stats.column_statistics) {
        if let Some((lo, hi)) = column_range(field, &parts) {
            col.min_value = Precision::Inexact(lo);
            col.max_value = Precision::Inexact(hi);
        }
    }
    stats
}

/// The range of `field`'s values over `parts` from their manifests, when every part has
/// it under the same name and type (a part written before an `ALTER` may not).
fn column_range(field: &Field, parts: &[&SourcePart]) -> Option<(ScalarValue, ScalarValue)> {
    if parts.is_empty() || !crate::stats::orderable(field.data_type()) {
        return None;
    }
    let ch_type = ChType::from_field(field).to_string();
    let (mut los, mut his) = (
        Vec::with_capacity(parts.len()),
        Vec::with_capacity(parts.len()),
    );
    for sp in parts {
        if !sp.renames.is_empty() {
            return None;
        }
        let c = sp.part.manifest.column(field.name())?;
        if c.ch_type != ch_type {
            return None;
        }
        los.push(c.min.as_deref()?);
        his.push(c.max.as_deref()?);
    }
    let extreme = |texts: Vec<&str>, max: bool| -> Option<ScalarValue> {
        let arr: ArrayRef = Arc::new(StringArray::from(texts));
        let typed = cast(&arr, field.data_type()).ok()?;
        if typed.null_count() > 0 {
            return None;
        }
        let mut acc: Box<dyn Accumulator> = if max {
            Box::new(MaxAccumulator::try_new(field.data_type()).ok()?)
        } else {
            Box::new(MinAccumulator::try_new(field.data_type()).ok()?)
        };
        acc.update_batch(&[typed]).ok()?;
        acc.evaluate().ok().filter(|v| !v.is_null())
    };
    Some((extreme(los, false)?, extreme(his, true)?))
}

fn to_df(e: sluice_common::Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

impl ExecutionPlan for PartScanExec {
    fn name(&self) -> &'static str {
        "PartScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.props
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DfResult<TreeNodeRecursion>,
    ) -> DfResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn statistics_from_inputs(
        &self,
        _input_stats: &[Arc<Statistics>],
        args: &StatisticsArgs,
    ) -> DfResult<Arc<Statistics>> {
        let groups: Vec<&Vec<Vec<SourcePart>>> = match args.partition() {
            Some(i) => self.groups.get(i).into_iter().collect(),
            None => self.groups.iter().collect(),
        };
        let parts = groups.into_iter().flatten().flatten();
        Ok(Arc::new(part_statistics(&self.schema, parts)))
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let groups = self.groups.get(partition).cloned().unwrap_or_default();
        let spec = self.spec.clone();
        let merger = self.merger.clone();
        let projection = self.projection.clone();
        let mode = self.mode;
        let virtuals = self.virtuals.clone();
        let batch_size = context.session_config().batch_size();
        let mut builder = RecordBatchReceiverStream::builder(Arc::clone(&self.schema), 2);
        let tx = builder.tx();
        builder.spawn_blocking(move || {
            let project = |b: RecordBatch| -> DfResult<RecordBatch> {
                match &projection {
                    Some(p) => Ok(b.project(p)?),
                    None => Ok(b),
                }
            };
            for group in groups {
                let mut closed = false;
                match mode {
                    ScanMode::Final => {
                        let mut failed = None;
                        let origin = virtuals.is_some();
                        let with_virtuals = |b: RecordBatch| -> DfResult<RecordBatch> {
                            match &virtuals {
                                Some((full, positions)) => project(
                                    virtual_columns::from_origin(b, full, &group, positions)
                                        .map_err(to_df)?,
                                ),
                                None => project(b),
                            }
                        };
                        final_merge(
                            &spec,
                            merger.clone(),
                            &group,
                            origin,
                            |b| match with_virtuals(b) {
                                Ok(b) => {
                                    closed = tx.blocking_send(Ok(b)).is_err();
                                    !closed
                                }
                                Err(e) => {
                                    failed = Some(e);
                                    false
                                }
                            },
                        )
                        .map_err(to_df)?;
                        if let Some(e) = failed {
                            return Err(e);
                        }
                    }
                    ScanMode::Plain => {
                        for sp in &group {
                            let it = read_part(
                                &sp.part.dir,
                                &spec.schema,
                                &sp.renames,
                                &sp.defaults,
                                batch_size,
                            )
                            .map_err(to_df)?;
                            let mut first_row = 0u64;
                            for b in it {
                                let mut b = b.map_err(to_df)?;
                                if let Some((full, positions)) = &virtuals {
                                    let pos = positions
                                        .get(&sp.part.name.to_string())
                                        .copied()
                                        .unwrap_or_default();
                                    let rows = b.num_rows() as u64;
                                    b = virtual_columns::append(b, full, sp, pos, first_row)
                                        .map_err(to_df)?;
                                    first_row += rows;
                                }
                                let b = project(b)?;
                                if tx.blocking_send(Ok(b)).is_err() {
                                    closed = true;
                                    break;
                                }
                            }
                            if closed {
                                break;
                            }
                        }
                    }
                }
                if closed {
                    break;
                }
            }
            Ok(())
        });
        Ok(builder.build())
    }
}
