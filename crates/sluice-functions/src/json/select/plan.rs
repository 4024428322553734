//! Member plans: an object on a path whose members came in the same order, with the same
//! keys, as in the last documents (Debezium's root: `before`, `after`, `source`, `op`,
//! `ts_ms`), read by comparing each member's separator and key as two words.
//!
//! A [`Plan`] holds, per member of the object as the last document had it, the run of
//! bytes from the end of the value before (or the object's opening brace) to the member's
//! value: `{"before":`, `,"after":`, …, at most 16 bytes (`words.rs`), with the key's trie
//! node and the shape of its object value. It is built from the object's member slots
//! (`shape.rs`) after the object was read member-wise, when every member's slot holds its
//! `"key":` (an unescaped key, the colon right after it) and every run fits, with a comma
//! (or the brace) right before each key: an object with whitespace there fails the next
//! comparison and is read member-wise. The plan is tried before the slots: at member `k`
//! the document's next 16 bytes are compared with run `k` under a mask; equal means the
//! previous value is followed by a comma (or the object opens), then a key string without
//! escapes or control bytes, then the colon, so the member's value is parsed at once by
//! the caller's member handler (the one the member-wise loop calls with the same key and
//! trie node). After the last run's value the closing brace must follow.
//!
//! A run that differs ends the plan at that member: the caller goes on member-wise from
//! there (from the object's start for the first), so a plan costs at most one comparison
//! and never changes what is validated or recorded.

use super::super::tape::Parser;
use super::words::Words;

/// Planned members of one object shape.
#[derive(Clone, Debug, Default)]
pub(super) struct Plan {
    runs: Vec<Run>,
    /// Documents in a row whose object did not follow the plan to its end; from
    /// [`MAX_MISSES`] on, the plan is neither tried nor built again.
    misses: u8,
}

/// One planned member.
#[derive(Clone, Copy, Debug)]
pub(super) struct Run {
    /// The separator and `"key":`.
    words: Words,
    /// Bytes in the run (4 to 16).
    pub len: u32,
    /// The key's raw length.
    pub key_len: u32,
    /// The key's trie node, or `u32::MAX`.
    pub child: u32,
    /// Shape of the value when it is an object, or `u32::MAX` (not made yet).
    pub sub: u32,
}

/// The most members planned.
const MAX_RUNS: usize = 32;
/// See [`Plan::misses`].
const MAX_MISSES: u8 = 4;

impl Plan {
    /// Forgets the members (and the misses).
    pub(super) fn clear(&mut self) {
        self.runs.clear();
        self.misses = 0;
    }

    /// Whether the plan is to be tried.
    #[inline(always)]
    pub(super) fn active(&self) -> bool {
        !self.runs.is_empty() && self.misses < MAX_MISSES
    }

    /// Whether a miss or a missing plan is to be followed by building it again.
    #[inline]
    pub(super) fn learning(&self) -> bool {
        self.misses < MAX_MISSES
    }

    /// Notes whether the object followed the plan to its end.
    #[inline(always)]
    pub(super) fn note(&mut self, hit: bool) {
        if hit {
            self.misses = 0;
        } else {
            self.misses = self.misses.saturating_add(1);
        }
    }

    /// Number of planned members.
    #[inline(always)]
    pub(super) fn len(&self) -> usize {
        self.runs.len()
    }

    /// Planned member `k`, if any.
    #[inline(always)]
    pub(super) fn run(&self, k: usize) -> Option<Run> {
        self.runs.get(k).copied()
    }

    /// Remembers the shape of planned member `k`'s object value.
    pub(super) fn set_sub(&mut self, k: usize, sub: u32) {
        if let Some(r) = self.runs.get_mut(k) {
            r.sub = sub;
        }
    }

    /// Starts building the plan again (the misses are kept).
    pub(super) fn start(&mut self) {
        self.runs.clear();
    }

    /// Appends the member whose `"key":` bytes are the first `key_len` bytes of `key`
    /// (little-endian words), after `sep` (`{` for the first member, `,` for the others);
    /// `false` (and no plan) when the run is longer than [`Words::BYTES`] or there are too
    /// many members.
    pub(super) fn push(
        &mut self,
        sep: u8,
        key: [u64; 2],
        key_len: usize,
        child: u32,
        sub: u32,
    ) -> bool {
        let len = key_len + 1;
        if !(4..=Words::BYTES).contains(&len) || self.runs.len() >= MAX_RUNS {
            self.runs.clear();
            return false;
        }
        let mut run = [0u8; Words::BYTES];
        run[0] = sep;
        run[1..9].copy_from_slice(&key[0].to_le_bytes());
        run[9..].copy_from_slice(&key[1].to_le_bytes()[..7]);
        let Some(words) = Words::new(&run[..len]) else {
            self.runs.clear();
            return false;
        };
        self.runs.push(Run {
            words,
            len: len as u32,
            key_len: (key_len - 3) as u32,
            child,
            sub,
        });
        true
    }
}

impl Run {
    /// Whether the document's bytes at `p.b[i..]` begin with this run (`false` within
    /// [`Words::BYTES`] of the end: that member is then read member-wise).
    #[inline(always)]
    pub(super) fn matches(&self, p: &Parser<'_, '_>, i: usize) -> bool {
        self.words.at(p.b, i) == Some(true)
    }
}
