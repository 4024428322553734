//! ClickHouse hash functions.
//!
//! Module map:
//! - [`funcs`] — the UDFs (`cityHash64`, `sipHash64`, `halfMD5`, `xxHash32/64`, `xxh3`,
//!   `murmurHash2_32/64`, `murmurHash3_32/64/128`, `farmHash64`, `farmFingerprint64`, `metroHash64`, `intHash32/64`, `MD5`,
//!   `SHA1`, `SHA224/256/384/512`, `sipHash128`).
//! - [`java`] — `javaHash`, `hiveHash`.
//! - [`any_hash`] — ClickHouse's rules for hashing any type and several arguments.
//! - Algorithms written for exact ClickHouse output: [`city`] (CityHash v1.0.2), [`farm`],
//!   [`metro`], [`murmur`], [`sip`], [`sha1`]. MD5/SHA-2/xxHash come from their crates.
//!
//! A NULL argument makes the result NULL (`Nullable(UInt64)`), as in ClickHouse.

pub(crate) mod any_hash;
pub(crate) mod city;
pub(crate) mod farm;
pub(crate) mod funcs;
pub(crate) mod java;
pub(crate) mod metro;
pub(crate) mod murmur;
pub(crate) mod sha1;
pub(crate) mod sip;

use datafusion::logical_expr::ScalarUDF;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = funcs::functions();
    v.extend(java::functions());
    v
}
