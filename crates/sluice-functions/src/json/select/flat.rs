//! Flat objects on a path: an object whose members are all scalars (Debezium's `after`),
//! as the last document had it, with its values left out.
//!
//! A [`Flat`] keeps the runs of bytes around the values (`{"id":`, `,"order_date":`, …,
//! `}`) from a document in which the object was valid, and per member what the member-wise
//! parse did with it: the key's place before the value and its raw length, the key's trie
//! node, and whether the value is recorded. The next document's object matches when its
//! bytes equal the runs and each value is a valid scalar (by its first byte, as the
//! recording parser reads one): the object is then the same valid text with other scalars
//! in the same places, at the same depth, so the nodes appended are the ones the member-wise
//! parse appends (the object's, then each recorded member's, in order), and the first
//! member of each trie node is noted in `found`. When the runs differ, or a value is not a
//! scalar or not valid, nothing is recorded and the caller parses the object member-wise.

use super::super::tape::{HAS_DOUBLE, KEY_ESCAPED, Node, Parser, VALUE_FLAG, is_ws};
use super::words::{Words, run_at};
use super::{NOT_FOUND, PathHits, PathSet};

/// An object of scalar members, learned from one document.
#[derive(Clone, Debug, Default)]
pub(super) struct Flat {
    /// The runs before each value and, last, the one after the last value (ending with the
    /// closing brace), concatenated.
    bytes: Vec<u8>,
    members: Vec<FlatMember>,
    /// End of the last run in `bytes`.
    end: u32,
    /// The last run as words, when short.
    end_words: Option<Words>,
    /// Nesting depth of the object, and its trie node, when learned.
    depth: usize,
    at: usize,
    /// Whether it holds an object.
    learned: bool,
}

#[derive(Clone, Copy, Debug)]
struct FlatMember {
    /// End in [`Flat::bytes`] of the run before the value.
    run_end: u32,
    /// The run as words, when short.
    words: Option<Words>,
    /// The key's first byte, counted back from the value's.
    key_back: u32,
    /// The key's raw length, plus [`KEY_ESCAPED`].
    key_len: u32,
    /// The key's trie node, or `u32::MAX`.
    child: u32,
    /// Whether the value is recorded.
    record: bool,
}

/// Objects longer than this are not kept.
const MAX_BYTES: usize = 4096;

impl Flat {
    /// Forgets the object.
    pub(super) fn clear(&mut self) {
        self.bytes.clear();
        self.members.clear();
        self.learned = false;
    }

    /// Learns the valid object `b[start..end]` at nesting `depth`, on trie node `at` of
    /// `paths` (members whose key is no next step are recorded when `others_recorded`).
    /// Nothing is learned when a member is a container or the object is too long.
    pub(super) fn learn(
        &mut self,
        b: &[u8],
        (start, end): (usize, usize),
        depth: usize,
        (paths, at): (&PathSet, usize),
        others_recorded: bool,
    ) {
        self.clear();
        if end > b.len() || end - start > MAX_BYTES || b.get(start) != Some(&b'{') {
            return;
        }
        let ws = |mut i: usize| {
            while i < end && is_ws(b[i]) {
                i += 1;
            }
            i
        };
        let string_end = |mut i: usize| {
            // After the opening quote of a valid string: after its closing quote.
            while i < end && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i + 1
        };
        let mut i = ws(start + 1);
        let mut run = start;
        if b.get(i) != Some(&b'}') {
            loop {
                if b.get(i) != Some(&b'"') {
                    self.clear();
                    return;
                }
                let ks = i + 1;
                let after_key = string_end(ks);
                let ke = after_key - 1;
                let escaped = b[ks..ke].contains(&b'\\');
                let v = ws(ws(after_key) + 1);
                let value_end = match b.get(v) {
                    Some(b'"') => string_end(v + 1),
                    Some(b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
                        let mut j = v;
                        while j < end && !matches!(b[j], b',' | b'}') && !is_ws(b[j]) {
                            j += 1;
                        }
                        j
                    }
                    _ => {
                        self.clear();
                        return;
                    }
                };
                self.bytes.extend_from_slice(&b[run..v]);
                let child = paths.child(at, b, ks, ke, escaped);
                self.members.push(FlatMember {
                    run_end: self.bytes.len() as u32,
                    words: Words::new(&b[run..v]),
                    key_back: (v - ks) as u32,
                    key_len: (ke - ks) as u32 | if escaped { KEY_ESCAPED } else { 0 },
                    child: child.map_or(u32::MAX, |c| c as u32),
                    record: child.is_some() || others_recorded,
                });
                run = value_end;
                i = ws(value_end);
                match b.get(i) {
                    Some(b',') => i = ws(i + 1),
                    Some(b'}') => break,
                    _ => {
                        self.clear();
                        return;
                    }
                }
            }
        }
        if i + 1 != end {
            self.clear();
            return;
        }
        self.bytes.extend_from_slice(&b[run..end]);
        self.end = self.bytes.len() as u32;
        self.end_words = Words::new(&b[run..end]);
        self.depth = depth;
        self.at = at;
        self.learned = true;
    }

    /// Parses the object at the parser's position, at nesting `depth` on trie node `at`,
    /// when it matches: appends its node (with `key_start`, `key_len`) and its recorded
    /// members' nodes, notes the members' trie nodes in `found` when `primary`, and
    /// returns whether it holds a double. `None`: nothing appended, position unchanged.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn parse(
        &self,
        p: &mut Parser<'_, '_>,
        (key_start, key_len): (u32, u32),
        depth: usize,
        at: usize,
        primary: bool,
        found: &mut PathHits,
    ) -> Option<bool> {
        if !self.learned || depth != self.depth || at != self.at {
            return None;
        }
        let b = p.b;
        let start = p.pos;
        let first = p.nodes.len();
        p.nodes.push(Node {
            key_start,
            key_len,
            start: start as u32,
            end: 0,
            next: 0,
        });
        let (mut i, mut from, mut dbl) = (start, 0usize, false);
        let mut ok = true;
        for m in &self.members {
            let run = &self.bytes[from..m.run_end as usize];
            if !run_at(b, i, run, m.words.as_ref()) {
                ok = false;
                break;
            }
            i += run.len();
            from = m.run_end as usize;
            // Not a scalar (a container, or the end) is an error here too.
            p.pos = i;
            let Ok((flag, d)) = p.scalar() else {
                ok = false;
                break;
            };
            dbl |= d;
            if m.record {
                let next = (p.nodes.len() + 1 - p.base) as u32;
                p.nodes.push(Node {
                    key_start: (i as u32).wrapping_sub(m.key_back),
                    key_len: m.key_len,
                    start: i as u32,
                    end: p.pos as u32 | if flag { VALUE_FLAG } else { 0 },
                    next: next | if d { HAS_DOUBLE } else { 0 },
                });
            }
            i = p.pos;
        }
        let run = &self.bytes[from..self.end as usize];
        if !ok || !run_at(b, i, run, self.end_words.as_ref()) {
            p.nodes.truncate(first);
            p.pos = start;
            return None;
        }
        p.pos = i + run.len();
        let next = (p.nodes.len() - p.base) as u32 | if dbl { HAS_DOUBLE } else { 0 };
        let node = &mut p.nodes[first];
        node.end = p.pos as u32;
        node.next = next;
        if primary {
            let mut idx = first + 1 - p.base;
            for m in &self.members {
                if !m.record {
                    continue;
                }
                if let Some(f) = found.get_mut(m.child as usize)
                    && *f == NOT_FOUND
                {
                    *f = idx as u32;
                }
                idx += 1;
            }
        }
        Some(dbl)
    }
}
