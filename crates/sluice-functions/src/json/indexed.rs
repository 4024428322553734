//! JSON stage 2: the validating tape parser driven by a structural index.
//!
//! [`sluice_simd::json_index`] finds, 64 bytes at a time with AVX2, where every token of a
//! document starts (operators outside strings, opening quotes, the first byte of numbers
//! and literals, and any stray byte), rejects unclosed strings and control characters
//! inside strings, and says whether the document holds a backslash at all. This parser
//! walks those positions with the grammar of [`tape`](super::tape)'s scalar parser and
//! appends the same [`Node`]s, so it accepts exactly the documents that one accepts (the
//! two are compared on random and mutated documents in the tests):
//!
//! - a string's end is found from the next structural position (only whitespace can lie
//!   between a closing quote and it), so strings are not scanned; only when the document
//!   holds a backslash are a string's escapes looked for and validated (`\u` hex digits,
//!   surrogate pairs) by the scalar parser's own `escape`;
//! - numbers and literals are checked by the scalar parser's code, and must be followed by
//!   nothing but whitespace up to the next structural position (`1x`, `truex`, `1"a"`);
//! - depth, the byte order mark and trailing content are handled as in the scalar parser.
//!
//! UTF-8 is not validated here either (see `tape.rs`).

use std::cell::RefCell;

use sluice_simd::json_index::StructuralIndex;

use super::tape::{
    HAS_DOUBLE, Invalid, KEY_ESCAPED, MAX_DEPTH, Node, PResult, VALUE_FLAG, escape, is_ws,
    number_at,
};

thread_local! {
    static INDEX: RefCell<StructuralIndex> = RefCell::new(StructuralIndex::new());
}

/// Builds the structural index of `bytes` (after an optional UTF-8 BOM) and runs `root` on
/// a parser over it; the root value must be followed by nothing but whitespace.
pub(super) fn with_index(
    bytes: &[u8],
    nodes: &mut Vec<Node>,
    root: impl FnOnce(&mut IxParser<'_, '_>) -> PResult<bool>,
) -> PResult<()> {
    if bytes.len() >= u32::MAX as usize / 2 {
        return Err(Invalid);
    }
    let from = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    INDEX.with(|ix| {
        let mut ix = ix.try_borrow_mut().map_err(|_| Invalid)?;
        ix.build(bytes, from).map_err(|_| Invalid)?;
        let mut p = IxParser {
            b: bytes,
            ix: ix.positions(),
            k: 0,
            end: 0,
            esc: ix.has_backslash(),
            base: nodes.len(),
            nodes,
        };
        root(&mut p)?;
        if p.k + 1 != p.ix.len() {
            return Err(Invalid);
        }
        Ok(())
    })
}

/// Validates `bytes` and appends its tape to `nodes`, as [`tape::parse`](super::tape::parse)
/// does, through the structural index.
pub fn parse(bytes: &[u8], nodes: &mut Vec<Node>) -> PResult<()> {
    with_index(bytes, nodes, |p| p.value(0, 0, 1))
}

/// The stage-2 parser: the document, its structural positions and the tape appended to.
pub(super) struct IxParser<'a, 'n> {
    /// The document.
    pub(super) b: &'a [u8],
    /// Structural positions, then the sentinel `b.len()`.
    ix: &'a [u32],
    /// The current position's index in `ix` (never past the sentinel).
    k: usize,
    /// One past the last value parsed.
    end: usize,
    /// The document holds a backslash (strings must be checked for escapes).
    esc: bool,
    /// Index of the document's root in `nodes`.
    pub(super) base: usize,
    /// The tape appended to.
    pub(super) nodes: &'n mut Vec<Node>,
}

impl IxParser<'_, '_> {
    /// The current structural position.
    #[inline(always)]
    fn pos(&self) -> usize {
        self.ix.get(self.k).map_or(self.b.len(), |&p| p as usize)
    }

    /// The position after the current one (the sentinel at the end).
    #[inline(always)]
    fn next_pos(&self) -> usize {
        self.ix
            .get(self.k + 1)
            .map_or(self.b.len(), |&p| p as usize)
    }

    /// The byte at the current structural position.
    #[inline(always)]
    pub(super) fn peek(&self) -> PResult<u8> {
        self.b.get(self.pos()).copied().ok_or(Invalid)
    }

    /// Parses one value at the current position at nesting `depth` (root = 1), recording
    /// its nodes. Returns whether it is or contains a double.
    pub(super) fn value(&mut self, key_start: u32, key_len: u32, depth: usize) -> PResult<bool> {
        self.value_as::<true>(key_start, key_len, depth)
    }

    /// Validates one value like [`IxParser::value`] without recording anything.
    pub(super) fn skip_value(&mut self, depth: usize) -> PResult<bool> {
        self.value_as::<false>(0, 0, depth)
    }

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
            start: self.pos() as u32,
            end: 0,
            next: 0,
        });
        let (flag, dbl) = parse(self)?;
        let next = (self.nodes.len() - self.base) as u32 | if dbl { HAS_DOUBLE } else { 0 };
        let end = self.end as u32 | if flag { VALUE_FLAG } else { 0 };
        if let Some(node) = self.nodes.get_mut(idx) {
            node.end = end;
            node.next = next;
        }
        Ok(dbl)
    }

    /// A member or element: scalars inline, containers through [`IxParser::value_as`].
    #[inline(always)]
    fn child_as<const RECORD: bool>(
        &mut self,
        key_start: u32,
        key_len: u32,
        depth: usize,
    ) -> PResult<bool> {
        if matches!(self.peek(), Ok(b'{' | b'[')) {
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

    /// The scalar at the current position: its [`VALUE_FLAG`] and whether it is a double.
    #[inline(always)]
    fn scalar(&mut self) -> PResult<(bool, bool)> {
        let pos = self.pos();
        Ok(match self.peek()? {
            b'"' => {
                let (end, escaped) = self.string(pos)?;
                self.end = end;
                self.k += 1;
                (escaped, false)
            }
            b't' => (self.literal(pos, b"true")?, false),
            b'f' => (self.literal(pos, b"false")?, false),
            b'n' => (self.literal(pos, b"null")?, false),
            b'-' | b'0'..=b'9' => {
                let (end, d) = number_at(self.b, pos)?;
                self.token_end(end)?;
                (d, d)
            }
            _ => return Err(Invalid),
        })
    }

    /// A number or literal ended at `end`: only whitespace may follow up to the next
    /// structural position. Moves past it.
    #[inline(always)]
    fn token_end(&mut self, end: usize) -> PResult<()> {
        let next = self.next_pos();
        if end != next
            && !self
                .b
                .get(end..next)
                .is_some_and(|w| w.iter().all(|&c| is_ws(c)))
        {
            return Err(Invalid);
        }
        self.end = end;
        self.k += 1;
        Ok(())
    }

    fn literal(&mut self, pos: usize, word: &[u8]) -> PResult<bool> {
        if !self.b.get(pos..).is_some_and(|r| r.starts_with(word)) {
            return Err(Invalid);
        }
        self.token_end(pos + word.len())?;
        Ok(false)
    }

    /// The string opening at `pos` (the current position): the index after its closing
    /// quote and whether it has escapes (validated).
    #[inline(always)]
    fn string(&self, pos: usize) -> PResult<(usize, bool)> {
        let b = self.b;
        let mut e = self.next_pos();
        while e > pos + 1 && b.get(e - 1).is_some_and(|&c| is_ws(c)) {
            e -= 1;
        }
        if e <= pos + 1 || b.get(e - 1) != Some(&b'"') {
            return Err(Invalid);
        }
        if !self.esc {
            return Ok((e, false));
        }
        let close = e - 1;
        let mut escaped = false;
        let mut i = pos + 1;
        while let Some(off) = b.get(i..close).and_then(|r| memchr::memchr(b'\\', r)) {
            escaped = true;
            i = escape(b, i + off)?;
        }
        if i > close {
            return Err(Invalid);
        }
        Ok((e, escaped))
    }

    /// Parses the object at the current position; `member` parses each member's value,
    /// given the key's start and length (plus [`KEY_ESCAPED`]), and returns whether it holds
    /// a double.
    #[inline(always)]
    pub(super) fn object_with(
        &mut self,
        mut member: impl FnMut(&mut Self, u32, u32) -> PResult<bool>,
    ) -> PResult<bool> {
        self.k += 1;
        let mut dbl = false;
        if self.peek()? == b'}' {
            self.end = self.pos() + 1;
            self.k += 1;
            return Ok(false);
        }
        loop {
            if self.peek()? != b'"' {
                return Err(Invalid);
            }
            let pos = self.pos();
            let (end, escaped) = self.string(pos)?;
            let key_start = pos as u32 + 1;
            let key_len = (end as u32 - 1 - key_start) | if escaped { KEY_ESCAPED } else { 0 };
            self.k += 1;
            if self.peek()? != b':' {
                return Err(Invalid);
            }
            self.k += 1;
            dbl |= member(self, key_start, key_len)?;
            match self.peek()? {
                b',' => self.k += 1,
                b'}' => {
                    self.end = self.pos() + 1;
                    self.k += 1;
                    return Ok(dbl);
                }
                _ => return Err(Invalid),
            }
        }
    }

    fn array<const RECORD: bool>(&mut self, depth: usize) -> PResult<bool> {
        self.k += 1;
        let mut dbl = false;
        if self.peek()? == b']' {
            self.end = self.pos() + 1;
            self.k += 1;
            return Ok(false);
        }
        loop {
            dbl |= self.child_as::<RECORD>(0, 0, depth + 1)?;
            match self.peek()? {
                b',' => self.k += 1,
                b']' => {
                    self.end = self.pos() + 1;
                    self.k += 1;
                    return Ok(dbl);
                }
                _ => return Err(Invalid),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::select::{PathHits, PathSet, parse_selected_indexed, parse_selected_scalar};
    use crate::json::tape::parse_scalar;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
            xs[self.below(xs.len())]
        }
    }

    /// A random document of JSON's whole grammar (and some near misses in the leaves).
    fn value(r: &mut Rng, depth: usize, out: &mut String) {
        let ws = ["", "", "", " ", "\n", "\t ", "\r\n  "];
        match r.below(if depth > 4 { 4 } else { 7 }) {
            0 => out.push_str(r.pick(&[
                "0",
                "-0",
                "12",
                "-7",
                "1.5",
                "-0.25e-3",
                "1E+5",
                "1e400",
                "-1e400",
                "1e-400",
                "123456789012345678901234567890",
                "18446744073709551616",
                "1.",
                "01",
                "-",
                "2e",
                "0.1e1",
            ])),
            1 => out.push_str(r.pick(&["true", "false", "null", "tru", "nulll"])),
            2 => {
                out.push('"');
                for _ in 0..r.below(12) {
                    out.push_str(r.pick(&[
                        "a",
                        "id",
                        " ",
                        "{",
                        "}",
                        ":",
                        ",",
                        "[",
                        "\\\"",
                        "\\\\",
                        "\\n",
                        "\\u00e9",
                        "\\ud83d\\ude00",
                        "\\ud83d",
                        "\\udc00",
                        "\\x",
                        "é",
                        "\\u12",
                        "\\/",
                    ]));
                }
                out.push('"');
            }
            3 => out.push_str(r.pick(&["{}", "[]", "\"\"", "\"op\""])),
            4 | 5 => {
                out.push('{');
                for i in 0..r.below(5) {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(r.pick(&ws));
                    out.push_str(r.pick(&[
                        "\"a\"",
                        "\"op\"",
                        "\"after\"",
                        "\"id\"",
                        "\"\\u006fp\"",
                    ]));
                    out.push_str(r.pick(&ws));
                    out.push(':');
                    out.push_str(r.pick(&ws));
                    value(r, depth + 1, out);
                    out.push_str(r.pick(&ws));
                }
                out.push('}');
            }
            _ => {
                out.push('[');
                for i in 0..r.below(5) {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(r.pick(&ws));
                    value(r, depth + 1, out);
                    out.push_str(r.pick(&ws));
                }
                out.push(']');
            }
        }
    }

    /// Mutations of a document: a byte removed, replaced or inserted, or a cut.
    fn mutate(r: &mut Rng, doc: &[u8]) -> Vec<u8> {
        let special = b"{}[]:,\" \t\n\r\\\x0c\x1a\x01\x00a1-.eEtfnu0";
        let mut d = doc.to_vec();
        if d.is_empty() {
            return d;
        }
        let i = r.below(d.len());
        match r.below(4) {
            0 => {
                d.remove(i);
            }
            1 => d[i] = special[r.below(special.len())],
            2 => d.insert(i, special[r.below(special.len())]),
            _ => d.truncate(i),
        }
        d
    }

    fn seed_paths() -> PathSet {
        let mut p = PathSet::new();
        p.add(&[b"op"], &[1]);
        p.add(&[b"after", b"id"], &[1, 1]);
        p.add(&[b"after", b"a"], &[2]);
        p
    }

    /// Both parsers give the same verdict and, when valid, the same full and selective tapes
    /// and path hits.
    fn same(doc: &[u8], paths: &PathSet) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ra = parse_scalar(doc, &mut a);
        let rb = parse(doc, &mut b);
        assert_eq!(ra, rb, "{:?}", String::from_utf8_lossy(doc));
        if ra.is_ok() {
            assert_eq!(a, b, "{:?}", String::from_utf8_lossy(doc));
        }
        let (mut fa, mut fb) = (PathHits::new(), PathHits::new());
        a.clear();
        b.clear();
        let ra = parse_selected_scalar(doc, paths, &mut a, &mut fa);
        let rb = parse_selected_indexed(doc, paths, &mut b, &mut fb);
        assert_eq!(ra, rb, "selective {:?}", String::from_utf8_lossy(doc));
        if ra.is_ok() {
            assert_eq!(
                (a, fa),
                (b, fb),
                "selective {:?}",
                String::from_utf8_lossy(doc)
            );
        }
    }

    #[test]
    fn indexed_parser_equals_scalar_parser_on_random_and_mutated_documents() {
        let paths = seed_paths();
        let mut r = Rng(2026);
        let mut valid = 0usize;
        for _ in 0..20_000 {
            let mut doc = String::new();
            if r.below(8) == 0 {
                doc.push('\u{FEFF}');
            }
            value(&mut r, 0, &mut doc);
            if r.below(8) == 0 {
                doc.push_str(r.pick(&[" ", "\n", " x", "}", "\0"]));
            }
            let mut v = Vec::new();
            valid += usize::from(parse_scalar(doc.as_bytes(), &mut v).is_ok());
            same(doc.as_bytes(), &paths);
            for _ in 0..4 {
                let m = mutate(&mut r, doc.as_bytes());
                same(&m, &paths);
            }
        }
        // The generator makes both kinds.
        assert!(valid > 2_000 && valid < 18_000, "{valid}");
    }

    /// Documents longer than a block, with strings and numbers across block boundaries.
    #[test]
    fn indexed_parser_equals_scalar_parser_across_blocks() {
        let paths = seed_paths();
        for pad in 0..130 {
            let filler = "x".repeat(pad);
            let docs = [
                format!(r#"{{"a":"{filler}","op":"c","after":{{"id":{pad}12345678}}}}"#),
                format!(r#"{{"a":"{filler}\"","op":1.5e3}}"#),
                format!(r#"{{"a":"{filler}\\","op":[1,2]}}"#),
                format!(r#"{{"a":"{filler}\u00e9\ud83d\ude00","op":null}}"#),
                format!(r#"[{}1]"#, " ".repeat(pad)),
                format!(r#"[{}1x]"#, "1,".repeat(pad)),
                format!("[\"{filler}\t\"]"),
                format!("[\"{filler}"),
            ];
            for d in docs {
                same(d.as_bytes(), &paths);
            }
        }
    }

    /// Every quoted literal of the JSON sql-tests, as a document.
    #[test]
    fn indexed_parser_equals_scalar_parser_on_sql_test_documents() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sql-tests/functions");
        let paths = seed_paths();
        let mut n = 0usize;
        let Ok(entries) = std::fs::read_dir(dir) else {
            panic!("no {dir}");
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with("json") || !name.ends_with(".slt") {
                continue;
            }
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            for lit in text.split('\'').skip(1).step_by(2) {
                // SQL escapes: \\ and \' (the split already broke at the latter; fine).
                let doc = lit.replace("\\\\", "\\");
                same(doc.as_bytes(), &paths);
                n += 1;
            }
        }
        assert!(n > 100, "{n}");
    }
}
