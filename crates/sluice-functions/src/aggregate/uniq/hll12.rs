//! `uniqHLL12`: ClickHouse's `HyperLogLogWithSmallSetOptimization<T, 16, 12>`.
//!
//! Up to 16 distinct keys are kept exactly; the 17th turns the set into a HyperLogLog
//! counter of 2^12 one-byte registers over 32-bit hashes. Keys are what ClickHouse inserts:
//! the value's bits for one numeric argument (hashed by `IntHash32`, unsalted, of the bits
//! zero-extended to 64), CityHash64 for one string (then `IntHash32`), and the variadic
//! pre-hash for several arguments or a tuple (whose low 32 bits are the hash). The estimate
//! is ClickHouse's: `alpha·m²/Σ2^-rank`, linear counting `m·ln(m/zeros)` while at most
//! `2.5·m` with empty registers, rounded to the nearest integer.
//!
//! State (this module's own layout): a byte 0 then `VarUInt` count and `UInt64` keys, or a
//! byte 1 then the 4096 registers.

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::super::binary::{Reader, write_var_uint};
use super::super::factory::BuildArgs;
use super::super::func::{AggFunc, AggFuncRef, AggState, same};
use super::{check_args, uniq_hashes};
use crate::impl_as_any;

const SMALL: usize = 16;
const PRECISION: u32 = 12;
const BUCKETS: usize = 1 << PRECISION;
const MAX_RANK: u8 = (32 - PRECISION + 1) as u8;

/// Builds `uniqHLL12` for the call's argument types.
pub(super) fn build_hll12(b: &BuildArgs) -> Result<AggFuncRef> {
    check_args(b)?;
    b.no_params()?;
    let types = b.args.to_vec();
    Ok(AggFunc::new(
        b.full_name(),
        types.clone(),
        ChType::UInt64,
        move || {
            Box::new(Hll12State {
                types: types.clone(),
                small: Vec::new(),
                registers: None,
            })
        },
    ))
}

/// `intHash32` with salt 0 (ClickHouse's `IntHash32<T>`, Thomas Wang's 64→32 hash).
fn int_hash32_unsalted(mut k: u64) -> u32 {
    k = (!k).wrapping_add(k << 18);
    k ^= k.rotate_right(31);
    k = k.wrapping_mul(21);
    k ^= k.rotate_right(11);
    k = k.wrapping_add(k << 6);
    k ^= k.rotate_right(22);
    k as u32
}

/// Bit width of a narrow signed integer type (its bits are zero-extended by ClickHouse's
/// hash, where `uniq` sign-extends them).
fn signed_width(t: &ChType) -> Option<u32> {
    match t.base() {
        ChType::Int8 => Some(8),
        ChType::Int16 => Some(16),
        ChType::Int32 => Some(32),
        _ => None,
    }
}

#[derive(Debug)]
struct Hll12State {
    types: Vec<ChType>,
    /// Distinct keys while there are at most [`SMALL`].
    small: Vec<u64>,
    /// The registers once the set is large.
    registers: Option<Vec<u8>>,
}

impl Hll12State {
    /// Whether keys are hashed with `IntHash32` (one argument) or are hashes already.
    fn hashed_keys(&self) -> bool {
        !(self.types.len() > 1 || matches!(self.types.first(), Some(ChType::Tuple(_))))
    }

    fn hash(&self, key: u64) -> u32 {
        if self.hashed_keys() {
            int_hash32_unsalted(key)
        } else {
            key as u32
        }
    }

    fn insert_large(registers: &mut [u8], hash: u32) {
        let bucket = (hash as usize) & (BUCKETS - 1);
        let tail = hash >> PRECISION;
        let rank = if tail == 0 {
            MAX_RANK
        } else {
            (tail.trailing_zeros() as u8 + 1).min(MAX_RANK)
        };
        if rank > registers[bucket] {
            registers[bucket] = rank;
        }
    }

    fn insert(&mut self, key: u64) {
        let hash = self.hash(key);
        if let Some(r) = self.registers.as_mut() {
            Self::insert_large(r, hash);
            return;
        }
        if self.small.contains(&key) {
            return;
        }
        if self.small.len() < SMALL {
            self.small.push(key);
            return;
        }
        let mut registers = vec![0u8; BUCKETS];
        for k in std::mem::take(&mut self.small) {
            Self::insert_large(&mut registers, self.hash(k));
        }
        Self::insert_large(&mut registers, hash);
        self.registers = Some(registers);
    }

    fn estimate(&self) -> u64 {
        let Some(r) = &self.registers else {
            return self.small.len() as u64;
        };
        let m = BUCKETS as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let denominator: f64 = r.iter().map(|&k| 2f64.powi(-i32::from(k))).sum();
        let raw = alpha * m * m / denominator;
        let zeros = r.iter().filter(|&&k| k == 0).count();
        let fixed = if raw <= 2.5 * m && zeros != 0 && raw <= 4_294_967_296.0 / 30.0 {
            m * (m.ln() - (zeros as f64).ln())
        } else {
            raw
        };
        (fixed + 0.5) as u64
    }

    /// The arguments with a tuple argument split into its elements.
    fn keys(&self, args: &[ArrayRef]) -> Result<Vec<u64>> {
        if let ([a], [ChType::Tuple(elems)]) = (args, self.types.as_slice())
            && let DataType::Struct(_) = a.data_type()
        {
            let s = a.as_struct();
            let types: Vec<ChType> = elems.iter().map(|(_, t)| t.clone()).collect();
            return Ok(uniq_hashes(s.columns(), &types)?.0);
        }
        let mut keys = uniq_hashes(args, &self.types)?.0;
        if let ([_], Some(w)) = (args, self.types.first().and_then(signed_width)) {
            let mask = (1u64 << w) - 1;
            for k in keys.iter_mut() {
                *k &= mask;
            }
        }
        // A float's key is its bits converted back to the float type as a number (ClickHouse
        // casts the 64-bit hash of the value to the set's value type).
        match self.types.first().map(ChType::base) {
            Some(ChType::Float64) if args.len() == 1 => {
                for k in keys.iter_mut() {
                    *k = (*k as f64).to_bits();
                }
            }
            Some(ChType::Float32) if args.len() == 1 => {
                for k in keys.iter_mut() {
                    *k = u64::from((*k as f32).to_bits());
                }
            }
            _ => {}
        }
        Ok(keys)
    }
}

impl AggState for Hll12State {
    impl_as_any!();

    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        for k in self.keys(args)? {
            self.insert(k);
        }
        Ok(())
    }

    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<Hll12State>(other)?;
        match &o.registers {
            None => {
                for &k in &o.small {
                    self.insert(k);
                }
            }
            Some(theirs) => {
                let mine = match self.registers.take() {
                    Some(r) => r,
                    None => {
                        let mut r = vec![0u8; BUCKETS];
                        for k in std::mem::take(&mut self.small) {
                            Self::insert_large(&mut r, self.hash(k));
                        }
                        r
                    }
                };
                let merged = mine.iter().zip(theirs).map(|(a, b)| (*a).max(*b)).collect();
                self.registers = Some(merged);
            }
        }
        Ok(())
    }

    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        match &self.registers {
            None => {
                out.push(0);
                write_var_uint(out, self.small.len() as u64);
                for k in &self.small {
                    out.extend_from_slice(&k.to_le_bytes());
                }
            }
            Some(r) => {
                out.push(1);
                out.extend_from_slice(r);
            }
        }
        Ok(())
    }

    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        if r.u8()? == 0 {
            let n = r.count(8)?;
            for _ in 0..n {
                let k = r.u64()?;
                self.insert(k);
            }
        } else {
            let regs = r.bytes(BUCKETS)?.to_vec();
            self.registers = Some(regs);
        }
        Ok(())
    }

    fn finalize(&self) -> Result<ScalarValue> {
        Ok(ScalarValue::UInt64(Some(self.estimate())))
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.small.len() * 8
            + self.registers.as_ref().map_or(0, Vec::len)
    }
}
