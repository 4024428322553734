//! One native client connection: handshake and authentication, then a loop over packets
//! (Query, Ping, Cancel, stray Data) until the client leaves, idles out, or the server
//! shuts down. Query execution is in [`super::query`].

use std::net::SocketAddr;
use std::sync::Arc;

use sluice_common::{Error, ErrorCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::config::ServerConfig;
use crate::handler::{ClientContext, Interface, QueryHandler, QuerySession};
use crate::native::handshake::{
    self, ClientHello, FirstPacket, SERVER_REVISION, ServerHello, rev, wrong_port_reply,
};
use crate::native::io::{PacketReader, PacketWriter, ReadError};
use crate::native::packets::{self, client, server, write_exception};
use crate::native::query::run_query;
use crate::native::wire::WireReader;

/// What a connection needs from the server.
pub struct NativeContext {
    /// Server configuration.
    pub config: Arc<ServerConfig>,
    /// The engine.
    pub handler: Arc<dyn QueryHandler>,
    /// Cancelled when the server shuts down.
    pub shutdown: CancellationToken,
    /// The TCP port, for the wrong-port hint.
    pub tcp_port: u16,
    /// The HTTP port, for the wrong-port hint.
    pub http_port: Option<u16>,
}

/// State of an established connection.
pub(crate) struct Conn<R, W> {
    pub reader: PacketReader<R>,
    pub writer: PacketWriter<W>,
    /// Negotiated revision: min(client, server).
    pub n: u64,
    pub client: ClientContext,
    pub session: Box<dyn QuerySession>,
    pub ctx: Arc<NativeContext>,
    /// Whether the last query used compression (stray Data packets after a failed INSERT
    /// are framed the same way).
    pub compressed: bool,
}

/// Serves one connection until it ends. Never panics on client input; errors are sent as
/// Exception packets where the protocol allows, then the connection closes.
pub async fn serve_connection<R, W>(
    reader: R,
    writer: W,
    peer: Option<SocketAddr>,
    ctx: Arc<NativeContext>,
) where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send,
{
    let mut reader = PacketReader::new(reader, ctx.config.max_packet_size);
    reader.set_receive_timeout(Some(ctx.config.tcp_receive_timeout));
    let mut writer = PacketWriter::new(writer);
    writer.set_send_timeout(Some(ctx.config.tcp_send_timeout));
    let hello = tokio::time::timeout(
        ctx.config.tcp_handshake_timeout,
        reader.next(handshake::parse_client_hello),
    )
    .await;
    let hello = match hello {
        Err(_) => {
            debug!(?peer, "native handshake timed out");
            return;
        }
        Ok(Err(ReadError::Closed)) => return,
        Ok(Err(ReadError::Protocol(e))) => {
            debug!(?peer, error = %e, "bad native handshake");
            write_exception(&e, writer.buffer());
            writer.shutdown().await;
            return;
        }
        Ok(Ok(FirstPacket::Http)) => {
            writer
                .buffer()
                .extend_from_slice(&wrong_port_reply(ctx.tcp_port, ctx.http_port));
            writer.shutdown().await;
            return;
        }
        Ok(Ok(FirstPacket::Hello(h))) => h,
    };
    let mut conn = match establish(hello, reader, writer, peer, Arc::clone(&ctx)).await {
        Some(c) => c,
        None => return,
    };
    conn.serve().await;
}

async fn establish<R, W>(
    hello: ClientHello,
    mut reader: PacketReader<R>,
    mut writer: PacketWriter<W>,
    peer: Option<SocketAddr>,
    ctx: Arc<NativeContext>,
) -> Option<Conn<R, W>>
where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send,
{
    let n = hello.revision.min(SERVER_REVISION);
    let mut client = ClientContext::new(Interface::Tcp, peer);
    client.client_name = hello.client_name.clone();
    client.client_version = (hello.version_major, hello.version_minor, 0);
    client.revision = n;
    let fail = |e: Error, mut writer: PacketWriter<W>| async move {
        write_exception(&e, writer.buffer());
        writer.shutdown().await;
    };
    if n < rev::CLIENT_INFO {
        let e = Error::new(
            ErrorCode::UNEXPECTED_PACKET_FROM_CLIENT,
            format!("Client revision {} is too old", hello.revision),
        );
        fail(e, writer).await;
        return None;
    }
    if hello.user.is_empty() {
        let e = Error::new(
            ErrorCode::UNEXPECTED_PACKET_FROM_CLIENT,
            "Unexpected packet from client (no user in Hello package)",
        );
        fail(e, writer).await;
        return None;
    }
    let user = match ctx
        .handler
        .authenticate(&hello.user, &hello.password, &client)
        .await
    {
        Ok(u) => u,
        Err(e) => {
            debug!(?peer, user = %hello.user, error = %e, "native authentication failed");
            fail(e, writer).await;
            return None;
        }
    };
    let database = (!hello.database.is_empty()).then_some(hello.database.as_str());
    let session = match ctx.handler.new_session(&user, database).await {
        Ok(s) => s,
        Err(e) => {
            fail(e, writer).await;
            return None;
        }
    };
    let server_hello = ServerHello {
        name: "ClickHouse".to_string(),
        version: ctx.config.version,
        timezone: session.timezone(),
        display_name: ctx.config.display_name.clone(),
    };
    handshake::write_server_hello(&server_hello, n, writer.buffer());
    if writer.flush().await.is_err() {
        return None;
    }
    if n >= rev::ADDENDUM {
        match reader.next(handshake::parse_addendum).await {
            Ok(quota_key) => client.quota_key = quota_key,
            Err(_) => return None,
        }
    }
    Some(Conn {
        reader,
        writer,
        n,
        client,
        session,
        ctx,
        compressed: false,
    })
}

impl<R, W> Conn<R, W>
where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send,
{
    async fn serve(&mut self) {
        loop {
            let idle = self.ctx.config.tcp_idle_timeout;
            let shutdown = self.ctx.shutdown.clone();
            // Between queries the wait is bounded by the idle timeout
            // (`idle_connection_timeout`); once a packet has started, by the receive timeout.
            let waited = tokio::select! {
                _ = shutdown.cancelled() => break,
                w = tokio::time::timeout(idle, self.reader.wait_for_packet()) => w,
            };
            match waited {
                Err(_) => {
                    debug!(peer = ?self.client.peer, "native connection idle, closing");
                    break;
                }
                Ok(Err(_)) => break,
                Ok(Ok(())) => {}
            }
            let packet = match self.reader.next(|r| r.varint()).await {
                Err(ReadError::Closed) => break,
                Err(ReadError::Protocol(e)) => {
                    self.fatal(e).await;
                    break;
                }
                Ok(p) => p,
            };
            let keep_going = match packet {
                client::PING => {
                    packets::write_simple(server::PONG, self.writer.buffer());
                    self.writer.flush().await.is_ok()
                }
                client::CANCEL | client::KEEP_ALIVE => true,
                client::DATA => self.skip_data().await,
                client::QUERY => {
                    let n = self.n;
                    match self
                        .reader
                        .next(|r: &mut WireReader<'_>| packets::parse_query(r, n))
                        .await
                    {
                        Ok(q) => run_query(self, q).await,
                        Err(ReadError::Closed) => false,
                        Err(ReadError::Protocol(e)) => {
                            self.fatal(e).await;
                            false
                        }
                    }
                }
                other => {
                    let e = Error::new(
                        ErrorCode::UNKNOWN_PACKET_FROM_CLIENT,
                        format!("Unknown packet {other} from client"),
                    );
                    self.fatal(e).await;
                    false
                }
            };
            if !keep_going {
                break;
            }
        }
        self.writer.shutdown().await;
    }

    /// A Data packet outside a query (the rest of an INSERT that already failed): read
    /// and drop it.
    async fn skip_data(&mut self) -> bool {
        if self.reader.next(|r| r.string()).await.is_err() {
            return false;
        }
        let n = self.n;
        let compressed = self.compressed;
        self.reader.read_block(n, compressed).await.is_ok()
    }

    /// Reports a protocol error; the connection closes after it.
    pub(crate) async fn fatal(&mut self, e: Error) {
        debug!(peer = ?self.client.peer, error = %e, "native protocol error");
        write_exception(&e, self.writer.buffer());
        let _ = self.writer.flush().await;
    }
}
