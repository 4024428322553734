//! The SQL-standard regression aggregates `regr_count`, `regr_avgx`, `regr_avgy`,
//! `regr_slope`, `regr_intercept`, `regr_r2`, `regr_sxx`, `regr_syy` and `regr_sxy`, all
//! called `(y, x)` with `y` the dependent variable, over the rows where neither is NULL.
//!
//! As in ClickHouse the result is `UInt64` for `regr_count` and a non-Nullable `Float64`
//! otherwise, `nan` where it is undefined (no rows, a constant `x`), from the row count and
//! the sums of `x`, `y`, `x²`, `y²`, `xy`: `sxx = Σx² − Σx·Σx/n` (and likewise `syy`, `sxy`),
//! `slope = sxy/sxx`, `intercept = Σy/n − slope·Σx/n`, `r2 = sxy²/(sxx·syy)`, which is 1
//! when `y` is constant and `x` is not.
//!
//! Arguments: integers, floats or decimals; others give `ILLEGAL_TYPE_OF_ARGUMENT` (43).
//! State: the count as a little-endian `UInt64`, then the five sums as `Float64`s (Sluice's
//! layout; `-State` bytes are not ClickHouse's).

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

const NAMES: [&str; 9] = [
    "regr_count",
    "regr_avgx",
    "regr_avgy",
    "regr_slope",
    "regr_intercept",
    "regr_r2",
    "regr_sxx",
    "regr_syy",
    "regr_sxy",
];

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    NAMES
        .iter()
        .map(|name| BaseDef {
            name,
            aliases: &[],
            case_insensitive: false,
            nulls: NullMode::Skip,
            build: build_regr,
        })
        .collect()
}

fn numeric(t: &ChType) -> bool {
    matches!(
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
            | ChType::Decimal { .. }
            | ChType::Bool
    )
}

fn build_regr(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(2)?;
    if !b.args.iter().all(numeric) {
        let types: Vec<String> = b.args.iter().map(ToString::to_string).collect();
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal types ({}) of arguments of aggregate function {}",
            types.join(", "),
            b.name
        );
    }
    let Some(which) = NAMES.iter().position(|n| *n == b.name) else {
        ch_bail!(
            UNKNOWN_AGGREGATE_FUNCTION,
            "Unknown aggregate function {}",
            b.name
        );
    };
    let ret = if which == 0 {
        ChType::UInt64
    } else {
        ChType::Float64
    };
    Ok(AggFunc::new(b.name, b.args.to_vec(), ret, move || {
        Box::new(RegrState {
            which,
            count: 0,
            sums: [0.0; 5],
        })
    }))
}

#[derive(Debug)]
struct RegrState {
    /// Index into [`NAMES`].
    which: usize,
    count: u64,
    /// `[Σx, Σy, Σx², Σy², Σxy]`.
    sums: [f64; 5],
}

impl AggState for RegrState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let [y, x] = args else { return Ok(()) };
        let x = compute::cast(x, &DataType::Float64)?;
        let y = compute::cast(y, &DataType::Float64)?;
        let pairs = x
            .as_primitive::<Float64Type>()
            .iter()
            .zip(y.as_primitive::<Float64Type>().iter());
        for (x, y) in pairs {
            let (Some(x), Some(y)) = (x, y) else { continue };
            self.count += 1;
            self.sums[0] += x;
            self.sums[1] += y;
            self.sums[2] += x * x;
            self.sums[3] += y * y;
            self.sums[4] += x * y;
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<RegrState>(other)?;
        self.count += o.count;
        for (a, b) in self.sums.iter_mut().zip(&o.sums) {
            *a += b;
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(&self.count.to_le_bytes());
        for v in &self.sums {
            out.extend_from_slice(&v.to_le_bytes());
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.count = r.u64()?;
        for v in self.sums.iter_mut() {
            *v = r.f64()?;
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        if self.which == 0 {
            return Ok(ScalarValue::UInt64(Some(self.count)));
        }
        let n = self.count as f64;
        let [sx, sy, sxx_raw, syy_raw, sxy_raw] = self.sums;
        let sxx = sxx_raw - sx * sx / n;
        let syy = syy_raw - sy * sy / n;
        let sxy = sxy_raw - sx * sy / n;
        let slope = sxy / sxx;
        let v = match NAMES[self.which] {
            "regr_avgx" => sx / n,
            "regr_avgy" => sy / n,
            "regr_slope" => slope,
            "regr_intercept" => sy / n - slope * sx / n,
            "regr_r2" if sxx == 0.0 || sxx.is_nan() => f64::NAN,
            "regr_r2" if syy == 0.0 => 1.0,
            "regr_r2" => sxy * sxy / (sxx * syy),
            "regr_sxx" => sxx,
            "regr_syy" => syy,
            _ => sxy,
        };
        Ok(ScalarValue::Float64(Some(v)))
    }
}
