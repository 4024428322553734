//! Shape prediction: the members of the previous documents' objects, to read the next
//! document's keys by comparing words instead of scanning them.
//!
//! Consecutive events of one topic (Debezium change events) have the same members in the
//! same order. A [`Shape`] remembers, per object reached through a chain of members from
//! the root (the root, `after`, `source`, …), the raw bytes of each member's `"key":` as
//! the last document had them (up to 32 bytes, unescaped keys only, the colon right after
//! the closing quote), the trie node the key leads to, and, for a member whose value is
//! only validated and was a short string or literal, the bytes of the whole member
//! (`"version":"2.6.0.Final"`).
//!
//! At member `k` of such an object the next document's bytes are compared with slot `k`'s,
//! as up to four 64-bit words under masks:
//!
//! - equal to the whole member: the key and the value are the same tokens as in a document
//!   that was valid up to there, so they are valid, the value needs nothing recorded, and
//!   the parser moves past them;
//! - equal to `"key":`: the key is a string without escapes or control bytes, it ends
//!   there and the colon follows, so only the value is parsed; the key's trie node is the
//!   slot's (it depends only on the key and on the object's trie node, which the object's
//!   shape also remembers);
//! - otherwise the member is read as before (string scan, colon, trie lookup) and slot `k`
//!   learns it.
//!
//! An object whose members are only validated (`source`) is first compared whole with its
//! [`Template`] (`template.rs`): the last document's object with its numbers left out; an
//! object on a path whose members are all scalars (`after`) with its [`Flat`] (`flat.rs`):
//! the runs of bytes between its values, each value parsed and recorded as a scalar.
//!
//! Only bytes are compared, so the verdict and what is recorded never depend on the shape:
//! a wrong prediction costs a comparison, never a different result.

use super::super::tape::{Invalid, KEY_ESCAPED, MAX_DEPTH, PResult, Parser};
use super::PathHits;
use super::PathSet;
use super::flat::Flat;
use super::plan::{Plan, Run};
use super::template::Template;

/// Object shapes and their member slots, learned from the documents parsed with them.
#[derive(Clone, Debug, Default)]
pub struct Shape {
    /// Object shapes; index 0 is the root's (created on first use).
    objects: Vec<ObjShape>,
    /// The [`PathSet::id`] the trie nodes of the slots belong to.
    paths_id: u64,
}

/// The trie context of an object whose members are only validated.
pub(super) const SKIPPED: u32 = u32::MAX;
/// No sub-shape / no trie node.
pub(super) const NONE: u32 = u32::MAX;
/// The most bytes a slot compares.
const SLOT_BYTES: usize = 32;
/// Object shapes kept at most (a document of ever new objects stops learning there).
const MAX_OBJECTS: usize = 256;
/// Member slots kept per object at most.
const MAX_SLOTS: usize = 64;
/// See [`ObjShape::misses`].
const MAX_TEMPLATE_MISSES: u8 = 4;
/// Misses in a row after which a template leaves out every scalar value, not only the
/// numbers.
const VALUES_AFTER_MISSES: u8 = 2;

#[derive(Clone, Debug, Default)]
struct ObjShape {
    /// The trie node of the object ([`SKIPPED`] when its members are only validated); a
    /// different context clears the slots (their trie nodes depend on it).
    ctx: u32,
    slots: Vec<Slot>,
    /// The whole object when its members are only validated (`template.rs`).
    template: Template,
    /// Documents in a row whose object did not match the template; from
    /// [`MAX_TEMPLATE_MISSES`] on, the template is neither tried nor learned again.
    misses: u8,
    /// The whole object when it is on a path and its members are scalars (`flat.rs`).
    flat: Flat,
    /// As `misses`, for `flat`.
    flat_misses: u8,
    /// The members in order when the object is on a path (`plan.rs`).
    plan: Plan,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// The member's first bytes, zero beyond the compared ones.
    words: [u64; 4],
    /// The bytes of `"key":`.
    key_mask: [u64; 4],
    /// The bytes of the whole member (all zero: not predicted whole).
    full_mask: [u64; 4],
    /// Length of `"key":` (0: nothing predicted).
    key_len: u8,
    /// Length of the whole member (0: not predicted whole).
    full_len: u8,
    /// Trie node the key leads to from the object's, or [`NONE`].
    child: u32,
    /// Shape of the value when it is an object, or [`NONE`].
    sub: u32,
}

impl Slot {
    const EMPTY: Slot = Slot {
        words: [0; 4],
        key_mask: [0; 4],
        full_mask: [0; 4],
        key_len: 0,
        full_len: 0,
        child: NONE,
        sub: NONE,
    };
}

/// What slot `k` predicts for the member at the parser's position.
enum Predicted {
    /// The whole member, this many bytes.
    Whole(usize),
    /// `"key":`, this many bytes, and the key's trie node.
    Key(usize, Option<usize>),
    /// Nothing.
    Miss,
}

/// Masks of the first `n` bytes of four words.
#[inline]
fn masks(n: usize) -> [u64; 4] {
    let mut m = [0u64; 4];
    for (j, w) in m.iter_mut().enumerate() {
        let lo = 8 * j;
        *w = if n >= lo + 8 {
            u64::MAX
        } else if n > lo {
            (1u64 << (8 * (n - lo))) - 1
        } else {
            0
        };
    }
    m
}

/// The first `n` bytes at `b[q..]` (`n` ≤ 32) as four little-endian words; bytes past
/// `n` are garbage or zero, bytes past the end zero.
#[inline(always)]
fn words_at(b: &[u8], q: usize, n: usize) -> [u64; 4] {
    match b.get(q..q + SLOT_BYTES) {
        Some(s) => {
            let w = |j: usize| u64::from_le_bytes(s[8 * j..8 * j + 8].try_into().unwrap_or([0; 8]));
            [w(0), w(1), w(2), w(3)]
        }
        None => tail_words(b, q, n),
    }
}

/// [`words_at`] within 32 bytes of the end (the last members of a document).
#[inline(never)]
fn tail_words(b: &[u8], q: usize, _n: usize) -> [u64; 4] {
    let mut buf = [0u8; SLOT_BYTES];
    let tail = b.get(q..).unwrap_or(&[]);
    let n = tail.len().min(SLOT_BYTES);
    buf[..n].copy_from_slice(&tail[..n]);
    let w = |j: usize| u64::from_le_bytes(buf[8 * j..8 * j + 8].try_into().unwrap_or([0; 8]));
    [w(0), w(1), w(2), w(3)]
}

#[inline(always)]
fn masked_eq(d: &[u64; 4], m: &[u64; 4]) -> bool {
    ((d[0] & m[0]) | (d[1] & m[1]) | (d[2] & m[2]) | (d[3] & m[3])) == 0
}

impl Shape {
    /// A shape that has learned nothing yet.
    pub fn new() -> Self {
        Shape::default()
    }

    /// The root's shape index, for a parse with the paths whose [`PathSet::id`] is
    /// `paths_id` (what was learned with other paths is forgotten).
    #[inline]
    pub(super) fn root(&mut self, paths_id: u64) -> u32 {
        if self.paths_id != paths_id {
            self.objects.clear();
            self.paths_id = paths_id;
        }
        if self.objects.is_empty() {
            self.objects.push(ObjShape::default());
        }
        0
    }

    /// Enters object shape `oi` in trie context `ctx`: its slots are cleared when they
    /// were learned in another one.
    #[inline(always)]
    fn enter(&mut self, oi: usize, ctx: u32) {
        if let Some(o) = self.objects.get_mut(oi)
            && o.ctx != ctx
        {
            o.ctx = ctx;
            o.slots.clear();
            o.plan.clear();
        }
    }

    /// The shape of the object value of slot `k` of object `oi` (made on first use), or
    /// [`NONE`] when there is no such slot or no room.
    pub(super) fn sub(&mut self, oi: u32, k: usize) -> u32 {
        let n = self.objects.len();
        let Some(slot) = self
            .objects
            .get_mut(oi as usize)
            .and_then(|o| o.slots.get_mut(k))
        else {
            return NONE;
        };
        if slot.key_len == 0 {
            return NONE;
        }
        if slot.sub != NONE {
            return slot.sub;
        }
        if n >= MAX_OBJECTS {
            return NONE;
        }
        slot.sub = n as u32;
        self.objects.push(ObjShape::default());
        n as u32
    }

    /// [`Shape::sub`] when the value at the parser's position is an object, else [`NONE`].
    #[inline(always)]
    pub(super) fn sub_for(&mut self, p: &Parser<'_, '_>, oi: u32, k: usize) -> u32 {
        if p.b.get(p.pos) == Some(&b'{') {
            self.sub(oi, k)
        } else {
            NONE
        }
    }

    /// What slot `k` of object `oi` predicts for the member whose opening quote is `b[q]`.
    #[inline(always)]
    fn predict(&mut self, oi: usize, k: usize, b: &[u8], q: usize) -> Predicted {
        let Some(s) = self.objects.get_mut(oi).and_then(|o| o.slots.get_mut(k)) else {
            return Predicted::Miss;
        };
        if s.key_len == 0 {
            return Predicted::Miss;
        }
        let w = words_at(b, q, usize::from(s.key_len.max(s.full_len)));
        let d = [
            w[0] ^ s.words[0],
            w[1] ^ s.words[1],
            w[2] ^ s.words[2],
            w[3] ^ s.words[3],
        ];
        if s.full_len != 0 {
            if masked_eq(&d, &s.full_mask) {
                return Predicted::Whole(usize::from(s.full_len));
            }
            // The value changed: predict only the key from now on.
            s.full_len = 0;
            s.full_mask = [0; 4];
        }
        if masked_eq(&d, &s.key_mask) {
            let child = (s.child != NONE).then_some(s.child as usize);
            return Predicted::Key(usize::from(s.key_len), child);
        }
        Predicted::Miss
    }

    /// Slot `k` of object `oi` learns the member `"key":` at `b[q..q + key_len]` (an
    /// unescaped key, the colon right after it) leading to trie node `child`. A slot that
    /// already holds this key keeps its sub-shape.
    fn learn_key(&mut self, oi: usize, k: usize, b: &[u8], q: usize, key_len: usize, child: u32) {
        let Some(o) = self.objects.get_mut(oi) else {
            return;
        };
        if k > o.slots.len() || k >= MAX_SLOTS {
            return;
        }
        if k == o.slots.len() {
            o.slots.push(Slot::EMPTY);
        }
        let s = &mut o.slots[k];
        if key_len > SLOT_BYTES {
            // Not predicted; the sub-shape is kept for the next key learned here.
            let sub = s.sub;
            *s = Slot { sub, ..Slot::EMPTY };
            self.clear(sub);
            return;
        }
        let key_mask = masks(key_len);
        let w = words_at(b, q, key_len);
        let words = [
            w[0] & key_mask[0],
            w[1] & key_mask[1],
            w[2] & key_mask[2],
            w[3] & key_mask[3],
        ];
        let same =
            s.key_len as usize == key_len && (0..4).all(|j| s.words[j] & s.key_mask[j] == words[j]);
        if same && s.child == child {
            return;
        }
        let sub = s.sub;
        // Another key: its object value has another shape.
        self.clear(sub);
        self.objects[oi].slots[k] = Slot {
            words,
            key_mask,
            full_mask: [0; 4],
            key_len: key_len as u8,
            full_len: 0,
            child,
            sub,
        };
    }

    /// Forgets the slots of object shape `oi` (if any).
    fn clear(&mut self, oi: u32) {
        if let Some(o) = self.objects.get_mut(oi as usize) {
            o.slots.clear();
            o.template.clear();
            o.misses = 0;
            o.flat.clear();
            o.flat_misses = 0;
            o.plan.clear();
        }
    }

    /// Parses the object at the parser's position with the flat template of object shape
    /// `oi` ([`Flat::parse`]); `Err(learn)` when it does not match (nothing recorded),
    /// `learn` telling whether the template is to learn this document's object.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(super) fn try_flat(
        &mut self,
        oi: u32,
        p: &mut Parser<'_, '_>,
        key: (u32, u32),
        depth: usize,
        at: usize,
        primary: bool,
        found: &mut PathHits,
    ) -> Result<bool, bool> {
        let Some(o) = self.objects.get_mut(oi as usize) else {
            return Err(false);
        };
        if o.flat_misses >= MAX_TEMPLATE_MISSES {
            return Err(false);
        }
        match o.flat.parse(p, key, depth, at, primary, found) {
            Some(dbl) => {
                o.flat_misses = 0;
                Ok(dbl)
            }
            None => {
                o.flat_misses += 1;
                Err(true)
            }
        }
    }

    /// The flat template of object shape `oi` learns the object `b[span]` ([`Flat::learn`]).
    pub(super) fn learn_flat(
        &mut self,
        oi: u32,
        b: &[u8],
        span: (usize, usize),
        depth: usize,
        trie: (&PathSet, usize),
        others_recorded: bool,
    ) {
        if let Some(o) = self.objects.get_mut(oi as usize) {
            o.flat.learn(b, span, depth, trie, others_recorded);
        }
    }

    /// Slot `k` of object `oi` (which holds the member's key) learns the whole member
    /// `b[q..end]`, a key and a value that is only validated.
    fn learn_whole(&mut self, oi: usize, k: usize, b: &[u8], q: usize, end: usize) {
        let Some(s) = self.objects.get_mut(oi).and_then(|o| o.slots.get_mut(k)) else {
            return;
        };
        let n = end - q;
        if s.key_len == 0 || n > SLOT_BYTES {
            return;
        }
        let full_mask = masks(n);
        let w = words_at(b, q, n);
        for j in 0..4 {
            s.words[j] = w[j] & full_mask[j];
        }
        s.full_mask = full_mask;
        s.full_len = n as u8;
    }

    /// The number of object shapes whose plan is tried (for tests).
    #[cfg(test)]
    pub(crate) fn planned(&self) -> usize {
        self.objects.iter().filter(|o| o.plan.active()).count()
    }

    /// Enters object shape `oi` in trie context `at` and returns its plan's member `k` when
    /// the plan is to be tried (`plan.rs`).
    #[inline(always)]
    pub(super) fn plan_run(&mut self, oi: u32, at: usize, k: usize) -> Option<Run> {
        let o = self.objects.get_mut(oi as usize)?;
        if k == 0 {
            if o.ctx != at as u32 {
                o.ctx = at as u32;
                o.slots.clear();
                o.plan.clear();
                return None;
            }
            if !o.plan.active() {
                return None;
            }
        }
        o.plan.run(k)
    }

    /// Number of members the plan of object shape `oi` holds.
    #[inline(always)]
    pub(super) fn plan_len(&self, oi: u32) -> usize {
        self.objects.get(oi as usize).map_or(0, |o| o.plan.len())
    }

    /// The shape of planned member `k`'s object value (made on first use, as
    /// [`Shape::sub`]).
    #[inline]
    pub(super) fn plan_sub(&mut self, oi: u32, k: usize, run: &Run) -> u32 {
        if run.sub != NONE {
            return run.sub;
        }
        let sub = self.sub(oi, k);
        if let Some(o) = self.objects.get_mut(oi as usize) {
            o.plan.set_sub(k, sub);
        }
        sub
    }

    /// Notes whether the object of shape `oi` followed its plan to the end; `true` when
    /// the plan is to be built again after a miss.
    #[inline]
    pub(super) fn note_plan(&mut self, oi: u32, hit: bool) -> bool {
        match self.objects.get_mut(oi as usize) {
            Some(o) => {
                o.plan.note(hit);
                !hit && o.plan.learning()
            }
            None => false,
        }
    }

    /// Builds the plan of object shape `oi` from its first `n` member slots, as the
    /// member-wise parse of a document's object with `n` members left them: nothing is
    /// planned when a slot predicts no key or its run is too long.
    pub(super) fn learn_plan(&mut self, oi: u32, n: usize) {
        let Some(o) = self.objects.get_mut(oi as usize) else {
            return;
        };
        o.plan.start();
        if n == 0 || n > o.slots.len() {
            return;
        }
        for (k, s) in o.slots[..n].iter().enumerate() {
            let key = [s.words[0] & s.key_mask[0], s.words[1] & s.key_mask[1]];
            let sep = if k == 0 { b'{' } else { b',' };
            if s.key_len == 0
                || !o
                    .plan
                    .push(sep, key, usize::from(s.key_len), s.child, s.sub)
            {
                o.plan.start();
                return;
            }
        }
    }
}

/// How an object's members are parsed by [`object_shaped`]'s caller.
pub(super) struct Members<'s> {
    /// The trie, and the object's node in it (`None`: the members are only validated).
    pub paths: &'s PathSet,
    pub at: Option<usize>,
    /// Members whose key is no next step are only validated (their whole member may be
    /// predicted).
    pub others_skipped: bool,
}

/// Parses the object at the parser's position (its depth checked by the caller) with shape
/// `oi`, from member `from` on: the parser is at the opening brace when `from` is 0, else
/// at member `from`'s first byte (after a comma and whitespace; the members before it were
/// read by the caller). `member(p, shape, key_start, key_len, trie child, slot)` parses a
/// member's value (its slot is `(oi, slot)` for [`Shape::sub`]) and returns whether it
/// holds a double. Returns whether a member held a double and the number of members.
#[inline(always)]
pub(super) fn object_shaped(
    p: &mut Parser<'_, '_>,
    shape: &mut Shape,
    oi: u32,
    how: &Members<'_>,
    depth: usize,
    from: usize,
    mut member: impl FnMut(
        &mut Parser<'_, '_>,
        &mut Shape,
        u32,
        u32,
        Option<usize>,
        usize,
    ) -> PResult<bool>,
) -> PResult<(bool, usize)> {
    if from == 0 {
        let ctx = how.at.map_or(SKIPPED, |a| a as u32);
        shape.enter(oi as usize, ctx);
        p.pos += 1;
        p.skip_ws();
        if p.peek()? == b'}' {
            p.pos += 1;
            return Ok((false, 0));
        }
    }
    let mut k = from;
    let o = oi as usize;
    let whole_ok = depth < MAX_DEPTH;
    let mut dbl = false;
    loop {
        let q = p.pos;
        if p.b.get(q) != Some(&b'"') {
            return Err(Invalid);
        }
        match shape.predict(o, k, p.b, q) {
            Predicted::Whole(n) if whole_ok => p.pos = q + n,
            Predicted::Key(n, child) => {
                p.pos = q + n;
                p.skip_ws();
                dbl |= member(p, shape, q as u32 + 1, (n - 3) as u32, child, k)?;
            }
            _ => {
                let escaped = p.string()?;
                let key_start = q as u32 + 1;
                let key_end = p.pos - 1;
                let key_len = (key_end as u32 - key_start) | if escaped { KEY_ESCAPED } else { 0 };
                let compact = p.b.get(p.pos) == Some(&b':');
                if compact {
                    p.pos += 1;
                    p.skip_ws();
                } else {
                    p.colon()?;
                }
                let child = match how.at {
                    Some(at) => how
                        .paths
                        .child(at, p.b, key_start as usize, key_end, escaped),
                    None => None,
                };
                let v = p.pos;
                if compact && !escaped {
                    let c = child.map_or(NONE, |c| c as u32);
                    shape.learn_key(o, k, p.b, q, key_end + 2 - q, c);
                } else {
                    shape.learn_key(o, k, p.b, q, SLOT_BYTES + 1, NONE);
                }
                dbl |= member(p, shape, key_start, key_len, child, k)?;
                if child.is_none()
                    && how.others_skipped
                    && compact
                    && !escaped
                    && v == key_end + 2
                    && matches!(p.b.get(v), Some(b'"' | b't' | b'f' | b'n'))
                    && p.pos - q <= SLOT_BYTES
                    && !p.b[v..p.pos].contains(&b'\\')
                {
                    shape.learn_whole(o, k, p.b, q, p.pos);
                }
            }
        }
        k += 1;
        if p.closes(b'}')? {
            return Ok((dbl, k));
        }
    }
}

/// Validates the value at the parser's position at `depth`, recording nothing; an object
/// is parsed with shape `oi` (when not [`NONE`]).
pub(super) fn skip_shaped(
    p: &mut Parser<'_, '_>,
    shape: &mut Shape,
    oi: u32,
    paths: &PathSet,
    depth: usize,
) -> PResult<bool> {
    if oi == NONE || p.b.get(p.pos) != Some(&b'{') {
        return p.child_as::<false>(0, 0, depth);
    }
    if depth > MAX_DEPTH {
        return Err(Invalid);
    }
    let start = p.pos;
    let o = oi as usize;
    let learn = match shape.objects.get_mut(o) {
        Some(obj) if obj.misses < MAX_TEMPLATE_MISSES => {
            if let Some((end, dbl)) = obj.template.matches(p, depth) {
                obj.misses = 0;
                p.pos = end;
                return Ok(dbl);
            }
            p.pos = start;
            obj.misses += 1;
            if obj.misses >= VALUES_AFTER_MISSES && !obj.template.values_left_out() {
                // Its strings or literals change too: leave every value out.
                obj.template.leave_out_values();
            }
            true
        }
        _ => false,
    };
    let how = Members {
        paths,
        at: None,
        others_skipped: true,
    };
    let (dbl, _) = object_shaped(p, shape, oi, &how, depth, 0, |p, shape, _, _, _, k| {
        skip_member(p, shape, oi, k, paths, depth + 1)
    })?;
    if learn && let Some(obj) = shape.objects.get_mut(o) {
        obj.template.learn(p.b, start, p.pos, depth);
    }
    Ok(dbl)
}

/// Validates the value of member `k` of an object with shape `oi`, recording nothing: an
/// object recursively with its slot's shape, anything else inline.
#[inline(always)]
pub(super) fn skip_member(
    p: &mut Parser<'_, '_>,
    shape: &mut Shape,
    oi: u32,
    k: usize,
    paths: &PathSet,
    depth: usize,
) -> PResult<bool> {
    let sub = shape.sub_for(p, oi, k);
    skip_shaped(p, shape, sub, paths, depth)
}
