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

use super::indexed::{IxParser, with_index};
use super::tape::{Invalid, KEY_ESCAPED, MAX_DEPTH, Node, PResult, Parser};
use super::tape::{parse_with, unescape_into};

/// The key paths a set of calls follows, as a trie; node 0 is the document's root.
#[derive(Clone, Debug)]
pub struct PathSet {
    nodes: Vec<PathNode>,
}

#[derive(Clone, Debug, Default)]
struct PathNode {
    /// Next steps: key and trie node.
    children: Vec<(Vec<u8>, usize)>,
    /// The value here is needed whole (its sub-tree is recorded).
    whole: bool,
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
            at = match self.nodes[at].children.iter().find(|(k, _)| k == key) {
                Some(&(_, c)) => c,
                None => {
                    let c = self.nodes.len();
                    self.nodes.push(PathNode::default());
                    self.nodes[at].children.push((key.to_vec(), c));
                    c
                }
            };
            if ends.contains(&(i + 1)) || i + 1 == keys.len() {
                self.nodes[at].whole = true;
            }
        }
    }

    /// The trie node reached from `at` by member key `raw` (the key's bytes as written,
    /// unescaped first when `escaped`).
    #[inline]
    fn child(&self, at: usize, raw: &[u8], escaped: bool) -> Option<usize> {
        let children = &self.nodes[at].children;
        if escaped {
            let mut key = Vec::with_capacity(raw.len());
            unescape_into(raw, &mut key);
            return children.iter().find(|(k, _)| *k == key).map(|&(_, c)| c);
        }
        // Length and first byte first: most keys differ there, without a `memcmp` call.
        children
            .iter()
            .find(|(k, _)| k.len() == raw.len() && k.first() == raw.first() && k == raw)
            .map(|&(_, c)| c)
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
    // The scalar parser: the structural-index one (`parse_selected_indexed`) measured
    // slower on the seed events (docs/benchmarks.md, "JSON extraction").
    parse_selected_scalar(bytes, paths, nodes, found)
}

/// [`parse_selected`] with the scalar parser (`tape.rs`).
pub fn parse_selected_scalar(
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

/// [`parse_selected`] with the structural-index parser (`indexed.rs`).
pub fn parse_selected_indexed(
    bytes: &[u8],
    paths: &PathSet,
    nodes: &mut Vec<Node>,
    found: &mut PathHits,
) -> PResult<()> {
    reset(paths, found);
    with_index(bytes, nodes, |p| {
        value_selected(p, 0, 0, 1, paths, 0, true, found)
    })
}

fn reset(paths: &PathSet, found: &mut PathHits) {
    found.clear();
    found.resize(paths.nodes.len(), NOT_FOUND);
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
                .find(|(k, _)| k.as_slice() == *key)
                .map(|&(_, c)| c)?;
        }
        Some(at)
    }
}

/// What the selective walk needs from a validating parser: the scalar one (`tape.rs`) and
/// the structural-index one (`indexed.rs`) both provide it with the same rules.
pub(super) trait Walk: Sized {
    /// The document.
    fn doc(&self) -> &[u8];
    /// The byte the next value starts with.
    fn peek(&self) -> PResult<u8>;
    /// Nodes recorded for this document so far.
    fn tape_len(&self) -> usize;
    /// Parses and records one value.
    fn value(&mut self, key_start: u32, key_len: u32, depth: usize) -> PResult<bool>;
    /// Validates one value without recording it.
    fn skip_value(&mut self, depth: usize) -> PResult<bool>;
    /// Records the node of the value `parse` parses.
    fn record(
        &mut self,
        key_start: u32,
        key_len: u32,
        parse: impl FnOnce(&mut Self) -> PResult<(bool, bool)>,
    ) -> PResult<bool>;
    /// Parses an object, `member` parsing each member's value.
    fn object_with(
        &mut self,
        member: impl FnMut(&mut Self, u32, u32) -> PResult<bool>,
    ) -> PResult<bool>;
}

macro_rules! walk_impl {
    ($t:ident) => {
        impl Walk for $t<'_, '_> {
            #[inline(always)]
            fn doc(&self) -> &[u8] {
                self.b
            }
            #[inline(always)]
            fn peek(&self) -> PResult<u8> {
                $t::peek(self)
            }
            #[inline(always)]
            fn tape_len(&self) -> usize {
                self.nodes.len() - self.base
            }
            #[inline(always)]
            fn value(&mut self, key_start: u32, key_len: u32, depth: usize) -> PResult<bool> {
                $t::value(self, key_start, key_len, depth)
            }
            #[inline(always)]
            fn skip_value(&mut self, depth: usize) -> PResult<bool> {
                $t::skip_value(self, depth)
            }
            #[inline(always)]
            fn record(
                &mut self,
                key_start: u32,
                key_len: u32,
                parse: impl FnOnce(&mut Self) -> PResult<(bool, bool)>,
            ) -> PResult<bool> {
                $t::record(self, key_start, key_len, parse)
            }
            #[inline(always)]
            fn object_with(
                &mut self,
                member: impl FnMut(&mut Self, u32, u32) -> PResult<bool>,
            ) -> PResult<bool> {
                $t::object_with(self, member)
            }
        }
    };
}
walk_impl!(Parser);
walk_impl!(IxParser);

/// Parses the value at the parser's position at `depth`, recording what trie node `at`
/// needs; `primary` when this value is the one noted in `found[at]`. Returns whether it is
/// or holds a double.
#[allow(clippy::too_many_arguments)]
fn value_selected<W: Walk>(
    p: &mut W,
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
            let child = match p.doc().get(s..e) {
                Some(key) => paths.child(at, key, kl & KEY_ESCAPED != 0),
                None => return Err(Invalid),
            };
            match child {
                Some(c) => {
                    let first = primary && found[c] == NOT_FOUND;
                    if first {
                        found[c] = p.tape_len() as u32;
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
}
