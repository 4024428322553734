//! Where a JSON object ends: the first byte after the `}` that balances the `{` a scan
//! starts at, counting braces outside strings only (a string's escaped quote does not end
//! it). The content is not validated. This is the `JSONAsString` splitter's inner loop
//! (`sluice-kafka`), which runs over every byte of every consumed message.
//!
//! The AVX2 body compares 64 bytes at a time against `"`, `\`, `{` and `}`, turning each
//! comparison into a 64-bit mask. A prefix XOR of the quote mask (shifts by 1, 2, 4, …, 32)
//! marks the bytes inside strings; only the braces outside strings are then looked at one
//! by one, to track the depth. A block holding a backslash (or following one that escapes
//! its first byte) is stepped byte by byte, so escapes stay exact; Debezium-style events
//! rarely have any. The portable body does the same eight bytes at a time with word masks.

/// Scanner state carried from byte to byte (and block to block).
#[derive(Default, Clone, Copy)]
struct Scan {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Scan {
    /// Steps over one byte; `true` when it closes the outermost object.
    #[inline(always)]
    fn byte(&mut self, b: u8) -> bool {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
        } else if b == b'"' {
            self.in_string = true;
        } else if b == b'{' {
            self.depth += 1;
        } else if b == b'}' {
            self.depth = self.depth.saturating_sub(1);
            return self.depth == 0;
        }
        false
    }

    /// Steps over `bytes` one by one; the offset after the closing brace, if any.
    #[inline(always)]
    fn bytes(&mut self, bytes: &[u8]) -> Option<usize> {
        for (k, &b) in bytes.iter().enumerate() {
            if self.byte(b) {
                return Some(k + 1);
            }
        }
        None
    }

    /// Steps over a block without backslashes given its masks (bit k = byte k): quotes,
    /// opening and closing braces. Returns the offset after the closing brace, if any.
    #[inline(always)]
    fn block(&mut self, quotes: u64, open: u64, close: u64, width: u32) -> Option<usize> {
        let braces = open | close;
        if quotes == 0 && (self.in_string || braces == 0) {
            return None;
        }
        // Bit k of `x`: an odd number of quotes at or before byte k.
        let mut x = quotes;
        let mut shift = 1;
        while shift < width {
            x ^= x << shift;
            shift <<= 1;
        }
        let inside = if self.in_string { !x } else { x };
        let mut outside = braces & !inside;
        while outside != 0 {
            let k = outside.trailing_zeros();
            outside &= outside - 1;
            if open >> k & 1 != 0 {
                self.depth += 1;
            } else {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    return Some(k as usize + 1);
                }
            }
        }
        self.in_string = inside >> (width - 1) & 1 != 0;
        None
    }
}

/// The end (exclusive) of the JSON object starting at `bytes[start]` (normally a `{`):
/// braces balanced outside strings, backslash escapes honoured inside strings. `None` when
/// the bytes end first.
#[allow(unsafe_code)]
pub fn object_end(bytes: &[u8], start: usize) -> Option<usize> {
    if start >= bytes.len() {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { avx2::object_end(bytes, start) };
    }
    object_end_words(bytes, start)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `w` equal to `c`, exactly (no borrow between lanes).
#[inline(always)]
fn exact_mask(w: u64, c: u8) -> u64 {
    let x = w ^ (ONES * u64::from(c));
    // A lane is zero iff adding 0x7f to its low seven bits does not reach its high bit
    // and its own high bit is clear.
    !(((x & !HIGHS).wrapping_add(!HIGHS)) | x) & HIGHS
}

/// One bit per byte (bit k = byte k) from a mask of lanes' high bits.
#[inline(always)]
fn compact(high_bits: u64) -> u64 {
    // Each lane's high bit moves to bit k: multiply gathers the eight bits into the top
    // byte (the lanes are 8 bits apart, the multiplier's bytes 7 apart).
    ((high_bits >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// The portable body: eight bytes at a time with word masks.
fn object_end_words(bytes: &[u8], start: usize) -> Option<usize> {
    let mut s = Scan::default();
    let mut i = start;
    while let Some(word) = bytes.get(i..i + 8) {
        let mut le = [0u8; 8];
        le.copy_from_slice(word);
        let w = u64::from_le_bytes(le);
        let found = if s.escaped || exact_mask(w, b'\\') != 0 {
            s.bytes(word)
        } else {
            s.block(
                compact(exact_mask(w, b'"')),
                compact(exact_mask(w, b'{')),
                compact(exact_mask(w, b'}')),
                8,
            )
        };
        if let Some(k) = found {
            return Some(i + k);
        }
        i += 8;
    }
    s.bytes(bytes.get(i..)?).map(|k| i + k)
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
    };

    use super::Scan;

    /// Bit k set when byte k of the 64 bytes `(lo, hi)` equals `c`.
    #[target_feature(enable = "avx2")]
    fn eq_mask(lo: __m256i, hi: __m256i, c: u8) -> u64 {
        let c = _mm256_set1_epi8(c as i8);
        let lo = _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, c)) as u32;
        let hi = _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, c)) as u32;
        u64::from(lo) | u64::from(hi) << 32
    }

    /// One 64-byte block; the offset after the closing brace, if any.
    #[allow(unsafe_code)]
    #[target_feature(enable = "avx2")]
    fn step(s: &mut Scan, block: &[u8; 64]) -> Option<usize> {
        let p = block.as_ptr();
        // SAFETY: `block` is 64 bytes long; `loadu` has no alignment requirement.
        let (lo, hi) = unsafe {
            (
                _mm256_loadu_si256(p.cast()),
                _mm256_loadu_si256(p.add(32).cast()),
            )
        };
        if s.escaped || eq_mask(lo, hi, b'\\') != 0 {
            return s.bytes(block);
        }
        s.block(
            eq_mask(lo, hi, b'"'),
            eq_mask(lo, hi, b'{'),
            eq_mask(lo, hi, b'}'),
            64,
        )
    }

    /// [`super::object_end`] with AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) fn object_end(bytes: &[u8], start: usize) -> Option<usize> {
        let mut s = Scan::default();
        let rest = bytes.get(start..)?;
        let mut blocks = rest.chunks_exact(64);
        let mut at = start;
        for block in blocks.by_ref() {
            let block: &[u8; 64] = block.try_into().ok()?;
            if let Some(k) = step(&mut s, block) {
                return Some(at + k);
            }
            at += 64;
        }
        // The tail, padded with zero bytes (none of `"`, `\`, `{`, `}`): a brace found is
        // always a real byte.
        let tail = blocks.remainder();
        if tail.is_empty() {
            return None;
        }
        let mut padded = [0u8; 64];
        padded[..tail.len()].copy_from_slice(tail);
        if s.escaped || tail.contains(&b'\\') {
            return s.bytes(tail).map(|k| at + k);
        }
        step(&mut s, &padded).map(|k| at + k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time definition both bodies must agree with.
    fn reference_end(p: &[u8], start: usize) -> Option<usize> {
        let mut s = Scan::default();
        s.bytes(p.get(start..)?).map(|k| start + k)
    }

    fn next(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }

    #[test]
    fn bodies_agree_with_the_byte_scanner() {
        // Lengths across several 64-byte blocks and every tail length; an alphabet rich in
        // the special bytes, and one where they are rare (long runs of plain blocks).
        for alphabet in [
            &b"{}\"\\ab,:[]#\x7f\xff\x00"[..],
            b"{}\"aaaaaaaaaaaaaaaaaaaaaaa:,\\",
        ] {
            let mut seed = 12345u64;
            for _ in 0..60_000 {
                let len = 1 + next(&mut seed) as usize % 300;
                let mut d = vec![b'{'];
                for _ in 0..len {
                    d.push(alphabet[next(&mut seed) as usize % alphabet.len()]);
                }
                let start = next(&mut seed) as usize % 3;
                let want = reference_end(&d, start);
                assert_eq!(object_end_words(&d, start), want, "{d:?}");
                assert_eq!(object_end(&d, start), want, "{d:?}");
            }
        }
    }

    #[test]
    fn long_objects_with_strings_and_escapes() {
        let event = br#"{"before":null,"after":{"id":1,"s":"a}\"{","t":"x\\"},"op":"c"}"#;
        for pad in 0..130 {
            let mut d = Vec::new();
            d.extend_from_slice(b"{\"pad\":\"");
            d.extend(std::iter::repeat_n(b'{', pad));
            d.extend_from_slice(b"\",\"e\":");
            d.extend_from_slice(event);
            d.push(b'}');
            let end = d.len();
            d.extend_from_slice(b" {\"next\":1}");
            assert_eq!(reference_end(&d, 0), Some(end));
            assert_eq!(object_end_words(&d, 0), Some(end));
            assert_eq!(object_end(&d, 0), Some(end), "pad {pad}");
            assert_eq!(object_end(&d[..end - 1], 0), None);
        }
    }

    #[test]
    fn start_past_the_end_is_none() {
        assert_eq!(object_end(b"{}", 2), None);
        assert_eq!(object_end(b"", 0), None);
        assert_eq!(object_end(b"{}", 0), Some(2));
    }
}
