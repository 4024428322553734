//! The reader of complete inputs (`RowBinary` bodies): the protocol's [`WireReader`] where
//! the bytes cannot grow, so running out of them is ClickHouse's
//! `ATTEMPT_TO_READ_AFTER_EOF` rather than "read more and retry". Never a panic.

use sluice_common::{Error, ErrorCode, Result};

use super::wire::{DecodeError, DecodeResult, WireReader};

/// Reading position in a complete byte buffer.
pub struct Cursor<'a> {
    wire: WireReader<'a>,
}

fn eof() -> Error {
    Error::new(
        ErrorCode::ATTEMPT_TO_READ_AFTER_EOF,
        "Attempt to read after eof",
    )
}

/// A wire result on a complete input: an incomplete item is the end of the input.
fn complete<T>(r: DecodeResult<T>) -> Result<T> {
    r.map_err(|e| match e {
        DecodeError::Incomplete => eof(),
        DecodeError::Invalid(e) => e,
    })
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            wire: WireReader::new(data),
        }
    }

    /// True when every byte was read.
    pub fn at_end(&self) -> bool {
        self.wire.remaining() == 0
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.wire.remaining()
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        complete(self.wire.bytes(n))
    }

    /// `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8> {
        complete(self.wire.u8())
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64> {
        complete(self.wire.u64_le())
    }

    /// An unsigned LEB128 var-int.
    pub fn varint(&mut self) -> Result<u64> {
        complete(self.wire.varint())
    }

    /// A var-int length that must fit in the remaining input (guards allocations).
    pub fn read_len(&mut self) -> Result<usize> {
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= self.remaining())
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::CANNOT_READ_ALL_DATA,
                    format!("Cannot read all data: size {n} exceeds the input"),
                )
            })
    }

    /// A var-int-length-prefixed byte string.
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.read_len()?;
        self.take(n)
    }

    /// A var-int-length-prefixed UTF-8 string.
    pub fn string(&mut self) -> Result<String> {
        Ok(String::from_utf8_lossy(self.bytes()?).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_a_complete_input_is_eof() {
        let mut c = Cursor::new(&[0x05, b'a']);
        let e = c.bytes().unwrap_err();
        assert_eq!(e.code, ErrorCode::CANNOT_READ_ALL_DATA);
        let mut c = Cursor::new(&[0x01, 0x02]);
        assert_eq!(c.u8().unwrap(), 1);
        assert_eq!(
            c.u64().unwrap_err().code,
            ErrorCode::ATTEMPT_TO_READ_AFTER_EOF
        );
        let mut c = Cursor::new(&[0x80]);
        assert_eq!(
            c.varint().unwrap_err().code,
            ErrorCode::ATTEMPT_TO_READ_AFTER_EOF
        );
        let mut c = Cursor::new(&[0x02, b'h', b'i']);
        assert_eq!(c.string().unwrap(), "hi");
        assert!(c.at_end());
    }
}
