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

use std::sync::atomic::{AtomicU64, Ordering};

use super::tape::{Invalid, MAX_DEPTH, Node, PResult, Parser};
use super::tape::{parse_with, unescape_into};

mod flat;
mod plan;
mod shape;
mod template;
mod words;

pub use shape::Shape;
use shape::{Members, NONE, object_shaped, skip_shaped};

/// Source of [`PathSet::id`]s.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The key paths a set of calls follows, as a trie; node 0 is the document's root.
#[derive(Clone, Debug)]
pub struct PathSet {
    nodes: Vec<PathNode>,
    /// Changes with every path added: a [`Shape`] learned with other paths is reset.
    id: u64,
}

#[derive(Clone, Debug, Default)]
struct PathNode {
    /// Next steps.
    children: Vec<Child>,
    /// By key length up to 16: one plus the index in `children` of the first child whose
    /// key has that length (0: none); the others of that length follow by
    /// [`Child::same_len`].
    by_len: [u16; 17],
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
    /// One plus the index of the next child whose key has the same length (0: none).
    same_len: u16,
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
            id: next_id(),
        }
    }

    /// Adds the key path `keys`, split into nesting `levels` (argument counts per level,
    /// summing to `keys.len()`): the value at the end of each level is recorded whole.
    pub fn add(&mut self, keys: &[&[u8]], levels: &[usize]) {
        self.id = next_id();
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
                    let parent = &mut self.nodes[at];
                    parent.children.push(Child {
                        key: key.to_vec(),
                        words: key_words(key),
                        node: c,
                        same_len: 0,
                    });
                    parent.index_by_len();
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
    #[inline(always)]
    fn child(&self, at: usize, b: &[u8], s: usize, e: usize, escaped: bool) -> Option<usize> {
        let node = &self.nodes[at];
        let n = e.wrapping_sub(s);
        if !escaped && n <= 16 && s + 16 <= b.len() && node.children.len() < usize::from(u16::MAX) {
            // The children of this length only (usually none or one), compared as words
            // (no `memcmp`).
            let mut i = node.by_len.get(n).copied().unwrap_or(0);
            if i == 0 {
                return None;
            }
            let lo = low_bytes(word_at(b, s), n);
            let hi = if n > 8 {
                low_bytes(word_at(b, s + 8), n - 8)
            } else {
                0
            };
            while let Some(c) = node.children.get(usize::from(i).wrapping_sub(1)) {
                if c.words == [lo, hi] {
                    return Some(c.node);
                }
                i = c.same_len;
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

impl PathNode {
    /// Rebuilds [`PathNode::by_len`] and the [`Child::same_len`] chains (in child order, so
    /// the first child of a length is found first).
    fn index_by_len(&mut self) {
        self.by_len = [0; 17];
        let mut last: [Option<usize>; 17] = [None; 17];
        for i in 0..self.children.len() {
            self.children[i].same_len = 0;
            let n = self.children[i].key.len();
            if n > 16 || i + 1 >= usize::from(u16::MAX) {
                continue;
            }
            let id = (i + 1) as u16;
            match last[n] {
                Some(prev) => self.children[prev].same_len = id,
                None => self.by_len[n] = id,
            }
            last[n] = Some(i);
        }
    }
}

/// Per trie node of a [`PathSet`], the tape index (relative to the root) of the value the
/// node's key path leads to from the root, first match at every step, or [`NOT_FOUND`].
pub type PathHits = Vec<u32>;

/// A [`PathHits`] entry whose path leads nowhere (or through a value that is not an object).
pub const NOT_FOUND: u32 = u32::MAX;

/// Validates `bytes` exactly as [`tape::parse`](super::tape::parse) and appends the nodes
/// `paths` needs (see the module documentation); the root is the first node appended.
/// `found` is reset and filled for every trie node of `paths`. `shape` holds the members
/// of the documents parsed before with it (`select/shape.rs`): keys are read by comparing
/// them with its predictions, and it learns this document's; the verdict and the nodes do
/// not depend on it.
#[inline]
pub fn parse_selected(
    bytes: &[u8],
    paths: &PathSet,
    shape: &mut Shape,
    nodes: &mut Vec<Node>,
    found: &mut PathHits,
) -> PResult<()> {
    reset(paths, found);
    let root = shape.root(paths.id);
    parse_with(bytes, nodes, |p| {
        let mut ctx = Ctx {
            paths,
            found,
            shape,
        };
        value_selected(p, 0, 0, 1, &mut ctx, 0, true, root)
    })
}

/// What [`value_selected`] reads and fills besides the parser.
struct Ctx<'a> {
    paths: &'a PathSet,
    found: &'a mut PathHits,
    shape: &'a mut Shape,
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
/// needs; `primary` when this value is the one noted in `found[at]`; an object is parsed
/// with shape `oi`. Returns whether it is or holds a double.
#[allow(clippy::too_many_arguments)]
fn value_selected(
    p: &mut Parser<'_, '_>,
    key_start: u32,
    key_len: u32,
    depth: usize,
    cx: &mut Ctx<'_>,
    at: usize,
    primary: bool,
    oi: u32,
) -> PResult<bool> {
    let paths = cx.paths;
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
    // The last documents' object when its members were all scalars (`flat.rs`).
    let learn = match cx
        .shape
        .try_flat(oi, p, (key_start, key_len), depth, at, primary, cx.found)
    {
        Ok(dbl) => return Ok(dbl),
        Err(learn) => learn,
    };
    let start = p.pos;
    let how = Members {
        paths,
        at: Some(at),
        others_skipped: !whole,
    };
    // `None` when the object followed its plan to the end, else its number of members.
    let mut members = None;
    let dbl = p.record(key_start, key_len, |p| {
        // The members the object's plan predicts (`plan.rs`), as long as they match.
        let (mut k, mut dbl) = (0usize, false);
        while let Some(run) = cx.shape.plan_run(oi, at, k) {
            let i = p.pos;
            if !run.matches(p, i) {
                break;
            }
            p.pos = i + run.len as usize;
            p.skip_ws();
            let ks = (i + run.len as usize - 2 - run.key_len as usize) as u32;
            let child = (run.child != NONE).then_some(run.child as usize);
            dbl |= member_value(
                p,
                cx,
                ks,
                run.key_len,
                child,
                depth,
                whole,
                primary,
                |p, shape| {
                    if p.b.get(p.pos) == Some(&b'{') {
                        shape.plan_sub(oi, k, &run)
                    } else {
                        NONE
                    }
                },
            )?;
            k += 1;
        }
        if k > 0 && k == cx.shape.plan_len(oi) && p.b.get(p.pos) == Some(&b'}') {
            p.pos += 1;
            return Ok((false, dbl));
        }
        // Member-wise from the first member the plan did not predict.
        let mut each = |p: &mut Parser<'_, '_>, shape: &mut Shape, ks, kl, child, k| {
            let mut inner = Ctx {
                paths,
                found: &mut *cx.found,
                shape,
            };
            member_value(
                p,
                &mut inner,
                ks,
                kl,
                child,
                depth,
                whole,
                primary,
                |p, shape| shape.sub_for(p, oi, k),
            )
        };
        let (d, n) = if k > 0 && p.closes(b'}')? {
            (false, k)
        } else {
            object_shaped(p, cx.shape, oi, &how, depth, k, &mut each)?
        };
        members = Some(n);
        Ok((false, dbl | d))
    })?;
    match members {
        None => {
            cx.shape.note_plan(oi, true);
        }
        Some(n) => {
            if cx.shape.note_plan(oi, false) {
                cx.shape.learn_plan(oi, n);
            }
        }
    }
    if learn {
        cx.shape
            .learn_flat(oi, p.b, (start, p.pos), depth, (paths, at), whole);
    }
    Ok(dbl)
}

/// Parses the value of a member of an object on a path whose key is `(ks, kl)` and leads
/// to trie node `child`: followed (and noted in `found` when the object is the noted one,
/// `primary`), recorded whole when the object is (`whole`), else only validated;
/// `sub(p, shape)` gives the shape of an object value (the member's slot's). Both the
/// planned members and the member-wise loop call it.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn member_value(
    p: &mut Parser<'_, '_>,
    cx: &mut Ctx<'_>,
    ks: u32,
    kl: u32,
    child: Option<usize>,
    depth: usize,
    whole: bool,
    primary: bool,
    sub: impl FnOnce(&Parser<'_, '_>, &mut Shape) -> u32,
) -> PResult<bool> {
    let paths = cx.paths;
    match child {
        Some(c) => {
            let first = primary && cx.found[c] == NOT_FOUND;
            if first {
                cx.found[c] = (p.nodes.len() - p.base) as u32;
            }
            let node = &paths.nodes[c];
            if node.whole && node.children.is_empty() {
                p.child_as::<true>(ks, kl, depth + 1)
            } else {
                let sub = sub(p, cx.shape);
                let mut inner = Ctx {
                    paths,
                    found: &mut *cx.found,
                    shape: &mut *cx.shape,
                };
                value_selected(p, ks, kl, depth + 1, &mut inner, c, first, sub)
            }
        }
        None if whole => p.child_as::<true>(ks, kl, depth + 1),
        None => {
            let sub = sub(p, cx.shape);
            if sub == NONE {
                p.child_as::<false>(0, 0, depth + 1)
            } else {
                skip_shaped(p, cx.shape, sub, paths, depth + 1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::doc::StepRef;
    use crate::json::tape::parse;

    fn selected(s: &str, paths: &PathSet) -> Option<Vec<Node>> {
        let mut t = Vec::new();
        let mut found = PathHits::new();
        parse_selected(s.as_bytes(), paths, &mut Shape::new(), &mut t, &mut found)
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
                let mut shape = Shape::new();
                assert!(
                    parse_selected(d.as_bytes(), &paths, &mut shape, &mut t, &mut found).is_ok()
                );
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
