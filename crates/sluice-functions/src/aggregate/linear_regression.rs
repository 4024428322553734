//! `simpleLinearRegression(x, y)`: the least-squares line `y = k·x + b`, as
//! `Tuple(k Float64, b Float64)`, from the row count and the sums of `x`, `y`, `x²`, `xy`
//! (ClickHouse's expressions: `k = (Σxy·n − Σx·Σy) / (Σx²·n − Σx·Σx)`, `b = (Σy − k·Σx) / n`);
//! fewer than two distinct `x` give `(nan, nan)`.
//!
//! Arguments: integers, floats or decimals; others give `ILLEGAL_TYPE_OF_ARGUMENT` (43).
//! State (ClickHouse's layout): the count as a little-endian `UInt64`, then the four sums
//! as `Float64`s.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::Reader;
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
use super::regr::{Moments, numeric};
use super::value::read_value;
use crate::{ch_bail, impl_as_any};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    vec![BaseDef {
        name: "simpleLinearRegression",
        aliases: &[],
        case_insensitive: false,
        nulls: NullMode::Skip,
        build: build_regression,
    }]
}

fn build_regression(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(2)?;
    if !b.args.iter().all(numeric) {
        let types: Vec<String> = b.args.iter().map(ToString::to_string).collect();
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal types ({}) of arguments of aggregate function {}, must be Native Ints, Native UInts or Floats",
            types.join(", "),
            b.name
        );
    }
    let ret = ChType::Tuple(vec![
        (Some("k".to_string()), ChType::Float64),
        (Some("b".to_string()), ChType::Float64),
    ]);
    let out = ret.clone();
    Ok(AggFunc::new(b.name, b.args.to_vec(), ret, move || {
        Box::new(RegressionState {
            out: out.clone(),
            m: Moments::default(),
        })
    }))
}

#[derive(Debug)]
struct RegressionState {
    out: ChType,
    m: Moments,
}

impl AggState for RegressionState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let [x, y] = args else { return Ok(()) };
        self.m.add(x, y)
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        self.m.merge(&same::<RegressionState>(other)?.m);
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        let m = &self.m;
        out.extend_from_slice(&m.count.to_le_bytes());
        for v in [m.sx, m.sy, m.sxx, m.sxy] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let m = &mut self.m;
        m.count = r.u64()?;
        for v in [&mut m.sx, &mut m.sy, &mut m.sxx, &mut m.sxy] {
            *v = r.f64()?;
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let Moments {
            count,
            sx,
            sy,
            sxx,
            sxy,
            ..
        } = self.m;
        let n = count as f64;
        let k = (sxy * n - sx * sy) / (sxx * n - sx * sx);
        let b = if count == 0 {
            f64::NAN
        } else {
            (sy - k * sx) / n
        };
        // The tuple through its binary form: two little-endian Float64s.
        let mut bytes = k.to_le_bytes().to_vec();
        bytes.extend_from_slice(&b.to_le_bytes());
        read_value(&mut Reader::new(&bytes), &self.out)
    }
}
