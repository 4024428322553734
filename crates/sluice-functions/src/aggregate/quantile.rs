//! The quantile family: `quantile`/`quantiles`/`median` (reservoir sampling with linear
//! interpolation), `quantileDeterministic`, `quantileExact`/`quantilesExact`/`medianExact`,
//! `quantileExactWeighted`/`quantilesExactWeighted`/`medianExactWeighted`,
//! `quantileTiming`/`quantilesTiming`/`medianTiming`, `quantileTDigest`/
//! `quantilesTDigest`/`medianTDigest`, `quantile[s]InterpolatedWeighted`,
//! `quantile[s]BFloat16[Weighted]`. The level parameter defaults to 0.5.
//!
//! Differences from ClickHouse, documented: the reservoir keeps the first 8192 values
//! exactly as ClickHouse's does (identical results up to 8192 rows); past that it samples
//! with its own deterministic generator (ClickHouse's own results there depend on thread
//! scheduling). `quantileTiming` is exact (ClickHouse switches to a 16 ms histogram above
//! 5670 values). `quantileTDigest` follows ClickHouse's t-digest (Float32 centroids,
//! epsilon 0.01, compression every 2048 values); results over many rows may differ in the
//! last digits when DataFusion splits the input differently.
//!
//! States use this module's own layouts (ClickHouse's sampler/digest layouts are not
//! reproduced): a `VarUInt` count then the values (`Float64`, or `RowBinary` for the exact
//! family; value + `UInt64` weight pairs for the weighted one; mean/count `Float32` pairs
//! for the t-digest).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::{self, SortOptions};
use datafusion::arrow::datatypes::{DataType, Float64Type, UInt64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::{Reader, write_var_uint};
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
use super::value::{default_value, list_scalar, read_value, scalars_to_array, write_value};
use crate::{ch_bail, impl_as_any};

mod weighted;

use weighted::bfloat16;

const RESERVOIR: usize = 8192;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algo {
    Reservoir,
    Exact,
    ExactWeighted,
    Timing,
    TDigest,
    /// ClickHouse's weighted-percentile interpolation over (value, weight) pairs.
    InterpolatedWeighted,
    /// A histogram of the values cut to bfloat16 (the top 16 bits of their Float32).
    BFloat16,
}

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    let def = |name, build| BaseDef {
        name,
        aliases: &[],
        case_insensitive: false,
        nulls: NullMode::Skip,
        build,
    };
    vec![
        def("quantile", build_q),
        def("quantiles", build_q),
        def("median", build_q),
        def("quantileDeterministic", build_q),
        def("quantilesDeterministic", build_q),
        def("medianDeterministic", build_q),
        def("quantileExact", build_q),
        def("quantilesExact", build_q),
        def("medianExact", build_q),
        def("quantileExactWeighted", build_q),
        def("quantilesExactWeighted", build_q),
        def("medianExactWeighted", build_q),
        def("quantileTiming", build_q),
        def("quantilesTiming", build_q),
        def("medianTiming", build_q),
        def("quantileTDigest", build_q),
        def("quantilesTDigest", build_q),
        def("medianTDigest", build_q),
        def("quantileTimingWeighted", build_q),
        def("quantilesTimingWeighted", build_q),
        def("medianTimingWeighted", build_q),
        def("quantileTDigestWeighted", build_q),
        def("quantilesTDigestWeighted", build_q),
        def("medianTDigestWeighted", build_q),
        def("quantileInterpolatedWeighted", build_q),
        def("quantilesInterpolatedWeighted", build_q),
        def("medianInterpolatedWeighted", build_q),
        def("quantileBFloat16", build_q),
        def("quantilesBFloat16", build_q),
        def("medianBFloat16", build_q),
        def("quantileBFloat16Weighted", build_q),
        def("quantilesBFloat16Weighted", build_q),
        def("medianBFloat16Weighted", build_q),
    ]
}

fn build_q(b: &BuildArgs) -> Result<AggFuncRef> {
    let name = b.name;
    let multi = name.starts_with("quantiles");
    let stem = name
        .trim_start_matches("quantiles")
        .trim_start_matches("quantile")
        .trim_start_matches("median");
    let algo = match stem {
        "" | "Deterministic" => Algo::Reservoir,
        "Exact" => Algo::Exact,
        "ExactWeighted" => Algo::ExactWeighted,
        "Timing" | "TimingWeighted" => Algo::Timing,
        "InterpolatedWeighted" => Algo::InterpolatedWeighted,
        "BFloat16" | "BFloat16Weighted" => Algo::BFloat16,
        _ => Algo::TDigest,
    };
    let weighted = matches!(
        stem,
        "ExactWeighted"
            | "InterpolatedWeighted"
            | "BFloat16Weighted"
            | "TimingWeighted"
            | "TDigestWeighted"
    );
    let nargs = if stem == "Deterministic" || weighted {
        2
    } else {
        1
    };
    b.expect_args(nargs)?;
    let mut levels = Vec::new();
    for p in b.params {
        match p.as_f64() {
            Some(l) if (0.0..=1.0).contains(&l) => levels.push(l),
            _ => ch_bail!(
                ARGUMENT_OUT_OF_BOUND,
                "Quantile level is out of range [0..1]"
            ),
        }
    }
    if name.starts_with("median") && !levels.is_empty() {
        b.no_params()?;
    }
    if levels.is_empty() {
        levels.push(0.5);
    }
    if !multi && levels.len() > 1 {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Aggregate function {name} requires one level parameter or less"
        );
    }
    let t = b.args[0].clone();
    let numeric = matches!(
        t,
        ChType::UInt8
            | ChType::UInt16
            | ChType::UInt32
            | ChType::UInt64
            | ChType::Int8
            | ChType::Int16
            | ChType::Int32
            | ChType::Int64
            | ChType::Float32
            | ChType::Float64
            | ChType::Bool
    );
    let temporal = matches!(
        t,
        ChType::Date | ChType::Date32 | ChType::DateTime(_) | ChType::DateTime64(..)
    );
    if !numeric && !temporal && !matches!(t, ChType::Decimal { .. }) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument for aggregate function {name}"
        );
    }
    if algo == Algo::BFloat16 && matches!(t, ChType::Decimal { .. }) {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument for aggregate function {name}"
        );
    }
    if weighted
        && !matches!(
            b.args[1].base(),
            ChType::UInt8
                | ChType::UInt16
                | ChType::UInt32
                | ChType::UInt64
                | ChType::Int8
                | ChType::Int16
                | ChType::Int32
                | ChType::Int64
        )
    {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {} of argument for aggregate function {name}",
            b.args[1]
        );
    }
    let elem = match algo {
        Algo::Exact | Algo::ExactWeighted | Algo::InterpolatedWeighted => t.clone(),
        Algo::BFloat16 if temporal => t.clone(),
        Algo::BFloat16 => ChType::Float64,
        Algo::Timing => ChType::Float32,
        Algo::Reservoir if temporal => t.clone(),
        Algo::TDigest if temporal => t.clone(),
        Algo::Reservoir => ChType::Float64,
        Algo::TDigest => ChType::Float32,
    };
    let ret = if multi {
        ChType::Array(Box::new(elem.clone()))
    } else {
        elem.clone()
    };
    let spec = Arc::new(Spec {
        algo,
        levels,
        multi,
        weighted,
        arg: t,
        elem,
    });
    Ok(AggFunc::new(
        b.full_name(),
        b.args.to_vec(),
        ret,
        move || {
            Box::new(QuantileState {
                spec: Arc::clone(&spec),
                values: Vec::new(),
                seen: 0,
                chunks: Vec::new(),
                weighted: HashMap::new(),
                digest: Digest::default(),
            })
        },
    ))
}

#[derive(Debug)]
struct Spec {
    algo: Algo,
    levels: Vec<f64>,
    multi: bool,
    /// The call has a weight argument.
    weighted: bool,
    arg: ChType,
    elem: ChType,
}

/// Raw numbers of a column as `f64` (dates as days, date-times in their Arrow unit,
/// decimals as values).
fn as_f64(a: &ArrayRef) -> Result<Vec<f64>> {
    let a = match a.data_type() {
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => {
            compute::cast(&compute::cast(a, &DataType::Int64)?, &DataType::Float64)?
        }
        DataType::Float64 => Arc::clone(a),
        _ => compute::cast(a, &DataType::Float64)?,
    };
    Ok(a.as_primitive::<Float64Type>().values().to_vec())
}

/// A raw number back as a value of the argument's Arrow type.
fn from_f64(v: f64, t: &ChType) -> Result<ScalarValue> {
    Ok(match t.to_arrow() {
        DataType::Float64 => ScalarValue::Float64(Some(v)),
        DataType::Float32 => ScalarValue::Float32(Some(v as f32)),
        dt @ (DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)) => {
            ScalarValue::Int64(Some(v as i64))
                .cast_to(&DataType::Int64)
                .and_then(|s| {
                    let arr = s.to_array()?;
                    let arr = if dt == DataType::Date32 {
                        compute::cast(&arr, &DataType::Int32)?
                    } else {
                        arr
                    };
                    ScalarValue::try_from_array(&compute::cast(&arr, &dt)?, 0)
                })?
        }
        dt => ScalarValue::Float64(Some(v)).cast_to(&dt)?,
    })
}

/// ClickHouse's index for exact quantiles: `level * n` (floored), or the last element.
fn exact_index(level: f64, n: usize) -> usize {
    if level < 1.0 {
        ((level * n as f64) as usize).min(n - 1)
    } else {
        n - 1
    }
}

fn interpolated(sorted: &[f64], level: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let n = sorted.len();
    let index = (level * (n - 1) as f64).clamp(0.0, (n - 1) as f64);
    let left = index as usize;
    let right = left + 1;
    if right == n {
        return sorted[left];
    }
    let lc = right as f64 - index;
    let rc = index - left as f64;
    sorted[left] * lc + sorted[right] * rc
}

#[derive(Debug)]
struct QuantileState {
    spec: Arc<Spec>,
    /// Reservoir / timing values.
    values: Vec<f64>,
    /// Rows offered to the reservoir.
    seen: u64,
    /// Exact family: the collected columns.
    chunks: Vec<ArrayRef>,
    /// Weighted family: value encoding → (value, weight).
    weighted: HashMap<Vec<u8>, (ScalarValue, u64)>,
    digest: Digest,
}

impl QuantileState {
    fn offer(&mut self, v: f64) {
        self.seen += 1;
        if self.values.len() < RESERVOIR {
            self.values.push(v);
        } else {
            // Deterministic reservoir step (splitmix64 of the row number).
            let mut z = self.seen.wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let j = (z % self.seen) as usize;
            if j < RESERVOIR {
                self.values[j] = v;
            }
        }
    }

    fn exact_values(&self) -> Result<Option<ArrayRef>> {
        if self.chunks.is_empty() {
            return Ok(None);
        }
        let refs: Vec<&dyn Array> = self.chunks.iter().map(|a| a.as_ref()).collect();
        Ok(Some(compute::concat(&refs)?))
    }

    fn one(
        &self,
        level: f64,
        sorted: &[f64],
        exact: &Option<(ArrayRef, Vec<u32>)>,
    ) -> Result<ScalarValue> {
        let s = &self.spec;
        match s.algo {
            Algo::Reservoir => {
                let v = interpolated(sorted, level);
                if v.is_nan() && s.elem != ChType::Float64 {
                    return default_value(&s.elem);
                }
                from_f64(v, &s.elem)
            }
            Algo::Timing if s.weighted => self.timing_weighted(level),
            Algo::Timing => {
                if sorted.is_empty() {
                    return Ok(ScalarValue::Float32(Some(f32::NAN)));
                }
                Ok(ScalarValue::Float32(Some(
                    sorted[exact_index(level, sorted.len())] as f32,
                )))
            }
            Algo::Exact => match exact {
                None => default_value(&s.elem),
                Some((arr, idx)) => {
                    ScalarValue::try_from_array(arr, idx[exact_index(level, idx.len())] as usize)
                }
            },
            Algo::ExactWeighted => {
                if self.weighted.is_empty() {
                    return default_value(&s.elem);
                }
                let mut pairs: Vec<&(ScalarValue, u64)> = self.weighted.values().collect();
                pairs.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
                let sum: f64 = pairs.iter().map(|p| p.1 as f64).sum();
                let threshold = (sum * level).ceil();
                let mut acc = 0.0;
                for p in &pairs {
                    acc += p.1 as f64;
                    if acc >= threshold {
                        return Ok(p.0.clone());
                    }
                }
                Ok(pairs
                    .last()
                    .map(|p| p.0.clone())
                    .unwrap_or(ScalarValue::Null))
            }
            Algo::InterpolatedWeighted => self.interpolated_weighted(level),
            Algo::BFloat16 => self.bfloat16_quantile(level),
            Algo::TDigest => {
                let v = self.digest.quantile(level);
                if s.elem == ChType::Float32 {
                    Ok(ScalarValue::Float32(Some(v)))
                } else if v.is_nan() {
                    default_value(&s.elem)
                } else {
                    from_f64(f64::from(v), &s.elem)
                }
            }
        }
    }
}

impl AggState for QuantileState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some(a) = args.first() else { return Ok(()) };
        match self.spec.algo {
            Algo::Reservoir => {
                for v in as_f64(a)? {
                    self.offer(v);
                }
            }
            Algo::Timing if !self.spec.weighted => {
                for v in as_f64(a)? {
                    if v >= 0.0 {
                        self.values.push(v.min(30000.0).trunc());
                    }
                }
            }
            Algo::Exact => self.chunks.push(Arc::clone(a)),
            Algo::ExactWeighted | Algo::InterpolatedWeighted | Algo::BFloat16 | Algo::Timing => {
                let weights = if self.spec.weighted {
                    let w = compute::cast(&args[1], &DataType::UInt64)?;
                    Some(w.as_primitive::<UInt64Type>().values().to_vec())
                } else {
                    None
                };
                let numbers = if self.spec.algo == Algo::ExactWeighted {
                    None
                } else {
                    Some(as_f64(a)?)
                };
                for i in 0..a.len() {
                    let v = match &numbers {
                        // NaN has no place in a sorted order: skipped, as ClickHouse.
                        Some(n) if n[i].is_nan() => continue,
                        // Timing: negative values are skipped, the rest capped at 30000 ms.
                        Some(n) if self.spec.algo == Algo::Timing => {
                            if n[i] < 0.0 {
                                continue;
                            }
                            from_f64(n[i].min(30000.0).trunc(), &self.spec.arg)?
                        }
                        Some(n) if self.spec.algo == Algo::BFloat16 => {
                            from_f64(f64::from(bfloat16(n[i])), &self.spec.arg)?
                        }
                        _ => ScalarValue::try_from_array(a, i)?,
                    };
                    let w = weights.as_ref().map_or(1, |w| w[i]);
                    let mut key = Vec::new();
                    write_value(&mut key, &self.spec.arg, &v)?;
                    self.weighted.entry(key).or_insert((v, 0)).1 += w;
                }
            }
            Algo::TDigest => {
                let weights = if self.spec.weighted {
                    let w = compute::cast(&args[1], &DataType::Float32)?;
                    let w = w.as_primitive::<datafusion::arrow::datatypes::Float32Type>();
                    Some(w.values().to_vec())
                } else {
                    None
                };
                for (i, v) in as_f64(a)?.into_iter().enumerate() {
                    let w = weights.as_ref().map_or(1.0, |w| w[i]);
                    self.digest.add(v as f32, w);
                }
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<QuantileState>(other)?;
        match self.spec.algo {
            Algo::Reservoir => {
                for v in &o.values {
                    self.offer(*v);
                }
            }
            Algo::Timing if !self.spec.weighted => self.values.extend_from_slice(&o.values),
            Algo::Exact => self.chunks.extend(o.chunks.iter().cloned()),
            Algo::ExactWeighted | Algo::InterpolatedWeighted | Algo::BFloat16 | Algo::Timing => {
                for (k, (v, w)) in &o.weighted {
                    self.weighted.entry(k.clone()).or_insert((v.clone(), 0)).1 += w;
                }
            }
            Algo::TDigest => {
                for c in &o.digest.centroids {
                    self.digest.add(c.0, c.1);
                }
            }
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        match self.spec.algo {
            Algo::Reservoir | Algo::Timing if !self.spec.weighted => {
                write_var_uint(out, self.values.len() as u64);
                for v in &self.values {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            Algo::Exact => {
                let n: usize = self.chunks.iter().map(|c| c.len()).sum();
                write_var_uint(out, n as u64);
                for c in &self.chunks {
                    for i in 0..c.len() {
                        write_value(out, &self.spec.arg, &ScalarValue::try_from_array(c, i)?)?;
                    }
                }
            }
            Algo::ExactWeighted
            | Algo::InterpolatedWeighted
            | Algo::BFloat16
            | Algo::Timing
            | Algo::Reservoir => {
                write_var_uint(out, self.weighted.len() as u64);
                for (v, w) in self.weighted.values() {
                    write_value(out, &self.spec.arg, v)?;
                    out.extend_from_slice(&w.to_le_bytes());
                }
            }
            Algo::TDigest => {
                write_var_uint(out, self.digest.centroids.len() as u64);
                for (m, c) in &self.digest.centroids {
                    out.extend_from_slice(&m.to_le_bytes());
                    out.extend_from_slice(&c.to_le_bytes());
                }
            }
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        match self.spec.algo {
            Algo::Reservoir | Algo::Timing if !self.spec.weighted => {
                let n = r.count(8)?;
                for _ in 0..n {
                    let v = r.f64()?;
                    if self.spec.algo == Algo::Reservoir {
                        self.offer(v)
                    } else {
                        self.values.push(v)
                    }
                }
            }
            Algo::Exact => {
                let n = r.count(0)?;
                let mut vals = Vec::with_capacity(n.min(1 << 16));
                for _ in 0..n {
                    vals.push(read_value(r, &self.spec.arg)?);
                }
                if !vals.is_empty() {
                    self.chunks.push(scalars_to_array(&self.spec.arg, vals)?);
                }
            }
            Algo::ExactWeighted
            | Algo::InterpolatedWeighted
            | Algo::BFloat16
            | Algo::Timing
            | Algo::Reservoir => {
                let n = r.count(9)?;
                for _ in 0..n {
                    let v = read_value(r, &self.spec.arg)?;
                    let w = r.u64()?;
                    let mut key = Vec::new();
                    write_value(&mut key, &self.spec.arg, &v)?;
                    self.weighted.entry(key).or_insert((v, 0)).1 += w;
                }
            }
            Algo::TDigest => {
                let n = r.count(8)?;
                for _ in 0..n {
                    let m = f32::from_le_bytes(r.array()?);
                    let c = f32::from_le_bytes(r.array()?);
                    self.digest.add(m, c);
                }
            }
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let mut sorted = Vec::new();
        if matches!(self.spec.algo, Algo::Reservoir | Algo::Timing) {
            sorted = self.values.clone();
            sorted.sort_by(f64::total_cmp);
        }
        let exact = match (self.spec.algo, self.exact_values()?) {
            (Algo::Exact, Some(arr)) => {
                let idx = compute::sort_to_indices(&arr, Some(SortOptions::default()), None)?;
                Some((arr, idx.values().to_vec()))
            }
            _ => None,
        };
        let mut digest_sorted = self.digest.clone();
        digest_sorted.compress();
        let this = QuantileState {
            spec: Arc::clone(&self.spec),
            values: Vec::new(),
            seen: 0,
            chunks: Vec::new(),
            weighted: self.weighted.clone(),
            digest: digest_sorted,
        };
        let vals = self
            .spec
            .levels
            .iter()
            .map(|l| this.one(*l, &sorted, &exact))
            .collect::<Result<Vec<_>>>()?;
        if self.spec.multi {
            list_scalar(&self.spec.elem, scalars_to_array(&self.spec.elem, vals)?)
        } else {
            Ok(vals.into_iter().next().unwrap_or(ScalarValue::Null))
        }
    }
    fn size(&self) -> usize {
        self.values.capacity() * 8
            + self
                .chunks
                .iter()
                .map(|c| c.get_array_memory_size())
                .sum::<usize>()
            + self.weighted.len() * 96
            + self.digest.centroids.len() * 8
            + 128
    }
}

/// ClickHouse's t-digest (`QuantileTDigest`): Float32 centroids, epsilon 0.01.
#[derive(Clone, Debug, Default)]
struct Digest {
    centroids: Vec<(f32, f32)>,
    count: f64,
    unmerged: usize,
}

const MAX_UNMERGED: usize = 2048;
const MAX_CENTROIDS: usize = 2048;
const EPSILON: f64 = 0.01;

impl Digest {
    fn add(&mut self, x: f32, cnt: f32) {
        if cnt == 0.0 || x.is_nan() {
            return;
        }
        self.centroids.push((x, cnt));
        self.count += f64::from(cnt);
        self.unmerged += 1;
        if self.unmerged > MAX_UNMERGED {
            self.compress();
        }
    }

    fn compress(&mut self) {
        if self.centroids.is_empty()
            || (self.unmerged == 0 && self.centroids.len() <= MAX_CENTROIDS)
        {
            return;
        }
        self.centroids.sort_by(|a, b| a.0.total_cmp(&b.0));
        let count = self.count;
        let count_epsilon_4 = count * EPSILON * 4.0;
        let mut sum: f32 = 0.0;
        let mut l = 0usize;
        let (mut l_mean, mut l_count) = self.centroids[0];
        for r in 1..self.centroids.len() {
            let (r_mean, r_count) = self.centroids[r];
            let ql = ((f64::from(sum) + f64::from(l_count) * 0.5) / count) as f32;
            let mut err = ql * (1.0 - ql);
            let qr =
                ((f64::from(sum) + f64::from(l_count) + f64::from(r_count) * 0.5) / count) as f32;
            let err2 = qr * (1.0 - qr);
            if err > err2 {
                err = err2;
            }
            let k = (count_epsilon_4 * f64::from(err)) as f32;
            let can_merge = l_mean == r_mean || (!l_mean.is_infinite() && !r_mean.is_infinite());
            if l_count + r_count <= k && can_merge {
                l_count += r_count;
                if r_mean != l_mean {
                    l_mean += r_count * (r_mean - l_mean) / l_count;
                }
                self.centroids[l] = (l_mean, l_count);
            } else {
                sum += self.centroids[l].1;
                l += 1;
                self.centroids[l] = (r_mean, r_count);
                l_mean = r_mean;
                l_count = r_count;
            }
        }
        self.centroids.truncate(l + 1);
        self.unmerged = 0;
        if self.centroids.len() > MAX_CENTROIDS {
            let batch = self.centroids.len().div_ceil(MAX_CENTROIDS);
            let merged: Vec<(f32, f32)> = self
                .centroids
                .chunks(batch)
                .map(|c| {
                    let n: f32 = c.iter().map(|x| x.1).sum();
                    let m: f64 = c
                        .iter()
                        .map(|x| f64::from(x.0) * f64::from(x.1))
                        .sum::<f64>()
                        / f64::from(n);
                    (m as f32, n)
                })
                .collect();
            self.centroids = merged;
        }
    }

    /// The quantile at `level` of a compressed digest.
    fn quantile(&self, level: f64) -> f32 {
        let c = &self.centroids;
        if c.is_empty() {
            return f32::NAN;
        }
        if c.len() == 1 {
            return c[0].0;
        }
        let x = level * self.count;
        let mut prev_x = 0.0f64;
        let mut sum = 0.0f64;
        let (mut prev_mean, mut prev_count) = c[0];
        for &(mean, count) in c {
            let current_x = sum + f64::from(count) * 0.5;
            if current_x >= x {
                let left = prev_x + 0.5 * f64::from(u8::from(prev_count == 1.0));
                let right = current_x - 0.5 * f64::from(u8::from(count == 1.0));
                if x <= left {
                    return prev_mean;
                } else if x >= right {
                    return mean;
                }
                let (pm, m) = (f64::from(prev_mean), f64::from(mean));
                return (pm + (x - left) / (right - left) * (m - pm)) as f32;
            }
            sum += f64::from(count);
            prev_mean = mean;
            prev_count = count;
            prev_x = current_x;
        }
        c[c.len() - 1].0
    }
}
