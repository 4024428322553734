//! Materialized views: `CREATE MATERIALIZED VIEW v TO target AS SELECT … FROM source` (or
//! with an inner table, `ENGINE = … [POPULATE]`). Every block inserted into `source` —
//! by `INSERT`, by another view, or by a Kafka consumer — runs through the view's query and
//! the result is inserted into the target, whose own views run in turn (cascades).
//!
//! The view's query is planned once: the source table is replaced by a [`BlockTable`]
//! reading the current block from a slot, and the physical plan is re-executed for every
//! block. Plans with joins are re-planned per block (a hash join caches its build side).

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session as DfSession, TableProvider};
use datafusion::datasource::TableType;
use datafusion::error::Result as DfResult;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use datafusion::sql::sqlparser::ast::{
    Ident, ObjectName, ObjectNamePart, Query, SetExpr, TableAlias, TableFactor,
};
use parking_lot::Mutex;
use sluice_common::{Error, Result, ch_err};

use crate::error::from_datafusion;
use crate::session::Session;
use crate::table::ColumnDesc;

pub mod cascade;
mod int_cast;

/// Catalog name under which a view's current block is visible to its query.
const BLOCK_CATALOG: &str = "__mv";

/// A materialized view.
pub struct MaterializedView {
    /// Database of the view.
    pub database: String,
    /// The view's name.
    pub name: String,
    /// The SELECT as written.
    pub query_text: String,
    /// The table whose inserts feed the view (the query's first FROM table).
    pub source: Option<(String, String)>,
    /// Where the rows go.
    pub target: (String, String),
    /// True when the target is the view's own inner table (dropped with the view).
    pub inner: bool,
    /// The view's columns (the query's output, typed as in the target).
    pub columns: Vec<ColumnDesc>,
    slot: Arc<Mutex<Vec<RecordBatch>>>,
    plan: tokio::sync::Mutex<Option<Planned>>,
    /// The block the cast to the target's columns reads ([`MaterializedView::fill`]).
    fill_slot: Arc<Mutex<Vec<RecordBatch>>>,
    fill: tokio::sync::Mutex<Option<FillPlan>>,
}

/// A physical plan with the task context it runs in.
type Planned = (Arc<dyn ExecutionPlan>, Arc<TaskContext>);

/// The planned cast of a view's rows to its target's stored columns, with what it was
/// planned for: the view's output schema and the target's stored `(name, type)`s.
struct FillPlan {
    input: SchemaRef,
    columns: Vec<(String, String)>,
    planned: Planned,
}

impl fmt::Debug for MaterializedView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MaterializedView")
            .field("name", &self.name)
            .field("source", &self.source)
            .field("target", &self.target)
            .finish()
    }
}

/// The first table of the query's FROM (database defaulted), if it is a plain table.
pub fn source_of(query: &Query, current_db: &str) -> Option<(String, String)> {
    let SetExpr::Select(sel) = query.body.as_ref() else {
        return None;
    };
    let TableFactor::Table {
        name, args: None, ..
    } = &sel.from.first()?.relation
    else {
        return None;
    };
    db_and_table(name, current_db)
}

/// The database and table a `t` / `db.t` name stands for (`current_db` by default).
pub fn db_and_table(name: &ObjectName, current_db: &str) -> Option<(String, String)> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.clone(),
            other => other.to_string(),
        })
        .collect();
    match parts.as_slice() {
        [t] => Some((current_db.to_string(), t.clone())),
        [d, t] => Some((d.clone(), t.clone())),
        _ => None,
    }
}

impl MaterializedView {
    /// A view (not yet planned).
    pub fn new(
        database: String,
        name: String,
        query_text: String,
        source: Option<(String, String)>,
        target: (String, String),
        inner: bool,
        columns: Vec<ColumnDesc>,
    ) -> Self {
        Self {
            database,
            name,
            query_text,
            source,
            target,
            inner,
            columns,
            slot: Arc::new(Mutex::new(Vec::new())),
            plan: tokio::sync::Mutex::new(None),
            fill_slot: Arc::new(Mutex::new(Vec::new())),
            fill: tokio::sync::Mutex::new(None),
        }
    }

    /// The view's query with its source replaced by the block table.
    fn block_query(&self, session: &Session) -> Result<Box<Query>> {
        let stmts = sluice_sql::parse_statements(&self.query_text)?;
        let Some(sluice_sql::Statement::Query(mut q)) =
            stmts.into_iter().next().map(|p| p.statement)
        else {
            return Err(Error::internal("materialized view query is not a SELECT"));
        };
        if let SetExpr::Select(sel) = q.body.as_mut()
            && let Some(first) = sel.from.first_mut()
            && let TableFactor::Table { name, alias, .. } = &mut first.relation
        {
            let table = name
                .0
                .last()
                .map(|p| match p {
                    ObjectNamePart::Identifier(i) => i.value.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            if alias.is_none() {
                *alias = Some(TableAlias {
                    explicit: true,
                    name: Ident::new(table),
                    columns: vec![],
                    at: None,
                });
            }
            *name = ObjectName(vec![
                ObjectNamePart::Identifier(Ident::new(BLOCK_CATALOG)),
                ObjectNamePart::Identifier(Ident::new("public")),
                ObjectNamePart::Identifier(Ident::new("block")),
            ]);
            // The source's ALIAS columns are computed from the block, as a SELECT from
            // the source computes them.
            let alias_cols = self.source_alias_columns(session);
            if !alias_cols.is_empty() {
                let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
                let items: Vec<String> = alias_cols
                    .iter()
                    .map(|(n, e)| format!("({e}) AS {}", quote(n)))
                    .collect();
                let sql = format!(
                    "SELECT *, {} FROM {BLOCK_CATALOG}.public.block",
                    items.join(", ")
                );
                let Some(sluice_sql::Statement::Query(subquery)) =
                    sluice_sql::parse_statements(&sql)?
                        .into_iter()
                        .next()
                        .map(|p| p.statement)
                else {
                    return Err(Error::internal("the ALIAS columns of a view's source"));
                };
                let alias = alias.clone();
                first.relation = TableFactor::Derived {
                    lateral: false,
                    subquery,
                    alias,
                    sample: None,
                };
            }
        } else {
            return Err(Error::not_implemented(
                "materialized view whose query does not start with FROM table",
            ));
        }
        Ok(q)
    }

    /// `(name, expression)` of the source table's `ALIAS` columns.
    fn source_alias_columns(&self, session: &Session) -> Vec<(String, String)> {
        let Some((db, table)) = &self.source else {
            return Vec::new();
        };
        let Some(source) = session
            .engine
            .catalog
            .table(db, table)
            .and_then(|e| e.table.clone())
        else {
            return Vec::new();
        };
        source
            .columns()
            .into_iter()
            .filter_map(|c| match c.default {
                Some((crate::table::DefaultKind::Alias, e)) => Some((c.name, e)),
                _ => None,
            })
            .collect()
    }

    /// Plans the view's query over a block with `schema`.
    async fn plan(&self, session: &Session, schema: SchemaRef) -> Result<Planned> {
        let q = self.block_query(session)?;
        plan_over(session, q, schema, &self.slot).await
    }

    /// The view's rows `out` as the target's stored `columns` ([`fill_batch`]). When that
    /// is only casts of `out`'s columns (a view whose output names every target column,
    /// as the seed pipeline's does), the cast's SELECT is planned once for the view and
    /// re-run for every block of the same schema: planning it per block cost as much as
    /// running it. Casts between integer types only (the seed pipeline's `UInt64` →
    /// `UInt32`) run without a plan ([`int_cast`]).
    ///
    /// [`fill_batch`]: crate::statements::fill::fill_batch
    pub async fn fill(
        &self,
        session: &Session,
        columns: &[ColumnDesc],
        out: RecordBatch,
    ) -> Result<RecordBatch> {
        use crate::statements::fill;
        let schema = out.schema();
        if !fill::casts_only(columns, &schema) {
            return fill::fill_batch(session, columns, out).await;
        }
        let (stored, target_schema) = fill::stored_columns(columns);
        if let Some(cols) = int_cast::cast_columns(&stored, &out) {
            let opts = datafusion::arrow::record_batch::RecordBatchOptions::new()
                .with_row_count(Some(out.num_rows()));
            return RecordBatch::try_new_with_options(target_schema, cols, &opts)
                .map_err(|e| Error::internal(format!("materialized view cast: {e}")));
        }
        let key: Vec<(String, String)> = stored
            .iter()
            .map(|c| (c.name.clone(), c.ty.to_string()))
            .collect();
        // Held until the run ends: the slot serves one run at a time.
        let mut cached = self.fill.lock().await;
        let (plan, task_ctx) = match cached.as_ref() {
            Some(f) if f.input == schema && f.columns == key => {
                (Arc::clone(&f.planned.0), Arc::clone(&f.planned.1))
            }
            _ => {
                let provided: Vec<String> =
                    schema.fields().iter().map(|f| f.name().clone()).collect();
                let (list, _) = fill::select_list(&stored, &provided);
                let sql = format!("SELECT {list} FROM {BLOCK_CATALOG}.public.block");
                let Some(sluice_sql::Statement::Query(q)) = sluice_sql::parse_statements(&sql)?
                    .into_iter()
                    .next()
                    .map(|p| p.statement)
                else {
                    return Err(Error::internal("the insert cast is not a query"));
                };
                let planned = plan_over(session, q, Arc::clone(&schema), &self.fill_slot).await?;
                let run = (Arc::clone(&planned.0), Arc::clone(&planned.1));
                *cached = Some(FillPlan {
                    input: schema,
                    columns: key,
                    planned,
                });
                run
            }
        };
        let plan = datafusion::physical_plan::execution_plan::reset_plan_states(plan)
            .map_err(from_datafusion)?;
        let rows = out.num_rows();
        *self.fill_slot.lock() = vec![out];
        let result = datafusion::physical_plan::collect(plan, task_ctx).await;
        self.fill_slot.lock().clear();
        drop(cached);
        let batches = result.map_err(from_datafusion)?;
        fill::selected_batch(&stored, &batches, &[], target_schema, rows)
    }

    /// Runs the view's query over one block of its source; returns the view's rows.
    pub async fn run_block(
        &self,
        session: &Session,
        block: RecordBatch,
    ) -> Result<Vec<RecordBatch>> {
        let mut cached = self.plan.lock().await;
        let (plan, task_ctx) = match cached.as_ref() {
            Some((p, c)) => (Arc::clone(p), Arc::clone(c)),
            None => {
                let (p, c) = self.plan(session, block.schema()).await?;
                if !has_join(&p) {
                    *cached = Some((Arc::clone(&p), Arc::clone(&c)));
                }
                (p, c)
            }
        };
        // Operators keep per-execution state (repartition channels, hash tables): a fresh
        // copy of the plan's state for every block, the expressions stay compiled.
        let plan = datafusion::physical_plan::execution_plan::reset_plan_states(plan)
            .map_err(from_datafusion)?;
        *self.slot.lock() = vec![block];
        let result = datafusion::physical_plan::collect(plan, task_ctx).await;
        self.slot.lock().clear();
        result.map_err(from_datafusion)
    }

    /// Forgets the cached plan (the source or target changed).
    pub async fn invalidate(&self) {
        *self.plan.lock().await = None;
    }
}

/// Plans `q`, whose FROM is the block table `__mv.public.block` with `schema` read from
/// `slot`.
async fn plan_over(
    session: &Session,
    mut q: Box<Query>,
    schema: SchemaRef,
    slot: &Arc<Mutex<Vec<RecordBatch>>>,
) -> Result<Planned> {
    let rctx = session.rewrite_context();
    crate::rewrite::rewrite_query(&mut q, &rctx)?;
    let mut state = session.df_state_for(&rctx);
    // `ANY`/`SEMI`/`ANTI` joins: their markers plan as in a SELECT.
    crate::rewrite::join_strictness::register_markers(&mut state);
    // One block at a time: no repartitioning, the consumer thread does the work.
    state.config_mut().options_mut().execution.target_partitions = 1;
    let ctx = datafusion::prelude::SessionContext::new_with_state(state);
    let tmp_schema = Arc::new(datafusion::catalog::memory::MemorySchemaProvider::new());
    datafusion::catalog::SchemaProvider::register_table(
        tmp_schema.as_ref(),
        "block".into(),
        Arc::new(BlockTable {
            schema,
            slot: Arc::clone(slot),
        }),
    )
    .map_err(from_datafusion)?;
    let cat = Arc::new(datafusion::catalog::MemoryCatalogProvider::new());
    datafusion::catalog::CatalogProvider::register_schema(cat.as_ref(), "public", tmp_schema)
        .map_err(from_datafusion)?;
    ctx.register_catalog(BLOCK_CATALOG, cat);
    let mut state = ctx.state();
    // The plan is kept for the view's later blocks: `now()`/`today()` must not be folded
    // into constants of this moment (ClickHouse evaluates them for each insert), so the
    // clock functions run when a block does.
    state.execution_props_mut().query_execution_start_time = None;
    let logical = state
        .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
            datafusion::sql::sqlparser::ast::Statement::Query(q),
        )))
        .await
        .map_err(from_datafusion)?;
    let join_use_nulls = session.settings.get_bool("join_use_nulls");
    let logical = crate::rewrite::join_strictness::apply_join_strictness(logical, join_use_nulls)
        .map_err(from_datafusion)?;
    let logical = if join_use_nulls {
        logical
    } else {
        crate::join_defaults::fill_outer_join_defaults(logical).map_err(from_datafusion)?
    };
    let logical = if session.settings.get_bool("group_by_use_nulls") {
        logical
    } else {
        crate::grouping_defaults::fill_grouping_set_defaults(logical).map_err(from_datafusion)?
    };
    let physical = state
        .create_physical_plan(&logical)
        .await
        .map_err(from_datafusion)?;
    Ok((physical, Arc::new(TaskContext::from(&state))))
}

fn has_join(plan: &Arc<dyn ExecutionPlan>) -> bool {
    plan.name().contains("Join") || plan.children().into_iter().any(has_join)
}

/// Per view, the part of a block the view still has to see (Kafka replay filter).
pub type ViewFilter<'a> =
    &'a (dyn Fn(&MaterializedView, &RecordBatch) -> Result<RecordBatch> + Sync);

/// Pushes blocks just written to `db.table` through every materialized view reading it,
/// into their targets (and on through the targets' views).
pub async fn push(session: &Session, db: &str, table: &str, blocks: &[RecordBatch]) -> Result<()> {
    push_filtered(session, db, table, blocks, None).await
}

/// Rows of a source block one view run sees at a time. A Kafka block holds up to 32 MiB of
/// payloads; running the views over slices of it bounds what the views' intermediate
/// columns (and the JSON functions' parsed documents, dropped after each slice) hold at
/// once, and the memory freed by one slice is reused by the next while it is still
/// mapped. Each target still gets one insert per source block.
const VIEW_SLICE_ROWS: usize = 16_384;

/// [`push`] with a per-view filter applied to each block first.
pub async fn push_filtered(
    session: &Session,
    db: &str,
    table: &str,
    blocks: &[RecordBatch],
    filter: Option<ViewFilter<'_>>,
) -> Result<()> {
    let mut push = ViewPush::new(session, db, table);
    if push.is_empty() {
        return Ok(());
    }
    push.feed(session, blocks, filter).await?;
    push.finish(session).await
}

/// The materialized views reading `db.table`, sorted by name.
pub fn views_of(
    engine: &crate::engine::Engine,
    db: &str,
    table: &str,
) -> Vec<Arc<MaterializedView>> {
    cascade::views_reading(&engine.catalog, db, table)
}

/// One view's part of a [`ViewPush`]: the view, its target and the rows for it so far.
type ViewRun = (
    Arc<MaterializedView>,
    crate::table::TableRef,
    Vec<ColumnDesc>,
    Vec<RecordBatch>,
);

/// Blocks of one source pushed through the views reading it, each target written once at
/// the end: [`push_filtered`] feeds one call's blocks, a Kafka block is fed chunk by
/// chunk as it is consumed (only the views' output is kept until the block is complete).
pub struct ViewPush {
    runs: Vec<ViewRun>,
    /// The error of the first view whose target does not resolve: the views before it
    /// run, their targets are written, then this is returned.
    failure: Option<Error>,
    /// Bytes of the rows held for the targets.
    bytes: usize,
}

impl ViewPush {
    /// The views of `db.table` (sorted by name) with their targets.
    pub fn new(session: &Session, db: &str, table: &str) -> Self {
        let views = views_of(&session.engine, db, table);
        // The views whose targets resolve, in order; a view whose target does not stops the
        // list there, and its error comes after the earlier views' targets are written.
        let mut runs = Vec::with_capacity(views.len());
        let mut failure = None;
        for mv in views {
            match view_target(session, &mv) {
                Ok((target, columns)) => runs.push((mv, target, columns, Vec::new())),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        Self {
            runs,
            failure,
            bytes: 0,
        }
    }

    /// True when no view reads the source.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.failure.is_none()
    }

    /// The views the blocks go through, in order.
    pub fn views(&self) -> impl Iterator<Item = &MaterializedView> {
        self.runs.iter().map(|(mv, ..)| mv.as_ref())
    }

    /// Bytes of the views' output held until [`ViewPush::finish`].
    pub fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    /// Runs every view over `blocks` (after `filter`, per view) and keeps their rows.
    pub async fn feed(
        &mut self,
        session: &Session,
        blocks: &[RecordBatch],
        filter: Option<ViewFilter<'_>>,
    ) -> Result<()> {
        // Slice-major: every view sees a slice before the next slice, so views reading the
        // same JSON column share its parsed documents.
        for slice in blocks.iter().flat_map(slices) {
            for (mv, _, columns, filled) in &mut self.runs {
                let b = match filter {
                    Some(f) => f(mv, &slice)?,
                    None => slice.clone(),
                };
                if b.num_rows() == 0 {
                    continue;
                }
                for out in mv.run_block(session, b).await? {
                    if out.num_rows() == 0 {
                        continue;
                    }
                    check_columns(&out, columns)?;
                    let out = mv.fill(session, columns, out).await?;
                    self.bytes += out.get_array_memory_size();
                    filled.push(out);
                }
            }
            sluice_functions::json::cache::clear_thread_cache();
        }
        Ok(())
    }

    /// Writes each target's rows (one insert per target, in view order; with the
    /// session's Kafka offsets, an empty insert records them even when a view kept no
    /// row), then returns the failure of a view whose target did not resolve, if any.
    pub async fn finish(self, session: &Session) -> Result<()> {
        for (mv, target_table, _, filled) in self.runs {
            let (tdb, tname) = &mv.target;
            Box::pin(crate::statements::insert::write_blocks(
                session,
                tdb,
                tname,
                &target_table,
                filled,
            ))
            .await?;
            // Crash tests abort here: one target written, the next not yet.
            sluice_storage::failpoint("mview_after_target");
        }
        self.failure.map_or(Ok(()), Err)
    }
}

/// Zero-copy slices of `block` of at most [`VIEW_SLICE_ROWS`] rows.
fn slices(block: &RecordBatch) -> impl Iterator<Item = RecordBatch> + '_ {
    let n = block.num_rows();
    (0..n.max(1))
        .step_by(VIEW_SLICE_ROWS)
        .map(move |at| block.slice(at, VIEW_SLICE_ROWS.min(n - at)))
}

/// The target table of `mv` and its columns.
fn view_target(
    session: &Session,
    mv: &MaterializedView,
) -> Result<(crate::table::TableRef, Vec<ColumnDesc>)> {
    let (tdb, tname) = &mv.target;
    let target = session.engine.catalog.table(tdb, tname).ok_or_else(|| {
        ch_err!(
            UNKNOWN_TABLE,
            "Target table {tdb}.{tname} of materialized view {}.{} does not exist",
            mv.database,
            mv.name
        )
    })?;
    let Some(target_table) = target.table.clone() else {
        return Err(ch_err!(
            INCORRECT_QUERY,
            "Target {tdb}.{tname} of a materialized view is a view"
        ));
    };
    let columns = target_table.columns();
    Ok((target_table, columns))
}

/// Every column the view outputs must exist in the target (ClickHouse's error 8).
pub fn check_columns(out: &RecordBatch, target: &[ColumnDesc]) -> Result<()> {
    for f in out.schema().fields() {
        if !target.iter().any(|c| &c.name == f.name()) {
            return Err(ch_err!(
                THERE_IS_NO_COLUMN,
                "SELECT query outputs column with name '{}', which is not found in the target table. Use 'AS' to assign alias that matches a column name",
                f.name()
            ));
        }
    }
    Ok(())
}

/// The source table of a view as seen by the view's query: the current block.
#[derive(Debug)]
struct BlockTable {
    schema: SchemaRef,
    slot: Arc<Mutex<Vec<RecordBatch>>>,
}

#[async_trait::async_trait]
impl TableProvider for BlockTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn DfSession,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let schema = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(Arc::new(BlockExec {
            schema,
            projection: projection.cloned(),
            slot: Arc::clone(&self.slot),
            properties,
        }))
    }
}

/// Reads the slot's current block (projected) each time it is executed.
#[derive(Debug)]
struct BlockExec {
    schema: SchemaRef,
    projection: Option<Vec<usize>>,
    slot: Arc<Mutex<Vec<RecordBatch>>>,
    properties: Arc<PlanProperties>,
}

impl DisplayAs for BlockExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlockExec")
    }
}

impl ExecutionPlan for BlockExec {
    fn name(&self) -> &'static str {
        "BlockExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(
            &Arc<dyn datafusion::physical_expr::PhysicalExpr>,
        ) -> DfResult<datafusion::common::tree_node::TreeNodeRecursion>,
    ) -> DfResult<datafusion::common::tree_node::TreeNodeRecursion> {
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        _partition: usize,
        _context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let batches: Vec<DfResult<RecordBatch>> = self
            .slot
            .lock()
            .iter()
            .map(|b| match &self.projection {
                Some(p) => b.project(p).map_err(Into::into),
                None => Ok(b.clone()),
            })
            .collect();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            futures::stream::iter(batches),
        )))
    }
}
