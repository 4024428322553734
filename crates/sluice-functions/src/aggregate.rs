//! ClickHouse aggregate functions, with ClickHouse's names, result types, NULL rules,
//! parameters, combinators and state formats.
//!
//! # How the engine calls them (the contract)
//!
//! * **Names.** Every function is an [`AggregateUDF`] whose DataFusion name is the
//!   ClickHouse call name, case-sensitive: `sum`, `uniqExact`, `sumIf`, `quantilesState`.
//!   [`functions`] returns the base functions plus every single-combinator form
//!   (`<f>If`, `<f>State`, `<f>Merge`, …) and ClickHouse's case-insensitive spellings as
//!   aliases (`SUM`, `COUNT`, `VAR_POP`…). Any other valid combination
//!   (`sumForEachArrayIf`, `uniqMergeState`…) is built on demand by [`resolve`]; the
//!   engine calls it for an aggregate name its registry does not know (it also accepts
//!   case-insensitive names like `Sum`) and registers the result.
//! * **Parameters** (`quantile(0.9)(x)`, `topK(5)(s)`, `groupArray(10)(x)`) are part of
//!   the **function name**: the engine rewrites the ClickHouse call `f(p1, p2)(args…)`
//!   into a call of the function named exactly `f(p1, p2)` — parameters printed as
//!   ClickHouse literals, separated by `", "` — with the ordinary arguments: e.g.
//!   `quantiles(0.5, 0.9)(x)` → function `"quantiles(0.5, 0.9)"` applied to `x`. That
//!   name is obtained from [`resolve`] (parametric names are never in [`functions`]).
//!   This keeps arguments and parameters apart for variadic functions, lets combinators
//!   apply to parametric functions (`quantilesIf(0.5, 0.9)(x, cond)`), and makes the
//!   DataFusion display name `quantiles(0.5, 0.9)(x)`, ClickHouse's column name.
//! * **`count()` / `count(*)`** must be planned as `count(1)` (any non-NULL constant):
//!   DataFusion gives zero-argument aggregates no row count. `count(DISTINCT x)` may be
//!   passed as DataFusion's DISTINCT (handled here) or rewritten to `uniqExact(x)` as
//!   ClickHouse does; the two give the same value and type.
//! * **Types.** Argument types are read from the argument fields
//!   ([`sluice_common::ChType::from_field`]); result fields carry ClickHouse's type
//!   ([`crate::util::ch_field`]). `-State` results are `Binary` columns whose field
//!   metadata is `AggregateFunction(name, T…)`; `-Merge` reads that metadata, so a state
//!   column must keep it (tables of `AggregateFunction` type do).
//! * **State format.** A state is ClickHouse's binary serialization for `count`, `sum`,
//!   `avg`, `min`, `max`, `any`, `anyLast`, `argMin`, `argMax`, `uniqExact` (numbers),
//!   `uniq` (element order may differ), `groupArray`, `groupUniqArray`, the moments
//!   (`varPop`…), and the `-If`/`-Array`/`-State`/`-Merge`/`-ForEach`/`-OrNull`/Null
//!   wrappers; each family module documents its layout and where it deviates.
//! * [`finalize::finalize_aggregation`] is the `finalizeAggregation(state)` scalar
//!   function; the engine registers it with the scalar functions, like
//!   [`array_reduce`]'s `arrayReduce` and `arrayReduceInRanges`.
//!
//! * **Errors.** Parameters given to a function that takes none raise code 133
//!   (`AGGREGATE_FUNCTION_DOESNT_ALLOW_PARAMETERS`).
//! * **Known differences from ClickHouse** (each documented in its module):
//!   `uniqTheta` uses `uniq`'s algorithm (exact below 65536 distinct values, as
//!   ClickHouse's; estimates differ above); `topK` orders equal counts
//!   by first appearance; `quantile` past 8192 rows, `quantileTiming` past 5670 rows and
//!   `quantileTDigest` over many rows give estimates that may differ from ClickHouse's
//!   (whose own depend on block and thread layout); `argMin`/`argMax` follow ClickHouse's
//!   tie rule within a batch, but DataFusion's batch boundaries differ from ClickHouse's
//!   blocks. Adding states with `+` (`sumState(a) + sumState(b)`) is not provided here.
//!
//! Module map: [`binary`] and [`value`] (encodings), [`func`] (the function/state model),
//! [`factory`] (name resolution), [`combinators`], [`udaf`] (DataFusion bridge), [`fast`]
//! (vectorized `GROUP BY` accumulators), [`finalize`], families
//! [`count_sum`], [`minmax`], [`uniq`], [`group_array`], [`quantile`], [`moments`],
//! [`sum_map`], [`group_bit`], [`entropy`], [`skew_kurt`], [`delta_sum`],
//! [`linear_regression`], [`top_k_weighted`], [`moving`], [`retention`],
//! [`window_funnel`].

pub mod array_reduce;
pub mod binary;
pub mod column_stats;
pub mod combinators;
pub mod count_sum;
pub mod delta_sum;
pub mod entropy;
pub mod factory;
pub mod fast;
pub mod finalize;
pub mod float_sum;
pub mod func;
pub mod group_array;
pub mod group_bit;
pub mod linear_regression;
pub mod minmax;
pub mod moments;
pub mod moving;
pub mod quantile;
pub mod regr;
pub mod retention;
pub mod skew_kurt;
pub mod sliding;
pub mod sum_map;
pub mod top_k_weighted;
pub mod udaf;
pub mod uniq;
pub mod value;
pub mod window_funnel;

#[cfg(test)]
mod tests;

use datafusion::error::Result;
use datafusion::logical_expr::AggregateUDF;

use self::factory::{COMBINATORS, base_defs, is_known, parse_name};
use self::udaf::ChAggregateUdf;

/// Combinator suffixes registered eagerly on every base function by [`functions`].
const EAGER_SUFFIXES: &[&str] = &[
    "If",
    "State",
    "Merge",
    "MergeState",
    "OrNull",
    "OrDefault",
    "Array",
    "Distinct",
    "ForEach",
];

fn case_aliases(name: &str) -> Vec<String> {
    let mut v = Vec::new();
    for s in [name.to_ascii_lowercase(), name.to_ascii_uppercase()] {
        if s != name && !v.contains(&s) {
            v.push(s);
        }
    }
    v
}

/// The functions of this family: every base aggregate and its single-combinator forms.
pub fn functions() -> Vec<AggregateUDF> {
    let mut out = Vec::new();
    for def in base_defs() {
        let mut aliases: Vec<String> = Vec::new();
        for a in def.aliases {
            aliases.push((*a).to_string());
        }
        if def.case_insensitive {
            for n in std::iter::once(def.name).chain(def.aliases.iter().copied()) {
                for a in case_aliases(n) {
                    if !aliases.contains(&a) {
                        aliases.push(a);
                    }
                }
            }
        }
        out.push(AggregateUDF::new_from_impl(ChAggregateUdf::new(
            def.name, aliases,
        )));
        for suffix in EAGER_SUFFIXES {
            let mut names: Vec<String> = Vec::new();
            for a in def.aliases {
                names.push(format!("{a}{suffix}"));
            }
            out.push(AggregateUDF::new_from_impl(ChAggregateUdf::new(
                format!("{}{suffix}", def.name),
                names,
            )));
        }
    }
    debug_assert!(EAGER_SUFFIXES.iter().all(|s| COMBINATORS.contains(s)));
    out
}

/// The aggregate function called `name`, which may be a combination
/// (`sumForEachArrayIf`), a case-insensitive spelling (`Sum`), and may carry parameters
/// (`quantiles(0.5, 0.9)`). `Ok(None)` when no such aggregate exists; an error when the
/// parameters do not parse.
pub fn resolve(name: &str) -> Result<Option<AggregateUDF>> {
    let (base, _) = parse_name(name)?;
    if !is_known(&base) {
        return Ok(None);
    }
    Ok(Some(AggregateUDF::new_from_impl(ChAggregateUdf::new(
        name.trim(),
        Vec::new(),
    ))))
}
