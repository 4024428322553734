//! ClickHouse conditional functions: `if`, `multiIf`, `caseWithExpression` (CASE), the NULL
//! family (`coalesce`, `ifNull`, `nullIf`, `isNull`, …), `throwIf`, and the least-supertype
//! rule ([`supertype::least_supertype`]) they and other crates share.
//!
//! Module map: [`supertype`] (common type of several types), [`branch`] (`if`, `multiIf`,
//! `caseWithExpression`, short-circuiting via `simplify`), [`nulls`] (NULL functions,
//! `throwIf`).

pub mod branch;
pub mod nulls;
pub mod supertype;

use datafusion::logical_expr::ScalarUDF;

pub use supertype::least_supertype;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = branch::functions();
    v.extend(nulls::functions());
    v
}

#[cfg(test)]
mod supertype_tests;
#[cfg(test)]
mod tests;
