//! ClickHouse's rules for hashing values of any type and several arguments
//! (`FunctionAnyHash`), parameterised by the hash algorithm ([`Kind`]).
//!
//! - Strings and FixedStrings hash their bytes.
//! - Numbers, dates, Bool, Enum and IPv4 hash their in-memory little-endian bytes at the
//!   ClickHouse type's width — except for algorithms that use an integer hash for plain
//!   values (`cityHash64`, `farmHash64`): those take `intHash64` of the value's bits
//!   zero-extended to 64 bits.
//! - 128/256-bit integers, decimals, DateTime64 and UUIDs hash their memory bytes.
//! - An array hashes as `h = intHash(len)`, then `h = combine(h, element_hash)` per element;
//!   a tuple hashes as if its elements were separate arguments; a map as an array of
//!   (key, value) tuples.
//! - Several arguments: `h = hash(arg1)`, then `h = combine(h, hash(argN))`.
//! - No arguments: the constant `0xe28dbde7fe22e41c` (truncated for 32-bit results).
//!
//! What Sluice does not reproduce (NULL elements inside arrays/tuples/maps,
//! AggregateFunction states…) gives `NOT_IMPLEMENTED` rather than a wrong value.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Decimal128Type, Decimal256Type, Float32Type, Float64Type, Int64Type, UInt64Type,
};
use datafusion::common::Result;
use sluice_common::ChType;

use crate::ch_bail;
use crate::string::col::StrCol;

/// A hash algorithm and its ClickHouse combining rules.
#[derive(Clone, Copy)]
pub(crate) struct Kind {
    /// ClickHouse function name (for messages).
    pub name: &'static str,
    /// Hash of bytes (narrower results in the low bits).
    pub bytes: fn(&[u8]) -> u128,
    /// Combine the running hash with the next argument's.
    pub combine: fn(u128, u128) -> u128,
    /// Plain values use `intHash64` instead of hashing their bytes.
    pub int_hash_for_pods: bool,
    /// Result width in bits: 32, 64 or 128.
    pub bits: u32,
    /// Longest string the algorithm reproduces exactly (`NOT_IMPLEMENTED` beyond).
    pub max_len: usize,
}

/// ClickHouse's `intHash64`: MurmurHash3's 64-bit finalizer of the value XOR a fixed salt.
pub(crate) fn int_hash64(x: u64) -> u64 {
    let mut x = x ^ 0x4CF2D2BAAE6DA887;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ceb9fe1a85ec53);
    x ^ (x >> 33)
}

/// ClickHouse's `intHash32`: Thomas Wang's 64→32-bit integer hash of the value XOR a fixed
/// salt.
pub(crate) fn int_hash32(k: u64) -> u32 {
    let mut k = k ^ 0x75D9543DE018BF45;
    k = (!k).wrapping_add(k << 18);
    k ^= k.rotate_right(31);
    k = k.wrapping_mul(21);
    k ^= k.rotate_right(11);
    k = k.wrapping_add(k << 6);
    k ^= k.rotate_right(22);
    k as u32
}

/// The hash of no arguments.
pub(crate) const EMPTY_ARGS_HASH: u64 = 0xe28dbde7fe22e41c;

impl Kind {
    /// The integer hash for plain values and array lengths (`intHash64` for 64-bit results,
    /// `intHash32` otherwise — also for 128-bit ones, as ClickHouse does).
    fn int_hash(&self, v: u64) -> u128 {
        if self.bits == 64 {
            int_hash64(v) as u128
        } else {
            int_hash32(v) as u128
        }
    }

    fn finish(&self, h: u128) -> u128 {
        match self.bits {
            32 => h & 0xffff_ffff,
            64 => h & 0xffff_ffff_ffff_ffff,
            _ => h,
        }
    }
}

/// Hashes all argument columns of `rows` rows into `out`.
pub(crate) fn hash_args(
    kind: &Kind,
    cols: &[ArrayRef],
    types: &[ChType],
    rows: usize,
) -> Result<Vec<u128>> {
    let mut out = vec![0u128; rows];
    if cols.is_empty() {
        out.fill(kind.finish(EMPTY_ARGS_HASH as u128));
        return Ok(out);
    }
    let mut first = true;
    for (c, t) in cols.iter().zip(types) {
        hash_column(kind, c, t, &mut out, &mut first)?;
    }
    Ok(out)
}

/// Folds one column's per-row hashes into `out`.
fn fold(kind: &Kind, out: &mut [u128], first: &mut bool, h: impl Fn(usize) -> u128) {
    if *first {
        for (i, o) in out.iter_mut().enumerate() {
            *o = kind.finish(h(i));
        }
        *first = false;
    } else {
        for (i, o) in out.iter_mut().enumerate() {
            *o = kind.finish((kind.combine)(*o, h(i)));
        }
    }
}

/// Width in bytes and the values (zero-extended bits) of a plain-value column.
fn pod_values(col: &ArrayRef, t: &ChType) -> Result<Option<(usize, Vec<u64>)>> {
    let width = match t {
        ChType::UInt8 | ChType::Int8 | ChType::Bool | ChType::Enum8(_) => 1,
        ChType::UInt16 | ChType::Int16 | ChType::Date | ChType::Enum16(_) => 2,
        ChType::UInt32 | ChType::Int32 | ChType::Date32 | ChType::DateTime(_) | ChType::IPv4 => 4,
        ChType::Float32 => 4,
        ChType::UInt64 | ChType::Int64 | ChType::Float64 | ChType::DateTime64(..) => 8,
        _ => return Ok(None),
    };
    let n = col.len();
    let mask = if width == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    };
    let vals: Vec<u64> = match (t, col.data_type()) {
        (ChType::Float32, _) => col
            .as_primitive::<Float32Type>()
            .values()
            .iter()
            .map(|v| v.to_bits() as u64)
            .collect(),
        (ChType::Float64, _) => col
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .map(|v| v.to_bits())
            .collect(),
        (ChType::UInt64, _) => col.as_primitive::<UInt64Type>().values().to_vec(),
        (ChType::Enum8(_) | ChType::Enum16(_), _) => {
            let s = StrCol::new(col, "hash")?;
            let lookup = |name: &[u8]| -> i64 {
                match t {
                    ChType::Enum8(v) => v
                        .iter()
                        .find(|(n, _)| n.as_bytes() == name)
                        .map_or(0, |x| x.1 as i64),
                    ChType::Enum16(v) => v
                        .iter()
                        .find(|(n, _)| n.as_bytes() == name)
                        .map_or(0, |x| x.1 as i64),
                    _ => 0,
                }
            };
            (0..n).map(|i| (lookup(s.get(i)) as u64) & mask).collect()
        }
        (_, DataType::Boolean) => {
            let b = col.as_boolean();
            (0..n).map(|i| u64::from(b.value(i))).collect()
        }
        (_, _) => {
            let c = cast(col, &DataType::Int64)?;
            let c = c.as_primitive::<Int64Type>();
            // DateTime64(p) is stored in Arrow at 3/6/9 digits; ClickHouse counts 10^-p.
            let rescale = match (t, col.data_type()) {
                (ChType::DateTime64(p, _), DataType::Timestamp(unit, _)) => {
                    let digits = match unit {
                        datafusion::arrow::datatypes::TimeUnit::Second => 0,
                        datafusion::arrow::datatypes::TimeUnit::Millisecond => 3,
                        datafusion::arrow::datatypes::TimeUnit::Microsecond => 6,
                        datafusion::arrow::datatypes::TimeUnit::Nanosecond => 9,
                    };
                    Some((*p as i32) - digits)
                }
                _ => None,
            };
            if let Some(shift) = rescale.filter(|s| *s != 0) {
                c.values()
                    .iter()
                    .map(|v| {
                        let x = if shift > 0 {
                            v.wrapping_mul(10i64.pow(shift as u32))
                        } else {
                            v.div_euclid(10i64.pow((-shift) as u32))
                        };
                        x as u64
                    })
                    .collect()
            } else if matches!(t, ChType::Date32) && *col.data_type() == DataType::Date64 {
                // Date32 in Arrow is milliseconds (Date64); ClickHouse stores days.
                c.values()
                    .iter()
                    .map(|v| (v.div_euclid(86_400_000) as u64) & mask)
                    .collect()
            } else {
                c.values().iter().map(|v| (*v as u64) & mask).collect()
            }
        }
    };
    Ok(Some((width, vals)))
}

fn hash_column(
    kind: &Kind,
    col: &ArrayRef,
    t: &ChType,
    out: &mut [u128],
    first: &mut bool,
) -> Result<()> {
    let t = match t {
        // Nullable values inside arrays/tuples/maps: without NULLs they hash as the plain
        // values (as in ClickHouse); ClickHouse's hash of a NULL element is not reproduced.
        ChType::Nullable(inner) => {
            if col.logical_null_count() > 0 || *col.data_type() == DataType::Null {
                ch_bail!(
                    NOT_IMPLEMENTED,
                    "Function {} over NULL values inside arrays, tuples or maps is not implemented",
                    kind.name
                );
            }
            return hash_column(kind, col, inner, out, first);
        }
        ChType::LowCardinality(inner) => {
            let dt = inner.to_arrow();
            let decoded = cast(col, &dt)?;
            return hash_column(kind, &decoded, inner, out, first);
        }
        t => t,
    };
    if let DataType::Dictionary(_, v) = col.data_type() {
        let decoded = cast(col, v)?;
        return hash_column(kind, &decoded, t, out, first);
    }
    if let Some((width, vals)) = pod_values(col, t)? {
        // DateTime64 is a decimal underneath: its bytes are hashed even by the algorithms
        // that use an integer hash for plain values.
        if kind.int_hash_for_pods && !matches!(t, ChType::DateTime64(..)) {
            fold(kind, out, first, |i| kind.int_hash(vals[i]));
        } else {
            fold(kind, out, first, |i| {
                (kind.bytes)(&vals[i].to_le_bytes()[..width])
            });
        }
        return Ok(());
    }
    match t {
        ChType::String | ChType::FixedString(_) => {
            let s = StrCol::new(col, kind.name)?;
            if kind.max_len != usize::MAX && (0..s.len()).any(|i| s.get(i).len() > kind.max_len) {
                ch_bail!(
                    NOT_IMPLEMENTED,
                    "Function {} over strings longer than {} bytes is not implemented",
                    kind.name,
                    kind.max_len
                );
            }
            fold(kind, out, first, |i| (kind.bytes)(s.get(i)));
        }
        ChType::Uuid | ChType::IPv6 => {
            // ClickHouse keeps a UUID as two little-endian UInt64 halves (high half first).
            let s = StrCol::new(col, kind.name)?;
            fold(kind, out, first, |i| {
                let b = s.get(i);
                let mut mem = [0u8; 16];
                if b.len() == 16 {
                    if matches!(t, ChType::Uuid) {
                        for k in 0..8 {
                            mem[k] = b[7 - k];
                            mem[8 + k] = b[15 - k];
                        }
                    } else {
                        mem.copy_from_slice(b);
                    }
                }
                (kind.bytes)(&mem)
            });
        }
        ChType::Decimal { precision, .. } => {
            let width = match precision {
                0..=9 => 4,
                10..=18 => 8,
                19..=38 => 16,
                _ => 32,
            };
            let bytes: Vec<Vec<u8>> = match col.data_type() {
                DataType::Decimal128(..) => col
                    .as_primitive::<Decimal128Type>()
                    .values()
                    .iter()
                    .map(|v| v.to_le_bytes()[..width].to_vec())
                    .collect(),
                _ => col
                    .as_primitive::<Decimal256Type>()
                    .values()
                    .iter()
                    .map(|v| v.to_le_bytes()[..width].to_vec())
                    .collect(),
            };
            fold(kind, out, first, |i| (kind.bytes)(&bytes[i]));
        }
        ChType::Int128 | ChType::UInt128 | ChType::Int256 | ChType::UInt256 => {
            let width = if matches!(t, ChType::Int128 | ChType::UInt128) {
                16
            } else {
                32
            };
            let v = col.as_primitive::<Decimal256Type>();
            fold(kind, out, first, |i| {
                (kind.bytes)(&v.value(i).to_le_bytes()[..width])
            });
        }
        ChType::Array(et) => {
            let l = col.as_list::<i32>();
            hash_nested(kind, l.values(), et, l.value_offsets(), out, first)?;
        }
        ChType::Map(kt, vt) => {
            let m = col.as_map();
            let tuple = ChType::Tuple(vec![(None, (**kt).clone()), (None, (**vt).clone())]);
            let entries: ArrayRef = std::sync::Arc::new(m.entries().clone());
            hash_nested(kind, &entries, &tuple, m.value_offsets(), out, first)?;
        }
        ChType::Tuple(elems) => {
            let s = col.as_struct();
            for (k, (_, et)) in elems.iter().enumerate() {
                hash_column(kind, s.column(k), et, out, first)?;
            }
        }
        other => ch_bail!(
            NOT_IMPLEMENTED,
            "Function {} over values of type {other} is not implemented",
            kind.name
        ),
    }
    Ok(())
}

/// Hashes a List-like column: `intHash(len)` combined with each element's hash.
fn hash_nested(
    kind: &Kind,
    values: &ArrayRef,
    et: &ChType,
    offsets: &[i32],
    out: &mut [u128],
    first: &mut bool,
) -> Result<()> {
    let mut elem = vec![0u128; values.len()];
    if !values.is_empty() {
        let mut efirst = true;
        hash_column(kind, values, et, &mut elem, &mut efirst)?;
    }
    let rows: Vec<u128> = (0..out.len())
        .map(|r| {
            let (s, e) = (offsets[r] as usize, offsets[r + 1] as usize);
            let mut h = kind.finish(kind.int_hash((e - s) as u64));
            for v in &elem[s..e] {
                h = kind.finish((kind.combine)(h, *v));
            }
            h
        })
        .collect();
    fold(kind, out, first, |i| rows[i]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_hashes() {
        // Oracle: intHash64(1) = 10577349846663553072; intHash32(1) = 1343103100;
        // intHash64(toInt8(-1)) = 14600443904207254319 (sign-extended);
        // intHash32(toUInt64(18446744073709551615)) = 3545659993.
        assert_eq!(int_hash64(1), 10577349846663553072);
        assert_eq!(int_hash32(1), 1343103100);
        assert_eq!(int_hash64(u64::MAX), 14600443904207254319);
        assert_eq!(int_hash32(u64::MAX), 3545659993);
    }
}
