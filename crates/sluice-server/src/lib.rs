//! `sluice-server`: ClickHouse's HTTP interface and native TCP protocol for Sluice.
//!
//! Entry point: [`serve`] (or [`Server::bind`] + [`Server::run`]) starts both listeners and
//! serves until a shutdown future completes. The servers reach the engine only through the
//! [`QueryHandler`] trait, which the `sluice` binary implements as an adapter over
//! `sluice-engine`.
//!
//! # The handler contract
//!
//! - [`QueryHandler::authenticate`] checks a user's password and returns [`UserInfo`].
//!   Native connections authenticate once in the handshake (failure: Exception 516 instead
//!   of Hello); HTTP authenticates every request (`X-ClickHouse-User`/`X-ClickHouse-Key`,
//!   basic auth, or `user`/`password` URL parameters; none means `default` with an empty
//!   password).
//! - [`QueryHandler::new_session`] opens a [`QuerySession`]: one per native connection, one
//!   per HTTP request, or one per HTTP `session_id` kept for `session_timeout` seconds
//!   (`SET` and `USE` last as long as the session).
//! - [`QuerySession::execute`] runs one statement described by [`Query`]: SQL text, query id
//!   (the client's or a generated UUID), per-query settings (URL parameters / native
//!   settings, in order; the engine validates them), `{name:Type}` parameters, optional
//!   INSERT input, a [`CancellationToken`](tokio_util::sync::CancellationToken) cancelled
//!   when the client cancels or disconnects, and the [`ClientContext`]. It returns a
//!   [`QueryOutput`] as soon as the result schema is known: rows arrive through its
//!   stream (dropping the stream also cancels), the progress counters are read while it
//!   runs, and totals/extremes come from its trailer future after the last row.
//! - INSERT input arrives as [`QueryInput::Raw`] over HTTP (the bytes after the SQL text,
//!   exactly as ClickHouse concatenates `query` + `"\n"` + body: the engine parses the
//!   statement, takes the text after it as the start of the data, then reads `data`) and
//!   as [`QueryInput::Batches`] over the native protocol, after the server asked
//!   [`QuerySession::insert_target`] for the sample block and column defaults. Errors while
//!   reading `data` (a bad checksum in `decompress=1` frames, a broken gzip stream) are
//!   `std::io::Error`s carrying a ClickHouse error: map them with [`input_error`].
//! - Errors are [`sluice_common::Error`]: the servers map the code to the HTTP status
//!   (ClickHouse's `exceptionCodeToHTTPStatus`) and to native Exception packets.
//!
//! # Module map
//! - [`handler`]: the trait and the types it exchanges.
//! - [`progress`]: progress counters and the `X-ClickHouse-Summary` JSON.
//! - [`config`]: the server configuration ([`ServerConfig`]).
//! - [`server`]: listeners, connection tasks, clean shutdown.
//! - [`native`]: the native TCP protocol (codec and connection loop).
//! - [`http`]: the HTTP interface (axum).
//! - [`errors`]: error codes not yet in `sluice-common` and exception texts.
//! - [`fuzzing`]: the untrusted-input decoders as functions of `&[u8]`, for fuzz targets.

pub mod config;
pub mod errors;
pub mod fuzzing;
pub mod handler;
pub mod http;
pub mod native;
pub mod progress;
pub mod server;

pub use config::ServerConfig;
pub use handler::{
    BatchStream, ClientContext, DefaultKind, HttpMethod, InsertTarget, Interface, Query,
    QueryHandler, QueryInput, QueryOutput, QuerySession, RawInput, TableColumn, Trailer, UserInfo,
};
pub use http::encoding::error_from_io as input_error;
pub use progress::{ProgressCounters, ProgressValues};
pub use server::{Server, serve};
