//! The HTTP interface (port 8123), on axum.
//!
//! - [`connections`]: the accept loop and per-connection keep-alive timeout.
//! - [`params`]: URL parameters → reserved parameters, query parameters, settings.
//! - [`auth`]: credentials from headers, basic auth or parameters.
//! - [`sessions`]: `session_id` sessions.
//! - [`encoding`]: Content-Encoding / Accept-Encoding and `compress`/`decompress` frames.
//! - [`output`]: output format writers.
//! - [`status`]: HTTP status per exception code.
//! - [`query`]: the query endpoint.

pub mod auth;
pub mod connections;
pub mod encoding;
pub mod output;
pub mod params;
pub mod query;
pub mod sessions;
pub mod status;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use tokio_util::sync::CancellationToken;

use crate::config::ServerConfig;
use crate::handler::QueryHandler;
use sessions::SessionRegistry;

/// Shared state of the HTTP interface.
#[derive(Clone)]
pub struct HttpState {
    /// Server configuration.
    pub config: Arc<ServerConfig>,
    /// The engine.
    pub handler: Arc<dyn QueryHandler>,
    /// HTTP sessions.
    pub sessions: Arc<SessionRegistry>,
    /// Cancelled at shutdown.
    pub shutdown: CancellationToken,
}

impl HttpState {
    /// New state with no sessions.
    pub fn new(
        config: Arc<ServerConfig>,
        handler: Arc<dyn QueryHandler>,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            config,
            handler,
            sessions: Arc::new(SessionRegistry::default()),
            shutdown,
        }
    }
}

/// The routes: `/` (queries), `/ping`, `/replicas_status`.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/", any(query::handle))
        .route("/ping", get(ok_response))
        .route("/replicas_status", get(ok_response))
        .fallback(not_found)
        .with_state(state)
}

async fn ok_response() -> Response {
    plain(StatusCode::OK, "Ok.\n")
}

async fn not_found(uri: axum::http::Uri) -> Response {
    plain(
        StatusCode::NOT_FOUND,
        format!(
            "There is no handle {}\n\nUse / or /ping for health checks.\n",
            uri.path()
        ),
    )
}

fn plain(status: StatusCode, body: impl Into<String>) -> Response {
    let mut r = (status, body.into()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    r
}
