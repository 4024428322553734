//! Selective tapes: validate a whole document, record only the values some calls need.
//!
//! ClickHouse rejects a document that is invalid anywhere, so every byte must be validated;
//! but the seed view's calls only read `op` and the members of `after`, while most of a
//! Debezium event is `before` and `source`. When the fused calls on a column (`fused.rs`)
//! all follow constant key paths, [`parse_selected`] validates the document exactly as
//! [`tape::parse`](super::tape::parse) does and appends nodes only for:
//!
//! - the root and every object on a requested key path, with just the members whose key is
//!   the next step of some path (all of them, in document order, so the first of duplicate
//!   keys is still the one found);
//! - the whole sub-tree of a value a path ends at, or a nesting level of a nested call ends
//!   at (whose text the next level may need: `eval.rs`).
//!
//! Everything else is only validated (the recording parser's rules, no nodes). The recorded nodes keep the full tape's invariants (spans, key spans,
//! sibling indices over the recorded nodes, the "holds a double" flag over the whole
//! sub-tree), so lookups by key and everything done on a path's final value read them as
//! they would read a full tape.
//!
//! While parsing, the tape index each trie node leads to is noted in a [`PathHits`] table: the
//! value of the first member whose key is the node's step, inside the value noted for the
//! parent node — what [`Doc::member`](super::doc::Doc::member) would find from the root, so
//! a call can read its value there instead of searching the members again.

use super::tape::{Invalid, KEY_ESCAPED, MAX_DEPTH, Node, PResult, Parser};
use super::tape::{parse_with, unescape_into};

/// The key paths a set of calls follows, as a trie; node 0 is the document's root.
#[derive(Clone, Debug)]
pub struct PathSet {
    nodes: Vec<PathNode>,
}

#[derive(Clone, Debug, Default)]
struct PathNode {
    /// Next steps.
    children: Vec<Child>,
    /// The value here is needed whole (its sub-tree is recorded).
    whole: bool,
}

/// A next step of a trie node.
#[derive(Clone, Debug)]
struct Child {
    /// The key.
    key: Vec<u8>,
    /// The key's first 16 bytes as two little-endian words, zero padded, so a member's key
    /// is compared with two word comparisons, not a `memcmp` call.
    words: [u64; 2],
    /// Its trie node.
    node: usize,
}

/// The low `n` bytes of a word (all of them from 8 on).
#[inline(always)]
fn low_bytes(w: u64, n: usize) -> u64 {
    if n >= 8 {
        w
    } else {
        w & ((1u64 << (8 * n)) - 1)
    }
}

/// The eight bytes at `b[i..i + 8]` as a little-endian word (0 past the end).
#[inline(always)]
fn word_at(b: &[u8], i: usize) -> u64 {
    match b.get(i..i + 8) {
        Some(s) => u64::from_le_bytes(s.try_into().unwrap_or([0; 8])),
        None => 0,
    }
}

/// A key of at most 16 bytes as two zero-padded little-endian words.
fn key_words(key: &[u8]) -> [u64; 2] {
    let mut w = [0u64; 2];
    for (i, &c) in key.iter().take(16).enumerate() {
        w[i / 8] |= u64::from(c) << (8 * (i % 8));
    }
    w
}

impl Default for PathSet {
    fn default() -> Self {
        Self::new()
    }
}

impl PathSet {
    /// A set with no paths (only the root is recorded).
    pub fn new() -> Self {
        PathSet {
            nodes: vec![PathNode::default()],
        }
    }

    /// Adds the key path `keys`, split into nesting `levels` (argument counts per level,
    /// summing to `keys.len()`): the value at the end of each level is recorded whole.
    pub fn add(&mut self, keys: &[&[u8]], levels: &[usize]) {
        let mut ends = Vec::with_capacity(levels.len());
        let mut acc = 0usize;
        for &n in levels {
            acc += n;
            ends.push(acc);
        }
        let mut at = 0usize;
        if ends.contains(&0) || keys.is_empty() {
            self.nodes[0].whole = true;
        }
        for (i, key) in keys.iter().enumerate() {
            at = match self.nodes[at].children.iter().find(|c| c.key == *key) {
                Some(c) => c.node,
                None => {
                    let c = self.nodes.len();
                    self.nodes.push(PathNode::default());
                    self.nodes[at].children.push(Child {
                        key: key.to_vec(),
                        words: key_words(key),
                        node: c,
                    });
                    c
                }
            };
            if ends.contains(&(i + 1)) || i + 1 == keys.len() {
                self.nodes[at].whole = true;
            }
        }
    }

    /// The trie node reached from `at` by the member key `b[s..e]` (the key's bytes as
    /// written, unescaped first when `escaped`).
    #[inline]
    fn child(&self, at: usize, b: &[u8], s: usize, e: usize, escaped: bool) -> Option<usize> {
        let node = &self.nodes[at];
        let n = e.wrapping_sub(s);
        if !escaped && n <= 16 && s + 16 <= b.len() {
            // Length first; the words only when some key has this length (no `memcmp`).
            let mut words: Option<[u64; 2]> = None;
            for c in &node.children {
                if c.key.len() != n {
                    continue;
                }
                let w = *words.get_or_insert_with(|| {
                    let lo = low_bytes(word_at(b, s), n);
                    let hi = if n > 8 {
                        low_bytes(word_at(b, s + 8), n - 8)
                    } else {
                        0
                    };
                    [lo, hi]
                });
                if w == c.words {
                    return Some(c.node);
                }
            }
            return None;
        }
        let raw = b.get(s..e)?;
        let children = &node.children;
        if escaped {
            let mut key = Vec::with_capacity(raw.len());
            unescape_into(raw, &mut key);
            return children.iter().find(|c| c.key == key).map(|c| c.node);
        }
        children.iter().find(|c| c.key == raw).map(|c| c.node)
    }
}

/// Per trie node of a [`PathSet`], the tape index (relative to the root) of the value the
/// node's key path leads to from the root, first match at every step, or [`NOT_FOUND`].
pub type PathHits = Vec<u32>;

/// A [`PathHits`] entry whose path leads nowhere (or through a value that is not an object).
pub const NOT_FOUND: u32 = u32::MAX;

/// Validates `bytes` exactly as [`tape::parse`](super::tape::parse) and appends the nodes
/// `paths` needs (see the module documentation); the root is the first node appended.
/// `found` is reset and filled for every trie node of `paths`.
pub fn parse_selected(
    bytes: &[u8],
    paths: &PathSet,
    nodes: &mut Vec<Node>,
    found: &mut PathHits,
) -> PResult<()> {
    reset(paths, found);
    parse_with(bytes, nodes, |p| {
        value_selected(p, 0, 0, 1, paths, 0, true, found)
    })
}

#[inline]
fn reset(paths: &PathSet, found: &mut PathHits) {
    if found.len() == paths.nodes.len() {
        found.fill(NOT_FOUND);
    } else {
        found.clear();
        found.resize(paths.nodes.len(), NOT_FOUND);
    }
    found[0] = 0;
}

impl PathSet {
    /// The trie node the key path `keys` leads to, if some added path starts with it.
    pub fn node_of(&self, keys: &[&[u8]]) -> Option<usize> {
        let mut at = 0usize;
        for key in keys {
            at = self.nodes[at]
                .children
                .iter()
                .find(|c| c.key.as_slice() == *key)
                .map(|c| c.node)?;
        }
        Some(at)
    }
}

/// Parses the value at the parser's position at `depth`, recording what trie node `at`
/// needs; `primary` when this value is the one noted in `found[at]`. Returns whether it is
/// or holds a double.
#[allow(clippy::too_many_arguments)]
fn value_selected(
    p: &mut Parser<'_, '_>,
    key_start: u32,
    key_len: u32,
    depth: usize,
    paths: &PathSet,
    at: usize,
    primary: bool,
    found: &mut PathHits,
) -> PResult<bool> {
    let node = &paths.nodes[at];
    let whole = node.whole;
    if (whole && (node.children.is_empty() || !primary)) || p.peek()? != b'{' {
        return p.value(key_start, key_len, depth);
    }
    if depth > MAX_DEPTH {
        return Err(Invalid);
    }
    // An object on a path: members that continue a path are followed (and noted in
    // `found` when this object is the noted one); the others are recorded whole when
    // this value is needed whole, else only validated. A whole value's nodes are the
    // ones `value` records.
    p.record(key_start, key_len, |p| {
        let dbl = p.object_with(|p, ks, kl| {
            let (s, e) = (ks as usize, (ks + (kl & !KEY_ESCAPED)) as usize);
            if e > p.b.len() {
                return Err(Invalid);
            }
            let child = paths.child(at, p.b, s, e, kl & KEY_ESCAPED != 0);
            match child {
                Some(c) => {
                    let first = primary && found[c] == NOT_FOUND;
                    if first {
                        found[c] = (p.nodes.len() - p.base) as u32;
                    }
                    value_selected(p, ks, kl, depth + 1, paths, c, first, found)
                }
                None if whole => p.value(ks, kl, depth + 1),
                None => p.skip_value(depth + 1),
            }
        })?;
        Ok((false, dbl))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::doc::StepRef;
    use crate::json::tape::parse;

    fn selected(s: &str, paths: &PathSet) -> Option<Vec<Node>> {
        let mut t = Vec::new();
        let mut found = PathHits::new();
        parse_selected(s.as_bytes(), paths, &mut t, &mut found)
            .ok()
            .map(|_| t)
    }

    fn seed_paths() -> PathSet {
        let mut p = PathSet::new();
        p.add(&[b"op"], &[1]);
        p.add(&[b"after", b"id"], &[1, 1]);
        p.add(&[b"after", b"d"], &[1, 1]);
        p
    }

    /// Validity is the recording parser's on every document (whose cases come from
    /// ClickHouse's `isValidJSON`, `tape.rs`), whatever is recorded.
    #[test]
    fn validity_is_the_full_parsers() {
        let docs = [
            r#"{"before":{"a":[1,2,{"x":"y"}]},"after":{"id":1},"op":"c"}"#,
            r#"{"before":{"a":[1,2,{"x":"y"}],},"after":{"id":1},"op":"c"}"#,
            r#"{"before":{"a":[1,2,{"x":"y"]},"after":{"id":1}}"#,
            r#"{"before":{"a":[1,2,{"x" "y"}]},"after":{"id":1}}"#,
            r#"{"before":[01],"op":"c"}"#,
            r#"{"before":[1e400],"op":"c"}"#,
            r#"{"before":["\ud83d"],"op":"c"}"#,
            r#"{"before":["\ud83d\ude00"],"op":"c"}"#,
            r#"{"before":"\x","op":"c"}"#,
            r#"{"before":tru,"op":"c"}"#,
            r#"{"before":[],"op":"c"} x"#,
            r#" {"before" : [ ] , "op" : { } } "#,
            r#"{"before":{"a":1,"b":[true,false,null,-0.5e-3]}}"#,
            r#"{"before":{"a":1,"b":[true,false,null,-0.5e-3],}}"#,
            r#"{"before":{"a":1 "b":2}}"#,
            r#"{"before":[1 2]}"#,
            r#"{"before":[1,]}"#,
            r#"{"before":{"a"}}"#,
            r#"{"before":{"a":}}"#,
            r#"{"before":{1:2}}"#,
            r#"{"before":{"a":1}]"#,
            r#"{"before":[1}}"#,
            r#"{"before":[[[[]]]]}"#,
            r#"{"before":[[[[]]]}"#,
            r#"{"befo\u0072e":{"x":1.5},"\u006fp":"\"c\""}"#,
            "{\"before\":\"a\tb\"}",
            "\u{FEFF}{\"op\":1}",
            r#"[{"op":1},{"after":{}}]"#,
            r#""op""#,
            "",
            "{",
            r#"{"before":"#,
            r#"{"before":[1,{"a":"#,
        ];
        let paths = seed_paths();
        for d in docs {
            let mut full = Vec::new();
            let want = parse(d.as_bytes(), &mut full).is_ok();
            assert_eq!(selected(d, &paths).is_some(), want, "{d}");
        }
    }

    /// Run on a thread with a large stack: unoptimized test builds spend several times the
    /// release build's stack per nesting level.
    #[test]
    fn depth_limit_matches_full_parser() {
        let t = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(depth_limit_cases);
        assert!(t.is_ok_and(|h| h.join().is_ok()));
    }

    fn depth_limit_cases() {
        let arr = |n: usize, inner: &str| format!("{}{}{}", "[".repeat(n), inner, "]".repeat(n));
        let paths = seed_paths();
        for (n, inner) in [
            (1023, ""),
            (1024, ""),
            (1022, "1"),
            (1023, "1"),
            (1022, "{}"),
            (1022, "{\"a\":1}"),
            (1021, "{\"a\":1}"),
        ] {
            // Inside an unrecorded member: the root object is level 1.
            let d = format!("{{\"before\":{}}}", arr(n, inner));
            let mut full = Vec::new();
            let want = parse(d.as_bytes(), &mut full).is_ok();
            assert_eq!(selected(&d, &paths).is_some(), want, "{n} {inner}");
        }
    }

    #[test]
    fn records_only_requested_members() {
        let d =
            r#"{"before":{"id":1},"after":{"id":2,"e":[1,2],"d":"x"},"op":"c","after":{"id":3.5}}"#;
        // One level: `after` is not needed whole.
        let mut flat = PathSet::new();
        flat.add(&[b"op"], &[1]);
        flat.add(&[b"after", b"id"], &[2]);
        flat.add(&[b"after", b"d"], &[2]);
        let t = selected(d, &flat).unwrap_or_default();
        let keys: Vec<&str> = t
            .iter()
            .map(|n| {
                let (s, e) = n.key_span();
                &d[s..e]
            })
            .collect();
        // root, after, id, d, op, second after (whole: a level ends there), its id
        assert_eq!(keys, ["", "after", "id", "d", "op", "after", "id"]);
        assert_eq!(t[0].next(), 7);
        assert!(t[0].has_double(), "the root holds 3.5");
        assert!(!t[1].has_double());
        assert!(t[5].has_double());
        assert_eq!(
            &d[t[1].start()..t[1].end()],
            r#"{"id":2,"e":[1,2],"d":"x"}"#
        );
        // The whole value at the end of a path or of a level is recorded.
        let t = selected(d, &seed_paths()).unwrap_or_default();
        assert_eq!(t.len(), 10);
        assert_eq!(t[1].next(), 7);
    }

    /// `found` notes what `Doc::member` finds from the root (first match per step, inside
    /// the first match of the step before), for every prefix of every path.
    #[test]
    fn found_is_what_member_lookups_find() {
        use crate::json::doc::Doc;
        let docs = [
            r#"{"before":{"id":1},"after":{"id":2,"e":[1,2],"d":"x"},"op":"c","after":{"id":3.5}}"#,
            r#"{"after":{"e":1},"after":{"id":2,"d":{"id":5}},"op":[1]}"#,
            r#"{"after":"{\"id\":1}","op":null,"\u006fp":"c"}"#,
            r#"{"after":{"id":{"x":1},"id":2,"d":null},"op":"d","op":"e"}"#,
            r#"[{"after":{"id":1}}]"#,
            r#"{"after":[{"id":1}],"op":{}}"#,
            r#""x""#,
        ];
        for levels in [[1usize, 1], [2, 0]] {
            let mut paths = PathSet::new();
            paths.add(&[b"op"], &[1]);
            paths.add(&[b"after", b"id"], &levels);
            paths.add(&[b"after", b"d"], &levels);
            for d in docs {
                let mut t = Vec::new();
                let mut found = PathHits::new();
                assert!(parse_selected(d.as_bytes(), &paths, &mut t, &mut found).is_ok());
                let doc = Doc {
                    bytes: d.as_bytes(),
                    nodes: &t,
                };
                let keys: [&[&[u8]]; 5] = [
                    &[],
                    &[b"op"],
                    &[b"after"],
                    &[b"after", b"id"],
                    &[b"after", b"d"],
                ];
                for k in keys {
                    let steps: Vec<_> = k.iter().map(|s| StepRef::Key(s)).collect();
                    let want = doc.find(&steps, false).map(|i| i as u32);
                    let c = paths.node_of(k).unwrap_or(usize::MAX);
                    let got = found.get(c).copied().filter(|&i| i != NOT_FOUND);
                    assert_eq!(got, want, "{d} {k:?} {levels:?}");
                }
            }
        }
    }

    #[test]
    fn escaped_keys_match_unescaped_steps() {
        let d = r#"{"\u006fp":"c","o\u0070":"d"}"#;
        let t = selected(d, &seed_paths()).unwrap_or_default();
        assert_eq!(t.len(), 3);
        assert!(t[1].key_escaped());
    }

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

    /// The selective parse gives the full parse's verdict and, for a valid document, the
    /// values the full tape holds at every path of `paths` (spans, keys, double flags).
    fn same_as_full(doc: &[u8], paths: &PathSet, keys: &[&[&[u8]]]) {
        use crate::json::doc::Doc;
        let (mut full, mut sel) = (Vec::new(), Vec::new());
        let mut found = PathHits::new();
        let want = parse(doc, &mut full);
        let got = parse_selected(doc, paths, &mut sel, &mut found);
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(doc));
        if want.is_err() {
            return;
        }
        let full = Doc {
            bytes: doc,
            nodes: &full,
        };
        for k in keys {
            let steps: Vec<_> = k.iter().map(|s| StepRef::Key(s)).collect();
            let want = full.find(&steps, false).map(|i| *full.node(i));
            let c = paths.node_of(k).unwrap_or(usize::MAX);
            let got = found
                .get(c)
                .copied()
                .filter(|&i| i != NOT_FOUND)
                .and_then(|i| sel.get(i as usize).copied());
            let span = |n: Option<Node>| n.map(|n| (n.key_span(), n.start(), n.end(), n.flag()));
            assert_eq!(
                span(got),
                span(want),
                "{:?} {k:?}",
                String::from_utf8_lossy(doc)
            );
            if let (Some(g), Some(w)) = (got, want) {
                assert_eq!(
                    g.has_double(),
                    w.has_double(),
                    "{:?}",
                    String::from_utf8_lossy(doc)
                );
            }
        }
    }

    /// Random documents of the whole grammar and mutations of them (a byte removed,
    /// replaced or inserted, or a cut): same verdicts and values as the full parse.
    #[test]
    fn selective_parse_equals_full_parse_on_random_and_mutated_documents() {
        let mut paths = PathSet::new();
        paths.add(&[b"op"], &[1]);
        paths.add(&[b"after", b"id"], &[1, 1]);
        paths.add(&[b"after", b"a"], &[2]);
        let keys: [&[&[u8]]; 4] = [&[b"op"], &[b"after"], &[b"after", b"id"], &[b"after", b"a"]];
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
            valid += usize::from(parse(doc.as_bytes(), &mut v).is_ok());
            same_as_full(doc.as_bytes(), &paths, &keys);
            for _ in 0..4 {
                let m = mutate(&mut r, doc.as_bytes());
                same_as_full(&m, &paths, &keys);
            }
        }
        // The generator makes both kinds.
        assert!(valid > 2_000 && valid < 18_000, "{valid}");
    }

    /// Every quoted literal of the JSON sql-tests, as a document.
    #[test]
    fn selective_parse_equals_full_parse_on_sql_test_documents() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sql-tests/functions");
        let paths = seed_paths();
        let keys: [&[&[u8]]; 4] = [&[b"op"], &[b"after"], &[b"after", b"id"], &[b"after", b"d"]];
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
                same_as_full(doc.as_bytes(), &paths, &keys);
                n += 1;
            }
        }
        assert!(n > 100, "{n}");
    }
}
