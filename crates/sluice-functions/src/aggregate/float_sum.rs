//! Float summation in ClickHouse's order, so `sum`/`avg` of `Float64` print ClickHouse's
//! digits when the blocks are the same (as they are over `numbers(N)`, 65409 rows a block).
//!
//! ClickHouse adds a block of floats in 16 interleaved partial sums (row `i` of each run
//! of 16 goes to partial sum `i`), adds the 16 partial sums one after another to the
//! running sum, then the sum of the rows after the last whole run of 16. `sum` adds
//! into its running total that way block by block; `avg` sums each block from zero and
//! adds the block's sum to its numerator. `-If` adds unselected rows of whole runs as
//! `+0.0` and skips them in the tail.

use datafusion::arrow::buffer::BooleanBuffer;

/// Partial sums per block (ClickHouse: 128 bytes of `Float64`).
const LANES: usize = 16;

/// Adds `values` to `sum` in ClickHouse's order.
pub fn add_many(sum: &mut f64, values: &[f64]) {
    let runs = values.chunks_exact(LANES);
    let tail = runs.remainder();
    let mut partial = [0.0f64; LANES];
    for run in runs {
        for (p, v) in partial.iter_mut().zip(run) {
            *p += *v;
        }
    }
    for p in partial {
        *sum += p;
    }
    let mut local = 0.0;
    for v in tail {
        local += *v;
    }
    *sum += local;
}

/// Adds the `values` whose bit in `selected` is set to `sum` in ClickHouse's order
/// (`selected` has one bit per value).
pub fn add_many_selected(sum: &mut f64, values: &[f64], selected: &BooleanBuffer) {
    let whole = values.len() / LANES * LANES;
    let mut partial = [0.0f64; LANES];
    let mut keep = selected.iter();
    for run in values[..whole].chunks_exact(LANES) {
        for (p, v) in partial.iter_mut().zip(run) {
            let k = keep.next().unwrap_or(false);
            *p += if k { *v } else { 0.0 };
        }
    }
    for p in partial {
        *sum += p;
    }
    let mut local = 0.0;
    for (v, k) in values[whole..].iter().zip(keep) {
        if k {
            local += *v;
        }
    }
    *sum += local;
}

/// The sum of `values` from zero in ClickHouse's order (one `avg` block).
pub fn block_sum(values: &[f64]) -> f64 {
    let mut s = 0.0;
    add_many(&mut s, values);
    s
}

/// [`block_sum`] of the selected values.
pub fn block_sum_selected(values: &[f64], selected: &BooleanBuffer) -> f64 {
    let mut s = 0.0;
    add_many_selected(&mut s, values, selected);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaved_order() {
        // 0.1 * i for 40 rows: 16 partial sums over rows 0..32, then rows 32..40.
        let v: Vec<f64> = (0..40).map(|i| i as f64 * 0.1).collect();
        let mut partial = [0.0f64; 16];
        for (i, x) in v[..32].iter().enumerate() {
            partial[i % 16] += *x;
        }
        let mut expect = 1.0;
        for p in partial {
            expect += p;
        }
        let tail: f64 = v[32..].iter().fold(0.0, |a, b| a + b);
        expect += tail;
        let mut got = 1.0;
        add_many(&mut got, &v);
        assert_eq!(got.to_bits(), expect.to_bits());
        let all = BooleanBuffer::from(vec![true; 40]);
        let mut got2 = 1.0;
        add_many_selected(&mut got2, &v, &all);
        assert_eq!(got2.to_bits(), expect.to_bits());
    }

    #[test]
    fn selected_rows_only() {
        let v: Vec<f64> = (0..35).map(|i| i as f64).collect();
        let sel = BooleanBuffer::from((0..35).map(|i| i % 3 == 0).collect::<Vec<_>>());
        let s = block_sum_selected(&v, &sel);
        let expect: f64 = (0..35).filter(|i| i % 3 == 0).map(|i| i as f64).sum();
        assert_eq!(s, expect);
        assert_eq!(block_sum(&[]), 0.0);
    }
}
