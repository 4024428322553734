//! `count`, `sum`, `sumWithOverflow`, `avg`.
//!
//! Result types follow ClickHouse: `count` → `UInt64`; `sum` of unsigned integers →
//! `UInt64`, of signed → `Int64`, of floats → `Float64`, of `Decimal(P, S)` →
//! `Decimal(38, S)` (`Decimal(76, S)` when P > 38), of 128/256-bit integers → the same
//! type; `sumWithOverflow` keeps the argument type; `avg` → `Float64`. Integer sums wrap
//! on overflow as in ClickHouse. States: `count` = `VarUInt`; `sum` = the accumulator in
//! little-endian; `avg` = numerator (as `sum` stores it) then `VarUInt` count.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, Decimal256Type, Float64Type, Int64Type, UInt64Type, i256,
};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use datafusion::arrow::buffer::BooleanBuffer;
use sluice_simd::agg::{masked_sum_i64, masked_sum_u64};

use super::binary::{Reader, write_var_uint};
use super::column_stats::{ColumnStats, column_stats};
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::float_sum;
use super::func::{AggFunc, AggFuncRef, AggState, same};
use crate::{ch_bail, impl_as_any};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    vec![
        BaseDef {
            name: "count",
            aliases: &[],
            case_insensitive: true,
            nulls: NullMode::Own,
            build: build_count,
        },
        BaseDef {
            name: "sum",
            aliases: &[],
            case_insensitive: true,
            nulls: NullMode::Skip,
            build: build_sum,
        },
        BaseDef {
            name: "sumWithOverflow",
            aliases: &[],
            case_insensitive: false,
            nulls: NullMode::Skip,
            build: build_sum_with_overflow,
        },
        BaseDef {
            name: "avg",
            aliases: &[],
            case_insensitive: true,
            nulls: NullMode::Skip,
            build: build_avg,
        },
    ]
}

// ---------------------------------------------------------------- count

fn build_count(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    Ok(AggFunc::new(
        "count",
        b.args.to_vec(),
        ChType::UInt64,
        || Box::new(CountState(0)),
    ))
}

/// Rows where every argument is non-NULL.
pub fn non_null_rows(args: &[ArrayRef]) -> Result<usize> {
    let Some(first) = args.first() else {
        return Ok(0);
    };
    let nullable: Vec<&ArrayRef> = args
        .iter()
        .filter(|a| a.null_count() > 0 || a.data_type() == &DataType::Null)
        .collect();
    match nullable.len() {
        0 => Ok(first.len()),
        1 if nullable[0].data_type() != &DataType::Null => {
            Ok(first.len() - nullable[0].null_count())
        }
        _ => {
            let mut mask = None;
            for a in nullable {
                if a.data_type() == &DataType::Null {
                    return Ok(0);
                }
                let v = compute::is_not_null(a)?;
                mask = Some(match mask {
                    None => v,
                    Some(m) => compute::and(&m, &v)?,
                });
            }
            Ok(mask.map(|m| m.true_count()).unwrap_or(first.len()))
        }
    }
}

#[derive(Debug)]
struct CountState(u64);

impl AggState for CountState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        self.0 += non_null_rows(args)? as u64;
        Ok(())
    }
    fn add_selected(&mut self, args: &[ArrayRef], mask: &BooleanArray) -> Result<bool> {
        if mask.null_count() > 0 || args.iter().any(|a| a.logical_null_count() > 0) {
            return Ok(false);
        }
        self.0 += mask.true_count() as u64;
        Ok(true)
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        self.0 += same::<CountState>(other)?.0;
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        write_var_uint(out, self.0);
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.0 = r.var_uint()?;
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        Ok(ScalarValue::UInt64(Some(self.0)))
    }
}

// ---------------------------------------------------------------- sum

/// How a numeric argument is accumulated.
#[derive(Clone, Debug, PartialEq)]
pub enum SumKind {
    /// Unsigned integers, in `u64`.
    U64,
    /// Signed integers, in `i64`.
    I64,
    /// Floats, in `f64`.
    F64,
    /// `Decimal(38, S)` (also `Int128`/`UInt128` when `wide` is false and `int` is true).
    D128 { precision: u8, scale: i8 },
    /// `Decimal256` storage: `Decimal(76, S)` and the 128/256-bit integers.
    D256 {
        precision: u8,
        scale: i8,
        bytes: usize,
    },
}

impl SumKind {
    /// The accumulation kind and the `sum` result type for argument type `t`.
    pub fn for_type(t: &ChType, func: &str) -> Result<(SumKind, ChType)> {
        Ok(match t {
            ChType::UInt8 | ChType::UInt16 | ChType::UInt32 | ChType::UInt64 | ChType::Bool => {
                (SumKind::U64, ChType::UInt64)
            }
            ChType::Int8 | ChType::Int16 | ChType::Int32 | ChType::Int64 => {
                (SumKind::I64, ChType::Int64)
            }
            ChType::Float32 | ChType::Float64 | ChType::BFloat16 => (SumKind::F64, ChType::Float64),
            ChType::Decimal { precision, scale } if *precision <= 38 => (
                SumKind::D128 {
                    precision: 38,
                    scale: *scale as i8,
                },
                ChType::Decimal {
                    precision: 38,
                    scale: *scale,
                },
            ),
            ChType::Decimal { scale, .. } => (
                SumKind::D256 {
                    precision: 76,
                    scale: *scale as i8,
                    bytes: 32,
                },
                ChType::Decimal {
                    precision: 76,
                    scale: *scale,
                },
            ),
            ChType::Int128 | ChType::UInt128 => (
                SumKind::D256 {
                    precision: 76,
                    scale: 0,
                    bytes: 16,
                },
                t.clone(),
            ),
            ChType::Int256 | ChType::UInt256 => (
                SumKind::D256 {
                    precision: 76,
                    scale: 0,
                    bytes: 32,
                },
                t.clone(),
            ),
            _ => ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {t} of argument for aggregate function {func}"
            ),
        })
    }

    fn arrow(&self) -> DataType {
        match self {
            SumKind::U64 => DataType::UInt64,
            SumKind::I64 => DataType::Int64,
            SumKind::F64 => DataType::Float64,
            SumKind::D128 { precision, scale } => DataType::Decimal128(*precision, *scale),
            SumKind::D256 {
                precision, scale, ..
            } => DataType::Decimal256(*precision, *scale),
        }
    }
}

/// A running sum in the accumulator of its [`SumKind`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SumAcc {
    /// `u64` accumulator.
    U(u64),
    /// `i64` accumulator.
    I(i64),
    /// `f64` accumulator.
    F(f64),
    /// `i128` accumulator (Decimal128 storage).
    D128(i128),
    /// `i256` accumulator (Decimal256 storage).
    D256(i256),
}

impl SumAcc {
    /// Zero of `kind`.
    pub fn zero(kind: &SumKind) -> SumAcc {
        match kind {
            SumKind::U64 => SumAcc::U(0),
            SumKind::I64 => SumAcc::I(0),
            SumKind::F64 => SumAcc::F(0.0),
            SumKind::D128 { .. } => SumAcc::D128(0),
            SumKind::D256 { .. } => SumAcc::D256(i256::ZERO),
        }
    }

    /// Adds every value of `arr` (no NULLs expected; NULLs are ignored). Floats go in
    /// ClickHouse's order: into the running sum (`sum`), or summed from zero and then
    /// added when `block` (`avg`), see [`float_sum`].
    pub fn add_array(&mut self, kind: &SumKind, arr: &ArrayRef, block: bool) -> Result<()> {
        let a = as_kind(kind, arr)?;
        match self {
            SumAcc::F(s) if a.null_count() == 0 => {
                let v = a.as_primitive::<Float64Type>().values();
                if block {
                    *s += float_sum::block_sum(v);
                } else {
                    float_sum::add_many(s, v);
                }
            }
            SumAcc::U(s) => {
                let part = match column_stats(&a) {
                    Some(ColumnStats::U64(st)) => st.sum,
                    _ => compute::sum(a.as_primitive::<UInt64Type>()).unwrap_or(0),
                };
                *s = s.wrapping_add(part)
            }
            SumAcc::I(s) => {
                let part = match column_stats(&a) {
                    Some(ColumnStats::I64(st)) => st.sum,
                    _ => compute::sum(a.as_primitive::<Int64Type>()).unwrap_or(0),
                };
                *s = s.wrapping_add(part)
            }
            SumAcc::F(s) => *s += compute::sum(a.as_primitive::<Float64Type>()).unwrap_or(0.0),
            SumAcc::D128(s) => {
                *s = s.wrapping_add(compute::sum(a.as_primitive::<Decimal128Type>()).unwrap_or(0))
            }
            SumAcc::D256(s) => {
                *s = s.wrapping_add(
                    compute::sum(a.as_primitive::<Decimal256Type>()).unwrap_or(i256::ZERO),
                )
            }
        }
        Ok(())
    }

    /// Adds the values of `arr` (without NULLs) where `mask` (without NULLs) is true;
    /// `Ok(false)` (nothing added) for the decimal kinds, which the caller filters.
    pub fn add_selected(
        &mut self,
        kind: &SumKind,
        arr: &ArrayRef,
        mask: &BooleanArray,
        block: bool,
    ) -> Result<bool> {
        let bits = mask.values();
        match self {
            SumAcc::U(s) => {
                let a = as_kind(kind, arr)?;
                let v = a.as_primitive::<UInt64Type>().values();
                *s = s.wrapping_add(masked_sum_u64(v, &mask_words(bits)));
            }
            SumAcc::I(s) => {
                let a = as_kind(kind, arr)?;
                let v = a.as_primitive::<Int64Type>().values();
                *s = s.wrapping_add(masked_sum_i64(v, &mask_words(bits)));
            }
            SumAcc::F(s) => {
                let a = as_kind(kind, arr)?;
                let v = a.as_primitive::<Float64Type>().values();
                if block {
                    *s += float_sum::block_sum_selected(v, bits);
                } else {
                    float_sum::add_many_selected(s, v, bits);
                }
            }
            SumAcc::D128(_) | SumAcc::D256(_) => return Ok(false),
        }
        Ok(true)
    }

    /// Adds another accumulator of the same kind.
    pub fn add(&mut self, o: &SumAcc) {
        match (self, o) {
            (SumAcc::U(a), SumAcc::U(b)) => *a = a.wrapping_add(*b),
            (SumAcc::I(a), SumAcc::I(b)) => *a = a.wrapping_add(*b),
            (SumAcc::F(a), SumAcc::F(b)) => *a += *b,
            (SumAcc::D128(a), SumAcc::D128(b)) => *a = a.wrapping_add(*b),
            (SumAcc::D256(a), SumAcc::D256(b)) => *a = a.wrapping_add(*b),
            _ => {}
        }
    }

    /// Writes the accumulator as ClickHouse stores it.
    pub fn write(&self, kind: &SumKind, out: &mut Vec<u8>) {
        match self {
            SumAcc::U(v) => out.extend_from_slice(&v.to_le_bytes()),
            SumAcc::I(v) => out.extend_from_slice(&v.to_le_bytes()),
            SumAcc::F(v) => out.extend_from_slice(&v.to_le_bytes()),
            SumAcc::D128(v) => out.extend_from_slice(&v.to_le_bytes()),
            SumAcc::D256(v) => {
                let n = match kind {
                    SumKind::D256 { bytes, .. } => *bytes,
                    _ => 32,
                };
                out.extend_from_slice(&v.to_le_bytes()[..n]);
            }
        }
    }

    /// Reads an accumulator of `kind`.
    pub fn read(kind: &SumKind, r: &mut Reader) -> Result<SumAcc> {
        Ok(match kind {
            SumKind::U64 => SumAcc::U(r.u64()?),
            SumKind::I64 => SumAcc::I(r.i64()?),
            SumKind::F64 => SumAcc::F(r.f64()?),
            SumKind::D128 { .. } => SumAcc::D128(i128::from_le_bytes(r.array()?)),
            SumKind::D256 { bytes, .. } => {
                let b = r.bytes(*bytes)?;
                let fill = if b[*bytes - 1] & 0x80 != 0 { 0xFF } else { 0 };
                let mut full = [fill; 32];
                full[..*bytes].copy_from_slice(b);
                SumAcc::D256(i256::from_le_bytes(full))
            }
        })
    }

    /// The value as a scalar of `kind`'s Arrow type.
    pub fn scalar(&self, kind: &SumKind) -> ScalarValue {
        match (self, kind) {
            (SumAcc::U(v), _) => ScalarValue::UInt64(Some(*v)),
            (SumAcc::I(v), _) => ScalarValue::Int64(Some(*v)),
            (SumAcc::F(v), _) => ScalarValue::Float64(Some(*v)),
            (SumAcc::D128(v), SumKind::D128 { precision, scale }) => {
                ScalarValue::Decimal128(Some(*v), *precision, *scale)
            }
            (
                SumAcc::D256(v),
                SumKind::D256 {
                    precision, scale, ..
                },
            ) => ScalarValue::Decimal256(Some(*v), *precision, *scale),
            (SumAcc::D128(v), _) => ScalarValue::Decimal128(Some(*v), 38, 0),
            (SumAcc::D256(v), _) => ScalarValue::Decimal256(Some(*v), 76, 0),
        }
    }

    /// The value as `f64` (decimals scaled by `10^-scale`).
    pub fn as_f64(&self, kind: &SumKind) -> f64 {
        match (self, kind) {
            (SumAcc::U(v), _) => *v as f64,
            (SumAcc::I(v), _) => *v as f64,
            (SumAcc::F(v), _) => *v,
            (SumAcc::D128(v), SumKind::D128 { scale, .. }) => {
                *v as f64 / 10f64.powi(i32::from(*scale))
            }
            (SumAcc::D256(v), SumKind::D256 { scale, .. }) => {
                i256_f64(v) / 10f64.powi(i32::from(*scale))
            }
            (SumAcc::D128(v), _) => *v as f64,
            (SumAcc::D256(v), _) => i256_f64(v),
        }
    }
}

/// The bits of `bits` as `u64` words, bit `i` of word `j` for row `64j + i`.
fn mask_words(bits: &BooleanBuffer) -> Vec<u64> {
    let chunks = bits.bit_chunks();
    let mut words: Vec<u64> = chunks.iter().collect();
    if chunks.remainder_len() > 0 {
        words.push(chunks.remainder_bits());
    }
    words
}

/// `arr` as the accumulator kind's Arrow type.
fn as_kind(kind: &SumKind, arr: &ArrayRef) -> Result<ArrayRef> {
    let dt = kind.arrow();
    Ok(if arr.data_type() == &dt {
        Arc::clone(arr)
    } else {
        compute::cast(arr, &dt)?
    })
}

/// True when the `-If` fast path applies: one argument and a mask without NULLs.
fn selectable(args: &[ArrayRef], mask: &BooleanArray) -> bool {
    args.len() == 1 && mask.null_count() == 0 && args[0].null_count() == 0
}

fn i256_f64(v: &i256) -> f64 {
    match v.to_i128() {
        Some(x) => x as f64,
        None => v.to_string().parse().unwrap_or(f64::NAN),
    }
}

fn build_sum(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(1)?;
    let (kind, ret) = SumKind::for_type(&b.args[0], b.name)?;
    Ok(AggFunc::new("sum", b.args.to_vec(), ret, move || {
        Box::new(SumState {
            acc: SumAcc::zero(&kind),
            kind: kind.clone(),
        })
    }))
}

fn build_sum_with_overflow(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(1)?;
    let t = b.args[0].clone();
    let (kind, _) = SumKind::for_type(&t, b.name)?;
    let kind = match (&kind, &t) {
        (SumKind::D128 { .. }, ChType::Decimal { precision, scale }) => SumKind::D128 {
            precision: *precision,
            scale: *scale as i8,
        },
        _ => kind,
    };
    Ok(AggFunc::new(
        "sumWithOverflow",
        b.args.to_vec(),
        t.clone(),
        move || {
            Box::new(SumState {
                acc: SumAcc::zero(&kind),
                kind: kind.clone(),
            })
        },
    ))
}

#[derive(Debug)]
struct SumState {
    kind: SumKind,
    acc: SumAcc,
}

impl AggState for SumState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        match args.first() {
            Some(a) => self.acc.add_array(&self.kind, a, false),
            None => Ok(()),
        }
    }
    fn add_selected(&mut self, args: &[ArrayRef], mask: &BooleanArray) -> Result<bool> {
        if !selectable(args, mask) {
            return Ok(false);
        }
        self.acc.add_selected(&self.kind, &args[0], mask, false)
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        self.acc.add(&same::<SumState>(other)?.acc);
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        self.acc.write(&self.kind, out);
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.acc = SumAcc::read(&self.kind, r)?;
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        Ok(self.acc.scalar(&self.kind))
    }
}

// ---------------------------------------------------------------- avg

fn build_avg(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(1)?;
    let (kind, _) = SumKind::for_type(&b.args[0], b.name)?;
    Ok(AggFunc::new(
        "avg",
        b.args.to_vec(),
        ChType::Float64,
        move || {
            Box::new(AvgState {
                acc: SumAcc::zero(&kind),
                kind: kind.clone(),
                count: 0,
            })
        },
    ))
}

#[derive(Debug)]
struct AvgState {
    kind: SumKind,
    acc: SumAcc,
    count: u64,
}

impl AggState for AvgState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        if let Some(a) = args.first() {
            self.acc.add_array(&self.kind, a, true)?;
            self.count += a.len() as u64;
        }
        Ok(())
    }
    fn add_selected(&mut self, args: &[ArrayRef], mask: &BooleanArray) -> Result<bool> {
        if !selectable(args, mask) {
            return Ok(false);
        }
        let added = self.acc.add_selected(&self.kind, &args[0], mask, true)?;
        if added {
            self.count += mask.true_count() as u64;
        }
        Ok(added)
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<AvgState>(other)?;
        self.acc.add(&o.acc);
        self.count += o.count;
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        self.acc.write(&self.kind, out);
        write_var_uint(out, self.count);
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        self.acc = SumAcc::read(&self.kind, r)?;
        self.count = r.var_uint()?;
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(Some(
            self.acc.as_f64(&self.kind) / self.count as f64,
        )))
    }
}
