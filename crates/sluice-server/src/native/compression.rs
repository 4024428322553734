//! ClickHouse compression frames (native protocol with `compression = 1`, HTTP `compress=1`
//! / `decompress=1`).
//!
//! ```text
//! 16 bytes  CityHash128 v1.0.2 of the rest of the frame (low64 LE, high64 LE)
//!  1 byte   method: 0x82 LZ4, 0x90 ZSTD, 0x02 NONE
//!  4 bytes  compressed size, u32 LE = 9 + payload length
//!  4 bytes  uncompressed size, u32 LE
//!  payload  raw LZ4 block / zstd frame / the bytes themselves
//! ```
//! A frame boundary is not a block boundary: decoded frames form one byte stream.

use std::io::Read;

use sluice_common::{Error, ErrorCode};

use crate::native::wire::{DecodeError, DecodeResult};

/// Checksum + header bytes before the payload.
pub const FRAME_HEADER_SIZE: usize = 16 + 9;

/// Largest compressed or uncompressed frame accepted (ClickHouse's `DBMS_MAX_COMPRESSED_SIZE`).
pub const MAX_FRAME_SIZE: u64 = 0x4000_0000;

/// How a frame's payload is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompressionMethod {
    /// Stored as is (`0x02`).
    None,
    /// Raw LZ4 block (`0x82`); also what LZ4HC writes.
    Lz4,
    /// A zstd frame (`0x90`).
    Zstd,
}

impl CompressionMethod {
    /// The method byte.
    pub fn byte(self) -> u8 {
        match self {
            CompressionMethod::None => 0x02,
            CompressionMethod::Lz4 => 0x82,
            CompressionMethod::Zstd => 0x90,
        }
    }

    /// Parses a method byte.
    pub fn from_byte(b: u8) -> Result<Self, Error> {
        match b {
            0x02 => Ok(CompressionMethod::None),
            0x82 => Ok(CompressionMethod::Lz4),
            0x90 => Ok(CompressionMethod::Zstd),
            other => Err(Error::new(
                ErrorCode::UNKNOWN_COMPRESSION_METHOD,
                format!("Unknown compression method: {other:#04x}"),
            )),
        }
    }

    /// Parses a codec name as used by `network_compression_method` (`LZ4`, `ZSTD`, `NONE`).
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name.to_ascii_uppercase().as_str() {
            "LZ4" | "LZ4HC" => Ok(CompressionMethod::Lz4),
            "ZSTD" => Ok(CompressionMethod::Zstd),
            "NONE" => Ok(CompressionMethod::None),
            _ => Err(Error::new(
                ErrorCode::UNKNOWN_COMPRESSION_METHOD,
                format!("Unknown compression method: {name}"),
            )),
        }
    }
}

/// CityHash128 v1.0.2 of `data`, as the 16 bytes ClickHouse writes (low64 LE, high64 LE).
pub fn checksum(data: &[u8]) -> [u8; 16] {
    // cityhash-rs returns ClickHouse's low64 in the high half of the u128.
    cityhash_rs::cityhash_102_128(data)
        .rotate_right(64)
        .to_le_bytes()
}

/// Appends one frame holding `data` to `out`.
pub fn encode_frame(method: CompressionMethod, data: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0u8; 16]);
    out.push(method.byte());
    out.extend_from_slice(&[0u8; 8]);
    let payload_start = out.len();
    match method {
        CompressionMethod::None => out.extend_from_slice(data),
        CompressionMethod::Lz4 => {
            let bound = lz4_flex::block::get_maximum_output_size(data.len());
            out.resize(payload_start + bound, 0);
            // The buffer has the maximum size LZ4 can produce, so compression cannot fail;
            // fall back to storing the data should the library disagree.
            match lz4_flex::block::compress_into(data, &mut out[payload_start..]) {
                Ok(n) => out.truncate(payload_start + n),
                Err(_) => {
                    out.truncate(start);
                    return encode_frame(CompressionMethod::None, data, out);
                }
            }
        }
        CompressionMethod::Zstd => match zstd::bulk::compress(data, 1) {
            Ok(c) => out.extend_from_slice(&c),
            Err(_) => {
                out.truncate(start);
                return encode_frame(CompressionMethod::None, data, out);
            }
        },
    }
    let compressed_size = (out.len() - start - 16) as u32;
    out[start + 17..start + 21].copy_from_slice(&compressed_size.to_le_bytes());
    out[start + 21..start + 25].copy_from_slice(&(data.len() as u32).to_le_bytes());
    let sum = checksum(&out[start + 16..]);
    out[start..start + 16].copy_from_slice(&sum);
}

/// Reads the total size (checksum included) of the frame starting at `buf`, validating the
/// header. `Incomplete` if fewer than 25 bytes are present.
pub fn frame_len(buf: &[u8]) -> DecodeResult<usize> {
    if buf.len() < FRAME_HEADER_SIZE {
        return Err(DecodeError::Incomplete);
    }
    CompressionMethod::from_byte(buf[16])?;
    let compressed = u64::from(u32::from_le_bytes([buf[17], buf[18], buf[19], buf[20]]));
    let uncompressed = u64::from(u32::from_le_bytes([buf[21], buf[22], buf[23], buf[24]]));
    if compressed > MAX_FRAME_SIZE || uncompressed > MAX_FRAME_SIZE {
        return Err(DecodeError::Invalid(Error::new(
            ErrorCode::TOO_LARGE_SIZE_COMPRESSED,
            format!(
                "Too large size_compressed_without_checksum: {compressed}. \
                 Most likely corrupted data."
            ),
        )));
    }
    if compressed < 9 {
        return Err(DecodeError::Invalid(Error::new(
            ErrorCode::TOO_LARGE_SIZE_COMPRESSED,
            format!("Too small size_compressed_without_checksum: {compressed}."),
        )));
    }
    Ok(16 + compressed as usize)
}

/// Decodes the frame at the start of `buf`, appending its bytes to `out`; returns the
/// number of input bytes used. `verify` checks the checksum (HTTP can switch it off).
pub fn decode_frame(buf: &[u8], out: &mut Vec<u8>, verify: bool) -> DecodeResult<usize> {
    let len = frame_len(buf)?;
    if buf.len() < len {
        return Err(DecodeError::Incomplete);
    }
    let frame = &buf[..len];
    if verify {
        let actual = checksum(&frame[16..]);
        if actual[..] != frame[..16] {
            return Err(DecodeError::Invalid(Error::new(
                ErrorCode::CHECKSUM_DOESNT_MATCH,
                format!(
                    "Checksum doesn't match: corrupted data. Reference: {}. Actual: {}. \
                     Size of compressed block: {}",
                    hex128(&frame[..16]),
                    hex128(&actual),
                    len - 16
                ),
            )));
        }
    }
    let method = CompressionMethod::from_byte(frame[16])?;
    let uncompressed = u32::from_le_bytes([frame[21], frame[22], frame[23], frame[24]]) as usize;
    let payload = &frame[FRAME_HEADER_SIZE..];
    let start = out.len();
    let cannot = |what: String| {
        DecodeError::Invalid(Error::new(
            ErrorCode::CANNOT_DECOMPRESS,
            format!("Cannot decompress {what}"),
        ))
    };
    match method {
        CompressionMethod::None => {
            if payload.len() != uncompressed {
                return Err(cannot(format!(
                    "uncompressed frame: {} bytes stored, header says {uncompressed}",
                    payload.len()
                )));
            }
            out.extend_from_slice(payload);
        }
        CompressionMethod::Lz4 => {
            // LZ4 expands at most ~255×: refuse headers that promise more before allocating.
            if uncompressed > payload.len().saturating_mul(255).saturating_add(16) {
                return Err(cannot(format!(
                    "LZ4 frame: {} payload bytes cannot hold {uncompressed} bytes",
                    payload.len()
                )));
            }
            out.resize(start + uncompressed, 0);
            match lz4_flex::block::decompress_into(payload, &mut out[start..]) {
                Ok(n) if n == uncompressed => {}
                Ok(n) => {
                    out.truncate(start);
                    return Err(cannot(format!(
                        "LZ4 frame: got {n} bytes, expected {uncompressed}"
                    )));
                }
                Err(e) => {
                    out.truncate(start);
                    return Err(cannot(format!("LZ4 frame: {e}")));
                }
            }
        }
        CompressionMethod::Zstd => {
            // Stream into `out` so a lying header cannot make us allocate up front.
            let mut decoder = zstd::stream::read::Decoder::with_buffer(payload)
                .map_err(|e| cannot(format!("ZSTD frame: {e}")))?;
            let mut limited = (&mut decoder).take(uncompressed as u64 + 1);
            match limited.read_to_end(out) {
                Ok(n) if n == uncompressed => {}
                Ok(n) => {
                    out.truncate(start);
                    return Err(cannot(format!(
                        "ZSTD frame: got {n} bytes, expected {uncompressed}"
                    )));
                }
                Err(e) => {
                    out.truncate(start);
                    return Err(cannot(format!("ZSTD frame: {e}")));
                }
            }
        }
    }
    Ok(len)
}

fn hex128(b: &[u8]) -> String {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&b[..8]);
    hi.copy_from_slice(&b[8..16]);
    format!(
        "{:016x}{:016x}",
        u64::from_le_bytes(hi),
        u64::from_le_bytes(lo)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The frame from the `clickhouse` crate's own unit test (reference §3.3).
    const KNOWN_FRAME: [u8; 34] = [
        0x82, 0x22, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0xF0, 0x08, 0x01, 0x00, 0x02, 0xFF,
        0xFF, 0xFF, 0xFF, 0x00, 0x01, 0x01, 0x01, 0x73, 0x06, 0x53, 0x74, 0x72, 0x69, 0x6E, 0x67,
        0x03, 0x61, 0x62, 0x63,
    ];
    const KNOWN_CHECKSUM: [u8; 16] = [
        0xF5, 0x05, 0xDE, 0xEB, 0xE1, 0x9E, 0x3B, 0x6C, 0xE1, 0x1F, 0x41, 0xD7, 0x42, 0x42, 0x24,
        0x5C,
    ];
    const KNOWN_PLAIN: &[u8] = b"\x01\x00\x02\xFF\xFF\xFF\xFF\x00\x01\x01\x01s\x06String\x03abc";

    fn known_full_frame() -> Vec<u8> {
        let mut v = KNOWN_CHECKSUM.to_vec();
        v.extend_from_slice(&KNOWN_FRAME);
        v
    }

    #[test]
    fn checksum_is_cityhash_v102() {
        assert_eq!(checksum(&KNOWN_FRAME), KNOWN_CHECKSUM);
    }

    #[test]
    fn decodes_known_frame() {
        let full = known_full_frame();
        let mut out = Vec::new();
        assert_eq!(decode_frame(&full, &mut out, true), Ok(full.len()));
        assert_eq!(out, KNOWN_PLAIN);
    }

    #[test]
    fn wrong_checksum_is_error_40() {
        let mut full = known_full_frame();
        full[3] ^= 1;
        let mut out = Vec::new();
        match decode_frame(&full, &mut out, true) {
            Err(DecodeError::Invalid(e)) => assert_eq!(e.code, ErrorCode::CHECKSUM_DOESNT_MATCH),
            other => panic!("unexpected {other:?}"),
        }
        // Corrupted payload with checksum verification off: still no panic.
        let mut full = known_full_frame();
        full[30] = 0xFF;
        let _ = decode_frame(&full, &mut out, false);
    }

    #[test]
    fn truncated_and_oversized_headers() {
        let full = known_full_frame();
        for cut in 0..full.len() {
            let mut out = Vec::new();
            assert_eq!(
                decode_frame(&full[..cut], &mut out, true),
                Err(DecodeError::Incomplete)
            );
        }
        let mut huge = full.clone();
        huge[17..21].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            frame_len(&huge),
            Err(DecodeError::Invalid(e)) if e.code == ErrorCode::TOO_LARGE_SIZE_COMPRESSED
        ));
        let mut bad_method = full;
        bad_method[16] = 0x42;
        assert!(matches!(
            frame_len(&bad_method),
            Err(DecodeError::Invalid(e)) if e.code == ErrorCode::UNKNOWN_COMPRESSION_METHOD
        ));
    }

    #[test]
    fn lying_uncompressed_size_does_not_allocate() {
        // An LZ4 frame promising 1 GiB from 3 payload bytes, with a valid checksum.
        let mut frame = vec![0u8; 16];
        frame.push(0x82);
        frame.extend_from_slice(&12u32.to_le_bytes());
        frame.extend_from_slice(&(1u32 << 30).to_le_bytes());
        frame.extend_from_slice(&[0x10, b'a', 0]);
        let sum = checksum(&frame[16..]);
        frame[..16].copy_from_slice(&sum);
        let mut out = Vec::new();
        assert!(matches!(
            decode_frame(&frame, &mut out, true),
            Err(DecodeError::Invalid(e)) if e.code == ErrorCode::CANNOT_DECOMPRESS
        ));
        assert!(out.capacity() < 1 << 20);
    }

    proptest! {
        #[test]
        fn round_trip(data in proptest::collection::vec(any::<u8>(), 0..4096), m in 0..3u8) {
            let method = [CompressionMethod::None, CompressionMethod::Lz4, CompressionMethod::Zstd][m as usize];
            let mut framed = Vec::new();
            encode_frame(method, &data, &mut framed);
            prop_assert_eq!(framed[16], method.byte());
            let mut out = Vec::new();
            prop_assert_eq!(decode_frame(&framed, &mut out, true), Ok(framed.len()));
            prop_assert_eq!(out, data);
        }

        #[test]
        fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut out = Vec::new();
            let _ = decode_frame(&data, &mut out, false);
        }
    }
}
