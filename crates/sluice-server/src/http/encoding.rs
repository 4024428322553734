//! HTTP body encodings: `Content-Encoding` of requests and `Accept-Encoding` of responses
//! (gzip, deflate, zstd, lz4; br is `NOT_IMPLEMENTED`), and ClickHouse's own compression
//! frames (`decompress=1` for request bodies, `compress=1` for responses).

use std::io;
use std::pin::Pin;

use async_compression::tokio::bufread::{
    GzipDecoder, GzipEncoder, Lz4Decoder, Lz4Encoder, ZlibDecoder, ZlibEncoder, ZstdDecoder,
    ZstdEncoder,
};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use sluice_common::{Error, ErrorCode};
use tokio::io::{AsyncRead, AsyncReadExt, BufReader};
use tokio_util::io::{ReaderStream, StreamReader};

use crate::native::compression::{
    CompressionMethod, FRAME_HEADER_SIZE, decode_frame, encode_frame, frame_len,
};
use crate::native::wire::DecodeError;

/// A boxed byte reader.
pub type Reader = Box<dyn AsyncRead + Send + Unpin>;

/// A body as a stream of chunks.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// An HTTP content coding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// gzip.
    Gzip,
    /// deflate (zlib stream).
    Deflate,
    /// zstd.
    Zstd,
    /// LZ4 frame format.
    Lz4,
}

impl Coding {
    /// The header token.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Zstd => "zstd",
            Coding::Lz4 => "lz4",
        }
    }
}

/// Parses a `Content-Encoding` value; `None` for identity.
pub fn parse_content_encoding(value: &str) -> Result<Option<Coding>, Error> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "identity" | "none" => Ok(None),
        "gzip" | "x-gzip" => Ok(Some(Coding::Gzip)),
        "deflate" => Ok(Some(Coding::Deflate)),
        "zstd" => Ok(Some(Coding::Zstd)),
        "lz4" => Ok(Some(Coding::Lz4)),
        "br" | "xz" | "bz2" | "snappy" => Err(Error::not_implemented(format!(
            "HTTP Content-Encoding '{value}'"
        ))),
        other => Err(Error::new(
            ErrorCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Unknown HTTP Content-Encoding: {other}"),
        )),
    }
}

/// Chooses a response coding from `Accept-Encoding` (ClickHouse's priority order).
pub fn choose_accept_encoding(value: &str) -> Option<Coding> {
    let tokens: Vec<String> = value
        .split(',')
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    [Coding::Gzip, Coding::Deflate, Coding::Zstd, Coding::Lz4]
        .into_iter()
        .find(|c| tokens.iter().any(|t| t == c.name()))
}

/// Wraps `input` to undo `coding`. A body that is not what its coding says fails with
/// ClickHouse's error for that codec (`ErrorCode::ZLIB_INFLATE_FAILED`, `ErrorCode::ZSTD_DECODER_FAILED`,
/// `ErrorCode::LZ4_DECODER_FAILED`).
pub fn decode_body(input: Reader, coding: Option<Coding>) -> Reader {
    let Some(coding) = coding else {
        return Box::new(BufReader::new(input));
    };
    // Errors of the body itself (the client went away) are marked first, so that what
    // remains unmarked after decoding is the decoder's own failure.
    let input: Reader = Box::new(CodecErrors {
        inner: input,
        coding: None,
    });
    let buf = BufReader::new(input);
    let inner: Reader = match coding {
        Coding::Gzip => Box::new(GzipDecoder::new(buf)),
        Coding::Deflate => Box::new(ZlibDecoder::new(buf)),
        Coding::Zstd => Box::new(ZstdDecoder::new(buf)),
        Coding::Lz4 => Box::new(Lz4Decoder::new(buf)),
    };
    Box::new(CodecErrors {
        inner,
        coding: Some(coding),
    })
}

/// Gives every error of `inner` a ClickHouse error: errors that already carry one pass
/// through; others become the codec's error (`coding`), or `CANNOT_READ_ALL_DATA` for
/// the raw body (`None`).
struct CodecErrors {
    inner: Reader,
    coding: Option<Coding>,
}

impl CodecErrors {
    fn map(&self, e: io::Error) -> io::Error {
        if e.get_ref().is_some_and(|i| i.is::<Error>()) {
            return e;
        }
        let err = match self.coding {
            None => error_from_io(&e),
            Some(Coding::Gzip | Coding::Deflate) => Error::new(
                ErrorCode::ZLIB_INFLATE_FAILED,
                format!("inflate failed: {e}"),
            ),
            Some(Coding::Zstd) => Error::new(
                ErrorCode::ZSTD_DECODER_FAILED,
                format!("ZSTD stream decoding failed: error '{e}'"),
            ),
            Some(Coding::Lz4) => Error::new(
                ErrorCode::LZ4_DECODER_FAILED,
                format!("LZ4 decompression failed. Error: {e}"),
            ),
        };
        io::Error::other(err)
    }
}

impl AsyncRead for CodecErrors {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            std::task::Poll::Ready(Err(e)) => std::task::Poll::Ready(Err(self.map(e))),
            other => other,
        }
    }
}

/// Wraps `body` so it is sent with `coding`.
pub fn encode_body(body: ByteStream, coding: Coding) -> ByteStream {
    let reader = BufReader::new(StreamReader::new(body));
    match coding {
        Coding::Gzip => Box::pin(ReaderStream::new(GzipEncoder::new(reader))),
        Coding::Deflate => Box::pin(ReaderStream::new(ZlibEncoder::new(reader))),
        Coding::Zstd => Box::pin(ReaderStream::new(ZstdEncoder::new(reader))),
        Coding::Lz4 => Box::pin(ReaderStream::new(Lz4Encoder::new(reader))),
    }
}

fn io_error(e: Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Reads a body made of ClickHouse compression frames (`decompress=1`).
pub fn decode_frames(input: Reader, verify_checksum: bool) -> Reader {
    let frames = futures::stream::try_unfold(input, move |mut input| async move {
        let mut frame = vec![0u8; FRAME_HEADER_SIZE];
        let mut got = 0;
        while got < FRAME_HEADER_SIZE {
            let n = input.read(&mut frame[got..]).await?;
            if n == 0 {
                if got == 0 {
                    return Ok(None);
                }
                return Err(io_error(Error::new(
                    ErrorCode::CANNOT_READ_ALL_DATA,
                    "Truncated compression frame header",
                )));
            }
            got += n;
        }
        let len = match frame_len(&frame) {
            Ok(l) => l,
            Err(DecodeError::Invalid(e)) => return Err(io_error(e)),
            Err(DecodeError::Incomplete) => {
                return Err(io_error(Error::internal("frame header incomplete")));
            }
        };
        frame.resize(len, 0);
        input.read_exact(&mut frame[FRAME_HEADER_SIZE..]).await?;
        let mut out = Vec::new();
        match decode_frame(&frame, &mut out, verify_checksum) {
            Ok(_) => Ok(Some((Bytes::from(out), input))),
            Err(DecodeError::Invalid(e)) => Err(io_error(e)),
            Err(DecodeError::Incomplete) => Err(io_error(Error::internal("frame incomplete"))),
        }
    });
    Box::new(StreamReader::new(Box::pin(frames)))
}

/// Wraps each chunk of `body` into ClickHouse LZ4 compression frames (`compress=1`).
pub fn encode_frames(body: ByteStream) -> ByteStream {
    Box::pin(body.map(|chunk| {
        chunk.map(|c| {
            let mut out = Vec::with_capacity(c.len() / 2 + 64);
            for piece in c.chunks(1 << 20) {
                encode_frame(CompressionMethod::Lz4, piece, &mut out);
            }
            Bytes::from(out)
        })
    }))
}

/// Recovers a ClickHouse error carried inside an I/O error, or describes the I/O error.
pub fn error_from_io(e: &io::Error) -> Error {
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
        return inner.clone();
    }
    Error::new(
        ErrorCode::CANNOT_READ_ALL_DATA,
        format!("Cannot read request body: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(mut r: Reader) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        r.read_to_end(&mut v).await?;
        Ok(v)
    }

    fn stream_of(data: &[u8]) -> ByteStream {
        let chunks: Vec<io::Result<Bytes>> = data
            .chunks(7)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        Box::pin(futures::stream::iter(chunks))
    }

    #[tokio::test]
    async fn codings_round_trip() {
        let data: Vec<u8> = (0..5000u32).flat_map(|i| i.to_le_bytes()).collect();
        for coding in [Coding::Gzip, Coding::Deflate, Coding::Zstd, Coding::Lz4] {
            let encoded = encode_body(stream_of(&data), coding);
            let reader: Reader = Box::new(StreamReader::new(encoded));
            let back = read_all(decode_body(reader, Some(coding)))
                .await
                .expect("decode");
            assert_eq!(back, data, "{coding:?}");
        }
        let framed = encode_frames(stream_of(&data));
        let reader: Reader = Box::new(StreamReader::new(framed));
        assert_eq!(
            read_all(decode_frames(reader, true)).await.expect("frames"),
            data
        );
    }

    #[tokio::test]
    async fn bodies_not_in_their_coding_get_the_codec_error() {
        for (coding, code) in [
            (Coding::Gzip, ErrorCode::ZLIB_INFLATE_FAILED),
            (Coding::Deflate, ErrorCode::ZLIB_INFLATE_FAILED),
            (Coding::Zstd, ErrorCode::ZSTD_DECODER_FAILED),
            (Coding::Lz4, ErrorCode::LZ4_DECODER_FAILED),
        ] {
            let reader: Reader = Box::new(StreamReader::new(stream_of(
                b"SELECT 1 and certainly not compressed",
            )));
            let e = read_all(decode_body(reader, Some(coding)))
                .await
                .expect_err("garbage");
            assert_eq!(error_from_io(&e).code, code, "{coding:?}: {e}");
            // Cut short: the same error, not a silent end.
            let full = read_all(Box::new(StreamReader::new(encode_body(
                stream_of(&[7u8; 4096]),
                coding,
            ))))
            .await
            .expect("encode");
            let reader: Reader = Box::new(StreamReader::new(stream_of(&full[..full.len() / 2])));
            let e = read_all(decode_body(reader, Some(coding)))
                .await
                .expect_err("truncated");
            assert_eq!(error_from_io(&e).code, code, "{coding:?} truncated: {e}");
        }
    }

    #[tokio::test]
    async fn corrupt_frames_are_checksum_errors() {
        let mut framed = Vec::new();
        encode_frame(CompressionMethod::Lz4, b"hello world", &mut framed);
        framed[0] ^= 0xFF;
        let reader: Reader = Box::new(std::io::Cursor::new(framed));
        let err = read_all(decode_frames(reader, true))
            .await
            .expect_err("bad checksum");
        assert_eq!(error_from_io(&err).code, ErrorCode::CHECKSUM_DOESNT_MATCH);
    }

    #[test]
    fn headers() {
        assert_eq!(
            choose_accept_encoding("br, zstd;q=1, gzip"),
            Some(Coding::Gzip)
        );
        assert_eq!(choose_accept_encoding("zstd"), Some(Coding::Zstd));
        assert_eq!(choose_accept_encoding("br"), None);
        assert_eq!(
            parse_content_encoding("gzip").ok(),
            Some(Some(Coding::Gzip))
        );
        assert_eq!(
            parse_content_encoding("br").expect_err("br").code,
            ErrorCode::NOT_IMPLEMENTED
        );
    }
}
