//! LSD radix sort of 64-bit keys by a range of their bits, and the buffers of an insert's
//! sort kept from one insert to the next.
//!
//! An insert of a million rows sorts 8 MB of keys through an 8 MB second buffer and
//! returns 4 MB of row numbers. Fresh buffers of that size are new pages to the kernel
//! at every insert (the allocator gives memory back after 100 ms, and inserts come
//! further apart than that): faulting them in and zeroing them cost more than the sort
//! itself (18 ms of system time per million rows against 22 ms of sorting, measured
//! outside the workspace at load 8). One set of buffers ([`SortBuffers`]) is kept for the
//! whole process: an insert takes it, and gives it back when its part is written. An
//! insert that finds it taken (a concurrent one) allocates its own.

use std::sync::Mutex;

/// Bits per pass of [`radix_sort_above`] at most (a 2,048-entry histogram stays in L1).
const RADIX_BITS: u32 = 11;

/// Buffers larger than this many values are not kept (an insert block is at most
/// `max_insert_block_size` rows, about a million).
const MAX_KEPT: usize = 1 << 21;

/// The buffers of one sort: the keys, the radix sort's second buffer and the row numbers
/// it returns.
#[derive(Default)]
pub(crate) struct SortBuffers {
    /// Packed keys.
    pub(crate) keys: Vec<u64>,
    /// The radix sort's other buffer.
    pub(crate) other: Vec<u64>,
    /// Row numbers in sorted order.
    pub(crate) rows: Vec<u32>,
}

/// The process's kept buffers (empty vectors while an insert holds them).
static KEPT: Mutex<SortBuffers> = Mutex::new(SortBuffers {
    keys: Vec::new(),
    other: Vec::new(),
    rows: Vec::new(),
});

impl SortBuffers {
    /// The kept buffers (or empty ones when another insert holds them): `rows` empty,
    /// `keys` and `other` with the last sort's contents (to be overwritten, not cleared:
    /// zeroing them was another pass over 16 MB).
    pub(crate) fn take() -> Self {
        let mut b = match KEPT.lock() {
            Ok(mut kept) => std::mem::take(&mut *kept),
            Err(_) => Self::default(),
        };
        b.rows.clear();
        b
    }

    /// Keeps the key buffers for the next insert (the row numbers are given back
    /// separately, see [`give_back_rows`]).
    pub(crate) fn give_back_keys(keys: Vec<u64>, other: Vec<u64>) {
        if let Ok(mut guard) = KEPT.lock() {
            let kept = &mut *guard;
            for (slot, v) in [(&mut kept.keys, keys), (&mut kept.other, other)] {
                if v.capacity() <= MAX_KEPT && v.capacity() > slot.capacity() {
                    *slot = v;
                }
            }
        }
    }
}

/// Keeps a row-number buffer (a sort's result, once its part is written) for the next
/// insert.
pub(crate) fn give_back_rows(rows: Vec<u32>) {
    if rows.capacity() > MAX_KEPT {
        return;
    }
    if let Ok(mut kept) = KEPT.lock()
        && rows.capacity() > kept.rows.capacity()
    {
        kept.rows = rows;
    }
}

/// Sorts `keys` by their bits `lo..hi` (LSD radix sort, stable): keys built with their
/// row number in the bits below `lo`, in row order, come out sorted by the whole key
/// without sorting the row bits (a stable sort keeps equal keys in row order). Passes
/// whose digit is the same in every key are skipped. About four times faster than a
/// comparison sort of a million keys. `other` is the second buffer (its contents are
/// lost; the two vectors may swap allocations, `keys` holds the result).
pub(crate) fn radix_sort_above(keys: &mut Vec<u64>, other: &mut Vec<u64>, lo: u32, hi: u32) {
    if keys.len() < 2 || hi <= lo || keys.is_sorted() {
        return;
    }
    let passes = (hi - lo).div_ceil(RADIX_BITS);
    let width = (hi - lo).div_ceil(passes);
    // Every place is written by each pass: old contents need no clearing.
    other.resize(keys.len(), 0);
    let mut counts = vec![0usize; 1 << width];
    let mut shift = lo;
    while shift < hi {
        let bits = width.min(hi - shift);
        let mask = (1u64 << bits) - 1;
        let counts = &mut counts[..1 << bits];
        counts.fill(0);
        for &k in keys.iter() {
            counts[((k >> shift) & mask) as usize] += 1;
        }
        if counts.contains(&keys.len()) {
            shift += bits;
            continue;
        }
        let mut next = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = next;
            next += n;
        }
        for &k in keys.iter() {
            let d = ((k >> shift) & mask) as usize;
            other[counts[d]] = k;
            counts[d] += 1;
        }
        std::mem::swap(keys, other);
        shift += bits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_the_bits_above_and_keeps_row_order() {
        // 20-bit row numbers under 25 bits of key with many repeats: two passes.
        let n = 100_000u64;
        let keys: Vec<u64> = (0..n)
            .map(|i| ((i.wrapping_mul(2_654_435_761) % 3_000_000) << 20) | i)
            .collect();
        let mut want = keys.clone();
        want.sort_unstable();
        let mut got = keys.clone();
        let mut other = vec![7u64; 3];
        radix_sort_above(&mut got, &mut other, 20, 45);
        assert_eq!(got, want);
        // Again with the buffers as the first sort left them.
        let mut again = keys;
        radix_sort_above(&mut again, &mut other, 20, 45);
        assert_eq!(again, want);
    }

    #[test]
    fn row_buffers_are_taken_empty() {
        let mut b = SortBuffers::take();
        b.keys.extend([3, 2, 1]);
        SortBuffers::give_back_keys(b.keys, b.other);
        give_back_rows(vec![5, 6]);
        assert!(SortBuffers::take().rows.is_empty());
    }
}
