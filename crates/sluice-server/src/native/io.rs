//! Buffered packet I/O for one native connection: parse packets out of a receive buffer
//! (retrying when more bytes arrive), decompress Data blocks, and write packets with
//! optional compression framing.

use std::time::Duration;

use futures::FutureExt;
use sluice_common::{Error, ErrorCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::native::block::{Block, decode_block};
use crate::native::compression::{CompressionMethod, decode_frame, encode_frame, frame_len};
use crate::native::wire::{DecodeError, DecodeResult, WireReader, WireWrite};

/// Why reading a packet stopped.
#[derive(Debug)]
pub enum ReadError {
    /// The client closed the connection (or it broke).
    Closed,
    /// The bytes are not valid protocol: report and close.
    Protocol(Error),
}

impl From<Error> for ReadError {
    fn from(e: Error) -> Self {
        ReadError::Protocol(e)
    }
}

/// Receive side of a connection.
pub struct PacketReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    eof: bool,
    max_buffer: usize,
    /// Decompressed bytes not yet consumed (compressed Data blocks form one stream).
    decompressed: Vec<u8>,
    /// Longest wait for more bytes while an item is incomplete (`receive_timeout`).
    receive_timeout: Option<Duration>,
}

impl<R: AsyncRead + Unpin> PacketReader<R> {
    /// Wraps `inner`; a packet larger than `max_buffer` bytes is a protocol error.
    pub fn new(inner: R, max_buffer: usize) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(64 * 1024),
            start: 0,
            eof: false,
            max_buffer,
            decompressed: Vec::new(),
            receive_timeout: None,
        }
    }

    /// Limits every wait inside [`next`](Self::next) and [`read_block`](Self::read_block)
    /// to `timeout`; past it they fail with `SOCKET_TIMEOUT`. [`fill`](Self::fill) and
    /// [`wait_for_packet`](Self::wait_for_packet) are not limited: the caller bounds them
    /// (idle timeout, a running query).
    pub fn set_receive_timeout(&mut self, timeout: Option<Duration>) {
        self.receive_timeout = timeout;
    }

    /// Waits until at least one byte of the next packet is buffered. Cancel-safe.
    pub async fn wait_for_packet(&mut self) -> Result<(), ReadError> {
        while !self.has_buffered() {
            self.fill().await?;
        }
        Ok(())
    }

    /// [`fill`](Self::fill) bounded by the receive timeout.
    async fn fill_within_timeout(&mut self) -> Result<usize, ReadError> {
        let Some(limit) = self.receive_timeout else {
            return self.fill().await;
        };
        match tokio::time::timeout(limit, self.fill()).await {
            Ok(res) => res,
            Err(_) => Err(ReadError::Protocol(Error::new(
                ErrorCode::SOCKET_TIMEOUT,
                format!(
                    "Timeout exceeded while receiving data from client. Waited for {} seconds, \
                     timeout is {} seconds.",
                    limit.as_secs(),
                    limit.as_secs()
                ),
            ))),
        }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 1 << 20 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// True when unparsed bytes are buffered.
    pub fn has_buffered(&self) -> bool {
        self.start < self.buf.len()
    }

    /// Waits for more bytes; `Closed` at end of stream. Cancel-safe.
    pub async fn fill(&mut self) -> Result<usize, ReadError> {
        if self.eof {
            return Err(ReadError::Closed);
        }
        if self.buf.len() - self.start > self.max_buffer {
            return Err(ReadError::Protocol(Error::new(
                ErrorCode::TOO_LARGE_SIZE_COMPRESSED,
                format!(
                    "Packet is larger than the server accepts ({} bytes)",
                    self.max_buffer
                ),
            )));
        }
        self.buf.reserve(64 * 1024);
        match self.inner.read_buf(&mut self.buf).await {
            Ok(0) | Err(_) => {
                self.eof = true;
                Err(ReadError::Closed)
            }
            Ok(n) => Ok(n),
        }
    }

    /// Reads what is available without waiting; `Ok(false)` when nothing is.
    fn try_fill(&mut self) -> Result<bool, ReadError> {
        match self.fill().now_or_never() {
            Some(Ok(_)) => Ok(true),
            Some(Err(e)) => Err(e),
            None => Ok(false),
        }
    }

    /// Parses one item with `parse`, reading more bytes until it is complete. Large items
    /// are re-parsed only when the buffer doubled or the peer paused, so the total work
    /// stays linear in the item's size.
    pub async fn next<T>(
        &mut self,
        mut parse: impl FnMut(&mut WireReader<'_>) -> DecodeResult<T>,
    ) -> Result<T, ReadError> {
        let mut last_attempt = 0usize;
        let mut attempt = self.has_buffered();
        loop {
            if attempt {
                last_attempt = self.pending().len();
                let mut r = WireReader::new(self.pending());
                match parse(&mut r) {
                    Ok(v) => {
                        let used = r.position();
                        self.consume(used);
                        return Ok(v);
                    }
                    Err(DecodeError::Incomplete) => {}
                    Err(DecodeError::Invalid(e)) => return Err(ReadError::Protocol(e)),
                }
            }
            if self.try_fill()? {
                attempt = self.pending().len() >= last_attempt.saturating_mul(2);
                continue;
            }
            if self.pending().len() > last_attempt {
                attempt = true;
                continue;
            }
            self.fill_within_timeout().await?;
            attempt = true;
        }
    }

    /// Reads one block, from compression frames when `compressed`.
    pub async fn read_block(&mut self, n: u64, compressed: bool) -> Result<Block, ReadError> {
        if !compressed {
            return self
                .next(|r| {
                    let (block, used) = decode_block(r.rest(), n)?;
                    r.advance(used)?;
                    Ok(block)
                })
                .await;
        }
        let mut last_attempt = 0usize;
        loop {
            if !self.decompressed.is_empty()
                && (self.decompressed.len() >= last_attempt.saturating_mul(2)
                    || !self.frame_buffered())
            {
                last_attempt = self.decompressed.len();
                match decode_block(&self.decompressed, n) {
                    Ok((block, used)) => {
                        self.decompressed.drain(..used);
                        return Ok(block);
                    }
                    Err(DecodeError::Incomplete) => {}
                    Err(DecodeError::Invalid(e)) => return Err(ReadError::Protocol(e)),
                }
            }
            if self.decompressed.len() > self.max_buffer {
                return Err(ReadError::Protocol(Error::new(
                    ErrorCode::TOO_LARGE_SIZE_COMPRESSED,
                    "Compressed block is larger than the server accepts",
                )));
            }
            let mut out = std::mem::take(&mut self.decompressed);
            let res = self
                .next(|r| {
                    let used = decode_frame(r.rest(), &mut out, true)?;
                    r.advance(used)
                })
                .await;
            self.decompressed = out;
            res?;
        }
    }

    fn frame_buffered(&self) -> bool {
        matches!(frame_len(self.pending()), Ok(len) if self.pending().len() >= len)
    }
}

/// Send side of a connection.
pub struct PacketWriter<W> {
    inner: W,
    buf: Vec<u8>,
    /// Longest wait for the client to accept bytes (`send_timeout`).
    send_timeout: Option<Duration>,
}

/// Largest piece of a block put in one compression frame (ClickHouse uses 1 MiB).
const FRAME_CHUNK: usize = 1 << 20;

impl<W: AsyncWrite + Unpin> PacketWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(64 * 1024),
            send_timeout: None,
        }
    }

    /// Limits each [`flush`](Self::flush) to `timeout`; past it the flush fails with
    /// `SOCKET_TIMEOUT` (the connection then closes).
    pub fn set_send_timeout(&mut self, timeout: Option<Duration>) {
        self.send_timeout = timeout;
    }

    /// The pending output, to append a packet to.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Appends a block-carrying packet: type, table name, then the block bytes, framed
    /// when `compression` is set.
    pub fn put_block_packet(
        &mut self,
        packet: u64,
        block: &[u8],
        compression: Option<CompressionMethod>,
    ) {
        self.buf.put_varint(packet);
        self.buf.put_str(b"");
        match compression {
            None => self.buf.extend_from_slice(block),
            Some(method) => {
                if block.is_empty() {
                    encode_frame(method, block, &mut self.buf);
                }
                for chunk in block.chunks(FRAME_CHUNK) {
                    encode_frame(method, chunk, &mut self.buf);
                }
            }
        }
    }

    /// Sends everything buffered, within the send timeout.
    pub async fn flush(&mut self) -> Result<(), Error> {
        let Some(limit) = self.send_timeout else {
            return self.flush_unbounded().await;
        };
        match tokio::time::timeout(limit, self.flush_unbounded()).await {
            Ok(res) => res,
            Err(_) => {
                self.buf.clear();
                Err(Error::new(
                    ErrorCode::SOCKET_TIMEOUT,
                    format!(
                        "Timeout exceeded while writing to socket ({} seconds)",
                        limit.as_secs()
                    ),
                ))
            }
        }
    }

    async fn flush_unbounded(&mut self) -> Result<(), Error> {
        if !self.buf.is_empty() {
            let res = self.inner.write_all(&self.buf).await;
            self.buf.clear();
            res.map_err(|e| {
                Error::new(
                    ErrorCode::NETWORK_ERROR,
                    format!("Cannot write to socket: {e}"),
                )
            })?;
        }
        self.inner.flush().await.map_err(|e| {
            Error::new(
                ErrorCode::NETWORK_ERROR,
                format!("Cannot flush socket: {e}"),
            )
        })
    }

    /// Buffered bytes.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Closes the write side.
    pub async fn shutdown(&mut self) {
        let _ = self.flush().await;
        let _ = self.inner.shutdown().await;
    }
}
