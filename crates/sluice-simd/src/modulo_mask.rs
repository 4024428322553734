//! `x % d = k` over a `u64` column straight into a bitmask (bit `i` of word `j` for row
//! `64j + i`, Arrow's bit order), without the column of remainders and the comparison that
//! `WHERE number % 7 = 0` or `countIf(number % 3 = 0)` would otherwise build.
//!
//! For `x < 2^32` and `1 < d < 2^32`, `x % d = k` (with `k < d`) holds exactly when
//! `n = x − k` is a 32-bit value divisible by `d`, and divisibility is one multiplication:
//! with `m = ⌊(2^64 − 1) / d⌋ + 1`, `d | n` ⇔ `(m·n mod 2^64) < m` (Lemire, Kaser and Kurz,
//! "Faster Remainder by Direct Computation", 2019). AVX2 has only 32×32→64-bit
//! multiplications, so `m·n mod 2^64` is `m_lo·n + ((m_hi·n) << 32)`. Values of 2^32 or
//! more are computed with the division instruction.

/// A precomputed test for `x % d = k`.
#[derive(Clone, Copy, Debug)]
pub struct ModuloEquals {
    d: u64,
    k: u64,
    /// `⌊(2^64 − 1) / d⌋ + 1` when `1 < d < 2^32` (the multiplication test applies).
    m: Option<u64>,
}

impl ModuloEquals {
    /// The test `x % d = k`; `d` must not be 0 (`x % 0` is an error the caller reports).
    pub fn new(d: u64, k: u64) -> Self {
        // `x − k` divisible by `d` means `x % d = k` only for `k < d`.
        let m = (d > 1 && d >> 32 == 0 && k < d).then(|| (u64::MAX / d).wrapping_add(1));
        Self { d: d.max(1), k, m }
    }

    /// Whether `x % d = k`.
    #[inline(always)]
    pub fn test(&self, x: u64) -> bool {
        match self.m {
            Some(m) if x >> 32 == 0 => {
                let n = x.wrapping_sub(self.k);
                n >> 32 == 0 && n.wrapping_mul(m) < m
            }
            _ => x % self.d == self.k,
        }
    }

    /// The bitmask of `x % d = k` over `values`, `values.len().div_ceil(64)` words, the
    /// bits past the last value clear.
    #[allow(unsafe_code)]
    pub fn mask(&self, values: &[u64]) -> Vec<u64> {
        if self.k >= self.d {
            return vec![0; values.len().div_ceil(64)];
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(m) = self.m
            && std::arch::is_x86_feature_detected!("avx2")
        {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { avx2::mask(self, m, values) };
        }
        self.mask_scalar(values)
    }

    fn mask_scalar(&self, values: &[u64]) -> Vec<u64> {
        values.chunks(64).map(|c| self.word(c)).collect()
    }

    /// The mask word of up to 64 values.
    #[inline]
    fn word(&self, chunk: &[u64]) -> u64 {
        chunk
            .iter()
            .enumerate()
            .fold(0u64, |w, (i, x)| w | u64::from(self.test(*x)) << i)
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi64, _mm256_and_si256, _mm256_castsi256_pd, _mm256_cmpeq_epi64,
        _mm256_cmpgt_epi64, _mm256_loadu_si256, _mm256_movemask_pd, _mm256_mul_epu32,
        _mm256_or_si256, _mm256_set1_epi64x, _mm256_setzero_si256, _mm256_slli_epi64,
        _mm256_srli_epi64, _mm256_sub_epi64, _mm256_testz_si256, _mm256_xor_si256,
    };

    use super::ModuloEquals;

    /// The mask with AVX2; `m` is the multiplier of `t` (so `1 < d < 2^32`). A run of 64
    /// values with one of 2^32 or more goes through the portable test.
    #[allow(unsafe_code)]
    #[target_feature(enable = "avx2")]
    pub(super) fn mask(t: &ModuloEquals, m: u64, values: &[u64]) -> Vec<u64> {
        let k = _mm256_set1_epi64x(t.k as i64);
        let m_lo = _mm256_set1_epi64x((m & 0xFFFF_FFFF) as i64);
        let m_hi = _mm256_set1_epi64x((m >> 32) as i64);
        let bias = _mm256_set1_epi64x(i64::MIN);
        let m_biased = _mm256_xor_si256(_mm256_set1_epi64x(m as i64), bias);
        let zero = _mm256_setzero_si256();
        let mut out = Vec::with_capacity(values.len().div_ceil(64));
        let chunks = values.chunks_exact(64);
        let tail = chunks.remainder();
        for chunk in chunks {
            let p = chunk.as_ptr().cast::<__m256i>();
            let mut x = [zero; 16];
            let mut high = zero;
            for (g, v) in x.iter_mut().enumerate() {
                // SAFETY: `chunk` holds 64 `u64`s, 16 vectors of four; `loadu` needs no
                // alignment.
                *v = unsafe { _mm256_loadu_si256(p.add(g)) };
                high = _mm256_or_si256(high, *v);
            }
            if _mm256_testz_si256(_mm256_srli_epi64::<32>(high), _mm256_srli_epi64::<32>(high)) == 0
            {
                out.push(t.word(chunk));
                continue;
            }
            let mut word = 0u64;
            for (g, v) in x.iter().enumerate() {
                let n = _mm256_sub_epi64(*v, k);
                // m·n mod 2^64 for a 32-bit n (lanes where x < k have the high half set
                // and are cleared by `small`).
                let prod = _mm256_add_epi64(
                    _mm256_mul_epu32(m_lo, n),
                    _mm256_slli_epi64::<32>(_mm256_mul_epu32(m_hi, n)),
                );
                let below = _mm256_cmpgt_epi64(m_biased, _mm256_xor_si256(prod, bias));
                let small = _mm256_cmpeq_epi64(_mm256_srli_epi64::<32>(n), zero);
                let hit = _mm256_and_si256(below, small);
                let bits = _mm256_movemask_pd(_mm256_castsi256_pd(hit)) as u64;
                word |= bits << (4 * g);
            }
            out.push(word);
        }
        if !tail.is_empty() {
            out.push(t.word(tail));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(values: &[u64], d: u64, k: u64) -> Vec<u64> {
        values
            .chunks(64)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0, |w, (i, x)| w | u64::from(x % d == k) << i)
            })
            .collect()
    }

    #[test]
    fn mask_matches_division() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let counting: Vec<u64> = (0..1000).collect();
        let near_2_32: Vec<u64> = ((1u64 << 32) - 300..(1u64 << 32) + 30).collect();
        let random32: Vec<u64> = (0..777).map(|_| next() >> 32).collect();
        let random64: Vec<u64> = (0..130).map(|_| next()).collect();
        let extremes = vec![0, 1, u32::MAX as u64, u64::MAX, 1 << 63, 2, 3];
        let divisors = [
            1u64,
            2,
            3,
            7,
            10,
            1000,
            65_537,
            u32::MAX as u64,
            1 << 32,
            1 << 40,
        ];
        for values in [&counting, &near_2_32, &random32, &random64, &extremes] {
            for len in [0, 1, 63, 64, 65, 129, values.len()] {
                let v = &values[..len.min(values.len())];
                for d in divisors {
                    for k in [0, 1, d / 2, d - 1, d, d + 1] {
                        let t = ModuloEquals::new(d, k);
                        assert_eq!(t.mask(v), expected(v, d, k), "d={d} k={k} len={len}");
                        assert_eq!(t.mask_scalar(v), expected(v, d, k));
                    }
                }
            }
        }
    }
}
