//! The native protocol with a raw client built from the crate's codec: packet flows,
//! compression, cancel, and robustness against hostile input (truncated packets, absurd
//! lengths, garbage, HTTP on the TCP port, bad checksums, idle connections, many clients).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use arrow::array::RecordBatch;
use common::TestServer;
use sluice_server::ServerConfig;
use sluice_server::native::block::{decode_block, encode_block};
use sluice_server::native::compression::{CompressionMethod, encode_frame};
use sluice_server::native::wire::{DecodeError, DecodeResult, WireReader, WireWrite};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const REV: u64 = 54460;

#[derive(Debug)]
enum Packet {
    Hello {
        revision: u64,
        timezone: String,
        display: String,
    },
    Data(RecordBatch),
    Totals(#[allow(dead_code)] RecordBatch),
    Exception(i32, String),
    Progress,
    Pong,
    EndOfStream,
    ProfileInfo,
    TableColumns(String),
    ProfileEvents,
}

struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
    compressed: bool,
}

fn parse_packet(r: &mut WireReader<'_>, compressed: bool) -> DecodeResult<Packet> {
    let t = r.varint()?;
    let block = |r: &mut WireReader<'_>, maybe_compressed: bool| -> DecodeResult<RecordBatch> {
        r.string()?;
        if maybe_compressed && compressed {
            let mut plain = Vec::new();
            loop {
                let used =
                    sluice_server::native::compression::decode_frame(r.rest(), &mut plain, true)?;
                r.advance(used)?;
                if let Ok((b, n)) = decode_block(&plain, REV)
                    && n == plain.len()
                {
                    return Ok(b.batch);
                }
            }
        }
        let (b, used) = decode_block(r.rest(), REV)?;
        r.advance(used)?;
        Ok(b.batch)
    };
    Ok(match t {
        0 => {
            r.string()?;
            r.varint()?;
            r.varint()?;
            let revision = r.varint()?;
            let timezone = r.string()?;
            let display = r.string()?;
            r.varint()?;
            Packet::Hello {
                revision,
                timezone,
                display,
            }
        }
        1 => Packet::Data(block(r, true)?),
        7 => Packet::Totals(block(r, true)?),
        2 => {
            let code = r.i32_le()?;
            r.string()?;
            let msg = r.string()?;
            r.string()?;
            r.u8()?;
            Packet::Exception(code, msg)
        }
        3 => {
            for _ in 0..6 {
                r.varint()?;
            }
            Packet::Progress
        }
        4 => Packet::Pong,
        5 => Packet::EndOfStream,
        6 => {
            r.varint()?;
            r.varint()?;
            r.varint()?;
            r.u8()?;
            r.varint()?;
            r.u8()?;
            Packet::ProfileInfo
        }
        11 => {
            r.string()?;
            Packet::TableColumns(r.string()?)
        }
        14 => {
            block(r, false)?;
            Packet::ProfileEvents
        }
        other => panic!("unexpected server packet {other}"),
    })
}

fn hello_bytes(user: &str, password: &str) -> Vec<u8> {
    let mut v = Vec::new();
    v.put_varint(0);
    v.put_str(b"sluice-test");
    v.put_varint(24);
    v.put_varint(8);
    v.put_varint(REV);
    v.put_str(b"");
    v.put_str(user.as_bytes());
    v.put_str(password.as_bytes());
    v
}

fn query_bytes(sql: &str, compression: bool) -> Vec<u8> {
    let mut v = Vec::new();
    v.put_varint(1);
    v.put_str(b"");
    v.put_u8(1);
    v.put_str(b"");
    v.put_str(b"");
    v.put_str(b"0.0.0.0:0");
    v.put_u64_le(0);
    v.put_u8(1);
    v.put_str(b"me");
    v.put_str(b"host");
    v.put_str(b"sluice-test");
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
    v.put_varint(2);
    v.put_varint(u64::from(compression));
    v.put_str(sql.as_bytes());
    v.put_str(b""); // parameters end
    v
}

fn data_bytes(batch: Option<&RecordBatch>, compression: bool) -> Vec<u8> {
    let mut block = Vec::new();
    match batch {
        Some(b) => encode_block(b, REV, &mut block).expect("encode"),
        None => sluice_server::native::packets::write_empty_block(REV, &mut block),
    }
    let mut v = Vec::new();
    v.put_varint(2);
    v.put_str(b"");
    if compression {
        encode_frame(CompressionMethod::Lz4, &block, &mut v);
    } else {
        v.extend_from_slice(&block);
    }
    v
}

impl Client {
    async fn raw(addr: SocketAddr) -> Client {
        Client {
            stream: TcpStream::connect(addr).await.expect("connect"),
            buf: Vec::new(),
            compressed: false,
        }
    }

    async fn connect(addr: SocketAddr) -> Client {
        let mut c = Client::raw(addr).await;
        c.send(&hello_bytes("default", "")).await;
        match c.recv().await {
            Some(Packet::Hello {
                revision,
                timezone,
                display,
            }) => {
                assert_eq!(revision, REV);
                assert_eq!(timezone, "UTC");
                assert_eq!(display, "sluice");
            }
            other => panic!("expected Hello, got {other:?}"),
        }
        c.send(&[0]).await; // addendum: empty quota key
        c
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send");
    }

    /// Next packet; `None` when the server closed the connection.
    async fn recv(&mut self) -> Option<Packet> {
        loop {
            let mut r = WireReader::new(&self.buf);
            match parse_packet(&mut r, self.compressed) {
                Ok(p) => {
                    let used = r.position();
                    self.buf.drain(..used);
                    return Some(p);
                }
                Err(DecodeError::Incomplete) => {}
                Err(DecodeError::Invalid(e)) => panic!("bad server packet: {e:?}"),
            }
            let mut chunk = vec![0u8; 65536];
            let n = tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut chunk))
                .await
                .expect("server answered in time")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Runs a query; the data blocks, or the exception.
    async fn query(
        &mut self,
        sql: &str,
        compression: bool,
    ) -> Result<Vec<RecordBatch>, (i32, String)> {
        self.compressed = compression;
        self.send(&query_bytes(sql, compression)).await;
        self.send(&data_bytes(None, compression)).await;
        let mut blocks = Vec::new();
        loop {
            match self.recv().await.expect("connection open") {
                Packet::Data(b) => blocks.push(b),
                Packet::Exception(code, msg) => return Err((code, msg)),
                Packet::EndOfStream => return Ok(blocks),
                _ => {}
            }
        }
    }
}

fn rows(blocks: &[RecordBatch]) -> usize {
    blocks.iter().map(RecordBatch::num_rows).sum()
}

async fn assert_serving(addr: SocketAddr) {
    let mut c = Client::connect(addr).await;
    let blocks = c.query("SELECT 1", false).await.expect("SELECT 1");
    assert_eq!(rows(&blocks), 1);
    // The first block is the 0-row header.
    assert_eq!(blocks[0].num_rows(), 0);
    assert_eq!(blocks[0].schema().field(0).name(), "1");
}

#[tokio::test]
async fn select_error_and_connection_reuse() {
    let s = TestServer::start().await;
    let mut c = Client::connect(s.tcp).await;
    for compression in [false, true] {
        let blocks = c
            .query("SELECT number FROM numbers(100000)", compression)
            .await
            .expect("numbers");
        assert_eq!(rows(&blocks), 100000);
        let err = c
            .query("SELECT syntax error", compression)
            .await
            .expect_err("error");
        assert_eq!(err.0, 62);
        assert!(
            err.1.starts_with("DB::Exception: Syntax error"),
            "{}",
            err.1
        );
        assert_eq!(
            rows(&c.query("SELECT 1", compression).await.expect("after error")),
            1
        );
    }
    c.send(&[4]).await;
    assert!(matches!(c.recv().await, Some(Packet::Pong)));
    s.stop().await;
}

#[tokio::test]
async fn totals_and_profile_info() {
    let s = TestServer::start().await;
    let mut c = Client::connect(s.tcp).await;
    c.send(&query_bytes("SELECT totals", false)).await;
    c.send(&data_bytes(None, false)).await;
    let mut seen = Vec::new();
    loop {
        let p = c.recv().await.expect("open");
        let end = matches!(p, Packet::EndOfStream);
        seen.push(
            format!("{p:?}")
                .split(['(', ' '])
                .next()
                .unwrap_or("")
                .to_string(),
        );
        if end {
            break;
        }
    }
    // No Progress: nothing was read, and an all-zero Progress breaks old clients.
    assert_eq!(
        seen,
        ["Data", "Data", "Totals", "ProfileInfo", "EndOfStream"]
    );
    s.stop().await;
}

#[tokio::test]
async fn insert_flow() {
    let s = TestServer::start().await;
    let mut c = Client::connect(s.tcp).await;
    c.send(&query_bytes("INSERT INTO t (a, b) VALUES", false))
        .await;
    c.send(&data_bytes(None, false)).await;
    let Some(Packet::TableColumns(desc)) = c.recv().await else {
        panic!("TableColumns")
    };
    assert_eq!(
        desc,
        "columns format version: 1\n2 columns:\n`a` UInt32\n`b` String\tDEFAULT\t\\'x\\'\n"
    );
    let Some(Packet::Data(sample)) = c.recv().await else {
        panic!("sample block")
    };
    assert_eq!(sample.num_rows(), 0);
    let batch = common::types_batch().expect("batch");
    let _ = batch;
    let data = RecordBatch::try_new(
        sample.schema(),
        vec![
            std::sync::Arc::new(arrow::array::UInt32Array::from(vec![5u32, 6])),
            std::sync::Arc::new(arrow::array::StringArray::from(vec!["five", "six"])),
        ],
    )
    .expect("data");
    c.send(&data_bytes(Some(&data), false)).await;
    assert!(matches!(c.recv().await, Some(Packet::ProfileEvents)));
    c.send(&data_bytes(None, false)).await;
    assert!(matches!(c.recv().await, Some(Packet::ProfileEvents)));
    assert!(matches!(c.recv().await, Some(Packet::Progress)));
    assert!(matches!(c.recv().await, Some(Packet::EndOfStream)));
    assert!(s.handler.t.lock().contains(&(6, "six".to_string())));
    s.stop().await;
}

#[tokio::test]
async fn cancel_stops_the_query() {
    let s = TestServer::start().await;
    let mut c = Client::connect(s.tcp).await;
    c.send(&query_bytes("SELECT slow", false)).await;
    c.send(&data_bytes(None, false)).await;
    let mut got_rows = 0;
    while got_rows < 2 {
        if let Some(Packet::Data(b)) = c.recv().await {
            got_rows += b.num_rows();
        }
    }
    c.send(&[3]).await;
    loop {
        match c.recv().await.expect("open") {
            Packet::EndOfStream => break,
            Packet::Data(_) | Packet::Progress => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        rows(&c.query("SELECT 1", false).await.expect("after cancel")),
        1
    );
    s.stop().await;
}

#[tokio::test]
async fn authentication_failure_is_516() {
    let s = TestServer::start().await;
    let mut c = Client::raw(s.tcp).await;
    c.send(&hello_bytes("alice", "wrong")).await;
    match c.recv().await {
        Some(Packet::Exception(code, msg)) => {
            assert_eq!(code, 516);
            assert!(msg.contains("Authentication failed"), "{msg}");
        }
        other => panic!("expected Exception, got {other:?}"),
    }
    assert!(c.recv().await.is_none(), "connection closes");
    assert_serving(s.tcp).await;
    s.stop().await;
}

#[tokio::test]
async fn hostile_input_does_not_hurt_the_server() {
    let s = TestServer::start_with(ServerConfig {
        tcp_handshake_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    })
    .await;

    // Truncated Hello, then close.
    let mut c = Client::raw(s.tcp).await;
    c.send(&hello_bytes("default", "")[..7]).await;
    drop(c);
    assert_serving(s.tcp).await;

    // Truncated Hello that never completes: the handshake times out.
    let mut c = Client::raw(s.tcp).await;
    c.send(&hello_bytes("default", "")[..7]).await;
    assert!(c.recv().await.is_none());
    assert_serving(s.tcp).await;

    // A 2^60 string length in Hello: an exception, no allocation, no hang.
    let mut c = Client::raw(s.tcp).await;
    let mut v = Vec::new();
    v.put_varint(0);
    v.put_varint(1 << 60);
    v.extend_from_slice(b"abc");
    c.send(&v).await;
    match c.recv().await {
        Some(Packet::Exception(code, _)) => assert_eq!(code, 131),
        other => panic!("expected Exception, got {other:?}"),
    }
    assert_serving(s.tcp).await;

    // Garbage after the handshake.
    let mut c = Client::connect(s.tcp).await;
    c.send(&[0x63, 0xFF, 0x00, 0x13, 0x37]).await;
    match c.recv().await {
        Some(Packet::Exception(code, _)) => assert_eq!(code, 99),
        other => panic!("expected Exception, got {other:?}"),
    }
    assert!(c.recv().await.is_none());

    // A truncated Query packet, then close.
    let mut c = Client::connect(s.tcp).await;
    let q = query_bytes("SELECT 1", false);
    c.send(&q[..q.len() / 2]).await;
    drop(c);

    // A 2^60 string length inside a Data block of an INSERT.
    let mut c = Client::connect(s.tcp).await;
    c.send(&query_bytes("SELECT 1", false)).await;
    let mut v = vec![2u8, 0, 0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 1, 1];
    v.put_str(b"x");
    v.put_str(b"String");
    v.put_u8(0);
    v.put_varint(1 << 60);
    c.send(&v).await;
    match c.recv().await {
        Some(Packet::Exception(code, _)) => assert_eq!(code, 131),
        other => panic!("expected Exception, got {other:?}"),
    }

    // An HTTP request on the TCP port gets ClickHouse's hint.
    let mut c = Client::raw(s.tcp).await;
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut text = String::new();
    c.stream.read_to_string(&mut text).await.expect("read");
    assert!(
        text.starts_with("HTTP/1.0 400 Bad Request\r\n\r\nPort "),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Port {} is for clickhouse-client program.",
            s.tcp.port()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("You must use port {} for HTTP.", s.http.port())),
        "{text}"
    );

    // A compressed block with a wrong checksum: CHECKSUM_DOESNT_MATCH, then close.
    let mut c = Client::connect(s.tcp).await;
    c.send(&query_bytes("SELECT 1", true)).await;
    let mut bad = data_bytes(None, true);
    bad[5] ^= 0x55;
    c.send(&bad).await;
    match c.recv().await {
        Some(Packet::Exception(code, msg)) => {
            assert_eq!(code, 40);
            assert!(msg.contains("Checksum doesn't match"), "{msg}");
        }
        other => panic!("expected Exception, got {other:?}"),
    }
    assert!(c.recv().await.is_none());

    assert_serving(s.tcp).await;
    s.stop().await;
}

#[tokio::test]
async fn idle_connections_time_out() {
    let s = TestServer::start_with(ServerConfig {
        tcp_idle_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    })
    .await;
    let mut c = Client::connect(s.tcp).await;
    let started = std::time::Instant::now();
    assert!(c.recv().await.is_none(), "closed by the server");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_serving(s.tcp).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_connections() {
    let s = TestServer::start().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200u64 {
        let addr = s.tcp;
        tasks.spawn(async move {
            let mut c = Client::connect(addr).await;
            let n = 1000 + i;
            let blocks = c
                .query(&format!("SELECT number FROM numbers({n})"), i % 2 == 0)
                .await
                .expect("query");
            assert_eq!(rows(&blocks) as u64, n);
        });
    }
    let mut done = 0;
    while let Some(r) = tasks.join_next().await {
        r.expect("client task");
        done += 1;
    }
    assert_eq!(done, 200);
    s.stop().await;
}

#[tokio::test]
async fn shutdown_with_idle_connection() {
    let s = TestServer::start().await;
    let mut c = Client::connect(s.tcp).await;
    assert_eq!(rows(&c.query("SELECT 1", false).await.expect("q")), 1);
    s.stop().await;
    assert!(
        c.recv().await.is_none(),
        "server closed the idle connection at shutdown"
    );
}
