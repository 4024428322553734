//! Short runs of bytes compared as two masked little-endian words: the separators and keys
//! between the values of predicted objects (`plan.rs`, `flat.rs`, `template.rs`), which a
//! slice comparison would compare through a `memcmp` call each.

/// A run of at most [`Words::BYTES`] bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Words {
    /// The bytes, zero beyond the run.
    words: [u64; 2],
    /// The bytes of the run.
    mask: [u64; 2],
}

impl Words {
    /// The most bytes a run holds.
    pub(super) const BYTES: usize = 16;

    /// The run `bytes`, when it is short enough.
    pub(super) fn new(bytes: &[u8]) -> Option<Words> {
        if bytes.len() > Self::BYTES {
            return None;
        }
        let mut b = [0u8; Self::BYTES];
        b[..bytes.len()].copy_from_slice(bytes);
        let mut m = [0u8; Self::BYTES];
        m[..bytes.len()].fill(0xFF);
        let word = |a: &[u8; Self::BYTES], j: usize| {
            u64::from_le_bytes(a[8 * j..8 * j + 8].try_into().unwrap_or([0; 8]))
        };
        Some(Words {
            words: [word(&b, 0), word(&b, 1)],
            mask: [word(&m, 0), word(&m, 1)],
        })
    }

    /// Whether `b[i..]` begins with the run, when at least [`Words::BYTES`] bytes are left
    /// there (`None` otherwise: the caller compares the run as a slice).
    #[inline(always)]
    pub(super) fn at(&self, b: &[u8], i: usize) -> Option<bool> {
        let s = b.get(i..i + Self::BYTES)?;
        let w = |j: usize| u64::from_le_bytes(s[8 * j..8 * j + 8].try_into().unwrap_or([0; 8]));
        Some(
            (((w(0) ^ self.words[0]) & self.mask[0]) | ((w(1) ^ self.words[1]) & self.mask[1]))
                == 0,
        )
    }
}

/// Whether `b[i..]` begins with `run`, compared as `words` (the same run when short) where
/// 16 bytes are left, else as a slice.
#[inline(always)]
pub(super) fn run_at(b: &[u8], i: usize, run: &[u8], words: Option<&Words>) -> bool {
    match words.and_then(|w| w.at(b, i)) {
        Some(eq) => eq,
        None => b.get(i..i + run.len()) == Some(run),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Word comparisons give the slice comparison's answer at every place of a document,
    /// for runs of every length up to 16, near the end too.
    #[test]
    fn words_compare_as_slices() {
        let doc = br#"{"before":null,"after":{"id":1},"op":"c","ts_ms":17}"#;
        for s in 0..doc.len() {
            for n in 0..=Words::BYTES.min(doc.len() - s) {
                let run = &doc[s..s + n];
                let w = Words::new(run);
                assert!(w.is_some());
                for i in 0..=doc.len() + 1 {
                    let want = doc.get(i..i + n) == Some(run);
                    assert_eq!(run_at(doc, i, run, w.as_ref()), want, "{s} {n} {i}");
                }
            }
        }
        assert!(Words::new(&doc[..17]).is_none());
    }
}
