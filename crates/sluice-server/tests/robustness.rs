//! Robustness of both interfaces against hostile or broken clients (issue 5, point 8):
//! packets cut at every byte, absurd lengths, garbage after the handshake, HTTP on the
//! native port, 200 concurrent clients, idle/receive/send timeouts, and malformed HTTP
//! requests. After each abuse the server must still answer a fresh client's `SELECT 1`.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::TestServer;
use sluice_server::ServerConfig;
use sluice_server::native::block::decode_block;
use sluice_server::native::wire::{DecodeError, DecodeResult, WireReader, WireWrite};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REV: u64 = 54460;

/// What the server sent, reduced to what these tests check.
#[derive(Debug, PartialEq)]
enum Reply {
    Hello,
    Data(usize),
    Exception(i32),
    Pong,
    EndOfStream,
    Other,
}

fn parse_reply(r: &mut WireReader<'_>) -> DecodeResult<Reply> {
    Ok(match r.varint()? {
        0 => {
            r.string()?;
            r.varint()?;
            r.varint()?;
            r.varint()?;
            r.string()?;
            r.string()?;
            r.varint()?;
            Reply::Hello
        }
        1 => {
            r.string()?;
            let (block, used) = decode_block(r.rest(), REV)?;
            r.advance(used)?;
            Reply::Data(block.batch.num_rows())
        }
        2 => {
            let code = r.i32_le()?;
            r.string()?;
            r.string()?;
            r.string()?;
            r.u8()?;
            Reply::Exception(code)
        }
        3 => {
            for _ in 0..6 {
                r.varint()?;
            }
            Reply::Other
        }
        4 => Reply::Pong,
        5 => Reply::EndOfStream,
        6 => {
            for _ in 0..3 {
                r.varint()?;
            }
            r.u8()?;
            r.varint()?;
            r.u8()?;
            Reply::Other
        }
        14 => {
            r.string()?;
            let (_, used) = decode_block(r.rest(), REV)?;
            r.advance(used)?;
            Reply::Other
        }
        other => panic!("unexpected server packet {other}"),
    })
}

fn hello() -> Vec<u8> {
    let mut v = Vec::new();
    v.put_varint(0);
    v.put_str(b"robustness");
    v.put_varint(24);
    v.put_varint(8);
    v.put_varint(REV);
    v.put_str(b"");
    v.put_str(b"default");
    v.put_str(b"");
    v
}

/// A Query packet at revision 54460 whose query id and SQL are given raw (so a test can
/// put an absurd length prefix in either).
fn query_with(query_id: &[u8], sql: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.put_varint(1);
    v.extend_from_slice(query_id);
    v.put_u8(1);
    v.put_str(b"");
    v.put_str(b"");
    v.put_str(b"0.0.0.0:0");
    v.put_u64_le(0);
    v.put_u8(1);
    v.put_str(b"me");
    v.put_str(b"host");
    v.put_str(b"robustness");
    v.put_varint(24);
    v.put_varint(8);
    v.put_varint(REV);
    v.put_str(b"");
    v.put_varint(0);
    v.put_varint(0);
    v.put_u8(0);
    v.put_varint(0);
    v.put_varint(0);
    v.put_varint(0);
    v.put_str(b""); // settings end
    v.put_str(b""); // interserver secret
    v.put_varint(2); // stage: complete
    v.put_varint(0); // no compression
    v.extend_from_slice(sql);
    v.put_str(b""); // parameters end
    v
}

fn query(sql: &str) -> Vec<u8> {
    let mut id = Vec::new();
    id.put_str(b"");
    let mut text = Vec::new();
    text.put_str(sql.as_bytes());
    query_with(&id, &text)
}

/// The empty Data block that ends a query's external tables / INSERT data.
fn end_of_data() -> Vec<u8> {
    let mut v = vec![2u8, 0];
    sluice_server::native::packets::write_empty_block(REV, &mut v);
    v
}

struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    async fn raw(addr: SocketAddr) -> Client {
        Client {
            stream: TcpStream::connect(addr).await.expect("connect"),
            buf: Vec::new(),
        }
    }

    async fn connect(addr: SocketAddr) -> Client {
        let mut c = Client::raw(addr).await;
        c.send(&hello()).await;
        assert_eq!(c.recv().await, Some(Reply::Hello));
        c.send(&[0]).await; // addendum: empty quota key
        c
    }

    async fn send(&mut self, bytes: &[u8]) {
        // The server may already have closed the connection; that is what some tests want.
        let _ = self.stream.write_all(bytes).await;
    }

    /// Next reply; `None` when the server closed the connection.
    async fn recv(&mut self) -> Option<Reply> {
        loop {
            let mut r = WireReader::new(&self.buf);
            match parse_reply(&mut r) {
                Ok(p) => {
                    let used = r.position();
                    self.buf.drain(..used);
                    return Some(p);
                }
                Err(DecodeError::Incomplete) => {}
                Err(DecodeError::Invalid(e)) => panic!("bad server packet: {e:?}"),
            }
            let mut chunk = vec![0u8; 65536];
            let n = tokio::time::timeout(Duration::from_secs(15), self.stream.read(&mut chunk))
                .await
                .expect("the server answered or closed in time")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Runs `sql`; the number of rows, or the exception code.
    async fn rows(&mut self, sql: &str) -> Result<usize, i32> {
        self.send(&query(sql)).await;
        self.send(&end_of_data()).await;
        let mut rows = 0;
        loop {
            match self.recv().await.expect("connection open") {
                Reply::Data(n) => rows += n,
                Reply::Exception(code) => return Err(code),
                Reply::EndOfStream => return Ok(rows),
                _ => {}
            }
        }
    }

    /// Replies until the server closes; the exception codes among them.
    async fn exceptions_until_closed(&mut self) -> Vec<i32> {
        let mut codes = Vec::new();
        while let Some(p) = self.recv().await {
            if let Reply::Exception(code) = p {
                codes.push(code);
            }
        }
        codes
    }
}

async fn assert_serving(addr: SocketAddr) {
    let mut c = Client::connect(addr).await;
    assert_eq!(c.rows("SELECT 1").await, Ok(1));
}

fn config() -> ServerConfig {
    ServerConfig {
        tcp_handshake_timeout: Duration::from_millis(500),
        tcp_receive_timeout: Duration::from_millis(500),
        shutdown_grace: Duration::from_secs(5),
        ..ServerConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_cut_at_every_byte() {
    let s = TestServer::start_with(config()).await;
    let hello = hello();
    for cut in 1..hello.len() {
        // Cut, then the client leaves: the server closes without a reply.
        let mut c = Client::raw(s.tcp).await;
        c.send(&hello[..cut]).await;
        let _ = c.stream.shutdown().await;
        assert_eq!(c.recv().await, None, "cut at {cut}");
    }
    // Cut, and the client stays silent: the handshake times out and the server closes
    // (possibly after a SOCKET_TIMEOUT exception).
    for cut in [1, hello.len() / 2, hello.len() - 1] {
        let mut c = Client::raw(s.tcp).await;
        c.send(&hello[..cut]).await;
        let started = Instant::now();
        let got = c.exceptions_until_closed().await;
        assert!(got.is_empty() || got == [209], "cut at {cut}: {got:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    assert_serving(s.tcp).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_cut_at_every_byte() {
    let s = TestServer::start_with(config()).await;
    let q = query("SELECT 1");
    for cut in 1..q.len() {
        let mut c = Client::connect(s.tcp).await;
        c.send(&q[..cut]).await;
        let _ = c.stream.shutdown().await;
        // Closed, possibly after an Exception: never a hang, never a result.
        let got = c.exceptions_until_closed().await;
        assert!(got.len() <= 1, "cut at {cut}: {got:?}");
    }
    // A Query packet that stops mid-way and a silent client: receive_timeout
    // (SOCKET_TIMEOUT, 209), then the server closes.
    for cut in [2, q.len() / 2, q.len() - 1] {
        let mut c = Client::connect(s.tcp).await;
        c.send(&q[..cut]).await;
        assert_eq!(c.exceptions_until_closed().await, vec![209], "cut at {cut}");
    }
    // An INSERT-style query whose data never comes: the same timeout.
    let mut c = Client::connect(s.tcp).await;
    c.send(&query("SELECT 1")).await;
    assert_eq!(c.exceptions_until_closed().await, vec![209]);
    assert_serving(s.tcp).await;
    s.stop().await;
}

#[tokio::test]
async fn absurd_lengths_are_refused_without_allocating() {
    let s = TestServer::start_with(config()).await;
    let mut huge = Vec::new();
    huge.put_varint(1 << 60);
    huge.extend_from_slice(b"abc");

    // In Hello: the client name.
    let mut c = Client::raw(s.tcp).await;
    let mut v = vec![0u8];
    v.extend_from_slice(&huge);
    c.send(&v).await;
    assert_eq!(c.exceptions_until_closed().await, vec![131]);

    // In Hello: the password, after valid fields.
    let mut c = Client::raw(s.tcp).await;
    let mut v = hello();
    v.pop(); // the empty password
    v.extend_from_slice(&huge);
    c.send(&v).await;
    assert_eq!(c.exceptions_until_closed().await, vec![131]);

    // In a Query: the query id, and the SQL text.
    let mut sql = Vec::new();
    sql.put_str(b"SELECT 1");
    for q in [query_with(&huge, &sql), query_with(&[0], &huge)] {
        let mut c = Client::connect(s.tcp).await;
        c.send(&q).await;
        assert_eq!(c.exceptions_until_closed().await, vec![131]);
    }

    // In a Data block: a String value of 2^60 bytes.
    let block_head = |rows: u64, type_name: &str| {
        let mut v = vec![2u8, 0, 0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
        v.put_varint(1);
        v.put_varint(rows);
        v.put_str(b"x");
        v.put_str(type_name.as_bytes());
        v.put_u8(0);
        v
    };
    let mut data = block_head(1, "String");
    data.extend_from_slice(&huge);
    // 2^60 rows (TOO_LARGE_ARRAY_SIZE, 128).
    let rows = block_head(1 << 60, "UInt8");
    // Array offsets claiming 2^60 elements (TOO_LARGE_ARRAY_SIZE).
    let mut offsets = block_head(1, "Array(UInt8)");
    offsets.put_u64_le(1 << 60);
    // 2^40 columns (TOO_LARGE_ARRAY_SIZE).
    let mut columns = vec![2u8, 0, 0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    columns.put_varint(1 << 40);
    columns.put_varint(1);
    // A type nested 100 000 levels deep (TOO_DEEP_RECURSION, 306), not a stack overflow.
    let deep = format!("{}UInt8{}", "Array(".repeat(100_000), ")".repeat(100_000));
    let nested = block_head(1, &deep);
    for (what, block, code) in [
        ("string length", data, 131),
        ("rows", rows, 128),
        ("array size", offsets, 128),
        ("columns", columns, 128),
        ("type depth", nested, 306),
    ] {
        let mut c = Client::connect(s.tcp).await;
        c.send(&query("INSERT INTO t VALUES")).await;
        c.send(&block).await;
        let got = c.exceptions_until_closed().await;
        assert_eq!(got.last(), Some(&code), "{what}: {got:?}");
    }
    assert_serving(s.tcp).await;
    s.stop().await;
}

#[tokio::test]
async fn garbage_after_the_handshake() {
    let s = TestServer::start_with(config()).await;
    for garbage in [
        &[0x63u8, 0xFF, 0x00, 0x13, 0x37][..],
        &[0xFF; 32][..],
        b"\x07hello",
        b"GET / HTTP/1.1\r\n\r\n",
    ] {
        let mut c = Client::connect(s.tcp).await;
        c.send(garbage).await;
        let got = c.exceptions_until_closed().await;
        // UNKNOWN_PACKET_FROM_CLIENT (99), or for an 11-byte VarUInt the parse error.
        assert_eq!(got.len(), 1, "{garbage:?}: {got:?}");
        assert!([99, 27].contains(&got[0]), "{garbage:?}: {got:?}");
    }
    // A second Hello after the handshake is an unexpected packet too.
    let mut c = Client::connect(s.tcp).await;
    c.send(&hello()).await;
    assert_eq!(c.exceptions_until_closed().await.len(), 1);
    assert_serving(s.tcp).await;
    s.stop().await;
}

#[tokio::test]
async fn http_request_on_the_native_port() {
    let s = TestServer::start_with(config()).await;
    for request in [
        &b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
        b"POST /?query=SELECT+1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    ] {
        let mut c = Client::raw(s.tcp).await;
        c.send(request).await;
        let mut text = String::new();
        c.stream.read_to_string(&mut text).await.expect("read");
        // ClickHouse's TCPHandler text, with this server's ports.
        assert_eq!(
            text,
            format!(
                "HTTP/1.0 400 Bad Request\r\n\r\nPort {} is for clickhouse-client program.\r\n\
                 You must use port {} for HTTP.\r\n",
                s.tcp.port(),
                s.http.port()
            )
        );
    }
    assert_serving(s.tcp).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_connections_with_a_stalled_one() {
    let s = TestServer::start_with(ServerConfig {
        shutdown_grace: Duration::from_secs(5),
        ..ServerConfig::default()
    })
    .await;
    // A client stuck mid-Hello must not hold anyone up.
    let mut stalled = Client::raw(s.tcp).await;
    stalled.send(&hello()[..5]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200usize {
        let addr = s.tcp;
        tasks.spawn(async move {
            let mut c = Client::connect(addr).await;
            let n = 100 + i;
            let got = c.rows(&format!("SELECT number FROM numbers({n})")).await;
            assert_eq!(got, Ok(n));
            assert_eq!(c.rows("SELECT 1").await, Ok(1));
        });
    }
    let mut done = 0;
    while let Some(r) = tasks.join_next().await {
        r.expect("client task");
        done += 1;
    }
    assert_eq!(done, 200);
    drop(stalled);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_close_busy_ones_stay() {
    let s = TestServer::start_with(ServerConfig {
        tcp_idle_timeout: Duration::from_secs(1),
        shutdown_grace: Duration::from_secs(5),
        ..ServerConfig::default()
    })
    .await;
    let mut idle = Client::connect(s.tcp).await;
    let mut busy = Client::connect(s.tcp).await;
    // A query running longer than the idle timeout: its connection is not idle.
    busy.send(&query("SELECT slow")).await;
    busy.send(&end_of_data()).await;
    let started = Instant::now();
    let mut blocks = 0;
    while started.elapsed() < Duration::from_millis(2500) {
        match busy.recv().await.expect("busy connection open") {
            Reply::Data(n) if n > 0 => blocks += 1,
            Reply::Exception(code) => panic!("exception {code}"),
            _ => {}
        }
    }
    assert!(blocks > 10, "{blocks}");
    // The idle one was closed after about a second.
    let closed = Instant::now();
    assert_eq!(idle.recv().await, None);
    assert!(closed.elapsed() < Duration::from_millis(500));
    // Cancel the slow query; the busy connection is still usable.
    busy.send(&[3]).await;
    loop {
        match busy.recv().await.expect("open") {
            Reply::EndOfStream => break,
            Reply::Exception(code) => panic!("exception {code}"),
            _ => {}
        }
    }
    assert_eq!(busy.rows("SELECT 1").await, Ok(1));
    // Pings keep a connection alive across several idle periods.
    let mut pinger = Client::connect(s.tcp).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        pinger.send(&[4]).await;
        assert_eq!(pinger.recv().await, Some(Reply::Pong));
    }
    assert_eq!(pinger.rows("SELECT 1").await, Ok(1));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_dropped_after_send_timeout() {
    let s = TestServer::start_with(ServerConfig {
        tcp_send_timeout: Duration::from_secs(1),
        shutdown_grace: Duration::from_secs(5),
        ..ServerConfig::default()
    })
    .await;
    let mut c = Client::connect(s.tcp).await;
    // About 8 GB of result: far more than the socket buffers hold.
    c.send(&query("SELECT number FROM numbers(1000000000)"))
        .await;
    c.send(&end_of_data()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The server gave up on this client: reading now ends long before the result does.
    let mut total = 0usize;
    let mut chunk = vec![0u8; 1 << 16];
    let started = Instant::now();
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), c.stream.read(&mut chunk))
            .await
            .expect("closed in time")
            .unwrap_or(0);
        if n == 0 {
            break;
        }
        total += n;
    }
    assert!(total < 1 << 30, "{total} bytes");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_serving(s.tcp).await;
    s.stop().await;
}

mod http {
    use super::*;
    use reqwest::StatusCode;

    fn client() -> reqwest::Client {
        reqwest::Client::builder().build().expect("client")
    }

    fn code(r: &reqwest::Response) -> Option<String> {
        r.headers()
            .get("x-clickhouse-exception-code")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    async fn assert_http_serving(s: &TestServer) {
        let r = client()
            .get(format!("{}?query=SELECT%201", s.url()))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.text().await.expect("body"), "1\n");
    }

    #[tokio::test]
    async fn malformed_query_strings() {
        let s = TestServer::start().await;
        // Invalid percent-encoding: Poco's URI decoding refuses it (POCO_EXCEPTION, 1000,
        // HTTP 500 in ClickHouse).
        for q in [
            "query=SELECT%201&x=%ZZ",
            "query=SELECT%2",
            "query=SELECT%201&%=1",
            "query=SELECT%G01",
        ] {
            let r = client()
                .get(format!("{}?{q}", s.url()))
                .send()
                .await
                .expect("send");
            assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "{q}");
            assert_eq!(code(&r).as_deref(), Some("1000"), "{q}");
            let body = r.text().await.expect("body");
            assert!(body.contains("URI encoding"), "{q}: {body}");
        }
        // Odd but valid query strings are fine.
        for q in [
            "query=SELECT%201&&&",
            "&query=SELECT+1",
            "=&query=SELECT%201&flag",
        ] {
            let r = client()
                .get(format!("{}?{q}", s.url()))
                .send()
                .await
                .expect("send");
            assert_eq!(r.status(), StatusCode::OK, "{q}");
            assert_eq!(r.text().await.expect("body"), "1\n", "{q}");
        }
        // Bad values of numeric parameters.
        for q in [
            "buffer_size=-1",
            "client_protocol_version=x",
            "session_id=a&session_timeout=x",
        ] {
            let r = client()
                .get(format!("{}?query=SELECT%201&{q}", s.url()))
                .send()
                .await
                .expect("send");
            // CANNOT_PARSE_NUMBER is 400; INVALID_SESSION_TIMEOUT 500, as in ClickHouse.
            assert!(!r.status().is_success(), "{q}: {}", r.status());
            assert!(code(&r).is_some(), "{q}");
        }
        assert_http_serving(&s).await;
        s.stop().await;
    }

    #[tokio::test]
    async fn huge_and_odd_query_parameters() {
        let s = TestServer::start().await;
        // A 60 KB parameter value (near the longest URI the `http` crate builds) arrives
        // intact.
        let big = "x".repeat(60_000);
        let r = client()
            .get(format!(
                "{}?query=SELECT%20%7Bp%3AString%7D&param_p={big}",
                s.url()
            ))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.text().await.expect("body"), format!("{big}\n"));
        // Binary bytes and escapes in a value.
        let r = client()
            .get(format!(
                "{}?query=SELECT%20%7Bp%3AString%7D&param_p=%00%FF%5Ct",
                s.url()
            ))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::OK);
        // A 2 MB request line is refused by the HTTP layer (or the connection closed), not
        // by a crash.
        let mut sock = TcpStream::connect(s.http).await.expect("connect");
        let line = format!(
            "GET /?query=SELECT%201&param_p={} HTTP/1.1\r\nHost: x\r\n\r\n",
            "y".repeat(2 << 20)
        );
        let _ = sock.write_all(line.as_bytes()).await;
        let mut reply = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut reply))
            .await
            .expect("the server answered or closed in time");
        let head = String::from_utf8_lossy(&reply[..reply.len().min(64)]).into_owned();
        assert!(!head.starts_with("HTTP/1.1 200"), "{head}");
        assert_http_serving(&s).await;
        s.stop().await;
    }

    #[tokio::test]
    async fn bad_bodies() {
        let s = TestServer::start().await;
        // A body that is not what its Content-Encoding says.
        for (coding, expected) in [
            ("gzip", "354"),
            ("deflate", "354"),
            ("zstd", "561"),
            ("lz4", "618"),
        ] {
            let r = client()
                .post(s.url())
                .header("content-encoding", coding)
                .body(b"SELECT 1 but not compressed at all".to_vec())
                .send()
                .await
                .expect("send");
            // ZLIB_INFLATE_FAILED / ZSTD_DECODER_FAILED / LZ4_DECODER_FAILED: HTTP 500.
            assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "{coding}");
            assert_eq!(code(&r).as_deref(), Some(expected), "{coding}");
        }
        // An unknown Content-Encoding.
        let r = client()
            .post(s.url())
            .header("content-encoding", "rot13")
            .body("SELECT 1")
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(code(&r).as_deref(), Some("779"));
        // `decompress=1` with bytes that are not compression frames.
        let r = client()
            .post(format!("{}?decompress=1", s.url()))
            .body(vec![0x55u8; 64])
            .send()
            .await
            .expect("send");
        assert!(!r.status().is_success());
        assert!(code(&r).is_some());
        assert_http_serving(&s).await;

        // A body cut short: Content-Length promises more than arrives, then the client
        // closes. The server must not hang on it or fall over.
        for promised in [100usize, 1 << 20] {
            let mut sock = TcpStream::connect(s.http).await.expect("connect");
            let head = format!(
                "POST /?query=INSERT%20INTO%20t%20FORMAT%20TSV HTTP/1.1\r\nHost: x\r\n\
                 Content-Length: {promised}\r\n\r\n1\tone\n2\t"
            );
            sock.write_all(head.as_bytes()).await.expect("write");
            sock.shutdown().await.expect("shutdown");
            let mut reply = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut reply))
                .await
                .expect("the server answered or closed in time");
            let text = String::from_utf8_lossy(&reply);
            assert!(!text.starts_with("HTTP/1.1 200"), "{text}");
        }
        assert!(
            s.handler.t.lock().is_empty(),
            "nothing of a cut body is inserted"
        );
        assert_http_serving(&s).await;
        s.stop().await;
    }
}
