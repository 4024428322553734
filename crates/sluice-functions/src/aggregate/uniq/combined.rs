//! `uniqCombined[(K)]` and `uniqCombined64[(K)]`: ClickHouse's `CombinedCardinalityEstimator`.
//!
//! Keys: for one numeric, date, time, enum or IPv4 argument `intHash64` of the value
//! (sign-extended; a float's bits: `-0` is not `0`, as in ClickHouse 26.9), for one
//! `String`/`FixedString` CityHash64 of its bytes, otherwise ClickHouse's variadic hash (CityHash64 of each argument's bytes
//! folded with `Hash128to64`; a tuple counts as its elements). `uniqCombined` keeps the low
//! 32 bits of a key except for strings, whose keys stay 64-bit as in ClickHouse;
//! `uniqCombined64` keeps all 64.
//!
//! The set is exact while small: up to 16 keys in a list, then a hash set of up to
//! `2^(K-5)` keys (`2^(K-4)` for 32-bit keys); one more insert turns it into a HyperLogLog
//! of `2^K` registers (K = 12..20, default 17) indexed by the key's low K bits, ranked by
//! the trailing zeros of the rest. The estimate is ClickHouse's: `α·m²/Σ2^-rank`, taken
//! as is above `2^32/30`; below, with K = 17 linear counting `m·ln(m/zeros)` replaces
//! results under 177700 (ClickHouse also subtracts its measured HyperLogLog++ bias up to
//! `5m`: that data is not reproduced, so estimates between about 178k and 655k distinct
//! values differ); with other K linear counting replaces estimates up to `2.5m`. Rounded to
//! the nearest integer. A `UUID`, `Int128` and the 256-bit integers are `intHash64` of their
//! 64-bit words XORed, a `UInt128` SipHash-64 of its bytes, as in ClickHouse. Types hashed differently by ClickHouse (IPv6; tuples,
//! arrays and Nullable elements: its exact 128-bit hash) go through the variadic hash here,
//! so their estimates differ once the set is a HyperLogLog.
//!
//! State (this module's own layout): a byte 1/2/3 (list, hash set, HyperLogLog), then
//! `VarUInt` count and `UInt64` keys, or the `2^K` one-byte registers.

use std::collections::HashSet;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Decimal256Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::super::binary::{Reader, write_var_uint};
use super::super::factory::BuildArgs;
use super::super::func::{AggFunc, AggFuncRef, AggState, Param, same};
/// Precision 17: below this many distinct values (by linear counting) linear counting is
/// the estimate (the HyperLogLog++ threshold for 2^17 registers).
const THRESHOLD: f64 = 177_700.0;
use super::{Keys, check_args, column_keys, int_hash64, variadic_hashes};
use crate::hash::city::city_hash64;
use crate::hash::sip::sip_hash64;
use crate::{ch_bail, impl_as_any};

const SMALL: usize = 16;
const DEFAULT_PRECISION: u32 = 17;

/// Builds `uniqCombined`/`uniqCombined64` for the call's parameters and argument types.
pub(super) fn build_combined(b: &BuildArgs) -> Result<AggFuncRef> {
    check_args(b)?;
    let precision = match b.params {
        [] => DEFAULT_PRECISION,
        [Param::Str(_)] => ch_bail!(
            CANNOT_CONVERT_TYPE,
            "Cannot convert String to unsigned long"
        ),
        [p] => match p.as_u64() {
            Some(k @ 12..=20) => k as u32,
            _ => ch_bail!(
                ARGUMENT_OUT_OF_BOUND,
                "Parameter for aggregate function {} is out of range: [12, 20]",
                b.name
            ),
        },
        _ => ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Aggregate function {} requires one parameter or less",
            b.name
        ),
    };
    let types = b.args.to_vec();
    let hashing = Hashing::of(&types);
    let key_bits = if b.name == "uniqCombined64" || hashing == Hashing::Bytes {
        64
    } else {
        32
    };
    let layout = Layout {
        precision,
        key_bits,
    };
    Ok(AggFunc::new(
        b.full_name(),
        types.clone(),
        ChType::UInt64,
        move || {
            Box::new(CombinedState {
                types: types.clone(),
                hashing,
                layout,
                set: Container::Small(Vec::new()),
            })
        },
    ))
}

/// How argument values become keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hashing {
    /// `intHash64` of a number's bits.
    Number,
    /// CityHash64 of a string's bytes.
    Bytes,
    /// `intHash64` of a UUID's halves XORed.
    Uuid,
    /// `intHash64` of the low 64-bit words of a 128-bit (2) or 256-bit (3: ClickHouse's
    /// `key >> 256` is zero) integer XORed.
    Wide(usize),
    /// SipHash-64 of a `UInt128`'s 16 little-endian bytes.
    UInt128,
    /// The variadic hash.
    Variadic,
}

impl Hashing {
    fn of(types: &[ChType]) -> Hashing {
        let [t] = types else {
            return Hashing::Variadic;
        };
        match t.base() {
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
            | ChType::Date
            | ChType::Date32
            | ChType::DateTime(_)
            | ChType::Enum8(_)
            | ChType::Enum16(_)
            | ChType::IPv4 => Hashing::Number,
            ChType::String | ChType::FixedString(_) => Hashing::Bytes,
            ChType::Uuid => Hashing::Uuid,
            ChType::Int128 => Hashing::Wide(2),
            ChType::UInt128 => Hashing::UInt128,
            ChType::Int256 | ChType::UInt256 => Hashing::Wide(3),
            _ => Hashing::Variadic,
        }
    }
}

/// The estimator's dimensions.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// K: the HyperLogLog has `2^K` registers.
    precision: u32,
    /// Key width (32 or 64 bits).
    key_bits: u32,
}

impl Layout {
    /// The hash set's largest size before it becomes a HyperLogLog.
    fn medium_max(&self) -> usize {
        let power = self.precision - 5 + u32::from(self.key_bits == 32);
        1 << power
    }

    fn buckets(&self) -> usize {
        1 << self.precision
    }

    fn max_rank(&self) -> u8 {
        (self.key_bits - self.precision + 1) as u8
    }

    fn insert_large(&self, registers: &mut [u8], key: u64) {
        let bucket = (key as usize) & (self.buckets() - 1);
        let tail = key >> self.precision;
        let max_rank = self.max_rank();
        let rank = if tail == 0 {
            max_rank
        } else {
            (tail.trailing_zeros() as u8 + 1).min(max_rank)
        };
        if let Some(r) = registers.get_mut(bucket)
            && rank > *r
        {
            *r = rank;
        }
    }

    /// ClickHouse's estimate from the registers.
    fn estimate(&self, registers: &[u8]) -> u64 {
        let max_rank = usize::from(self.max_rank());
        let mut rank_count = vec![0u64; max_rank + 1];
        for &r in registers {
            rank_count[usize::from(r).min(max_rank)] += 1;
        }
        // Σ 2^-rank, summed from the highest rank down as ClickHouse does.
        let mut denominator = rank_count[max_rank] as f64;
        for &c in rank_count[..max_rank].iter().rev() {
            denominator = denominator / 2.0 + c as f64;
        }
        let m = self.buckets() as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / denominator;
        let zeros = rank_count[0];
        let linear = |fallback: f64| {
            if zeros != 0 {
                m * (m.ln() - (zeros as f64).ln())
            } else {
                fallback
            }
        };
        let fixed = if raw > 4_294_967_296.0 / 30.0 {
            raw
        } else if self.precision == 17 {
            // ClickHouse subtracts an empirically measured bias from raw estimates up to
            // 5m here; that table is ClickHouse's data, not reproduced, so between the
            // threshold and 5m (about 178k to 655k distinct values) Sluice's estimate is the
            // raw one (docs/status.md).
            let l = linear(raw);
            if l < THRESHOLD { l } else { raw }
        } else if raw <= 2.5 * m {
            linear(raw)
        } else {
            raw
        };
        (fixed + 0.5) as u64
    }
}

#[derive(Debug)]
enum Container {
    Small(Vec<u64>),
    Medium(HashSet<u64>),
    Large(Vec<u8>),
}

#[derive(Debug)]
struct CombinedState {
    types: Vec<ChType>,
    hashing: Hashing,
    layout: Layout,
    set: Container,
}

impl CombinedState {
    fn rank(&self) -> u8 {
        match self.set {
            Container::Small(_) => 1,
            Container::Medium(_) => 2,
            Container::Large(_) => 3,
        }
    }

    fn grow_to_medium(&mut self) {
        if let Container::Small(keys) = &mut self.set {
            let set = std::mem::take(keys).into_iter().collect();
            self.set = Container::Medium(set);
        }
    }

    fn grow_to_large(&mut self) {
        let keys: Vec<u64> = match &mut self.set {
            Container::Small(keys) => std::mem::take(keys),
            Container::Medium(set) => set.drain().collect(),
            Container::Large(_) => return,
        };
        let mut registers = vec![0u8; self.layout.buckets()];
        for k in keys {
            self.layout.insert_large(&mut registers, k);
        }
        self.set = Container::Large(registers);
    }

    fn insert(&mut self, key: u64) {
        match &mut self.set {
            Container::Small(keys) => {
                if keys.contains(&key) {
                    return;
                }
                if keys.len() < SMALL {
                    keys.push(key);
                    return;
                }
                self.grow_to_medium();
                self.insert(key);
            }
            Container::Medium(set) => {
                if set.len() < self.layout.medium_max() {
                    set.insert(key);
                    return;
                }
                self.grow_to_large();
                self.insert(key);
            }
            Container::Large(registers) => self.layout.insert_large(registers, key),
        }
    }

    /// The keys of a batch, truncated to the key width.
    fn keys(&self, args: &[ArrayRef]) -> Result<Vec<u64>> {
        let mut keys = match self.hashing {
            Hashing::Number => match args.first().and_then(|a| {
                self.types
                    .first()
                    .and_then(|t| column_keys(a, t).map(|k| (k, t)))
            }) {
                Some((Keys::Bits(v), _)) => v.into_iter().map(int_hash64).collect(),
                _ => variadic_hashes(args, &self.types)?,
            },
            Hashing::Bytes => match args
                .first()
                .and_then(|a| self.types.first().and_then(|t| column_keys(a, t)))
            {
                Some(Keys::Bytes(v)) => v.iter().map(|b| city_hash64(b)).collect(),
                _ => variadic_hashes(args, &self.types)?,
            },
            Hashing::Uuid => match args.first().map(|a| a.data_type()) {
                Some(DataType::FixedSizeBinary(16)) => {
                    let f = args[0].as_fixed_size_binary();
                    (0..f.len()).map(|i| uuid_key(f.value(i))).collect()
                }
                _ => variadic_hashes(args, &self.types)?,
            },
            Hashing::Wide(words) => match args.first().map(|a| a.data_type()) {
                Some(DataType::Decimal256(..)) => args[0]
                    .as_primitive::<Decimal256Type>()
                    .values()
                    .iter()
                    .map(|v| {
                        let bytes = v.to_le_bytes();
                        let folded = bytes
                            .chunks_exact(8)
                            .take(words)
                            .filter_map(|c| <[u8; 8]>::try_from(c).ok())
                            .fold(0, |acc, c| acc ^ u64::from_le_bytes(c));
                        int_hash64(folded)
                    })
                    .collect(),
                _ => variadic_hashes(args, &self.types)?,
            },
            Hashing::UInt128 => match args.first().map(|a| a.data_type()) {
                Some(DataType::Decimal256(..)) => args[0]
                    .as_primitive::<Decimal256Type>()
                    .values()
                    .iter()
                    .map(|v| sip_hash64(&v.to_le_bytes()[..16]))
                    .collect(),
                _ => variadic_hashes(args, &self.types)?,
            },
            Hashing::Variadic => match (args, self.types.as_slice()) {
                ([a], [ChType::Tuple(elems)]) if matches!(a.data_type(), DataType::Struct(_)) => {
                    let types: Vec<ChType> = elems.iter().map(|(_, t)| t.clone()).collect();
                    variadic_hashes(a.as_struct().columns(), &types)?
                }
                _ => variadic_hashes(args, &self.types)?,
            },
        };
        if self.layout.key_bits == 32 {
            for k in keys.iter_mut() {
                *k &= u64::from(u32::MAX);
            }
        }
        Ok(keys)
    }
}

/// ClickHouse's `DefaultHash64` of a UUID: `intHash64` of its two 64-bit halves XORed.
fn uuid_key(text_order: &[u8]) -> u64 {
    let half = |r: std::ops::Range<usize>| {
        text_order
            .get(r)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_be_bytes)
    };
    int_hash64(half(0..8) ^ half(8..16))
}

impl AggState for CombinedState {
    impl_as_any!();

    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        for k in self.keys(args)? {
            self.insert(k);
        }
        Ok(())
    }

    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<CombinedState>(other)?;
        match o.rank().max(self.rank()) {
            2 if self.rank() == 1 => self.grow_to_medium(),
            3 => self.grow_to_large(),
            _ => {}
        }
        match &o.set {
            Container::Small(keys) => {
                for &k in keys {
                    self.insert(k);
                }
            }
            Container::Medium(set) => {
                for &k in set {
                    self.insert(k);
                }
            }
            Container::Large(theirs) => {
                if let Container::Large(mine) = &mut self.set {
                    for (a, b) in mine.iter_mut().zip(theirs) {
                        *a = (*a).max(*b);
                    }
                }
            }
        }
        Ok(())
    }

    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        out.push(self.rank());
        let mut keys = |keys: &mut dyn Iterator<Item = u64>, n: usize| {
            write_var_uint(out, n as u64);
            for k in keys {
                out.extend_from_slice(&k.to_le_bytes());
            }
        };
        match &self.set {
            Container::Small(v) => keys(&mut v.iter().copied(), v.len()),
            Container::Medium(s) => keys(&mut s.iter().copied(), s.len()),
            Container::Large(r) => out.extend_from_slice(r),
        }
        Ok(())
    }

    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        match r.u8()? {
            3 => {
                let regs = r.bytes(self.layout.buckets())?.to_vec();
                self.set = Container::Large(regs);
            }
            kind => {
                if kind == 2 {
                    self.grow_to_medium();
                }
                let n = r.count(8)?;
                for _ in 0..n {
                    let k = r.u64()?;
                    self.insert(k);
                }
            }
        }
        Ok(())
    }

    fn finalize(&self) -> Result<ScalarValue> {
        let n = match &self.set {
            Container::Small(v) => v.len() as u64,
            Container::Medium(s) => s.len() as u64,
            Container::Large(r) => self.layout.estimate(r),
        };
        Ok(ScalarValue::UInt64(Some(n)))
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + match &self.set {
                Container::Small(v) => v.len() * 8,
                Container::Medium(s) => s.len() * 16,
                Container::Large(r) => r.len(),
            }
    }
}
