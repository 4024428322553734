//! `skewPop`, `skewSamp`, `kurtPop`, `kurtSamp`: skewness and kurtosis from the sums of
//! the first four powers, as ClickHouse's `VarMoments<T, 4>` computes them (the same
//! expressions in the same order, so the floats agree to the last bit): the third and
//! fourth central moments over `n`, divided by the population (`n`) or sample (`n − 1`)
//! variance to the power 1.5 or 2. No rows give `nan`; one row gives `nan`.
//!
//! Result `Float64` (`Float32` for a `Float32` argument, as in ClickHouse). State: the
//! five sums (count first) as little-endian `Float64`s.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::Reader;
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
use crate::{ch_bail, impl_as_any};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    let def = |name| BaseDef {
        name,
        aliases: &[],
        case_insensitive: false,
        nulls: NullMode::Skip,
        build: build_moment,
    };
    vec![
        def("skewPop"),
        def("skewSamp"),
        def("kurtPop"),
        def("kurtSamp"),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stat {
    SkewPop,
    SkewSamp,
    KurtPop,
    KurtSamp,
}

fn build_moment(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(1)?;
    let t = &b.args[0];
    let numeric = matches!(
        t,
        ChType::UInt8
            | ChType::UInt16
            | ChType::UInt32
            | ChType::UInt64
            | ChType::UInt128
            | ChType::UInt256
            | ChType::Int8
            | ChType::Int16
            | ChType::Int32
            | ChType::Int64
            | ChType::Int128
            | ChType::Int256
            | ChType::Float32
            | ChType::Float64
            | ChType::Decimal { .. }
            | ChType::Bool
    );
    if !numeric {
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument for aggregate function {}",
            b.name
        );
    }
    let stat = match b.name {
        "skewPop" => Stat::SkewPop,
        "skewSamp" => Stat::SkewSamp,
        "kurtPop" => Stat::KurtPop,
        _ => Stat::KurtSamp,
    };
    let f32_out = *t == ChType::Float32;
    let ret = if f32_out {
        ChType::Float32
    } else {
        ChType::Float64
    };
    Ok(AggFunc::new(b.name, b.args.to_vec(), ret, move || {
        Box::new(PowerSums {
            stat,
            m: [0.0; 5],
            f32_out,
        })
    }))
}

#[derive(Debug)]
struct PowerSums {
    stat: Stat,
    /// `[n, Σx, Σx², Σx³, Σx⁴]`.
    m: [f64; 5],
    f32_out: bool,
}

impl PowerSums {
    fn variance(&self, sample: bool) -> f64 {
        let m = &self.m;
        if m[0] == 0.0 {
            return f64::NAN;
        }
        let den = if sample { m[0] - 1.0 } else { m[0] };
        // `std::max(0, v)`: a NaN quotient (one row, sample) gives 0 there too.
        let v = (m[2] - m[1] * m[1] / m[0]) / den;
        if v > 0.0 { v } else { 0.0 }
    }

    fn moment3(&self) -> f64 {
        let m = &self.m;
        if m[0] == 0.0 {
            return f64::NAN;
        }
        if m[0] == 1.0 {
            return 0.0;
        }
        (m[3] - (3.0 * m[2] - 2.0 * m[1] * m[1] / m[0]) * m[1] / m[0]) / m[0]
    }

    fn moment4(&self) -> f64 {
        let m = &self.m;
        if m[0] == 0.0 {
            return f64::NAN;
        }
        if m[0] == 1.0 {
            return 0.0;
        }
        (m[4] - (4.0 * m[3] - (6.0 * m[2] - 3.0 * m[1] * m[1] / m[0]) * m[1] / m[0]) * m[1] / m[0])
            / m[0]
    }
}

impl AggState for PowerSums {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some(a) = args.first() else { return Ok(()) };
        let xs = compute::cast(a, &DataType::Float64)?;
        for x in xs.as_primitive::<Float64Type>().iter().flatten() {
            self.m[0] += 1.0;
            self.m[1] += x;
            self.m[2] += x * x;
            self.m[3] += x * x * x;
            self.m[4] += x * x * x * x;
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<PowerSums>(other)?;
        for (a, b) in self.m.iter_mut().zip(&o.m) {
            *a += b;
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        for v in &self.m {
            out.extend_from_slice(&v.to_le_bytes());
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        for v in self.m.iter_mut() {
            *v = r.f64()?;
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let v = match self.stat {
            Stat::SkewPop => self.moment3() / self.variance(false).powf(1.5),
            Stat::SkewSamp => self.moment3() / self.variance(true).powf(1.5),
            Stat::KurtPop => self.moment4() / self.variance(false).powi(2),
            Stat::KurtSamp => self.moment4() / self.variance(true).powi(2),
        };
        Ok(if self.f32_out {
            ScalarValue::Float32(Some(v as f32))
        } else {
            ScalarValue::Float64(Some(v))
        })
    }
}
