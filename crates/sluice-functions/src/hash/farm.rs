//! FarmHash64: `farmhashna::Hash64` (ClickHouse's `farmFingerprint64`, any length) and
//! `farmhashxo::Hash64` (ClickHouse's `farmHash64`) up to 256 bytes. Longer `farmHash64`
//! inputs use farmhash's `uo` variant, which Sluice does not reproduce: `NOT_IMPLEMENTED`
//! (see [`FARM_MAX_LEN`]).

const K0: u64 = 0xc3a5c85c97cb3127;
const K1: u64 = 0xb492b66fbe98f273;
const K2: u64 = 0x9ae16a3b2f90404f;

/// Longest input `farm_hash64` reproduces exactly.
pub(crate) const FARM_MAX_LEN: usize = 256;

#[inline]
fn fetch64(s: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&s[i..i + 8]);
    u64::from_le_bytes(b)
}

#[inline]
fn fetch32(s: &[u8], i: usize) -> u64 {
    u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]) as u64
}

#[inline]
fn shift_mix(v: u64) -> u64 {
    v ^ (v >> 47)
}

#[inline]
fn hash_len16(u: u64, v: u64, mul: u64) -> u64 {
    let mut a = (u ^ v).wrapping_mul(mul);
    a ^= a >> 47;
    let mut b = (v ^ a).wrapping_mul(mul);
    b ^= b >> 47;
    b.wrapping_mul(mul)
}

fn len_0_to_16(s: &[u8]) -> u64 {
    let len = s.len();
    if len >= 8 {
        let mul = K2.wrapping_add(len as u64 * 2);
        let a = fetch64(s, 0).wrapping_add(K2);
        let b = fetch64(s, len - 8);
        let c = b.rotate_right(37).wrapping_mul(mul).wrapping_add(a);
        let d = a.rotate_right(25).wrapping_add(b).wrapping_mul(mul);
        return hash_len16(c, d, mul);
    }
    if len >= 4 {
        let mul = K2.wrapping_add(len as u64 * 2);
        let a = fetch32(s, 0);
        return hash_len16((len as u64).wrapping_add(a << 3), fetch32(s, len - 4), mul);
    }
    if len > 0 {
        let (a, b, c) = (s[0] as u32, s[len >> 1] as u32, s[len - 1] as u32);
        let y = a.wrapping_add(b << 8);
        let z = (len as u32).wrapping_add(c << 2);
        return shift_mix((y as u64).wrapping_mul(K2) ^ (z as u64).wrapping_mul(K0))
            .wrapping_mul(K2);
    }
    K2
}

fn len_17_to_32(s: &[u8]) -> u64 {
    let len = s.len();
    let mul = K2.wrapping_add(len as u64 * 2);
    let a = fetch64(s, 0).wrapping_mul(K1);
    let b = fetch64(s, 8);
    let c = fetch64(s, len - 8).wrapping_mul(mul);
    let d = fetch64(s, len - 16).wrapping_mul(K2);
    hash_len16(
        a.wrapping_add(b)
            .rotate_right(43)
            .wrapping_add(c.rotate_right(30))
            .wrapping_add(d),
        a.wrapping_add(b.wrapping_add(K2).rotate_right(18))
            .wrapping_add(c),
        mul,
    )
}

fn len_33_to_64(s: &[u8]) -> u64 {
    let len = s.len();
    let mul = K2.wrapping_add(len as u64 * 2);
    let a = fetch64(s, 0).wrapping_mul(K2);
    let b = fetch64(s, 8);
    let c = fetch64(s, len - 8).wrapping_mul(mul);
    let d = fetch64(s, len - 16).wrapping_mul(K2);
    let y = a
        .wrapping_add(b)
        .rotate_right(43)
        .wrapping_add(c.rotate_right(30))
        .wrapping_add(d);
    let z = hash_len16(
        y,
        a.wrapping_add(b.wrapping_add(K2).rotate_right(18))
            .wrapping_add(c),
        mul,
    );
    let e = fetch64(s, 16).wrapping_mul(mul);
    let f = fetch64(s, 24);
    let g = y.wrapping_add(fetch64(s, len - 32)).wrapping_mul(mul);
    let h = z.wrapping_add(fetch64(s, len - 24)).wrapping_mul(mul);
    hash_len16(
        e.wrapping_add(f)
            .rotate_right(43)
            .wrapping_add(g.rotate_right(30))
            .wrapping_add(h),
        e.wrapping_add(f.wrapping_add(a).rotate_right(18))
            .wrapping_add(g),
        mul,
    )
}

/// `farmhashxo::Hash64` — ClickHouse's `farmHash64` — for up to [`FARM_MAX_LEN`] bytes
/// (callers check the length).
pub(crate) fn farm_hash64(s: &[u8]) -> u64 {
    match s.len() {
        0..=16 => len_0_to_16(s),
        17..=32 => len_17_to_32(s),
        33..=64 => xo_33_to_64(s),
        65..=96 => xo_65_to_96(s),
        _ => long(s),
    }
}

/// `farmhashna::Hash64` of any length — ClickHouse's `farmFingerprint64`.
pub(crate) fn farm_fingerprint64(s: &[u8]) -> u64 {
    match s.len() {
        0..=16 => len_0_to_16(s),
        17..=32 => len_17_to_32(s),
        33..=64 => len_33_to_64(s),
        _ => long(s),
    }
}

/// farmhashxo's `H32` over the 32 bytes at `p`, with optional seeds.
fn xo_h32(s: &[u8], p: usize, mul: u64, seed0: u64, seed1: u64) -> u64 {
    let a = fetch64(s, p).wrapping_mul(K1);
    let b = fetch64(s, p + 8);
    let c = fetch64(s, p + 24).wrapping_mul(mul);
    let d = fetch64(s, p + 16).wrapping_mul(K2);
    let u = a
        .wrapping_add(b)
        .rotate_right(43)
        .wrapping_add(c.rotate_right(30))
        .wrapping_add(d)
        .wrapping_add(seed0);
    let v = a
        .wrapping_add(b.wrapping_add(K2).rotate_right(18))
        .wrapping_add(c)
        .wrapping_add(seed1);
    let a = shift_mix((u ^ v).wrapping_mul(mul));
    shift_mix((v ^ a).wrapping_mul(mul))
}

fn xo_33_to_64(s: &[u8]) -> u64 {
    let len = s.len();
    let mul0 = K2.wrapping_sub(30);
    let mul1 = K2.wrapping_sub(30).wrapping_add(2 * len as u64);
    let h0 = xo_h32(s, 0, mul0, 0, 0);
    let h1 = xo_h32(s, len - 32, mul1, 0, 0);
    h1.wrapping_mul(mul1).wrapping_add(h0).wrapping_mul(mul1)
}

fn xo_65_to_96(s: &[u8]) -> u64 {
    let len = s.len();
    let mul0 = K2.wrapping_sub(114);
    let mul1 = K2.wrapping_sub(114).wrapping_add(2 * len as u64);
    let h0 = xo_h32(s, 0, mul0, 0, 0);
    let h1 = xo_h32(s, 32, mul1, 0, 0);
    let h2 = xo_h32(s, len - 32, mul1, h0, h1);
    h2.wrapping_mul(9)
        .wrapping_add(h0 >> 17)
        .wrapping_add(h1 >> 21)
        .wrapping_mul(mul1)
}

/// `Fingerprint(uint128)`: how `farmFingerprint64` combines two hashes.
pub(crate) fn fingerprint128(low: u64, high: u64) -> u64 {
    const KMUL: u64 = 0x9ddfea08eb382d69;
    let mut a = (low ^ high).wrapping_mul(KMUL);
    a ^= a >> 47;
    let mut b = (high ^ a).wrapping_mul(KMUL);
    b ^= b >> 44;
    b = b.wrapping_mul(KMUL);
    b ^= b >> 41;
    b.wrapping_mul(KMUL)
}

fn weak32(s: &[u8], p: usize, mut a: u64, mut b: u64) -> (u64, u64) {
    let (w, x, y, z) = (
        fetch64(s, p),
        fetch64(s, p + 8),
        fetch64(s, p + 16),
        fetch64(s, p + 24),
    );
    a = a.wrapping_add(w);
    b = b.wrapping_add(a).wrapping_add(z).rotate_right(21);
    let c = a;
    a = a.wrapping_add(x).wrapping_add(y);
    b = b.wrapping_add(a.rotate_right(44));
    (a.wrapping_add(z), b.wrapping_add(c))
}

/// `farmhashna::Hash64` for inputs over 64 bytes (seed 81).
fn long(s: &[u8]) -> u64 {
    let len = s.len();
    let seed: u64 = 81;
    let mut x = seed;
    let mut y = seed.wrapping_mul(K1).wrapping_add(113);
    let mut z = shift_mix(y.wrapping_mul(K2).wrapping_add(113)).wrapping_mul(K2);
    let mut v = (0u64, 0u64);
    let mut w = (0u64, 0u64);
    x = x.wrapping_mul(K2).wrapping_add(fetch64(s, 0));
    let end = ((len - 1) / 64) * 64;
    let last64 = len - 64;
    let mut p = 0;
    loop {
        x = x
            .wrapping_add(y)
            .wrapping_add(v.0)
            .wrapping_add(fetch64(s, p + 8))
            .rotate_right(37)
            .wrapping_mul(K1);
        y = y
            .wrapping_add(v.1)
            .wrapping_add(fetch64(s, p + 48))
            .rotate_right(42)
            .wrapping_mul(K1);
        x ^= w.1;
        y = y.wrapping_add(v.0).wrapping_add(fetch64(s, p + 40));
        z = z.wrapping_add(w.0).rotate_right(33).wrapping_mul(K1);
        v = weak32(s, p, v.1.wrapping_mul(K1), x.wrapping_add(w.0));
        w = weak32(
            s,
            p + 32,
            z.wrapping_add(w.1),
            y.wrapping_add(fetch64(s, p + 16)),
        );
        std::mem::swap(&mut z, &mut x);
        p += 64;
        if p == end {
            break;
        }
    }
    let mul = K1.wrapping_add((z & 0xff) << 1);
    let p = last64;
    w.0 = w.0.wrapping_add(((len - 1) & 63) as u64);
    v.0 = v.0.wrapping_add(w.0);
    w.0 = w.0.wrapping_add(v.0);
    x = x
        .wrapping_add(y)
        .wrapping_add(v.0)
        .wrapping_add(fetch64(s, p + 8))
        .rotate_right(37)
        .wrapping_mul(mul);
    y = y
        .wrapping_add(v.1)
        .wrapping_add(fetch64(s, p + 48))
        .rotate_right(42)
        .wrapping_mul(mul);
    x ^= w.1.wrapping_mul(9);
    y = y
        .wrapping_add(v.0.wrapping_mul(9))
        .wrapping_add(fetch64(s, p + 40));
    z = z.wrapping_add(w.0).rotate_right(33).wrapping_mul(mul);
    v = weak32(s, p, v.1.wrapping_mul(mul), x.wrapping_add(w.0));
    w = weak32(
        s,
        p + 32,
        z.wrapping_add(w.1),
        y.wrapping_add(fetch64(s, p + 16)),
    );
    std::mem::swap(&mut z, &mut x);
    hash_len16(
        hash_len16(v.0, w.0, mul)
            .wrapping_add(shift_mix(y).wrapping_mul(K0))
            .wrapping_add(z),
        hash_len16(v.1, w.1, mul).wrapping_add(x),
        mul,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_oracle() {
        // Oracle: farmHash64('hello') = 13009744463427800296; farmHash64('') = 11160318154034397263.
        assert_eq!(super::farm_hash64(b"hello"), 13009744463427800296);
        assert_eq!(super::farm_hash64(b""), 11160318154034397263);
        // Oracle: farmHash64 of 40 digits '0123…89' = 239189973740393249 (farmFingerprint64:
        // 8835108245187232700); farmHash64(repeat('x', 64)) = 10013792987184990030
        // (fingerprint 6916188127298655160); farmHash64(repeat('q', 80)) = 1390854990072895182;
        // farmHash64(repeat('q', 150)) = 3812673629823182542;
        // farmFingerprint64(repeat('y', 200)) = 577833072005583796;
        // farmFingerprint64(repeat('z', 65)) = 8299915583762718517.
        let s40 = b"0123456789012345678901234567890123456789";
        assert_eq!(super::farm_hash64(s40), 239189973740393249);
        assert_eq!(super::farm_fingerprint64(s40), 8835108245187232700);
        assert_eq!(super::farm_hash64(&[b'x'; 64]), 10013792987184990030);
        assert_eq!(super::farm_fingerprint64(&[b'x'; 64]), 6916188127298655160);
        assert_eq!(super::farm_hash64(&[b'q'; 80]), 1390854990072895182);
        assert_eq!(super::farm_hash64(&[b'q'; 150]), 3812673629823182542);
        assert_eq!(super::farm_fingerprint64(&[b'y'; 200]), 577833072005583796);
        assert_eq!(super::farm_fingerprint64(&[b'z'; 65]), 8299915583762718517);
        // Oracle: farmFingerprint64(84-byte string) = 2997392863566919668.
        assert_eq!(
            super::farm_fingerprint64(
                b"hello world, this is a longer string that exceeds sixty-four bytes in total length!!"
            ),
            2997392863566919668
        );
    }
}
