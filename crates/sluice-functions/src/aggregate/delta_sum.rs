//! `deltaSum(x)`: the sum of the increases between consecutive rows (decreases count
//! nothing), in the argument's type (integers wrap, `Float32` sums in `Float32`).
//!
//! Merging two states follows ClickHouse: when the left state's last value is below the
//! right state's first, the gap between them counts too; when it is above, only the right
//! sum is added (the left state is taken to come later); when they are equal, nothing of
//! the right state is added. A `Nullable` argument keeps the non-Nullable result type (0
//! over no rows). `Decimal` and non-numbers: `ILLEGAL_TYPE_OF_ARGUMENT` (43).
//!
//! State (ClickHouse's layout): `sum`, `first`, `last` in the argument type, little-endian,
//! then a `seen` byte.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, UInt64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::Reader;
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
use crate::{ch_bail, impl_as_any};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    vec![BaseDef {
        name: "deltaSum",
        aliases: &[],
        case_insensitive: false,
        nulls: NullMode::SkipKeepType,
        build: build_delta_sum,
    }]
}

/// How values are held: integers of a width and sign in `i128`, or floats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repr {
    Int { width: usize, signed: bool },
    F32,
    F64,
}

fn build_delta_sum(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(1)?;
    let t = &b.args[0];
    let repr = match t {
        ChType::UInt8 => Repr::Int {
            width: 1,
            signed: false,
        },
        ChType::UInt16 => Repr::Int {
            width: 2,
            signed: false,
        },
        ChType::UInt32 => Repr::Int {
            width: 4,
            signed: false,
        },
        ChType::UInt64 => Repr::Int {
            width: 8,
            signed: false,
        },
        ChType::Int8 => Repr::Int {
            width: 1,
            signed: true,
        },
        ChType::Int16 => Repr::Int {
            width: 2,
            signed: true,
        },
        ChType::Int32 => Repr::Int {
            width: 4,
            signed: true,
        },
        ChType::Int64 => Repr::Int {
            width: 8,
            signed: true,
        },
        ChType::Float32 => Repr::F32,
        ChType::Float64 => Repr::F64,
        _ => ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "Illegal type {t} of argument for aggregate function {}",
            b.name
        ),
    };
    let ret = t.clone();
    Ok(AggFunc::new(b.name, b.args.to_vec(), ret, move || {
        Box::new(DeltaState {
            repr,
            sum: Num::zero(repr),
            first: Num::zero(repr),
            last: Num::zero(repr),
            seen: false,
        })
    }))
}

/// One value of the argument type.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
enum Num {
    I(i128),
    F(f64),
}

impl Num {
    fn zero(repr: Repr) -> Num {
        match repr {
            Repr::Int { .. } => Num::I(0),
            Repr::F32 | Repr::F64 => Num::F(0.0),
        }
    }

    /// `self + (a - b)` in the argument type (wrapping is applied when the value is read).
    fn add_diff(self, a: Num, b: Num, repr: Repr) -> Num {
        match (self, a, b) {
            (Num::I(s), Num::I(a), Num::I(b)) => Num::I(s.wrapping_add(a.wrapping_sub(b))),
            (Num::F(s), Num::F(a), Num::F(b)) if repr == Repr::F32 => {
                Num::F(f64::from(s as f32 + (a as f32 - b as f32)))
            }
            (Num::F(s), Num::F(a), Num::F(b)) => Num::F(s + (a - b)),
            (s, ..) => s,
        }
    }

    fn add(self, other: Num, repr: Repr) -> Num {
        self.add_diff(other, Num::zero(repr), repr)
    }

    /// The value truncated to the argument's width (integers wrap as in ClickHouse).
    fn wrapped(self, repr: Repr) -> Num {
        match (self, repr) {
            (Num::I(v), Repr::Int { width, signed }) => {
                Num::I(extend(&low_bytes(v, width), signed))
            }
            (n, _) => n,
        }
    }

    fn write(self, repr: Repr, out: &mut Vec<u8>) {
        match (self, repr) {
            (Num::I(v), Repr::Int { width, .. }) => out.extend_from_slice(&low_bytes(v, width)),
            (Num::F(v), Repr::F32) => out.extend_from_slice(&(v as f32).to_le_bytes()),
            (Num::F(v), _) => out.extend_from_slice(&v.to_le_bytes()),
            (Num::I(v), _) => out.extend_from_slice(&(v as f64).to_le_bytes()),
        }
    }

    fn read(repr: Repr, r: &mut Reader) -> Result<Num> {
        Ok(match repr {
            Repr::Int { width, signed } => Num::I(extend(r.bytes(width)?, signed)),
            Repr::F32 => Num::F(f64::from(f32::from_le_bytes(r.array::<4>()?))),
            Repr::F64 => Num::F(r.f64()?),
        })
    }
}

fn low_bytes(v: i128, width: usize) -> Vec<u8> {
    v.to_le_bytes()[..width].to_vec()
}

/// Little-endian `bytes` as an `i128`, sign-extended when `signed`.
fn extend(bytes: &[u8], signed: bool) -> i128 {
    let negative = signed && bytes.last().is_some_and(|b| b & 0x80 != 0);
    let mut all = [if negative { 0xFF } else { 0 }; 16];
    all[..bytes.len()].copy_from_slice(bytes);
    i128::from_le_bytes(all)
}

#[derive(Debug)]
struct DeltaState {
    repr: Repr,
    sum: Num,
    first: Num,
    last: Num,
    seen: bool,
}

impl DeltaState {
    fn push(&mut self, v: Num) {
        if self.seen && self.last < v {
            self.sum = self.sum.add_diff(v, self.last, self.repr);
        }
        self.last = v;
        if !self.seen {
            self.first = v;
            self.seen = true;
        }
    }
}

impl AggState for DeltaState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some(a) = args.first() else { return Ok(()) };
        match self.repr {
            Repr::Int { signed: true, .. } => {
                let v = compute::cast(a, &DataType::Int64)?;
                for x in v.as_primitive::<Int64Type>().iter().flatten() {
                    self.push(Num::I(i128::from(x)));
                }
            }
            Repr::Int { signed: false, .. } => {
                let v = compute::cast(a, &DataType::UInt64)?;
                for x in v.as_primitive::<UInt64Type>().iter().flatten() {
                    self.push(Num::I(i128::from(x)));
                }
            }
            Repr::F32 | Repr::F64 => {
                let v = compute::cast(a, &DataType::Float64)?;
                for x in v.as_primitive::<Float64Type>().iter().flatten() {
                    self.push(Num::F(x));
                }
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<DeltaState>(other)?;
        if !o.seen {
            return Ok(());
        }
        if !self.seen {
            self.sum = o.sum;
            self.first = o.first;
            self.last = o.last;
            self.seen = true;
        } else if self.last < o.first {
            self.sum = self
                .sum
                .add(o.sum, self.repr)
                .add_diff(o.first, self.last, self.repr);
            self.last = o.last;
        } else if o.first < self.last {
            self.sum = self.sum.add(o.sum, self.repr);
            self.first = o.first;
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        self.sum.write(self.repr, out);
        self.first.write(self.repr, out);
        self.last.write(self.repr, out);
        out.push(u8::from(self.seen));
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.sum = Num::read(self.repr, r)?;
        self.first = Num::read(self.repr, r)?;
        self.last = Num::read(self.repr, r)?;
        self.seen = r.u8()? != 0;
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let v = self.sum.wrapped(self.repr);
        Ok(match (v, self.repr) {
            (Num::I(v), Repr::Int { width, signed }) => match (width, signed) {
                (1, false) => ScalarValue::UInt8(Some(v as u8)),
                (2, false) => ScalarValue::UInt16(Some(v as u16)),
                (4, false) => ScalarValue::UInt32(Some(v as u32)),
                (_, false) => ScalarValue::UInt64(Some(v as u64)),
                (1, true) => ScalarValue::Int8(Some(v as i8)),
                (2, true) => ScalarValue::Int16(Some(v as i16)),
                (4, true) => ScalarValue::Int32(Some(v as i32)),
                (_, true) => ScalarValue::Int64(Some(v as i64)),
            },
            (Num::F(v), Repr::F32) => ScalarValue::Float32(Some(v as f32)),
            (Num::F(v), _) => ScalarValue::Float64(Some(v)),
            (Num::I(v), _) => ScalarValue::Float64(Some(v as f64)),
        })
    }
}
