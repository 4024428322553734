//! Statistics from moments: `varPop`, `varSamp`, `stddevPop`, `stddevSamp`, `covarPop`,
//! `covarSamp`, `corr` (with ClickHouse's SQL-standard aliases `VAR_POP`, `STDDEV_SAMP`,
//! `COVAR_POP`…). Computed as ClickHouse's `VarMoments`/`CovarMoments`/`CorrMoments`:
//! sums of powers in `Float64`; an empty set (or one row for the sample variants) gives
//! `nan`. Result `Float64` (`Float32` for `Float32` arguments of the variance family, as
//! in ClickHouse). State: the moments as little-endian `Float64`s (count first).

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
    let def = |name, aliases, build| BaseDef {
        name,
        aliases,
        case_insensitive: true,
        nulls: NullMode::Skip,
        build,
    };
    vec![
        def("varPop", &["VAR_POP"], build_var),
        def("varSamp", &["VAR_SAMP"], build_var),
        def("stddevPop", &["STDDEV_POP", "std"], build_var),
        def("stddevSamp", &["STDDEV_SAMP"], build_var),
        def("covarPop", &["COVAR_POP"], build_covar),
        def("covarSamp", &["COVAR_SAMP"], build_covar),
        def("corr", &[], build_covar),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stat {
    VarPop,
    VarSamp,
    StddevPop,
    StddevSamp,
    CovarPop,
    CovarSamp,
    Corr,
}

fn numeric(t: &ChType, name: &str) -> Result<()> {
    match t {
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
        | ChType::Decimal { .. }
        | ChType::Bool
        | ChType::UInt128
        | ChType::Int128
        | ChType::UInt256
        | ChType::Int256 => Ok(()),
        _ => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument for aggregate function {name}"
        ),
    }
}

fn build_var(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(1)?;
    numeric(&b.args[0], b.name)?;
    let stat = match b.name {
        "varPop" => Stat::VarPop,
        "varSamp" => Stat::VarSamp,
        "stddevPop" => Stat::StddevPop,
        _ => Stat::StddevSamp,
    };
    let ret = if b.args[0] == ChType::Float32 {
        ChType::Float32
    } else {
        ChType::Float64
    };
    let f32_out = ret == ChType::Float32;
    Ok(AggFunc::new(b.name, b.args.to_vec(), ret, move || {
        Box::new(MomentState {
            stat,
            m: vec![0.0; 3],
            f32_out,
        })
    }))
}

fn build_covar(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(2)?;
    numeric(&b.args[0], b.name)?;
    numeric(&b.args[1], b.name)?;
    let (stat, n) = match b.name {
        "covarPop" => (Stat::CovarPop, 4),
        "covarSamp" => (Stat::CovarSamp, 4),
        _ => (Stat::Corr, 6),
    };
    Ok(AggFunc::new(
        b.name,
        b.args.to_vec(),
        ChType::Float64,
        move || {
            Box::new(MomentState {
                stat,
                m: vec![0.0; n],
                f32_out: false,
            })
        },
    ))
}

fn floats(a: &ArrayRef) -> Result<Vec<f64>> {
    let a = compute::cast(a, &DataType::Float64)?;
    Ok(a.as_primitive::<Float64Type>().values().to_vec())
}

#[derive(Debug)]
struct MomentState {
    stat: Stat,
    /// Var: [n, Σx, Σx²]; covar: [n, Σx, Σy, Σxy]; corr: [n, Σx, Σy, Σxy, Σx², Σy²].
    m: Vec<f64>,
    f32_out: bool,
}

impl AggState for MomentState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some(a) = args.first() else { return Ok(()) };
        let xs = floats(a)?;
        match self.stat {
            Stat::VarPop | Stat::VarSamp | Stat::StddevPop | Stat::StddevSamp => {
                for x in xs {
                    self.m[0] += 1.0;
                    self.m[1] += x;
                    self.m[2] += x * x;
                }
            }
            _ => {
                let ys = floats(&args[1])?;
                for (x, y) in xs.into_iter().zip(ys) {
                    self.m[0] += 1.0;
                    self.m[1] += x;
                    self.m[2] += y;
                    self.m[3] += x * y;
                    if self.stat == Stat::Corr {
                        self.m[4] += x * x;
                        self.m[5] += y * y;
                    }
                }
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<MomentState>(other)?;
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
        let m = &self.m;
        let n = m[0];
        let var = |den: f64| {
            if den <= 0.0 {
                f64::NAN
            } else {
                ((m[2] - m[1] * m[1] / n) / den).max(0.0)
            }
        };
        let v = match self.stat {
            Stat::VarPop => var(n),
            Stat::VarSamp => var(n - 1.0),
            Stat::StddevPop => var(n).sqrt(),
            Stat::StddevSamp => var(n - 1.0).sqrt(),
            Stat::CovarPop => {
                if n == 0.0 {
                    f64::NAN
                } else {
                    (m[3] - m[1] * m[2] / n) / n
                }
            }
            Stat::CovarSamp => {
                if n <= 1.0 {
                    f64::NAN
                } else {
                    (m[3] - m[1] * m[2] / n) / (n - 1.0)
                }
            }
            Stat::Corr => {
                if n <= 1.0 {
                    f64::NAN
                } else {
                    (n * m[3] - m[1] * m[2])
                        / ((n * m[4] - m[1] * m[1]) * (n * m[5] - m[2] * m[2])).sqrt()
                }
            }
        };
        Ok(if self.f32_out {
            ScalarValue::Float32(Some(v as f32))
        } else {
            ScalarValue::Float64(Some(v))
        })
    }
}
