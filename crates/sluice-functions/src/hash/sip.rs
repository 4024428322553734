//! SipHash-2-4 with ClickHouse's key (0, 0): `sipHash64` is the standard 64-bit output;
//! `sipHash128` is ClickHouse's own 128-bit variant (64-bit finalization, then
//! `v0 ^ v1` and `v2 ^ v3`), not the reference SipHash-128.

struct State {
    v: [u64; 4],
}

impl State {
    fn new() -> State {
        State {
            v: [
                0x736f6d6570736575,
                0x646f72616e646f6d,
                0x6c7967656e657261,
                0x7465646279746573,
            ],
        }
    }

    #[inline]
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

    #[inline]
    fn compress(&mut self, m: u64) {
        self.v[3] ^= m;
        self.round();
        self.round();
        self.v[0] ^= m;
    }

    fn run(s: &[u8]) -> State {
        let mut st = State::new();
        let chunks = s.len() / 8;
        for c in 0..chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(&s[c * 8..c * 8 + 8]);
            st.compress(u64::from_le_bytes(b));
        }
        let mut last = (s.len() as u64 & 0xff) << 56;
        for (i, b) in s[chunks * 8..].iter().enumerate() {
            last |= (*b as u64) << (8 * i);
        }
        st.compress(last);
        st.v[2] ^= 0xff;
        for _ in 0..4 {
            st.round();
        }
        st
    }
}

/// `sipHash64`.
pub(crate) fn sip_hash64(s: &[u8]) -> u64 {
    let st = State::run(s);
    st.v[0] ^ st.v[1] ^ st.v[2] ^ st.v[3]
}

/// `sipHash128` as 16 bytes (ClickHouse's variant).
pub(crate) fn sip_hash128(s: &[u8]) -> [u8; 16] {
    let st = State::run(s);
    let lo = st.v[0] ^ st.v[1];
    let hi = st.v[2] ^ st.v[3];
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&lo.to_le_bytes());
    out[8..].copy_from_slice(&hi.to_le_bytes());
    out
}
