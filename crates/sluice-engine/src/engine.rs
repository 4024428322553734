//! [`Engine`]: the catalog, the function registry and the DataFusion state shared by all
//! sessions; [`EngineConfig`] to open one.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::execution::SessionStateBuilder;
use datafusion::execution::registry::FunctionRegistry;
use datafusion::execution::session_state::SessionState;
use datafusion::prelude::SessionConfig;
use sluice_common::{Result, Settings};

use crate::catalog::Catalog;
use crate::session::Session;
use crate::system::FunctionInfo;

/// How to open an engine.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    /// Data directory (`metadata/`, table data). None: everything lives in memory.
    pub path: Option<PathBuf>,
    /// Server-wide setting overrides.
    pub settings: Vec<(String, String)>,
    /// librdkafka properties for Kafka tables (`<kafka>`, `<kafka_topic>` sections).
    pub kafka: sluice_kafka::KafkaConfig,
}

/// The database engine shared by all sessions.
#[derive(Debug)]
pub struct Engine {
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) base_state: SessionState,
    pub(crate) function_names: Arc<HashSet<String>>,
    pub(crate) functions_ci: Arc<HashMap<String, String>>,
    pub(crate) function_infos: Arc<Vec<FunctionInfo>>,
    pub(crate) default_settings: Settings,
    /// Where table data lives: `<path>/data`, or a temporary directory removed with the
    /// engine when there is no path (like clickhouse-local without `--path`).
    data_root: PathBuf,
    _temp_dir: Option<tempfile::TempDir>,
    pub(crate) kafka_config: sluice_kafka::KafkaConfig,
    /// `system.dead_letter_queue`.
    pub(crate) dead_letters: Arc<crate::dead_letters::DeadLetterQueue>,
    /// Running server queries (`system.processes`) and `system.query_log`.
    pub(crate) processes: Arc<crate::processes::ProcessList>,
}

/// Shared engine handle.
pub type EngineRef = Arc<Engine>;

impl Engine {
    /// Opens the engine: registers functions and, with a data path, replays stored
    /// database and table definitions.
    pub async fn open(config: EngineConfig) -> Result<EngineRef> {
        if let Some(p) = &config.path {
            std::fs::create_dir_all(p).map_err(|e| {
                sluice_common::Error::new(
                    sluice_common::ErrorCode::CANNOT_OPEN_FILE,
                    format!("Cannot create data directory {}: {e}", p.display()),
                )
            })?;
        }
        let catalog = Arc::new(Catalog::new(config.path.clone()));
        let mut df_config = SessionConfig::new()
            .with_default_catalog_and_schema(crate::df_catalog::CATALOG_NAME, "default")
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(false)
            .with_target_partitions(2)
            .with_batch_size(65_409);
        {
            let opts = df_config.options_mut();
            opts.sql_parser.enable_ident_normalization = false;
            opts.sql_parser.map_string_types_to_utf8view = false;
            opts.execution.parquet.schema_force_view_types = false;
            opts.execution.time_zone = Some("UTC".to_string());
            opts.optimizer.prefer_hash_join = true;
            // No round-robin repartitioning: results stream partition by partition
            // (`stream::execute_in_partition_order`, for UNION ALL's branch order), so a
            // round-robin split of one input came out of order (batches 0, 2, 4, … then
            // 1, 3, 5, …) and held the second half of the result in the repartition's
            // buffers while the first streamed. Hash repartitioning (aggregations, joins)
            // and multi-file scans still run in parallel.
            opts.optimizer.enable_round_robin_repartition = false;
        }
        // `numbers(N)` under an order-insensitive aggregation runs on every partition
        // (crate::parallel_numbers), decided before distribution is enforced.
        let mut physical_rules =
            datafusion::physical_optimizer::optimizer::PhysicalOptimizer::new().rules;
        physical_rules.insert(0, Arc::new(crate::parallel_numbers::ParallelNumbers));
        // `GROUP BY` one integer key of small known range (`x % c`, `UInt16`, …) runs on a
        // direct-indexed group table (crate::dense_group_by), once the plan is otherwise
        // final (after aggregate rewrites and distribution), ahead of the sanity check.
        let last = physical_rules
            .iter()
            .position(|r| r.name() == "SanityCheckPlan")
            .unwrap_or(physical_rules.len());
        physical_rules.insert(last, Arc::new(crate::dense_group_by::DenseGroupBy));
        // `x % c = k` in aggregate arguments and filters: one bitmask kernel
        // (crate::modulo_equals), before the dense rule hides the aggregations.
        physical_rules.insert(last, Arc::new(crate::modulo_equals::ModuloEqualsRule));
        // Two-way `CASE` in aggregate arguments and projections (crate::case_branches),
        // after the modulo rewrite has seen its branches, before the dense rule.
        physical_rules.insert(last + 1, Arc::new(crate::case_branches::CaseBranchesRule));
        // `column op constant` in filters: one vectorized bitmask loop
        // (crate::column_compare), after the modulo rewrite, before the dense rule.
        physical_rules.insert(last + 2, Arc::new(crate::column_compare::ColumnCompareRule));
        sluice_functions::json::below_filter::add_physical_rule(&mut physical_rules);
        let mut state = SessionStateBuilder::new()
            .with_config(df_config)
            .with_default_features()
            .with_physical_optimizer_rules(physical_rules)
            .build();
        // DataFusion functions sharing a name or alias with ours (e.g. its array `empty`)
        // go entirely: otherwise they stay under their other aliases and a later
        // `SessionStateBuilder::new_from_existing` re-registers them over ours, in hash order.
        let udfs = sluice_functions::scalar_functions();
        let udafs = sluice_functions::aggregate_functions();
        let ours: HashSet<String> = udfs
            .iter()
            .flat_map(|u| std::iter::once(u.name().to_string()).chain(u.aliases().iter().cloned()))
            .chain(udafs.iter().flat_map(|u| {
                std::iter::once(u.name().to_string()).chain(u.aliases().iter().cloned())
            }))
            .collect();
        let clashing_udfs: HashSet<String> = state
            .scalar_functions()
            .iter()
            .filter(|(k, f)| ours.contains(*k) || ours.contains(f.name()))
            .map(|(_, f)| f.name().to_string())
            .collect();
        for name in clashing_udfs {
            let _ = datafusion::execution::registry::FunctionRegistry::deregister_udf(
                &mut state, &name,
            );
        }
        let clashing_udafs: HashSet<String> = state
            .aggregate_functions()
            .iter()
            .filter(|(k, f)| ours.contains(*k) || ours.contains(f.name()))
            .map(|(_, f)| f.name().to_string())
            .collect();
        for name in clashing_udafs {
            let _ = datafusion::execution::registry::FunctionRegistry::deregister_udaf(
                &mut state, &name,
            );
        }
        for udf in udfs {
            let _ = state.register_udf(Arc::new(udf));
        }
        for udaf in udafs {
            let _ = state.register_udaf(Arc::new(udaf));
        }
        // `lagInFrame`/`leadInFrame`: in every plan (views too) and in `system.functions`.
        for udwf in sluice_functions::window_functions() {
            let _ = datafusion::execution::registry::FunctionRegistry::register_udwf(
                &mut state,
                Arc::new(udwf),
            );
        }
        // `DateTime` compared with a number, planned before DataFusion's pair check.
        let _ = datafusion::execution::registry::FunctionRegistry::register_expr_planner(
            &mut state,
            Arc::new(crate::comparisons::TimeNumberComparisons),
        );
        let mut tfs = state.table_functions().clone();
        for (name, f) in crate::table_functions::table_functions() {
            tfs.insert(
                name.clone(),
                Arc::new(datafusion::catalog::TableFunction::new(name, f)),
            );
        }
        let state = SessionStateBuilder::new_from_existing(state)
            .with_table_functions(tfs)
            .build();

        let mut names = HashSet::new();
        let mut infos = Vec::new();
        // Names starting with `__` are the engine's internal spellings, not user functions.
        for (name, f) in state.scalar_functions() {
            if name.starts_with("__") {
                continue;
            }
            names.insert(name.clone());
            infos.push(FunctionInfo {
                name: name.clone(),
                is_aggregate: false,
                alias_to: if f.name() != name {
                    f.name().to_string()
                } else {
                    String::new()
                },
                case_insensitive: false,
            });
        }
        for (name, f) in state.aggregate_functions() {
            names.insert(name.clone());
            infos.push(FunctionInfo {
                name: name.clone(),
                is_aggregate: true,
                alias_to: if f.name() != name {
                    f.name().to_string()
                } else {
                    String::new()
                },
                case_insensitive: false,
            });
        }
        let ours_window: HashSet<String> = sluice_functions::window_functions()
            .iter()
            .map(|w| w.name().to_string())
            .collect();
        for name in state.window_functions().keys() {
            names.insert(name.clone());
            // ClickHouse lists window functions as aggregates (`lagInFrame`: is_aggregate 1).
            if ours_window.contains(name) {
                infos.push(FunctionInfo {
                    name: name.clone(),
                    is_aggregate: true,
                    alias_to: String::new(),
                    case_insensitive: false,
                });
            }
        }
        let mut ci = HashMap::new();
        // Prefer an all-lower-case registration (SQL-standard names), then any spelling.
        let mut sorted: Vec<&String> = names.iter().collect();
        sorted.sort();
        for n in &sorted {
            let l = n.to_ascii_lowercase();
            if **n == l {
                ci.insert(l, (*n).clone());
            }
        }
        for n in &sorted {
            ci.entry(n.to_ascii_lowercase())
                .or_insert_with(|| (*n).clone());
        }
        for info in infos.iter_mut() {
            info.case_insensitive = info.name == info.name.to_ascii_lowercase()
                && info.name.chars().any(|c| c.is_ascii_alphabetic());
        }
        infos.sort_by(|a, b| a.name.cmp(&b.name));

        let mut default_settings = Settings::new();
        for (k, v) in &config.settings {
            default_settings.set(k, v)?;
        }
        let (data_root, temp_dir) = match &config.path {
            Some(p) => (p.join("data"), None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("sluice-local-")
                    .tempdir()
                    .map_err(|e| {
                        sluice_common::Error::new(
                            sluice_common::ErrorCode::CANNOT_OPEN_FILE,
                            format!("Cannot create a temporary data directory: {e}"),
                        )
                    })?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let engine = Arc::new(Engine {
            catalog,
            base_state: state,
            function_names: Arc::new(names),
            functions_ci: Arc::new(ci),
            function_infos: Arc::new(infos),
            default_settings,
            data_root,
            _temp_dir: temp_dir,
            kafka_config: config.kafka.clone(),
            dead_letters: Arc::new(crate::dead_letters::DeadLetterQueue::open(
                config.path.as_deref(),
            )?),
            processes: Arc::new(crate::processes::ProcessList::new()),
        });
        Box::pin(engine.load_metadata()).await?;
        engine.sync_kafka_consumers();
        Ok(engine)
    }

    /// The data directory of a table (`<path>/data/<db>/<table>`, names outside
    /// `[A-Za-z0-9_]` hex-encoded: object stores read parts by URL, where `%` escapes break).
    pub fn table_data_dir(&self, db: &str, table: &str) -> Result<PathBuf> {
        Ok(self
            .data_root
            .join(data_dir_name(db))
            .join(data_dir_name(table)))
    }

    /// Stops background work: Kafka consumers finish their block (uncommitted blocks are
    /// re-read later), merges stop. Blocking: call it off the async runtime.
    pub fn shutdown(&self) {
        for e in self.catalog.all_tables() {
            if let Some(k) = e
                .table
                .as_ref()
                .and_then(|t| crate::tables::kafka::as_kafka(t))
            {
                k.stop();
            }
            if let Some(m) = e.table.as_ref().and_then(|t| {
                t.as_any()
                    .downcast_ref::<crate::tables::merge_tree::MergeTreeStorage>()
            }) {
                m.storage().shutdown();
            }
        }
    }

    /// Starts the consumers of every Kafka table some materialized view reads, and stops
    /// the others'. Errors (a broker unreachable at start-up) are logged.
    pub fn sync_kafka_consumers(&self) {
        let all = self.catalog.all_tables();
        for e in &all {
            let Some(k) = e
                .table
                .as_ref()
                .and_then(|t| crate::tables::kafka::as_kafka(t))
            else {
                continue;
            };
            let has_views = all.iter().any(|v| {
                matches!(&v.kind, crate::catalog::TableKind::MaterializedView(mv)
                    if mv.source.as_ref().is_some_and(|(d, t)| *d == e.database && *t == e.name))
            });
            if let Err(err) = k.sync_consumers(has_views) {
                tracing::error!(
                    "Kafka table {}.{}: {}",
                    e.database,
                    e.name,
                    err.to_clickhouse_string()
                );
            }
        }
    }

    /// A new session (current database `default`, default settings).
    pub fn session(self: &Arc<Self>) -> Session {
        Session::new(Arc::clone(self))
    }

    /// Running server queries and the query log.
    pub fn processes(&self) -> &Arc<crate::processes::ProcessList> {
        &self.processes
    }

    /// The catalog.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    async fn load_metadata(self: &Arc<Self>) -> Result<()> {
        let (dbs, tables) = self.catalog.stored_definitions()?;
        for (db, engine) in dbs {
            if db != "default" {
                self.catalog.create_database(&db, &engine, true, false)?;
            }
        }
        let mut session = self.session();
        for (db, table, sql) in tables {
            if let Err(e) = session.attach_stored(&db, &table, &sql).await {
                tracing::error!(
                    "Cannot load table {db}.{table} from metadata: {}",
                    e.to_clickhouse_string()
                );
            }
        }
        Ok(())
    }
}

/// A file-system and URL safe directory name for a database or table name.
fn data_dir_name(name: &str) -> String {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        name.to_string()
    } else {
        let hex: String = name.bytes().map(|b| format!("{b:02x}")).collect();
        format!("x-{hex}")
    }
}
