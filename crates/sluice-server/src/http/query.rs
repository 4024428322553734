//! The query endpoint (`/`): parameters, authentication, session, request body, execution,
//! then the response: output held back until `buffer_size` bytes (or the whole result with
//! `wait_end_of_query=1`) so early errors get a proper status, streamed after that, with an
//! error after streaming began appended to the body as ClickHouse does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use sluice_common::{Error, ErrorCode};
use tokio::io::AsyncReadExt;
use tokio_util::io::StreamReader;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::errors::exception_text;
use crate::handler::{
    BatchStream, ClientContext, HttpMethod, Interface, Query, QueryInput, QueryOutput,
};
use crate::http::encoding::{
    ByteStream, Reader, choose_accept_encoding, decode_body, decode_frames, encode_body,
    encode_frames, error_from_io, parse_content_encoding,
};
use crate::http::output::{OutputOptions, canonical_name, writer_for};
use crate::http::params::RequestParams;
use crate::http::sessions::{SessionGuard, parse_timeout};
use crate::http::status::status_for;
use crate::http::{HttpState, auth, ok_response};
use crate::progress::{ProgressCounters, summary_json};
use sluice_formats::{OutputFormat, QueryStatistics};

/// Default bytes held back before the response starts (ClickHouse's `buffer_size`).
const DEFAULT_BUFFER_SIZE: usize = 1 << 20;

/// The session a request runs in: its own, or a shared `session_id` one.
enum SessionHold {
    Own(Box<dyn crate::handler::QuerySession>),
    Shared {
        guard: SessionGuard,
        user: String,
        id: String,
        close: bool,
        registry: Arc<crate::http::sessions::SessionRegistry>,
    },
}

impl SessionHold {
    fn session(&mut self) -> &mut Box<dyn crate::handler::QuerySession> {
        match self {
            SessionHold::Own(s) => s,
            SessionHold::Shared { guard, .. } => guard,
        }
    }
}

impl Drop for SessionHold {
    fn drop(&mut self) {
        if let SessionHold::Shared {
            user,
            id,
            close,
            registry,
            ..
        } = self
        {
            if *close {
                registry.remove(user, id);
            } else {
                registry.touch(user, id);
            }
        }
    }
}

struct Ctx {
    display_name: String,
    version: (u64, u64, u64),
    query_id: Option<String>,
}

impl Ctx {
    fn error_response(&self, e: &Error) -> Response {
        let (a, b, c) = self.version;
        let body = format!("{} (version {a}.{b}.{c}.1 (sluice))\n", exception_text(e));
        let mut r = (status_for(e.code), body).into_response();
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=UTF-8"),
        );
        put(h, "x-clickhouse-exception-code", &e.code.0.to_string());
        put(h, "x-clickhouse-server-display-name", &self.display_name);
        if let Some(id) = &self.query_id {
            put(h, "x-clickhouse-query-id", id);
        }
        if e.code == ErrorCode::REQUIRED_PASSWORD {
            put(
                h,
                "www-authenticate",
                "Basic realm=\"ClickHouse server HTTP API\"",
            );
        }
        r
    }
}

fn put(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.append(HeaderName::from_static(name), v);
    }
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Handles `GET /?query=…` and `POST /`.
pub async fn handle(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut ctx = Ctx {
        display_name: state.config.display_name.clone(),
        version: state.config.version,
        query_id: None,
    };
    match run(&state, &mut ctx, peer, method, uri, headers, body).await {
        Ok(r) => r,
        Err(e) => ctx.error_response(&e),
    }
}

async fn run(
    state: &HttpState,
    ctx: &mut Ctx,
    peer: SocketAddr,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Error> {
    let params = RequestParams::parse(uri.query().unwrap_or(""))?;
    let is_get = method == Method::GET || method == Method::HEAD;
    if is_get && params.query.as_deref().is_none_or(str::is_empty) {
        return Ok(ok_response().await);
    }
    let mut client = ClientContext::new(Interface::Http, Some(peer));
    client.http_method = Some(if is_get {
        HttpMethod::Get
    } else {
        HttpMethod::Post
    });
    client.client_name = header_str(&headers, "user-agent").unwrap_or("").to_string();
    client.quota_key = params.quota_key.clone().unwrap_or_default();

    let creds = auth::credentials(&headers, &params)?;
    let user = state
        .handler
        .authenticate(&creds.user, &creds.password, &client)
        .await?;

    let query_id = params
        .query_id
        .clone()
        .or_else(|| header_str(&headers, "x-clickhouse-query-id").map(str::to_string))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    ctx.query_id = Some(query_id.clone());

    let database = params
        .database
        .clone()
        .or_else(|| header_str(&headers, "x-clickhouse-database").map(str::to_string))
        .filter(|s| !s.is_empty());
    let mut hold = match &params.session_id {
        None => SessionHold::Own(
            state
                .handler
                .new_session(&user, database.as_deref())
                .await?,
        ),
        Some(id) => {
            let timeout = parse_timeout(
                params.session_timeout.as_deref(),
                state.config.default_session_timeout,
                state.config.max_session_timeout,
            )?;
            let guard = match state.sessions.take(&user.name, id, timeout)? {
                Some(g) => g,
                None if params.session_check => {
                    return Err(Error::new(
                        ErrorCode::SESSION_NOT_FOUND,
                        format!("Session {id} not found"),
                    ));
                }
                None => {
                    let s = state
                        .handler
                        .new_session(&user, database.as_deref())
                        .await?;
                    state.sessions.insert(&user.name, id, timeout, s)?
                }
            };
            SessionHold::Shared {
                guard,
                user: user.name.clone(),
                id: id.clone(),
                close: params.close_session,
                registry: Arc::clone(&state.sessions),
            }
        }
    };

    // Request body: Content-Encoding, then ClickHouse frames.
    let has_body = !is_get && body_may_have_data(&headers)?;
    let mut reader: Option<Reader> = None;
    if has_body {
        let coding = match header_str(&headers, "content-encoding") {
            Some(v) => parse_content_encoding(v)?,
            None => None,
        };
        let stream = body
            .into_data_stream()
            .map(|r| r.map_err(std::io::Error::other));
        let raw: Reader = Box::new(StreamReader::new(stream));
        let mut r = decode_body(raw, coding);
        if params.decompress {
            let verify =
                !params.setting_flag("http_native_compression_disable_checksumming_on_decompress");
            r = decode_frames(r, verify);
        }
        reader = Some(r);
    }

    // Query text: URL `query`, else the beginning of the body.
    let (sql, input) = match params.query.as_deref().filter(|q| !q.is_empty()) {
        Some(q) => (q.to_string(), reader),
        None => match reader {
            None => (String::new(), None),
            Some(r) => split_query_from_body(r, state.config.max_query_size).await?,
        },
    };
    if sql.trim().is_empty() {
        return Err(Error::new(ErrorCode::SYNTAX_ERROR, "Empty query"));
    }

    let cancel = CancellationToken::new();
    let guard = cancel.clone().drop_guard();
    let query = Query {
        sql,
        query_id: query_id.clone(),
        settings: params.settings.clone(),
        params: params.params.clone(),
        input: input.map(|data| QueryInput::Raw { format: None, data }),
        cancel,
        client,
    };
    let started = Instant::now();
    let output = hold.session().execute(query).await?;
    let timezone = params
        .setting("session_timezone")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| hold.session().timezone());

    let format = output
        .format
        .clone()
        .or_else(|| params.default_format.clone())
        .or_else(|| header_str(&headers, "x-clickhouse-format").map(str::to_string))
        .unwrap_or_else(|| "TabSeparated".to_string());

    let response_coding = if params.setting_flag("enable_http_compression") {
        header_str(&headers, "accept-encoding").and_then(choose_accept_encoding)
    } else {
        None
    };
    let buffer_size = if params.wait_end_of_query {
        usize::MAX
    } else {
        params.buffer_size.unwrap_or(DEFAULT_BUFFER_SIZE).max(1)
    };

    let (a, b, c) = state.config.version;
    let mut producer = Producer {
        version_suffix: format!("(version {a}.{b}.{c}.1 (sluice))"),
        started,
        stream: None,
        writer: None,
        trailer: None,
        progress: Arc::clone(&output.progress),
        result_rows: 0,
        done: false,
        _cancel: guard,
        _session: hold,
    };
    // Phase 1: hold back output until buffer_size, collecting progress headers.
    let mut first = Vec::new();
    let content_type = producer.start(output, &format, &timezone, &params, &mut first)?;
    let mut progress_headers = Vec::new();
    let send_progress = params.setting_flag("send_progress_in_http_headers");
    let interval = params
        .setting("http_headers_progress_interval_ms")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(state.config.progress_interval);
    let mut last_progress = Instant::now();
    while !producer.done && first.len() < buffer_size {
        producer.next_chunk(&mut first).await?;
        if send_progress && last_progress.elapsed() >= interval {
            last_progress = Instant::now();
            let v = producer.progress.snapshot();
            progress_headers.push(summary_json(
                &v,
                producer.result_rows,
                0,
                elapsed_ns(started),
            ));
        }
    }

    let mut response_headers = HeaderMap::new();
    let h = &mut response_headers;
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    put(h, "x-clickhouse-server-display-name", &ctx.display_name);
    put(h, "x-clickhouse-query-id", &query_id);
    put(h, "x-clickhouse-format", &canonical_name(&format));
    put(h, "x-clickhouse-timezone", &timezone);
    for p in &progress_headers {
        put(h, "x-clickhouse-progress", p);
    }
    let v = producer.progress.snapshot();
    let result_bytes = if producer.done { first.len() as u64 } else { 0 };
    put(
        h,
        "x-clickhouse-summary",
        &summary_json(&v, producer.result_rows, result_bytes, elapsed_ns(started)),
    );
    put(
        h,
        "keep-alive",
        &format!("timeout={}", state.config.http_keep_alive_timeout.as_secs()),
    );

    let head: ByteStream = Box::pin(futures::stream::iter([Ok::<_, std::io::Error>(
        Bytes::from(first),
    )]));
    let mut body: ByteStream = if producer.done {
        head
    } else {
        Box::pin(head.chain(producer.into_stream()))
    };
    if params.compress {
        body = encode_frames(body);
    }
    if let Some(coding) = response_coding {
        body = encode_body(body, coding);
        put(h, "content-encoding", coding.name());
    }
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = StatusCode::OK;
    *response.headers_mut() = response_headers;
    Ok(response)
}

fn elapsed_ns(started: Instant) -> u64 {
    started.elapsed().as_nanos() as u64
}

/// Whether a POST may carry a body; `ErrorCode::HTTP_LENGTH_REQUIRED` without length or chunking.
pub fn body_may_have_data(headers: &HeaderMap) -> Result<bool, Error> {
    if let Some(len) = header_str(headers, "content-length") {
        return Ok(len.trim() != "0");
    }
    let chunked = header_str(headers, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return Ok(true);
    }
    Err(Error::new(
        ErrorCode::HTTP_LENGTH_REQUIRED,
        "The Transfer-Encoding is not chunked and there is no Content-Length header for POST request",
    ))
}

/// Splits a body that starts with the query: up to `max_query_size` bytes of valid UTF-8
/// are the SQL text; the rest (INSERT data) stays in the reader.
async fn split_query_from_body(
    mut reader: Reader,
    max_query_size: usize,
) -> Result<(String, Option<Reader>), Error> {
    let mut head = Vec::new();
    (&mut reader)
        .take(max_query_size as u64)
        .read_to_end(&mut head)
        .await
        .map_err(|e| error_from_io(&e))?;
    let more = head.len() >= max_query_size;
    let valid = match std::str::from_utf8(&head) {
        Ok(_) => head.len(),
        Err(e) => e.valid_up_to(),
    };
    let tail = head.split_off(valid);
    let sql = String::from_utf8(head).map_err(|_| Error::internal("UTF-8 prefix is invalid"))?;
    let input: Option<Reader> = match (tail.is_empty(), more) {
        (true, false) => None,
        (true, true) => Some(reader),
        (false, false) => Some(Box::new(std::io::Cursor::new(tail))),
        (false, true) => Some(Box::new(std::io::Cursor::new(tail).chain(reader))),
    };
    Ok((sql, input))
}

/// Produces the response body from the query output.
struct Producer {
    version_suffix: String,
    stream: Option<BatchStream>,
    writer: Option<Box<dyn OutputFormat>>,
    started: Instant,
    trailer: Option<futures::future::BoxFuture<'static, Result<crate::handler::Trailer, Error>>>,
    progress: Arc<ProgressCounters>,
    result_rows: u64,
    done: bool,
    _cancel: DropGuard,
    _session: SessionHold,
}

impl Producer {
    /// Prepares the writer; returns the Content-Type.
    fn start(
        &mut self,
        output: QueryOutput,
        format: &str,
        timezone: &str,
        params: &RequestParams,
        out: &mut Vec<u8>,
    ) -> Result<&'static str, Error> {
        let Some(stream) = output.stream else {
            self.done = true;
            return Ok("text/plain; charset=UTF-8");
        };
        let mut settings = output.format_settings.clone();
        settings.extend(params.settings.iter().cloned());
        let opts = OutputOptions {
            timezone: timezone.to_string(),
            settings,
        };
        let mut writer = writer_for(format, &output.schema, &opts)?;
        writer.write_prefix(out)?;
        self.stream = Some(stream);
        self.trailer = output.trailer;
        let ct = writer.content_type();
        self.writer = Some(writer);
        Ok(ct)
    }

    /// Appends the next piece of output; sets `done` after the suffix.
    async fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<(), Error> {
        let (Some(stream), Some(writer)) = (self.stream.as_mut(), self.writer.as_mut()) else {
            self.done = true;
            return Ok(());
        };
        match stream.next().await {
            Some(Ok(batch)) => {
                self.result_rows += batch.num_rows() as u64;
                writer.write_batch(&batch, out)
            }
            Some(Err(e)) => Err(e),
            None => {
                if let Some(trailer) = self.trailer.take() {
                    let t = trailer.await?;
                    if let Some(totals) = t.totals {
                        writer.write_totals(&totals, out)?;
                    }
                }
                let p = self.progress.snapshot();
                let stats = QueryStatistics {
                    elapsed: self.started.elapsed().as_secs_f64(),
                    rows_read: p.read_rows,
                    bytes_read: p.read_bytes,
                    rows_before_limit: None,
                };
                writer.write_suffix(out, &stats)?;
                self.done = true;
                Ok(())
            }
        }
    }

    /// The rest of the body; an error ends it with ClickHouse's exception text.
    fn into_stream(self) -> ByteStream {
        Box::pin(futures::stream::unfold(Some(self), |state| async move {
            let mut p = state?;
            if p.done {
                return None;
            }
            let mut out = Vec::new();
            match p.next_chunk(&mut out).await {
                Ok(()) => Some((Ok(Bytes::from(out)), Some(p))),
                Err(e) => {
                    out.extend_from_slice(
                        format!("\n{} {}\n", exception_text(&e), p.version_suffix).as_bytes(),
                    );
                    Some((Ok(Bytes::from(out)), None))
                }
            }
        }))
    }
}
