//! MetroHash64 (variant 1, seed 0), as ClickHouse's `metroHash64`. Written from J. Andrew
//! Rogers' public algorithm description.

const K0: u64 = 0xC83A91E1;
const K1: u64 = 0x8648DBDB;
const K2: u64 = 0x7BDEC03B;
const K3: u64 = 0x2F5870A5;

#[inline]
fn rd(s: &[u8], p: usize, n: usize) -> u64 {
    let mut b = [0u8; 8];
    b[..n].copy_from_slice(&s[p..p + n]);
    u64::from_le_bytes(b)
}

/// MetroHash64_1 of `s` with seed 0.
pub(crate) fn metro_hash64(s: &[u8]) -> u64 {
    let len = s.len();
    let mut p = 0usize;
    let mut hash = K2.wrapping_mul(K0).wrapping_add(len as u64);
    if len >= 32 {
        let mut v = [hash; 4];
        loop {
            v[0] = v[0]
                .wrapping_add(rd(s, p, 8).wrapping_mul(K0))
                .rotate_right(29)
                .wrapping_add(v[2]);
            v[1] = v[1]
                .wrapping_add(rd(s, p + 8, 8).wrapping_mul(K1))
                .rotate_right(29)
                .wrapping_add(v[3]);
            v[2] = v[2]
                .wrapping_add(rd(s, p + 16, 8).wrapping_mul(K2))
                .rotate_right(29)
                .wrapping_add(v[0]);
            v[3] = v[3]
                .wrapping_add(rd(s, p + 24, 8).wrapping_mul(K3))
                .rotate_right(29)
                .wrapping_add(v[1]);
            p += 32;
            if p > len - 32 {
                break;
            }
        }
        let mix = |a: u64, b: u64, c: u64, ka: u64, kb: u64| {
            a.wrapping_add(b)
                .wrapping_mul(ka)
                .wrapping_add(c)
                .rotate_right(33)
                .wrapping_mul(kb)
        };
        v[2] ^= mix(v[0], v[3], v[1], K0, K1);
        v[3] ^= mix(v[1], v[2], v[0], K1, K0);
        v[0] ^= mix(v[0], v[2], v[3], K0, K1);
        v[1] ^= mix(v[1], v[3], v[2], K1, K0);
        hash = hash.wrapping_add(v[0] ^ v[1]);
    }
    if len - p >= 16 {
        let mut v0 = hash
            .wrapping_add(rd(s, p, 8).wrapping_mul(K0))
            .rotate_right(33)
            .wrapping_mul(K1);
        let mut v1 = hash
            .wrapping_add(rd(s, p + 8, 8).wrapping_mul(K1))
            .rotate_right(33)
            .wrapping_mul(K2);
        p += 16;
        v0 ^= v0.wrapping_mul(K0).rotate_right(35).wrapping_add(v1);
        v1 ^= v1.wrapping_mul(K3).rotate_right(35).wrapping_add(v0);
        hash = hash.wrapping_add(v1);
    }
    for (width, rot) in [(8usize, 33u32), (4, 15), (2, 13), (1, 25)] {
        if len - p >= width {
            hash = hash.wrapping_add(rd(s, p, width).wrapping_mul(K3));
            p += width;
            hash ^= hash.rotate_right(rot).wrapping_mul(K1);
        }
    }
    hash ^= hash.rotate_right(33);
    hash = hash.wrapping_mul(K0);
    hash ^ hash.rotate_right(33)
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_oracle() {
        // Oracle: metroHash64('hello') = 15663805623366682943; metroHash64('') =
        // 13381918016739805347; metroHash64(84-byte string) = 7678260345778657062.
        assert_eq!(super::metro_hash64(b"hello"), 15663805623366682943);
        assert_eq!(super::metro_hash64(b""), 13381918016739805347);
        assert_eq!(
            super::metro_hash64(
                b"hello world, this is a longer string that exceeds sixty-four bytes in total length!!"
            ),
            7678260345778657062
        );
    }
}
