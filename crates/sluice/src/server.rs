//! `sluice server`: the ClickHouse HTTP and native TCP interfaces over an embedded engine.
//!
//! [`run`] opens the engine at `--path`, starts `sluice_server::serve` with an
//! [`EngineHandler`] (the adapter from the server's `QueryHandler`/`QuerySession` traits to
//! `sluice-engine` sessions), and stops cleanly on SIGINT/SIGTERM.

use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use sluice_common::{Error, ErrorCode};
use sluice_engine::{EngineConfig, EngineRef, InsertInput, Session};
use sluice_server::{
    ClientContext, InsertTarget, Query, QueryHandler, QueryInput, QueryOutput, QuerySession,
    ServerConfig, Trailer, UserInfo,
};
use tokio::io::AsyncReadExt;
use tokio::sync::Mutex;

use crate::cli::ServerArgs;

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
    if let Some(cfg) = &args.config {
        eprintln!(
            "warning: --config {} is ignored (configuration files are not supported yet)",
            cfg.display()
        );
    }
    let engine = match sluice_engine::Engine::open(EngineConfig {
        path: Some(args.path.clone()),
        settings: Vec::new(),
        ..EngineConfig::default()
    })
    .await
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{}", e.to_clickhouse_string());
            return 1;
        }
    };
    serve_engine(engine, &args.listen_host, args.http_port, args.tcp_port).await
}

/// Serves `engine` on the given ports until SIGINT/SIGTERM, then shuts it down; returns the
/// exit code.
pub async fn serve_engine(engine: EngineRef, host: &str, http_port: u16, tcp_port: u16) -> i32 {
    let config = ServerConfig {
        listen_host: host.to_string(),
        http_port: Some(http_port),
        tcp_port: Some(tcp_port),
        ..ServerConfig::default()
    };
    let handler: Arc<dyn QueryHandler> = Arc::new(EngineHandler {
        engine: Arc::clone(&engine),
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
}

#[async_trait]
impl QueryHandler for EngineHandler {
    async fn authenticate(
        &self,
        user: &str,
        password: &str,
        _client: &ClientContext,
    ) -> Result<UserInfo, Error> {
        if user == "default" && password.is_empty() {
            Ok(UserInfo {
                name: user.to_string(),
                default_database: "default".to_string(),
            })
        } else {
            Err(Error::new(
                ErrorCode::AUTHENTICATION_FAILED,
                format!(
                    "{user}: Authentication failed: password is incorrect, or there is no user with such name."
                ),
            ))
        }
    }

    async fn new_session(
        &self,
        user: &UserInfo,
        database: Option<&str>,
    ) -> Result<Box<dyn QuerySession>, Error> {
        let mut session = self.engine.session();
        let db = database.unwrap_or(&user.default_database);
        if session.current_database() != db {
            session.set_current_database(db)?;
        }
        Ok(Box::new(EngineSession {
            session: Arc::new(Mutex::new(session)),
        }))
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
        let mut session = self.session.lock().await;
        for (name, value) in &query.settings {
            session.set_setting(name, value)?;
        }
        let mut statements = session.parse(&query.sql)?;
        if statements.len() > 1 {
            return Err(Error::new(
                ErrorCode::SYNTAX_ERROR,
                "Multi-statements are not allowed",
            ));
        }
        let Some(stmt) = statements.pop() else {
            return Err(Error::new(ErrorCode::EMPTY_QUERY, "Empty query"));
        };
        let out = session.execute(stmt, input).await?;
        let format_settings: Vec<(String, String)> = session
            .settings()
            .changed()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        drop(session);

        let progress = Arc::new(sluice_server::ProgressCounters::default());
        let engine_progress = Arc::clone(&out.progress);
        let stream = out.stream.map(|s| {
            let counters = Arc::clone(&progress);
            let rows = s.map(move |r| {
                r.inspect(|b| {
                    counters.add_read(b.num_rows() as u64, b.get_array_memory_size() as u64);
                })
                .map_err(sluice_engine::from_datafusion)
            });
            Box::pin(rows) as sluice_server::BatchStream
        });
        if stream.is_none() {
            use std::sync::atomic::Ordering;
            progress.add_written(
                engine_progress.written_rows.load(Ordering::Relaxed),
                engine_progress.written_bytes.load(Ordering::Relaxed),
            );
        }
        let totals = out.totals;
        Ok(QueryOutput {
            schema: out.schema,
            stream,
            format: out.format,
            format_settings,
            trailer: Some(Box::pin(async move {
                Ok(Trailer {
                    totals,
                    extremes: None,
                })
            })),
            progress,
        })
    }

    async fn insert_target(&mut self, _sql: &str) -> Result<Option<InsertTarget>, Error> {
        // Native block INSERTs need the table's sample block from the engine; until the
        // engine exposes it, such INSERTs run as ordinary statements.
        Ok(None)
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
