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

/// Integers, floats, decimals and Bool: what the regression aggregates take.
pub(super) fn numeric(t: &ChType) -> bool {
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
            m: Moments::default(),
        })
    }))
}

/// The running sums of the regression aggregates (`regr_*` and `simpleLinearRegression`)
/// over the rows where neither argument is NULL.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Moments {
    pub(super) count: u64,
    pub(super) sx: f64,
    pub(super) sy: f64,
    pub(super) sxx: f64,
    pub(super) syy: f64,
    pub(super) sxy: f64,
}

impl Moments {
    /// Adds the rows of `x` and `y` (any numeric arrays), skipping a row where either is NULL.
    pub(super) fn add(&mut self, x: &ArrayRef, y: &ArrayRef) -> Result<()> {
        let x = compute::cast(x, &DataType::Float64)?;
        let y = compute::cast(y, &DataType::Float64)?;
        let pairs = x
            .as_primitive::<Float64Type>()
            .iter()
            .zip(y.as_primitive::<Float64Type>().iter());
        for (x, y) in pairs {
            let (Some(x), Some(y)) = (x, y) else { continue };
            self.count += 1;
            self.sx += x;
            self.sy += y;
            self.sxx += x * x;
            self.syy += y * y;
            self.sxy += x * y;
        }
        Ok(())
    }

    /// Adds another state's sums.
    pub(super) fn merge(&mut self, o: &Moments) {
        self.count += o.count;
        self.sx += o.sx;
        self.sy += o.sy;
        self.sxx += o.sxx;
        self.syy += o.syy;
        self.sxy += o.sxy;
    }
}

#[derive(Debug)]
struct RegrState {
    /// Index into [`NAMES`].
    which: usize,
    m: Moments,
}

impl AggState for RegrState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let [y, x] = args else { return Ok(()) };
        self.m.add(x, y)
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        self.m.merge(&same::<RegrState>(other)?.m);
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        let m = &self.m;
        out.extend_from_slice(&m.count.to_le_bytes());
        for v in [m.sx, m.sy, m.sxx, m.syy, m.sxy] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let m = &mut self.m;
        m.count = r.u64()?;
        for v in [&mut m.sx, &mut m.sy, &mut m.sxx, &mut m.syy, &mut m.sxy] {
            *v = r.f64()?;
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let Moments {
            count,
            sx,
            sy,
            sxx: sxx_raw,
            syy: syy_raw,
            sxy: sxy_raw,
        } = self.m;
        if self.which == 0 {
            return Ok(ScalarValue::UInt64(Some(count)));
        }
        let n = count as f64;
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
