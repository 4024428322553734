//! The query-handler trait: the only way the servers reach the engine.
//!
//! A connection (native TCP) or an HTTP request authenticates through
//! [`QueryHandler::authenticate`], opens a [`QuerySession`] with
//! [`QueryHandler::new_session`], and runs statements with [`QuerySession::execute`].
//! See the crate documentation for the contract in prose.

use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use futures::Stream;
use futures::future::BoxFuture;
use sluice_common::Error;
use tokio::io::AsyncRead;
use tokio_util::sync::CancellationToken;

use crate::progress::ProgressCounters;

/// A stream of result (or input) blocks.
pub type BatchStream = Pin<Box<dyn Stream<Item = Result<RecordBatch, Error>> + Send>>;

/// Raw bytes of `INSERT … FORMAT X` data that follow the statement text.
pub type RawInput = Box<dyn AsyncRead + Send + Unpin>;

/// The engine, as the servers see it. Implemented by the `sluice` binary.
#[async_trait]
pub trait QueryHandler: Send + Sync + 'static {
    /// Checks `user`'s password. Errors: `AUTHENTICATION_FAILED` (516) for a wrong password
    /// or an unknown user (ClickHouse does not say which), `REQUIRED_PASSWORD` (194).
    async fn authenticate(
        &self,
        user: &str,
        password: &str,
        client: &ClientContext,
    ) -> Result<UserInfo, Error>;

    /// Opens a session for an authenticated user. `database` is the database the client asked
    /// for (`UNKNOWN_DATABASE` if it does not exist); `None` means the user's default.
    async fn new_session(
        &self,
        user: &UserInfo,
        database: Option<&str>,
    ) -> Result<Box<dyn QuerySession>, Error>;
}

/// One client session: the current database, `SET` settings, temporary state.
///
/// Native TCP has one session per connection; HTTP has one per request, or one per
/// `session_id` that lives across requests. The servers never call two methods of one
/// session concurrently.
#[async_trait]
pub trait QuerySession: Send {
    /// Runs one statement.
    ///
    /// Returns once the result's schema is known; rows come from [`QueryOutput::stream`].
    /// Errors that happen while rows are produced are items of that stream.
    async fn execute(&mut self, query: Query) -> Result<QueryOutput, Error>;

    /// For native-protocol INSERTs whose data the client sends as blocks
    /// (`INSERT INTO t [(cols)] VALUES` / `FORMAT X` with nothing after it): the columns the
    /// client must send (the sample block) and the table's column descriptions.
    ///
    /// Returns `Ok(None)` for every other statement, including INSERTs with inline data and
    /// `INSERT … SELECT`; the server then calls [`execute`](Self::execute) as for any query.
    /// For `Some`, the server next calls `execute` with [`QueryInput::Batches`].
    async fn insert_target(&mut self, sql: &str) -> Result<Option<InsertTarget>, Error>;

    /// The session's current database (after `USE`), for logs and headers.
    fn current_database(&self) -> String;

    /// The session's time zone (`session_timezone` or the server's), sent as
    /// `X-ClickHouse-Timezone` and in the native Hello.
    fn timezone(&self) -> String;
}

/// Which protocol a query came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interface {
    /// Native TCP protocol.
    Tcp,
    /// HTTP interface.
    Http,
}

/// HTTP request method, when the query came over HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpMethod {
    /// `GET` / `HEAD`: ClickHouse runs these read-only (`readonly = 2`).
    Get,
    /// `POST` and anything else.
    Post,
}

/// Facts about the client, for authentication, `system.processes` and `query_log`.
#[derive(Clone, Debug)]
pub struct ClientContext {
    /// Protocol used.
    pub interface: Interface,
    /// Peer address.
    pub peer: Option<SocketAddr>,
    /// Client program name (`ClickHouse client`, `python-driver`, the HTTP user agent).
    pub client_name: String,
    /// Client version `(major, minor, patch)` from the native Hello.
    pub client_version: (u64, u64, u64),
    /// Negotiated native protocol revision (0 for HTTP).
    pub revision: u64,
    /// HTTP method, for HTTP queries.
    pub http_method: Option<HttpMethod>,
    /// Quota key sent by the client, if any.
    pub quota_key: String,
}

impl ClientContext {
    /// A context for `interface` with everything else empty.
    pub fn new(interface: Interface, peer: Option<SocketAddr>) -> Self {
        Self {
            interface,
            peer,
            client_name: String::new(),
            client_version: (0, 0, 0),
            revision: 0,
            http_method: None,
            quota_key: String::new(),
        }
    }
}

/// An authenticated user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    /// User name.
    pub name: String,
    /// Database used when the client does not name one.
    pub default_database: String,
}

/// One statement to run.
pub struct Query {
    /// SQL text. Over HTTP this may be followed by the beginning of INSERT data (exactly as
    /// ClickHouse concatenates `query` + `"\n"` + body); the rest of the data is in `input`.
    pub sql: String,
    /// Query id: the client's, or one the server generated (a UUID).
    pub query_id: String,
    /// Settings for this query only (URL parameters, native Query packet settings),
    /// in the order the client gave them. The engine validates names and values.
    pub settings: Vec<(String, String)>,
    /// Query parameters for `{name:Type}` placeholders, values in ClickHouse's escaped
    /// text form (already unquoted from the native protocol's Field dump).
    pub params: Vec<(String, String)>,
    /// Data for an INSERT that reads from the client.
    pub input: Option<QueryInput>,
    /// Cancelled when the client sends Cancel, disconnects, or the server shuts down.
    /// The engine stops work and ends the stream with `QUERY_WAS_CANCELLED` (or just ends it).
    pub cancel: CancellationToken,
    /// Who sent it.
    pub client: ClientContext,
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Query")
            .field("sql", &self.sql)
            .field("query_id", &self.query_id)
            .field("settings", &self.settings)
            .field("params", &self.params)
            .field("has_input", &self.input.is_some())
            .field("client", &self.client)
            .finish()
    }
}

/// INSERT data coming from the client.
pub enum QueryInput {
    /// Bytes (HTTP body after decoding `Content-Encoding` and `decompress=1` frames) that
    /// continue right after `Query::sql`: the engine parses the statement, takes the text
    /// after it as the start of the data, then reads the rest from `data`.
    Raw {
        /// Format to decode with instead of the statement's `FORMAT` clause (rarely set).
        format: Option<String>,
        /// The remaining bytes.
        data: RawInput,
    },
    /// Decoded blocks (native protocol INSERT), with the columns of
    /// [`InsertTarget::sample`] (a client may omit columns that have defaults).
    Batches(BatchStream),
}

/// What the client must send for a native INSERT.
#[derive(Clone, Debug)]
pub struct InsertTarget {
    /// Sample block: the insertable columns, in order, with ClickHouse type metadata.
    pub sample: SchemaRef,
    /// All table columns with their defaults, for the TableColumns packet; empty to skip it.
    pub columns: Vec<TableColumn>,
}

/// A table column as `TableColumns` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableColumn {
    /// Column name.
    pub name: String,
    /// ClickHouse type name.
    pub type_name: String,
    /// `DEFAULT`/`MATERIALIZED`/`ALIAS`/`EPHEMERAL` and its expression.
    pub default: Option<(DefaultKind, String)>,
}

/// Kind of a column default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultKind {
    /// `DEFAULT expr`.
    Default,
    /// `MATERIALIZED expr`.
    Materialized,
    /// `ALIAS expr`.
    Alias,
    /// `EPHEMERAL [expr]`.
    Ephemeral,
}

impl DefaultKind {
    /// The keyword as ClickHouse prints it.
    pub fn keyword(self) -> &'static str {
        match self {
            DefaultKind::Default => "DEFAULT",
            DefaultKind::Materialized => "MATERIALIZED",
            DefaultKind::Alias => "ALIAS",
            DefaultKind::Ephemeral => "EPHEMERAL",
        }
    }
}

/// Totals and extremes, known once all rows were produced.
#[derive(Clone, Debug, Default)]
pub struct Trailer {
    /// `WITH TOTALS` row.
    pub totals: Option<RecordBatch>,
    /// `extremes = 1`: two rows, minimums then maximums.
    pub extremes: Option<RecordBatch>,
}

/// The result of [`QuerySession::execute`].
pub struct QueryOutput {
    /// Result columns (empty for statements without a result).
    pub schema: SchemaRef,
    /// Rows; `None` for statements without a result set (DDL, INSERT, SET).
    pub stream: Option<BatchStream>,
    /// The statement's `FORMAT` clause, if any (HTTP uses it, else `default_format`).
    pub format: Option<String>,
    /// Effective settings that affect output formatting (the query's `SETTINGS` clause
    /// merged over the session's), e.g. `output_format_json_quote_64bit_integers`.
    pub format_settings: Vec<(String, String)>,
    /// Resolved after `stream` ends: totals and extremes.
    pub trailer: Option<BoxFuture<'static, Result<Trailer, Error>>>,
    /// Rows/bytes read and written, updated by the engine while the query runs.
    pub progress: Arc<ProgressCounters>,
}

impl QueryOutput {
    /// A result with no rows and no columns (DDL, `SET`, INSERT).
    pub fn empty() -> Self {
        Self {
            schema: Arc::new(arrow::datatypes::Schema::empty()),
            stream: None,
            format: None,
            format_settings: Vec::new(),
            trailer: None,
            progress: Arc::new(ProgressCounters::default()),
        }
    }
}

impl fmt::Debug for QueryOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryOutput")
            .field("schema", &self.schema)
            .field("has_stream", &self.stream.is_some())
            .field("format", &self.format)
            .field("format_settings", &self.format_settings)
            .finish()
    }
}
