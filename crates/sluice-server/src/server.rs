//! Listeners and lifecycle: bind the HTTP and TCP ports, serve connections as owned tasks,
//! and shut down cleanly (stop accepting, let running queries finish within a grace
//! period, then close).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use sluice_common::{Error, ErrorCode};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::config::ServerConfig;
use crate::handler::QueryHandler;
use crate::http::connections::serve_http;
use crate::http::{HttpState, router};
use crate::native::connection::{NativeContext, serve_connection};

/// Bound listeners, ready to serve.
pub struct Server {
    config: Arc<ServerConfig>,
    handler: Arc<dyn QueryHandler>,
    http: Option<TcpListener>,
    tcp: Option<TcpListener>,
}

async fn bind(host: &str, port: u16) -> Result<TcpListener, Error> {
    let addr = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    TcpListener::bind(&addr).await.map_err(|e| {
        Error::new(
            ErrorCode::NETWORK_ERROR,
            format!("Cannot listen on {addr}: {e}"),
        )
    })
}

impl Server {
    /// Binds the configured ports.
    pub async fn bind(config: ServerConfig, handler: Arc<dyn QueryHandler>) -> Result<Self, Error> {
        let http = match config.http_port {
            Some(p) => Some(bind(&config.listen_host, p).await?),
            None => None,
        };
        let tcp = match config.tcp_port {
            Some(p) => Some(bind(&config.listen_host, p).await?),
            None => None,
        };
        Ok(Self {
            config: Arc::new(config),
            handler,
            http,
            tcp,
        })
    }

    /// Address of the HTTP listener.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Address of the native TCP listener.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` completes, then shuts down cleanly.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), Error> {
        let token = CancellationToken::new();
        let http_port = self.http_addr().map(|a| a.port());
        let mut tasks = JoinSet::new();
        if let Some(listener) = self.tcp {
            let tcp_port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
            info!(port = tcp_port, "native protocol listening");
            let ctx = Arc::new(NativeContext {
                config: Arc::clone(&self.config),
                handler: Arc::clone(&self.handler),
                shutdown: token.child_token(),
                tcp_port,
                http_port,
            });
            tasks.spawn(accept_native(listener, ctx, token.clone()));
        }
        if let Some(listener) = self.http {
            info!(port = http_port, "HTTP interface listening");
            let state = HttpState::new(
                Arc::clone(&self.config),
                Arc::clone(&self.handler),
                token.child_token(),
            );
            tasks.spawn(serve_http(
                listener,
                router(state),
                self.config.http_keep_alive_timeout,
                token.clone(),
            ));
        }
        shutdown.await;
        info!("shutting down");
        token.cancel();
        let grace = self.config.shutdown_grace;
        let drained =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            warn!("queries still running after the shutdown grace period; closing them");
            tasks.shutdown().await;
        }
        Ok(())
    }
}

async fn accept_native(listener: TcpListener, ctx: Arc<NativeContext>, stop: CancellationToken) {
    accept_connections(listener, stop, move |stream, peer| {
        let ctx = Arc::clone(&ctx);
        async move {
            let (r, w) = stream.into_split();
            serve_connection(r, w, Some(peer), ctx).await;
        }
    })
    .await;
}

/// Accepts connections on `listener` until `stop` is cancelled, serving each with `serve`
/// in its own owned task (`TCP_NODELAY` set); then waits for the connections to end (they
/// see the same cancellation and close at their next idle point).
pub(crate) async fn accept_connections<F, Fut>(
    listener: TcpListener,
    stop: CancellationToken,
    serve: F,
) where
    F: Fn(TcpStream, SocketAddr) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    conns.spawn(serve(stream, peer));
                }
                Err(e) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    debug!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}

/// Binds HTTP and TCP listeners per `config` and serves until `shutdown` completes.
pub async fn serve(
    config: ServerConfig,
    handler: Arc<dyn QueryHandler>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    Server::bind(config, handler).await?.run(shutdown).await
}
