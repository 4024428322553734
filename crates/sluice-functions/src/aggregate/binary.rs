//! ClickHouse's binary encoding primitives used by aggregate states: little-endian fixed
//! width numbers and LEB128 `VarUInt`s, plus a bounds-checked reader over state bytes.

use datafusion::error::Result;

use crate::ch_bail;

/// Appends `v` as a ClickHouse `VarUInt` (LEB128, at most 9 bytes).
pub fn write_var_uint(out: &mut Vec<u8>, mut v: u64) {
    for _ in 0..9 {
        let mut byte = (v & 0x7F) as u8;
        if v > 0x7F {
            byte |= 0x80;
        }
        out.push(byte);
        v >>= 7;
        if v == 0 {
            return;
        }
    }
}

/// Appends a ClickHouse `String` in binary form: `VarUInt` length, then the bytes.
pub fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    write_var_uint(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// A cursor over serialized state bytes; every read checks bounds and fails with
/// `CANNOT_READ_ALL_DATA` rather than panicking on truncated input.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// True when every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            ch_bail!(
                CANNOT_READ_ALL_DATA,
                "Cannot read all data of aggregate function state: expected {n} more bytes, got {}",
                self.buf.len()
            );
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let b = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    /// A little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian `i32`.
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A little-endian `i64`.
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A little-endian `f64`.
    pub fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A `VarUInt`.
    pub fn var_uint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for i in 0..9 {
            let b = self.u8()?;
            v |= u64::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Ok(v)
    }

    /// A `VarUInt` used as an element count, refused when larger than the remaining bytes
    /// could possibly hold (protects against allocating from corrupt input).
    pub fn count(&mut self, min_elem_size: usize) -> Result<usize> {
        let n = self.var_uint()?;
        if n.saturating_mul(min_elem_size.max(1) as u64) > self.buf.len() as u64
            && min_elem_size > 0
        {
            ch_bail!(
                CANNOT_READ_ALL_DATA,
                "Cannot read all data of aggregate function state: {n} elements announced, {} bytes left",
                self.buf.len()
            );
        }
        Ok(n as usize)
    }

    /// A binary `String` (`VarUInt` length + bytes).
    pub fn string(&mut self) -> Result<&'a [u8]> {
        let n = self.count(1)?;
        self.bytes(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_uint_round_trip() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, 1 << 62] {
            let mut out = Vec::new();
            write_var_uint(&mut out, v);
            let mut r = Reader::new(&out);
            assert_eq!(r.var_uint().unwrap(), v);
            assert!(r.is_empty());
        }
        let mut out = Vec::new();
        write_var_uint(&mut out, 3);
        assert_eq!(out, vec![3]);
        assert!(Reader::new(&[0x80]).var_uint().is_err());
    }
}
