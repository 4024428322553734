//! `groupArrayMovingSum([window])(x)`, `groupArrayMovingAvg([window])(x)`: the running sum
//! (or average) of the values in arrival order, over the last `window` values (all of them
//! when no window is given; the average then divides by the total count, as ClickHouse).
//!
//! As ClickHouse, the state holds the cumulative sums; an element is
//! `cumulative[i] − cumulative[i − window]`, the average that divided by the window (by
//! the count without one; decimals truncate). Sums: unsigned integers in `UInt64`, signed
//! in `Int64` (wrapping), floats in `Float64`, decimals in `Decimal(38, S)`; the average
//! sums integers in `Float64`. Results `Array(sum type)` / `Array(Float64)` (`Array(
//! Decimal(38, S))` for decimals). A `Nullable` argument skips NULLs and keeps the
//! result type. A window that is not a positive integer: `BAD_ARGUMENTS` (36).
//!
//! State (ClickHouse's layout): a `VarUInt` count, then the cumulative sums in the sum
//! type, little-endian.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type, UInt64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::{Reader, write_var_uint};
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, Param, same};
use super::value::{list_scalar, scalars_to_array};
use crate::{ch_bail, impl_as_any};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    let def = |name| BaseDef {
        name,
        aliases: &[],
        case_insensitive: false,
        nulls: NullMode::SkipKeepType,
        build: build_moving,
    };
    vec![def("groupArrayMovingSum"), def("groupArrayMovingAvg")]
}

/// The type the cumulative sums are kept in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SumType {
    U64,
    I64,
    F64,
    Decimal { scale: i8 },
}

fn build_moving(b: &BuildArgs) -> Result<AggFuncRef> {
    b.expect_args(1)?;
    let window = match b.params {
        [] => None,
        [Param::UInt(w)] if *w > 0 => Some(*w),
        _ => ch_bail!(
            BAD_ARGUMENTS,
            "Parameter for aggregate function {} should be positive integer",
            b.name
        ),
    };
    let avg = b.name == "groupArrayMovingAvg";
    let t = &b.args[0];
    let sum = match t {
        ChType::Decimal { scale, .. } => SumType::Decimal {
            scale: *scale as i8,
        },
        _ if avg && is_number(t) => SumType::F64,
        ChType::UInt8 | ChType::UInt16 | ChType::UInt32 | ChType::UInt64 | ChType::Bool => {
            SumType::U64
        }
        ChType::Int8 | ChType::Int16 | ChType::Int32 | ChType::Int64 => SumType::I64,
        ChType::Float32 | ChType::Float64 => SumType::F64,
        _ => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument for aggregate function {}",
            b.name
        ),
    };
    let item = match sum {
        SumType::U64 => ChType::UInt64,
        SumType::I64 => ChType::Int64,
        SumType::F64 => ChType::Float64,
        SumType::Decimal { scale } => ChType::Decimal {
            precision: 38,
            scale: scale as u8,
        },
    };
    let ret = ChType::Array(Box::new(item.clone()));
    Ok(AggFunc::new(
        b.full_name(),
        b.args.to_vec(),
        ret,
        move || {
            Box::new(MovingState {
                sum,
                item: item.clone(),
                window,
                avg,
                cumulative: Vec::new(),
            })
        },
    ))
}

fn is_number(t: &ChType) -> bool {
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
            | ChType::Bool
    )
}

/// A cumulative sum: integers and decimals as `i128` (wrapped to the sum type when read),
/// floats as `f64`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Acc {
    I(i128),
    F(f64),
}

#[derive(Debug)]
struct MovingState {
    sum: SumType,
    item: ChType,
    window: Option<u64>,
    avg: bool,
    cumulative: Vec<Acc>,
}

impl MovingState {
    fn total(&self) -> Acc {
        self.cumulative.last().copied().unwrap_or(match self.sum {
            SumType::F64 => Acc::F(0.0),
            _ => Acc::I(0),
        })
    }

    /// `v` wrapped to the sum type's width.
    fn wrap(&self, v: i128) -> i128 {
        match self.sum {
            SumType::U64 => i128::from(v as u64),
            SumType::I64 => i128::from(v as i64),
            _ => v,
        }
    }

    fn push(&mut self, x: Acc) {
        let next = match (self.total(), x) {
            (Acc::I(a), Acc::I(b)) => Acc::I(self.wrap(a.wrapping_add(b))),
            (Acc::F(a), Acc::F(b)) => Acc::F(a + b),
            (a, _) => a,
        };
        self.cumulative.push(next);
    }

    fn scalar(&self, v: Acc) -> ScalarValue {
        match (v, self.sum) {
            (Acc::I(v), SumType::U64) => ScalarValue::UInt64(Some(v as u64)),
            (Acc::I(v), SumType::I64) => ScalarValue::Int64(Some(v as i64)),
            (Acc::I(v), SumType::Decimal { scale }) => ScalarValue::Decimal128(Some(v), 38, scale),
            (Acc::F(v), _) => ScalarValue::Float64(Some(v)),
            (Acc::I(v), SumType::F64) => ScalarValue::Float64(Some(v as f64)),
        }
    }
}

impl AggState for MovingState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some(a) = args.first() else { return Ok(()) };
        match self.sum {
            SumType::U64 => {
                let v = compute::cast(a, &DataType::UInt64)?;
                for x in v.as_primitive::<UInt64Type>().iter().flatten() {
                    self.push(Acc::I(i128::from(x)));
                }
            }
            SumType::I64 => {
                let v = compute::cast(a, &DataType::Int64)?;
                for x in v.as_primitive::<Int64Type>().iter().flatten() {
                    self.push(Acc::I(i128::from(x)));
                }
            }
            SumType::F64 => {
                let v = compute::cast(a, &DataType::Float64)?;
                for x in v.as_primitive::<Float64Type>().iter().flatten() {
                    self.push(Acc::F(x));
                }
            }
            SumType::Decimal { scale } => {
                let v = compute::cast(a, &DataType::Decimal128(38, scale))?;
                for x in v.as_primitive::<Decimal128Type>().iter().flatten() {
                    self.push(Acc::I(x));
                }
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<MovingState>(other)?;
        let base = self.total();
        for v in &o.cumulative {
            let next = match (base, *v) {
                (Acc::I(a), Acc::I(b)) => Acc::I(self.wrap(a.wrapping_add(b))),
                (Acc::F(a), Acc::F(b)) => Acc::F(a + b),
                (a, _) => a,
            };
            self.cumulative.push(next);
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_var_uint(out, self.cumulative.len() as u64);
        for v in &self.cumulative {
            match (*v, self.sum) {
                (Acc::I(v), SumType::Decimal { .. }) => out.extend_from_slice(&v.to_le_bytes()),
                (Acc::I(v), _) => out.extend_from_slice(&(v as u64).to_le_bytes()),
                (Acc::F(v), _) => out.extend_from_slice(&v.to_le_bytes()),
            }
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let n = r.count(8)?;
        self.cumulative.clear();
        for _ in 0..n {
            let v = match self.sum {
                SumType::U64 => Acc::I(i128::from(r.u64()?)),
                SumType::I64 => Acc::I(i128::from(r.i64()?)),
                SumType::F64 => Acc::F(r.f64()?),
                SumType::Decimal { .. } => Acc::I(i128::from_le_bytes(r.array::<16>()?)),
            };
            self.cumulative.push(v);
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let n = self.cumulative.len();
        let window = self
            .window
            .map_or(n, |w| usize::try_from(w).unwrap_or(usize::MAX));
        let divisor = self.window.unwrap_or(n as u64).max(1);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let cur = self.cumulative[i];
            let v = if i < window {
                cur
            } else {
                match (cur, self.cumulative[i - window]) {
                    (Acc::I(a), Acc::I(b)) => Acc::I(self.wrap(a.wrapping_sub(b))),
                    (Acc::F(a), Acc::F(b)) => Acc::F(a - b),
                    (a, _) => a,
                }
            };
            let v = if self.avg {
                match v {
                    Acc::I(x) => Acc::I(x / i128::from(divisor)),
                    Acc::F(x) => Acc::F(x / divisor as f64),
                }
            } else {
                v
            };
            out.push(self.scalar(v));
        }
        list_scalar(&self.item, scalars_to_array(&self.item, out)?)
    }
    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.cumulative.capacity() * std::mem::size_of::<Acc>()
    }
}
