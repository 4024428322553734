//! The HTTP interface against a real HTTP client (reqwest), with the engine test double.

mod common;

use std::io::Cursor;

use common::TestServer;
use reqwest::StatusCode;
use sluice_server::http::encoding::{Coding, Reader, decode_body, decode_frames};
use sluice_server::native::compression::{CompressionMethod, encode_frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn decode(bytes: Vec<u8>, coding: Option<Coding>, frames: bool) -> Vec<u8> {
    let r: Reader = Box::new(Cursor::new(bytes));
    let mut r = decode_body(r, coding);
    if frames {
        r = decode_frames(r, true);
    }
    let mut out = Vec::new();
    r.read_to_end(&mut out).await.expect("decode");
    out
}

#[tokio::test]
async fn ping_root_and_replicas_status() {
    let s = TestServer::start().await;
    for path in ["ping", "", "replicas_status"] {
        let r = client()
            .get(format!("{}{path}", s.url()))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.text().await.expect("body"), "Ok.\n");
    }
    let r = client()
        .get(format!("{}nope", s.url()))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    s.stop().await;
}

#[tokio::test]
async fn select_in_url_and_body_with_headers() {
    let s = TestServer::start().await;
    let r = client()
        .get(s.url())
        .query(&[("query", "SELECT 1"), ("query_id", "my-id")])
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["x-clickhouse-query-id"], "my-id");
    assert_eq!(h["x-clickhouse-format"], "TabSeparated");
    assert_eq!(h["x-clickhouse-timezone"], "UTC");
    assert_eq!(h["x-clickhouse-server-display-name"], "sluice");
    assert_eq!(
        h["content-type"],
        "text/tab-separated-values; charset=UTF-8"
    );
    let summary = h["x-clickhouse-summary"].to_str().expect("summary");
    assert!(
        summary.starts_with("{\"read_rows\":\"0\",\"read_bytes\":\"0\",\"written_rows\":\"0\""),
        "{summary}"
    );
    assert!(summary.contains("\"result_rows\":\"1\""), "{summary}");
    assert_eq!(r.text().await.expect("body"), "1\n");

    let r = client()
        .post(s.url())
        .body("SELECT 1")
        .send()
        .await
        .expect("post");
    assert_eq!(r.text().await.expect("body"), "1\n");
    // A generated query id is a UUID.
    let r = client()
        .post(s.url())
        .body("SELECT 1")
        .send()
        .await
        .expect("post");
    assert_eq!(r.headers()["x-clickhouse-query-id"].len(), 36);
    s.stop().await;
}

#[tokio::test]
async fn formats_from_clause_and_default_format() {
    let s = TestServer::start().await;
    let r = client()
        .post(format!("{}?default_format=TSVWithNamesAndTypes", s.url()))
        .body("SELECT 1")
        .send()
        .await
        .expect("post");
    assert_eq!(r.headers()["x-clickhouse-format"], "TSVWithNamesAndTypes");
    assert_eq!(r.text().await.expect("body"), "1\nUInt8\n1\n");
    let r = client()
        .post(s.url())
        .body("SELECT 1 FORMAT CSVWithNames")
        .send()
        .await
        .expect("post");
    assert_eq!(r.headers()["x-clickhouse-format"], "CSVWithNames");
    assert_eq!(r.text().await.expect("body"), "\"1\"\n1\n");
    let r = client()
        .post(s.url())
        .body("SELECT * FROM types")
        .send()
        .await
        .expect("post");
    let text = r.text().await.expect("body");
    assert!(text.starts_with("200\t-5\t18446744073709551615\t-9223372036854775808\t1.5\ttab\\there\t\\N\ttrue\t[1,2]\t2023-11-14 22:13:20\t"), "{text}");
    let r = client()
        .post(s.url())
        .body("SELECT totals")
        .send()
        .await
        .expect("post");
    assert_eq!(r.text().await.expect("body"), "1\n\n10\n");
    s.stop().await;
}

#[tokio::test]
async fn errors_have_clickhouse_status_code_and_body() {
    let s = TestServer::start().await;
    let r = client()
        .post(s.url())
        .body("SELECT syntax error")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["x-clickhouse-exception-code"], "62");
    let body = r.text().await.expect("body");
    assert!(body.starts_with("Code: 62. DB::Exception: Syntax error: failed at position 8 ('syntax'). (SYNTAX_ERROR) (version "), "{body}");
    assert!(body.ends_with("))\n"), "{body}");

    let r = client()
        .post(s.url())
        .body("SELECT * FROM missing")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["x-clickhouse-exception-code"], "60");

    let r = client()
        .post(s.url())
        .body("  \n")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .starts_with("Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)")
    );

    let r = client()
        .post(format!("{}?database=nosuch", s.url()))
        .body("SELECT 1")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["x-clickhouse-exception-code"], "81");
    s.stop().await;
}

#[tokio::test]
async fn authentication_methods() {
    let s = TestServer::start().await;
    let r = client()
        .post(s.url())
        .basic_auth("alice", Some("secret"))
        .body("SELECT 1")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let r = client()
        .post(s.url())
        .header("X-ClickHouse-User", "alice")
        .header("X-ClickHouse-Key", "secret")
        .body("SELECT 1")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let r = client()
        .post(format!("{}?user=alice&password=secret", s.url()))
        .body("SELECT 1")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let r = client()
        .post(s.url())
        .basic_auth("alice", Some("wrong"))
        .body("SELECT 1")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.headers()["x-clickhouse-exception-code"], "516");
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("(AUTHENTICATION_FAILED)")
    );
    s.stop().await;
}

#[tokio::test]
async fn sessions_keep_set_and_lock() {
    let s = TestServer::start().await;
    let url = format!("{}?session_id=s1&session_timeout=60", s.url());
    let r = client()
        .post(&url)
        .body("SET max_threads = 3")
        .send()
        .await
        .expect("set");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.expect("body"), "");
    let r = client()
        .post(&url)
        .body("SELECT getSetting('max_threads')")
        .send()
        .await
        .expect("get");
    assert_eq!(r.text().await.expect("body"), "3\n");
    // Another session does not see it.
    let r = client()
        .post(format!("{}?session_id=s2", s.url()))
        .body("SELECT getSetting('max_threads')")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // URL settings apply to one query.
    let r = client()
        .post(format!("{}?max_block_size=77", s.url()))
        .body("SELECT getSetting('max_block_size')")
        .send()
        .await
        .expect("get");
    assert_eq!(r.text().await.expect("body"), "77\n");
    // session_check on a missing session.
    let r = client()
        .post(format!("{}?session_id=nope&session_check=1", s.url()))
        .body("SELECT 1")
        .send()
        .await
        .expect("check");
    assert_eq!(r.headers()["x-clickhouse-exception-code"], "372");
    let r = client()
        .post(format!("{}?session_id=s3&session_timeout=99999", s.url()))
        .body("SELECT 1")
        .send()
        .await
        .expect("timeout");
    assert_eq!(r.headers()["x-clickhouse-exception-code"], "374");
    s.stop().await;
}

#[tokio::test]
async fn insert_with_query_in_url_and_data_in_body() {
    let s = TestServer::start().await;
    let r = client()
        .post(s.url())
        .query(&[("query", "INSERT INTO t FORMAT TabSeparated")])
        .body("1\tone\n2\ttwo\n")
        .send()
        .await
        .expect("insert");
    assert_eq!(r.status(), StatusCode::OK);
    let summary = r.headers()["x-clickhouse-summary"]
        .to_str()
        .expect("summary")
        .to_string();
    assert!(summary.contains("\"written_rows\":\"2\""), "{summary}");
    // Query and data both in the body.
    let r = client()
        .post(s.url())
        .body("INSERT INTO t FORMAT CSV\n3,three\n")
        .send()
        .await
        .expect("insert");
    assert_eq!(r.status(), StatusCode::OK);
    let r = client()
        .post(s.url())
        .body("SELECT * FROM t")
        .send()
        .await
        .expect("select");
    assert_eq!(r.text().await.expect("body"), "1\tone\n2\ttwo\n3\tthree\n");
    // Bad data → CANNOT_PARSE_TEXT → 400.
    let r = client()
        .post(format!(
            "{}?query=INSERT%20INTO%20t%20FORMAT%20TSV",
            s.url()
        ))
        .body("x\ty\n")
        .send()
        .await
        .expect("bad");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["x-clickhouse-exception-code"], "6");
    s.stop().await;
}

#[tokio::test]
async fn query_parameters() {
    let s = TestServer::start().await;
    let r = client()
        .post(format!("{}?param_p=hello%20world", s.url()))
        .body("SELECT {p:String}")
        .send()
        .await
        .expect("post");
    assert_eq!(r.text().await.expect("body"), "hello world\n");
    s.stop().await;
}

#[tokio::test]
async fn native_compression_frames_both_ways() {
    let s = TestServer::start().await;
    let r = client()
        .post(format!("{}?compress=1", s.url()))
        .body("SELECT number FROM numbers(3)")
        .send()
        .await
        .expect("post");
    let raw = r.bytes().await.expect("body").to_vec();
    assert_eq!(raw[16], 0x82, "LZ4 frame");
    assert_eq!(decode(raw, None, true).await, b"0\n1\n2\n");

    let mut body = Vec::new();
    encode_frame(CompressionMethod::Zstd, b"7\tseven\n", &mut body);
    let r = client()
        .post(format!(
            "{}?decompress=1&query=INSERT%20INTO%20t%20FORMAT%20TSV",
            s.url()
        ))
        .body(body.clone())
        .send()
        .await
        .expect("insert");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(s.handler.t.lock().contains(&(7, "seven".to_string())));
    // A corrupted frame is CHECKSUM_DOESNT_MATCH.
    body[3] ^= 1;
    let r = client()
        .post(format!(
            "{}?decompress=1&query=INSERT%20INTO%20t%20FORMAT%20TSV",
            s.url()
        ))
        .body(body)
        .send()
        .await
        .expect("insert");
    assert_eq!(r.headers()["x-clickhouse-exception-code"], "40");
    s.stop().await;
}

#[tokio::test]
async fn http_content_encodings() {
    let s = TestServer::start().await;
    for (name, coding) in [
        ("gzip", Coding::Gzip),
        ("deflate", Coding::Deflate),
        ("zstd", Coding::Zstd),
        ("lz4", Coding::Lz4),
    ] {
        let r = client()
            .post(format!("{}?enable_http_compression=1", s.url()))
            .header("Accept-Encoding", name)
            .body("SELECT number FROM numbers(5)")
            .send()
            .await
            .expect("post");
        assert_eq!(r.headers()["content-encoding"], name);
        let raw = r.bytes().await.expect("body").to_vec();
        assert_eq!(
            decode(raw, Some(coding), false).await,
            b"0\n1\n2\n3\n4\n",
            "{name}"
        );

        // Request bodies in the same coding.
        let plain = format!("{}\t{name}\n", 100 + name.len());
        let encoded = {
            let stream: sluice_server::http::encoding::ByteStream = Box::pin(
                futures::stream::iter([Ok(bytes::Bytes::from(plain.clone()))]),
            );
            let enc = sluice_server::http::encoding::encode_body(stream, coding);
            let mut r = tokio_util::io::StreamReader::new(enc);
            let mut v = Vec::new();
            r.read_to_end(&mut v).await.expect("encode");
            v
        };
        let r = client()
            .post(format!(
                "{}?query=INSERT%20INTO%20t%20FORMAT%20TSV",
                s.url()
            ))
            .header("Content-Encoding", name)
            .body(encoded)
            .send()
            .await
            .expect("insert");
        assert_eq!(r.status(), StatusCode::OK, "{name}");
    }
    // Without enable_http_compression the response is plain.
    let r = client()
        .post(s.url())
        .header("Accept-Encoding", "gzip")
        .body("SELECT 1")
        .send()
        .await
        .expect("post");
    assert!(r.headers().get("content-encoding").is_none());
    let r = client()
        .post(format!(
            "{}?query=INSERT%20INTO%20t%20FORMAT%20TSV",
            s.url()
        ))
        .header("Content-Encoding", "br")
        .body("x")
        .send()
        .await
        .expect("br");
    assert_eq!(r.status(), StatusCode::NOT_IMPLEMENTED);
    s.stop().await;
}

#[tokio::test]
async fn errors_during_streaming() {
    let s = TestServer::start().await;
    // Small buffer: the status is already 200 when the error happens, so it is appended.
    let r = client()
        .post(format!("{}?buffer_size=10", s.url()))
        .body("SELECT midstream_error(100000)")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.expect("body");
    assert!(body.starts_with("0\n1\n2\n"));
    assert!(
        body.ends_with("(FUNCTION_THROW_IF_VALUE_IS_NON_ZERO) (version 25.8.1.1 (sluice))\n")
            || body.contains("Code: 395. DB::Exception:"),
        "{}",
        &body[body.len() - 200..]
    );
    // wait_end_of_query: the error gets a status.
    let r = client()
        .post(format!("{}?wait_end_of_query=1", s.url()))
        .body("SELECT midstream_error(100000)")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.headers()["x-clickhouse-exception-code"], "395");
    s.stop().await;
}

#[tokio::test]
async fn progress_headers() {
    let s = TestServer::start().await;
    let r = client()
        .post(format!("{}?send_progress_in_http_headers=1&http_headers_progress_interval_ms=0&wait_end_of_query=1", s.url()))
        .body("SELECT number FROM numbers(200000)")
        .send()
        .await
        .expect("post");
    let progress: Vec<_> = r
        .headers()
        .get_all("x-clickhouse-progress")
        .iter()
        .collect();
    assert!(!progress.is_empty());
    let summary = r.headers()["x-clickhouse-summary"]
        .to_str()
        .expect("summary")
        .to_string();
    assert!(summary.contains("\"read_rows\":\"200000\""), "{summary}");
    assert!(summary.contains("\"result_rows\":\"200000\""), "{summary}");
    let body = r.text().await.expect("body");
    assert_eq!(body.lines().count(), 200000);
    s.stop().await;
}

#[tokio::test]
async fn post_without_length_is_411_and_get_is_marked_readonly() {
    let s = TestServer::start().await;
    let mut c = tokio::net::TcpStream::connect(s.http)
        .await
        .expect("connect");
    c.write_all(b"POST / HTTP/1.0\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut resp = String::new();
    c.read_to_string(&mut resp).await.expect("read");
    assert!(
        resp.starts_with("HTTP/1.0 411") || resp.starts_with("HTTP/1.1 411"),
        "{resp}"
    );
    assert!(resp.contains("Code: 381."), "{resp}");
    s.stop().await;
}

/// Keep-alive idle timeout (ClickHouse's `keep_alive_timeout`), seen from a raw socket.
mod keep_alive {
    use std::time::{Duration, Instant};

    use super::common::TestServer;
    use sluice_server::ServerConfig;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// A keep-alive HTTP/1.1 client on one socket.
    struct Conn {
        sock: TcpStream,
        buf: Vec<u8>,
    }

    impl Conn {
        async fn connect(s: &TestServer) -> Conn {
            let sock = TcpStream::connect(s.http).await.expect("connect");
            Conn {
                sock,
                buf: Vec::new(),
            }
        }

        async fn send(&mut self, query: &str) {
            let req = format!("GET /?query={query} HTTP/1.1\r\nHost: x\r\n\r\n");
            self.sock.write_all(req.as_bytes()).await.expect("write");
        }

        /// Reads more bytes into `buf`; false at end of stream.
        async fn fill(&mut self) -> bool {
            let mut chunk = [0u8; 4096];
            let n = self.sock.read(&mut chunk).await.expect("read");
            self.buf.extend_from_slice(&chunk[..n]);
            n > 0
        }

        /// Reads a line (without CRLF) from the buffered bytes.
        async fn line(&mut self) -> String {
            loop {
                if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                    self.buf.drain(..i + 2);
                    return line;
                }
                assert!(self.fill().await, "connection closed mid-response");
            }
        }

        /// Reads one response (chunked, as query responses are): status line and body.
        async fn response(&mut self) -> (String, String) {
            let status = self.line().await;
            let mut chunked = false;
            loop {
                let h = self.line().await.to_ascii_lowercase();
                if h.is_empty() {
                    break;
                }
                chunked |= h == "transfer-encoding: chunked";
            }
            assert!(chunked, "{status}");
            let mut body = Vec::new();
            loop {
                let len = usize::from_str_radix(&self.line().await, 16).expect("chunk size");
                while self.buf.len() < len + 2 {
                    assert!(self.fill().await, "connection closed mid-chunk");
                }
                body.extend(self.buf.drain(..len));
                self.buf.drain(..2);
                if len == 0 {
                    break;
                }
            }
            (status, String::from_utf8_lossy(&body).into_owned())
        }

        async fn query(&mut self, query: &str) -> String {
            self.send(query).await;
            let (status, body) = self.response().await;
            assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
            body
        }
    }

    async fn server() -> TestServer {
        TestServer::start_with(ServerConfig {
            http_keep_alive_timeout: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(5),
            ..ServerConfig::default()
        })
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_idle_keep_alive_connection_is_closed_after_the_timeout() {
        let s = server().await;
        let mut c = Conn::connect(&s).await;
        assert_eq!(c.query("SELECT%201").await, "1\n");
        let idle_since = Instant::now();
        // The server closes the socket: the read returns end of stream, not a timeout.
        let closed = tokio::time::timeout(Duration::from_secs(5), c.fill())
            .await
            .expect("closed by the server within 5 s");
        assert!(!closed, "no bytes expected: {:?}", c.buf);
        let idle = idle_since.elapsed();
        assert!(
            idle >= Duration::from_millis(900) && idle < Duration::from_millis(2500),
            "{idle:?}"
        );
        // A connection that never sends a request is closed too.
        let mut silent = Conn::connect(&s).await;
        let started = Instant::now();
        let closed = tokio::time::timeout(Duration::from_secs(5), silent.fill())
            .await
            .expect("closed by the server within 5 s");
        assert!(!closed);
        assert!(started.elapsed() >= Duration::from_millis(900));
        s.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_connection_in_use_stays_open() {
        let s = server().await;
        let mut c = Conn::connect(&s).await;
        // Requests every 400 ms for 2.4 s: never idle for a whole second.
        for _ in 0..6 {
            assert_eq!(c.query("SELECT%201").await, "1\n");
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        // A query silent for 2.5 s (no byte either way) is not cut, and the socket is
        // reused afterwards.
        let started = Instant::now();
        assert_eq!(c.query("SELECT%20sleep(2500)").await, "1\n");
        assert!(started.elapsed() >= Duration::from_millis(2500));
        assert_eq!(c.query("SELECT%201").await, "1\n");
        // A slowly streamed response (a row every 50 ms, sent as it comes with
        // `buffer_size=1`) keeps arriving for 2.5 s.
        c.send("SELECT%20slow&buffer_size=1").await;
        let started = Instant::now();
        let mut reads = 0;
        while started.elapsed() < Duration::from_millis(2500) {
            assert!(c.fill().await, "streaming response cut");
            reads += 1;
        }
        assert!(reads > 20, "{reads}");
        assert!(c.buf.starts_with(b"HTTP/1.1 200 OK"));
        drop(c);
        // Others are still served.
        let mut other = Conn::connect(&s).await;
        assert_eq!(other.query("SELECT%201").await, "1\n");
        s.stop().await;
    }
}
