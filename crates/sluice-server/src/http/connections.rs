//! HTTP connections: one owned task per accepted connection, served by hyper's HTTP/1.1
//! connection with ClickHouse's `keep_alive_timeout`.
//!
//! A keep-alive connection waiting for its next request is closed once
//! [`ServerConfig::http_keep_alive_timeout`](crate::ServerConfig) passes without the
//! request's header arriving (hyper's header-read timer, which runs only while the
//! connection waits for a request head: it starts when the previous response has been
//! written in full, and is not running while a request body is read, a query runs or a
//! response streams). So an idle socket is closed, while a long query or a slow response on
//! the same socket is never cut. The first request of a new connection gets the same time to
//! send its header.

use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower_service::Service;
use tracing::debug;

use crate::server::accept_connections;

/// Accepts HTTP connections on `listener` until `stop` is cancelled, then lets each
/// connection finish its current response (graceful shutdown) and returns once all are
/// closed.
pub async fn serve_http(
    listener: TcpListener,
    app: Router,
    keep_alive_timeout: Duration,
    stop: CancellationToken,
) {
    accept_connections(listener, stop.clone(), move |stream, peer| {
        serve_connection(stream, peer, app.clone(), keep_alive_timeout, stop.clone())
    })
    .await;
}

/// Serves one connection until the client closes it, it idles out, or shutdown.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    keep_alive_timeout: Duration,
    stop: CancellationToken,
) {
    let service = service_fn(move |mut req: hyper::Request<Incoming>| {
        // What `into_make_service_with_connect_info` would insert: handlers read the peer.
        req.extensions_mut().insert(ConnectInfo(peer));
        let mut app = app.clone();
        async move { app.call(req).await }
    });
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new());
    if keep_alive_timeout.is_zero() {
        // No wait for a further request: the connection closes after each response.
        builder.keep_alive(false);
    } else {
        builder.header_read_timeout(keep_alive_timeout);
    }
    let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        // Idle keep-alive timeouts, clients gone mid-request, malformed requests.
        debug!(peer = %peer, error = %e, "HTTP connection closed");
    }
}
