//! ClickHouse array, tuple and map functions.
//!
//! Module map:
//! - [`supertype`] — ClickHouse's least common supertype (array literals, `has`, `map`…).
//! - [`lists`] — List/Map column plumbing, casts between ClickHouse types, type defaults.
//! - [`construct`] — `array`, `tuple`, `map`, `range`, `emptyArray*`.
//! - [`element`] — `arrayElement` (`a[i]`, `m[k]`), `tupleElement`, `map*`, `has`, `indexOf`,
//!   `countEqual`, `hasAll`, `hasAny`.
//! - [`transform`] — `arrayReverse`, `arraySort`, `arrayReverseSort`, `arrayDistinct`,
//!   `arrayCompact`, `arrayUniq`, `arrayEnumerate`, `arrayEnumerateUniq`.
//! - [`reshape`] — `arrayConcat`, `arraySlice`, `arrayPush*`, `arrayPop*`, `arrayResize`,
//!   `arrayFlatten`, `arrayZip`.
//! - [`reduce`] — `arraySum`, `arrayProduct`, `arrayAvg`, `arrayMin`, `arrayMax`,
//!   `arrayCount`, `arrayExists`, `arrayAll` (non-lambda forms).
//! - [`running`] — `arrayCumSum`, `arrayDifference`.
//! - [`lookup`] — `transform(x, from, to[, default])`.
//! - [`intersect`] — `arrayIntersect`.
//! - [`rotate`] — `arrayRotateLeft/Right`, `arrayShiftLeft/Right`, `hasSubstr`.
//! - [`lambda`] — kernels the engine calls for lambda forms (interface in its doc).
//! - [`unnested`] — `__sluice_unnested`, the element type of `arrayJoin`/`ARRAY JOIN`.
//!
//! Engine rewrites this family expects: `a[i]` → `arrayElement(a, i)` (also for maps),
//! `t.1` / `t.name` → `tupleElement(t, 1)` / `tupleElement(t, 'name')`, `[…]` → `array(…)`,
//! `(a, b)` → `tuple(a, b)`. `length`, `empty`, `notEmpty` and `reverse` of arrays live in
//! the string family's [`crate::string`] (one function each for both kinds).

pub mod supertype;

pub(crate) mod construct;
pub(crate) mod element;
pub(crate) mod intersect;
pub(crate) mod lambda;
pub(crate) mod lists;
pub(crate) mod lookup;
pub(crate) mod reduce;
pub(crate) mod reshape;
pub(crate) mod rotate;
pub(crate) mod running;
pub(crate) mod transform;
pub mod unnested;

use datafusion::logical_expr::ScalarUDF;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    v.extend(construct::functions());
    v.extend(element::functions());
    v.extend(transform::functions());
    v.extend(reshape::functions());
    v.extend(reduce::functions());
    v.extend(running::functions());
    v.extend(lambda::functions());
    v.extend(lookup::functions());
    v.extend(intersect::functions());
    v.extend(rotate::functions());
    v.extend(unnested::functions());
    v
}
