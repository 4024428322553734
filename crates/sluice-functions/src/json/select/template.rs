//! Object templates: an object whose members are only validated, as the last document had
//! it, with its numbers left out.
//!
//! A Debezium event's `source` object changes only in its numbers (`ts_ms`, `txId`, `lsn`)
//! from one event to the next. A [`Template`] keeps the object's bytes from a document in
//! which it was valid, split at its numbers. The next document's object matches when its
//! bytes equal the template's runs and a valid number (as [`number_at`] reads it) stands at
//! each place a number stood: the object is then the same valid text with other numbers
//! in the same places, at the same depth, so it is valid, and it holds a double exactly
//! when one of those numbers is one. The runs are compared as byte slices; the numbers
//! are the only tokens scanned.

use super::super::tape::{Parser, is_ws};
use super::words::{Words, run_at};

/// The bytes of a valid object, split at its numbers.
#[derive(Clone, Debug, Default)]
pub(super) struct Template {
    /// The runs of bytes between numbers, concatenated.
    bytes: Vec<u8>,
    /// End of each run in `bytes`; a number follows every run but the last.
    ends: Vec<u32>,
    /// Each run as words, when short.
    words: Vec<Option<Words>>,
    /// Nesting depth of the object in the document it was learned from.
    depth: usize,
    /// Every scalar value is left out, not only the numbers (for objects whose strings
    /// change too: Debezium's `before`).
    values: bool,
}

/// Objects longer than this are not kept.
const MAX_BYTES: usize = 4096;

impl Template {
    /// Learns the valid object `b[start..end]` at nesting `depth`; `false` (and an empty
    /// template) when it is too long.
    pub(super) fn learn(&mut self, b: &[u8], start: usize, end: usize, depth: usize) -> bool {
        let values = self.values;
        self.bytes.clear();
        self.ends.clear();
        self.words.clear();
        self.depth = depth;
        let Some(obj) = b.get(start..end) else {
            return false;
        };
        if obj.len() > MAX_BYTES {
            return false;
        }
        let (mut i, mut run) = (0usize, 0usize);
        while i < obj.len() {
            match obj[i] {
                b'"' => {
                    // A valid string: to the quote that is not escaped.
                    let s = i;
                    i += 1;
                    while i < obj.len() && obj[i] != b'"' {
                        i += if obj[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                    let mut j = i;
                    while j < obj.len() && is_ws(obj[j]) {
                        j += 1;
                    }
                    if values && obj.get(j) != Some(&b':') {
                        // A string value, not a key.
                        self.bytes.extend_from_slice(&obj[run..s]);
                        self.ends.push(self.bytes.len() as u32);
                        run = i;
                    }
                }
                b'-' | b'0'..=b'9' => {
                    self.bytes.extend_from_slice(&obj[run..i]);
                    self.ends.push(self.bytes.len() as u32);
                    while i < obj.len()
                        && matches!(obj[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                    {
                        i += 1;
                    }
                    run = i;
                }
                b't' | b'f' | b'n' if values => {
                    self.bytes.extend_from_slice(&obj[run..i]);
                    self.ends.push(self.bytes.len() as u32);
                    while i < obj.len() && obj[i].is_ascii_lowercase() {
                        i += 1;
                    }
                    run = i;
                }
                _ => i += 1,
            }
        }
        self.bytes.extend_from_slice(&obj[run.min(obj.len())..]);
        self.ends.push(self.bytes.len() as u32);
        let mut from = 0usize;
        for &e in &self.ends {
            self.words.push(Words::new(&self.bytes[from..e as usize]));
            from = e as usize;
        }
        true
    }

    /// Forgets the object (numbers left out again).
    pub(super) fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.words.clear();
        self.values = false;
    }

    /// From now on, every scalar value is left out.
    pub(super) fn leave_out_values(&mut self) {
        self.values = true;
    }

    /// Whether every scalar value is left out.
    pub(super) fn values_left_out(&self) -> bool {
        self.values
    }

    /// When the object at the parser's position, at nesting `depth`, matches: the index
    /// after it and whether it holds a double (the parser's position is then undefined).
    /// Each value left out may be any valid scalar: one stood there in a valid object.
    #[inline]
    pub(super) fn matches(&self, p: &mut Parser<'_, '_>, depth: usize) -> Option<(usize, bool)> {
        let (&last, runs) = self.ends.split_last()?;
        if depth != self.depth {
            return None;
        }
        let b = p.b;
        let (mut i, mut from, mut dbl) = (p.pos, 0usize, false);
        for (j, &e) in runs.iter().enumerate() {
            let run = self.bytes.get(from..e as usize)?;
            if !run_at(b, i, run, self.words.get(j)?.as_ref()) {
                return None;
            }
            i += run.len();
            from = e as usize;
            // Not a scalar (a container, or the end) is an error here too.
            p.pos = i;
            let (_, d) = p.scalar().ok()?;
            dbl |= d;
            i = p.pos;
        }
        let run = self.bytes.get(from..last as usize)?;
        if !run_at(b, i, run, self.words.last()?.as_ref()) {
            return None;
        }
        Some((i + run.len(), dbl))
    }
}
