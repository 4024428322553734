//! The hash UDFs: hashes of any arguments (`cityHash64`, `sipHash64`, `halfMD5`,
//! `xxHash32/64`, `xxh3`, `murmurHash2_32/64`, `murmurHash3_32/64`, `farmHash64`,
//! `farmFingerprint64`, `metroHash64`, and the
//! 128-bit `sipHash128`/`murmurHash3_128` returned as FixedString(16)), integer hashes
//! (`intHash32/64`), and digests of one string returned as FixedString (`MD5`, `SHA1`,
//! `SHA224`, `SHA256`, `SHA384`, `SHA512`).

use std::sync::Arc;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::array::{ArrayRef, FixedSizeBinaryArray, UInt32Array, UInt64Array};
use datafusion::arrow::buffer::Buffer;
use datafusion::arrow::datatypes::{DataType, UInt64Type};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use md5::{Digest, Md5};
use sluice_common::ChType;

use super::any_hash::{Kind, hash_args, int_hash32, int_hash64};
use super::city::{city_hash64, hash128_to_64};
use super::farm::{FARM_MAX_LEN, farm_hash64};
use super::murmur::{murmur2_32, murmur2_64, murmur3_32, murmur3_128};
use super::sha1::sha1;
use super::sip::{sip_hash64, sip_hash128};
use crate::ch_bail;
use crate::string::col::StrCol;
use crate::string::rules::{arity, illegal, is_int, want_string};
use crate::string::udf::{Args, ChUdf, Ret, TypeArgs};

/// The functions of this file.
pub(crate) fn functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    for k in KINDS {
        v.push(ChUdf::new(k.name, any_hash_type, any_hash).build());
    }
    v.push(ChUdf::new("intHash32", int_hash_type, int_hash_32).build());
    v.push(ChUdf::new("intHash64", int_hash_type, int_hash_64).build());
    for (name, _) in DIGESTS {
        v.push(ChUdf::new(name, digest_type, digest).build());
    }
    v
}

fn half_md5(s: &[u8]) -> u64 {
    let d = Md5::digest(s);
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_be_bytes(b)
}

/// Two 64-bit hashes as 16 little-endian bytes (ClickHouse's `combineHashes` input).
fn pair(h1: u128, h2: u128) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(h1 as u64).to_le_bytes());
    b[8..].copy_from_slice(&(h2 as u64).to_le_bytes());
    b
}

/// Two 128-bit hashes as 32 little-endian bytes.
fn pair128(h1: u128, h2: u128) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[..16].copy_from_slice(&h1.to_le_bytes());
    b[16..].copy_from_slice(&h2.to_le_bytes());
    b
}

fn city(s: &[u8]) -> u128 {
    city_hash64(s) as u128
}

fn metro(s: &[u8]) -> u128 {
    super::metro::metro_hash64(s) as u128
}

fn fingerprint(s: &[u8]) -> u128 {
    super::farm::farm_fingerprint64(s) as u128
}

fn combine_fingerprint(h1: u128, h2: u128) -> u128 {
    super::farm::fingerprint128(h1 as u64, h2 as u64) as u128
}

fn farm(s: &[u8]) -> u128 {
    farm_hash64(s) as u128
}

fn sip64(s: &[u8]) -> u128 {
    sip_hash64(s) as u128
}

fn sip128(s: &[u8]) -> u128 {
    u128::from_le_bytes(sip_hash128(s))
}

fn half(s: &[u8]) -> u128 {
    half_md5(s) as u128
}

fn xx64(s: &[u8]) -> u128 {
    twox_hash::XxHash64::oneshot(0, s) as u128
}

fn xx32(s: &[u8]) -> u128 {
    twox_hash::XxHash32::oneshot(0, s) as u128
}

fn xxh3(s: &[u8]) -> u128 {
    twox_hash::XxHash3_64::oneshot(s) as u128
}

fn mm2_32(s: &[u8]) -> u128 {
    murmur2_32(s, 0) as u128
}

fn mm2_64(s: &[u8]) -> u128 {
    murmur2_64(s, 0) as u128
}

fn mm3_32(s: &[u8]) -> u128 {
    murmur3_32(s, 0) as u128
}

fn mm3_64(s: &[u8]) -> u128 {
    let (a, b) = murmur3_128(s, 0);
    (a ^ b) as u128
}

fn mm3_128(s: &[u8]) -> u128 {
    let (a, b) = murmur3_128(s, 0);
    (a as u128) | ((b as u128) << 64)
}

fn combine_city(h1: u128, h2: u128) -> u128 {
    hash128_to_64(h1 as u64, h2 as u64) as u128
}

fn combine_int64_xor(h1: u128, h2: u128) -> u128 {
    (int_hash64(h1 as u64) ^ h2 as u64) as u128
}

fn combine_int32_xor(h1: u128, h2: u128) -> u128 {
    ((int_hash32(h1 as u64) as u64) ^ h2 as u64) as u128
}

fn combine_sip(h1: u128, h2: u128) -> u128 {
    sip64(&pair(h1, h2))
}

fn combine_half_md5(h1: u128, h2: u128) -> u128 {
    half(&pair(h1, h2))
}

fn combine_sip128(h1: u128, h2: u128) -> u128 {
    sip128(&pair128(h1, h2))
}

fn combine_mm3_128(h1: u128, h2: u128) -> u128 {
    mm3_128(&pair128(h1, h2))
}

const fn kind(
    name: &'static str,
    bytes: fn(&[u8]) -> u128,
    combine: fn(u128, u128) -> u128,
    int_hash_for_pods: bool,
    bits: u32,
) -> Kind {
    Kind {
        name,
        bytes,
        combine,
        int_hash_for_pods,
        bits,
        max_len: usize::MAX,
    }
}

/// The hashes of any arguments, with their ClickHouse combining rules.
const KINDS: [Kind; 15] = [
    kind("cityHash64", city, combine_city, true, 64),
    kind("metroHash64", metro, combine_city, true, 64),
    kind(
        "farmFingerprint64",
        fingerprint,
        combine_fingerprint,
        true,
        64,
    ),
    Kind {
        max_len: FARM_MAX_LEN,
        ..kind("farmHash64", farm, combine_city, true, 64)
    },
    kind("sipHash64", sip64, combine_sip, false, 64),
    kind("halfMD5", half, combine_half_md5, false, 64),
    kind("xxHash64", xx64, combine_city, false, 64),
    kind("xxh3", xxh3, combine_city, false, 64),
    kind("xxHash32", xx32, combine_int32_xor, false, 32),
    kind("murmurHash2_32", mm2_32, combine_int32_xor, false, 32),
    kind("murmurHash2_64", mm2_64, combine_int64_xor, false, 64),
    kind("murmurHash3_32", mm3_32, combine_int32_xor, false, 32),
    kind("murmurHash3_64", mm3_64, combine_int64_xor, false, 64),
    kind("sipHash128", sip128, combine_sip128, false, 128),
    kind("murmurHash3_128", mm3_128, combine_mm3_128, false, 128),
];

fn kind_of(name: &str) -> Result<&'static Kind> {
    match KINDS.iter().find(|k| k.name == name) {
        Some(k) => Ok(k),
        None => ch_bail!(LOGICAL_ERROR, "unknown hash function {name}"),
    }
}

fn any_hash_type(a: &TypeArgs) -> Result<Ret> {
    let k = kind_of(a.name)?;
    Ok(match k.bits {
        32 => ChType::UInt32,
        64 => ChType::UInt64,
        // 128-bit hashes are returned as the 16 little-endian bytes of the UInt128.
        _ => ChType::FixedString(16),
    }
    .into())
}

fn any_hash(a: &Args) -> Result<ArrayRef> {
    let k = kind_of(a.name)?;
    let h = hash_args(k, &a.cols, &a.types, a.rows)?;
    Ok(match k.bits {
        32 => Arc::new(UInt32Array::from_iter_values(
            h.into_iter().map(|v| v as u32),
        )),
        64 => Arc::new(UInt64Array::from_iter_values(
            h.into_iter().map(|v| v as u64),
        )),
        _ => {
            let mut buf = Vec::with_capacity(16 * h.len());
            for v in h {
                buf.extend_from_slice(&v.to_le_bytes());
            }
            Arc::new(FixedSizeBinaryArray::try_new(16, Buffer::from(buf), None)?)
        }
    })
}

fn int_hash_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    if !is_int(&a.types[0]) {
        return Err(illegal(a, 0));
    }
    Ok(if a.name == "intHash32" {
        ChType::UInt32
    } else {
        ChType::UInt64
    }
    .into())
}

/// Integer argument values as `u64` (signed values sign-extended).
fn u64s(a: &Args) -> Result<Vec<u64>> {
    let c = &a.cols[0];
    if *c.data_type() == DataType::UInt64 {
        return Ok(c.as_primitive::<UInt64Type>().values().to_vec());
    }
    let v = crate::string::col::ints(c, a.name)?;
    Ok(v.into_iter().map(|x| x as u64).collect())
}

fn int_hash_32(a: &Args) -> Result<ArrayRef> {
    Ok(Arc::new(UInt32Array::from_iter_values(
        u64s(a)?.into_iter().map(int_hash32),
    )))
}

fn int_hash_64(a: &Args) -> Result<ArrayRef> {
    Ok(Arc::new(UInt64Array::from_iter_values(
        u64s(a)?.into_iter().map(int_hash64),
    )))
}

/// Digest functions and their output widths.
const DIGESTS: [(&str, usize); 6] = [
    ("MD5", 16),
    ("SHA1", 20),
    ("SHA224", 28),
    ("SHA256", 32),
    ("SHA384", 48),
    ("SHA512", 64),
];

fn digest_type(a: &TypeArgs) -> Result<Ret> {
    arity(a, 1, 1)?;
    want_string(a, 0)?;
    let w = DIGESTS
        .iter()
        .find(|(n, _)| *n == a.name)
        .map_or(16, |d| d.1);
    Ok(ChType::FixedString(w).into())
}

fn digest_of(name: &str, s: &[u8]) -> Vec<u8> {
    use sha2::{Sha224, Sha256, Sha384, Sha512};
    match name {
        "MD5" => Md5::digest(s).to_vec(),
        "SHA1" => sha1(s).to_vec(),
        "SHA224" => Sha224::digest(s).to_vec(),
        "SHA256" => Sha256::digest(s).to_vec(),
        "SHA384" => Sha384::digest(s).to_vec(),
        _ => Sha512::digest(s).to_vec(),
    }
}

fn digest(a: &Args) -> Result<ArrayRef> {
    let s = StrCol::new(&a.cols[0], a.name)?;
    let ChType::FixedString(w) = a.ret.t else {
        ch_bail!(LOGICAL_ERROR, "{}: result is not a FixedString", a.name);
    };
    let mut buf = Vec::with_capacity(w * a.rows);
    for i in 0..a.rows {
        buf.extend_from_slice(&digest_of(a.name, s.get(i)));
    }
    Ok(Arc::new(FixedSizeBinaryArray::try_new(
        w as i32,
        Buffer::from(buf),
        None,
    )?))
}

#[cfg(test)]
#[path = "funcs_tests.rs"]
mod tests;
