//! Aggregation kernels over 64-bit integer columns: the wrapping sum, the smallest and
//! greatest value (unsigned or signed), the three in one pass, the sum of the rows a
//! bitmask selects, and the arithmetic sequence `numbers()` fills its blocks with.
//!
//! Baseline x86-64 has no 64-bit lane comparison (`pcmpgtq` is SSE4.2), so the portable
//! min/max of `u64` emulates it in several instructions a lane; AVX2 compares four lanes
//! at once (`vpcmpgtq`, unsigned values biased by 2^63) and adds four lanes per
//! instruction. Bitmasks are `u64` words, bit `i` of word `j` standing for row `64j + i`
//! (Arrow's bit order), so a caller hands over a `BooleanBuffer`'s `bit_chunks`.

/// Sum, smallest and greatest value of a non-empty slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats<T> {
    /// Wrapping sum of the values.
    pub sum: T,
    /// Smallest value.
    pub min: T,
    /// Greatest value.
    pub max: T,
}

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// Wrapping sum of `values` (the same bits serve `i64`: two's complement addition).
#[allow(unsafe_code)]
pub fn sum_u64(values: &[u64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { avx2::sum(values) };
    }
    scalar::sum(values)
}

/// Sum, smallest and greatest of unsigned values; `None` when empty.
#[allow(unsafe_code)]
pub fn stats_u64(values: &[u64]) -> Option<Stats<u64>> {
    if values.is_empty() {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return Some(unsafe { avx2::stats::<false>(values) });
    }
    Some(scalar::stats::<false>(values))
}

/// Sum (wrapping), smallest and greatest of signed values; `None` when empty.
#[allow(unsafe_code)]
pub fn stats_i64(values: &[i64]) -> Option<Stats<i64>> {
    if values.is_empty() {
        return None;
    }
    // Signed values as their bits: the sum wraps alike, the comparisons are signed.
    let bits: &[u64] = bytemuck_u64(values);
    #[cfg(target_arch = "x86_64")]
    let s = if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { avx2::stats::<true>(bits) }
    } else {
        scalar::stats::<true>(bits)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let s = scalar::stats::<true>(bits);
    Some(Stats {
        sum: s.sum as i64,
        min: s.min as i64,
        max: s.max as i64,
    })
}

/// `values` as their bit patterns (same size and alignment, every bit pattern valid).
#[allow(unsafe_code)]
fn bytemuck_u64(values: &[i64]) -> &[u64] {
    // SAFETY: i64 and u64 have the same size and alignment and every bit pattern is a valid
    // value of both; the new slice covers exactly the same memory for the same lifetime.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u64>(), values.len()) }
}

/// Wrapping sum of the values whose bit in `words` is set (bit `i` of `words[j]` for
/// row `64j + i`); rows without a word count as unselected.
#[allow(unsafe_code)]
pub fn masked_sum_u64(values: &[u64], words: &[u64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { avx2::masked_sum(values, words) };
    }
    scalar::masked_sum(values, words)
}

/// [`masked_sum_u64`] of signed values (wrapping, two's complement).
pub fn masked_sum_i64(values: &[i64], words: &[u64]) -> i64 {
    masked_sum_u64(bytemuck_u64(values), words) as i64
}

/// `n` values `start, start + step, …` (wrapping), as `numbers()` generates them.
#[allow(unsafe_code)]
pub fn step_values(start: u64, step: u64, n: usize) -> Vec<u64> {
    let mut out = Vec::with_capacity(n);
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { avx2::fill_steps(out.spare_capacity_mut(), start, step) };
        // SAFETY: `fill_steps` wrote every one of the `n` spare elements.
        unsafe { out.set_len(n) };
        return out;
    }
    let mut next = start;
    out.extend((0..n).map(|_| {
        let v = next;
        next = next.wrapping_add(step);
        v
    }));
    out
}

/// The portable bodies (also the reference the vector bodies are tested against).
mod scalar {
    use super::Stats;

    /// Maps a value so that unsigned order (`SIGNED` false) or signed order becomes
    /// unsigned order of the result.
    #[inline(always)]
    fn key<const SIGNED: bool>(v: u64) -> u64 {
        if SIGNED { v ^ (1 << 63) } else { v }
    }

    pub(super) fn sum(values: &[u64]) -> u64 {
        values.iter().fold(0u64, |s, v| s.wrapping_add(*v))
    }

    pub(super) fn stats<const SIGNED: bool>(values: &[u64]) -> Stats<u64> {
        let first = values.first().copied().unwrap_or(0);
        let (mut lo, mut hi) = (key::<SIGNED>(first), key::<SIGNED>(first));
        let mut sum = 0u64;
        for v in values {
            sum = sum.wrapping_add(*v);
            let k = key::<SIGNED>(*v);
            lo = lo.min(k);
            hi = hi.max(k);
        }
        Stats {
            sum,
            min: key::<SIGNED>(lo),
            max: key::<SIGNED>(hi),
        }
    }

    pub(super) fn masked_sum(values: &[u64], words: &[u64]) -> u64 {
        values.chunks(64).zip(words).fold(0u64, |s, (chunk, w)| {
            chunk.iter().enumerate().fold(s, |s, (i, v)| {
                s.wrapping_add(v & 0u64.wrapping_sub((w >> i) & 1))
            })
        })
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi64, _mm256_and_si256, _mm256_blendv_epi8, _mm256_cmpeq_epi64,
        _mm256_cmpgt_epi64, _mm256_extract_epi64, _mm256_loadu_si256, _mm256_set1_epi64x,
        _mm256_setr_epi64x, _mm256_setzero_si256, _mm256_slli_epi64, _mm256_storeu_si256,
        _mm256_xor_si256,
    };
    use std::mem::MaybeUninit;

    use super::{Stats, scalar};

    /// The four lanes of `v`.
    #[target_feature(enable = "avx2")]
    fn lanes(v: __m256i) -> [u64; 4] {
        [
            _mm256_extract_epi64::<0>(v) as u64,
            _mm256_extract_epi64::<1>(v) as u64,
            _mm256_extract_epi64::<2>(v) as u64,
            _mm256_extract_epi64::<3>(v) as u64,
        ]
    }

    /// Four values from `chunk[at..at + 4]`.
    #[allow(unsafe_code)]
    #[target_feature(enable = "avx2")]
    fn load4(chunk: &[u64], at: usize) -> __m256i {
        assert!(at + 4 <= chunk.len());
        // SAFETY: `chunk[at..at + 4]` is in bounds (asserted); `loadu` needs no alignment.
        unsafe { _mm256_loadu_si256(chunk.as_ptr().add(at).cast()) }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn sum(values: &[u64]) -> u64 {
        let mut acc = [_mm256_setzero_si256(); 4];
        let chunks = values.chunks_exact(16);
        let tail = chunks.remainder();
        for c in chunks {
            for (k, a) in acc.iter_mut().enumerate() {
                *a = _mm256_add_epi64(*a, load4(c, 4 * k));
            }
        }
        let all = _mm256_add_epi64(
            _mm256_add_epi64(acc[0], acc[1]),
            _mm256_add_epi64(acc[2], acc[3]),
        );
        lanes(all)
            .iter()
            .fold(scalar::sum(tail), |s, v| s.wrapping_add(*v))
    }

    /// Sum, min and max; unsigned values are compared as signed after flipping the top
    /// bit (`SIGNED` false), signed ones directly.
    #[target_feature(enable = "avx2")]
    pub(super) fn stats<const SIGNED: bool>(values: &[u64]) -> Stats<u64> {
        let bias = _mm256_set1_epi64x(if SIGNED { 0 } else { i64::MIN });
        let first = _mm256_xor_si256(
            _mm256_set1_epi64x(values.first().copied().unwrap_or(0) as i64),
            bias,
        );
        let mut sum = [_mm256_setzero_si256(); 2];
        let (mut lo, mut hi) = ([first; 2], [first; 2]);
        let chunks = values.chunks_exact(8);
        let tail = chunks.remainder();
        for c in chunks {
            for k in 0..2 {
                let v = load4(c, 4 * k);
                sum[k] = _mm256_add_epi64(sum[k], v);
                let b = _mm256_xor_si256(v, bias);
                lo[k] = _mm256_blendv_epi8(lo[k], b, _mm256_cmpgt_epi64(lo[k], b));
                hi[k] = _mm256_blendv_epi8(hi[k], b, _mm256_cmpgt_epi64(b, hi[k]));
            }
        }
        let lo = _mm256_xor_si256(
            _mm256_blendv_epi8(lo[0], lo[1], _mm256_cmpgt_epi64(lo[0], lo[1])),
            bias,
        );
        let hi = _mm256_xor_si256(
            _mm256_blendv_epi8(hi[0], hi[1], _mm256_cmpgt_epi64(hi[1], hi[0])),
            bias,
        );
        let mut out = Stats {
            sum: lanes(_mm256_add_epi64(sum[0], sum[1]))
                .iter()
                .fold(0u64, |s, v| s.wrapping_add(*v)),
            min: values[0],
            max: values[0],
        };
        let flip = |v: u64| if SIGNED { v ^ (1 << 63) } else { v };
        let fold = |out: &mut Stats<u64>, v: u64| {
            if flip(v) < flip(out.min) {
                out.min = v;
            }
            if flip(v) > flip(out.max) {
                out.max = v;
            }
        };
        for (l, h) in lanes(lo).into_iter().zip(lanes(hi)) {
            fold(&mut out, l);
            fold(&mut out, h);
        }
        for v in tail {
            out.sum = out.sum.wrapping_add(*v);
            fold(&mut out, *v);
        }
        out
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn masked_sum(values: &[u64], words: &[u64]) -> u64 {
        let mut acc = [_mm256_setzero_si256(); 2];
        let first_bits = _mm256_setr_epi64x(1, 2, 4, 8);
        let whole = (values.len() / 64).min(words.len());
        for (chunk, w) in values[..whole * 64].chunks_exact(64).zip(words) {
            if *w == 0 {
                continue;
            }
            let word = _mm256_set1_epi64x(*w as i64);
            let mut bits = first_bits;
            for g in 0..16 {
                let selected = _mm256_cmpeq_epi64(_mm256_and_si256(word, bits), bits);
                let v = _mm256_and_si256(load4(chunk, 4 * g), selected);
                acc[g & 1] = _mm256_add_epi64(acc[g & 1], v);
                bits = _mm256_slli_epi64::<4>(bits);
            }
        }
        let vector = lanes(_mm256_add_epi64(acc[0], acc[1]))
            .iter()
            .fold(0u64, |s, v| s.wrapping_add(*v));
        vector.wrapping_add(scalar::masked_sum(
            &values[whole * 64..],
            words.get(whole..).unwrap_or(&[]),
        ))
    }

    /// Writes `start + i·step` (wrapping) into every element of `out`.
    #[allow(unsafe_code)]
    #[target_feature(enable = "avx2")]
    pub(super) fn fill_steps(out: &mut [MaybeUninit<u64>], start: u64, step: u64) {
        let mut next = start;
        let step4 = step.wrapping_mul(4);
        let s = |k: u64| start.wrapping_add(step.wrapping_mul(k)) as i64;
        let mut v0 = _mm256_setr_epi64x(s(0), s(1), s(2), s(3));
        let mut v1 = _mm256_setr_epi64x(s(4), s(5), s(6), s(7));
        let inc = _mm256_set1_epi64x(step.wrapping_mul(8) as i64);
        let mut chunks = out.chunks_exact_mut(8);
        for c in chunks.by_ref() {
            let p = c.as_mut_ptr().cast::<__m256i>();
            // SAFETY: `c` is 8 `u64` slots (64 bytes, two vectors); `storeu` needs no
            // alignment, and writing a `MaybeUninit` slot initializes it.
            unsafe {
                _mm256_storeu_si256(p, v0);
                _mm256_storeu_si256(p.add(1), v1);
            }
            v0 = _mm256_add_epi64(v0, inc);
            v1 = _mm256_add_epi64(v1, inc);
            next = next.wrapping_add(step4).wrapping_add(step4);
        }
        for slot in chunks.into_remainder() {
            slot.write(next);
            next = next.wrapping_add(step);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs of every length up to 70 and a long one, including the extremes.
    fn inputs() -> Vec<Vec<u64>> {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut out: Vec<Vec<u64>> = (0..70).map(|n| (0..n).map(|_| next()).collect()).collect();
        out.push((0..1000).map(|_| next() >> 40).collect());
        out.push(vec![u64::MAX, 0, 1 << 63, (1 << 63) - 1, 5]);
        out.push(vec![1 << 63; 9]);
        out
    }

    #[test]
    fn sums_and_stats_match_scalar() {
        for v in inputs() {
            assert_eq!(sum_u64(&v), scalar::sum(&v));
            let expect = (!v.is_empty()).then(|| Stats {
                sum: scalar::sum(&v),
                min: *v.iter().min().unwrap_or(&0),
                max: *v.iter().max().unwrap_or(&0),
            });
            assert_eq!(stats_u64(&v), expect, "{v:?}");
            let signed: Vec<i64> = v.iter().map(|x| *x as i64).collect();
            let expect = (!v.is_empty()).then(|| Stats {
                sum: signed.iter().fold(0i64, |s, x| s.wrapping_add(*x)),
                min: *signed.iter().min().unwrap_or(&0),
                max: *signed.iter().max().unwrap_or(&0),
            });
            assert_eq!(stats_i64(&signed), expect, "{signed:?}");
            assert_eq!(scalar::stats::<false>(&v).sum, scalar::sum(&v));
        }
    }

    #[test]
    fn masked_sum_matches_scalar() {
        for v in inputs() {
            let words: Vec<u64> = (0..v.len().div_ceil(64))
                .map(|j| 0xA5A5_0F0F_FFFF_0001u64.rotate_left(j as u32 * 7))
                .collect();
            let expect = v
                .iter()
                .enumerate()
                .filter(|(i, _)| words[i / 64] >> (i % 64) & 1 == 1)
                .fold(0u64, |s, (_, x)| s.wrapping_add(*x));
            assert_eq!(masked_sum_u64(&v, &words), expect);
            assert_eq!(scalar::masked_sum(&v, &words), expect);
            let signed: Vec<i64> = v.iter().map(|x| *x as i64).collect();
            assert_eq!(masked_sum_i64(&signed, &words), expect as i64);
            // Missing words select nothing; all-zero words skip.
            assert_eq!(masked_sum_u64(&v, &[]), 0);
            assert_eq!(masked_sum_u64(&v, &vec![0; words.len()]), 0);
        }
    }

    #[test]
    fn step_values_match_scalar() {
        for n in [0usize, 1, 7, 8, 9, 63, 65, 1000] {
            for (start, step) in [(0u64, 1u64), (5, 3), (u64::MAX - 10, 1), (7, u64::MAX)] {
                let expect: Vec<u64> = (0..n as u64)
                    .map(|i| start.wrapping_add(step.wrapping_mul(i)))
                    .collect();
                assert_eq!(step_values(start, step, n), expect, "{n} {start} {step}");
            }
        }
    }
}
