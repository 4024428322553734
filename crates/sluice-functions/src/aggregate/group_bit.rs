//! `groupBitOr`, `groupBitAnd`, `groupBitXor` (aliases `BIT_OR`, `BIT_AND`, `BIT_XOR`,
//! any letter case): the bitwise OR / AND / XOR of an integer column.
//!
//! Result: the argument type (`Bool` gives `UInt8`); over no rows `0`, and for
//! `groupBitAnd` every bit set (`18446744073709551615` for `UInt64`, `-1` for signed
//! types), as ClickHouse. Other argument types: `ILLEGAL_TYPE_OF_ARGUMENT` (43).
//!
//! The value is kept as 32 little-endian bytes, sign-extended (bitwise operations commute
//! with sign extension and truncation, so every width shares one state); the state is the
//! value in the argument type's width, little-endian, as ClickHouse writes it.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute;
use datafusion::arrow::datatypes::{DataType, Decimal256Type, Int64Type, UInt64Type, i256};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::Reader;
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
use crate::{ch_bail, impl_as_any};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    let def = |name, aliases| BaseDef {
        name,
        aliases,
        case_insensitive: true,
        nulls: NullMode::Skip,
        build: build_group_bit,
    };
    vec![
        def("groupBitOr", &["BIT_OR"]),
        def("groupBitAnd", &["BIT_AND"]),
        def("groupBitXor", &["BIT_XOR"]),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Or,
    And,
    Xor,
}

/// Width in bytes and signedness of an integer type.
fn int_layout(t: &ChType) -> Option<(usize, bool)> {
    Some(match t {
        ChType::UInt8 | ChType::Bool => (1, false),
        ChType::UInt16 => (2, false),
        ChType::UInt32 => (4, false),
        ChType::UInt64 => (8, false),
        ChType::UInt128 => (16, false),
        ChType::UInt256 => (32, false),
        ChType::Int8 => (1, true),
        ChType::Int16 => (2, true),
        ChType::Int32 => (4, true),
        ChType::Int64 => (8, true),
        ChType::Int128 => (16, true),
        ChType::Int256 => (32, true),
        _ => return None,
    })
}

fn build_group_bit(b: &BuildArgs) -> Result<AggFuncRef> {
    b.no_params()?;
    b.expect_args(1)?;
    let arg = &b.args[0];
    let Some((width, signed)) = int_layout(arg) else {
        if matches!(
            arg,
            ChType::Float32 | ChType::Float64 | ChType::BFloat16 | ChType::Decimal { .. }
        ) {
            ch_bail!(
                ILLEGAL_TYPE_OF_ARGUMENT,
                "Illegal type {arg} of argument for aggregate function {}",
                b.name
            );
        }
        ch_bail!(
            ILLEGAL_TYPE_OF_ARGUMENT,
            "The type {arg} of argument for aggregate function {} is illegal, because it cannot be used in bitwise operations",
            b.name
        );
    };
    let op = match b.name {
        "groupBitOr" => Op::Or,
        "groupBitAnd" => Op::And,
        _ => Op::Xor,
    };
    let ret = if *arg == ChType::Bool {
        ChType::UInt8
    } else {
        arg.clone()
    };
    let out = ret.clone();
    Ok(AggFunc::new(b.name, b.args.to_vec(), ret, move || {
        Box::new(BitState {
            op,
            width,
            signed,
            out: out.clone(),
            bits: if op == Op::And { [0xFF; 32] } else { [0; 32] },
        })
    }))
}

#[derive(Debug)]
struct BitState {
    op: Op,
    width: usize,
    signed: bool,
    out: ChType,
    bits: [u8; 32],
}

impl BitState {
    fn apply(&mut self, v: &[u8; 32]) {
        for (a, b) in self.bits.iter_mut().zip(v) {
            match self.op {
                Op::Or => *a |= b,
                Op::And => *a &= b,
                Op::Xor => *a ^= b,
            }
        }
    }

    /// A value of `width` bytes extended to 32 (sign-extended for signed types).
    fn extend(&self, low: &[u8]) -> [u8; 32] {
        let negative = self.signed && low.last().is_some_and(|b| b & 0x80 != 0);
        let mut v = [if negative { 0xFF } else { 0 }; 32];
        v[..low.len()].copy_from_slice(low);
        v
    }

    fn low_u64(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.bits[..8]);
        u64::from_le_bytes(b)
    }
}

impl AggState for BitState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        let Some(a) = args.first() else { return Ok(()) };
        match a.data_type() {
            DataType::Decimal256(..) => {
                let values = a.as_primitive::<Decimal256Type>();
                for v in values.iter().flatten() {
                    let bytes = v.to_le_bytes();
                    self.apply(&bytes);
                }
            }
            _ if self.signed => {
                let values = compute::cast(a, &DataType::Int64)?;
                for v in values.as_primitive::<Int64Type>().iter().flatten() {
                    let bytes = self.extend(&v.to_le_bytes());
                    self.apply(&bytes);
                }
            }
            _ => {
                let values = compute::cast(a, &DataType::UInt64)?;
                for v in values.as_primitive::<UInt64Type>().iter().flatten() {
                    let bytes = self.extend(&v.to_le_bytes());
                    self.apply(&bytes);
                }
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<BitState>(other)?;
        self.apply(&o.bits);
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        out.extend_from_slice(&self.bits[..self.width]);
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let low = r.bytes(self.width)?;
        self.bits = self.extend(low);
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let v = self.low_u64();
        Ok(match self.out {
            ChType::UInt8 => ScalarValue::UInt8(Some(v as u8)),
            ChType::UInt16 => ScalarValue::UInt16(Some(v as u16)),
            ChType::UInt32 => ScalarValue::UInt32(Some(v as u32)),
            ChType::UInt64 => ScalarValue::UInt64(Some(v)),
            ChType::Int8 => ScalarValue::Int8(Some(v as i8)),
            ChType::Int16 => ScalarValue::Int16(Some(v as i16)),
            ChType::Int32 => ScalarValue::Int32(Some(v as i32)),
            ChType::Int64 => ScalarValue::Int64(Some(v as i64)),
            // 128/256-bit integers are Decimal256(76, 0): the value in its width, extended
            // again (an unsigned 128-bit value stays non-negative).
            _ => ScalarValue::Decimal256(
                Some(i256::from_le_bytes(self.extend(&self.bits[..self.width]))),
                76,
                0,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int8Array, UInt64Array};

    use super::*;
    use crate::aggregate::factory::build;

    fn run(name: &str, t: ChType, a: ArrayRef) -> ScalarValue {
        let f = build(name, &[t]).expect("build");
        let mut s = f.new_state();
        s.add(&[a]).expect("add");
        let mut bytes = Vec::new();
        s.serialize(&mut bytes).expect("serialize");
        let back = f.read_state(&bytes).expect("read");
        back.finalize().expect("finalize")
    }

    /// Expected values from the oracle (`SELECT groupBitAnd(x) FROM values('x Int8', …)`).
    #[test]
    fn widths_and_signs() {
        let a: ArrayRef = Arc::new(Int8Array::from(vec![-2, -3]));
        assert_eq!(
            run("groupBitAnd", ChType::Int8, a),
            ScalarValue::Int8(Some(-4))
        );
        let a: ArrayRef = Arc::new(UInt64Array::from(Vec::<u64>::new()));
        assert_eq!(
            run("groupBitAnd", ChType::UInt64, a),
            ScalarValue::UInt64(Some(u64::MAX))
        );
        let a: ArrayRef = Arc::new(UInt64Array::from(vec![1, 2, 6]));
        assert_eq!(
            run("groupBitXor", ChType::UInt64, a),
            ScalarValue::UInt64(Some(5))
        );
    }
}
