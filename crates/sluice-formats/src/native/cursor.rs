//! A bounds-checked reader over ClickHouse binary data (little-endian fixed widths,
//! LEB128 var-ints, length-prefixed strings). Running out of bytes is an error, never a
//! panic.

use sluice_common::{Error, ErrorCode, Result};

/// Reading position in a byte buffer.
pub struct Cursor<'a> {
    data: &'a [u8],
    /// Offset of the next unread byte.
    pub pos: usize,
}

fn eof() -> Error {
    Error::new(
        ErrorCode::ATTEMPT_TO_READ_AFTER_EOF,
        "Attempt to read after eof",
    )
}

impl<'a> Cursor<'a> {
    /// A cursor at `pos` in `data`.
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        Self { data, pos }
    }

    /// True when every byte was read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(eof)?;
        let s = self.data.get(self.pos..end).ok_or_else(eof)?;
        self.pos = end;
        Ok(s)
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
        Ok(self.array::<1>()?[0])
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// An unsigned LEB128 var-int.
    pub fn varint(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = self.u8()?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Error::new(
            ErrorCode::CANNOT_READ_ALL_DATA,
            "Too long var-int",
        ))
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
