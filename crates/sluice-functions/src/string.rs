//! ClickHouse string functions.
//!
//! ClickHouse strings are byte strings: `length`, `substring`, `left/right`, `reverse`,
//! `lower/upper` work on bytes (ASCII case only); the `…UTF8` variants work on code points.
//! Results are `Utf8` columns when the input was `Utf8`; when a byte operation cuts a
//! multi-byte character in such a column the invalid bytes are replaced (U+FFFD) because
//! Arrow `Utf8` must hold valid UTF-8. Inputs stored as `Binary`/`FixedSizeBinary` give
//! `Binary` results with the bytes kept exactly; functions that make raw bytes (`unhex`,
//! `base64Decode`, `char`, `MD5`…) always return `Binary`.
//!
//! Module map:
//! - [`udf`] — the UDF shell (type rule + kernel, ClickHouse NULL/LowCardinality handling)
//!   shared with the array and hash families; [`col`] — column readers and builders;
//!   [`rules`] — argument checks. Values of other types are turned into text with
//!   `sluice_formats::text` (the renderer `toString` and the formats share).
//! - [`basic`] — length, empty, case mapping, reverse, repeat, ascii, toValidUTF8.
//! - [`substring`] — substring/left/right (+UTF8).
//! - [`search`] — position/locate (+CaseInsensitive, UTF8), startsWith/endsWith.
//! - [`concat`] — concat, concatWithSeparator, format.
//! - [`pattern`] — like/ilike/match/extract/extractAll/replaceRegexp*/regexpQuoteMeta.
//! - [`replace`] — replaceAll/replaceOne.
//! - [`split`] — splitByChar/String/Regexp, arrayStringConcat.
//! - [`trim_pad`] — trimLeft/trimRight/trimBoth (ltrim/rtrim/trim), leftPad/rightPad (+UTF8).
//! - [`encode`] — hex/unhex, bin/unbin, base64Encode/Decode, char.
//! - [`multi_search`] — multiSearchAny/FirstIndex/FirstPosition/AllPositions, multiMatchAny.
//!
//! `TRIM(LEADING|TRAILING|BOTH x FROM s)` is expected from the engine as
//! `trimLeft(s, x)`, `trimRight(s, x)`, `trimBoth(s, x)`: the optional second argument is the
//! set of characters to strip (default: space).

pub(crate) mod basic;
pub(crate) mod col;
pub(crate) mod concat;
pub(crate) mod encode;
pub(crate) mod multi_search;
pub(crate) mod pattern;
pub(crate) mod replace;
pub(crate) mod rules;
pub(crate) mod search;
pub(crate) mod split;
pub(crate) mod substring;
pub(crate) mod trim_pad;
pub(crate) mod udf;

#[cfg(test)]
pub(crate) mod testkit;

use datafusion::logical_expr::ScalarUDF;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    v.extend(basic::functions());
    v.extend(substring::functions());
    v.extend(search::functions());
    v.extend(concat::functions());
    v.extend(pattern::functions());
    v.extend(replace::functions());
    v.extend(split::functions());
    v.extend(trim_pad::functions());
    v.extend(encode::functions());
    v.extend(multi_search::functions());
    v
}
