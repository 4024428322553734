//! ClickHouse's SipHash-2-4 with its 128-bit output (`SipHash::get128`): the standard
//! 64-bit finalisation, then `v0 ^ v1` and `v2 ^ v3` as the two halves. Partition ids of
//! non-integer partition keys are this hash in hex.

/// Incremental SipHash-2-4 with zero keys, as ClickHouse's `SipHash` class.
#[derive(Debug, Clone)]
pub(crate) struct ChSipHash {
    v: [u64; 4],
    buf: [u8; 8],
    buf_len: usize,
    count: u64,
}

impl ChSipHash {
    pub(crate) fn new() -> Self {
        Self {
            v: [
                0x736f6d6570736575,
                0x646f72616e646f6d,
                0x6c7967656e657261,
                0x7465646279746573,
            ],
            buf: [0; 8],
            buf_len: 0,
            count: 0,
        }
    }

    fn round(&mut self) {
        let v = &mut self.v;
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13);
        v[1] ^= v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16);
        v[3] ^= v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21);
        v[3] ^= v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17);
        v[1] ^= v[2];
        v[2] = v[2].rotate_left(32);
    }

    fn compress(&mut self, m: u64) {
        self.v[3] ^= m;
        self.round();
        self.round();
        self.v[0] ^= m;
    }

    /// Feeds bytes.
    pub(crate) fn update(&mut self, data: &[u8]) {
        for &b in data {
            self.buf[self.buf_len] = b;
            self.buf_len += 1;
            self.count += 1;
            if self.buf_len == 8 {
                let m = u64::from_le_bytes(self.buf);
                self.compress(m);
                self.buf_len = 0;
            }
        }
    }

    /// The 128-bit digest as ClickHouse writes it (16 bytes).
    pub(crate) fn finish128(mut self) -> [u8; 16] {
        let mut last = [0u8; 8];
        last[..self.buf_len].copy_from_slice(&self.buf[..self.buf_len]);
        last[7] = self.count as u8;
        let m = u64::from_le_bytes(last);
        self.compress(m);
        self.v[2] ^= 0xff;
        for _ in 0..4 {
            self.round();
        }
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&(self.v[0] ^ self.v[1]).to_le_bytes());
        out[8..].copy_from_slice(&(self.v[2] ^ self.v[3]).to_le_bytes());
        out
    }
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}
