//! ClickHouse arithmetic, comparison, logical and math functions.
//!
//! The engine rewrites SQL operators into these functions before planning (`a + b` →
//! `plus`, `-` → `minus`, `*` → `multiply`, `/` → `divide`, `%` → `modulo`, `DIV` →
//! `intDiv`, unary `-` → `negate`), so ClickHouse's result-type rules live here.
//!
//! Module map: [`arith_types`] (result types), [`arithmetic`] (`plus`/`minus`/`multiply`/
//! `negate`), [`division`] (`divide`, `intDiv`, `modulo`, …), [`decimal`] (decimal kernels),
//! [`num`] (C++-style numeric conversions), [`udf`] (the table-driven UDF wrapper).

pub mod arith_types;
pub mod arithmetic;
pub mod decimal;
pub mod division;
pub mod num;
pub mod udf;

use datafusion::logical_expr::ScalarUDF;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = arithmetic::functions();
    v.extend(division::functions());
    v
}

#[cfg(test)]
mod arith_tests;
#[cfg(test)]
pub(crate) mod test_util;
