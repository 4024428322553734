//! The weighted-histogram quantiles that share the `(value, weight)` map of
//! `quantileExactWeighted`: `quantileInterpolatedWeighted`, `quantileBFloat16[Weighted]` and
//! `quantileTimingWeighted`
//! (ClickHouse's algorithms; states in this module's own layout).

use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::super::value::default_value;
use super::{QuantileState, as_f64, from_f64};

/// The value of `x` cut to bfloat16: the top 16 bits of its Float32.
pub(super) fn bfloat16(x: f64) -> f32 {
    f32::from_bits((x as f32).to_bits() & 0xFFFF_0000)
}

/// A stored value as a raw number (dates as days, date-times in their Arrow unit).
fn scalar_f64(v: &ScalarValue) -> Result<f64> {
    Ok(as_f64(&v.to_array()?)?.first().copied().unwrap_or(f64::NAN))
}

impl QuantileState {
    /// The (value, raw number, weight) pairs of the weighted map, by value.
    fn sorted_weighted(&self) -> Result<Vec<(ScalarValue, f64, u64)>> {
        let mut pairs = self
            .weighted
            .values()
            .map(|(v, w)| Ok((v.clone(), scalar_f64(v)?, *w)))
            .collect::<Result<Vec<_>>>()?;
        pairs.sort_by(|a, b| a.1.total_cmp(&b.1));
        Ok(pairs)
    }

    /// `quantileInterpolatedWeighted`: each value sits at its weight's midpoint on the
    /// cumulative weight scale; the level is interpolated linearly between neighbours
    /// (integers truncated, as ClickHouse's integer arithmetic does).
    pub(super) fn interpolated_weighted(&self, level: f64) -> Result<ScalarValue> {
        let pairs = self.sorted_weighted()?;
        let n = pairs.len();
        if n == 0 {
            return default_value(&self.spec.elem);
        }
        let total: f64 = pairs.iter().map(|p| p.2 as f64).sum();
        let mut acc = 0.0;
        let mut pos = Vec::with_capacity(n);
        for p in &pairs {
            acc += p.2 as f64;
            pos.push(if total != 0.0 {
                (acc - 0.5 * p.2 as f64) / total
            } else {
                p.2 as f64
            });
        }
        // The left neighbour: the last point whose successor is at or after the level.
        let idx = if n < 2 {
            0
        } else if level >= pos[n - 2] {
            n - 2
        } else {
            (0..n - 1).find(|&i| level <= pos[i + 1]).unwrap_or(0)
        };
        let (l, u) = (idx, (idx + 1).min(n - 1));
        let (xl, xr) = (pos[l], pos[u]);
        let (mut yl, mut yr) = (pairs[l].1, pairs[u].1);
        if level < xl {
            yr = yl;
        }
        if level > xr {
            yl = yr;
        }
        let dx = if xr - xl == 0.0 { 1.0 } else { xr - xl };
        let mut v = yl + ((yr - yl) / dx) * (level - xl);
        if !matches!(self.spec.arg.base(), ChType::Float32 | ChType::Float64) {
            v = v.trunc();
        }
        from_f64(v, &self.spec.elem)
    }

    /// `quantileTimingWeighted`: the value at index `level · Σweight` (floored, at most the
    /// last) of the weight-expanded sorted values, as `Float32` (NaN when empty).
    pub(super) fn timing_weighted(&self, level: f64) -> Result<ScalarValue> {
        let pairs = self.sorted_weighted()?;
        let total: u64 = pairs.iter().map(|p| p.2).sum();
        if total == 0 {
            return Ok(ScalarValue::Float32(Some(f32::NAN)));
        }
        let index = if level < 1.0 {
            ((level * total as f64) as u64).min(total - 1)
        } else {
            total - 1
        };
        let mut acc = 0u64;
        for p in &pairs {
            acc += p.2;
            if acc > index {
                return Ok(ScalarValue::Float32(Some(p.1 as f32)));
            }
        }
        Ok(ScalarValue::Float32(Some(f32::NAN)))
    }

    /// `quantileBFloat16`: the first cut value whose cumulative weight reaches
    /// `ceil(total * level)`.
    pub(super) fn bfloat16_quantile(&self, level: f64) -> Result<ScalarValue> {
        let pairs = self.sorted_weighted()?;
        let Some(last) = pairs.last() else {
            return if self.spec.elem == ChType::Float64 {
                Ok(ScalarValue::Float64(Some(f64::NAN)))
            } else {
                default_value(&self.spec.elem)
            };
        };
        let total: f64 = pairs.iter().map(|p| p.2 as f64).sum();
        let threshold = (total * level).ceil();
        let mut acc = 0.0;
        let mut chosen = last;
        for p in &pairs {
            acc += p.2 as f64;
            if acc >= threshold {
                chosen = p;
                break;
            }
        }
        if self.spec.elem == ChType::Float64 {
            Ok(ScalarValue::Float64(Some(chosen.1)))
        } else {
            Ok(chosen.0.clone())
        }
    }
}
