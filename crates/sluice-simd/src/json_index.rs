//! JSON stage 1 (simdjson's structural index): the positions of a document's structural
//! characters, 64 bytes at a time.
//!
//! For each 64-byte block the kernel computes bitmasks of quotes, backslashes, operators
//! (`{ } [ ] : ,`), whitespace and control characters (AVX2: two 32-byte compares per class,
//! the operator and whitespace classes through a `pshufb` nibble table), the characters
//! escaped by a backslash, the bytes inside strings (prefix XOR of the unescaped quotes, a
//! carry-less multiply by all-ones with `pclmulqdq`) and from these the structural
//! positions: operators outside strings, opening quotes, and the first byte of every other
//! token (numbers, literals, and any stray byte a validating stage 2 must reject). The
//! positions are written as `u32` offsets with a `tzcnt` loop.
//!
//! What stage 1 decides alone: a string left open at the end, and a control character
//! (below 0x20) inside a string, reject the document (simdjson, and so ClickHouse, reject
//! both). Everything else — the grammar, numbers, literals, escape sequences — is stage 2's
//! job (`sluice-functions`' JSON parser), which reads the byte at each position; bytes
//! 0x0C and 0x1A are classified as operators by the nibble table (as in simdjson), which
//! only means stage 2 meets them at a structural position and rejects them.
//!
//! The scalar body computes the same masks byte by byte and the prefix XOR by shifts; both
//! give identical indices on every input (tested on random and mutated documents).

/// The document was rejected by stage 1 (unclosed string, or a control character inside a
/// string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected;

/// A reusable structural index: the positions of one document's structural characters, in
/// order, followed by one sentinel entry equal to the document's length.
#[derive(Debug, Clone, Default)]
pub struct StructuralIndex {
    /// Positions; only `buf[..len]` is meaningful, the rest is scratch the kernel writes
    /// past the end (eight entries at a time).
    buf: Vec<u32>,
    len: usize,
    backslash: bool,
}

impl StructuralIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// The structural positions of the last indexed document, then the sentinel
    /// (`bytes.len()`).
    #[inline]
    pub fn positions(&self) -> &[u32] {
        &self.buf[..self.len]
    }

    /// Whether the last indexed document holds a backslash anywhere (when it does not, no
    /// string has escapes).
    #[inline]
    pub fn has_backslash(&self) -> bool {
        self.backslash
    }

    /// Indexes `bytes[from..]` (positions are offsets into `bytes`; `from` skips a byte
    /// order mark). `bytes.len()` must stay below `u32::MAX - 64`; longer input is rejected.
    #[allow(unsafe_code)]
    pub fn build(&mut self, bytes: &[u8], from: usize) -> Result<(), Rejected> {
        if bytes.len() >= (u32::MAX - 64) as usize || from > bytes.len() {
            return Err(Rejected);
        }
        let need = bytes.len() - from + 72;
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
        #[cfg(target_arch = "x86_64")]
        if avx2_available() {
            // SAFETY: AVX2 and PCLMULQDQ were detected on this CPU just above.
            return unsafe { build_avx2(self, bytes, from) };
        }
        build_portable(self, bytes, from)
    }

    /// [`StructuralIndex::build`] with the scalar body whatever the CPU (for tests that
    /// compare the two).
    pub fn build_scalar(&mut self, bytes: &[u8], from: usize) -> Result<(), Rejected> {
        if bytes.len() >= (u32::MAX - 64) as usize || from > bytes.len() {
            return Err(Rejected);
        }
        let need = bytes.len() - from + 72;
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
        build_portable(self, bytes, from)
    }
}

/// Whether the vector body runs on this CPU (AVX2 and carry-less multiply).
pub fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The five character classes of one 64-byte block, one bit per byte.
#[derive(Clone, Copy)]
struct Classes {
    quote: u64,
    backslash: u64,
    op: u64,
    ws: u64,
    ctl: u64,
}

/// What carries from one block to the next.
#[derive(Default)]
struct Carry {
    /// The first byte of the next block is escaped (1) or not (0).
    escaped: u64,
    /// All ones when the previous block ended inside a string.
    in_string: u64,
    /// 1 when the previous block's last byte was a scalar byte other than a quote.
    scalar: u64,
    /// Some block had a control character inside a string.
    ctl_in_string: u64,
    /// Some block had a backslash.
    backslash: u64,
}

/// Whitespace table for the nibble lookup: byte `c` (below 0x80) is whitespace exactly when
/// `WS_TABLE[c & 15] == c` (simdjson's table).
const WS_TABLE: [u8; 16] = [
    b' ', 100, 100, 100, 17, 100, 113, 2, 100, b'\t', b'\n', 112, 100, b'\r', 100, 100,
];
/// Operator table: byte `c` (below 0x80) is an operator when `OP_TABLE[c & 15] == c | 0x20`
/// (`[`/`]` fold onto `{`/`}`; 0x0C and 0x1A match too, see the module doc).
const OP_TABLE: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b':', b'{', b',', b'}', 0, 0];

const EVEN_BITS: u64 = 0x5555_5555_5555_5555;

/// The bytes escaped by a backslash (simdjson's odd-length backslash runs), carrying a
/// trailing unpaired backslash into the next block.
#[inline(always)]
fn escaped(backslash: u64, carry: &mut u64) -> u64 {
    if backslash == 0 && *carry == 0 {
        return 0;
    }
    let backslash = backslash & !*carry;
    let follows_escape = (backslash << 1) | *carry;
    let odd_starts = backslash & !EVEN_BITS & !follows_escape;
    let (even_starts, overflow) = odd_starts.overflowing_add(backslash);
    *carry = overflow as u64;
    let invert = even_starts << 1;
    (EVEN_BITS ^ invert) & follows_escape
}

/// Structural positions of one block from its classes; updates the carry.
#[inline(always)]
fn structurals(c: Classes, carry: &mut Carry, prefix_xor: impl Fn(u64) -> u64) -> u64 {
    carry.backslash |= c.backslash;
    let esc = escaped(c.backslash, &mut carry.escaped);
    let quote = c.quote & !esc;
    let in_string = prefix_xor(quote) ^ carry.in_string;
    carry.in_string = ((in_string as i64) >> 63) as u64;
    carry.ctl_in_string |= c.ctl & in_string;
    let string_tail = in_string ^ quote;
    let scalar = !(c.op | c.ws);
    let nonquote_scalar = scalar & !quote;
    let follows_scalar = (nonquote_scalar << 1) | carry.scalar;
    carry.scalar = nonquote_scalar >> 63;
    (c.op | (scalar & !follows_scalar)) & !string_tail
}

/// Appends the set bits of `s` (block at `base`) to the index: eight slots at a time, the
/// ones past the count are overwritten later.
#[inline(always)]
fn flatten(idx: &mut StructuralIndex, base: u32, mut s: u64) {
    let cnt = s.count_ones() as usize;
    if cnt == 0 {
        return;
    }
    let len = idx.len;
    let Some(dst) = idx.buf.get_mut(len..len + 64) else {
        return;
    };
    let mut k = 0;
    while k < cnt {
        for slot in &mut dst[k..k + 8] {
            *slot = base.wrapping_add(s.trailing_zeros());
            s &= s.wrapping_sub(1);
        }
        k += 8;
    }
    idx.len = len + cnt;
}

/// Ends a document: rejection checks, the sentinel.
#[inline(always)]
fn finish(idx: &mut StructuralIndex, carry: &Carry, n: usize) -> Result<(), Rejected> {
    idx.backslash = carry.backslash != 0;
    if carry.in_string != 0 || carry.ctl_in_string != 0 {
        return Err(Rejected);
    }
    match idx.buf.get_mut(idx.len) {
        Some(slot) => *slot = n as u32,
        None => return Err(Rejected),
    }
    idx.len += 1;
    Ok(())
}

/// Drives `classify` over the blocks of `bytes[from..]` (the last one padded with spaces).
#[inline(always)]
fn run(
    idx: &mut StructuralIndex,
    bytes: &[u8],
    from: usize,
    classify: impl Fn(&[u8; 64]) -> Classes,
    prefix_xor: impl Fn(u64) -> u64 + Copy,
) -> Result<(), Rejected> {
    idx.len = 0;
    let mut carry = Carry::default();
    let body = &bytes[from..];
    let mut chunks = body.chunks_exact(64);
    let mut base = from as u32;
    for chunk in &mut chunks {
        let Ok(block) = <&[u8; 64]>::try_from(chunk) else {
            return Err(Rejected);
        };
        let s = structurals(classify(block), &mut carry, prefix_xor);
        flatten(idx, base, s);
        base += 64;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut block = [b' '; 64];
        block[..rest.len()].copy_from_slice(rest);
        let s = structurals(classify(&block), &mut carry, prefix_xor);
        flatten(idx, base, s);
    }
    finish(idx, &carry, bytes.len())
}

/// Scalar classes of one block (the same tables as the vector body).
#[inline(always)]
fn classify_scalar(block: &[u8; 64]) -> Classes {
    let mut c = Classes {
        quote: 0,
        backslash: 0,
        op: 0,
        ws: 0,
        ctl: 0,
    };
    for (i, &b) in block.iter().enumerate() {
        let bit = 1u64 << i;
        let low = (b & 15) as usize;
        if b == b'"' {
            c.quote |= bit;
        }
        if b == b'\\' {
            c.backslash |= bit;
        }
        if b < 0x80 && OP_TABLE[low] == b | 0x20 {
            c.op |= bit;
        }
        if b < 0x80 && WS_TABLE[low] == b {
            c.ws |= bit;
        }
        if b < 0x20 {
            c.ctl |= bit;
        }
    }
    c
}

/// Prefix XOR by shifts: bit i of the result is the XOR of bits 0..=i.
#[inline(always)]
fn prefix_xor_scalar(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

fn build_portable(idx: &mut StructuralIndex, bytes: &[u8], from: usize) -> Result<(), Rejected> {
    run(idx, bytes, from, classify_scalar, prefix_xor_scalar)
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(enable = "avx2,pclmulqdq")]
fn build_avx2(idx: &mut StructuralIndex, bytes: &[u8], from: usize) -> Result<(), Rejected> {
    use std::arch::x86_64::*;

    let lanes = |t: &[u8; 16]| {
        let mut w = [0u8; 32];
        w[..16].copy_from_slice(t);
        w[16..].copy_from_slice(t);
        // SAFETY: `w` is 32 readable bytes; the load is unaligned.
        unsafe { _mm256_loadu_si256(w.as_ptr().cast()) }
    };
    let ws_table = lanes(&WS_TABLE);
    let op_table = lanes(&OP_TABLE);
    let quote = _mm256_set1_epi8(b'"' as i8);
    let backslash = _mm256_set1_epi8(b'\\' as i8);
    let space = _mm256_set1_epi8(0x20);
    let ctl_max = _mm256_set1_epi8(0x1f);
    let classify = |block: &[u8; 64]| {
        // SAFETY: `block` is 64 readable bytes; both loads are unaligned and in bounds.
        let (lo, hi) = unsafe {
            (
                _mm256_loadu_si256(block.as_ptr().cast()),
                _mm256_loadu_si256(block.as_ptr().add(32).cast()),
            )
        };
        let bits = |l: __m256i, h: __m256i| {
            (_mm256_movemask_epi8(l) as u32 as u64)
                | ((_mm256_movemask_epi8(h) as u32 as u64) << 32)
        };
        let eq = |v: __m256i, x: __m256i| _mm256_cmpeq_epi8(v, x);
        let ws = |v: __m256i| _mm256_cmpeq_epi8(v, _mm256_shuffle_epi8(ws_table, v));
        let op = |v: __m256i| {
            _mm256_cmpeq_epi8(_mm256_or_si256(v, space), _mm256_shuffle_epi8(op_table, v))
        };
        let ctl = |v: __m256i| _mm256_cmpeq_epi8(_mm256_max_epu8(v, ctl_max), ctl_max);
        Classes {
            quote: bits(eq(lo, quote), eq(hi, quote)),
            backslash: bits(eq(lo, backslash), eq(hi, backslash)),
            op: bits(op(lo), op(hi)),
            ws: bits(ws(lo), ws(hi)),
            ctl: bits(ctl(lo), ctl(hi)),
        }
    };
    let ones = _mm_set1_epi8(-1);
    let prefix_xor = |x: u64| {
        let v = _mm_set_epi64x(0, x as i64);
        _mm_cvtsi128_si64(_mm_clmulepi64_si128::<0>(v, ones)) as u64
    };
    run(idx, bytes, from, classify, prefix_xor)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte-by-byte reference for the escaped mask.
    fn escaped_reference(bytes: &[u8]) -> Vec<bool> {
        let mut out = vec![false; bytes.len()];
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\\' && i + 1 < bytes.len() {
                out[i + 1] = true;
                i += 2;
            } else {
                i += 1;
            }
        }
        out
    }

    fn index(bytes: &[u8], scalar: bool) -> Result<Vec<u32>, Rejected> {
        let mut idx = StructuralIndex::new();
        if scalar {
            idx.build_scalar(bytes, 0)?;
        } else {
            idx.build(bytes, 0)?;
        }
        Ok(idx.positions().to_vec())
    }

    /// A small deterministic generator for the random inputs.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    #[test]
    fn escaped_matches_reference_across_blocks() {
        let mut rng = Rng(7);
        for _ in 0..2000 {
            let n = (rng.next() % 300) as usize;
            let bytes: Vec<u8> = (0..n)
                .map(|_| {
                    if rng.next().is_multiple_of(3) {
                        b'\\'
                    } else {
                        b'a'
                    }
                })
                .collect();
            let want = escaped_reference(&bytes);
            let mut carry = 0u64;
            let mut got = Vec::new();
            for chunk in bytes.chunks(64) {
                let mut bs = 0u64;
                for (i, &b) in chunk.iter().enumerate() {
                    if b == b'\\' {
                        bs |= 1 << i;
                    }
                }
                let e = escaped(bs, &mut carry);
                got.extend((0..chunk.len()).map(|i| e >> i & 1 == 1));
            }
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn structurals_of_a_document() {
        let d = br#"{"a": [1, -2.5e3, true], "b\"": "x,y", "c": null}"#;
        let got = index(d, true).unwrap_or_default();
        let chars: String = got[..got.len() - 1]
            .iter()
            .map(|&p| d[p as usize] as char)
            .collect();
        assert_eq!(chars, r#"{":[1,-,t],":",":n}"#);
        assert_eq!(*got.last().unwrap_or(&0), d.len() as u32);
    }

    #[test]
    fn rejects_open_strings_and_control_characters_in_strings() {
        for scalar in [true, false] {
            assert_eq!(index(b"\"abc", scalar), Err(Rejected));
            assert_eq!(index(b"[\"a\\\"]", scalar), Err(Rejected));
            assert_eq!(index(b"\"a\tb\"", scalar), Err(Rejected));
            assert!(index(b"[1,\t2]", scalar).is_ok());
            assert!(index(b"\"a\\\\\"", scalar).is_ok());
        }
    }

    /// The vector and scalar bodies agree on random byte soups biased toward JSON's
    /// special characters, at every length around the block size.
    #[test]
    fn vector_and_scalar_bodies_agree() {
        let alphabet = b"{}[]:,\" \t\n\r\\\x0c\x1a\x01a1-.eE\x80\xff";
        let mut rng = Rng(42);
        for round in 0..4000 {
            let n = if round < 300 {
                round
            } else {
                (rng.next() % 400) as usize
            };
            let bytes: Vec<u8> = (0..n)
                .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(index(&bytes, false), index(&bytes, true), "{bytes:?}");
        }
    }

    #[test]
    fn from_skips_a_prefix() {
        let d = "\u{FEFF}{\"a\":1}".as_bytes();
        let mut idx = StructuralIndex::new();
        assert!(idx.build(d, 3).is_ok());
        assert_eq!(idx.positions(), &[3, 4, 7, 8, 9, 10]);
    }
}
