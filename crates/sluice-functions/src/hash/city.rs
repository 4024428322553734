//! CityHash64 as of CityHash v1.0.2 — the version ClickHouse pins for `cityHash64` and uses
//! inside `uniq` (later CityHash releases changed the output). Written from the published
//! algorithm description.

const K0: u64 = 0xc3a5c85c97cb3127;
const K1: u64 = 0xb492b66fbe98f273;
const K2: u64 = 0x9ae16a3b2f90404f;
const K3: u64 = 0xc949d7c7509e6557;
const KMUL: u64 = 0x9ddfea08eb382d69;

#[inline]
fn fetch64(s: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&s[i..i + 8]);
    u64::from_le_bytes(b)
}

#[inline]
fn fetch32(s: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&s[i..i + 4]);
    u32::from_le_bytes(b) as u64
}

#[inline]
fn rotate(v: u64, shift: u32) -> u64 {
    if shift == 0 { v } else { v.rotate_right(shift) }
}

#[inline]
fn shift_mix(v: u64) -> u64 {
    v ^ (v >> 47)
}

/// CityHash's `Hash128to64` (also ClickHouse's way of combining two 64-bit hashes).
#[inline]
pub(crate) fn hash128_to_64(low: u64, high: u64) -> u64 {
    let mut a = (low ^ high).wrapping_mul(KMUL);
    a ^= a >> 47;
    let mut b = (high ^ a).wrapping_mul(KMUL);
    b ^= b >> 47;
    b.wrapping_mul(KMUL)
}

fn hash_len_0_to_16(s: &[u8]) -> u64 {
    let len = s.len();
    if len > 8 {
        let a = fetch64(s, 0);
        let b = fetch64(s, len - 8);
        return hash128_to_64(a, (b.wrapping_add(len as u64)).rotate_right(len as u32)) ^ b;
    }
    if len >= 4 {
        let a = fetch32(s, 0);
        return hash128_to_64((len as u64).wrapping_add(a << 3), fetch32(s, len - 4));
    }
    if len > 0 {
        let a = s[0] as u32;
        let b = s[len >> 1] as u32;
        let c = s[len - 1] as u32;
        let y = a.wrapping_add(b << 8);
        let z = (len as u32).wrapping_add(c << 2);
        return shift_mix((y as u64).wrapping_mul(K2) ^ (z as u64).wrapping_mul(K3))
            .wrapping_mul(K2);
    }
    K2
}

fn hash_len_17_to_32(s: &[u8]) -> u64 {
    let len = s.len();
    let a = fetch64(s, 0).wrapping_mul(K1);
    let b = fetch64(s, 8);
    let c = fetch64(s, len - 8).wrapping_mul(K2);
    let d = fetch64(s, len - 16).wrapping_mul(K0);
    hash128_to_64(
        rotate(a.wrapping_sub(b), 43)
            .wrapping_add(rotate(c, 30))
            .wrapping_add(d),
        a.wrapping_add(rotate(b ^ K3, 20))
            .wrapping_sub(c)
            .wrapping_add(len as u64),
    )
}

fn weak_hash_32_seeds(w: u64, x: u64, y: u64, z: u64, mut a: u64, mut b: u64) -> (u64, u64) {
    a = a.wrapping_add(w);
    b = rotate(b.wrapping_add(a).wrapping_add(z), 21);
    let c = a;
    a = a.wrapping_add(x);
    a = a.wrapping_add(y);
    b = b.wrapping_add(rotate(a, 44));
    (a.wrapping_add(z), b.wrapping_add(c))
}

fn weak_hash_32_at(s: &[u8], i: usize, a: u64, b: u64) -> (u64, u64) {
    weak_hash_32_seeds(
        fetch64(s, i),
        fetch64(s, i + 8),
        fetch64(s, i + 16),
        fetch64(s, i + 24),
        a,
        b,
    )
}

fn hash_len_33_to_64(s: &[u8]) -> u64 {
    let len = s.len();
    let mut z = fetch64(s, 24);
    let mut a = fetch64(s, 0).wrapping_add(
        (len as u64)
            .wrapping_add(fetch64(s, len - 16))
            .wrapping_mul(K0),
    );
    let mut b = rotate(a.wrapping_add(z), 52);
    let mut c = rotate(a, 37);
    a = a.wrapping_add(fetch64(s, 8));
    c = c.wrapping_add(rotate(a, 7));
    a = a.wrapping_add(fetch64(s, 16));
    let vf = a.wrapping_add(z);
    let vs = b.wrapping_add(rotate(a, 31)).wrapping_add(c);
    a = fetch64(s, 16).wrapping_add(fetch64(s, len - 32));
    z = fetch64(s, len - 8);
    b = rotate(a.wrapping_add(z), 52);
    c = rotate(a, 37);
    a = a.wrapping_add(fetch64(s, len - 24));
    c = c.wrapping_add(rotate(a, 7));
    a = a.wrapping_add(fetch64(s, len - 16));
    let wf = a.wrapping_add(z);
    let ws = b.wrapping_add(rotate(a, 31)).wrapping_add(c);
    let r = shift_mix(
        vf.wrapping_add(ws)
            .wrapping_mul(K2)
            .wrapping_add(wf.wrapping_add(vs).wrapping_mul(K0)),
    );
    shift_mix(r.wrapping_mul(K0).wrapping_add(vs)).wrapping_mul(K2)
}

/// CityHash64 v1.0.2 of `s`.
pub(crate) fn city_hash64(s: &[u8]) -> u64 {
    let len = s.len();
    if len <= 16 {
        return hash_len_0_to_16(s);
    }
    if len <= 32 {
        return hash_len_17_to_32(s);
    }
    if len <= 64 {
        return hash_len_33_to_64(s);
    }
    // Hash the end first, then 64-byte chunks keeping 56 bytes of state: v, w, x, y, z.
    let mut x = fetch64(s, 0);
    let mut y = fetch64(s, len - 16) ^ K1;
    let mut z = fetch64(s, len - 56) ^ K0;
    let mut v = weak_hash_32_at(s, len - 64, len as u64, y);
    let mut w = weak_hash_32_at(s, len - 32, (len as u64).wrapping_mul(K1), K0);
    z = z.wrapping_add(shift_mix(v.1).wrapping_mul(K1));
    x = rotate(z.wrapping_add(x), 39).wrapping_mul(K1);
    y = rotate(y, 33).wrapping_mul(K1);
    let mut remaining = (len - 1) & !63;
    let mut p = 0;
    loop {
        x = rotate(
            x.wrapping_add(y)
                .wrapping_add(v.0)
                .wrapping_add(fetch64(s, p + 16)),
            37,
        )
        .wrapping_mul(K1);
        y = rotate(y.wrapping_add(v.1).wrapping_add(fetch64(s, p + 48)), 42).wrapping_mul(K1);
        x ^= w.1;
        y ^= v.0;
        z = rotate(z ^ w.0, 33);
        v = weak_hash_32_at(s, p, v.1.wrapping_mul(K1), x.wrapping_add(w.0));
        w = weak_hash_32_at(s, p + 32, z.wrapping_add(w.1), y);
        std::mem::swap(&mut z, &mut x);
        p += 64;
        remaining -= 64;
        if remaining == 0 {
            break;
        }
    }
    hash128_to_64(
        hash128_to_64(v.0, w.0)
            .wrapping_add(shift_mix(y).wrapping_mul(K1))
            .wrapping_add(z),
        hash128_to_64(v.1, w.1).wrapping_add(x),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_oracle() {
        // Oracle: cityHash64('') / ('hello') / (a 83-byte string).
        assert_eq!(city_hash64(b""), 11160318154034397263);
        assert_eq!(city_hash64(b"hello"), 2578220239953316063);
        assert_eq!(
            city_hash64(
                b"hello world, this is a longer string that exceeds sixty-four bytes in total length!!"
            ),
            3676913024161165357
        );
    }

    #[test]
    fn matches_oracle_hex() {
        // Expected values: ch-oracle `SELECT hex(cityHash64(s))`; `uniq` hashes strings with
        // this function, so these also pin its hashing.
        const EXPECTED: &[(&str, &str)] = &[
            ("", "9AE16A3B2F90404F"),
            ("a", "2420662CD003ACFA"),
            ("abc", "3A912F483A4ECE31"),
            ("abcdefgh", "4382A8D0FE8EDB17"),
            ("abcdefghij", "B962A4588C5C2A84"),
            ("abcdefghijklmnopqrst", "5B908404A85121A6"),
        ];
        for (s, want) in EXPECTED {
            assert_eq!(
                format!("{:016X}", city_hash64(s.as_bytes())),
                *want,
                "{s:?}"
            );
        }
    }
}
