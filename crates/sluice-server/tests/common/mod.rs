//! Shared test support: a test double of the engine (a `QueryHandler` serving a fixed set
//! of statements over fixed data) and a running server.
//!
//! Statements the double understands (anything else is `UNKNOWN_TABLE` / `SYNTAX_ERROR`):
//! - `SELECT 1`
//! - `SELECT number FROM numbers(N)` (streamed in blocks of 65536, generated lazily)
//! - `SELECT * FROM types` (one row per interesting ClickHouse type)
//! - `SELECT * FROM t`, `INSERT INTO t …` (table `t(a UInt32, b String DEFAULT 'x')`)
//! - `SELECT {p:String}`-style queries: returns the `p` parameter as a String column
//! - `SET name = value` and `SELECT getSetting('name')`
//! - `SELECT midstream_error(N)`: N rows, then an error
//! - `SELECT slow`: a block every 50 ms until cancelled
//! - `SELECT sleep(MS)`: one row (`1`) after MS milliseconds, nothing before
//! - `SELECT totals`: one row plus a totals row
//! - `SELECT syntax error` → SYNTAX_ERROR (62)

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{
    ArrayRef, BooleanArray, Decimal128Array, FixedSizeBinaryArray, Float64Array, Int8Array,
    Int64Array, ListArray, RecordBatch, StringArray, TimestampMillisecondArray,
    TimestampSecondArray, UInt8Array, UInt32Array, UInt64Array,
};
use arrow::datatypes::{Field, Int64Type, Schema, SchemaRef};
use async_trait::async_trait;
use futures::StreamExt;
use parking_lot::Mutex;
use sluice_common::{ChType, Error, ErrorCode};
use sluice_server::{
    BatchStream, ClientContext, DefaultKind, InsertTarget, Query, QueryHandler, QueryInput,
    QueryOutput, QuerySession, Server, ServerConfig, TableColumn, Trailer, UserInfo,
};
use tokio::io::AsyncReadExt;

/// The engine test double.
#[derive(Default)]
pub struct TestHandler {
    /// Rows of table `t`.
    pub t: Arc<Mutex<Vec<(u32, String)>>>,
    /// Queries seen, for assertions.
    pub log: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl QueryHandler for TestHandler {
    async fn authenticate(
        &self,
        user: &str,
        password: &str,
        _c: &ClientContext,
    ) -> Result<UserInfo, Error> {
        let ok = matches!((user, password), ("default", "") | ("alice", "secret"));
        if !ok {
            return Err(Error::new(
                ErrorCode::AUTHENTICATION_FAILED,
                format!(
                    "{user}: Authentication failed: password is incorrect, or there is no user with such name"
                ),
            ));
        }
        Ok(UserInfo {
            name: user.to_string(),
            default_database: "default".to_string(),
        })
    }

    async fn new_session(
        &self,
        user: &UserInfo,
        database: Option<&str>,
    ) -> Result<Box<dyn QuerySession>, Error> {
        let db = database.unwrap_or(&user.default_database).to_string();
        if db != "default" && db != "system" {
            return Err(Error::new(
                ErrorCode::UNKNOWN_DATABASE,
                format!("Database {db} does not exist"),
            ));
        }
        Ok(Box::new(TestSession {
            database: db,
            settings: HashMap::new(),
            t: Arc::clone(&self.t),
            log: Arc::clone(&self.log),
        }))
    }
}

/// One session of the double.
pub struct TestSession {
    database: String,
    settings: HashMap<String, String>,
    t: Arc<Mutex<Vec<(u32, String)>>>,
    log: Arc<Mutex<Vec<String>>>,
}

fn field(t: &str, name: &str) -> Field {
    ChType::parse(t).expect("type").to_field(name)
}

fn t_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        field("UInt32", "a"),
        field("String", "b"),
    ]))
}

fn one_batch(schema: SchemaRef, cols: Vec<ArrayRef>) -> Result<RecordBatch, Error> {
    RecordBatch::try_new(schema, cols).map_err(|e| Error::internal(e.to_string()))
}

fn stream_of(batches: Vec<Result<RecordBatch, Error>>) -> BatchStream {
    Box::pin(futures::stream::iter(batches))
}

fn output(schema: SchemaRef, stream: BatchStream) -> QueryOutput {
    QueryOutput {
        schema,
        stream: Some(stream),
        ..QueryOutput::empty()
    }
}

/// One row of many types (the columns clients must decode).
pub fn types_batch() -> Result<RecordBatch, Error> {
    let cols: Vec<(Field, ArrayRef)> = vec![
        (
            field("UInt8", "u8"),
            Arc::new(UInt8Array::from(vec![200u8])),
        ),
        (field("Int8", "i8"), Arc::new(Int8Array::from(vec![-5i8]))),
        (
            field("UInt64", "u64"),
            Arc::new(UInt64Array::from(vec![u64::MAX])),
        ),
        (
            field("Int64", "i64"),
            Arc::new(Int64Array::from(vec![i64::MIN])),
        ),
        (
            field("Float64", "f64"),
            Arc::new(Float64Array::from(vec![1.5])),
        ),
        (
            field("String", "s"),
            Arc::new(StringArray::from(vec!["tab\there"])),
        ),
        (
            field("Nullable(String)", "ns"),
            Arc::new(StringArray::from(vec![None::<&str>])),
        ),
        (
            field("Bool", "flag"),
            Arc::new(BooleanArray::from(vec![true])),
        ),
        (
            field("Array(Int64)", "arr"),
            Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
                Some(vec![Some(1), Some(2)]),
            ])),
        ),
        (
            field("DateTime('UTC')", "dt"),
            Arc::new(TimestampSecondArray::from(vec![1_700_000_000i64]).with_timezone("UTC")),
        ),
        (
            field("DateTime64(3, 'UTC')", "dt64"),
            Arc::new(
                TimestampMillisecondArray::from(vec![1_700_000_000_123i64]).with_timezone("UTC"),
            ),
        ),
        (
            field("Decimal(18, 4)", "dec"),
            Arc::new(
                Decimal128Array::from(vec![123_456i128])
                    .with_precision_and_scale(18, 4)
                    .map_err(|e| Error::internal(e.to_string()))?,
            ),
        ),
        (
            field("UUID", "id"),
            Arc::new(
                FixedSizeBinaryArray::try_from_iter(
                    [[
                        0x61u8, 0xf0, 0xc4, 0x04, 0x5c, 0xb3, 0x11, 0xe7, 0x90, 0x7b, 0xa6, 0x00,
                        0x6a, 0xd3, 0xdb, 0xa0,
                    ]]
                    .into_iter(),
                )
                .map_err(|e| Error::internal(e.to_string()))?,
            ),
        ),
        (
            field("Enum8('a' = 1, 'b' = 2)", "e"),
            Arc::new(StringArray::from(vec!["b"])),
        ),
        (
            field("FixedString(3)", "fs"),
            Arc::new(
                FixedSizeBinaryArray::try_from_iter([*b"abc"].into_iter())
                    .map_err(|e| Error::internal(e.to_string()))?,
            ),
        ),
        (
            field("IPv4", "ip"),
            Arc::new(UInt32Array::from(vec![0x7F00_0001u32])),
        ),
    ];
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = cols
        .into_iter()
        .map(|(f, a)| (f.with_data_type(a.data_type().clone()), a))
        .unzip();
    one_batch(Arc::new(Schema::new(fields)), arrays)
}

fn numbers(n: u64) -> QueryOutput {
    let schema = Arc::new(Schema::new(vec![field("UInt64", "number")]));
    let progress = Arc::new(sluice_server::ProgressCounters::default());
    let p = Arc::clone(&progress);
    let s = Arc::clone(&schema);
    let stream = futures::stream::unfold(0u64, move |start| {
        let s = Arc::clone(&s);
        let p = Arc::clone(&p);
        async move {
            if start >= n {
                return None;
            }
            let end = (start + 65536).min(n);
            p.add_read(end - start, (end - start) * 8);
            let arr: ArrayRef = Arc::new(UInt64Array::from_iter_values(start..end));
            Some((one_batch(s, vec![arr]), end))
        }
    });
    QueryOutput {
        schema,
        stream: Some(Box::pin(stream)),
        progress,
        ..QueryOutput::empty()
    }
}

fn parse_rows(text: &str, sep: char) -> Result<Vec<(u32, String)>, Error> {
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut it = line.splitn(2, sep);
        let a = it.next().unwrap_or("").trim();
        let b = it.next().unwrap_or("").trim().trim_matches('"').to_string();
        let a = a.parse::<u32>().map_err(|_| {
            Error::new(
                ErrorCode::CANNOT_PARSE_TEXT,
                format!("Cannot parse input: expected UInt32, got '{a}'"),
            )
        })?;
        rows.push((a, b));
    }
    Ok(rows)
}

impl TestSession {
    async fn insert(&mut self, q: Query) -> Result<QueryOutput, Error> {
        let sql = q.sql.clone();
        let upper = sql.to_uppercase();
        let mut new_rows = Vec::new();
        match q.input {
            Some(QueryInput::Batches(mut stream)) => {
                while let Some(batch) = stream.next().await {
                    let batch = batch?;
                    let a = batch
                        .column_by_name("a")
                        .and_then(|c| c.as_any().downcast_ref::<UInt32Array>().cloned());
                    let b = batch
                        .column_by_name("b")
                        .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned());
                    for i in 0..batch.num_rows() {
                        let av = a.as_ref().map_or(0, |x| x.value(i));
                        let bv = b
                            .as_ref()
                            .map_or_else(|| "x".to_string(), |x| x.value(i).to_string());
                        if av == 666 {
                            return Err(Error::new(
                                ErrorCode::TYPE_MISMATCH,
                                "Value 666 is not allowed",
                            ));
                        }
                        new_rows.push((av, bv));
                    }
                }
            }
            Some(QueryInput::Raw { data, .. }) => {
                let inline = sql_tail(&sql);
                let mut text = inline.to_string();
                let mut data = data;
                let mut rest = String::new();
                data.read_to_string(&mut rest)
                    .await
                    .map_err(|e| sluice_server::input_error(&e))?;
                text.push_str(&rest);
                let sep = if upper.contains("FORMAT CSV") {
                    ','
                } else {
                    '\t'
                };
                new_rows = parse_rows(&text, sep)?;
            }
            None if upper.contains(" FORMAT ") => {
                let sep = if upper.contains("FORMAT CSV") {
                    ','
                } else {
                    '\t'
                };
                new_rows = parse_rows(sql_tail(&sql), sep)?;
            }
            None => {
                if let Some(pos) = upper.find("VALUES") {
                    let values = &sql[pos + 6..];
                    for tuple in values.split(')').filter(|t| t.contains('(')) {
                        let inner = tuple.split_once('(').map_or("", |x| x.1);
                        let mut it = inner.splitn(2, ',');
                        let a = it.next().unwrap_or("").trim().parse::<u32>().map_err(|_| {
                            Error::new(ErrorCode::SYNTAX_ERROR, "Cannot parse VALUES")
                        })?;
                        let b = it
                            .next()
                            .unwrap_or("'x'")
                            .trim()
                            .trim_matches('\'')
                            .to_string();
                        new_rows.push((a, b));
                    }
                }
            }
        }
        let out = QueryOutput::empty();
        out.progress
            .add_written(new_rows.len() as u64, new_rows.len() as u64 * 8);
        self.t.lock().extend(new_rows);
        Ok(out)
    }
}

/// Escaped text form → value (`it\'s` → `it's`), as a String parameter is parsed.
fn unescape(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Text after `FORMAT X` / `VALUES` of an INSERT (inline data start).
fn sql_tail(sql: &str) -> &str {
    let upper = sql.to_uppercase();
    if let Some(pos) = upper.find("FORMAT ") {
        let after = &sql[pos + 7..];
        let name_end = after
            .find(|c: char| c.is_whitespace())
            .unwrap_or(after.len());
        return &after[name_end..];
    }
    ""
}

#[async_trait]
impl QuerySession for TestSession {
    async fn execute(&mut self, q: Query) -> Result<QueryOutput, Error> {
        self.log.lock().push(q.sql.clone());
        let sql = q.sql.trim().trim_end_matches(';').to_string();
        let upper = sql.to_uppercase();
        let format_pos = upper
            .rfind("FORMAT ")
            .filter(|p| *p > 0 && upper.as_bytes()[p - 1].is_ascii_whitespace());
        let (sql, format) = match format_pos {
            Some(pos) if !upper.starts_with("INSERT") => (
                sql[..pos].trim().to_string(),
                Some(sql[pos + 7..].trim().to_string()),
            ),
            _ => (sql, None),
        };
        let mut out = if upper.starts_with("INSERT") {
            return self.insert(q).await;
        } else if let Some(rest) = sql.strip_prefix("SET ") {
            let (k, v) = rest.split_once('=').unwrap_or((rest, ""));
            self.settings.insert(
                k.trim().to_string(),
                v.trim().trim_matches('\'').to_string(),
            );
            return Ok(QueryOutput::empty());
        } else if sql == "SELECT version(), timezone()" {
            let schema = Arc::new(Schema::new(vec![
                field("String", "version()"),
                field("String", "timezone()"),
            ]));
            let b = one_batch(
                Arc::clone(&schema),
                vec![
                    Arc::new(StringArray::from(vec!["25.8.1.1"])),
                    Arc::new(StringArray::from(vec!["UTC"])),
                ],
            );
            output(schema, stream_of(vec![b]))
        } else if sql.starts_with("SELECT name, value, readonly FROM system.settings") {
            let schema = Arc::new(Schema::new(vec![
                field("String", "name"),
                field("String", "value"),
                field("UInt8", "readonly"),
            ]));
            let names = [
                "max_block_size",
                "date_time_input_format",
                "enable_http_compression",
                "send_progress_in_http_headers",
            ];
            let values = ["65409", "basic", "0", "0"];
            let b = one_batch(
                Arc::clone(&schema),
                vec![
                    Arc::new(StringArray::from(names.to_vec())),
                    Arc::new(StringArray::from(values.to_vec())),
                    Arc::new(UInt8Array::from(vec![0u8; 4])),
                ],
            );
            output(schema, stream_of(vec![b]))
        } else if sql == "SELECT 1 AS check" {
            let schema = Arc::new(Schema::new(vec![field("UInt8", "check")]));
            let b = one_batch(
                Arc::clone(&schema),
                vec![Arc::new(UInt8Array::from(vec![1u8]))],
            );
            output(schema, stream_of(vec![b]))
        } else if sql == "SELECT 1" {
            let schema = Arc::new(Schema::new(vec![field("UInt8", "1")]));
            let b = one_batch(
                Arc::clone(&schema),
                vec![Arc::new(UInt8Array::from(vec![1u8]))],
            );
            output(schema, stream_of(vec![b]))
        } else if let Some(n) = sql
            .strip_prefix("SELECT number FROM numbers(")
            .and_then(|r| r.strip_suffix(')'))
        {
            let n: u64 = n
                .parse()
                .map_err(|_| Error::new(ErrorCode::SYNTAX_ERROR, "bad number"))?;
            numbers(n)
        } else if let Some(ms) = sql
            .strip_prefix("SELECT sleep(")
            .and_then(|r| r.strip_suffix(')'))
        {
            let ms: u64 = ms
                .parse()
                .map_err(|_| Error::new(ErrorCode::SYNTAX_ERROR, "bad number"))?;
            let schema = Arc::new(Schema::new(vec![field("UInt8", "x")]));
            let s = Arc::clone(&schema);
            let cancel = q.cancel.clone();
            let row = async move {
                tokio::select! {
                    _ = cancel.cancelled() => None,
                    _ = tokio::time::sleep(Duration::from_millis(ms)) => {
                        let arr: ArrayRef = Arc::new(UInt8Array::from(vec![1u8]));
                        Some(one_batch(s, vec![arr]))
                    }
                }
            };
            output(
                schema,
                Box::pin(futures::stream::once(row).filter_map(futures::future::ready)),
            )
        } else if sql == "SELECT * FROM types" {
            let b = types_batch()?;
            output(b.schema(), stream_of(vec![Ok(b)]))
        } else if sql == "SELECT * FROM t" {
            let rows = self.t.lock().clone();
            let schema = t_schema();
            let b = one_batch(
                Arc::clone(&schema),
                vec![
                    Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.0))),
                    Arc::new(StringArray::from_iter_values(
                        rows.iter().map(|r| r.1.clone()),
                    )),
                ],
            );
            output(schema, stream_of(vec![b]))
        } else if let Some(name) = sql
            .strip_prefix("SELECT getSetting('")
            .and_then(|r| r.strip_suffix("')"))
        {
            let v = q
                .settings
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| self.settings.get(name).cloned())
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::UNKNOWN_SETTING,
                        format!("Unknown setting '{name}'"),
                    )
                })?;
            let schema = Arc::new(Schema::new(vec![field("String", "value")]));
            let b = one_batch(
                Arc::clone(&schema),
                vec![Arc::new(StringArray::from(vec![v]))],
            );
            output(schema, stream_of(vec![b]))
        } else if let Some(rest) = sql.strip_prefix("SELECT {") {
            let name = rest.split(':').next().unwrap_or("").to_string();
            let v = q
                .params
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| unescape(v))
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::UNKNOWN_QUERY_PARAMETER,
                        format!("Substitution `{name}` is not set"),
                    )
                })?;
            let schema = Arc::new(Schema::new(vec![field("String", "p")]));
            let b = one_batch(
                Arc::clone(&schema),
                vec![Arc::new(StringArray::from(vec![v]))],
            );
            output(schema, stream_of(vec![b]))
        } else if let Some(n) = sql
            .strip_prefix("SELECT midstream_error(")
            .and_then(|r| r.strip_suffix(')'))
        {
            let n: u64 = n
                .parse()
                .map_err(|_| Error::new(ErrorCode::SYNTAX_ERROR, "bad number"))?;
            let mut o = numbers(n);
            let tail = futures::stream::once(async {
                Err(Error::new(
                    ErrorCode(395),
                    "Value passed to 'throwIf' function is non-zero",
                ))
            });
            o.stream = o.stream.map(|s| Box::pin(s.chain(tail)) as BatchStream);
            o
        } else if sql == "SELECT slow" {
            let schema = Arc::new(Schema::new(vec![field("UInt64", "number")]));
            let s = Arc::clone(&schema);
            let cancel = q.cancel.clone();
            let stream = futures::stream::unfold(0u64, move |i| {
                let s = Arc::clone(&s);
                let cancel = cancel.clone();
                async move {
                    tokio::select! {
                        _ = cancel.cancelled() => None,
                        _ = tokio::time::sleep(Duration::from_millis(50)) => {
                            let arr: ArrayRef = Arc::new(UInt64Array::from(vec![i]));
                            Some((one_batch(s, vec![arr]), i + 1))
                        }
                    }
                }
            });
            output(schema, Box::pin(stream))
        } else if sql == "SELECT totals" {
            let schema = Arc::new(Schema::new(vec![field("UInt64", "x")]));
            let b = one_batch(
                Arc::clone(&schema),
                vec![Arc::new(UInt64Array::from(vec![1u64]))],
            );
            let totals = one_batch(
                Arc::clone(&schema),
                vec![Arc::new(UInt64Array::from(vec![10u64]))],
            )?;
            let mut o = output(schema, stream_of(vec![b]));
            o.trailer = Some(Box::pin(async move {
                Ok(Trailer {
                    totals: Some(totals),
                    extremes: None,
                })
            }));
            o
        } else if upper.starts_with("SELECT SYNTAX") {
            return Err(Error::new(
                ErrorCode::SYNTAX_ERROR,
                "Syntax error: failed at position 8 ('syntax')",
            ));
        } else {
            return Err(Error::new(
                ErrorCode::UNKNOWN_TABLE,
                format!("Unknown statement in the test engine: {sql}"),
            ));
        };
        out.format = format;
        Ok(out)
    }

    async fn insert_target(&mut self, sql: &str) -> Result<Option<InsertTarget>, Error> {
        let upper = sql.trim().to_uppercase();
        if !upper.starts_with("INSERT INTO T") {
            return Ok(None);
        }
        let expects_data = upper.trim_end().ends_with("VALUES")
            || sql_tail(sql).trim().is_empty() && upper.contains(" FORMAT ");
        if !expects_data {
            return Ok(None);
        }
        Ok(Some(InsertTarget {
            sample: t_schema(),
            columns: vec![
                TableColumn {
                    name: "a".into(),
                    type_name: "UInt32".into(),
                    default: None,
                },
                TableColumn {
                    name: "b".into(),
                    type_name: "String".into(),
                    default: Some((DefaultKind::Default, "'x'".into())),
                },
            ],
        }))
    }

    fn current_database(&self) -> String {
        self.database.clone()
    }

    fn timezone(&self) -> String {
        self.settings
            .get("session_timezone")
            .cloned()
            .unwrap_or_else(|| "UTC".to_string())
    }
}

/// A server running the test double on free ports.
pub struct TestServer {
    /// HTTP address.
    pub http: std::net::SocketAddr,
    /// Native address.
    pub tcp: std::net::SocketAddr,
    /// The double (for inspecting inserted rows).
    pub handler: Arc<TestHandler>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), Error>>>,
}

impl TestServer {
    /// Starts with `config` (ports forced to 0 = free).
    pub async fn start_with(mut config: ServerConfig) -> TestServer {
        config.listen_host = "127.0.0.1".to_string();
        config.http_port = Some(0);
        config.tcp_port = Some(0);
        let handler = Arc::new(TestHandler::default());
        let dyn_handler: Arc<dyn QueryHandler> = Arc::<TestHandler>::clone(&handler);
        let server = Server::bind(config, dyn_handler).await.expect("bind");
        let http = server.http_addr().expect("http addr");
        let tcp = server.tcp_addr().expect("tcp addr");
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = rx.await;
        }));
        TestServer {
            http,
            tcp,
            handler,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Starts with the default configuration.
    pub async fn start() -> TestServer {
        Self::start_with(ServerConfig {
            shutdown_grace: Duration::from_secs(5),
            ..ServerConfig::default()
        })
        .await
    }

    /// Base URL of the HTTP interface.
    pub fn url(&self) -> String {
        format!("http://{}/", self.http)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let res = tokio::time::timeout(Duration::from_secs(10), t).await;
            assert!(
                matches!(res, Ok(Ok(Ok(())))),
                "server did not shut down cleanly: {res:?}"
            );
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}
