//! Server configuration: where to listen, what to tell clients, limits and timeouts.

use std::time::Duration;

/// Settings of both listeners.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to bind (`listen_host`), e.g. `127.0.0.1` or `::`.
    pub listen_host: String,
    /// HTTP port; `None` disables the HTTP interface, `Some(0)` picks a free port.
    pub http_port: Option<u16>,
    /// Native TCP port; `None` disables it, `Some(0)` picks a free port.
    pub tcp_port: Option<u16>,
    /// `display_name` in Hello and `X-ClickHouse-Server-Display-Name`.
    pub display_name: String,
    /// Version reported in the native Hello (major, minor, patch).
    pub version: (u64, u64, u64),
    /// Server time zone, reported in Hello and `X-ClickHouse-Timezone` when the session
    /// does not say otherwise.
    pub timezone: String,
    /// Native connections with no packet for this long are closed (`receive_timeout`
    /// between queries, ClickHouse's `idle_connection_timeout`).
    pub tcp_idle_timeout: Duration,
    /// Time allowed for the handshake.
    pub tcp_handshake_timeout: Duration,
    /// Longest wait for the rest of a packet a native client has started, or for the next
    /// Data block of an INSERT (ClickHouse's `receive_timeout`, 300 s): past it the client
    /// gets `SOCKET_TIMEOUT` (209) and the connection closes.
    pub tcp_receive_timeout: Duration,
    /// Longest wait for a native client to accept sent bytes (ClickHouse's
    /// `send_timeout`, 300 s): past it the connection closes and its query is cancelled.
    pub tcp_send_timeout: Duration,
    /// Largest buffered packet (uncompressed) a native client may send.
    pub max_packet_size: usize,
    /// Interval between Progress packets / `X-ClickHouse-Progress` headers.
    pub progress_interval: Duration,
    /// Default HTTP `session_timeout` in seconds.
    pub default_session_timeout: u64,
    /// Largest allowed HTTP `session_timeout` in seconds.
    pub max_session_timeout: u64,
    /// Bytes of an HTTP body that may belong to the query text (`max_query_size`).
    pub max_query_size: usize,
    /// An HTTP keep-alive connection waiting this long for its next request is closed
    /// (ClickHouse's `keep_alive_timeout`, 30 s); advertised as `Keep-Alive: timeout=N`.
    /// A running query or a streaming response is never cut by it. Zero: connections close
    /// after each response.
    pub http_keep_alive_timeout: Duration,
    /// How long a shutdown waits for running queries before closing connections.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen_host: "127.0.0.1".to_string(),
            http_port: Some(8123),
            tcp_port: Some(9000),
            display_name: "sluice".to_string(),
            version: (25, 8, 1),
            timezone: "UTC".to_string(),
            tcp_idle_timeout: Duration::from_secs(3600),
            tcp_handshake_timeout: Duration::from_secs(10),
            tcp_receive_timeout: Duration::from_secs(300),
            tcp_send_timeout: Duration::from_secs(300),
            max_packet_size: 1 << 30,
            progress_interval: Duration::from_millis(100),
            default_session_timeout: 60,
            max_session_timeout: 3600,
            max_query_size: 262_144,
            http_keep_alive_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}
