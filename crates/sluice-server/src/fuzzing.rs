//! Entry points for fuzzing: the decoders that see untrusted bytes, each reachable as a
//! plain function of `&[u8]`.
//!
//! The `fuzz/` targets (cargo-fuzz, nightly) and the stable `tests/fuzz_corpus.rs` call
//! these. Each function decodes its input the way the server does and returns how far it
//! got; it must never panic, hang, or allocate more than a small multiple of its input,
//! whatever the bytes. Errors are the expected outcome for most inputs and are returned,
//! not raised.
//!
//! - [`client_packets`]: what a native client sends after the handshake (Query packets
//!   with ClientInfo and settings, Data blocks, Ping, Cancel), at a revision picked by the
//!   first input byte; also the Hello and addendum.
//! - [`data_block`]: one Data block, uncompressed or in compression frames (checksums
//!   verified or not), at a revision picked by the first input byte.
//! - [`http_request`]: the URL query string and headers of an HTTP request, turned into
//!   parameters, settings, credentials, session timeout and body codings.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use sluice_common::Error;

use crate::http::auth::credentials;
use crate::http::encoding::{choose_accept_encoding, parse_content_encoding};
use crate::http::params::RequestParams;
use crate::http::query::body_may_have_data;
use crate::http::sessions::parse_timeout;
use crate::native::block::decode_block;
use crate::native::compression::decode_frame;
use crate::native::handshake::{parse_addendum, parse_client_hello};
use crate::native::packets::{client, parse_query};
use crate::native::wire::{DecodeError, WireReader};

/// Revisions the native targets pick from: 0 (HTTP `Native`), Debian's 18.16 client, the
/// thresholds of optional fields, and the server's own.
pub const REVISIONS: [u64; 8] = [0, 54412, 54429, 54442, 54453, 54454, 54459, 54460];

/// What a fuzz entry point reached.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The input decoded completely; the count of items (packets, blocks, parameters).
    Decoded(usize),
    /// The input ended inside an item after this many complete items.
    Incomplete(usize),
    /// The input is invalid; the error the server would send.
    Rejected(Error),
}

fn revision(selector: u8) -> u64 {
    REVISIONS[usize::from(selector) % REVISIONS.len()]
}

fn stop(e: DecodeError, items: usize) -> Outcome {
    match e {
        DecodeError::Incomplete => Outcome::Incomplete(items),
        DecodeError::Invalid(e) => Outcome::Rejected(e),
    }
}

/// Decodes `data[1..]` as the packets a native client sends after the handshake, at the
/// revision chosen by `data[0]`; Data blocks are uncompressed. When `data[0]` is odd the
/// bytes start with a Hello (and, from revision 54458, the addendum) instead.
pub fn client_packets(data: &[u8]) -> Outcome {
    let Some((&selector, rest)) = data.split_first() else {
        return Outcome::Incomplete(0);
    };
    let n = revision(selector >> 1).max(54032);
    let mut r = WireReader::new(rest);
    let mut items = 0;
    if selector & 1 == 1 {
        if let Err(e) = parse_client_hello(&mut r) {
            return stop(e, items);
        }
        items += 1;
        if n >= 54458 {
            if let Err(e) = parse_addendum(&mut r) {
                return stop(e, items);
            }
            items += 1;
        }
    }
    while r.remaining() > 0 {
        let packet = match r.varint() {
            Ok(p) => p,
            Err(e) => return stop(e, items),
        };
        let step = match packet {
            client::QUERY => parse_query(&mut r, n).map(drop),
            client::DATA => r.string_bytes().and_then(|_| {
                let (_, used) = decode_block(r.rest(), n)?;
                r.advance(used)
            }),
            client::PING | client::CANCEL | client::KEEP_ALIVE => Ok(()),
            other => {
                return Outcome::Rejected(Error::new(
                    sluice_common::ErrorCode::UNKNOWN_PACKET_FROM_CLIENT,
                    format!("Unknown packet {other} from client"),
                ));
            }
        };
        if let Err(e) = step {
            return stop(e, items);
        }
        items += 1;
    }
    Outcome::Decoded(items)
}

/// Decodes `data[1..]` as Data blocks at the revision chosen by the low bits of `data[0]`.
/// Bit 4 of `data[0]` set: the bytes are compression frames (bit 5 set: checksums are
/// verified), decoded into one stream first, as the server does.
pub fn data_block(data: &[u8]) -> Outcome {
    let Some((&selector, rest)) = data.split_first() else {
        return Outcome::Incomplete(0);
    };
    let n = revision(selector & 0x0F);
    let compressed = selector & 0x10 != 0;
    let verify = selector & 0x20 != 0;
    let plain;
    let mut input = rest;
    if compressed {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < rest.len() {
            match decode_frame(&rest[pos..], &mut out, verify) {
                Ok(used) => pos += used,
                Err(e) => return stop(e, 0),
            }
        }
        plain = out;
        input = &plain;
    }
    let mut pos = 0;
    let mut items = 0;
    while pos < input.len() {
        match decode_block(&input[pos..], n) {
            Ok((block, used)) => {
                // Every decoded block must be usable downstream: touch its columns.
                for column in block.batch.columns() {
                    let _ = column.null_count();
                }
                if used == 0 {
                    break;
                }
                pos += used;
                items += 1;
            }
            Err(e) => return stop(e, items),
        }
    }
    Outcome::Decoded(items)
}

/// Parses an HTTP request head as the query endpoint does. The input's first line is the
/// URL query string (without `?`); each further line is a `name: value` header (lines that
/// are not valid headers are skipped, as the HTTP layer would have refused them). Returns
/// the number of parameters understood, or the first ClickHouse error the request gets.
pub fn http_request(data: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let query_string = lines.next().unwrap_or("").trim_end_matches('\r');
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some((name, value)) = line.trim_end_matches('\r').split_once(':') else {
            continue;
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) {
            headers.append(name, value);
        }
    }
    match parse_http_head(query_string, &headers) {
        Ok(count) => Outcome::Decoded(count),
        Err(e) => Outcome::Rejected(e),
    }
}

fn parse_http_head(query_string: &str, headers: &HeaderMap) -> Result<usize, Error> {
    let params = RequestParams::parse(query_string)?;
    credentials(headers, &params)?;
    if params.session_id.is_some() {
        parse_timeout(params.session_timeout.as_deref(), 60, 3600)?;
    }
    if let Some(v) = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
    {
        parse_content_encoding(v)?;
    }
    if let Some(v) = headers.get("accept-encoding").and_then(|v| v.to_str().ok()) {
        choose_accept_encoding(v);
    }
    body_may_have_data(headers)?;
    let _ = params.setting_flag("enable_http_compression");
    Ok(params.params.len() + params.settings.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_inputs() {
        assert_eq!(client_packets(&[]), Outcome::Incomplete(0));
        assert_eq!(data_block(&[]), Outcome::Incomplete(0));
        assert!(matches!(http_request(b""), Outcome::Rejected(_)));
    }

    #[test]
    fn ping_and_http_head() {
        assert_eq!(client_packets(&[0, 4, 4, 3]), Outcome::Decoded(3));
        assert_eq!(
            http_request(b"param_x=1&max_threads=2\ncontent-length: 0"),
            Outcome::Decoded(2)
        );
    }

    /// A block of one row whose column type nests `depth` Arrays around UInt8.
    fn nested_block(depth: usize) -> Vec<u8> {
        use crate::native::wire::WireWrite;
        let mut v = vec![0u8]; // revision 0: no BlockInfo
        v.put_varint(1);
        v.put_varint(1);
        v.put_str(b"c");
        let t = format!("{}UInt8{}", "Array(".repeat(depth), ")".repeat(depth));
        v.put_str(t.as_bytes());
        for _ in 0..depth {
            v.put_u64_le(1);
        }
        v.put_u8(7);
        v
    }

    #[test]
    fn deep_types_fit_a_worker_stack() {
        // Tokio worker threads have 2 MiB stacks; the deepest accepted type must decode in one.
        let ok = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| data_block(&nested_block(crate::native::block::MAX_TYPE_DEPTH)))
            .expect("thread")
            .join()
            .expect("no stack overflow");
        assert_eq!(ok, Outcome::Decoded(1));
        match data_block(&nested_block(crate::native::block::MAX_TYPE_DEPTH + 1)) {
            Outcome::Rejected(e) => {
                assert_eq!(e.code, sluice_common::ErrorCode::TOO_DEEP_RECURSION)
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn huge_fixed_widths_are_errors() {
        use crate::native::wire::WireWrite;
        let big = u64::MAX / 2;
        for t in [
            format!("FixedString({big})"),
            format!("Tuple(FixedString({big}), FixedString({big}))"),
            format!("Array(FixedString({big}))"),
            format!("Nullable(FixedString({big}))"),
            format!("Map(FixedString({big}), FixedString({big}))"),
            "FixedString(0)".to_string(),
            "Tuple()".to_string(),
        ] {
            let mut v = vec![0u8];
            v.put_varint(1);
            v.put_varint(3);
            v.put_str(b"c");
            v.put_str(t.as_bytes());
            v.extend_from_slice(&[1u8; 64]);
            let _ = data_block(&v);
        }
    }
}
