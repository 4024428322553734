//! [`Session`]: a user's connection state (current database, settings) and statement
//! execution. Each statement is dispatched to `statements::*`; SELECTs are rewritten
//! (`rewrite`) and planned on DataFusion.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemoryCatalogProviderList;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::TaskContext;
use datafusion::execution::session_state::SessionState;
use datafusion::physical_plan::ExecutionPlan;
use sluice_common::{Error, Result, Settings};
use sluice_sql::ParsedStatement;

use crate::df_catalog::{CATALOG_NAME, SluiceCatalogProvider};
use crate::engine::EngineRef;
use crate::rewrite::RewriteContext;
use crate::system::SystemTables;

/// Counters a query updates while it runs (read by servers for progress and summaries).
#[derive(Debug, Default)]
pub struct Progress {
    /// Rows read from tables.
    pub read_rows: AtomicU64,
    /// Bytes read from tables.
    pub read_bytes: AtomicU64,
    /// Rows written by INSERT.
    pub written_rows: AtomicU64,
    /// Bytes written by INSERT.
    pub written_bytes: AtomicU64,
    /// Rows in the result.
    pub result_rows: AtomicU64,
}

impl Progress {
    /// Adds to written rows/bytes.
    pub fn add_written(&self, rows: u64, bytes: u64) {
        self.written_rows.fetch_add(rows, Ordering::Relaxed);
        self.written_bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// The result of one statement.
pub struct QueryOutput {
    /// Result schema (empty for statements without a result).
    pub schema: SchemaRef,
    /// Result rows; None for statements that return nothing (DDL, INSERT, SET…).
    pub stream: Option<SendableRecordBatchStream>,
    /// `FORMAT` clause of the statement, if any.
    pub format: Option<String>,
    /// `WITH TOTALS` row.
    pub totals: Option<RecordBatch>,
    /// Progress counters.
    pub progress: Arc<Progress>,
}

impl std::fmt::Debug for QueryOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryOutput")
            .field("schema", &self.schema)
            .field("has_stream", &self.stream.is_some())
            .field("format", &self.format)
            .finish()
    }
}

impl QueryOutput {
    /// A statement without result rows.
    pub fn empty() -> Self {
        Self {
            schema: Arc::new(datafusion::arrow::datatypes::Schema::empty()),
            stream: None,
            format: None,
            totals: None,
            progress: Arc::new(Progress::default()),
        }
    }

    /// A fixed result.
    pub fn batches(schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<Self> {
        let stream = datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(
            Arc::clone(&schema),
            futures::stream::iter(batches.into_iter().map(Ok)),
        );
        Ok(Self {
            schema,
            stream: Some(Box::pin(stream)),
            format: None,
            totals: None,
            progress: Arc::new(Progress::default()),
        })
    }

    /// Collects all result batches.
    pub async fn collect(self) -> Result<Vec<RecordBatch>> {
        use futures::StreamExt;
        let mut out = Vec::new();
        if let Some(mut s) = self.stream {
            while let Some(b) = s.next().await {
                out.push(b.map_err(crate::error::from_datafusion)?);
            }
        }
        Ok(out)
    }
}

/// Data sent with an INSERT by the client (HTTP body, native Data packets, stdin).
pub enum InsertInput {
    /// Raw bytes in the statement's `FORMAT` (or `format` if given).
    Bytes {
        /// Format name override (HTTP `INSERT … FORMAT X` has it in the query).
        format: Option<String>,
        /// The data.
        data: Vec<u8>,
    },
    /// Already decoded batches (native protocol), columns in the INSERT's column order.
    Batches(Vec<RecordBatch>),
}

/// A session: current database, settings, and statement execution.
pub struct Session {
    pub(crate) engine: EngineRef,
    pub(crate) current_db: String,
    pub(crate) settings: Settings,
    /// Kafka offsets after the block being written (exactly-once): stored in the parts
    /// the block produces.
    pub(crate) source_offsets: Option<Vec<(sluice_storage::SourceKey, i64)>>,
    /// Set while a materialized view's query is planned (see `RewriteContext`).
    pub(crate) planning_view: bool,
    /// The authenticated user (`default` for `sluice local` and internal sessions).
    pub user: String,
    /// The server query being executed (see [`Session::execute_tracked`]): its memory pool
    /// serves the query's plans, and `KILL QUERY` does not kill it.
    pub(crate) current_query: Option<Arc<crate::processes::QueryStatus>>,
    /// The settings before the last statement's `SETTINGS` clause, put back when the next
    /// statement starts (or a setting changes): until then [`Session::settings`] and
    /// [`Session::timezone`] still show the clause, so the caller formats that statement's
    /// result with it (`SELECT toDateTime(0) SETTINGS session_timezone = 'Asia/Tokyo'`
    /// prints Tokyo time, as in ClickHouse).
    query_settings_saved: Option<Settings>,
    /// Query parameters set with `SET param_<name> = value` (or `--param_<name>`): names
    /// without `param_`, values as text; they bind the `{name:Type}` placeholders of later
    /// statements (a request's own parameters win).
    query_params: Vec<(String, String)>,
}

impl Session {
    pub(crate) fn new(engine: EngineRef) -> Self {
        let settings = engine.default_settings.clone();
        Self {
            engine,
            current_db: "default".to_string(),
            settings,
            source_offsets: None,
            planning_view: false,
            user: "default".to_string(),
            current_query: None,
            query_settings_saved: None,
            query_params: Vec::new(),
        }
    }

    /// The engine.
    pub fn engine(&self) -> &EngineRef {
        &self.engine
    }

    /// Current database.
    pub fn current_database(&self) -> &str {
        &self.current_db
    }

    /// `USE db`.
    pub fn set_current_database(&mut self, db: &str) -> Result<()> {
        if !self.engine.catalog.database_exists(db) {
            return Err(sluice_common::ch_err!(
                UNKNOWN_DATABASE,
                "Database {db} does not exist"
            ));
        }
        self.current_db = db.to_string();
        Ok(())
    }

    /// Session settings, with the last statement's `SETTINGS` clause applied until the next
    /// statement starts (the caller formats that statement's output with them).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Changes a session setting (validated).
    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        self.end_query_settings();
        if let Some(param) = name.strip_prefix("param_") {
            self.query_params.retain(|(n, _)| n != param);
            self.query_params
                .push((param.to_string(), value.to_string()));
            return Ok(());
        }
        self.settings.set(name, value)?;
        if let Some(other) = crate::setting_aliases::other_name(name) {
            self.settings.set(other, value)?;
        }
        Ok(())
    }

    /// The query parameters set in this session (`SET param_<name> = value`).
    pub fn query_params(&self) -> &[(String, String)] {
        &self.query_params
    }

    /// Puts back the settings the last statement's `SETTINGS` clause replaced.
    pub(crate) fn end_query_settings(&mut self) {
        if let Some(saved) = self.query_settings_saved.take() {
            self.settings = saved;
        }
    }

    /// The session time zone (`session_timezone`, else the server's, UTC by default).
    pub fn timezone(&self) -> String {
        self.settings
            .get("session_timezone")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "UTC".to_string())
    }

    /// Splits SQL text into statements.
    pub fn parse(&self, sql: &str) -> Result<Vec<ParsedStatement>> {
        if !sql.contains("Identifier") {
            return sluice_sql::parse_statements(sql);
        }
        // `{name:Identifier}` parameters are syntax: substituted before parsing.
        let sql =
            crate::rewrite::query_params::substitute_identifiers(sql, &self.query_params, true)?;
        sluice_sql::parse_statements(&sql)
    }

    /// Parses and runs every statement; returns each statement's output in order, stopping
    /// at the first error. Results with streams must be consumed by the caller before the
    /// next statement would observe their effects, so this helper collects them.
    pub async fn execute_sql(&mut self, sql: &str) -> Result<Vec<(QueryOutput, Vec<RecordBatch>)>> {
        let mut out = Vec::new();
        for stmt in self.parse(sql)? {
            let mut o = self.execute(stmt, None).await?;
            let stream = o.stream.take();
            let mut batches = Vec::new();
            if let Some(mut s) = stream {
                use futures::StreamExt;
                while let Some(b) = s.next().await {
                    batches.push(b.map_err(crate::error::from_datafusion)?);
                }
            }
            out.push((o, batches));
        }
        Ok(out)
    }

    /// See [`crate::statements::insert::block_insert_target`].
    pub fn block_insert_target(
        &self,
        stmt: &ParsedStatement,
    ) -> Result<Option<(SchemaRef, Vec<crate::table::ColumnDesc>)>> {
        crate::statements::insert::block_insert_target(self, stmt)
    }

    /// Runs one parsed statement.
    pub async fn execute(
        &mut self,
        stmt: ParsedStatement,
        input: Option<InsertInput>,
    ) -> Result<QueryOutput> {
        // Per-query settings (`SETTINGS …` clause) apply to this statement and its output
        // only: on success they are put back when the next statement starts.
        self.end_query_settings();
        let saved = if stmt.settings.is_empty() {
            None
        } else {
            let mut with_clause = self.settings.clone();
            for (k, v) in &stmt.settings {
                with_clause.set(k, &setting_text(v))?;
                if let Some(other) = crate::setting_aliases::other_name(k) {
                    with_clause.set(other, &setting_text(v))?;
                }
            }
            Some(std::mem::replace(&mut self.settings, with_clause))
        };
        let format = stmt.format.clone();
        // Boxed: the statement futures are large and callers hold this one across awaits.
        let result = Box::pin(crate::statements::execute(self, stmt, input)).await;
        if let Some(s) = saved {
            if result.is_ok() {
                self.query_settings_saved = Some(s);
            } else {
                self.settings = s;
            }
        }
        let mut out = result?;
        if out.format.is_none() {
            out.format = format;
        }
        Ok(out)
    }

    /// A DataFusion state for one query: the engine's functions, this session's database
    /// and time zone, and a catalog whose `system` tables see this session's settings.
    /// [`Session::df_state`] plus the aggregates a rewrite resolved on demand.
    pub(crate) fn df_state_for(&self, ctx: &RewriteContext) -> SessionState {
        let mut state = self.df_state();
        for udaf in ctx.extra_aggregates.borrow().iter() {
            let _ = datafusion::execution::registry::FunctionRegistry::register_udaf(
                &mut state,
                Arc::new(udaf.clone()),
            );
        }
        for udf in ctx.extra_scalars.borrow().iter() {
            let _ = datafusion::execution::registry::FunctionRegistry::register_udf(
                &mut state,
                Arc::new(udf.clone()),
            );
        }
        // Lambdas (the only users of this state) are registered as extra scalars; other
        // queries skip the copy.
        if !ctx.extra_scalars.borrow().is_empty() {
            let _ = ctx.lambda_state.set(state.clone());
        }
        state
    }

    pub(crate) fn df_state(&self) -> SessionState {
        let system = Arc::new(SystemTables {
            catalog: Arc::clone(&self.engine.catalog),
            settings: self.settings.clone(),
            functions: Arc::clone(&self.engine.function_infos),
            dead_letters: Arc::clone(&self.engine.dead_letters),
            processes: Arc::clone(&self.engine.processes),
        });
        let list = Arc::new(MemoryCatalogProviderList::new());
        datafusion::catalog::CatalogProviderList::register_catalog(
            list.as_ref(),
            CATALOG_NAME.to_string(),
            Arc::new(SluiceCatalogProvider::new(
                Arc::clone(&self.engine.catalog),
                system,
            )),
        );
        // A clone of the engine's state, not `SessionStateBuilder::new_from_existing(…)
        // .build()`: the builder registers every function again (names, aliases), which
        // cost about 3 ms of CPU per query, more than planning and running `SELECT 1`.
        let mut state = self.engine.base_state.clone();
        state.register_catalog_list(list);
        let opts = state.config_mut().options_mut();
        opts.catalog.default_schema = self.current_db.clone();
        opts.execution.time_zone = Some(self.timezone());
        let bs = self.settings.get_u64("max_block_size");
        if bs > 0
            && let Ok(v) = datafusion::config::ConfigNonZeroUsize::try_new(bs.min(1 << 20) as usize)
        {
            opts.execution.batch_size = v;
        }
        // `max_threads = N`: plans run on N partitions (aggregations over `numbers()` and
        // Memory tables are split in N, hash repartitions make N); `auto` (the default,
        // `auto(2)` as the oracle reports it) keeps the engine's `target_partitions`.
        let threads = self.settings.get_u64("max_threads");
        if threads > 0 {
            opts.execution.target_partitions = threads.min(256) as usize;
        }
        state
    }

    /// The task context a query's plan executes with: a tracked query's own memory pool
    /// (`max_memory_usage`, `memory_usage` in `system.processes`), else the engine's.
    pub(crate) fn task_ctx(&self, state: &SessionState) -> Arc<TaskContext> {
        let ctx = TaskContext::from(state);
        match self
            .current_query
            .as_ref()
            .and_then(|q| crate::memory::query_runtime(state.runtime_env(), q))
        {
            Some(env) => Arc::new(ctx.with_runtime(env)),
            None => Arc::new(ctx),
        }
    }

    /// A tracked query's physical plan with its leaves counting `read_rows`/`read_bytes`
    /// ([`crate::scan_count::CountScans`]); other plans unchanged.
    pub(crate) fn count_scans(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        state: &SessionState,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(q) = &self.current_query else {
            return Ok(plan);
        };
        use datafusion::physical_optimizer::PhysicalOptimizerRule;
        crate::scan_count::CountScans::new(Arc::clone(&q.read))
            .optimize(plan, state.config_options())
            .map_err(crate::error::from_datafusion)
    }

    /// What the AST rewrites need.
    pub(crate) fn rewrite_context(&self) -> RewriteContext {
        RewriteContext {
            catalog: Arc::clone(&self.engine.catalog),
            current_db: self.current_db.clone(),
            functions: Arc::clone(&self.engine.function_names),
            functions_ci: Arc::clone(&self.engine.functions_ci),
            with_totals: std::cell::Cell::new(false),
            depth: std::cell::Cell::new(0),
            with_aliases: std::cell::RefCell::new(Vec::new()),
            hidden: std::cell::RefCell::new(Vec::new()),
            extra_aggregates: std::cell::RefCell::new(Vec::new()),
            extra_scalars: std::cell::RefCell::new(Vec::new()),
            lambda_state: Arc::new(std::sync::OnceLock::new()),
            relations: std::cell::RefCell::new(Vec::new()),
            timezone: self.timezone(),
            user: self.user.clone(),
            query_id: self
                .current_query
                .as_ref()
                .map(|q| q.query_id.clone())
                .unwrap_or_default(),
            settings: self.settings.clone(),
            reads_virtuals: std::cell::Cell::new(false),
            planning_view: self.planning_view,
            allow_direct_select: self
                .settings
                .get_bool("stream_like_engine_allow_direct_select"),
        }
    }

    /// Replays a stored definition at start-up.
    pub(crate) async fn attach_stored(&mut self, db: &str, table: &str, sql: &str) -> Result<()> {
        let stmts = sluice_sql::parse_statements(sql)?;
        let Some(stmt) = stmts.into_iter().next() else {
            return Err(Error::internal(format!("empty metadata for {db}.{table}")));
        };
        crate::statements::ddl::attach(self, db, table, stmt, sql).await
    }
}

/// A setting value as text.
pub(crate) fn setting_text(v: &sluice_sql::SettingValue) -> String {
    v.to_plain_string()
}
