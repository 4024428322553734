//! `simpleLinearRegression(x, y)`: the least-squares line `y = k·x + b`, as
//! `Tuple(k Float64, b Float64)`, from the row count and the sums of `x`, `y`, `x²`, `xy`
//! (ClickHouse's expressions: `k = (Σxy·n − Σx·Σy) / (Σx²·n − Σx·Σx)`, `b = (Σy − k·Σx) / n`);
//! fewer than two distinct `x` give `(nan, nan)`.
//!
//! Arguments: integers, floats or decimals; others give `ILLEGAL_TYPE_OF_ARGUMENT` (43).
//! State (ClickHouse's layout): the count as a little-endian `UInt64`, then the four sums
//! as `Float64`s.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::Reader;
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
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
            count: 0,
            sums: [0.0; 4],
        })
    }))
}

#[derive(Debug)]
struct RegressionState {
    out: ChType,
    count: u64,
    /// `[Σx, Σy, Σx², Σxy]`.
    sums: [f64; 4],
}

impl AggState for RegressionState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let [x, y] = args else { return Ok(()) };
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
            self.sums[3] += x * y;
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<RegressionState>(other)?;
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
        let n = self.count as f64;
        let [sx, sy, sxx, sxy] = self.sums;
        let k = (sxy * n - sx * sy) / (sxx * n - sx * sx);
        let b = if self.count == 0 {
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
