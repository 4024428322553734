//! Primitive encodings of the native protocol: VarUInt (LEB128), length-prefixed strings,
//! little-endian fixed-width integers.
//!
//! Decoding works on a byte slice that may hold only part of a packet: running out of bytes
//! is [`DecodeError::Incomplete`] (read more and retry), anything malformed is
//! [`DecodeError::Invalid`]. Lengths are checked against what is present before anything
//! is allocated, so an absurd length costs nothing.

use sluice_common::{Error, ErrorCode};

/// Largest string the protocol accepts (ClickHouse's `DEFAULT_MAX_STRING_SIZE`, 1 GiB).
pub const MAX_STRING_SIZE: u64 = 1 << 30;

/// Why decoding stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// The bytes end before the item does.
    Incomplete,
    /// The bytes are not a valid item.
    Invalid(Error),
}

impl From<Error> for DecodeError {
    fn from(e: Error) -> Self {
        DecodeError::Invalid(e)
    }
}

/// Decoding result.
pub type DecodeResult<T> = Result<T, DecodeError>;

/// A cursor over received bytes.
#[derive(Debug, Clone)]
pub struct WireReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> WireReader<'a> {
    /// Starts at the beginning of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The unread bytes.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// Skips `n` bytes.
    pub fn advance(&mut self, n: usize) -> DecodeResult<()> {
        if n > self.remaining() {
            return Err(DecodeError::Incomplete);
        }
        self.pos += n;
        Ok(())
    }

    /// Reads `n` bytes.
    pub fn bytes(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(DecodeError::Incomplete);
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> DecodeResult<u8> {
        Ok(self.bytes(1)?[0])
    }

    /// Reads a bool byte (any non-zero value is true, as klickhouse writes 2 for false in
    /// one place and ClickHouse never rejects it).
    pub fn bool(&mut self) -> DecodeResult<bool> {
        Ok(self.u8()? != 0)
    }

    /// Reads a little-endian `u32`.
    pub fn u32_le(&mut self) -> DecodeResult<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Reads a little-endian `i32`.
    pub fn i32_le(&mut self) -> DecodeResult<i32> {
        Ok(self.u32_le()? as i32)
    }

    /// Reads a little-endian `u64`.
    pub fn u64_le(&mut self) -> DecodeResult<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// Reads a VarUInt (at most 10 bytes, like ClickHouse's `readVarUInt`).
    pub fn varint(&mut self) -> DecodeResult<u64> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let byte = self.u8()?;
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::Invalid(Error::new(
            ErrorCode::CANNOT_PARSE_INPUT_ASSERTION_FAILED,
            "VarUInt is longer than 10 bytes",
        )))
    }

    /// Reads a length-prefixed byte string.
    pub fn string_bytes(&mut self) -> DecodeResult<&'a [u8]> {
        let len = self.varint()?;
        if len > MAX_STRING_SIZE {
            return Err(DecodeError::Invalid(Error::new(
                ErrorCode::TOO_LARGE_STRING_SIZE,
                format!("Too large string size: {len}"),
            )));
        }
        // `len` ≤ 1 GiB fits in usize; a length beyond the received bytes is incomplete.
        self.bytes(len as usize)
    }

    /// Reads a length-prefixed string; invalid UTF-8 is replaced, as the protocol's strings
    /// (names, query text) are bytes and the engine works on text.
    pub fn string(&mut self) -> DecodeResult<String> {
        Ok(String::from_utf8_lossy(self.string_bytes()?).into_owned())
    }
}

/// Appends an unsigned LEB128 var-int.
pub fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Appends a var-int-length-prefixed byte string.
pub fn write_bytes(out: &mut Vec<u8>, s: &[u8]) {
    write_varint(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Encoding helpers for output buffers.
pub trait WireWrite {
    /// Appends a VarUInt.
    fn put_varint(&mut self, value: u64);
    /// Appends a length-prefixed string.
    fn put_str(&mut self, s: &[u8]);
    /// Appends one byte.
    fn put_u8(&mut self, v: u8);
    /// Appends a little-endian `i32`.
    fn put_i32_le(&mut self, v: i32);
    /// Appends a little-endian `u32`.
    fn put_u32_le(&mut self, v: u32);
    /// Appends a little-endian `u64`.
    fn put_u64_le(&mut self, v: u64);
}

impl WireWrite for Vec<u8> {
    fn put_varint(&mut self, value: u64) {
        write_varint(self, value);
    }

    fn put_str(&mut self, s: &[u8]) {
        write_bytes(self, s);
    }

    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }

    fn put_i32_le(&mut self, v: i32) {
        self.extend_from_slice(&v.to_le_bytes());
    }

    fn put_u32_le(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }

    fn put_u64_le(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn varint_known_bytes() {
        let mut v = Vec::new();
        v.put_varint(54460);
        assert_eq!(v, [0xBC, 0xA9, 0x03]);
        let mut v = Vec::new();
        v.put_varint(54453);
        assert_eq!(v, [0xB5, 0xA9, 0x03]);
        assert_eq!(WireReader::new(&[0xB5, 0xA9, 0x03]).varint(), Ok(54453));
    }

    #[test]
    fn truncated_is_incomplete() {
        assert_eq!(
            WireReader::new(&[0x80]).varint(),
            Err(DecodeError::Incomplete)
        );
        assert_eq!(
            WireReader::new(&[0x05, b'a']).string(),
            Err(DecodeError::Incomplete)
        );
    }

    #[test]
    fn absurd_string_length_is_rejected_without_allocation() {
        let mut v = Vec::new();
        v.put_varint(1 << 60);
        v.extend_from_slice(b"abc");
        match WireReader::new(&v).string() {
            Err(DecodeError::Invalid(e)) => assert_eq!(e.code, ErrorCode::TOO_LARGE_STRING_SIZE),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn overlong_varint_is_invalid() {
        let bytes = [0xFFu8; 11];
        assert!(matches!(
            WireReader::new(&bytes).varint(),
            Err(DecodeError::Invalid(_))
        ));
    }

    proptest! {
        #[test]
        fn varint_round_trip(x in any::<u64>()) {
            let mut v = Vec::new();
            v.put_varint(x);
            let mut r = WireReader::new(&v);
            prop_assert_eq!(r.varint(), Ok(x));
            prop_assert_eq!(r.remaining(), 0);
        }

        #[test]
        fn string_round_trip(s in ".{0,64}") {
            let mut v = Vec::new();
            v.put_str(s.as_bytes());
            let mut r = WireReader::new(&v);
            prop_assert_eq!(r.string(), Ok(s));
        }
    }
}
