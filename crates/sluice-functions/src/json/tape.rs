//! One-pass JSON validator that records a compact structural tape of a document.
//!
//! ClickHouse parses each document completely (simdjson DOM) before looking anything up, so
//! a document that is invalid *anywhere* makes every JSON function return its default. The
//! [`parse`] function therefore validates the whole row exactly as simdjson does (grammar,
//! escapes and surrogate pairs, control characters, float overflow, depth ≤ 1024, optional
//! UTF-8 BOM) and, in the same pass, appends one [`Node`] per value to a tape. A node holds
//! byte spans into the row (never copies), the span of its key when it is an object member,
//! and the index of its next sibling, so lookups skip whole sub-trees without rescanning.
//!
//! UTF-8 validity is not checked here: callers pass rows of Arrow `Utf8` arrays (already
//! valid) or validate `Binary` rows with `std::str::from_utf8` first.

/// Maximum nesting depth simdjson (and so ClickHouse) accepts; scalars count as a level.
pub const MAX_DEPTH: usize = 1024;

/// Flag bit in [`Node::key_len`]: the raw key contains escape sequences.
pub const KEY_ESCAPED: u32 = 1 << 31;
/// Flag bit in [`Node::end`]: a string value contains escapes / a number is a double
/// (has a fraction or an exponent).
pub const VALUE_FLAG: u32 = 1 << 31;
/// Flag bit in [`Node::next`]: the value is, or contains, a double.
pub const HAS_DOUBLE: u32 = 1 << 31;

/// One value of a document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Node {
    /// First byte of the member's key (after the opening quote); 0 outside objects.
    pub key_start: u32,
    /// Raw byte length of the key, plus [`KEY_ESCAPED`].
    pub key_len: u32,
    /// First byte of the value (the quote for strings, the bracket for containers).
    pub start: u32,
    /// One past the last byte of the value, plus [`VALUE_FLAG`].
    pub end: u32,
    /// Tape index (relative to the document's root) of the next sibling, i.e. one past
    /// this value's sub-tree, plus [`HAS_DOUBLE`].
    pub next: u32,
}

impl Node {
    /// Start of the value in the row.
    #[inline]
    pub fn start(&self) -> usize {
        self.start as usize
    }
    /// End (exclusive) of the value in the row.
    #[inline]
    pub fn end(&self) -> usize {
        (self.end & !VALUE_FLAG) as usize
    }
    /// Whether [`VALUE_FLAG`] is set.
    #[inline]
    pub fn flag(&self) -> bool {
        self.end & VALUE_FLAG != 0
    }
    /// Index of the next sibling.
    #[inline]
    pub fn next(&self) -> usize {
        (self.next & !HAS_DOUBLE) as usize
    }
    /// Whether the sub-tree holds a double.
    #[inline]
    pub fn has_double(&self) -> bool {
        self.next & HAS_DOUBLE != 0
    }
    /// Raw key bytes span.
    #[inline]
    pub fn key_span(&self) -> (usize, usize) {
        let s = self.key_start as usize;
        (s, s + (self.key_len & !KEY_ESCAPED) as usize)
    }
    /// Whether the raw key has escapes.
    #[inline]
    pub fn key_escaped(&self) -> bool {
        self.key_len & KEY_ESCAPED != 0
    }
}

/// The document is not valid JSON (the reason does not matter: ClickHouse only reports
/// "invalid" through default results).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

pub(super) type PResult<T> = Result<T, Invalid>;

/// Validates `bytes` and appends its tape to `nodes` (the root is the first node appended).
/// On error `nodes` may hold a partial tape; callers truncate it.
pub fn parse(bytes: &[u8], nodes: &mut Vec<Node>) -> PResult<()> {
    parse_with(bytes, nodes, |p| p.value(0, 0, 1))
}

/// Validates `bytes` as one document whose root value (after an optional UTF-8 BOM and
/// whitespace) `root` parses; nothing but whitespace may follow it.
#[inline(always)]
pub(super) fn parse_with(
    bytes: &[u8],
    nodes: &mut Vec<Node>,
    root: impl FnOnce(&mut Parser<'_, '_>) -> PResult<bool>,
) -> PResult<()> {
    if bytes.len() >= u32::MAX as usize / 2 {
        return Err(Invalid);
    }
    let mut p = Parser {
        b: bytes,
        pos: 0,
        nodes,
        base: 0,
    };
    p.base = p.nodes.len();
    // The first byte alone first: `starts_with` was a call into `memcmp` per document.
    if p.b.first() == Some(&0xEF) && p.b.get(..3) == Some(&[0xEF, 0xBB, 0xBF][..]) {
        p.pos = 3;
    }
    p.skip_ws();
    root(&mut p)?;
    p.skip_ws();
    if p.pos != p.b.len() {
        return Err(Invalid);
    }
    Ok(())
}

/// Whether `bytes` is a valid JSON document (the tape is discarded).
pub fn is_valid(bytes: &[u8], scratch: &mut Vec<Node>) -> bool {
    scratch.clear();
    parse(bytes, scratch).is_ok()
}

/// The recursive-descent validator; `select.rs` drives it for selective tapes.
pub(super) struct Parser<'a, 'n> {
    /// The document.
    pub(super) b: &'a [u8],
    /// Current byte.
    pub(super) pos: usize,
    /// The tape appended to.
    pub(super) nodes: &'n mut Vec<Node>,
    /// Index of the document's root in `nodes`.
    pub(super) base: usize,
}

#[inline]
pub(super) fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t')
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes of `x` that are `"` or `\` or below 0x20 (ASCII only), as high bits.
#[inline]
fn special_mask(x: u64) -> u64 {
    let q = x ^ (ONES * b'"' as u64);
    let bs = x ^ (ONES * b'\\' as u64);
    let zq = q.wrapping_sub(ONES) & !q;
    let zb = bs.wrapping_sub(ONES) & !bs;
    let ctl = x.wrapping_sub(ONES * 0x20) & !x;
    (zq | zb | ctl) & HIGHS
}

impl Parser<'_, '_> {
    /// Skips whitespace (compact JSON has none: one comparison then).
    #[inline(always)]
    pub(super) fn skip_ws(&mut self) {
        if let Some(&c) = self.b.get(self.pos)
            && c > b' '
        {
            return;
        }
        while self.pos < self.b.len() && is_ws(self.b[self.pos]) {
            self.pos += 1;
        }
    }

    #[inline]
    pub(super) fn peek(&self) -> PResult<u8> {
        self.b.get(self.pos).copied().ok_or(Invalid)
    }

    /// Parses one value at `self.pos` (no leading whitespace) at nesting `depth` (root = 1).
    /// Returns whether it is or contains a double.
    pub(super) fn value(&mut self, key_start: u32, key_len: u32, depth: usize) -> PResult<bool> {
        self.value_as::<true>(key_start, key_len, depth)
    }

    /// [`Parser::value`] when `RECORD`, else validation only (the same rules, no nodes).
    fn value_as<const RECORD: bool>(
        &mut self,
        key_start: u32,
        key_len: u32,
        depth: usize,
    ) -> PResult<bool> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        if RECORD {
            self.record(key_start, key_len, |p| p.any::<true>(depth))
        } else {
            Ok(self.any::<false>(depth)?.1)
        }
    }

    /// Appends the node of the value `parse` parses (which returns the node's
    /// [`VALUE_FLAG`] and whether the value holds a double); returns the latter.
    #[inline(always)]
    pub(super) fn record(
        &mut self,
        key_start: u32,
        key_len: u32,
        parse: impl FnOnce(&mut Self) -> PResult<(bool, bool)>,
    ) -> PResult<bool> {
        let idx = self.nodes.len();
        self.nodes.push(Node {
            key_start,
            key_len,
            start: self.pos as u32,
            end: 0,
            next: 0,
        });
        let (flag, dbl) = parse(self)?;
        let next = (self.nodes.len() - self.base) as u32 | if dbl { HAS_DOUBLE } else { 0 };
        let node = &mut self.nodes[idx];
        node.end = self.pos as u32 | if flag { VALUE_FLAG } else { 0 };
        node.next = next;
        Ok(dbl)
    }

    /// A member or element: [`Parser::value_as`], with scalars parsed inline (only
    /// containers recurse, so most values cost no call).
    #[inline(always)]
    pub(super) fn child_as<const RECORD: bool>(
        &mut self,
        key_start: u32,
        key_len: u32,
        depth: usize,
    ) -> PResult<bool> {
        if matches!(self.b.get(self.pos), Some(b'{' | b'[')) {
            return self.value_as::<RECORD>(key_start, key_len, depth);
        }
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        if RECORD {
            self.record(key_start, key_len, |p| p.scalar())
        } else {
            Ok(self.scalar()?.1)
        }
    }

    /// Parses the value at `self.pos` by its first byte: its [`VALUE_FLAG`] and whether it
    /// holds a double.
    #[inline(always)]
    fn any<const RECORD: bool>(&mut self, depth: usize) -> PResult<(bool, bool)> {
        Ok(match self.peek()? {
            b'{' => (
                false,
                self.object_with(|p, ks, kl| p.child_as::<RECORD>(ks, kl, depth + 1))?,
            ),
            b'[' => (false, self.array::<RECORD>(depth)?),
            _ => return self.scalar(),
        })
    }

    /// Parses the scalar at `self.pos`: its [`VALUE_FLAG`] and whether it is a double.
    #[inline(always)]
    pub(super) fn scalar(&mut self) -> PResult<(bool, bool)> {
        Ok(match self.peek()? {
            b'"' => (self.string()?, false),
            b't' => (self.literal(b"true")?, false),
            b'f' => (self.literal(b"false")?, false),
            b'n' => (self.literal(b"null")?, false),
            b'-' | b'0'..=b'9' => {
                let d = self.number()?;
                (d, d)
            }
            _ => return Err(Invalid),
        })
    }

    /// After a key: whitespace, `:`, whitespace.
    #[inline]
    pub(super) fn colon(&mut self) -> PResult<()> {
        self.skip_ws();
        if self.peek()? != b':' {
            return Err(Invalid);
        }
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    /// `true`, `false` or `null` at `self.pos` (compared as a fixed-size array: one or two
    /// integer comparisons, no `memcmp` call).
    #[inline(always)]
    pub(super) fn literal<const N: usize>(&mut self, word: &[u8; N]) -> PResult<bool> {
        let here: Option<&[u8; N]> = self
            .b
            .get(self.pos..self.pos + N)
            .and_then(|s| s.try_into().ok());
        if here == Some(word) {
            self.pos += N;
            Ok(false)
        } else {
            Err(Invalid)
        }
    }

    /// Parses the object at `self.pos`; `member` parses each member's value, given the key's
    /// start and length (plus [`KEY_ESCAPED`]), and returns whether it holds a double.
    #[inline(always)]
    pub(super) fn object_with(
        &mut self,
        mut member: impl FnMut(&mut Self, u32, u32) -> PResult<bool>,
    ) -> PResult<bool> {
        self.pos += 1;
        self.skip_ws();
        let mut dbl = false;
        if self.peek()? == b'}' {
            self.pos += 1;
            return Ok(false);
        }
        loop {
            if self.peek()? != b'"' {
                return Err(Invalid);
            }
            let key_start = self.pos as u32 + 1;
            let escaped = self.string()?;
            let key_len = (self.pos as u32 - 1 - key_start) | if escaped { KEY_ESCAPED } else { 0 };
            // Compact JSON: the colon right after the key, the value right after it.
            if self.b.get(self.pos) == Some(&b':') {
                self.pos += 1;
                self.skip_ws();
            } else {
                self.colon()?;
            }
            dbl |= member(self, key_start, key_len)?;
            if self.closes(b'}')? {
                return Ok(dbl);
            }
        }
    }

    /// After a member or element: a comma (then whitespace; `false`) or `close` (`true`),
    /// whitespace allowed before either. The byte is read once when no whitespace
    /// precedes it (compact JSON).
    #[inline(always)]
    pub(super) fn closes(&mut self, close: u8) -> PResult<bool> {
        let c = match self.b.get(self.pos) {
            Some(&c) if c > b' ' => c,
            _ => {
                self.skip_ws();
                self.peek()?
            }
        };
        self.pos += 1;
        if c == b',' {
            self.skip_ws();
            Ok(false)
        } else if c == close {
            Ok(true)
        } else {
            Err(Invalid)
        }
    }

    fn array<const RECORD: bool>(&mut self, depth: usize) -> PResult<bool> {
        self.pos += 1;
        self.skip_ws();
        let mut dbl = false;
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok(false);
        }
        loop {
            dbl |= self.child_as::<RECORD>(0, 0, depth + 1)?;
            if self.closes(b']')? {
                return Ok(dbl);
            }
        }
    }

    /// Scans a string starting at its opening quote; leaves `pos` after the closing quote.
    /// Returns whether it has escapes.
    #[inline(always)]
    pub(super) fn string(&mut self) -> PResult<bool> {
        let b = self.b;
        let mut i = self.pos + 1;
        let mut escaped = false;
        loop {
            while let Some(w) = word(b, i) {
                let m = special_mask(w);
                if m == 0 {
                    i += 8;
                } else {
                    i += (m.trailing_zeros() / 8) as usize;
                    break;
                }
            }
            let c = *b.get(i).ok_or(Invalid)?;
            match c {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(escaped);
                }
                b'\\' => {
                    escaped = true;
                    i = escape(b, i)?;
                }
                0..=0x1f => return Err(Invalid),
                _ => i += 1,
            }
        }
    }

    /// Scans a number; returns whether it is a double. Rejects doubles that overflow.
    #[inline]
    pub(super) fn number(&mut self) -> PResult<bool> {
        let (end, dbl) = number_at(self.b, self.pos)?;
        self.pos = end;
        Ok(dbl)
    }
}

/// Scans the number starting at `b[start]` (a `-` or a digit); returns the index after it
/// and whether it is a double. Rejects doubles that overflow.
#[inline(always)]
pub(super) fn number_at(b: &[u8], start: usize) -> PResult<(usize, bool)> {
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    let int_start = i;
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = skip_digits(b, i + 1),
        _ => return Err(Invalid),
    }
    if !matches!(b.get(i), Some(b'.' | b'e' | b'E')) {
        // An integer (the common case): no fraction, no exponent, no overflow check.
        return Ok((i, false));
    }
    fraction_exponent(b, start, int_start, i)
}

/// The rest of a number whose integer part ends at `i` before a `.` or an exponent
/// (see [`number_at`]).
#[inline(never)]
fn fraction_exponent(
    b: &[u8],
    start: usize,
    int_start: usize,
    mut i: usize,
) -> PResult<(usize, bool)> {
    let int_digits = i - int_start;
    let mut is_double = false;
    if b.get(i) == Some(&b'.') {
        is_double = true;
        i += 1;
        let s = i;
        i = skip_digits(b, i);
        if i == s {
            return Err(Invalid);
        }
    }
    let mut exp: i64 = 0;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        is_double = true;
        i += 1;
        let mut neg = false;
        if let Some(&c @ (b'+' | b'-')) = b.get(i) {
            neg = c == b'-';
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            exp = (exp * 10 + (b[i] - b'0') as i64).min(1 << 40);
            i += 1;
        }
        if i == s {
            return Err(Invalid);
        }
        if neg {
            exp = -exp;
        }
    }
    if is_double && int_digits as i64 + exp > 300 {
        let text = std::str::from_utf8(&b[start..i]).map_err(|_| Invalid)?;
        let v: f64 = text.parse().map_err(|_| Invalid)?;
        if !v.is_finite() {
            return Err(Invalid);
        }
    }
    Ok((i, is_double))
}

/// The eight bytes at `b[i..i + 8]` as a little-endian word, `None` past the end (a plain
/// load: `copy_from_slice` became a `memcpy` call per word in the release build).
#[inline(always)]
fn word(b: &[u8], i: usize) -> Option<u64> {
    if i + 8 > b.len() {
        return None;
    }
    let w: [u8; 8] = b[i..i + 8].try_into().ok()?;
    Some(u64::from_le_bytes(w))
}

/// Index of the first non-digit at or after `i` (eight bytes at a time).
#[inline(always)]
fn skip_digits(b: &[u8], mut i: usize) -> usize {
    while let Some(x) = word(b, i) {
        // A byte is a digit when its high nibble is 3 and adding 6 keeps it there.
        let hi = (x & (ONES * 0xF0)) ^ (ONES * 0x30);
        let hi6 = (x.wrapping_add(ONES * 0x06) & (ONES * 0xF0)) ^ (ONES * 0x30);
        let bad = hi | hi6;
        if bad == 0 {
            i += 8;
        } else {
            return i + (bad.trailing_zeros() / 8) as usize;
        }
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// Validates the escape sequence at `b[i] == '\\'`; returns the index after it.
#[inline]
pub(super) fn escape(b: &[u8], i: usize) -> PResult<usize> {
    match b.get(i + 1) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
        Some(b'u') => {
            let cp = hex4(b, i + 2)?;
            if (0xD800..0xDC00).contains(&cp) {
                if b.get(i + 6) != Some(&b'\\') || b.get(i + 7) != Some(&b'u') {
                    return Err(Invalid);
                }
                let lo = hex4(b, i + 8)?;
                if !(0xDC00..0xE000).contains(&lo) {
                    return Err(Invalid);
                }
                Ok(i + 12)
            } else if (0xDC00..0xE000).contains(&cp) {
                Err(Invalid)
            } else {
                Ok(i + 6)
            }
        }
        _ => Err(Invalid),
    }
}

/// Four hex digits at `b[i..i + 4]`.
#[inline]
pub fn hex4(b: &[u8], i: usize) -> PResult<u32> {
    let s = b.get(i..i + 4).ok_or(Invalid)?;
    let mut v = 0u32;
    for &c in s {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return Err(Invalid),
        };
        v = v * 16 + d as u32;
    }
    Ok(v)
}

/// Appends the unescaped content of a validated JSON string body (between the quotes).
pub fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' {
            let s = i;
            while i < raw.len() && raw[i] != b'\\' {
                i += 1;
            }
            out.extend_from_slice(&raw[s..i]);
            continue;
        }
        let e = raw.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        let ch = match e {
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let mut cp = hex4(raw, i).unwrap_or(0xFFFD);
                i += 4;
                if (0xD800..0xDC00).contains(&cp) {
                    let lo = hex4(raw, i + 2).unwrap_or(0xDC00);
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                    i += 6;
                }
                let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                continue;
            }
            other => other,
        };
        out.push(ch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(s: &str) -> bool {
        let mut v = Vec::new();
        parse(s.as_bytes(), &mut v).is_ok()
    }

    /// Expectations from ClickHouse's `isValidJSON` (ch-oracle, 26.9).
    #[test]
    fn validity_matches_clickhouse() {
        let cases: &[(&str, bool)] = &[
            ("", false),
            (" ", false),
            (" 1 ", true),
            ("1 2", false),
            ("{} ", true),
            ("{}x", false),
            ("[1,]", false),
            ("{\"a\":1,}", false),
            ("01", false),
            ("-", false),
            ("1.", false),
            (".5", false),
            ("1e", false),
            ("-01", false),
            ("1E+5", true),
            ("tru", false),
            ("nul", false),
            ("\"\\x\"", false),
            ("\"\t\"", false),
            ("\n{}\r\t", true),
            ("\x0c{}", false),
            ("{}\0", false),
            ("\u{FEFF}{}", true),
            ("1e400", false),
            ("-1e400", false),
            ("1e-400", true),
            (
                "0.0000000000000000000000000000000000000000000000001e-300",
                true,
            ),
            ("1.7976931348623158e308", true),
            ("1.7976931348623159e308", false),
            ("123456789012345678901234567890e-10", true),
            ("{\"a\":\"\\ud83d\"}", false),
            ("\"\\ud83d\\ude00\"", true),
            ("\"\\udc00\"", false),
            ("\"HX-=", false),
            ("not a json", false),
            // Digit runs across the eight-byte scan.
            ("[12345678,123456789]", true),
            ("123456789x", false),
            ("-12345678.123456789e12345678", false),
        ];
        for (s, want) in cases {
            assert_eq!(valid(s), *want, "{s:?}");
        }
    }

    /// On a thread with a large stack (unoptimized builds use several times the release
    /// build's stack per nesting level).
    #[test]
    fn depth_limit_matches_clickhouse() {
        let t = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(depth_limit_cases);
        assert!(t.is_ok_and(|h| h.join().is_ok()));
    }

    fn depth_limit_cases() {
        let arr = |n: usize, inner: &str| format!("{}{}{}", "[".repeat(n), inner, "]".repeat(n));
        assert!(valid(&arr(1024, "")));
        assert!(!valid(&arr(1025, "")));
        assert!(!valid(&arr(1024, "1")));
        assert!(valid(&arr(1023, "1")));
        assert!(valid(&arr(1023, "{}")));
        assert!(!valid(&arr(1023, "{\"a\":1}")));
        assert!(valid(&arr(1022, "{\"a\":1}")));
    }

    #[test]
    fn tape_spans_and_siblings() {
        let s = br#"{"a": [1, 2.5], "b\n": "x\"y", "c": {}}"#;
        let mut t = Vec::new();
        parse(s, &mut t).map_err(|_| "invalid").unwrap_or_default();
        assert_eq!(t.len(), 6);
        assert_eq!(t[0].next(), 6);
        assert!(t[0].has_double());
        assert_eq!(&s[t[1].start()..t[1].end()], b"[1, 2.5]");
        assert_eq!(t[1].next(), 4);
        assert!(t[3].flag());
        assert!(!t[2].flag());
        let (ks, ke) = t[4].key_span();
        assert_eq!(&s[ks..ke], br"b\n");
        assert!(t[4].key_escaped());
        assert!(t[4].flag());
        let mut out = Vec::new();
        unescape_into(&s[t[4].start() + 1..t[4].end() - 1], &mut out);
        assert_eq!(out, b"x\"y");
    }
}
