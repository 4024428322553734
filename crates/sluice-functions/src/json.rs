//! ClickHouse's JSON functions: the DOM family (`JSONExtract*`, `JSONHas`, `JSONLength`,
//! `JSONType`, `JSONKey`, `isValidJSON`, `JSONArrayLength`), the textual `visitParam*` /
//! `simpleJSON*` family, and the SQL/JSONPath functions `JSON_VALUE`, `JSON_QUERY`,
//! `JSON_EXISTS`.
//!
//! # How a document is read
//!
//! ClickHouse parses a whole document with simdjson before any lookup, so a document that
//! is invalid anywhere gives every function its default. [`tape`] is Sluice's own
//! non-allocating validator with the same acceptance rules; in the same single pass it
//! records a compact tape (spans into the row, sibling links) from which lookups, number
//! conversions and serialization read without rescanning. Scalars are converted straight
//! into Arrow buffers ([`out`]); strings without escapes are copied as byte ranges.
//!
//! # Parse each document once per row
//!
//! Three mechanisms make a stacked view such as the seed's
//! `JSONExtractUInt(JSONExtractString(payload, 'after'), 'id')` (five of them, plus
//! `JSONExtractString(payload, 'op')` in the projection and in the `WHERE`) parse each
//! payload exactly once:
//!
//! 1. **Nested-call rewrite** ([`nested`], the UDFs' `simplify` hook, which DataFusion's
//!    `SimplifyExpressions` runs before common-subexpression elimination):
//!    `F(JSONExtractString(x, p1…), p2…)` becomes one call on `x` with the path split into
//!    *levels*. Between levels, objects and arrays are navigated in place; strings,
//!    scalars, NULL and values holding doubles fall back, per row, to building the
//!    intermediate text and parsing it — so results are identical to the nested calls
//!    (checked against the oracle in the tests).
//! 2. **Fused evaluation** ([`fused`]): calls with a scalar result and constant paths on a
//!    column are evaluated together in one pass over the rows — the first call on a new
//!    column also computes the calls recently seen on a column of that name, each row
//!    parsed once into a small tape that stays in cache, and the later calls take their
//!    results. A filtered copy of an evaluated column (`FilterExec` output feeding the
//!    projection) is matched row by row against it and gathers its results from it.
//!    Where the plan allows, that copy is not made at all: the physical rule
//!    [`below_filter`] evaluates a projection's JSON calls together with its filter's,
//!    below the filter, which then copies only their results.
//! 3. **Parse-once cache** ([`cache`]) for the other calls (array results, typed
//!    `JSONExtract`, paths from columns): the tapes of a column are cached per thread,
//!    keyed by the identity of its Arrow buffers (kept alive by the cache so the key cannot
//!    be reused); every call on the same column of the same batch reuses them, and a
//!    filtered copy is matched row by row so surviving rows are not parsed again.
//!
//! Module map: [`tape`] (validator + tape), [`number`] (number classes, conversions,
//! double printing), [`doc`] (navigation), [`serialize`] (ClickHouse's JSON text),
//! [`cache`], [`fused`], [`below_filter`] (the plan rule), [`eval`] (arguments, NULLs,
//! per-row driver), [`out`] (Arrow builders),
//! [`sink`] (scalar results per row),
//! [`funcs`] (the DOM UDFs), [`extract`] + [`typed_scalar`] (typed `JSONExtract`),
//! [`nested`], [`visit_param`], [`jsonpath`].

pub mod below_filter;
pub mod cache;
pub mod doc;
pub mod eval;
pub mod extract;
pub mod funcs;
pub mod fused;
pub mod jsonpath;
pub mod nested;
pub mod number;
pub mod out;
pub mod select;
pub mod serialize;
pub mod sink;
pub mod tape;
pub mod typed_scalar;
pub mod visit_param;

#[cfg(test)]
mod select_equivalence;

#[cfg(test)]
mod tests;

use datafusion::logical_expr::ScalarUDF;

use funcs::{JsonFunc, Op};

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    let plain: &[(&str, Op)] = &[
        ("JSONHas", Op::Has),
        ("JSONLength", Op::Length),
        ("JSONType", Op::Type),
        ("JSONKey", Op::Key),
        ("isValidJSON", Op::IsValid),
    ];
    for (name, op) in plain {
        v.push(ScalarUDF::new_from_impl(JsonFunc::new(name, *op, false)));
    }
    v.push(ScalarUDF::new_from_impl(
        JsonFunc::new("JSONArrayLength", Op::ArrayLength, false)
            .with_aliases(&["JSON_ARRAY_LENGTH", "json_array_length"]),
    ));
    let with_ci: &[(&str, Op)] = &[
        ("JSONExtractString", Op::ExtractString),
        ("JSONExtractUInt", Op::ExtractUInt),
        ("JSONExtractInt", Op::ExtractInt),
        ("JSONExtractFloat", Op::ExtractFloat),
        ("JSONExtractBool", Op::ExtractBool),
        ("JSONExtractRaw", Op::ExtractRaw),
        ("JSONExtractKeys", Op::ExtractKeys),
        ("JSONExtractArrayRaw", Op::ExtractArrayRaw),
        ("JSONExtractKeysAndValuesRaw", Op::ExtractKeysAndValuesRaw),
        ("JSONExtract", Op::Extract),
        ("JSONExtractKeysAndValues", Op::ExtractKeysAndValues),
    ];
    for (name, op) in with_ci {
        v.push(ScalarUDF::new_from_impl(JsonFunc::new(name, *op, false)));
        let ci = format!("{name}CaseInsensitive");
        v.push(ScalarUDF::new_from_impl(JsonFunc::new(&ci, *op, true)));
    }
    v.extend(visit_param::functions());
    v.extend(jsonpath::functions());
    v
}
