//! [`UniquesSet`]: the sampling set of 32-bit hashes behind `uniq` (ClickHouse's
//! `UniquesHashSet`).
//!
//! It keeps only hashes whose low `skip_degree` bits are zero; when more than
//! [`MAX_SIZE`] are kept, the degree goes up by one and the hashes it no longer admits are
//! dropped. Which hashes end up in the set therefore does not depend on the order they
//! arrive in: it is every distinct hash admitted by the smallest degree that keeps at most
//! `MAX_SIZE` of them.
//!
//! Storage is an open-addressing table with linear probing (`0` marks an empty cell; the
//! hash `0` itself is a flag), indexed by the hash's high bits, since the low ones are the
//! sampled ones. Most rows of a large input fail the degree test before any memory access.

/// Most hashes kept before the skip degree goes up.
pub(super) const MAX_SIZE: usize = 1 << 16;

/// Cells of a fresh table (a power of two).
const INITIAL_DEGREE: u32 = 4;

/// The set of hashes kept by `uniq`, with its skip degree.
#[derive(Debug, Clone)]
pub(super) struct UniquesSet {
    skip_degree: u32,
    /// Hash table cells; `0` is empty.
    cells: Vec<u32>,
    /// log2 of `cells.len()`.
    degree: u32,
    /// Whether the hash `0` is in the set (it cannot live in a cell).
    has_zero: bool,
    /// Non-zero hashes in `cells`.
    len: usize,
}

impl Default for UniquesSet {
    fn default() -> Self {
        Self {
            skip_degree: 0,
            cells: vec![0; 1 << INITIAL_DEGREE],
            degree: INITIAL_DEGREE,
            has_zero: false,
            len: 0,
        }
    }
}

impl UniquesSet {
    /// The current skip degree.
    pub(super) fn skip_degree(&self) -> u32 {
        self.skip_degree
    }

    /// Number of hashes kept.
    pub(super) fn len(&self) -> usize {
        self.len + usize::from(self.has_zero)
    }

    /// Bytes held.
    pub(super) fn allocated(&self) -> usize {
        self.cells.capacity() * 4
    }

    /// The hashes kept, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        let zero = self.has_zero.then_some(0u32);
        zero.into_iter()
            .chain(self.cells.iter().copied().filter(|&c| c != 0))
    }

    /// Whether the current degree admits `h`.
    #[inline]
    fn good(&self, h: u32) -> bool {
        // `skip_degree` stays below 32 (see `raise_degree`), so the shift is defined.
        h & ((1u32 << self.skip_degree) - 1) == 0
    }

    /// Adds `h` when the skip degree admits it, raising the degree when the set is full.
    #[inline]
    pub(super) fn insert(&mut self, h: u32) {
        if self.good(h) && self.insert_raw(h) && self.len() > MAX_SIZE {
            self.shrink();
        }
    }

    /// Grows the table for `more` further hashes at once. Hashes arriving in order of
    /// their high bits (a serialized state is sorted; a table is walked in cell order) all
    /// land in the low part of a small table and, probing linearly, pile into one run that
    /// every later insert walks; sized first, the table spreads them over their final cells
    /// (merging two 65536-hash states took 0.1 s, a tenth of `uniq` over 1e8 rows).
    pub(super) fn reserve(&mut self, more: usize) {
        let want = (self.len + more.min(2 * MAX_SIZE)) * 2;
        if want > self.cells.len() {
            let degree = want.next_power_of_two().trailing_zeros().max(self.degree);
            self.rebuild(degree);
        }
    }

    /// Empties the set (degree 0).
    pub(super) fn clear(&mut self) {
        *self = Self::default();
    }

    /// Adopts a higher skip degree (from a state being merged in), dropping what it rejects.
    pub(super) fn raise_to(&mut self, degree: u32) {
        if degree > self.skip_degree {
            self.skip_degree = degree.min(31);
            self.rebuild(self.degree);
        }
    }

    /// Puts `h` in the table whatever the degree; true when it was new.
    #[inline]
    fn insert_raw(&mut self, h: u32) -> bool {
        if h == 0 {
            let new = !self.has_zero;
            self.has_zero = true;
            return new;
        }
        let mask = self.cells.len() - 1;
        let mut i = self.slot(h);
        loop {
            let c = self.cells[i];
            if c == h {
                return false;
            }
            if c == 0 {
                self.cells[i] = h;
                self.len += 1;
                if self.len * 2 > self.cells.len() {
                    self.rebuild(self.degree + 1);
                }
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    /// The home cell of `h`: its high bits (the low ones are mostly zero once sampling).
    #[inline]
    fn slot(&self, h: u32) -> usize {
        (h >> (32 - self.degree)) as usize
    }

    /// Raises the skip degree until at most [`MAX_SIZE`] hashes remain.
    fn shrink(&mut self) {
        while self.len() > MAX_SIZE && self.skip_degree < 31 {
            self.skip_degree += 1;
            self.rebuild(self.degree);
        }
    }

    /// Re-inserts the admitted hashes into a table of `2^degree` cells.
    fn rebuild(&mut self, degree: u32) {
        let old = std::mem::replace(&mut self.cells, vec![0; 1 << degree]);
        self.degree = degree;
        self.len = 0;
        for h in old {
            if h != 0 && self.good(h) {
                let mask = self.cells.len() - 1;
                let mut i = self.slot(h);
                while self.cells[i] != 0 {
                    i = (i + 1) & mask;
                }
                self.cells[i] = h;
                self.len += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{MAX_SIZE, UniquesSet};

    fn xorshift(mut a: u32) -> u32 {
        a ^= a << 13;
        a ^= a >> 17;
        a ^= a << 5;
        a
    }

    /// The reference: all distinct admitted hashes at the smallest degree keeping at most
    /// `MAX_SIZE` of them.
    fn reference(hashes: &[u32]) -> (u32, HashSet<u32>) {
        let all: HashSet<u32> = hashes.iter().copied().collect();
        let mut degree = 0;
        loop {
            let kept: HashSet<u32> = all
                .iter()
                .copied()
                .filter(|h| h & ((1u32 << degree) - 1) == 0)
                .collect();
            if kept.len() <= MAX_SIZE {
                return (degree, kept);
            }
            degree += 1;
        }
    }

    #[test]
    fn keeps_the_admitted_distinct_hashes_in_any_order() {
        let mut a = 0x1234_5678u32;
        let mut hashes: Vec<u32> = (0..400_000)
            .map(|_| {
                a = xorshift(a);
                a % 300_000 * 7919
            })
            .collect();
        hashes.extend([0, 0, 1, u32::MAX]);
        let (degree, kept) = reference(&hashes);
        assert!(degree > 0);
        let mut forward = UniquesSet::default();
        hashes.iter().for_each(|&h| forward.insert(h));
        let mut backward = UniquesSet::default();
        hashes.iter().rev().for_each(|&h| backward.insert(h));
        for set in [forward, backward] {
            assert_eq!(set.skip_degree(), degree);
            assert_eq!(set.len(), kept.len());
            assert_eq!(set.iter().collect::<HashSet<u32>>(), kept);
        }
    }

    #[test]
    fn small_sets_are_exact_and_zero_is_a_member() {
        let mut set = UniquesSet::default();
        for h in [0, 5, 5, 0, 1 << 31, 77] {
            set.insert(h);
        }
        assert_eq!(set.len(), 4);
        assert_eq!(set.skip_degree(), 0);
        let mut got: Vec<u32> = set.iter().collect();
        got.sort_unstable();
        assert_eq!(got, vec![0, 5, 77, 1 << 31]);
        set.raise_to(1);
        let mut got: Vec<u32> = set.iter().collect();
        got.sort_unstable();
        assert_eq!(got, vec![0, 1 << 31]);
        set.clear();
        assert_eq!(set.len(), 0);
        set.insert(8);
        set.reserve(100_000);
        assert_eq!(set.iter().collect::<Vec<u32>>(), vec![8]);
        set.insert(16);
        assert_eq!(set.len(), 2);
    }
}
