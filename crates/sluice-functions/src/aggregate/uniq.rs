//! `uniq`, `uniqExact`, `uniqCombined`, `uniqCombined64`, `uniqHLL12`, `uniqTheta`,
//! `uniqUpTo(N)`.
//!
//! `uniq` is ClickHouse's `UniquesHashSet`: 32-bit hashes of the values (`intHash64` of
//! the value bits for numbers, of CityHash64 for strings; CityHash64 over each argument's
//! bytes combined with `Hash128to64` for several arguments), keeping only hashes whose
//! low `skip_degree` bits are zero so that at most 65536 are stored, and ClickHouse's
//! estimate (with its pseudo-random remainder and collision correction). Results equal
//! ClickHouse's for the same data. `uniqHLL12` is ClickHouse's HyperLogLog ([`hll12`]),
//! `uniqCombined*` its combined estimator ([`combined`]). `uniqTheta` uses `uniq`'s
//! algorithm (ClickHouse: a DataSketches theta sketch, so above 65536 distinct values the
//! estimates differ; chdb, the reference build, has no `uniqTheta`). Arguments of types
//! other than numbers, dates and strings (tuples, arrays, UUID, 128/256-bit integers) are
//! hashed from their `RowBinary`
//! encoding, which differs from ClickHouse's hash (estimates differ above 65536 values).
//!
//! States: `uniq` = skip degree byte, `VarUInt` count, `UInt32` hashes (sorted, where
//! ClickHouse writes its hash-table order — both read either); `uniqExact` = `VarUInt`
//! count then the values for one numeric argument (as ClickHouse), 128-bit SipHash keys
//! otherwise (ClickHouse uses its own SipHash-128 variant: counts are right, keys differ).

use std::collections::HashSet;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Date64Type, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use sluice_common::ChType;

use super::binary::{Reader, write_var_uint};
use super::factory::{BaseDef, BuildArgs, NullMode};
use super::func::{AggFunc, AggFuncRef, AggState, same};
use super::value::write_value;
use crate::hash::city::{city_hash64, hash128_to_64};
use crate::{ch_bail, impl_as_any};

mod combined;
mod hash_set;
mod hll12;

use hash_set::{MAX_SIZE, UniquesSet};

/// The base definitions of this family.
pub fn defs() -> Vec<BaseDef> {
    let def = |name, build| BaseDef {
        name,
        aliases: &[],
        case_insensitive: false,
        nulls: NullMode::SkipKeepType,
        build,
    };
    vec![
        def("uniq", build_uniq),
        def("uniqCombined", combined::build_combined),
        def("uniqCombined64", combined::build_combined),
        def("uniqHLL12", hll12::build_hll12),
        def("uniqTheta", build_uniq),
        def("uniqExact", build_exact),
        def("uniqUpTo", build_up_to),
    ]
}

fn check_args(b: &BuildArgs) -> Result<()> {
    if b.args.is_empty() {
        ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Incorrect number of arguments for aggregate function {}",
            b.name
        );
    }
    Ok(())
}

// ---------------------------------------------------------------- value hashing

/// ClickHouse's `intHash64` (the MurmurHash3 finalizer), its default 64-bit hash.
pub fn int_hash64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    x
}

/// How the values of one argument column are turned into keys.
enum Keys {
    /// The value's bits as ClickHouse passes them (sign-extended integers, float bits).
    Bits(Vec<u64>),
    /// Strings (their bytes).
    Bytes(Vec<Vec<u8>>),
}

fn prim<T: datafusion::arrow::datatypes::ArrowPrimitiveType>(
    a: &ArrayRef,
    f: impl Fn(T::Native) -> u64,
) -> Keys {
    Keys::Bits(
        a.as_primitive::<T>()
            .values()
            .iter()
            .map(|v| f(*v))
            .collect(),
    )
}

/// Per-row keys of a single column, or `None` when the type has no native key.
fn column_keys(a: &ArrayRef, t: &ChType) -> Option<Keys> {
    Some(match a.data_type() {
        DataType::UInt8 => prim::<UInt8Type>(a, u64::from),
        DataType::UInt16 => prim::<UInt16Type>(a, u64::from),
        DataType::UInt32 => prim::<UInt32Type>(a, u64::from),
        DataType::UInt64 => prim::<UInt64Type>(a, |v| v),
        DataType::Int8 => prim::<Int8Type>(a, |v| v as i64 as u64),
        DataType::Int16 => prim::<Int16Type>(a, |v| v as i64 as u64),
        DataType::Int32 => prim::<Int32Type>(a, |v| v as i64 as u64),
        DataType::Int64 => prim::<Int64Type>(a, |v| v as u64),
        DataType::Float32 => prim::<Float32Type>(a, |v| u64::from(v.to_bits())),
        DataType::Float64 => prim::<Float64Type>(a, |v| v.to_bits()),
        DataType::Date32 => prim::<Date32Type>(a, |v| v as i64 as u64),
        DataType::Date64 => prim::<Date64Type>(a, |v| (v / 86_400_000) as u64),
        DataType::Timestamp(TimeUnit::Second, _) => prim::<TimestampSecondType>(a, |v| v as u64),
        DataType::Timestamp(unit, _) if matches!(t, ChType::DateTime64(..)) => {
            let ChType::DateTime64(p, _) = t else {
                return None;
            };
            let digits = match unit {
                TimeUnit::Millisecond => 3,
                TimeUnit::Microsecond => 6,
                _ => 9,
            };
            let div = 10i64.pow(u32::from(digits - (*p).min(digits)));
            match unit {
                TimeUnit::Millisecond => prim::<TimestampMillisecondType>(a, |v| (v / div) as u64),
                TimeUnit::Microsecond => prim::<TimestampMicrosecondType>(a, |v| (v / div) as u64),
                _ => prim::<TimestampNanosecondType>(a, |v| (v / div) as u64),
            }
        }
        DataType::Boolean => Keys::Bits(
            a.as_boolean()
                .iter()
                .map(|v| u64::from(v.unwrap_or(false)))
                .collect(),
        ),
        DataType::Utf8 if matches!(t.base(), ChType::String) => Keys::Bytes(
            a.as_string::<i32>()
                .iter()
                .map(|v| v.unwrap_or("").as_bytes().to_vec())
                .collect(),
        ),
        DataType::LargeUtf8 => Keys::Bytes(
            a.as_string::<i64>()
                .iter()
                .map(|v| v.unwrap_or("").as_bytes().to_vec())
                .collect(),
        ),
        DataType::Utf8View => Keys::Bytes(
            a.as_string_view()
                .iter()
                .map(|v| v.unwrap_or("").as_bytes().to_vec())
                .collect(),
        ),
        DataType::Binary => Keys::Bytes(
            a.as_binary::<i32>()
                .iter()
                .map(|v| v.unwrap_or(&[]).to_vec())
                .collect(),
        ),
        DataType::FixedSizeBinary(_) if matches!(t, ChType::FixedString(_)) => {
            let f = a.as_fixed_size_binary();
            Keys::Bytes((0..f.len()).map(|i| f.value(i).to_vec()).collect())
        }
        _ => return None,
    })
}

/// Per-row `RowBinary` encodings of the arguments (the generic key).
fn row_bytes(args: &[ArrayRef], types: &[ChType]) -> Result<Vec<Vec<u8>>> {
    let n = args.first().map(|a| a.len()).unwrap_or(0);
    let mut out = Vec::with_capacity(n);
    for row in 0..n {
        let mut buf = Vec::new();
        for (a, t) in args.iter().zip(types) {
            write_value(&mut buf, t, &ScalarValue::try_from_array(a, row)?)?;
        }
        out.push(buf);
    }
    Ok(out)
}

/// The bytes ClickHouse's `getDataAt` yields for a numeric key of type `t`.
fn bits_bytes(v: u64, t: &ChType) -> Vec<u8> {
    let w = fixed_width(t).unwrap_or(8);
    v.to_le_bytes()[..w.min(8)].to_vec()
}

/// Byte width of fixed-size numeric ClickHouse types.
fn fixed_width(t: &ChType) -> Option<usize> {
    Some(match t.base() {
        ChType::UInt8 | ChType::Int8 | ChType::Bool | ChType::Enum8(_) => 1,
        ChType::UInt16 | ChType::Int16 | ChType::Date | ChType::Enum16(_) => 2,
        ChType::UInt32
        | ChType::Int32
        | ChType::Float32
        | ChType::DateTime(_)
        | ChType::Date32
        | ChType::IPv4 => 4,
        ChType::UInt64 | ChType::Int64 | ChType::Float64 | ChType::DateTime64(..) => 8,
        _ => return None,
    })
}

/// The 64-bit values `uniq` inserts (before the set's own `intHash64`), and whether the
/// set must apply that hash (single argument) or take them as they are (variadic).
fn uniq_hashes(args: &[ArrayRef], types: &[ChType]) -> Result<(Vec<u64>, bool)> {
    if let [a] = args {
        return Ok(match column_keys(a, &types[0]) {
            Some(Keys::Bits(v)) => (v, true),
            Some(Keys::Bytes(v)) => (v.iter().map(|b| city_hash64(b)).collect(), true),
            None => (
                row_bytes(args, types)?
                    .iter()
                    .map(|b| city_hash64(b))
                    .collect(),
                true,
            ),
        });
    }
    Ok((variadic_hashes(args, types)?, false))
}

/// ClickHouse's variadic key: CityHash64 of each argument's bytes, folded with
/// `Hash128to64` (also the key of one argument of a type without a native key).
fn variadic_hashes(args: &[ArrayRef], types: &[ChType]) -> Result<Vec<u64>> {
    let n = args.first().map(|a| a.len()).unwrap_or(0);
    let mut hashes = vec![0u64; n];
    for (i, (a, t)) in args.iter().zip(types).enumerate() {
        let col: Vec<u64> = match column_keys(a, t) {
            Some(Keys::Bits(v)) => v.iter().map(|x| city_hash64(&bits_bytes(*x, t))).collect(),
            Some(Keys::Bytes(v)) => v.iter().map(|b| city_hash64(b)).collect(),
            None => row_bytes(std::slice::from_ref(a), std::slice::from_ref(t))?
                .iter()
                .map(|b| city_hash64(b))
                .collect(),
        };
        for (h, c) in hashes.iter_mut().zip(col) {
            *h = if i == 0 { c } else { hash128_to_64(c, *h) };
        }
    }
    Ok(hashes)
}

// ---------------------------------------------------------------- uniq (UniquesHashSet)

fn build_uniq(b: &BuildArgs) -> Result<AggFuncRef> {
    check_args(b)?;
    let types = b.args.to_vec();
    let name = b.full_name();
    b.no_params()?;
    Ok(AggFunc::new(
        name,
        types.clone(),
        ChType::UInt64,
        move || {
            Box::new(UniqState {
                types: types.clone(),
                set: UniquesSet::default(),
            })
        },
    ))
}

#[derive(Debug)]
struct UniqState {
    types: Vec<ChType>,
    set: UniquesSet,
}

/// ClickHouse's `intHashCRC32`: the SSE4.2 CRC32C of the 8 bytes of `x`, starting from
/// all ones, without final inversion.
fn int_hash_crc32(x: u64) -> u32 {
    let mut crc: u32 = 0xFFFF_FFFF;
    for byte in x.to_le_bytes() {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    crc
}

impl UniqState {
    /// Inserts `intHash64` of every value's bits (`bits`: how the value is widened, as in
    /// [`column_keys`]), straight from the column.
    fn add_values<T: ArrowPrimitiveType>(&mut self, a: &ArrayRef, bits: impl Fn(T::Native) -> u64) {
        for v in a.as_primitive::<T>().values() {
            self.set.insert(int_hash64(bits(*v)) as u32);
        }
    }

    /// The allocation-free path for one integer (or date) column; false for other types.
    fn add_native(&mut self, a: &ArrayRef) -> bool {
        match a.data_type() {
            DataType::UInt8 => self.add_values::<UInt8Type>(a, u64::from),
            DataType::UInt16 => self.add_values::<UInt16Type>(a, u64::from),
            DataType::UInt32 => self.add_values::<UInt32Type>(a, u64::from),
            DataType::UInt64 => self.add_values::<UInt64Type>(a, |v| v),
            DataType::Int8 => self.add_values::<Int8Type>(a, |v| v as i64 as u64),
            DataType::Int16 => self.add_values::<Int16Type>(a, |v| v as i64 as u64),
            DataType::Int32 => self.add_values::<Int32Type>(a, |v| v as i64 as u64),
            DataType::Int64 => self.add_values::<Int64Type>(a, |v| v as u64),
            DataType::Date32 => self.add_values::<Date32Type>(a, |v| v as i64 as u64),
            _ => return false,
        }
        true
    }

    fn estimate(&self) -> u64 {
        let n = self.set.len() as u64;
        let skip_degree = self.set.skip_degree();
        if skip_degree == 0 {
            return n;
        }
        let mut res = n << skip_degree;
        res += u64::from(int_hash_crc32(n)) & ((1u64 << skip_degree) - 1);
        let p32 = 4294967296.0f64;
        let fixed = -p32 * (-(res as f64) / p32).ln_1p();
        fixed.round() as u64
    }
}

impl AggState for UniqState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        // Nulls were removed before (`NullMode::SkipKeepType`); as in `column_keys`, the
        // values buffer is read whole.
        if let [a] = args
            && self.add_native(a)
        {
            return Ok(());
        }
        let (hashes, apply) = uniq_hashes(args, &self.types)?;
        for h in hashes {
            let v = if apply { int_hash64(h) } else { h };
            self.set.insert(v as u32);
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        let o = same::<UniqState>(other)?;
        self.set.raise_to(o.set.skip_degree());
        self.set.reserve(o.set.len());
        for h in o.set.iter() {
            self.set.insert(h);
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        out.push(self.set.skip_degree() as u8);
        write_var_uint(out, self.set.len() as u64);
        let mut v: Vec<u32> = self.set.iter().collect();
        v.sort_unstable();
        for h in v {
            out.extend_from_slice(&h.to_le_bytes());
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let skip_degree = u32::from(r.u8()?);
        if skip_degree >= 32 {
            ch_bail!(
                INCORRECT_DATA,
                "Cannot read uniq state: skip degree {} is too large",
                skip_degree
            );
        }
        let n = r.count(4)?;
        if n > MAX_SIZE {
            ch_bail!(INCORRECT_DATA, "Cannot read uniq state: too large size {n}");
        }
        self.set.clear();
        self.set.raise_to(skip_degree);
        self.set.reserve(n);
        for _ in 0..n {
            self.set.insert(r.u32()?);
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        Ok(ScalarValue::UInt64(Some(self.estimate())))
    }
    fn size(&self) -> usize {
        self.set.allocated() + 64
    }
}

// ---------------------------------------------------------------- uniqExact / uniqUpTo

fn sip128(b: &[u8]) -> u128 {
    use std::hash::Hasher;
    let mut h = siphasher::sip128::SipHasher24::new();
    h.write(b);
    siphasher::sip128::Hasher128::finish128(&h).as_u128()
}

/// Exact keys: the value itself for one fixed-width numeric argument, else a 128-bit hash.
pub(super) fn exact_keys(args: &[ArrayRef], types: &[ChType]) -> Result<Vec<u128>> {
    if let [a] = args {
        // Strings hash straight from the column's bytes (no copy per value).
        let hashed: Option<Vec<u128>> = match a.data_type() {
            DataType::Utf8 if matches!(types[0].base(), ChType::String) => Some(
                a.as_string::<i32>()
                    .iter()
                    .map(|v| sip128(v.unwrap_or("").as_bytes()))
                    .collect(),
            ),
            DataType::LargeUtf8 => Some(
                a.as_string::<i64>()
                    .iter()
                    .map(|v| sip128(v.unwrap_or("").as_bytes()))
                    .collect(),
            ),
            DataType::Utf8View => Some(
                a.as_string_view()
                    .iter()
                    .map(|v| sip128(v.unwrap_or("").as_bytes()))
                    .collect(),
            ),
            DataType::Binary => Some(
                a.as_binary::<i32>()
                    .iter()
                    .map(|v| sip128(v.unwrap_or(&[])))
                    .collect(),
            ),
            _ => None,
        };
        if let Some(h) = hashed {
            return Ok(h);
        }
        match column_keys(a, &types[0]) {
            Some(Keys::Bits(v)) => {
                let w = fixed_width(&types[0]).unwrap_or(8);
                let mask = if w >= 8 {
                    u64::MAX
                } else {
                    (1u64 << (w * 8)) - 1
                };
                return Ok(v.into_iter().map(|x| u128::from(x & mask)).collect());
            }
            Some(Keys::Bytes(v)) => return Ok(v.iter().map(|b| sip128(b)).collect()),
            None => {}
        }
    }
    Ok(row_bytes(args, types)?.iter().map(|b| sip128(b)).collect())
}

pub(super) fn key_width(types: &[ChType]) -> usize {
    match types {
        [t] if matches!(t.base(), ChType::String | ChType::FixedString(_)) => 16,
        [t] => fixed_width(t).unwrap_or(16),
        _ => 16,
    }
}

fn build_exact(b: &BuildArgs) -> Result<AggFuncRef> {
    check_args(b)?;
    b.no_params()?;
    let types = b.args.to_vec();
    Ok(AggFunc::new(
        "uniqExact",
        types.clone(),
        ChType::UInt64,
        move || {
            Box::new(ExactState {
                width: key_width(&types),
                types: types.clone(),
                set: HashSet::new(),
                limit: None,
            })
        },
    ))
}

fn build_up_to(b: &BuildArgs) -> Result<AggFuncRef> {
    check_args(b)?;
    let limit = match b.params {
        [] => 5,
        [p] => match p.as_u64() {
            Some(v) if v <= 100 => v as usize,
            _ => ch_bail!(
                ARGUMENT_OUT_OF_BOUND,
                "Too large parameter for aggregate function uniqUpTo. Maximum: 100"
            ),
        },
        _ => ch_bail!(
            NUMBER_OF_ARGUMENTS_DOESNT_MATCH,
            "Aggregate function uniqUpTo requires one parameter or less"
        ),
    };
    let types = b.args.to_vec();
    Ok(AggFunc::new(
        b.full_name(),
        types.clone(),
        ChType::UInt64,
        move || {
            Box::new(ExactState {
                width: key_width(&types),
                types: types.clone(),
                set: HashSet::new(),
                limit: Some(limit),
            })
        },
    ))
}

#[derive(Debug)]
struct ExactState {
    types: Vec<ChType>,
    width: usize,
    set: HashSet<u128>,
    /// `uniqUpTo(N)`: stop collecting after N + 1 keys.
    limit: Option<usize>,
}

impl ExactState {
    fn full(&self) -> bool {
        self.limit.is_some_and(|l| self.set.len() > l)
    }
}

impl AggState for ExactState {
    impl_as_any!();
    fn add(&mut self, args: &[ArrayRef]) -> Result<()> {
        if self.full() {
            return Ok(());
        }
        for k in exact_keys(args, &self.types)? {
            self.set.insert(k);
            if self.full() {
                break;
            }
        }
        Ok(())
    }
    fn merge(&mut self, other: &dyn AggState) -> Result<()> {
        for k in &same::<ExactState>(other)?.set {
            if self.full() {
                break;
            }
            self.set.insert(*k);
        }
        Ok(())
    }
    fn serialize(&self, out: &mut Vec<u8>) -> Result<()> {
        if self.limit.is_some() {
            out.push(self.set.len() as u8);
        } else {
            write_var_uint(out, self.set.len() as u64);
        }
        for k in &self.set {
            out.extend_from_slice(&k.to_le_bytes()[..self.width]);
        }
        Ok(())
    }
    fn deserialize(&mut self, r: &mut Reader) -> Result<()> {
        let n = if self.limit.is_some() {
            usize::from(r.u8()?)
        } else {
            r.count(self.width)?
        };
        self.set.clear();
        for _ in 0..n {
            let b = r.bytes(self.width)?;
            let mut full = [0u8; 16];
            full[..self.width].copy_from_slice(b);
            self.set.insert(u128::from_le_bytes(full));
        }
        Ok(())
    }
    fn finalize(&self) -> Result<ScalarValue> {
        let n = self.set.len();
        Ok(ScalarValue::UInt64(Some(match self.limit {
            Some(l) => n.min(l + 1),
            None => n,
        } as u64)))
    }
    fn size(&self) -> usize {
        self.set.capacity() * 24 + 64
    }
}
