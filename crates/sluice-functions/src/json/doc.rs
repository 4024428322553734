//! A parsed document: a row's bytes plus its tape, with the navigation ClickHouse's JSON
//! functions need (member by key, element by 1-based or negative index, lengths, keys) and
//! the value model ClickHouse exposes (`JSONType`'s kinds; integers too big for 64 bits are
//! strings).

use std::borrow::Cow;

use super::number::{Num, classify};
use super::tape::{Node, unescape_into};

/// What a value is, as ClickHouse classifies it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    /// A string, or an integer too big for 64 bits (ClickHouse reports those as strings).
    Str,
    Array,
    Object,
}

/// One path step.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Object member by key.
    Key(Vec<u8>),
    /// 1-based index from the start (positive) or the end (negative); 0 finds nothing.
    Index(i64),
}

/// A valid document: the row bytes and the tape of its values (root at index 0).
#[derive(Clone, Copy)]
pub struct Doc<'a> {
    /// The row.
    pub bytes: &'a [u8],
    /// The tape; indices below are into this slice.
    pub nodes: &'a [Node],
}

impl<'a> Doc<'a> {
    /// The node at `i`.
    #[inline]
    pub fn node(&self, i: usize) -> &'a Node {
        &self.nodes[i]
    }

    /// Raw bytes of value `i`.
    #[inline]
    pub fn raw(&self, i: usize) -> &'a [u8] {
        let n = &self.nodes[i];
        &self.bytes[n.start()..n.end()]
    }

    /// Classifies value `i`.
    pub fn kind(&self, i: usize) -> Kind {
        let n = &self.nodes[i];
        match self.bytes[n.start()] {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            b'"' => Kind::Str,
            b't' => Kind::Bool(true),
            b'f' => Kind::Bool(false),
            b'n' => Kind::Null,
            _ => match classify(self.raw(i), n.flag()) {
                Num::Int(v) => Kind::Int(v),
                Num::UInt(v) => Kind::UInt(v),
                Num::Double(v) => Kind::Double(v),
                Num::Big => Kind::Str,
            },
        }
    }

    /// Whether value `i` is a container.
    #[inline]
    pub fn is_container(&self, i: usize) -> bool {
        matches!(self.bytes[self.nodes[i].start()], b'{' | b'[')
    }

    /// Whether value `i` is an object.
    #[inline]
    pub fn is_object(&self, i: usize) -> bool {
        self.bytes[self.nodes[i].start()] == b'{'
    }

    /// Whether value `i` is an array.
    #[inline]
    pub fn is_array(&self, i: usize) -> bool {
        self.bytes[self.nodes[i].start()] == b'['
    }

    /// Content of a [`Kind::Str`] value (unescaped; big integers give their digits).
    pub fn str_content(&self, i: usize) -> Cow<'a, [u8]> {
        let n = &self.nodes[i];
        let raw = self.raw(i);
        if raw.first() != Some(&b'"') {
            return Cow::Borrowed(raw);
        }
        let body = &raw[1..raw.len() - 1];
        if !n.flag() {
            return Cow::Borrowed(body);
        }
        let mut out = Vec::with_capacity(body.len());
        unescape_into(body, &mut out);
        Cow::Owned(out)
    }

    /// Appends value `i`'s string content to `out` (see [`Doc::str_content`]).
    pub fn push_str_content(&self, i: usize, out: &mut Vec<u8>) {
        let n = &self.nodes[i];
        let raw = self.raw(i);
        if raw.first() != Some(&b'"') {
            out.extend_from_slice(raw);
        } else if !n.flag() {
            out.extend_from_slice(&raw[1..raw.len() - 1]);
        } else {
            unescape_into(&raw[1..raw.len() - 1], out);
        }
    }

    /// Unescaped key of member `i`.
    pub fn key(&self, i: usize) -> Cow<'a, [u8]> {
        let n = &self.nodes[i];
        let (s, e) = n.key_span();
        let raw = &self.bytes[s..e];
        if n.key_escaped() {
            let mut out = Vec::with_capacity(raw.len());
            unescape_into(raw, &mut out);
            Cow::Owned(out)
        } else {
            Cow::Borrowed(raw)
        }
    }

    /// Iterates the children of container `i` (tape indices).
    #[inline]
    pub fn children(&self, i: usize) -> Children<'a> {
        Children {
            nodes: self.nodes,
            cur: i + 1,
            end: self.nodes[i].next(),
        }
    }

    /// Number of children of container `i` (0 for scalars).
    pub fn len(&self, i: usize) -> usize {
        if self.is_container(i) {
            self.children(i).count()
        } else {
            0
        }
    }

    /// Member of object `i` whose key equals `key` (first match, as simdjson).
    pub fn member(&self, i: usize, key: &[u8], case_insensitive: bool) -> Option<usize> {
        if !self.is_object(i) {
            return None;
        }
        for c in self.children(i) {
            let n = &self.nodes[c];
            let (s, e) = n.key_span();
            let raw = &self.bytes[s..e];
            let hit = if n.key_escaped() {
                let k = self.key(c);
                eq_key(&k, key, case_insensitive)
            } else {
                eq_key(raw, key, case_insensitive)
            };
            if hit {
                return Some(c);
            }
        }
        None
    }

    /// Element (array) or member (object) of `i` by 1-based index; negative counts from the
    /// end; 0 or out of range gives `None`.
    pub fn element(&self, i: usize, index: i64) -> Option<usize> {
        if !self.is_container(i) || index == 0 {
            return None;
        }
        if index > 0 {
            self.children(i).nth((index - 1) as usize)
        } else {
            let len = self.len(i) as i64;
            let pos = len + index;
            if pos < 0 {
                None
            } else {
                self.children(i).nth(pos as usize)
            }
        }
    }

    /// Follows `steps` from the root.
    pub fn find(&self, steps: &[StepRef<'_>], case_insensitive: bool) -> Option<usize> {
        let mut cur = 0;
        for s in steps {
            cur = match *s {
                StepRef::Key(k) => self.member(cur, k, case_insensitive)?,
                StepRef::Index(ix) => self.element(cur, ix)?,
            };
        }
        Some(cur)
    }
}

/// A borrowed path step (keys borrowed from the argument columns).
#[derive(Clone, Copy, Debug)]
pub enum StepRef<'s> {
    Key(&'s [u8]),
    Index(i64),
}

impl Step {
    /// Borrows this step.
    pub fn as_ref(&self) -> StepRef<'_> {
        match self {
            Step::Key(k) => StepRef::Key(k),
            Step::Index(i) => StepRef::Index(*i),
        }
    }
}

#[inline]
fn eq_key(a: &[u8], b: &[u8], case_insensitive: bool) -> bool {
    if case_insensitive {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// Iterator over the children of a container.
pub struct Children<'a> {
    nodes: &'a [Node],
    cur: usize,
    end: usize,
}

impl Iterator for Children<'_> {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        if self.cur >= self.end {
            return None;
        }
        let c = self.cur;
        self.cur = self.nodes[c].next();
        Some(c)
    }
}
