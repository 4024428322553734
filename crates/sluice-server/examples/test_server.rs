//! Runs the server over the engine test double (see `tests/common/mod.rs`), for trying
//! clients by hand and for the streaming benchmark:
//! `cargo run -p sluice-server --example test_server -- [tcp_port] [http_port]`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use sluice_server::{QueryHandler, Server, ServerConfig};

#[tokio::main]
async fn main() -> Result<(), sluice_common::Error> {
    let mut args = std::env::args().skip(1);
    let tcp = args.next().and_then(|a| a.parse().ok()).unwrap_or(9000);
    let http = args.next().and_then(|a| a.parse().ok()).unwrap_or(8123);
    let config = ServerConfig {
        tcp_port: Some(tcp),
        http_port: Some(http),
        ..ServerConfig::default()
    };
    let handler: Arc<dyn QueryHandler> = Arc::new(common::TestHandler::default());
    let server = Server::bind(config, handler).await?;
    eprintln!(
        "native {:?}, http {:?}",
        server.tcp_addr(),
        server.http_addr()
    );
    server
        .run(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
