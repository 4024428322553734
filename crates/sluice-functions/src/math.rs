//! ClickHouse arithmetic, comparison, logical and math functions.
//!
//! The engine rewrites SQL operators into these functions before planning (`a + b` →
//! `plus`, `-` → `minus`, `*` → `multiply`, `/` → `divide`, `%` → `modulo`, `DIV` →
//! `intDiv`, unary `-` → `negate`), so ClickHouse's result-type rules live here.
//!
//! Module map: [`arith_types`] (result types), [`arithmetic`] (`plus`/`minus`/`multiply`/
//! `negate`), [`division`] (`divide`, `intDiv`, `modulo`, …), [`decimal`] (decimal kernels), [`compare`]
//! (`equals`, `less`, …), [`logical`] (`and`, `or`, `xor`, `not`),
//! [`float_fns`] (`sqrt`, `exp`, `log`, trigonometry, …), [`rounding`] (`round`, `floor`, …),
//! [`round_down`] (`roundDown`),
//! [`misc`] (`abs`, `sign`, `gcd`, `greatest`, `rand`, …), [`num`] (C++-style numeric conversions), [`udf`] (the table-driven UDF wrapper).

pub mod arith_types;
pub mod arithmetic;
pub mod compare;
pub mod decimal;
pub mod division;
pub mod float_fns;
pub mod logical;
pub mod misc;
pub mod modulo_native;
pub mod num;
pub mod round_down;
pub mod rounding;
pub mod state_arith;
pub mod udf;

use datafusion::logical_expr::ScalarUDF;

/// The functions of this family.
pub fn functions() -> Vec<ScalarUDF> {
    let mut v = arithmetic::functions();
    v.extend(division::functions());
    v.extend(compare::functions());
    v.extend(logical::functions());
    v.extend(float_fns::functions());
    v.extend(rounding::functions());
    v.extend(round_down::functions());
    v.extend(misc::functions());
    v
}

#[cfg(test)]
mod arith_tests;
#[cfg(test)]
mod fn_tests;
#[cfg(test)]
mod logic_tests;
#[cfg(test)]
pub(crate) mod test_util;
