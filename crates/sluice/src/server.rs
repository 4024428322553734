//! `sluice server`: the ClickHouse HTTP and native TCP interfaces over an embedded engine.
//!
//! [`run`] reads `--config` (flags override it), opens the engine at the data path, starts `sluice_server::serve` with an
//! [`EngineHandler`] (the adapter from the server's `QueryHandler`/`QuerySession` traits to
//! `sluice-engine` sessions), and stops cleanly on SIGINT/SIGTERM.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use sluice_common::{Error, ErrorCode};
use sluice_engine::{EngineConfig, EngineRef, InsertInput, QueryClient, QueryContext, Session};
use sluice_server::{
    ClientContext, DefaultKind, HttpMethod, InsertTarget, Interface, Query, QueryHandler,
    QueryInput, QueryOutput, QuerySession, ServerConfig, TableColumn, Trailer, UserInfo,
};
use tokio::io::AsyncReadExt;
use tokio::sync::Mutex;

use crate::cli::ServerArgs;
use crate::config::{ConfigFile, ConnectionTimeouts, UserConfig};

/// Runs `sluice server`; returns the process exit code.
pub fn run(args: ServerArgs) -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Code: 1001. DB::Exception: cannot start runtime: {e}. (STD_EXCEPTION)");
            return 1;
        }
    };
    rt.block_on(run_async(args))
}

async fn run_async(args: ServerArgs) -> i32 {
    let file = match &args.config {
        Some(path) => match ConfigFile::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{}", e.to_clickhouse_string());
                return 1;
            }
        },
        None => ConfigFile::default(),
    };
    let config_path = args.config.clone().unwrap_or_default();
    let (settings, kafka, max_queries, timeouts) = match (
        file.settings(&config_path),
        file.kafka_config(&config_path),
        file.max_concurrent_queries(&config_path),
        file.connection_timeouts(&config_path),
    ) {
        (Ok(s), Ok(k), Ok(m), Ok(t)) => (s, k, m, t),
        (Err(e), _, _, _) | (_, Err(e), _, _) | (_, _, Err(e), _) | (_, _, _, Err(e)) => {
            eprintln!("{}", e.to_clickhouse_string());
            return 1;
        }
    };
    let path = args
        .path
        .clone()
        .or_else(|| file.path.clone())
        .unwrap_or_else(|| PathBuf::from("sluice-data"));
    let engine = match sluice_engine::Engine::open(EngineConfig {
        path: Some(path),
        settings,
        kafka,
    })
    .await
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{}", e.to_clickhouse_string());
            return 1;
        }
    };
    engine.processes().set_max_concurrent_queries(max_queries);
    let options = ServeOptions {
        listen_host: args
            .listen_host
            .clone()
            .or_else(|| file.listen_host.clone())
            .unwrap_or_else(|| "127.0.0.1".to_string()),
        http_port: args.http_port.or(file.http_port).unwrap_or(8123),
        tcp_port: args.tcp_port.or(file.tcp_port).unwrap_or(9000),
        display_name: file
            .display_name
            .clone()
            .unwrap_or_else(|| "sluice".to_string()),
        users: file.users(),
        timeouts,
    };
    serve_engine(engine, options).await
}

/// Where and for whom [`serve_engine`] serves.
pub struct ServeOptions {
    /// Address to listen on.
    pub listen_host: String,
    /// HTTP port.
    pub http_port: u16,
    /// Native TCP port.
    pub tcp_port: u16,
    /// Name shown to clients.
    pub display_name: String,
    /// Users by name.
    pub users: BTreeMap<String, UserConfig>,
    /// Connection timeouts (native: `idle_connection_timeout`, `receive_timeout`,
    /// `send_timeout`; HTTP: `keep_alive_timeout`).
    pub timeouts: ConnectionTimeouts,
}

impl ServeOptions {
    /// `default` without a password on `127.0.0.1`.
    pub fn local(http_port: u16, tcp_port: u16) -> Self {
        Self {
            listen_host: "127.0.0.1".to_string(),
            http_port,
            tcp_port,
            display_name: "sluice".to_string(),
            users: BTreeMap::from([("default".to_string(), UserConfig::default())]),
            timeouts: ConnectionTimeouts {
                idle: Duration::from_secs(3600),
                receive: Duration::from_secs(300),
                send: Duration::from_secs(300),
                keep_alive: Duration::from_secs(30),
            },
        }
    }
}

/// Serves `engine` until SIGINT/SIGTERM, then shuts it down; returns the exit code.
pub async fn serve_engine(engine: EngineRef, options: ServeOptions) -> i32 {
    let config = ServerConfig {
        listen_host: options.listen_host,
        http_port: Some(options.http_port),
        tcp_port: Some(options.tcp_port),
        display_name: options.display_name,
        tcp_idle_timeout: options.timeouts.idle,
        tcp_receive_timeout: options.timeouts.receive,
        tcp_send_timeout: options.timeouts.send,
        http_keep_alive_timeout: options.timeouts.keep_alive,
        ..ServerConfig::default()
    };
    let handler: Arc<dyn QueryHandler> = Arc::new(EngineHandler {
        engine: Arc::clone(&engine),
        users: options.users,
    });
    let code = match sluice_server::serve(config, handler, shutdown_signal()).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{}", e.to_clickhouse_string());
            1
        }
    };
    // Kafka consumers finish their block, merges stop; acknowledged data is on disk.
    if let Err(e) = tokio::task::spawn_blocking(move || engine.shutdown()).await {
        eprintln!("shutdown: {e}");
    }
    code
}

/// Completes on SIGINT or SIGTERM (SIGINT only where SIGTERM does not exist).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The server's view of the engine: authenticates users and opens engine sessions.
pub struct EngineHandler {
    engine: EngineRef,
    users: BTreeMap<String, UserConfig>,
}

#[async_trait]
impl QueryHandler for EngineHandler {
    async fn authenticate(
        &self,
        user: &str,
        password: &str,
        _client: &ClientContext,
    ) -> Result<UserInfo, Error> {
        match self.users.get(user) {
            Some(u) if u.check_password(password) => Ok(UserInfo {
                name: user.to_string(),
                default_database: u
                    .default_database
                    .clone()
                    .unwrap_or_else(|| "default".to_string()),
            }),
            _ => Err(Error::new(
                ErrorCode::AUTHENTICATION_FAILED,
                format!(
                    "{user}: Authentication failed: password is incorrect, or there is no user with such name."
                ),
            )),
        }
    }

    async fn new_session(
        &self,
        user: &UserInfo,
        database: Option<&str>,
    ) -> Result<Box<dyn QuerySession>, Error> {
        let mut session = self.engine.session();
        session.user = user.name.clone();
        if let Some(u) = self.users.get(&user.name)
            && u.readonly > 0
        {
            session.set_setting("readonly", &u.readonly.to_string())?;
        }
        let db = database.unwrap_or(&user.default_database);
        if session.current_database() != db {
            session.set_current_database(db)?;
        }
        Ok(Box::new(EngineSession {
            session: Arc::new(Mutex::new(session)),
        }))
    }
}

/// Brings the server's progress counters up to the engine's (they only grow).
fn sync_progress(engine: &sluice_engine::Progress, server: &sluice_server::ProgressCounters) {
    use std::sync::atomic::Ordering::Relaxed;
    server
        .read_rows
        .fetch_max(engine.read_rows.load(Relaxed), Relaxed);
    server
        .read_bytes
        .fetch_max(engine.read_bytes.load(Relaxed), Relaxed);
    server
        .written_rows
        .fetch_max(engine.written_rows.load(Relaxed), Relaxed);
    server
        .written_bytes
        .fetch_max(engine.written_bytes.load(Relaxed), Relaxed);
}

/// The engine's view of a server client (`system.processes`, `system.query_log`).
fn query_client(c: &ClientContext) -> QueryClient {
    let http = c.interface == Interface::Http;
    QueryClient {
        interface: if http { "HTTP" } else { "TCP" }.to_string(),
        address: c.peer,
        client_name: c.client_name.clone(),
        client_version: c.client_version,
        client_revision: c.revision,
        http_method: match c.http_method {
            Some(HttpMethod::Get) => "GET".to_string(),
            Some(HttpMethod::Post) => "POST".to_string(),
            None => String::new(),
        },
        http_user_agent: if http {
            c.client_name.clone()
        } else {
            String::new()
        },
        quota_key: c.quota_key.clone(),
    }
}

/// One engine [`Session`] behind the server's [`QuerySession`] trait.
struct EngineSession {
    session: Arc<Mutex<Session>>,
}

#[async_trait]
impl QuerySession for EngineSession {
    async fn execute(&mut self, query: Query) -> Result<QueryOutput, Error> {
        let input = match query.input {
            None => None,
            Some(QueryInput::Raw { format, mut data }) => {
                let mut buf = Vec::new();
                data.read_to_end(&mut buf)
                    .await
                    .map_err(|e| sluice_server::input_error(&e))?;
                Some(InsertInput::Bytes { format, data: buf })
            }
            Some(QueryInput::Batches(mut stream)) => {
                let mut batches = Vec::new();
                while let Some(b) = stream.next().await {
                    batches.push(b?);
                }
                Some(InsertInput::Batches(batches))
            }
        };
        let ctx = QueryContext {
            query_id: query.query_id.clone(),
            client: query_client(&query.client),
            cancel: query.cancel.clone(),
        };
        let mut session = self.session.lock().await;
        // The query's settings, then its one statement.
        let prepared = (|| {
            for (name, value) in &query.settings {
                session.set_setting(name, value)?;
            }
            let sql = sluice_engine::rewrite::query_params::substitute_identifiers(
                &query.sql,
                &query.params,
                false,
            )?;
            let mut statements = session.parse(&sql)?;
            if statements.len() > 1 {
                return Err(Error::new(
                    ErrorCode::SYNTAX_ERROR,
                    "Multi-statements are not allowed",
                ));
            }
            let mut stmt = statements
                .pop()
                .ok_or_else(|| Error::new(ErrorCode::EMPTY_QUERY, "Empty query"))?;
            // The request's parameters first, then the session's (`SET param_<name>`).
            let mut params = query.params.clone();
            params.extend(session.query_params().iter().cloned());
            sluice_engine::rewrite::query_params::bind(&mut stmt, &params)?;
            Ok(stmt)
        })();
        let stmt = match prepared {
            Ok(stmt) => stmt,
            Err(e) => {
                session.log_exception_before_start(&ctx, &query.sql, &e);
                return Err(e);
            }
        };
        // Registered in system.processes until the result stream ends or is dropped.
        let out = session.execute_tracked(ctx, stmt, input).await?;
        let format_settings: Vec<(String, String)> = session
            .settings()
            .changed()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        drop(session);

        // The engine counts rows read by the plan's scans and rows written; the server's
        // counters follow them as the result streams, and at its end.
        let progress = Arc::new(sluice_server::ProgressCounters::default());
        let engine_progress = Arc::clone(&out.progress);
        let stream = out.stream.map(|s| {
            let counters = Arc::clone(&progress);
            let engine = Arc::clone(&engine_progress);
            let rows = s.map(move |r| {
                sync_progress(&engine, &counters);
                r.map_err(sluice_engine::from_datafusion)
            });
            Box::pin(rows) as sluice_server::BatchStream
        });
        sync_progress(&engine_progress, &progress);
        let totals = out.totals;
        let trailer_progress = Arc::clone(&progress);
        Ok(QueryOutput {
            schema: out.schema,
            stream,
            format: out.format,
            format_settings,
            trailer: Some(Box::pin(async move {
                sync_progress(&engine_progress, &trailer_progress);
                Ok(Trailer {
                    totals,
                    extremes: None,
                })
            })),
            progress,
        })
    }

    async fn insert_target(&mut self, sql: &str) -> Result<Option<InsertTarget>, Error> {
        // INSERTs without inline rows get their data as Native blocks: the client needs
        // the sample block (and the columns' defaults) first.
        let session = self.session.lock().await;
        let mut statements = session.parse(sql)?;
        if statements.len() != 1 {
            return Ok(None);
        }
        let Some(stmt) = statements.pop() else {
            return Ok(None);
        };
        let Some((sample, columns)) = session.block_insert_target(&stmt)? else {
            return Ok(None);
        };
        let columns = columns
            .into_iter()
            .map(|c| TableColumn {
                name: c.name,
                type_name: c.ty.to_string(),
                default: c.default.map(|(kind, expr)| {
                    let kind = match kind {
                        sluice_engine::table::DefaultKind::Default => DefaultKind::Default,
                        sluice_engine::table::DefaultKind::Materialized => {
                            DefaultKind::Materialized
                        }
                        sluice_engine::table::DefaultKind::Alias => DefaultKind::Alias,
                        sluice_engine::table::DefaultKind::Ephemeral => DefaultKind::Ephemeral,
                    };
                    (kind, expr)
                }),
            })
            .collect();
        Ok(Some(InsertTarget { sample, columns }))
    }

    fn current_database(&self) -> String {
        match self.session.try_lock() {
            Ok(s) => s.current_database().to_string(),
            Err(_) => "default".to_string(),
        }
    }

    fn timezone(&self) -> String {
        match self.session.try_lock() {
            Ok(s) => s.timezone(),
            Err(_) => "UTC".to_string(),
        }
    }
}
